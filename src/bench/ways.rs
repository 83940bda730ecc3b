//! Each operation done each way, once. The callers time these calls; the functions time
//! only single operations (for latency percentiles) and report progress.
//!
//! The ways, as a program would naturally write them:
//!
//! | way      | sequential read, search        | random 4 KiB read       | sequential write              | random 4 KiB update        |
//! |----------|--------------------------------|-------------------------|-------------------------------|----------------------------|
//! | mmap     | read the map in 1 MiB slices   | read 4 KiB of the map   | copy into the map, `msync`    | copy into the map, `msync` |
//! | buffered | `BufReader` (64 KiB) `fill_buf`| `seek` + `read_exact`   | 4 KiB records into a 64 KiB `BufWriter`, `fdatasync` | `seek` + `write_all`, `fdatasync` |
//! | pread    | `read_at` 64 KiB               | `read_at` 4 KiB         | `write_at` 64 KiB, `fdatasync`| `write_at` 4 KiB, `fdatasync` |
//!
//! Maps are made and dropped inside each call: mapping and unmapping are part of the cost of
//! reading through a map. `msync(MS_SYNC)` syncs data the way `fdatasync` does, so the writes
//! of all three ways end with the same durability.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use memmap2::Advice;
use xxhash_rust::xxh3::{Xxh3Default, xxh3_64};

use crate::error::{Error, IoContext, Result};

use super::layout::Source;
use super::search::StreamSearcher;
use super::sys;
use super::{BLOCK_SIZE, BUFFER_SIZE, Progress, Way};

/// Sizes of the pieces each way moves; tests shrink them to odd values to exercise every
/// boundary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geometry {
    /// Capacity of `BufReader`/`BufWriter` and the chunk of `read_at`/`write_at`.
    pub buffer: usize,
    /// The record size fed to `BufWriter` by the sequential write.
    pub record: usize,
    /// The slice of a map handled between progress reports.
    pub slice: usize,
}

impl Geometry {
    pub(crate) const DEFAULT: Geometry = Geometry {
        buffer: BUFFER_SIZE,
        record: BLOCK_SIZE,
        slice: 1 << 20,
    };
}

/// The file an operation works on.
#[derive(Clone, Copy)]
pub(crate) struct Target<'a> {
    pub file: &'a File,
    pub path: &'a Path,
    /// The file's length; maps cover exactly this much.
    pub len: usize,
}

impl Target<'_> {
    fn failed(&self, what: &str) -> impl FnOnce() -> String + '_ {
        let what = what.to_string();
        move || format!("cannot {what} {}", self.path.display())
    }
}

/// What one operation produced, for comparing the ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Digest {
    /// A hash of every byte read, in order.
    Checksum(u64),
    /// File offsets of the pattern's matches.
    Matches(Vec<u64>),
    /// Writes produce nothing to compare; the file's bytes are compared by the tests.
    Written,
}

pub(crate) struct Outcome {
    pub digest: Digest,
    /// Nanoseconds per operation, for the random operations.
    pub latencies_ns: Vec<u64>,
}

impl Outcome {
    fn digest(digest: Digest) -> Self {
        Outcome {
            digest,
            latencies_ns: Vec::new(),
        }
    }
}

/// Reports progress in batches and checks the stop flag between them.
pub(crate) struct Ticker<'a> {
    progress: &'a mut dyn Progress,
    stop: &'a AtomicUsize,
    pending: u64,
    every: u64,
}

impl<'a> Ticker<'a> {
    /// Reports every `every` units (bytes or operations).
    pub(crate) fn new(progress: &'a mut dyn Progress, stop: &'a AtomicUsize, every: u64) -> Self {
        Ticker {
            progress,
            stop,
            pending: 0,
            every: every.max(1),
        }
    }

    pub(crate) fn add(&mut self, done: u64) -> Result<()> {
        self.pending += done;
        if self.pending >= self.every {
            self.flush()
        } else {
            Ok(())
        }
    }

    pub(crate) fn flush(&mut self) -> Result<()> {
        if self.pending > 0 {
            self.progress.advance(self.pending);
            self.pending = 0;
        }
        self.check()
    }

    pub(crate) fn check(&self) -> Result<()> {
        match self.stop.load(Ordering::Relaxed) {
            0 => Ok(()),
            signal => Err(Error::Interrupted {
                signal: i32::try_from(signal).unwrap_or(2),
            }),
        }
    }
}

fn advise(map: &memmap2::Mmap, advice: &[Advice], target: &Target<'_>) -> Result<()> {
    for &one in advice {
        map.advise(one)
            .context(target.failed("madvise the map of"))?;
    }
    Ok(())
}

fn elapsed_ns(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Folds per-operation hashes in order, so a different order gives a different checksum.
fn fold(accumulator: u64, hash: u64) -> u64 {
    (accumulator ^ hash)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17)
}

