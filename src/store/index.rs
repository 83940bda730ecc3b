//! The on-disk key index: an open-addressing hash table with linear probing, one 8-byte slot
//! per lookup entry (records and tombstones alike), so a key is found without reading the
//! lookup table at open.
//!
//! A slot is `0` (empty) or `tag << 40 | (entry + 1)`: the entry number in the low 40 bits
//! and 24 bits of the key hash as a tag that rules out most wrong candidates without
//! touching the body. A key may own several slots (it was replaced or deleted); the newest
//! entry wins. Slots only go from empty to filled while readers may look, so a reader
//! ignores slots whose entry is at or past its commit point and keeps probing past them.
//! The table never runs fuller than 3/4: the writer moves to a table twice the size first.

/// Smallest table, in slots.
pub const MIN_CAPACITY: u64 = 1024;

/// Entry numbers must fit the 40-bit field (with room for the +1).
pub const MAX_ENTRIES: u64 = (1 << 40) - 2;

const ENTRY_BITS: u32 = 40;
const ENTRY_MASK: u64 = (1 << ENTRY_BITS) - 1;

/// The capacity (a power of two) for a table holding `entries` slots at most 3/4 full.
pub fn capacity_for(entries: u64) -> u64 {
    let needed = entries.saturating_mul(4).div_ceil(3).max(MIN_CAPACITY);
    needed.checked_next_power_of_two().unwrap_or(1 << 62)
}

/// Whether a header's capacity can be a table's: a power of two within bounds.
pub fn valid_capacity(capacity: u64) -> bool {
    capacity.is_power_of_two() && (MIN_CAPACITY..=1 << 40).contains(&capacity)
}

/// Whether a table of `capacity` slots may take one more.
pub fn has_room(capacity: u64, used: u64) -> bool {
    (used + 1) * 4 <= capacity * 3
}

/// The slot where probing for a key with this hash starts.
pub fn home(hash32: u32, capacity: u64) -> u64 {
    // The entry stores only 32 bits of the hash; remix them so that tables larger than the
    // low bits alone would fill still spread.
    let mut x = hash32 as u64;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    x & (capacity - 1)
}

/// The tag kept in a slot for this hash.
pub fn tag(hash32: u32) -> u64 {
    (hash32 >> 8) as u64
}

/// Encodes a slot.
pub fn slot(hash32: u32, entry: u64) -> u64 {
    tag(hash32) << ENTRY_BITS | (entry + 1)
}

/// The entry a filled slot points to, or `None` for an empty one.
pub fn slot_entry(slot: u64) -> Option<u64> {
    match slot & ENTRY_MASK {
        0 => None,
        n => Some(n - 1),
    }
}

/// The tag of a slot.
pub fn slot_tag(slot: u64) -> u64 {
    slot >> ENTRY_BITS
}

/// Slots built in memory at a time by [`build`]: 8 MiB.
const BUILD_PART: u64 = 1 << 20;

