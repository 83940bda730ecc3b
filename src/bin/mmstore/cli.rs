//! The command line, declared once with clap's derive API. The enum of commands and the
//! dispatch to `cmd::<name>::run` live here; each command's flags live in its own file.

use clap::{Args, Parser, Subcommand};

use crate::cmd;

const AFTER_HELP: &str = "\
EXIT CODES:
  0 success, 1 not found, 2 usage error, 3 bad input (nothing written),
  4 store error (missing, not a store, corrupt), 5 store busy, 6 I/O error, 130 interrupted";

/// Create, fill, inspect and maintain memory-mapped record stores.
#[derive(Debug, Parser)]
#[command(name = "mmstore", version = crate::version_string(), long_version = crate::version_string(),
    about, after_help = AFTER_HELP, propagate_version = true, allow_negative_numbers = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted before or after the command name.
#[derive(Debug, Clone, Default, Args)]
pub struct Global {
    /// No progress bars and no summaries on stderr (errors are still printed)
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Skip fsync: faster, but a crash or power loss may lose or damage recent writes
    #[arg(long, global = true)]
    pub no_sync: bool,

    /// Wait for another writer to release the store instead of failing with exit code 5
    #[arg(long, global = true)]
    pub wait: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Bench(cmd::bench::Args),
}

impl Command {
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        match self {
            Command::Bench(args) => cmd::bench::run(args, global),
        }
    }
}
