//! `mmstore generate DIR` (hidden): write `completions/` and `man/` from the clap definition,
//! so the checked-in files are generated, never written by hand.

use std::fs;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, Global};

/// Write completions/ and man/ into DIR
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write (the repository root to refresh the checked-in files)
    pub dir: PathBuf,
}

pub fn run(args: Args, _global: &Global) -> anyhow::Result<()> {
    generate(&args.dir)
}

/// Writes every completion script and man page under `dir`.
pub fn generate(dir: &Path) -> anyhow::Result<()> {
    let completions = dir.join("completions");
    let man = dir.join("man");
    fs::create_dir_all(&completions)?;
    fs::create_dir_all(&man)?;
    let mut command = Cli::command();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        clap_complete::generate_to(shell, &mut command, "mmstore", &completions)?;
    }
    command.build();
    write_page(&command, &man, "mmstore")?;
    for sub in command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("mmstore-{}", sub.get_name());
        let sub = sub.clone().name(name.clone());
        write_page(&sub, &man, &name)?;
    }
    Ok(())
}

fn write_page(command: &clap::Command, dir: &Path, name: &str) -> anyhow::Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    fs::write(dir.join(format!("{name}.1")), page)?;
    Ok(())
}
