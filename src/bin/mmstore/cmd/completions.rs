//! `mmstore completions`: print a shell completion script.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, Global};

/// Print the completion script for a shell
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore completions bash > ~/.local/share/bash-completion/completions/mmstore
  mmstore completions zsh > ~/.zfunc/_mmstore
  mmstore completions fish > ~/.config/fish/completions/mmstore.fish")]
pub struct Args {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: Args, _global: &Global) -> anyhow::Result<()> {
    let mut out = crate::ui::stdout();
    clap_complete::generate(args.shell, &mut Cli::command(), "mmstore", &mut out);
    super::context_write(std::io::Write::flush(&mut out))?;
    Ok(())
}
