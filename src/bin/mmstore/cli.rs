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

/// The commands, in the order a user meets them.
#[derive(Debug, Subcommand)]
pub enum Command {
    Create(cmd::create::Args),
    Append(cmd::append::Args),
    ImportCsv(cmd::import_csv::Args),
    ImportJson(cmd::import_json::Args),
    Get(cmd::get::Args),
    Ls(cmd::ls::Args),
    Locate(cmd::locate::Args),
    Rm(cmd::rm::Args),
    ExportJson(cmd::export_json::Args),
    Info(cmd::info::Args),
    PhysicalSize(cmd::physical_size::Args),
    Vacuum(cmd::vacuum::Args),
    Check(cmd::check::Args),
    Bench(cmd::bench::Args),
    ImportDam(cmd::import_dam::Args),
    Completions(cmd::completions::Args),
    #[command(hide = true)]
    Generate(cmd::generate::Args),
}

impl Command {
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        match self {
            Command::Create(args) => cmd::create::run(args, global),
            Command::Append(args) => cmd::append::run(args, global),
            Command::ImportCsv(args) => cmd::import_csv::run(args, global),
            Command::ImportJson(args) => cmd::import_json::run(args, global),
            Command::Get(args) => cmd::get::run(args, global),
            Command::Ls(args) => cmd::ls::run(args, global),
            Command::Locate(args) => cmd::locate::run(args, global),
            Command::Rm(args) => cmd::rm::run(args, global),
            Command::ExportJson(args) => cmd::export_json::run(args, global),
            Command::Info(args) => cmd::info::run(args, global),
            Command::PhysicalSize(args) => cmd::physical_size::run(args, global),
            Command::Vacuum(args) => cmd::vacuum::run(args, global),
            Command::Check(args) => cmd::check::run(args, global),
            Command::Bench(args) => cmd::bench::run(args, global),
            Command::ImportDam(args) => cmd::import_dam::run(args, global),
            Command::Completions(args) => cmd::completions::run(args, global),
            Command::Generate(args) => cmd::generate::run(args, global),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_visible_command_has_examples_and_documented_flags() {
        let mut command = Cli::command();
        command.build();
        for sub in command
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let name = sub.get_name();
            assert!(sub.get_about().is_some(), "{name} has no one-line summary");
            let after = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                after.contains("EXAMPLES:"),
                "{name} --help has no EXAMPLES section"
            );
            for arg in sub.get_arguments() {
                if matches!(arg.get_id().as_str(), "help" | "version") {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "{name}: {} is not explained",
                    arg.get_id()
                );
            }
        }
    }
}
