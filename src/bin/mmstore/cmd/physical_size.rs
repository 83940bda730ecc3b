//! `mmstore physical-size`: bytes of all the store's files.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use mmstore::Store;

use super::context_write;
use crate::cli::Global;
use crate::ui;

/// Print the size of all the store's files (apparent size)
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore physical-size books          # 14.3 MiB
  mmstore physical-size books --bytes  # 14990123
  mmstore physical-size books --json")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// Print the exact number of bytes
    #[arg(long, conflicts_with = "json")]
    pub bytes: bool,

    /// Print a JSON object: files (name to bytes), total, allocated
    #[arg(long)]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct Sizes {
    files: BTreeMap<String, u64>,
    total: u64,
    allocated: u64,
}

pub fn run(args: Args, _global: &Global) -> anyhow::Result<()> {
    // Opening checks that this is a store (and not some other directory).
    let store = Store::open(&args.store)?;
    let files = store.files()?;
    let total = files.iter().map(|f| f.bytes).sum();
    let allocated = files.iter().map(|f| f.allocated).sum();
    let mut out = ui::stdout();
    if args.json {
        let sizes = Sizes {
            files: files.into_iter().map(|f| (f.name, f.bytes)).collect(),
            total,
            allocated,
        };
        context_write(serde_json::to_writer(&mut out, &sizes).map_err(std::io::Error::from))?;
        context_write(out.write_all(b"\n"))?;
    } else if args.bytes {
        context_write(writeln!(out, "{total}"))?;
    } else {
        context_write(writeln!(out, "{}", ui::size(total)))?;
    }
    context_write(out.flush())?;
    Ok(())
}
