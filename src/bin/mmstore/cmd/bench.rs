//! `mmstore bench`: measure memory mapping against buffered I/O on this machine.

use crate::cli::Global;

/// Measure mmap against buffered and positional I/O on this machine
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _global: &Global) -> anyhow::Result<()> {
    anyhow::bail!("bench is being written")
}
