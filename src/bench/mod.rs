//! The mmap-vs-buffered measurements behind `mmstore bench`, as a library returning numbers.
//!
//! [`run`] creates a uniquely named file in a directory, fills it from a seed, and times five
//! operations ([`Op`]) three ways each ([`Way`]): through a memory map, through 64 KiB
//! `BufReader`/`BufWriter`, and through positional `pread`/`pwrite`. Each measurement is
//! repeated and summarised by its median and spread; the random operations also get latency
//! percentiles. Every way of an operation must read the same bytes (one checksum) and find
//! the same matches; the [`Report`] says whether they did.
//!
//! Nothing here prints. Progress goes through [`Progress`]; a caller stops a run by storing a
//! signal number in the `stop` flag (the binary does so from its SIGINT/SIGTERM handlers).
//! The loops check the flag, the file is removed, and [`Error::Interrupted`] comes back. The
//! file is removed on every other way out too (see `file.rs`).
//!
//! [`time_ranges`] is the hook for `bench --store`: it times reads of given (offset, length)
//! ranges of any file through a map and through `pread`.
//!
//! All `unsafe` code (maps and libc calls) lives in `sys.rs`, with the argument for it.

mod file;
mod layout;
mod machine;
mod rng;
mod search;
mod stats;
mod sys;
mod ways;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, IoContext, Result};

use self::file::BenchFile;
use self::layout::Layout;
use self::ways::{Digest, Geometry, Outcome, Target, Ticker};

pub use self::machine::Machine;

/// The unit of the random operations: 4 KiB, a page on most machines.
pub const BLOCK_SIZE: usize = 4096;
/// The buffer of the buffered way and the chunk of the pread way: 64 KiB.
pub const BUFFER_SIZE: usize = 64 * 1024;
/// The smallest bench file: one buffer.
pub const MIN_SIZE: u64 = BUFFER_SIZE as u64;
/// The default bench file size: 256 MiB.
pub const DEFAULT_SIZE: u64 = 256 << 20;
/// The default number of measurements per operation and way.
pub const DEFAULT_REPEAT: u32 = 5;
/// The default seed of the file's bytes and the random offsets.
pub const DEFAULT_SEED: u64 = 0x6D6D_7374_6F72_6521;
/// The most random operations per measurement when not told otherwise.
pub const DEFAULT_MAX_RANDOM_OPS: u64 = 16384;
/// The byte pattern the search looks for (it cannot occur in the random background by
/// chance: 17 bytes).
pub const PATTERN: &[u8] = b"\x89mmstore-needle\r\n";

/// An operation measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Read the whole file in order, hashing every byte.
    SeqRead,
    /// Read 4 KiB at seeded random 4 KiB-aligned offsets.
    RandomRead,
    /// Find every occurrence of [`PATTERN`].
    Search,
    /// Overwrite the whole file in order, then sync it to disk.
    SeqWrite,
    /// Overwrite 4 KiB at seeded random offsets, then sync.
    RandomUpdate,
    /// Read caller-given (offset, length) ranges ([`time_ranges`]).
    RangeRead,
}

impl Op {
    /// The operations of [`run`], in the order they run (reads before writes).
    pub const ALL: [Op; 5] = [
        Op::SeqRead,
        Op::RandomRead,
        Op::Search,
        Op::SeqWrite,
        Op::RandomUpdate,
    ];

    /// The name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Op::SeqRead => "seq_read",
            Op::RandomRead => "random_read",
            Op::Search => "search",
            Op::SeqWrite => "seq_write",
            Op::RandomUpdate => "random_update",
            Op::RangeRead => "range_read",
        }
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            Op::SeqRead => "sequential read",
            Op::RandomRead => "random 4 KiB read",
            Op::Search => "pattern search",
            Op::SeqWrite => "sequential write + sync",
            Op::RandomUpdate => "random 4 KiB update + sync",
            Op::RangeRead => "range read",
        }
    }

    /// Whether the operation is many small ones (counted, with latency percentiles) rather
    /// than one pass over the file (counted in bytes).
    pub fn is_random(self) -> bool {
        matches!(self, Op::RandomRead | Op::RandomUpdate | Op::RangeRead)
    }

    /// Whether the operation writes.
    pub fn is_write(self) -> bool {
        matches!(self, Op::SeqWrite | Op::RandomUpdate)
    }
}

