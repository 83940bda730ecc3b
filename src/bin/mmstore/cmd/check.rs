//! `mmstore check`: verify a store, and repair what can be repaired.

use std::io::Write;
use std::path::PathBuf;

use mmstore::Error;
use mmstore::store::check::{CheckOptions, CheckReport, Problem};

use super::context_write;
use crate::cli::Global;
use crate::ui;

/// Verify the header, every entry, every checksum and the index
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore check books
  mmstore check books --quick --json
  mmstore check books --repair --drop-corrupt")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// Structure only: skip the body checksums
    #[arg(long, conflicts_with = "repair")]
    pub quick: bool,

    /// Drop an uncommitted tail, rewrite a damaged header slot, rebuild the index and counts
    #[arg(long)]
    pub repair: bool,

    /// With --repair: write a new generation without the records that fail their checksum
    #[arg(long, requires = "repair")]
    pub drop_corrupt: bool,

    /// Stop after N problems
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_errors: u64,

    /// Print a JSON object: ok, problems [{file, offset, key, what}], notes
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    if args.repair {
        return repair(args, global);
    }
    let bar = ui::bytes_progress(global, None, "checking");
    let mut progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let options = CheckOptions {
        quick: args.quick,
        max_errors: args.max_errors as usize,
    };
    let report = mmstore::store::check::check(&args.store, options, &mut progress)?;
    bar.finish_and_clear();
    print_report(&report, args.json, &[])?;
    finish(&report)
}

fn repair(args: Args, global: &Global) -> anyhow::Result<()> {
    let report = mmstore::store::check::repair(
        &args.store,
        super::write_options(global),
        args.drop_corrupt,
    )?;
    let mut done: Vec<String> = Vec::new();
    let r = &report.recovery;
    if r.body_tail > 0 || r.lookup_tail > 0 {
        done.push(format!(
            "dropped an uncommitted tail ({} body bytes, {} lookup bytes)",
            r.body_tail, r.lookup_tail
        ));
    }
    if r.index_scrubbed {
        done.push("cleared index slots of an interrupted batch".into());
    }
    for name in &r.leftovers {
        done.push(format!("removed the leftover {name}"));
    }
    done.extend(report.actions.iter().cloned());
    if !args.drop_corrupt && !report.corrupt_records.is_empty() {
        ui::warn(&format!(
            "{} damaged records were kept; rerun with --repair --drop-corrupt to write a new generation without them",
            report.corrupt_records.len()
        ));
    }
    print_report(&report.after, args.json, &done)?;
    finish(&report.after)
}

fn finish(report: &CheckReport) -> anyhow::Result<()> {
    if report.ok {
        Ok(())
    } else {
        let more = if report.stopped_early {
            " (stopped early; raise --max-errors for more)"
        } else {
            ""
        };
        anyhow::bail!(Error::corrupt(
            "store",
            0,
            format!("check found {} problems{more}", report.problems.len())
        ))
    }
}

fn print_report(report: &CheckReport, json: bool, repaired: &[String]) -> anyhow::Result<()> {
    let mut out = ui::stdout();
    if json {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            ok: bool,
            problems: &'a [Problem],
            notes: &'a [String],
            repaired: &'a [String],
            entries: u64,
            records: u64,
            stopped_early: bool,
        }
        let value = Json {
            ok: report.ok,
            problems: &report.problems,
            notes: &report.notes,
            repaired,
            entries: report.entries,
            records: report.records,
            stopped_early: report.stopped_early,
        };
        context_write(serde_json::to_writer(&mut out, &value).map_err(std::io::Error::from))?;
        context_write(out.write_all(b"\n"))?;
    } else {
        for line in repaired {
            context_write(writeln!(out, "repaired: {line}"))?;
        }
        for note in &report.notes {
            context_write(writeln!(out, "note: {note}"))?;
        }
        for p in &report.problems {
            let key = p
                .key
                .as_deref()
                .map(|k| format!(" (key {k:?})"))
                .unwrap_or_default();
            context_write(writeln!(
                out,
                "problem: {} at offset {}{key}: {}",
                p.file, p.offset, p.what
            ))?;
        }
        if report.ok {
            context_write(writeln!(
                out,
                "ok: {} entries, {} records, {} checked",
                report.entries,
                report.records,
                ui::size(report.body_bytes_checked)
            ))?;
        }
    }
    context_write(out.flush())?;
    Ok(())
}
