//! `mmstore vacuum`: reclaim the bytes of deleted and replaced records.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use super::context_write;
use crate::cli::Global;
use crate::ui;

/// Rewrite the live records into a new generation and reclaim the rest
#[derive(Debug, clap::Args)]
#[command(after_help = "EXAMPLES:
  mmstore vacuum books --dry-run
  mmstore vacuum books
  mmstore vacuum books --json   # {\"before\":..,\"after\":..,\"reclaimed\":..}")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// Report what would be reclaimed; change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Print a JSON object: before, after, reclaimed (bytes)
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let started = Instant::now();
    let bar = ui::bytes_progress(global, None, "vacuuming");
    let mut progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let report = mmstore::store::vacuum::vacuum(
        &args.store,
        super::write_options(global),
        args.dry_run,
        &mut progress,
    )?;
    bar.finish_and_clear();
    let mut out = ui::stdout();
    if args.json {
        #[derive(serde::Serialize)]
        struct Json {
            before: u64,
            after: u64,
            reclaimed: u64,
            records: u64,
            dry_run: bool,
        }
        let json = Json {
            before: report.before,
            after: report.after,
            reclaimed: report.reclaimed,
            records: report.records,
            dry_run: report.dry_run,
        };
        context_write(serde_json::to_writer(&mut out, &json).map_err(std::io::Error::from))?;
        context_write(out.write_all(b"\n"))?;
    } else {
        let verb = if report.dry_run {
            "would reclaim"
        } else {
            "reclaimed"
        };
        context_write(writeln!(
            out,
            "{} -> {} bytes; {verb} {} bytes ({}), {} live records",
            report.before,
            report.after,
            report.reclaimed,
            ui::size(report.reclaimed),
            report.records
        ))?;
    }
    context_write(out.flush())?;
    if !report.dry_run {
        ui::summary(
            global,
            &format!("vacuumed in {:.2} s", started.elapsed().as_secs_f64()),
        );
    }
    Ok(())
}