/// How the bytes are moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Way {
    /// Through a shared memory map (`memmap2`), synced with `msync`.
    #[serde(rename = "mmap")]
    Mmap,
    /// Through a memory map with `madvise` hints: sequential for scans and the sequential
    /// write, random for random access (only with `--advise`).
    #[serde(rename = "mmap+advise")]
    MmapAdvised,
    /// Through `BufReader`/`BufWriter` with 64 KiB buffers and `seek`.
    #[serde(rename = "buffered")]
    Buffered,
    /// Through positional `pread`/`pwrite` (`FileExt::read_at`/`write_at`).
    #[serde(rename = "pread")]
    Pread,
}

impl Way {
    /// The name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Way::Mmap => "mmap",
            Way::MmapAdvised => "mmap+advise",
            Way::Buffered => "buffered",
            Way::Pread => "pread",
        }
    }
}

/// What a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Writing the bench file before any measurement (counted in bytes).
    Prepare,
    /// All measurements of one operation, every way and every repeat.
    Measure(Op),
}

impl Stage {
    /// Whether [`Progress::advance`] counts bytes (else operations).
    pub fn counts_bytes(self) -> bool {
        match self {
            Stage::Prepare => true,
            Stage::Measure(op) => !op.is_random(),
        }
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Prepare => "writing the bench file",
            Stage::Measure(op) => op.label(),
        }
    }
}

/// Receives progress; every method has a do-nothing default.
pub trait Progress {
    /// A stage begins; `total` units (bytes or operations, see [`Stage::counts_bytes`]).
    fn begin(&mut self, _stage: Stage, _total: u64) {}
    /// `done` more units are done.
    fn advance(&mut self, _done: u64) {}
    /// The stage is over.
    fn end(&mut self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// What to measure.
#[derive(Debug, Clone, Serialize)]
pub struct Params {
    /// Bytes in the bench file; at least [`MIN_SIZE`].
    pub size: u64,
    /// The directory to create the bench file in.
    pub dir: PathBuf,
    /// Measurements per operation and way (at least 1).
    pub repeat: u32,
    /// Evict the file's pages from the page cache before each measurement.
    pub cold: bool,
    /// Also measure the mmap way with `madvise` hints.
    pub advise: bool,
    /// Random operations per measurement; `None` is one per 4 KiB block of the file, at
    /// most [`DEFAULT_MAX_RANDOM_OPS`].
    pub random_ops: Option<u64>,
    /// Seed of the file's bytes and the random offsets.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            size: DEFAULT_SIZE,
            dir: std::env::temp_dir(),
            repeat: DEFAULT_REPEAT,
            cold: false,
            advise: false,
            random_ops: None,
            seed: DEFAULT_SEED,
        }
    }
}

impl Params {
    /// The number of random operations per measurement these parameters give.
    pub fn resolved_random_ops(&self) -> u64 {
        self.random_ops
            .unwrap_or_else(|| (self.size / BLOCK_SIZE as u64).min(DEFAULT_MAX_RANDOM_OPS))
            .max(1)
    }
}

/// The parameters as run, with what was derived from them.
#[derive(Debug, Clone, Serialize)]
pub struct RunParams {
    /// Bytes in the bench file.
    pub size: u64,
    /// The directory measured in.
    pub dir: PathBuf,
    /// Measurements per operation and way.
    pub repeat: u32,
    /// `"warm"` or `"cold"`.
    pub cache: &'static str,
    /// Whether pages were evicted before each measurement.
    pub cold: bool,
    /// How pages were evicted (`None` when warm).
    pub eviction: Option<&'static str>,
    /// Fraction of the file's pages still in the page cache right after an eviction, as
    /// mincore(2) saw it (`None` when warm or when it could not be told). Near 1.0 means
    /// eviction does not work here (tmpfs) and "cold" numbers are warm ones.
    pub resident_after_evict: Option<f64>,
    /// Whether the mmap way was also run with `madvise` hints.
    pub advise: bool,
    /// Random operations per measurement.
    pub random_ops: u64,
    /// Bytes per random operation.
    pub block_size: usize,
    /// Bytes of the buffered way's buffer and of each pread/pwrite of the scans.
    pub buffer_size: usize,
    /// How writes were made durable.
    pub sync: &'static str,
    /// The seed of the file's bytes and the offsets.
    pub seed: u64,
    /// Length of the search pattern.
    pub pattern_len: usize,
    /// Occurrences of the pattern planted in the file (every way must find exactly these).
    pub planted_matches: usize,
}

