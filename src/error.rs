//! The library's error type. Every variant carries what a user needs to act on it; the
//! binary maps each kind to its exit code in one place (`src/bin/mmstore/main.rs`).

use std::io;
use std::path::PathBuf;

/// The result type of every fallible library call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong, grouped the way the exit codes group it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store directory does not exist.
    #[error("no store at {}", path.display())]
    StoreMissing { path: PathBuf },

    /// `create` on a path that exists.
    #[error("{} exists already", path.display())]
    StoreExists { path: PathBuf },

    /// The path exists but is not a store (no header, wrong magic, a file instead of a dir).
    #[error("{} is not an mmstore store: {why}", path.display())]
    NotAStore { path: PathBuf, why: String },

    /// The header was written by a newer (or unknown) format version.
    #[error(
        "store format version {found} is not supported (this mmstore reads version {supported})"
    )]
    UnsupportedVersion { found: u32, supported: u32 },

    /// A file of the store is damaged: its bytes contradict the format.
    #[error("corrupt store: {file}, offset {offset}: {what}")]
    Corrupt {
        file: String,
        offset: u64,
        what: String,
    },

    /// Another process holds the writer lock.
    #[error("{}", locked_message(*pid))]
    Locked { pid: Option<u32> },

    /// A key asked for is not in the store (deleted keys are not in it either).
    #[error("key not found: {key}")]
    KeyNotFound { key: String },

    /// Several keys asked for are not in the store.
    #[error("{count} of the keys asked for are not in the store: {sample}")]
    KeysNotFound { count: u64, sample: String },

    /// `--index N` beyond the live records.
    #[error("index {index} is out of range (the store has {live} live records)")]
    IndexOutOfRange { index: i64, live: u64 },

    /// Input data that cannot be stored; nothing was written.
    #[error("{}", bad_input_message(*line, column.as_deref(), what))]
    BadInput {
        line: Option<u64>,
        column: Option<String>,
        what: String,
    },

    /// The writer was asked to stop (Ctrl-C, SIGTERM); nothing of the batch is committed.
    #[error("interrupted; nothing of this command was committed")]
    Interrupted { signal: i32 },

    /// Not enough free space for a vacuum or repair.
    #[error("not enough free space in {}: {needed} bytes needed, {available} bytes free", path.display())]
    NoSpace {
        path: PathBuf,
        needed: u64,
        available: u64,
    },

    /// An operating system call failed.
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
}

fn locked_message(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("the store is locked by another writer (pid {pid})"),
        None => "the store is locked by another writer".to_string(),
    }
}

fn bad_input_message(line: Option<u64>, column: Option<&str>, what: &str) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("bad input at line {line}, column {column}: {what}"),
        (Some(line), None) => format!("bad input at line {line}: {what}"),
        (None, Some(column)) => format!("bad input, column {column}: {what}"),
        (None, None) => format!("bad input: {what}"),
    }
}

impl Error {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Bad input without a position.
    pub fn bad_input(what: impl Into<String>) -> Self {
        Error::BadInput {
            line: None,
            column: None,
            what: what.into(),
        }
    }

    /// Bad input at a 1-based physical line of the input.
    pub fn bad_input_at(line: u64, what: impl Into<String>) -> Self {
        Error::BadInput {
            line: Some(line),
            column: None,
            what: what.into(),
        }
    }

    /// A corrupt-store error.
    pub fn corrupt(file: impl Into<String>, offset: u64, what: impl Into<String>) -> Self {
        Error::Corrupt {
            file: file.into(),
            offset,
            what: what.into(),
        }
    }

    /// Adds a line number to a `BadInput` that has none (used by batch readers).
    pub fn at_line(self, at: u64) -> Self {
        match self {
            Error::BadInput {
                line: None,
                column,
                what,
            } => Error::BadInput {
                line: Some(at),
                column,
                what,
            },
            other => other,
        }
    }
}

/// Extension for attaching context to `io::Result`s.
pub trait IoContext<T> {
    /// Turns an `io::Error` into [`Error::Io`] with the given context.
    fn context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io {
            context: context(),
            source,
        })
    }
}
