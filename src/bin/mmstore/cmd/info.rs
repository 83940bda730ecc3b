//! `mmstore info`: what a store holds and whether a vacuum would pay.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use mmstore::Store;

use super::context_write;
use crate::cli::Global;
use crate::ui;

/// Show format, generation, record counts, live and dead bytes, and file sizes
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore info books
  mmstore info books --json | jq .vacuum_recommended
  mmstore info books --threshold 0.2")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// Recommend a vacuum when at least this fraction of the record bytes is dead
    #[arg(long, value_name = "FRACTION", default_value_t = 0.5, value_parser = parse_fraction)]
    pub threshold: f64,

    /// Print a JSON object
    #[arg(long)]
    pub json: bool,
}

fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err("expected a fraction between 0 and 1".into()),
    }
}

#[derive(serde::Serialize)]
struct Records {
    live: u64,
    deleted: u64,
    replaced: u64,
}

#[derive(serde::Serialize)]
struct FileJson {
    bytes: u64,
    allocated: u64,
}

#[derive(serde::Serialize)]
struct Info {
    format_version: u32,
    generation: u64,
    commit: u64,
    records: Records,
    entries: u64,
    live_bytes: u64,
    dead_bytes: u64,
    reclaimable_bytes: u64,
    fragmentation: f64,
    vacuum_recommended: bool,
    next_auto_key: u64,
    index_capacity: u64,
    index_load: f64,
    files: BTreeMap<String, FileJson>,
    total_bytes: u64,
    allocated_bytes: u64,
    created: u64,
    last_vacuum: Option<u64>,
}

pub fn run(args: Args, _global: &Global) -> anyhow::Result<()> {
    let store = Store::open(&args.store)?;
    let stats = store.stats();
    let files = store.files()?;
    let total: u64 = files.iter().map(|f| f.bytes).sum();
    let allocated: u64 = files.iter().map(|f| f.allocated).sum();
    let after = mmstore::store::vacuum::predicted_size(&store)?;
    let reclaimable = total.saturating_sub(after);
    let record_bytes = stats.live_bytes + stats.dead_bytes;
    let dead_fraction = if record_bytes == 0 {
        0.0
    } else {
        stats.dead_bytes as f64 / record_bytes as f64
    };
    let info = Info {
        format_version: stats.format_version,
        generation: stats.generation,
        commit: stats.commit_seq,
        records: Records {
            live: stats.live,
            deleted: stats.deleted,
            replaced: stats.replaced,
        },
        entries: stats.entries,
        live_bytes: stats.live_bytes,
        dead_bytes: stats.dead_bytes,
        reclaimable_bytes: reclaimable,
        fragmentation: if total == 0 {
            0.0
        } else {
            reclaimable as f64 / total as f64
        },
        vacuum_recommended: stats.dead_bytes > 0 && dead_fraction >= args.threshold,
        next_auto_key: stats.next_seq,
        index_capacity: stats.index_capacity,
        index_load: stats.index_used as f64 / stats.index_capacity as f64,
        files: files
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    FileJson {
                        bytes: f.bytes,
                        allocated: f.allocated,
                    },
                )
            })
            .collect(),
        total_bytes: total,
        allocated_bytes: allocated,
        created: stats.created_unix,
        last_vacuum: (stats.last_vacuum_unix > 0).then_some(stats.last_vacuum_unix),
    };
    let mut out = ui::stdout();
    if args.json {
        context_write(serde_json::to_writer(&mut out, &info).map_err(std::io::Error::from))?;
        context_write(out.write_all(b"\n"))?;
        context_write(out.flush())?;
        return Ok(());
    }
    let mut table = ui::table(&["", ""]);
    let rows: Vec<(&str, String)> = vec![
        ("store", args.store.display().to_string()),
        ("format version", info.format_version.to_string()),
        ("generation", info.generation.to_string()),
        (
            "records",
            format!(
                "{} live, {} deleted, {} replaced",
                stats.live, stats.deleted, stats.replaced
            ),
        ),
        (
            "live bytes",
            format!("{} ({})", stats.live_bytes, ui::size(stats.live_bytes)),
        ),
        (
            "dead bytes",
            format!("{} ({})", stats.dead_bytes, ui::size(stats.dead_bytes)),
        ),
        (
            "reclaimable",
            format!(
                "{} ({:.1}% of the files)",
                ui::size(reclaimable),
                info.fragmentation * 100.0
            ),
        ),
        (
            "vacuum recommended",
            if info.vacuum_recommended {
                format!(
                    "yes ({:.0}% of record bytes are dead)",
                    dead_fraction * 100.0
                )
            } else {
                "no".to_string()
            },
        ),
        (
            "files",
            format!(
                "{} apparent, {} allocated",
                ui::size(total),
                ui::size(allocated)
            ),
        ),
        ("created", format_time(stats.created_unix)),
        (
            "last vacuum",
            if stats.last_vacuum_unix > 0 {
                format_time(stats.last_vacuum_unix)
            } else {
                "never".into()
            },
        ),
    ];
    for (name, value) in rows {
        table.add_row([name.to_string(), value]);
    }
    for file in &files {
        table.add_row([
            format!("  {}", file.name),
            format!("{} ({})", file.bytes, ui::size(file.bytes)),
        ]);
    }
    context_write(writeln!(out, "{}", table.trim_fmt()))?;
    context_write(out.flush())?;
    Ok(())
}

/// UTC date and time from seconds since the epoch (no time zone database needed).
fn format_time(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let rem = unix % 86_400;
    // Civil-from-days (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