/// One operation done one way, over all its repeats.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// The operation.
    pub op: Op,
    /// The way.
    pub way: Way,
    /// Median wall time of one measurement, in seconds.
    pub seconds: f64,
    /// Fastest measurement.
    pub min_seconds: f64,
    /// Slowest measurement.
    pub max_seconds: f64,
    /// Every measurement, in the order taken.
    pub samples: Vec<f64>,
    /// Bytes moved by one measurement.
    pub bytes: u64,
    /// `bytes / seconds`.
    pub bytes_per_s: f64,
    /// Operations in one measurement (random operations only).
    pub ops: Option<u64>,
    /// `ops / seconds` (random operations only).
    pub ops_per_s: Option<f64>,
    /// Median latency of one operation over all repeats, in microseconds (random only).
    pub p50_us: Option<f64>,
    /// 99th percentile latency, in microseconds (random only).
    pub p99_us: Option<f64>,
    /// Buffered seconds divided by these seconds: above 1 is faster than buffered (`None`
    /// when the buffered way was not measured).
    pub ratio_vs_buffered: Option<f64>,
    /// Hash of the bytes read, in hex (reads only).
    pub checksum: Option<String>,
    /// Matches found (search only).
    pub matches: Option<u64>,
}

/// The verdict on one operation.
#[derive(Debug, Clone, Serialize)]
pub struct OpSummary {
    /// The operation.
    pub op: Op,
    /// mmap's speed relative to buffered (buffered seconds / mmap seconds).
    pub mmap_vs_buffered: Option<f64>,
    /// pread's speed relative to buffered.
    pub pread_vs_buffered: Option<f64>,
    /// The hinted map's speed relative to the plain map (with `--advise`).
    pub advise_vs_mmap: Option<f64>,
    /// Whether every way and every repeat read the same bytes or found the same matches
    /// (`None` for writes, which have nothing to compare while running).
    pub ways_agree: Option<bool>,
    /// One line for people, e.g. `mmap 2.1x faster than buffered; pread 1.0x`.
    pub verdict: String,
}

/// Everything [`run`] measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What it ran on.
    pub machine: Machine,
    /// What it ran with.
    pub params: RunParams,
    /// One entry per operation and way.
    pub results: Vec<Measurement>,
    /// One entry per operation.
    pub summary: Vec<OpSummary>,
    /// Wall time of the whole run, set-up included.
    pub total_seconds: f64,
}

/// Runs every operation every way on a new file in `params.dir`, then removes the file.
///
/// `stop` is 0 to go on; any other value is the number of the signal that asks to stop.
pub fn run(params: &Params, progress: &mut dyn Progress, stop: &AtomicUsize) -> Result<Report> {
    let started = Instant::now();
    if params.size < MIN_SIZE {
        return Err(Error::bad_input(format!(
            "the bench file must be at least {MIN_SIZE} bytes, not {}",
            params.size
        )));
    }
    let size = usize::try_from(params.size).map_err(|_| {
        Error::bad_input(format!(
            "{} bytes cannot be mapped on this machine",
            params.size
        ))
    })?;
    let repeat = params.repeat.max(1);
    let random_ops = params.resolved_random_ops();
    let ops = usize::try_from(random_ops)
        .map_err(|_| Error::bad_input(format!("{random_ops} random operations are too many")))?;

    let bench_file = BenchFile::create(&params.dir)?;
    bench_file.check_space(&params.dir, params.size)?;
    let machine = Machine::probe(&params.dir);
    let layout = Layout::new(size, params.seed, ops);
    {
        progress.begin(Stage::Prepare, params.size);
        let mut ticker = Ticker::new(progress, stop, 1 << 20);
        bench_file.fill(&layout, &mut ticker)?;
        progress.end();
    }
    let target = Target {
        file: bench_file.file(),
        path: bench_file.path(),
        len: size,
    };

    let resident_after_evict = if params.cold {
        sys::evict(target.file).context(|| evict_failed(target.path))?;
        sys::resident_fraction(target.file, size).ok()
    } else {
        None
    };

    let mut ways = vec![Way::Mmap, Way::Buffered, Way::Pread];
    if params.advise {
        ways.push(Way::MmapAdvised);
    }
    let mut session = Session {
        target,
        repeat,
        cold: params.cold,
        geometry: Geometry::DEFAULT,
        progress,
        stop,
    };
    let mut results = Vec::new();
    let mut summary = Vec::new();
    for op in Op::ALL {
        let (bytes, ops) = match op {
            Op::RandomRead | Op::RandomUpdate => ((ops * BLOCK_SIZE) as u64, Some(random_ops)),
            _ => (params.size, None),
        };
        let samples =
            session.measure(
                op,
                &ways,
                ops.unwrap_or(params.size),
                |way, t, g, k| match op {
                    Op::SeqRead => ways::sequential_read(way, t, g, k),
                    Op::RandomRead | Op::RangeRead => {
                        ways::read_ranges(way, t, &layout.reads, g, k)
                    }
                    Op::Search => ways::search(way, t, PATTERN, g, k),
                    Op::SeqWrite => ways::sequential_write(way, t, &layout.source, g, k),
                    Op::RandomUpdate => {
                        ways::update_blocks(way, t, &layout.updates, &layout.source, g, k)
                    }
                },
            )?;
        let measured = measurements(op, &ways, &samples, bytes, ops);
        summary.push(summarize(op, &measured, &samples));
        results.extend(measured);
    }

    bench_file.remove()?;
    Ok(Report {
        machine,
        params: RunParams {
            size: params.size,
            dir: params.dir.clone(),
            repeat,
            cache: if params.cold { "cold" } else { "warm" },
            cold: params.cold,
            eviction: params.cold.then_some(
                "fsync, then posix_fadvise(POSIX_FADV_DONTNEED), before each measurement",
            ),
            resident_after_evict,
            advise: params.advise,
            random_ops,
            block_size: BLOCK_SIZE,
            buffer_size: BUFFER_SIZE,
            sync: "msync(MS_SYNC) for mmap, fdatasync for buffered and pread",
            seed: params.seed,
            pattern_len: PATTERN.len(),
            planted_matches: layout.planted.len(),
        },
        results,
        summary,
        total_seconds: started.elapsed().as_secs_f64(),
    })
}

