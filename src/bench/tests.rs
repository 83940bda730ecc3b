//! Every operation, every way, the same answer: the same bytes read, the same matches found,
//! the same bytes left in the file. Run with the real geometry and with odd buffer sizes
//! that put every boundary somewhere awkward.

use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicUsize;

use xxhash_rust::xxh3::xxh3_64;

use super::layout::{Layout, SOURCE_LEN};
use super::ways::{self, Digest, Geometry, Target, Ticker};
use super::*;

/// Past one source block, not a multiple of 4 KiB or of any buffer.
const SIZE: usize = SOURCE_LEN + 12_345;

const GEOMETRIES: [Geometry; 3] = [
    Geometry::DEFAULT,
    Geometry {
        buffer: 7,
        record: 5,
        slice: 13,
    },
    Geometry {
        buffer: BLOCK_SIZE + 3,
        record: 1000,
        slice: BUFFER_SIZE - 1,
    },
];

const ALL_WAYS: [Way; 4] = [Way::Mmap, Way::MmapAdvised, Way::Buffered, Way::Pread];

fn initial_bytes(layout: &Layout) -> Vec<u8> {
    let mut bytes = vec![0u8; layout.size];
    layout.initial_bytes(0, &mut bytes);
    bytes
}

fn file_with(dir: &Path, name: &str, bytes: &[u8]) -> (std::path::PathBuf, File) {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    (path, file)
}

/// Runs `call` with a ticker that ignores progress and is never stopped.
fn with_ticker<T>(call: impl FnOnce(&mut Ticker<'_>) -> T) -> T {
    let stop = AtomicUsize::new(0);
    let mut progress = NoProgress;
    let mut ticker = Ticker::new(&mut progress, &stop, 1 << 20);
    call(&mut ticker)
}

#[test]
fn every_way_reads_the_same_bytes_sequentially() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(SIZE, 1, 64);
    let bytes = initial_bytes(&layout);
    let (path, file) = file_with(dir.path(), "seq", &bytes);
    let target = Target {
        file: &file,
        path: &path,
        len: SIZE,
    };
    let expected = Digest::Checksum(xxh3_64(&bytes));
    for geometry in GEOMETRIES {
        for way in ALL_WAYS {
            let outcome = with_ticker(|t| ways::sequential_read(way, target, geometry, t)).unwrap();
            assert_eq!(outcome.digest, expected, "{way:?} {geometry:?}");
        }
    }
}

#[test]
fn every_way_finds_exactly_the_planted_matches_including_straddling_ones() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(SIZE, 2, 64);
    let bytes = initial_bytes(&layout);
    let (path, file) = file_with(dir.path(), "search", &bytes);
    let target = Target {
        file: &file,
        path: &path,
        len: SIZE,
    };
    assert!(layout.planted.len() >= 4 && !layout.decoys.is_empty());
    // The planted matches straddle 64 KiB buffers; with the odd geometries, everything does.
    assert!(
        layout
            .planted
            .iter()
            .any(|&at| at % BUFFER_SIZE as u64 > BUFFER_SIZE as u64 - 17)
    );
    for geometry in GEOMETRIES {
        for way in ALL_WAYS {
            let outcome = with_ticker(|t| ways::search(way, target, PATTERN, geometry, t)).unwrap();
            assert_eq!(
                outcome.digest,
                Digest::Matches(layout.planted.clone()),
                "{way:?}"
            );
        }
    }
}

#[test]
fn every_way_reads_the_same_random_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(SIZE, 3, 500);
    let bytes = initial_bytes(&layout);
    let (path, file) = file_with(dir.path(), "random", &bytes);
    let target = Target {
        file: &file,
        path: &path,
        len: SIZE,
    };
    let mut digests = Vec::new();
    for geometry in GEOMETRIES {
        for way in ALL_WAYS {
            let outcome =
                with_ticker(|t| ways::read_ranges(way, target, &layout.reads, geometry, t))
                    .unwrap();
            assert_eq!(outcome.latencies_ns.len(), layout.reads.len());
            digests.push(outcome.digest);
        }
    }
    assert!(
        digests.windows(2).all(|pair| pair[0] == pair[1]),
        "{digests:?}"
    );
    // And the checksum covers the bytes: a different read set gives a different one.
    let other = Layout::new(SIZE, 4, 500);
    let outcome =
        with_ticker(|t| ways::read_ranges(Way::Pread, target, &other.reads, Geometry::DEFAULT, t))
            .unwrap();
    assert_ne!(outcome.digest, digests[0]);
}

#[test]
fn every_way_writes_the_same_bytes_sequentially() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(SIZE, 5, 64);
    let mut expected = vec![0u8; SIZE];
    layout.source.copy_into(0, &mut expected);
    for geometry in GEOMETRIES {
        for way in ALL_WAYS {
            let (path, file) = file_with(dir.path(), "write", &vec![0u8; SIZE]);
            let target = Target {
                file: &file,
                path: &path,
                len: SIZE,
            };
            with_ticker(|t| ways::sequential_write(way, target, &layout.source, geometry, t))
                .unwrap();
            drop(file);
            assert!(fs::read(&path).unwrap() == expected, "{way:?} {geometry:?}");
        }
    }
}

