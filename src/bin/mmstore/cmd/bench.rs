//! `mmstore bench`: measure memory mapping against buffered I/O on this machine. The
//! measuring is `mmstore::bench`; this file parses the flags, turns Ctrl-C into the stop
//! flag the library checks, draws the progress bars, and formats the report.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use anyhow::Context;
use indicatif::ProgressBar;
use mmstore::bench::{self, Measurement, Op, Params, Progress, Report, Stage, Way};
use signal_hook::consts::{SIGINT, SIGTERM};

use crate::cli::Global;
use crate::ui;

const EXAMPLES: &str = "\
EXAMPLES:
  A full run: 256 MiB in the system temp dir, warm cache, 5 runs of everything:
    mmstore bench

  Cold cache, on the disk that holds the stores, with madvise hints, 1 GiB:
    mmstore bench --dir /var/lib/stores --size 1GiB --cold --advise

  A quick run for a script:
    mmstore bench --size 8MiB --repeat 1 --json | jq -r '.summary[].verdict'

EXIT CODES:
  0 success, 2 usage error, 6 I/O error (--dir missing or not writable, disk full),
  130 interrupted by Ctrl-C (143 by SIGTERM); the bench file is removed in every case";

/// Measure mmap against buffered and positional I/O on this machine
///
/// Creates a file of --size bytes in --dir and times five operations on it: sequential read,
/// random 4 KiB reads, a search for a byte pattern, sequential write and random 4 KiB
/// updates (both including the sync to disk). Each runs three ways: through a memory map,
/// through 64 KiB BufReader/BufWriter, and through pread/pwrite. Prints the median time of
/// --repeat runs with min and max, throughput, p50/p99 latency of the random operations, and
/// each way's speed relative to buffered, with a verdict per operation. The file is removed
/// at the end, on error and on Ctrl-C. Writes are always synced (--no-sync does not apply:
/// the sync is part of what a write costs).
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Size of the bench file: a byte count with an optional unit, B, KiB, MiB, GiB, TiB
    /// (powers of 1024) or KB, MB, GB, TB (powers of 1000); at least 64KiB
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    pub size: u64,

    /// Directory for the bench file, on the filesystem to measure [default: the system temp
    /// dir]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Runs of each operation each way; the median is reported, with the min and max
    #[arg(long, value_name = "N", default_value_t = bench::DEFAULT_REPEAT,
        value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,

    /// Random 4 KiB reads and updates per run [default: one per 4 KiB of the file, at most
    /// 16384]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub ops: Option<u64>,

    /// Cold cache: before each run, sync the file and evict its pages from the page cache
    /// with posix_fadvise(POSIX_FADV_DONTNEED), so reads come from the disk
    #[arg(long)]
    pub cold: bool,

    /// Also run the mmap way with madvise hints (MADV_SEQUENTIAL for scans and the sequential
    /// write, MADV_RANDOM for random access) and report the difference they make
    #[arg(long)]
    pub advise: bool,

    /// Print every number as one JSON object on stdout instead of the table: machine,
    /// params, results [{op, way, seconds, bytes_per_s, p50_us, p99_us, ratio_vs_buffered,
    /// ...}], summary
    #[arg(long)]
    pub json: bool,

    /// Seed of the file's bytes and of the random offsets (the same seed, the same work)
    #[arg(long, value_name = "N", default_value_t = bench::DEFAULT_SEED)]
    pub seed: u64,

    /// Instead of the file benchmark: random gets of existing keys of STORE, through the
    /// store's map (a real `get`: index probe, entry, value) and through pread of the same
    /// value offsets (--ops keys, default 10000)
    #[arg(long, value_name = "STORE")]
    pub store: Option<PathBuf>,
}

pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    if let Some(store) = &args.store {
        return run_store(store, &args, global);
    }
    let params = Params {
        size: args.size,
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
        repeat: args.repeat,
        cold: args.cold,
        advise: args.advise,
        random_ops: args.ops,
        seed: args.seed,
    };

    // Ctrl-C and SIGTERM only set the flag; the library's loops see it, remove the file and
    // return `Interrupted`, which main turns into exit code 128 + signal.
    let stop = Arc::new(AtomicUsize::new(0));
    let mut handlers = Vec::new();
    for signal in [SIGINT, SIGTERM] {
        let id = signal_hook::flag::register_usize(signal, Arc::clone(&stop), signal as usize)
            .context("cannot install the Ctrl-C handler")?;
        handlers.push(id);
    }
    let mut bars = Bars { global, bar: None };
    let outcome = bench::run(&params, &mut bars, &stop);
    drop(bars);
    for id in handlers {
        signal_hook::low_level::unregister(id);
    }
    let report = outcome?;

    warn_about(&report);
    let mut out = ui::stdout();
    if args.json {
        let json = serde_json::to_string_pretty(&report).context("cannot encode the report")?;
        ui::write_line(&mut out, json.as_bytes())?;
    } else {
        for line in text(&report) {
            ui::write_line(&mut out, line.as_bytes())?;
        }
    }
    std::io::Write::flush(&mut out)?;
    ui::summary(
        global,
        &format!(
            "bench took {}; its file was removed",
            seconds(report.total_seconds)
        ),
    );
    Ok(())
}

/// One progress bar per stage (writing the file, then each operation).
struct Bars<'g> {
    global: &'g Global,
    bar: Option<ProgressBar>,
}

impl Progress for Bars<'_> {
    fn begin(&mut self, stage: Stage, total: u64) {
        self.end();
        self.bar = Some(if stage.counts_bytes() {
            ui::bytes_progress(self.global, Some(total), stage.label())
        } else {
            ui::count_progress(self.global, Some(total), stage.label())
        });
    }

    fn advance(&mut self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(done);
        }
    }

    fn end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Bars<'_> {
    fn drop(&mut self) {
        self.end();
    }
}

/// Says when the numbers do not mean what their labels say.
fn warn_about(report: &Report) {
    let params = &report.params;
    if params.cold {
        match params.resident_after_evict {
            Some(resident) if resident > 0.5 => ui::warn(&format!(
                "{:.0}% of the file stayed in the page cache after eviction on {}: \
                 the cold numbers are warm ones",
                resident * 100.0,
                report.machine.filesystem
            )),
            Some(_) => {}
            None => ui::warn("could not check that eviction emptied the page cache"),
        }
    } else if let Some(memory) = report.machine.memory_bytes
        && params.size > memory / 2
    {
        ui::warn(&format!(
            "the {} file is more than half of the {} of memory: warm runs may read from disk",
            ui::size(params.size),
            ui::size(memory)
        ));
    }
}

/// The report for people: a heading, the table, a verdict per operation.
fn text(report: &Report) -> Vec<String> {
    let params = &report.params;
    let machine = &report.machine;
    let mut lines = vec![format!(
        "mmstore bench: {} file in {} ({}), {} cache, median of {} run{} (min - max)",
        ui::size(params.size),
        params.dir.display(),
        machine.filesystem,
        params.cache,
        params.repeat,
        if params.repeat == 1 { "" } else { "s" },
    )];
    let memory = machine
        .memory_bytes
        .map(|bytes| format!(", {} memory", ui::size(bytes)));
    lines.push(format!(
        "machine: {} cores{}, {}{}",
        machine.cores,
        machine
            .cpu
            .as_ref()
            .map(|cpu| format!(", {cpu}"))
            .unwrap_or_default(),
        machine.kernel,
        memory.unwrap_or_default(),
    ));
    if params.cold {
        let resident = params
            .resident_after_evict
            .map(|r| {
                format!(
                    " ({:.1}% of the pages still cached after eviction)",
                    r * 100.0
                )
            })
            .unwrap_or_default();
        lines.push(format!(
            "cold cache: fsync + posix_fadvise(DONTNEED) before each run{resident}"
        ));
    } else {
        lines.push("warm cache: the file is in the page cache before each run".to_string());
    }
    lines.push(format!(
        "random ops: {} x {} per run; writes end with {}",
        params.random_ops,
        ui::size(params.block_size as u64),
        params.sync
    ));
    if params.advise {
        lines.push(
            "mmap+advise: madvise(SEQUENTIAL) for scans and the sequential write, \
             madvise(RANDOM) for random access"
                .to_string(),
        );
    }
    lines.push(String::new());

    let mut table = ui::table(&[
        "operation",
        "way",
        "time",
        "min - max",
        "throughput",
        "ops/s",
        "p50",
        "p99",
        "vs buffered",
    ]);
    for measurement in &report.results {
        table.add_row(row(measurement));
    }
    lines.push(table.to_string());
    lines.push(String::new());
    let width = report
        .summary
        .iter()
        .map(|s| s.op.label().len())
        .max()
        .unwrap_or(0)
        + 1;
    for summary in &report.summary {
        lines.push(format!(
            "{:width$} {}",
            format!("{}:", summary.op.label()),
            summary.verdict
        ));
    }
    lines
}