/// Reads the whole file in order, hashing every byte.
pub(crate) fn sequential_read(
    way: Way,
    target: Target<'_>,
    geometry: Geometry,
    ticker: &mut Ticker<'_>,
) -> Result<Outcome> {
    let mut hasher = Xxh3Default::new();
    scan(way, target, geometry, ticker, |chunk| hasher.update(chunk))?;
    Ok(Outcome::digest(Digest::Checksum(hasher.digest())))
}

/// Finds every occurrence of `pattern` in the file.
pub(crate) fn search(
    way: Way,
    target: Target<'_>,
    pattern: &[u8],
    geometry: Geometry,
    ticker: &mut Ticker<'_>,
) -> Result<Outcome> {
    let mut searcher = StreamSearcher::new(pattern);
    let mut matches = Vec::new();
    scan(way, target, geometry, ticker, |chunk| {
        searcher.feed(chunk, &mut matches)
    })?;
    Ok(Outcome::digest(Digest::Matches(matches)))
}

/// Hands the file's bytes, in order, to `consume`, in the pieces the way naturally yields.
fn scan(
    way: Way,
    target: Target<'_>,
    geometry: Geometry,
    ticker: &mut Ticker<'_>,
    mut consume: impl FnMut(&[u8]),
) -> Result<()> {
    match way {
        Way::Mmap | Way::MmapAdvised => {
            let map = sys::map_read(target.file, target.len).context(target.failed("map"))?;
            if way == Way::MmapAdvised {
                // Not WILLNEED as well: alone it changed nothing here, and together with
                // SEQUENTIAL it made cold scans 2.3x slower on Linux 6.18 (docs/BENCH.md).
                advise(&map, &[Advice::Sequential], &target)?;
            }
            for slice in map.chunks(geometry.slice) {
                consume(slice);
                ticker.add(slice.len() as u64)?;
            }
        }
        Way::Buffered => {
            let mut reader = BufReader::with_capacity(geometry.buffer, target.file);
            reader
                .seek(SeekFrom::Start(0))
                .context(target.failed("seek in"))?;
            let mut left = target.len;
            while left > 0 {
                let chunk = reader.fill_buf().context(target.failed("read"))?;
                if chunk.is_empty() {
                    return Err(Error::io(
                        format!("cannot read {}", target.path.display()),
                        std::io::ErrorKind::UnexpectedEof.into(),
                    ));
                }
                let len = chunk.len().min(left);
                consume(&chunk[..len]);
                reader.consume(len);
                left -= len;
                ticker.add(len as u64)?;
            }
        }
        Way::Pread => {
            let mut buffer = vec![0u8; geometry.buffer];
            let mut offset = 0;
            while offset < target.len {
                let len = buffer.len().min(target.len - offset);
                target
                    .file
                    .read_exact_at(&mut buffer[..len], offset as u64)
                    .context(target.failed("read"))?;
                consume(&buffer[..len]);
                offset += len;
                ticker.add(len as u64)?;
            }
        }
    }
    ticker.flush()
}

/// Reads each `(offset, len)` range, hashing its bytes and timing each read. The ranges must
/// lie within the file.
pub(crate) fn read_ranges(
    way: Way,
    target: Target<'_>,
    ranges: &[(u64, usize)],
    geometry: Geometry,
    ticker: &mut Ticker<'_>,
) -> Result<Outcome> {
    let mut latencies_ns = Vec::with_capacity(ranges.len());
    let mut checksum = 0u64;
    match way {
        Way::Mmap | Way::MmapAdvised => {
            let map = sys::map_read(target.file, target.len).context(target.failed("map"))?;
            if way == Way::MmapAdvised {
                advise(&map, &[Advice::Random], &target)?;
            }
            for &(offset, len) in ranges {
                let start = Instant::now();
                let offset = offset as usize;
                checksum = fold(checksum, xxh3_64(&map[offset..offset + len]));
                latencies_ns.push(elapsed_ns(start));
                ticker.add(1)?;
            }
        }
        Way::Buffered => {
            let longest = ranges.iter().map(|&(_, len)| len).max().unwrap_or(0);
            let mut buffer = vec![0u8; longest];
            let mut reader = BufReader::with_capacity(geometry.buffer, target.file);
            for &(offset, len) in ranges {
                let start = Instant::now();
                reader
                    .seek(SeekFrom::Start(offset))
                    .context(target.failed("seek in"))?;
                reader
                    .read_exact(&mut buffer[..len])
                    .context(target.failed("read"))?;
                checksum = fold(checksum, xxh3_64(&buffer[..len]));
                latencies_ns.push(elapsed_ns(start));
                ticker.add(1)?;
            }
        }
        Way::Pread => {
            let longest = ranges.iter().map(|&(_, len)| len).max().unwrap_or(0);
            let mut buffer = vec![0u8; longest];
            for &(offset, len) in ranges {
                let start = Instant::now();
                target
                    .file
                    .read_exact_at(&mut buffer[..len], offset)
                    .context(target.failed("read"))?;
                checksum = fold(checksum, xxh3_64(&buffer[..len]));
                latencies_ns.push(elapsed_ns(start));
                ticker.add(1)?;
            }
        }
    }
    ticker.flush()?;
    Ok(Outcome {
        digest: Digest::Checksum(checksum),
        latencies_ns,
    })
}

