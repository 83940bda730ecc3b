//! `mmstore ls`: keys in append order, streamed; a long table or JSON Lines on request.

use std::io::Write;
use std::path::PathBuf;

use comfy_table::{ColumnConstraint, Width};
use mmstore::{State, Store};

use super::context_write;
use crate::cli::Global;
use crate::ui;

/// List keys in append order
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore ls books --prefix b --limit 10
  mmstore ls books -l --deleted
  mmstore ls books --json | jq -r 'select(.len > 1000) | .key'")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// Only keys starting with this
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,

    /// Print at most N keys
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,

    /// Skip the first N matching keys
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: u64,

    /// Also list deleted and replaced records
    #[arg(long)]
    pub deleted: bool,

    /// A table: index, value size, value offset, state, key
    #[arg(short, long, conflicts_with = "json")]
    pub long: bool,

    /// JSON Lines objects: index, key, len, offset, state
    #[arg(long)]
    pub json: bool,
}

/// Rows per table chunk of `--long`: the table streams in chunks with fixed column widths.
const CHUNK: usize = 1000;

#[derive(serde::Serialize)]
struct Row<'a> {
    index: u64,
    key: &'a str,
    len: u64,
    offset: u64,
    state: &'static str,
}

pub fn run(args: Args, _global: &Global) -> anyhow::Result<()> {
    let store = Store::open(&args.store)?;
    let mut out = ui::stdout();
    let mut skipped = 0u64;
    let mut printed = 0u64;
    let mut chunk: Vec<[String; 5]> = Vec::new();
    let mut first_chunk = true;
    let mut buf = Vec::with_capacity(256);
    for item in store.records(false) {
        if args.limit.is_some_and(|limit| printed >= limit) {
            break;
        }
        let (record, state) = item?;
        if state != State::Live && !args.deleted {
            continue;
        }
        if let Some(prefix) = &args.prefix
            && !record.key.starts_with(prefix.as_str())
        {
            continue;
        }
        if skipped < args.offset {
            skipped += 1;
            continue;
        }
        printed += 1;
        let value_offset = record.entry.offset() + record.entry.key_len() as u64;
        if args.json {
            buf.clear();
            let row = Row {
                index: record.entry_index,
                key: record.key,
                len: record.entry.value_len(),
                offset: value_offset,
                state: state.as_str(),
            };
            serde_json::to_writer(&mut buf, &row)?;
            buf.push(b'\n');
            context_write(out.write_all(&buf))?;
        } else if args.long {
            chunk.push([
                record.entry_index.to_string(),
                record.entry.value_len().to_string(),
                value_offset.to_string(),
                state.as_str().to_string(),
                record.key.to_string(),
            ]);
            if chunk.len() == CHUNK {
                print_chunk(&mut out, &store, &mut chunk, &mut first_chunk)?;
            }
        } else {
            context_write(ui::write_line(&mut out, record.key.as_bytes()))?;
        }
        if printed.is_multiple_of(65536) {
            mmstore::interrupt::check()?;
        }
    }
    if args.long && (!chunk.is_empty() || first_chunk) {
        print_chunk(&mut out, &store, &mut chunk, &mut first_chunk)?;
    }
    context_write(out.flush())?;
    Ok(())
}

/// Prints a chunk of rows as a borderless table whose numeric columns have widths fixed by
/// the store's size, so consecutive chunks line up; the key comes last.
fn print_chunk(
    out: &mut impl Write,
    store: &Store,
    chunk: &mut Vec<[String; 5]>,
    first: &mut bool,
) -> anyhow::Result<()> {
    let digits = |n: u64| n.max(1).ilog10() as u16 + 1;
    let stats = store.stats();
    let widths = [
        digits(stats.entries).max(5),
        digits(stats.body_len).max(4),
        digits(stats.body_len).max(6),
        8,
    ];
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::NOTHING);
    table.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    if *first {
        table.set_header(["index", "size", "offset", "state", "key"]);
    }
    let mut constraints: Vec<ColumnConstraint> = widths
        .iter()
        .map(|w| ColumnConstraint::Absolute(Width::Fixed(*w + 2)))
        .collect();
    constraints.push(ColumnConstraint::ContentWidth);
    table.set_constraints(constraints);
    for row in chunk.drain(..) {
        table.add_row(row);
    }
    for i in 0..3 {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    for line in table.lines() {
        context_write(ui::write_line(out, line.trim_end().as_bytes()))?;
    }
    *first = false;
    Ok(())
}