fn row(measurement: &Measurement) -> Vec<String> {
    let way = match (measurement.way, measurement.op.is_write()) {
        (Way::Pread, true) => "pwrite",
        (way, _) => way.name(),
    };
    vec![
        op_label(measurement.op).to_string(),
        way.to_string(),
        seconds(measurement.seconds),
        format!(
            "{} - {}",
            seconds(measurement.min_seconds),
            seconds(measurement.max_seconds)
        ),
        ui::rate(measurement.bytes, measurement.seconds),
        measurement.ops_per_s.map_or_else(|| "-".to_string(), count),
        measurement.p50_us.map_or_else(|| "-".to_string(), micros),
        measurement.p99_us.map_or_else(|| "-".to_string(), micros),
        measurement
            .ratio_vs_buffered
            .map_or_else(|| "-".to_string(), |r| format!("{r:.2}x")),
    ]
}

fn op_label(op: Op) -> &'static str {
    match op {
        Op::SeqRead => "seq read",
        Op::RandomRead => "random read",
        Op::Search => "search",
        Op::SeqWrite => "seq write",
        Op::RandomUpdate => "random update",
        Op::RangeRead => "range read",
    }
}

/// `850.0 µs`, `12.34 ms`, `1.234 s`.
fn seconds(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.1} µs", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{seconds:.3} s")
    }
}

fn micros(micros: f64) -> String {
    seconds(micros / 1e6)
}

/// `812`, `15.2k`, `1.31M`.
fn count(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2}M", per_second / 1e6)
    } else if per_second >= 1e3 {
        format!("{:.1}k", per_second / 1e3)
    } else {
        format!("{per_second:.0}")
    }
}

/// A byte count with an optional unit: `4096`, `8MiB`, `1GiB`, `10MB`, `64 KiB`.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(format!(
            "`{text}` is not a size: give a number of bytes with an optional unit, \
             like 4096, 8MiB, 1GiB or 10MB"
        ));
    }
    let unit = unit.trim();
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => {
            return Err(format!(
                "unknown size unit `{unit}`: use B, KiB, MiB, GiB, TiB (powers of 1024) \
                 or KB, MB, GB, TB (powers of 1000)"
            ));
        }
    };
    let bytes = digits
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(multiplier))
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes < bench::MIN_SIZE {
        return Err(format!(
            "the bench file must be at least 64KiB ({} bytes), not {bytes} bytes",
            bench::MIN_SIZE
        ));
    }
    Ok(bytes)
}

