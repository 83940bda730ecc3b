//! `mmstore import-dam`: read a Jina DocumentArrayMemmap folder into a store.

use std::path::PathBuf;
use std::time::Instant;

use super::{AppendOptions, open_writer, run_batch};
use crate::cli::Global;

/// Import a Jina DocumentArrayMemmap folder (header.bin + body.bin)
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore import-dam docs ./my-dam --create
  mmstore import-dam docs ./my-dam --key-length 64 --on-duplicate replace")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// The DocumentArrayMemmap folder (holding header.bin and body.bin)
    pub dir: PathBuf,

    /// Key length of the header rows, in UTF-32 code units
    #[arg(long, value_name = "N", default_value_t = mmstore::io::dam::DEFAULT_KEY_LENGTH)]
    pub key_length: usize,

    #[command(flatten)]
    pub append: AppendOptions,
}

pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut writer = open_writer(&args.store, global, args.append.create)?;
    let on_duplicate = args.append.on_duplicate.into();
    let (_, summary) = run_batch(&mut writer, |w| {
        mmstore::io::dam::import_dam(w, &args.dir, args.key_length, on_duplicate)
    })?;
    super::append_summary(global, &summary, started);
    Ok(())
}
