//! `mmstore import-csv`: every CSV row becomes a JSON object record.

use std::io::BufReader;
use std::path::PathBuf;
use std::time::Instant;

use mmstore::io::csv::CsvOptions;

use super::{AppendOptions, open_writer, run_batch};
use crate::cli::Global;
use crate::ui;

/// Import CSV rows as JSON object records
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore import-csv books books.csv --key-column id --create
  mmstore import-csv books - --delimiter tab --infer-types < books.tsv
  mmstore import-csv books rows.csv --no-header --key-column c0")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// The CSV file ('-' for stdin)
    pub path: PathBuf,

    /// Take each record's key from this column (default: auto keys)
    #[arg(long, value_name = "COLUMN")]
    pub key_column: Option<String>,

    /// Field delimiter: one ASCII character, or 'tab'
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,

    /// The first row is data; columns are named c0, c1, ...
    #[arg(long)]
    pub no_header: bool,

    /// Store integers, floats, true/false as JSON values and empty fields as null
    #[arg(long)]
    pub infer_types: bool,

    #[command(flatten)]
    pub append: AppendOptions,
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() && text != "\"" => Ok(text.as_bytes()[0]),
        _ => Err("the delimiter must be one ASCII character (other than '\"') or 'tab'".into()),
    }
}

pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let started = Instant::now();
    let (reader, size) = super::open_input(&args.path)?;
    let mut writer = open_writer(&args.store, global, args.append.create)?;
    let bar = ui::bytes_progress(global, size, "importing");
    let mut input = BufReader::with_capacity(1 << 20, bar.wrap_read(reader));
    let options = CsvOptions {
        key_column: args.key_column.clone(),
        delimiter: args.delimiter,
        no_header: args.no_header,
        infer_types: args.infer_types,
    };
    let on_duplicate = args.append.on_duplicate.into();
    let (_, summary) = run_batch(&mut writer, |w| {
        mmstore::io::csv::import_csv(w, &mut input, &options, on_duplicate, size)
    })?;
    bar.finish_and_clear();
    super::append_summary(global, &summary, started);
    Ok(())
}