/// `bench --store`: random gets of the store's own keys, three ways.
fn run_store(path: &std::path::Path, args: &Args, global: &Global) -> anyhow::Result<()> {
    use std::time::Instant;

    let store = mmstore::Store::open(path)?;
    let wanted = args.ops.unwrap_or(10_000).min(store.live_count()) as usize;
    if wanted == 0 {
        anyhow::bail!(mmstore::Error::bad_input(
            "the store has no live records to get"
        ));
    }
    // A seeded reservoir sample of live records: the same seed, the same keys.
    let mut state = args.seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut sample: Vec<(String, u64, u64)> = Vec::with_capacity(wanted);
    let mut seen = 0u64;
    for item in store.live_records(false) {
        let (record, state) = item?;
        if state != mmstore::State::Live {
            continue;
        }
        let value_at = record.entry.offset() + record.entry.key_len() as u64;
        let item = (record.key.to_string(), value_at, record.entry.value_len());
        if sample.len() < wanted {
            sample.push(item);
        } else {
            let j = next() % (seen + 1);
            if (j as usize) < wanted {
                sample[j as usize] = item;
            }
        }
        seen += 1;
    }
    // Shuffle, so that the order of the gets is random too.
    for i in (1..sample.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        sample.swap(i, j);
    }

    // The map way: a real get, in a freshly opened store each repeat.
    let mut get_seconds = Vec::new();
    let mut latencies = Vec::with_capacity(sample.len() * args.repeat as usize);
    let mut bytes = 0u64;
    for _ in 0..args.repeat {
        let fresh = mmstore::Store::open(path)?;
        let started = Instant::now();
        for (key, _, _) in &sample {
            let t = Instant::now();
            let record = fresh
                .get(key)?
                .ok_or_else(|| mmstore::Error::KeyNotFound { key: key.clone() })?;
            bytes += std::hint::black_box(record.value).len() as u64;
            latencies.push(t.elapsed().as_secs_f64() * 1e6);
        }
        get_seconds.push(started.elapsed().as_secs_f64());
        mmstore::interrupt::check()?;
    }
    latencies.sort_by(f64::total_cmp);
    get_seconds.sort_by(f64::total_cmp);
    let percentile = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    let get_median = get_seconds[get_seconds.len() / 2];

    let ranges: Vec<(u64, u64)> = sample.iter().map(|(_, at, len)| (*at, *len)).collect();
    let options = bench::RangeOptions {
        repeat: args.repeat,
        cold: args.cold,
        advise: args.advise,
    };
    let stop = AtomicUsize::new(0);
    let body = store.dir().join(store.body_file_name());
    let report = bench::time_ranges(&body, &ranges, &options, &mut bench::NoProgress, &stop)?;
    let pread = report
        .results
        .iter()
        .find(|m| m.way == bench::Way::Pread)
        .map(|m| m.seconds);

    let n = sample.len() as f64;
    let mut out = ui::stdout();
    if args.json {
        let json = serde_json::json!({
            "params": {"store": path, "keys": sample.len(), "repeat": args.repeat, "cold": args.cold, "seed": args.seed},
            "get": {
                "way": "mmap-get",
                "seconds": get_median,
                "ops_per_s": n / get_median,
                "p50_us": percentile(0.5),
                "p99_us": percentile(0.99),
                "ratio_vs_pread": pread.map(|p| p / get_median),
            },
            "ranges": report,
        });
        ui::write_line(&mut out, serde_json::to_string_pretty(&json)?.as_bytes())?;
    } else {
        let mut table = ui::table(&["way", "time", "ops/s", "p50", "p99", "vs pread"]);
        let ratio = |s: f64| {
            pread
                .map(|p| format!("{:.2}x", p / s))
                .unwrap_or_else(|| "-".into())
        };
        table.add_row(vec![
            "get through the map (index + value)".to_string(),
            seconds(get_median),
            format!("{:.0}", n / get_median),
            format!("{:.1} µs", percentile(0.5)),
            format!("{:.1} µs", percentile(0.99)),
            ratio(get_median),
        ]);
        for m in &report.results {
            let way = match m.way.name() {
                "pread" => "pread of the value".to_string(),
                other => format!("{other} read of the value"),
            };
            table.add_row(vec![
                way,
                seconds(m.seconds),
                format!("{:.0}", n / m.seconds),
                m.p50_us
                    .map(|v| format!("{v:.1} µs"))
                    .unwrap_or_else(|| "-".into()),
                m.p99_us
                    .map(|v| format!("{v:.1} µs"))
                    .unwrap_or_else(|| "-".into()),
                ratio(m.seconds),
            ]);
        }
        ui::write_line(
            &mut out,
            format!("{} random gets of {}:", sample.len(), path.display()).as_bytes(),
        )?;
        ui::write_line(&mut out, table.to_string().as_bytes())?;
    }
    std::io::Write::flush(&mut out)?;
    let _ = (global, bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        crate::cli::Cli::command().debug_assert();
    }

    #[test]
    fn sizes_parse_in_binary_and_decimal_units() {
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("64 KiB"), Ok(65536));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
    }

    #[test]
    fn bad_sizes_are_refused_with_a_reason() {
        assert!(parse_size("0").unwrap_err().contains("at least 64KiB"));
        assert!(parse_size("4096").unwrap_err().contains("at least 64KiB"));
        assert!(
            parse_size("1XB")
                .unwrap_err()
                .contains("unknown size unit `XB`")
        );
        assert!(parse_size("MiB").unwrap_err().contains("is not a size"));
        assert!(parse_size("-5MiB").unwrap_err().contains("is not a size"));
        assert!(
            parse_size("99999999999999999999")
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            parse_size("99999999999TiB")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn durations_are_written_in_the_unit_that_fits() {
        assert_eq!(seconds(0.000_85), "850.0 µs");
        assert_eq!(seconds(0.012_34), "12.34 ms");
        assert_eq!(seconds(1.2345), "1.234 s");
        assert_eq!(count(15_200.0), "15.2k");
    }
}