#[test]
fn every_way_updates_the_same_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(SIZE, 6, 700);
    let initial = initial_bytes(&layout);
    let mut expected = initial.clone();
    for (index, &offset) in layout.updates.iter().enumerate() {
        let offset = offset as usize;
        expected[offset..offset + BLOCK_SIZE].copy_from_slice(layout.source.block(index));
    }
    assert_ne!(expected, initial);
    for geometry in GEOMETRIES {
        for way in ALL_WAYS {
            let (path, file) = file_with(dir.path(), "update", &initial);
            let target = Target {
                file: &file,
                path: &path,
                len: SIZE,
            };
            let outcome = with_ticker(|t| {
                ways::update_blocks(way, target, &layout.updates, &layout.source, geometry, t)
            })
            .unwrap();
            assert_eq!(outcome.latencies_ns.len(), layout.updates.len());
            drop(file);
            assert!(fs::read(&path).unwrap() == expected, "{way:?} {geometry:?}");
        }
    }
}

fn small_params(dir: &Path) -> Params {
    Params {
        size: 3 << 20,
        dir: dir.to_path_buf(),
        repeat: 2,
        cold: false,
        advise: true,
        random_ops: Some(300),
        seed: 9,
    }
}

fn entries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_run_measures_everything_agrees_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let stop = AtomicUsize::new(0);
    let report = run(&small_params(dir.path()), &mut NoProgress, &stop).unwrap();
    assert_eq!(report.results.len(), Op::ALL.len() * 4);
    for measurement in &report.results {
        assert!(
            measurement.seconds > 0.0 && measurement.bytes_per_s > 0.0,
            "{measurement:?}"
        );
        assert_eq!(measurement.samples.len(), 2);
        assert_eq!(measurement.op.is_random(), measurement.p99_us.is_some());
        if measurement.op == Op::Search {
            assert_eq!(
                measurement.matches,
                Some(report.params.planted_matches as u64)
            );
        }
    }
    for summary in &report.summary {
        assert_ne!(summary.ways_agree, Some(false), "{summary:?}");
        assert!(summary.verdict.starts_with("mmap "), "{}", summary.verdict);
    }
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[test]
fn a_cold_run_evicts_and_says_how_much_stayed() {
    let dir = tempfile::tempdir().unwrap();
    let params = Params {
        cold: true,
        advise: false,
        repeat: 1,
        ..small_params(dir.path())
    };
    let report = run(&params, &mut NoProgress, &AtomicUsize::new(0)).unwrap();
    assert_eq!(report.params.cache, "cold");
    assert!(report.params.eviction.is_some());
    assert_eq!(report.results.len(), Op::ALL.len() * 3);
    assert!(entries(dir.path()).is_empty());
}

/// Sets the stop flag the first time progress advances in the given stage.
struct StopAt<'a> {
    stage: Stage,
    current: Option<Stage>,
    stop: &'a AtomicUsize,
}

impl Progress for StopAt<'_> {
    fn begin(&mut self, stage: Stage, _total: u64) {
        self.current = Some(stage);
    }
    fn advance(&mut self, _done: u64) {
        if self.current == Some(self.stage) {
            self.stop.store(15, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

#[test]
fn a_stopped_run_returns_interrupted_with_the_signal_and_removes_its_file() {
    for stage in [
        Stage::Prepare,
        Stage::Measure(Op::Search),
        Stage::Measure(Op::RandomUpdate),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let stop = AtomicUsize::new(0);
        let mut progress = StopAt {
            stage,
            current: None,
            stop: &stop,
        };
        let error = run(&small_params(dir.path()), &mut progress, &stop).unwrap_err();
        assert!(
            matches!(error, Error::Interrupted { signal: 15 }),
            "{stage:?}: {error}"
        );
        assert!(entries(dir.path()).is_empty(), "{stage:?}");
    }
}

#[test]
fn a_missing_dir_is_an_io_error_that_says_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let params = Params {
        dir: missing.clone(),
        ..small_params(dir.path())
    };
    let error = run(&params, &mut NoProgress, &AtomicUsize::new(0)).unwrap_err();
    assert!(matches!(error, Error::Io { .. }));
    assert!(
        error
            .to_string()
            .starts_with("cannot create the bench file in"),
        "{error}"
    );
}

#[test]
fn ranges_are_timed_through_the_map_and_pread_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(SIZE, 7, 10);
    let (path, file) = file_with(dir.path(), "store-body", &initial_bytes(&layout));
    drop(file);
    let ranges = [(0, 10), (12_345, 70_000), (SIZE as u64 - 1, 1), (500, 0)];
    let options = RangeOptions {
        repeat: 2,
        cold: false,
        advise: true,
    };
    let report = time_ranges(
        &path,
        &ranges,
        &options,
        &mut NoProgress,
        &AtomicUsize::new(0),
    )
    .unwrap();
    assert!(report.ways_agree);
    assert!(report.mmap_vs_pread > 0.0 && report.advise_vs_mmap.is_some());
    let ways: Vec<Way> = report.results.iter().map(|m| m.way).collect();
    assert_eq!(ways, vec![Way::Mmap, Way::Pread, Way::MmapAdvised]);
    assert!(
        report
            .results
            .iter()
            .all(|m| m.bytes == 70_011 && m.ops == Some(4))
    );

    let beyond = [(SIZE as u64 - 1, 2)];
    let error = time_ranges(
        &path,
        &beyond,
        &options,
        &mut NoProgress,
        &AtomicUsize::new(0),
    );
    assert!(matches!(error, Err(Error::BadInput { .. })));
}