/// How to time [`time_ranges`].
#[derive(Debug, Clone)]
pub struct RangeOptions {
    /// Measurements per way (at least 1).
    pub repeat: u32,
    /// Evict the file's pages before each measurement.
    pub cold: bool,
    /// Also time a map with `madvise(MADV_RANDOM)`.
    pub advise: bool,
}

impl Default for RangeOptions {
    fn default() -> Self {
        RangeOptions {
            repeat: DEFAULT_REPEAT,
            cold: false,
            advise: false,
        }
    }
}

/// What [`time_ranges`] measured.
#[derive(Debug, Clone, Serialize)]
pub struct RangeReport {
    /// One entry per way: `mmap`, `pread` (and `mmap+advise`), with op `range_read`.
    pub results: Vec<Measurement>,
    /// pread seconds divided by mmap seconds: above 1, the map was faster.
    pub mmap_vs_pread: f64,
    /// The plain map's seconds divided by the hinted map's (with `advise`).
    pub advise_vs_mmap: Option<f64>,
    /// Whether both ways read the same bytes.
    pub ways_agree: bool,
}

/// Times reading the `(offset, length)` `ranges` of the file at `path`, in the order given,
/// through a memory map and through `pread`: the measurement behind `bench --store`, where
/// the ranges are the records a `get` would read.
///
/// The file is opened read-only and never written. It must not be truncated while this runs
/// (mmstore never truncates a file a reader may have mapped; `vacuum` writes new files),
/// since a map of a truncated file faults. Ranges beyond the file's end are refused.
pub fn time_ranges(
    path: &Path,
    ranges: &[(u64, u64)],
    options: &RangeOptions,
    progress: &mut dyn Progress,
    stop: &AtomicUsize,
) -> Result<RangeReport> {
    let file = File::open(path).context(|| format!("cannot open {}", path.display()))?;
    let file_len = file
        .metadata()
        .context(|| format!("cannot stat {}", path.display()))?
        .len();
    let len = usize::try_from(file_len).map_err(|_| {
        Error::bad_input(format!(
            "{} is too large to map on this machine",
            path.display()
        ))
    })?;
    let mut checked = Vec::with_capacity(ranges.len());
    for &(offset, range_len) in ranges {
        let end = offset.checked_add(range_len).filter(|&end| end <= file_len);
        match (end, usize::try_from(range_len)) {
            (Some(_), Ok(range_len)) => checked.push((offset, range_len)),
            _ => {
                return Err(Error::bad_input(format!(
                    "range {offset}+{range_len} lies beyond the end of {} ({file_len} bytes)",
                    path.display()
                )));
            }
        }
    }
    let mut ways = vec![Way::Mmap, Way::Pread];
    if options.advise {
        ways.push(Way::MmapAdvised);
    }
    let mut session = Session {
        target: Target {
            file: &file,
            path,
            len,
        },
        repeat: options.repeat.max(1),
        cold: options.cold,
        geometry: Geometry::DEFAULT,
        progress,
        stop,
    };
    let samples = session.measure(Op::RangeRead, &ways, ranges.len() as u64, |way, t, g, k| {
        ways::read_ranges(way, t, &checked, g, k)
    })?;
    let bytes = checked.iter().map(|&(_, len)| len as u64).sum();
    let results = measurements(
        Op::RangeRead,
        &ways,
        &samples,
        bytes,
        Some(ranges.len() as u64),
    );
    let summary = summarize(Op::RangeRead, &results, &samples);
    let seconds_of = |way| results.iter().find(|m| m.way == way).map(|m| m.seconds);
    Ok(RangeReport {
        mmap_vs_pread: ratio(seconds_of(Way::Pread), seconds_of(Way::Mmap)).unwrap_or(0.0),
        advise_vs_mmap: summary.advise_vs_mmap,
        ways_agree: summary.ways_agree.unwrap_or(true),
        results,
    })
}

