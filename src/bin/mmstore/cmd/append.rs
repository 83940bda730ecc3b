//! `mmstore append`: one record from an argument, a file or stdin; or many from JSON Lines.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;
use std::time::Instant;

use mmstore::Error;

use super::{AppendOptions, open_writer, run_batch};
use crate::cli::Global;
use crate::ui;

/// Append one record, or many from JSON Lines
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore append books --key b1 '{\"title\":\"Dune\"}'
  mmstore append books --key cover.png --file cover.png
  mmstore append books --jsonl --key-field id --input books.jsonl")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// The value to store (else the bytes of --file, else all of stdin)
    #[arg(conflicts_with_all = ["file", "jsonl"], allow_negative_numbers = true)]
    pub value: Option<String>,

    /// The record's key (default: its sequence number)
    #[arg(long, conflicts_with = "jsonl", allow_negative_numbers = true)]
    pub key: Option<String>,

    /// Store the bytes of this file as the value
    #[arg(long, value_name = "PATH", conflicts_with = "jsonl")]
    pub file: Option<PathBuf>,

    /// Bulk mode: every line of the input is one JSON value, stored as one record
    #[arg(long)]
    pub jsonl: bool,

    /// With --jsonl: take each record's key from this top-level field (string or integer)
    // `requires` alone is waived by clap when VALUE (which conflicts with --jsonl) is given,
    // so the single-record arguments are named as conflicts too.
    #[arg(long, value_name = "FIELD", requires = "jsonl", conflicts_with_all = ["value", "file", "key"])]
    pub key_field: Option<String>,

    /// With --jsonl: read this file instead of stdin ('-' for stdin)
    #[arg(long, value_name = "PATH", requires = "jsonl", conflicts_with_all = ["value", "file", "key"])]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub append: AppendOptions,
}

pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.jsonl {
        let path = args.input.clone().unwrap_or_else(|| PathBuf::from("-"));
        let (reader, size) = super::open_input(&path)?;
        let mut writer = open_writer(&args.store, global, args.append.create)?;
        let bar = ui::bytes_progress(global, size, "appending");
        let mut input = BufReader::with_capacity(1 << 20, bar.wrap_read(reader));
        let on_duplicate = args.append.on_duplicate.into();
        let key_field = args.key_field.as_deref();
        let (_, summary) = run_batch(&mut writer, |w| {
            mmstore::io::jsonl::append_jsonl(w, &mut input, key_field, on_duplicate, size)
        })?;
        bar.finish_and_clear();
        super::append_summary(global, &summary, started);
        return Ok(());
    }
    let mut writer = open_writer(&args.store, global, args.append.create)?;
    let on_duplicate = args.append.on_duplicate.into();
    let key = args.key.clone();
    let (outcome, summary) = run_batch(&mut writer, |w| {
        let key = match key {
            Some(k) => k,
            None => w.next_auto_key(),
        };
        let outcome = match (&args.value, &args.file) {
            (Some(value), _) => {
                let bytes = value.as_bytes();
                w.put(
                    &key,
                    bytes,
                    mmstore::store::value_is_json(bytes),
                    on_duplicate,
                )?
            }
            (None, Some(path)) => {
                let mut file = File::open(path)
                    .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
                w.put_reader(&key, &mut file, on_duplicate)?
            }
            (None, None) => {
                let mut stdin = io::stdin().lock();
                w.put_reader(&key, &mut stdin as &mut dyn Read, on_duplicate)?
            }
        };
        Ok((key, outcome))
    })?;
    let (key, outcome) = outcome;
    let what = match outcome {
        mmstore::PutOutcome::Added => "appended",
        mmstore::PutOutcome::Replaced => "replaced",
        mmstore::PutOutcome::Skipped => "skipped (key exists)",
    };
    ui::summary(
        global,
        &format!("{what} {key} ({})", ui::size(summary.bytes)),
    );
    Ok(())
}
