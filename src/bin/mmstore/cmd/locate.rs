//! `mmstore locate`: where a value's bytes lie, so another program can map them in place.

use std::io::Write;
use std::path::PathBuf;

use mmstore::{Error, Store};

use super::context_write;
use crate::cli::Global;
use crate::ui;

/// Print the body file, byte offset and length of a value (valid until the next vacuum)
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore locate vectors v42
  read -r file offset len < <(mmstore locate vectors v42)
  mmstore locate vectors v42 --json   # {\"key\":..,\"file\":..,\"offset\":..,\"len\":..}")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// The key whose value to locate
    #[arg(allow_negative_numbers = true)]
    pub key: String,

    /// Print a JSON object: key, file, offset, len
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, _global: &Global) -> anyhow::Result<()> {
    let store = Store::open(&args.store)?;
    let mut location = store.locate(&args.key)?.ok_or_else(|| Error::KeyNotFound {
        key: args.key.clone(),
    })?;
    if let Ok(absolute) = std::fs::canonicalize(&location.file) {
        location.file = absolute;
    }
    let mut out = ui::stdout();
    if args.json {
        context_write(serde_json::to_writer(&mut out, &location).map_err(std::io::Error::from))?;
        context_write(out.write_all(b"\n"))?;
    } else {
        context_write(writeln!(
            out,
            "{}\t{}\t{}",
            location.file.display(),
            location.offset,
            location.len
        ))?;
    }
    context_write(out.flush())?;
    Ok(())
}