fn evict_failed(path: &Path) -> String {
    format!("cannot evict {} from the page cache", path.display())
}

/// One timed call of one way.
struct Sample {
    seconds: f64,
    outcome: Outcome,
}

/// The state shared by the measurements of one run.
struct Session<'a> {
    target: Target<'a>,
    repeat: u32,
    cold: bool,
    geometry: Geometry,
    progress: &'a mut dyn Progress,
    stop: &'a AtomicUsize,
}

impl Session<'_> {
    /// Takes `repeat` samples of `op` for each of `ways`, interleaving the ways (so a slow
    /// spell of the machine does not land on one way only). `units` is the progress units
    /// of one sample. Returns the samples per way, in the order of `ways`.
    fn measure(
        &mut self,
        op: Op,
        ways: &[Way],
        units: u64,
        mut once: impl FnMut(Way, Target<'_>, Geometry, &mut Ticker<'_>) -> Result<Outcome>,
    ) -> Result<Vec<Vec<Sample>>> {
        let total = units * ways.len() as u64 * u64::from(self.repeat);
        self.progress.begin(Stage::Measure(op), total);
        let every = if Stage::Measure(op).counts_bytes() {
            1 << 20
        } else {
            256
        };
        let mut ticker = Ticker::new(&mut *self.progress, self.stop, every);
        ticker.check()?;
        if !self.cold {
            ways::warm_up(self.target)?;
        }
        let mut samples: Vec<Vec<Sample>> = ways.iter().map(|_| Vec::new()).collect();
        for _ in 0..self.repeat {
            for (index, &way) in ways.iter().enumerate() {
                if self.cold {
                    sys::evict(self.target.file).context(|| evict_failed(self.target.path))?;
                }
                let start = Instant::now();
                let outcome = once(way, self.target, self.geometry, &mut ticker)?;
                let seconds = start.elapsed().as_secs_f64();
                samples[index].push(Sample { seconds, outcome });
            }
        }
        self.progress.end();
        Ok(samples)
    }
}

/// `numerator / denominator` when both are there and the denominator is positive.
fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    match (numerator, denominator) {
        (Some(numerator), Some(denominator)) if denominator > 0.0 => Some(numerator / denominator),
        _ => None,
    }
}