/// Writes a table of `capacity` slots for `entries` entries into `out` (which reads as all
/// empty slots), one part of the table at a time: each part is filled in a buffer from a pass
/// over the entries' hashes, then written with one `pwrite`. Memory stays at one part however
/// large the table, and nothing is mapped. `hashes(start, out)` fills `out` with the key
/// hashes of entries `start..` (as many as fit, never past `entries`).
///
/// Linear probing accepts any insertion order, so an entry whose probe runs past the end of
/// its part is carried into the start of the next (and from the last part round to the first).
pub fn build(
    out: &std::fs::File,
    capacity: u64,
    entries: u64,
    hashes: &mut dyn FnMut(u64, &mut [u32]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    build_in_parts(out, capacity, entries, BUILD_PART, hashes)
}

fn build_in_parts(
    out: &std::fs::File,
    capacity: u64,
    entries: u64,
    part: u64,
    hashes: &mut dyn FnMut(u64, &mut [u32]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    use zerocopy::IntoBytes;
    let part = capacity.min(part);
    let mut slots = vec![0u64; part as usize];
    let mut chunk = vec![0u32; 64 * 1024];
    let mut carried: Vec<(u32, u64)> = Vec::new();
    let mut next_carried: Vec<(u32, u64)> = Vec::new();
    // Places (hash, entry) at the first empty slot from `from`; `false` if it runs off the end.
    let place = |slots: &mut [u64], from: u64, hash32: u32, entry: u64| -> bool {
        match slots[from as usize..]
            .iter_mut()
            .find(|s| slot_entry(**s).is_none())
        {
            Some(free) => {
                *free = slot(hash32, entry);
                true
            }
            None => false,
        }
    };
    for first in (0..capacity).step_by(part as usize) {
        slots.fill(0);
        let mut placed = !carried.is_empty();
        for (hash32, entry) in carried.drain(..) {
            if !place(&mut slots, 0, hash32, entry) {
                next_carried.push((hash32, entry));
            }
        }
        let mut start = 0;
        while start < entries {
            let n = (entries - start).min(chunk.len() as u64) as usize;
            hashes(start, &mut chunk[..n])?;
            for (k, &hash32) in chunk[..n].iter().enumerate() {
                let h = home(hash32, capacity);
                if h >= first && h < first + part {
                    placed = true;
                    if !place(&mut slots, h - first, hash32, start + k as u64) {
                        next_carried.push((hash32, start + k as u64));
                    }
                }
            }
            start += n as u64;
        }
        if placed {
            // A part left empty already reads as empty.
            for value in slots.iter_mut() {
                *value = value.to_le();
            }
            out.write_all_at(slots.as_bytes(), first * 8)?;
        }
        std::mem::swap(&mut carried, &mut next_carried);
    }
    // Probes that ran off the end of the table go on at its start.
    let mut at = 0u64;
    for (hash32, entry) in carried {
        loop {
            if at >= capacity {
                return Err(std::io::Error::other("index is full"));
            }
            let mut raw = [0u8; 8];
            out.read_exact_at(&mut raw, at * 8)?;
            if slot_entry(u64::from_le_bytes(raw)).is_none() {
                out.write_all_at(&slot(hash32, entry).to_le_bytes(), at * 8)?;
                break;
            }
            at += 1;
        }
    }
    Ok(())
}

/// Anything that can hand out slots: the reader's read-only map, the writer's writable one.
pub trait Slots {
    fn capacity(&self) -> u64;
    fn slot(&self, i: u64) -> u64;
}

/// The outcome of a probe.
#[derive(Debug, Clone, Copy, Default)]
pub struct Probe {
    /// The newest entry below the visibility limit whose key matched.
    pub latest: Option<u64>,
    /// The first empty slot met, where a new slot for this key goes.
    pub empty: Option<u64>,
}

/// Probes for the key with `hash32`. `visible` is the number of entries the caller may see
/// (its commit point, or the writer's pending count); `matches(entry)` compares the entry's
/// key with the one sought. Probing stops at the first empty slot, or after one full turn
/// of the table (a damaged index must not hang us).
pub fn probe<S: Slots, E>(
    slots: &S,
    hash32: u32,
    visible: u64,
    mut matches: impl FnMut(u64) -> Result<bool, E>,
) -> Result<Probe, E> {
    let capacity = slots.capacity();
    let mask = capacity - 1;
    let want = tag(hash32);
    let mut at = home(hash32, capacity);
    let mut probe = Probe::default();
    for _ in 0..capacity {
        let value = slots.slot(at);
        let Some(entry) = slot_entry(value) else {
            probe.empty = Some(at);
            break;
        };
        if entry < visible
            && slot_tag(value) == want
            && probe.latest.is_none_or(|l| entry > l)
            && matches(entry)?
        {
            probe.latest = Some(entry);
        }
        at = (at + 1) & mask;
    }
    Ok(probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Table(Vec<u64>);
    impl Slots for Table {
        fn capacity(&self) -> u64 {
            self.0.len() as u64
        }
        fn slot(&self, i: u64) -> u64 {
            self.0[i as usize]
        }
    }

    #[test]
    fn capacity_keeps_the_table_at_most_three_quarters_full() {
        assert_eq!(capacity_for(0), MIN_CAPACITY);
        assert_eq!(capacity_for(768), 1024);
        assert_eq!(capacity_for(769), 2048);
        for n in [1u64, 1000, 123_456, 1_000_000, 10_000_000] {
            let c = capacity_for(n);
            assert!(c.is_power_of_two());
            assert!(n * 4 <= c * 3, "{n} in {c}");
        }
    }

    #[test]
    fn slot_round_trips_entry_and_tag() {
        let s = slot(0xdead_beef, 12345);
        assert_eq!(slot_entry(s), Some(12345));
        assert_eq!(slot_tag(s), tag(0xdead_beef));
        assert_eq!(slot_entry(0), None);
    }

    #[test]
    fn probe_finds_newest_visible_match_and_skips_invisible_slots() {
        let mut table = Table(vec![0; 16]);
        let h = 7u32;
        let start = home(h, 16);
        table.0[start as usize] = slot(h, 1);
        table.0[((start + 1) & 15) as usize] = slot(h, 9); // past the commit point
        table.0[((start + 2) & 15) as usize] = slot(h, 4);
        let p = probe::<_, ()>(&table, h, 5, |_| Ok(true)).unwrap();
        assert_eq!(p.latest, Some(4));
        assert_eq!(p.empty, Some((start + 3) & 15));
    }

    proptest::proptest! {
        /// Built part by part (parts of 8 to 64 slots here, so that probes run across parts
        /// and off the end of the table), every entry is found from its home.
        #[test]
        fn a_table_built_in_parts_finds_every_entry(
            hashes in proptest::collection::vec(proptest::prelude::any::<u32>(), 0..96),
            crowd_the_end in proptest::prelude::any::<bool>(),
            part_shift in 3u32..7,
        ) {
            use std::os::unix::fs::FileExt;
            let capacity = 128u64;
            // Hashes whose home is one of the last slots make probes wrap round.
            let hashes: Vec<u32> = if crowd_the_end {
                let last: Vec<u32> = (0u32..).filter(|&h| home(h, capacity) >= capacity - 2).take(4).collect();
                hashes.iter().map(|h| last[*h as usize % 4]).collect()
            } else {
                hashes
            };
            let file = tempfile::tempfile().unwrap();
            file.set_len(capacity * 8).unwrap();
            build_in_parts(&file, capacity, hashes.len() as u64, 1 << part_shift, &mut |start, out| {
                let start = start as usize;
                out.copy_from_slice(&hashes[start..start + out.len()]);
                Ok(())
            })
            .unwrap();
            let mut raw = vec![0u8; capacity as usize * 8];
            file.read_exact_at(&mut raw, 0).unwrap();
            let table = Table(raw.chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().unwrap())).collect());
            let filled = table.0.iter().filter(|s| slot_entry(**s).is_some()).count();
            proptest::prop_assert_eq!(filled, hashes.len());
            for (i, &h) in hashes.iter().enumerate() {
                let p = probe::<_, ()>(&table, h, u64::MAX, |e| Ok(e == i as u64)).unwrap();
                proptest::prop_assert_eq!(p.latest, Some(i as u64), "entry {} (hash {:#x})", i, h);
            }
        }
    }

    #[test]
    fn probe_of_a_full_table_terminates() {
        let table = Table(vec![slot(1, 0); 8]);
        let p = probe::<_, ()>(&table, 99, 1, |_| Ok(false)).unwrap();
        assert_eq!(p.latest, None);
        assert_eq!(p.empty, None);
    }
}
