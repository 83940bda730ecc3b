//! The `mmstore` binary: parse the command line, run the command, turn the outcome into an
//! exit code. Errors are printed once, here, with their whole chain.

mod cli;
mod cmd;
mod ui;

use std::io;
use std::process::ExitCode;

use clap::Parser;
use mmstore::Error;

use crate::cli::Cli;

/// `--version` names the store format too, so an operator knows what the binary reads.
pub fn version_string() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), " (store format version 1)")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    install_signal_handlers();
    let global = cli.global.clone();
    match cli.command.run(&global) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

/// Ctrl-C and SIGTERM ask the running command to stop: a writer aborts its batch (nothing of
/// it is committed), `export-json -o` removes its temporary file, and the command fails with
/// `Interrupted`, which becomes exit code 128 + signal. A second signal stops the process at
/// once, for a command blocked where it does not look (reading stdin, waiting for the lock).
fn install_signal_handlers() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;

    let stopping = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so that it sees `stopping` as the previous signal left it.
        let installed =
            flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&stopping))
                .and_then(|_| {
                    flag::register_usize(signal, mmstore::interrupt::flag(), signal as usize)
                })
                .and_then(|_| flag::register(signal, Arc::clone(&stopping)));
        if let Err(e) = installed {
            ui::warn(&format!("cannot install the Ctrl-C handler: {e}"));
        }
    }
}

/// Prints the error and its causes on one line and picks the exit code of SPEC §4.
fn report(error: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(error) {
        // `mmstore ls s | head` is a success: the reader had what it wanted.
        return ExitCode::SUCCESS;
    }
    let mut message = format!("mmstore: {error}");
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    if let Some(hint) = error.downcast_ref::<Error>().and_then(hint) {
        message.push_str("\n  hint: ");
        message.push_str(hint);
    }
    eprintln!("{message}");
    ExitCode::from(exit_code(error))
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || matches!(cause.downcast_ref::<Error>(),
                Some(Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The one place where error kinds become exit codes.
fn exit_code(error: &anyhow::Error) -> u8 {
    match error.downcast_ref::<Error>() {
        Some(
            Error::KeyNotFound { .. } | Error::KeysNotFound { .. } | Error::IndexOutOfRange { .. },
        ) => 1,
        Some(Error::BadInput { .. }) => 3,
        Some(
            Error::StoreMissing { .. }
            | Error::StoreExists { .. }
            | Error::NotAStore { .. }
            | Error::UnsupportedVersion { .. }
            | Error::Corrupt { .. },
        ) => 4,
        Some(Error::Locked { .. }) => 5,
        Some(Error::NoSpace { .. } | Error::Io { .. }) => 6,
        Some(Error::Interrupted { signal }) => (128 + signal) as u8,
        Some(_) => 4,
        None => {
            if error
                .chain()
                .any(|c| c.downcast_ref::<io::Error>().is_some())
            {
                6
            } else {
                4
            }
        }
    }
}

/// What to do next, for the errors where there is something to do.
fn hint(error: &Error) -> Option<&'static str> {
    match error {
        Error::StoreMissing { .. } => {
            Some("create it first with `mmstore create STORE`, or pass --create to append/import")
        }
        Error::StoreExists { .. } => Some("pass --if-not-exists to accept an existing store"),
        Error::Locked { .. } => Some("wait for it to finish, or pass --wait"),
        Error::Corrupt { .. } => Some("run `mmstore check STORE` for a full report"),
        Error::UnsupportedVersion { .. } => Some("use a newer mmstore to open this store"),
        Error::NoSpace { .. } => Some("free some space or move the store to a larger filesystem"),
        _ => None,
    }
}
