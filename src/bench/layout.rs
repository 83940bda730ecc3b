//! What the bench file holds and where the bench looks in it, all derived from the seed:
//! a 1 MiB block of random bytes repeated to the file's size, the search pattern planted at
//! known offsets (many of them straddling 64 KiB buffer boundaries), near-miss decoys that
//! must not match, and the offsets of the random reads and updates.

use super::rng::SplitMix64;
use super::{BLOCK_SIZE, BUFFER_SIZE, PATTERN};

/// Length of the repeated block of random bytes; a multiple of [`BLOCK_SIZE`].
pub(crate) const SOURCE_LEN: usize = 1 << 20;

/// The bytes every write writes: `SOURCE_LEN` random bytes, repeated. The byte at file
/// offset `o` is `source[o % SOURCE_LEN]`, so writes need no generator in the timed loop.
pub(crate) struct Source {
    bytes: Vec<u8>,
}

impl Source {
    pub(crate) fn new(seed: u64) -> Self {
        let mut bytes = vec![0u8; SOURCE_LEN];
        SplitMix64::new(seed).fill(&mut bytes);
        Source { bytes }
    }

    /// The bytes of file range `offset..offset + len`, as contiguous pieces of the block.
    pub(crate) fn pieces(&self, offset: u64, len: usize) -> impl Iterator<Item = &[u8]> {
        let mut at = (offset % SOURCE_LEN as u64) as usize;
        let mut left = len;
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            let take = left.min(SOURCE_LEN - at);
            let piece = &self.bytes[at..at + take];
            at = (at + take) % SOURCE_LEN;
            left -= take;
            Some(piece)
        })
    }

    /// Copies the bytes of file range `offset..offset + dst.len()` into `dst`.
    pub(crate) fn copy_into(&self, offset: u64, dst: &mut [u8]) {
        let mut filled = 0;
        for piece in self.pieces(offset, dst.len()) {
            dst[filled..filled + piece.len()].copy_from_slice(piece);
            filled += piece.len();
        }
    }

    /// The 4 KiB written by the `index`-th random update.
    pub(crate) fn block(&self, index: usize) -> &[u8] {
        let start = (index * BLOCK_SIZE) % SOURCE_LEN;
        &self.bytes[start..start + BLOCK_SIZE]
    }
}

/// The whole plan of one bench file.
pub(crate) struct Layout {
    pub size: usize,
    pub source: Source,
    /// Offsets where [`PATTERN`] is planted: what every search must find, no more.
    pub planted: Vec<u64>,
    /// Offsets of the pattern with its last byte changed: what no search may find.
    pub decoys: Vec<u64>,
    /// The random reads: 4 KiB-aligned (offset, length) pairs.
    pub reads: Vec<(u64, usize)>,
    /// The random updates: 4 KiB-aligned offsets.
    pub updates: Vec<u64>,
}

impl Layout {
    /// `size` must hold at least one 4 KiB block and the pattern.
    pub(crate) fn new(size: usize, seed: u64, random_ops: usize) -> Self {
        assert!(size >= BLOCK_SIZE && size >= PATTERN.len());
        let (planted, decoys) = needle_positions(size, PATTERN.len());
        let blocks = (size / BLOCK_SIZE) as u64;
        let mut rng = SplitMix64::new(seed ^ 0xA5A5_5A5A_0F0F_F0F0);
        let reads = (0..random_ops)
            .map(|_| (rng.below(blocks) * BLOCK_SIZE as u64, BLOCK_SIZE))
            .collect();
        let updates = (0..random_ops)
            .map(|_| rng.below(blocks) * BLOCK_SIZE as u64)
            .collect();
        Layout {
            size,
            source: Source::new(seed),
            planted,
            decoys,
            reads,
            updates,
        }
    }

    /// The initial bytes of file range `offset..offset + dst.len()`: the source with the
    /// pattern and the decoys written over it.
    pub(crate) fn initial_bytes(&self, offset: u64, dst: &mut [u8]) {
        self.source.copy_into(offset, dst);
        let mut decoy = PATTERN.to_vec();
        *decoy.last_mut().expect("the pattern is not empty") ^= 0xFF;
        let end = offset + dst.len() as u64;
        let plant = |dst: &mut [u8], at: u64, bytes: &[u8]| {
            let from = at.max(offset);
            let to = (at + bytes.len() as u64).min(end);
            if from < to {
                dst[(from - offset) as usize..(to - offset) as usize]
                    .copy_from_slice(&bytes[(from - at) as usize..(to - at) as usize]);
            }
        };
        for &at in &self.planted {
            plant(dst, at, PATTERN);
        }
        for &at in &self.decoys {
            plant(dst, at, &decoy);
        }
    }
}

/// Where to plant the pattern and the decoys: at the start and the end of the file, and
/// spread over it, most of them 7 bytes before a 64 KiB boundary so that they straddle the
/// buffers of the buffered and pread ways. No two overlap.
fn needle_positions(size: usize, pattern_len: usize) -> (Vec<u64>, Vec<u64>) {
    let count = (size >> 20).clamp(4, 1024);
    let stride = size / count;
    let mut wanted: Vec<(usize, bool)> = vec![(0, true), (size - pattern_len, true)];
    for i in 1..count {
        let boundary = i * stride / BUFFER_SIZE * BUFFER_SIZE;
        if boundary >= 7 {
            wanted.push((boundary - 7, true));
        }
        wanted.push((i * stride + stride / 2 - 3, false));
    }
    // Real matches first at equal offsets, so a decoy never displaces one.
    wanted.sort_by_key(|&(at, is_pattern)| (at, !is_pattern));
    let (mut planted, mut decoys) = (Vec::new(), Vec::new());
    let mut free_from = 0;
    for (at, is_pattern) in wanted {
        if at < free_from || at + pattern_len > size {
            continue;
        }
        free_from = at + pattern_len;
        if is_pattern {
            planted.push(at as u64)
        } else {
            decoys.push(at as u64)
        }
    }
    (planted, decoys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_wrap_around_the_source_block() {
        let source = Source::new(1);
        let lens: Vec<usize> = source
            .pieces(SOURCE_LEN as u64 - 10, 30)
            .map(<[u8]>::len)
            .collect();
        assert_eq!(lens, vec![10, 20]);
        let mut bytes = [0u8; 30];
        source.copy_into(SOURCE_LEN as u64 - 10, &mut bytes);
        assert_eq!(bytes[10..], source.bytes[..20]);
    }

    #[test]
    fn needles_do_not_overlap_and_include_both_ends() {
        for size in [4096, 65536, 100_000, 8 << 20, (8 << 20) + 5] {
            let (planted, decoys) = needle_positions(size, PATTERN.len());
            assert_eq!(planted[0], 0);
            assert_eq!(*planted.last().unwrap(), (size - PATTERN.len()) as u64);
            let mut all: Vec<u64> = planted.iter().chain(&decoys).copied().collect();
            all.sort_unstable();
            assert!(
                all.windows(2)
                    .all(|pair| pair[1] >= pair[0] + PATTERN.len() as u64)
            );
        }
        let (planted, _) = needle_positions(8 << 20, PATTERN.len());
        let straddling = planted
            .iter()
            .filter(|&&at| at % BUFFER_SIZE as u64 > (BUFFER_SIZE - PATTERN.len()) as u64)
            .count();
        assert!(straddling >= 4, "{planted:?}");
    }
}