fn measurements(
    op: Op,
    ways: &[Way],
    samples: &[Vec<Sample>],
    bytes: u64,
    ops: Option<u64>,
) -> Vec<Measurement> {
    let medians: Vec<f64> = samples
        .iter()
        .map(|way_samples| {
            stats::median(&way_samples.iter().map(|s| s.seconds).collect::<Vec<_>>())
        })
        .collect();
    let buffered = ways
        .iter()
        .position(|&way| way == Way::Buffered)
        .map(|i| medians[i]);
    ways.iter()
        .zip(samples)
        .zip(&medians)
        .map(|((&way, way_samples), &seconds)| {
            let times: Vec<f64> = way_samples.iter().map(|s| s.seconds).collect();
            let mut latencies: Vec<u64> = way_samples
                .iter()
                .flat_map(|s| s.outcome.latencies_ns.iter().copied())
                .collect();
            latencies.sort_unstable();
            let percentile_us = |p| {
                (!latencies.is_empty()).then(|| stats::percentile(&latencies, p) as f64 / 1000.0)
            };
            let per_second = |amount: f64| if seconds > 0.0 { amount / seconds } else { 0.0 };
            let first = way_samples.first().map(|s| &s.outcome.digest);
            Measurement {
                op,
                way,
                seconds,
                min_seconds: times.iter().copied().fold(f64::INFINITY, f64::min),
                max_seconds: times.iter().copied().fold(0.0, f64::max),
                samples: times,
                bytes,
                bytes_per_s: per_second(bytes as f64),
                ops,
                ops_per_s: ops.map(|ops| per_second(ops as f64)),
                p50_us: percentile_us(50.0),
                p99_us: percentile_us(99.0),
                ratio_vs_buffered: ratio(buffered, Some(seconds)),
                checksum: match first {
                    Some(Digest::Checksum(checksum)) => Some(format!("{checksum:016x}")),
                    _ => None,
                },
                matches: match first {
                    Some(Digest::Matches(matches)) => Some(matches.len() as u64),
                    _ => None,
                },
            }
        })
        .collect()
}

fn summarize(op: Op, measured: &[Measurement], samples: &[Vec<Sample>]) -> OpSummary {
    let seconds_of = |way| measured.iter().find(|m| m.way == way).map(|m| m.seconds);
    let mmap_vs_buffered = ratio(seconds_of(Way::Buffered), seconds_of(Way::Mmap));
    let pread_vs_buffered = ratio(seconds_of(Way::Buffered), seconds_of(Way::Pread));
    let advise_vs_mmap = ratio(seconds_of(Way::Mmap), seconds_of(Way::MmapAdvised));
    let digests: Vec<&Digest> = samples
        .iter()
        .flatten()
        .map(|s| &s.outcome.digest)
        .collect();
    let ways_agree = match digests.first() {
        Some(Digest::Written) | None => None,
        Some(first) => Some(digests.iter().all(|digest| digest == first)),
    };
    let mut verdict = match (mmap_vs_buffered, seconds_of(Way::Pread)) {
        (Some(speedup), _) => speed_words(speedup, "buffered"),
        (None, Some(_)) => {
            let versus = ratio(seconds_of(Way::Pread), seconds_of(Way::Mmap)).unwrap_or(0.0);
            speed_words(versus, "pread")
        }
        (None, None) => "mmap only".to_string(),
    };
    if let Some(pread) = pread_vs_buffered {
        verdict.push_str(&format!("; pread {}x", times(pread)));
    }
    if let Some(advised) = advise_vs_mmap {
        verdict.push_str(&format!("; madvise hints {advised:.2}x vs plain mmap"));
    }
    if ways_agree == Some(false) {
        verdict.push_str("; WARNING: the ways read different bytes");
    }
    OpSummary {
        op,
        mmap_vs_buffered,
        pread_vs_buffered,
        advise_vs_mmap,
        ways_agree,
        verdict,
    }
}

/// `mmap 2.1x faster than buffered`, `mmap 0.6x: slower than buffered`, or about the same
/// within 5%.
fn speed_words(speedup: f64, versus: &str) -> String {
    if speedup >= 1.05 {
        format!("mmap {}x faster than {versus}", times(speedup))
    } else if speedup <= 0.95 {
        format!("mmap {}x: slower than {versus}", times(speedup))
    } else {
        format!("mmap {speedup:.2}x: about the same as {versus}")
    }
}

/// A ratio with one decimal, or two below 0.1 (so 0.05 does not read as 0.0).
fn times(ratio: f64) -> String {
    if ratio < 0.095 {
        format!("{ratio:.2}")
    } else {
        format!("{ratio:.1}")
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod verdict_tests {
    use super::*;

    #[test]
    fn verdicts_say_faster_slower_or_the_same() {
        assert_eq!(
            speed_words(2.14, "buffered"),
            "mmap 2.1x faster than buffered"
        );
        assert_eq!(
            speed_words(0.6, "buffered"),
            "mmap 0.6x: slower than buffered"
        );
        assert_eq!(
            speed_words(0.05, "buffered"),
            "mmap 0.05x: slower than buffered"
        );
        assert_eq!(
            speed_words(1.02, "pread"),
            "mmap 1.02x: about the same as pread"
        );
    }
}