/// Overwrites the whole file with the source's bytes and makes them durable.
pub(crate) fn sequential_write(
    way: Way,
    target: Target<'_>,
    source: &Source,
    geometry: Geometry,
    ticker: &mut Ticker<'_>,
) -> Result<Outcome> {
    match way {
        Way::Mmap | Way::MmapAdvised => {
            let mut map = sys::map_write(target.file, target.len).context(target.failed("map"))?;
            if way == Way::MmapAdvised {
                map.advise(Advice::Sequential)
                    .context(target.failed("madvise the map of"))?;
            }
            let mut offset = 0u64;
            for slice in map.chunks_mut(geometry.slice) {
                source.copy_into(offset, slice);
                offset += slice.len() as u64;
                ticker.add(slice.len() as u64)?;
            }
            map.flush().context(target.failed("msync"))?;
        }
        Way::Buffered => {
            (&*target.file)
                .seek(SeekFrom::Start(0))
                .context(target.failed("seek in"))?;
            let mut writer = BufWriter::with_capacity(geometry.buffer, target.file);
            let mut offset = 0;
            while offset < target.len {
                let len = geometry.record.min(target.len - offset);
                for piece in source.pieces(offset as u64, len) {
                    writer.write_all(piece).context(target.failed("write"))?;
                }
                offset += len;
                ticker.add(len as u64)?;
            }
            writer.flush().context(target.failed("write"))?;
            drop(writer);
            target
                .file
                .sync_data()
                .context(target.failed("fdatasync"))?;
        }
        Way::Pread => {
            let mut offset = 0;
            while offset < target.len {
                let len = geometry.buffer.min(target.len - offset);
                let mut at = offset as u64;
                for piece in source.pieces(at, len) {
                    target
                        .file
                        .write_all_at(piece, at)
                        .context(target.failed("write"))?;
                    at += piece.len() as u64;
                }
                offset += len;
                ticker.add(len as u64)?;
            }
            target
                .file
                .sync_data()
                .context(target.failed("fdatasync"))?;
        }
    }
    ticker.flush()?;
    Ok(Outcome::digest(Digest::Written))
}

/// Writes the source's `i`-th 4 KiB block at `offsets[i]`, for every `i`, timing each write,
/// then makes them durable. The offsets must leave room for 4 KiB before the end.
pub(crate) fn update_blocks(
    way: Way,
    target: Target<'_>,
    offsets: &[u64],
    source: &Source,
    geometry: Geometry,
    ticker: &mut Ticker<'_>,
) -> Result<Outcome> {
    let mut latencies_ns = Vec::with_capacity(offsets.len());
    match way {
        Way::Mmap | Way::MmapAdvised => {
            let mut map = sys::map_write(target.file, target.len).context(target.failed("map"))?;
            if way == Way::MmapAdvised {
                map.advise(Advice::Random)
                    .context(target.failed("madvise the map of"))?;
            }
            for (index, &offset) in offsets.iter().enumerate() {
                let start = Instant::now();
                let offset = offset as usize;
                map[offset..offset + BLOCK_SIZE].copy_from_slice(source.block(index));
                latencies_ns.push(elapsed_ns(start));
                ticker.add(1)?;
            }
            map.flush().context(target.failed("msync"))?;
        }
        Way::Buffered => {
            let mut writer = BufWriter::with_capacity(geometry.buffer, target.file);
            for (index, &offset) in offsets.iter().enumerate() {
                let start = Instant::now();
                writer
                    .seek(SeekFrom::Start(offset))
                    .context(target.failed("seek in"))?;
                writer
                    .write_all(source.block(index))
                    .context(target.failed("write"))?;
                latencies_ns.push(elapsed_ns(start));
                ticker.add(1)?;
            }
            writer.flush().context(target.failed("write"))?;
            drop(writer);
            target
                .file
                .sync_data()
                .context(target.failed("fdatasync"))?;
        }
        Way::Pread => {
            for (index, &offset) in offsets.iter().enumerate() {
                let start = Instant::now();
                target
                    .file
                    .write_all_at(source.block(index), offset)
                    .context(target.failed("write"))?;
                latencies_ns.push(elapsed_ns(start));
                ticker.add(1)?;
            }
            target
                .file
                .sync_data()
                .context(target.failed("fdatasync"))?;
        }
    }
    ticker.flush()?;
    Ok(Outcome {
        digest: Digest::Written,
        latencies_ns,
    })
}

/// Reads the file once, untimed, so a warm measurement finds it in the page cache.
pub(crate) fn warm_up(target: Target<'_>) -> Result<()> {
    let mut buffer = vec![0u8; 1 << 20];
    let mut offset = 0;
    while offset < target.len {
        let len = buffer.len().min(target.len - offset);
        target
            .file
            .read_exact_at(&mut buffer[..len], offset as u64)
            .context(target.failed("read"))?;
        offset += len;
    }
    Ok(())
}
