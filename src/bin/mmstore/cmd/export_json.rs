//! `mmstore export-json`: every live record as a JSON Lines envelope, streamed.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use mmstore::io::envelope::ExportOptions;
use mmstore::{Error, Store};

use crate::cli::Global;
use crate::ui;

/// Export live records as JSON Lines envelopes (or one JSON array)
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore export-json books > books.jsonl
  mmstore export-json books -o books.json --array
  mmstore export-json books --prefix b | jq .value.title")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// Write to this file (atomically: a temporary file renamed into place) instead of stdout
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Write one JSON array instead of JSON Lines
    #[arg(long)]
    pub array: bool,

    /// Only keys starting with this
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
}

pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = Store::open(&args.store)?;
    let options = ExportOptions {
        array: args.array,
        prefix: args.prefix.clone(),
    };
    let bar = ui::count_progress(global, Some(store.live_count()), "exporting");
    let mut progress = |records: u64, _bytes: u64| bar.set_position(records);
    let (count, bytes) = match &args.output {
        None => {
            let mut out = ui::stdout();
            let mut counter = CountingWriter {
                inner: &mut out,
                bytes: 0,
            };
            let count =
                mmstore::io::envelope::export(&store, &mut counter, &options, &mut progress)?;
            (count, counter.bytes)
        }
        Some(path) => export_to_file(&store, path, &options, &mut progress, !global.no_sync)?,
    };
    bar.finish_and_clear();
    if args.output.is_some() {
        let seconds = started.elapsed().as_secs_f64();
        ui::summary(
            global,
            &format!(
                "exported {}, {} in {seconds:.2} s ({})",
                ui::count(count, "record"),
                ui::size(bytes),
                ui::rate(bytes, seconds)
            ),
        );
    }
    Ok(())
}

/// Writes to `PATH.tmp-PID` and renames it over PATH only when complete, so an interrupted
/// export never leaves a half file under the final name.
fn export_to_file(
    store: &Store,
    path: &Path,
    options: &ExportOptions,
    progress: &mut dyn FnMut(u64, u64),
    sync: bool,
) -> anyhow::Result<(u64, u64)> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::bad_input(format!("{} is not a file name", path.display())))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> anyhow::Result<(u64, u64)> {
        let file = File::create(&tmp)
            .map_err(|e| Error::io(format!("cannot create {}", tmp.display()), e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut counter = CountingWriter {
            inner: &mut out,
            bytes: 0,
        };
        let count = mmstore::io::envelope::export(store, &mut counter, options, progress)?;
        let bytes = counter.bytes;
        let file = out
            .into_inner()
            .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e.into_error()))?;
        if sync {
            file.sync_all()
                .map_err(|e| Error::io(format!("cannot sync {}", tmp.display()), e))?;
        }
        fs::rename(&tmp, path)
            .map_err(|e| Error::io(format!("cannot rename into {}", path.display()), e))?;
        Ok((count, bytes))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

struct CountingWriter<'a, W: Write> {
    inner: &'a mut W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(buf)?;
        self.bytes += buf.len() as u64;
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
