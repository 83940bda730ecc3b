//! `mmstore import-json`: restore the output of `export-json`, byte for byte.

use std::io::BufReader;
use std::path::PathBuf;
use std::time::Instant;

use super::{AppendOptions, open_writer, run_batch};
use crate::cli::Global;
use crate::ui;

/// Restore records from export-json output (JSON Lines or --array)
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore export-json books -o books.jsonl && mmstore import-json copy books.jsonl --create
  mmstore export-json books | mmstore import-json copy - --on-duplicate replace")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// The envelope file ('-' for stdin)
    pub path: PathBuf,

    #[command(flatten)]
    pub append: AppendOptions,
}

pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let started = Instant::now();
    let (reader, size) = super::open_input(&args.path)?;
    let mut writer = open_writer(&args.store, global, args.append.create)?;
    let bar = ui::bytes_progress(global, size, "importing");
    let mut input = BufReader::with_capacity(1 << 20, bar.wrap_read(reader));
    let on_duplicate = args.append.on_duplicate.into();
    let (_, summary) = run_batch(&mut writer, |w| {
        mmstore::io::envelope::import(w, &mut input, on_duplicate)
    })?;
    bar.finish_and_clear();
    super::append_summary(global, &summary, started);
    Ok(())
}
