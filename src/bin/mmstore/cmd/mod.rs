//! One module per subcommand, each with its own `Args` and `run()`, plus the few helpers they
//! share (opening stores the way the global options say, reading inputs).

pub mod append;
pub mod bench;
pub mod check;
pub mod completions;
pub mod create;
pub mod export_json;
pub mod generate;
pub mod get;
pub mod import_csv;
pub mod import_dam;
pub mod import_json;
pub mod info;
pub mod locate;
pub mod ls;
pub mod physical_size;
pub mod rm;
pub mod vacuum;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use mmstore::{Error, OnDuplicate, WriteOptions, Writer};

use crate::cli::Global;
use crate::ui;

/// `--on-duplicate`, shared by every appending command.
#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum Duplicate {
    /// Abort the whole batch with exit code 3
    #[default]
    Error,
    /// Tombstone the old record and store the new one
    Replace,
    /// Keep the old record and drop the new one
    Skip,
}

impl From<Duplicate> for OnDuplicate {
    fn from(d: Duplicate) -> Self {
        match d {
            Duplicate::Error => OnDuplicate::Error,
            Duplicate::Replace => OnDuplicate::Replace,
            Duplicate::Skip => OnDuplicate::Skip,
        }
    }
}

/// Options of every command that appends records.
#[derive(Debug, Clone, clap::Args)]
pub struct AppendOptions {
    /// What to do when a key is already in the store (or earlier in the same input)
    #[arg(long, value_enum, default_value_t = Duplicate::Error, value_name = "MODE")]
    pub on_duplicate: Duplicate,

    /// Create the store first if it does not exist
    #[arg(long)]
    pub create: bool,
}

pub fn write_options(global: &Global) -> WriteOptions {
    WriteOptions {
        sync: !global.no_sync,
        wait: global.wait,
        index_staging: None,
    }
}

/// Opens the store for writing, creating it first when `create` and it is missing.
pub fn open_writer(store: &Path, global: &Global, create: bool) -> anyhow::Result<Writer> {
    let options = write_options(global);
    if create && std::fs::symlink_metadata(store).is_err() {
        match mmstore::create_store(store, options) {
            Ok(()) | Err(Error::StoreExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Writer::open(store, options)?)
}

/// Runs one batch: `fill` appends, then the batch is committed; on any error (bad input,
/// Ctrl-C, I/O) it is aborted and the store is left as it was.
pub fn run_batch<T>(
    writer: &mut Writer,
    fill: impl FnOnce(&mut Writer) -> mmstore::Result<T>,
) -> anyhow::Result<(T, mmstore::BatchSummary)> {
    match fill(writer) {
        Ok(value) => {
            let summary = writer.commit()?;
            Ok((value, summary))
        }
        Err(e) => {
            if let Err(abort) = writer.abort() {
                ui::warn(&format!(
                    "could not roll back cleanly ({abort}); the next writer will"
                ));
            }
            Err(e.into())
        }
    }
}

/// The summary line of an appending command.
pub fn append_summary(global: &Global, summary: &mmstore::BatchSummary, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    let records = summary.added + summary.replaced;
    let rate = if seconds > 0.0 {
        records as f64 / seconds
    } else {
        0.0
    };
    ui::summary(
        global,
        &format!(
            "{} added, {} replaced, {} skipped; {} in {:.2} s ({:.0} records/s, {})",
            summary.added,
            summary.replaced,
            summary.skipped,
            ui::size(summary.bytes),
            seconds,
            rate,
            ui::rate(summary.bytes, seconds)
        ),
    );
}

/// An input named on the command line: a path, or `-` for stdin. Returns the reader and its
/// size when known (for progress bars).
pub fn open_input(path: &Path) -> anyhow::Result<(Box<dyn Read + Send>, Option<u64>)> {
    if path == Path::new("-") {
        return Ok((Box::new(io::stdin()), None));
    }
    let file =
        File::open(path).map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    Ok((Box::new(file), size))
}

/// Reads a key list (one key a line; CRLF accepted; blank lines skipped).
pub fn read_keys(path: &Path) -> anyhow::Result<KeyLines> {
    let (reader, _) = open_input(path)?;
    Ok(KeyLines {
        reader: BufReader::with_capacity(1 << 16, reader),
        line: 0,
        path: path.to_path_buf(),
        buf: Vec::new(),
    })
}

/// The keys of a key file, one a line (blank lines skipped), read with their line numbers.
pub struct KeyLines {
    reader: BufReader<Box<dyn Read + Send>>,
    line: u64,
    path: PathBuf,
    buf: Vec<u8>,
}

impl KeyLines {
    /// Reads the next key into `key` (its allocation reused); `false` at the end.
    pub fn next_into(&mut self, key: &mut String) -> mmstore::Result<bool> {
        loop {
            self.buf.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| Error::io(format!("cannot read {}", self.path.display()), e))?;
            if read == 0 {
                return Ok(false);
            }
            self.line += 1;
            while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
                self.buf.pop();
            }
            if self.buf.is_empty() {
                continue;
            }
            let text = std::str::from_utf8(&self.buf)
                .map_err(|_| Error::bad_input_at(self.line, "the key is not valid UTF-8"))?;
            key.clear();
            key.push_str(text);
            return Ok(true);
        }
    }
}

/// Writes `bytes` to stdout, turning a closed pipe into success upstream.
pub fn context_write<T>(result: io::Result<T>) -> anyhow::Result<T> {
    result.context("cannot write to standard output")
}
