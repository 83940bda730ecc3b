//! `mmstore create`: make a new, empty store.

use std::path::PathBuf;

use mmstore::Error;

use crate::cli::Global;
use crate::ui;

/// Make a new, empty store
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:\n  mmstore create books\n  mmstore create books --if-not-exists")]
pub struct Args {
    /// The store directory to create (must not exist)
    pub store: PathBuf,

    /// Succeed without changing anything when STORE is already a store
    #[arg(long)]
    pub if_not_exists: bool,
}

pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    match mmstore::create_store(&args.store, super::write_options(global)) {
        Ok(()) => {
            ui::summary(global, &format!("created {}", args.store.display()));
            Ok(())
        }
        Err(Error::StoreExists { .. }) if args.if_not_exists => {
            // Only a real store counts as "exists": a stray file must still be an error.
            mmstore::Store::open(&args.store)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
