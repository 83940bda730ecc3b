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

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use zerocopy::IntoBytes;

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
    mix(hash32) & (capacity - 1)
}

/// 64 well-mixed bits from a 32-bit key hash. The entry stores only 32 bits of the hash;
/// remixing them lets tables larger than the low bits alone would fill still spread.
pub fn mix(hash32: u32) -> u64 {
    let mut x = hash32 as u64;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
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
    out: &File,
    capacity: u64,
    entries: u64,
    hashes: &mut dyn FnMut(u64, &mut [u32]) -> io::Result<()>,
) -> io::Result<()> {
    build_in_parts(out, capacity, entries, BUILD_PART, hashes)
}

fn build_in_parts(
    out: &File,
    capacity: u64,
    entries: u64,
    part: u64,
    hashes: &mut dyn FnMut(u64, &mut [u32]) -> io::Result<()>,
) -> io::Result<()> {
    let part = capacity.min(part);
    let mut slots = vec![0u64; part as usize];
    let mut chunk = vec![0u32; 64 * 1024];
    let mut carried: Vec<(u32, u64)> = Vec::new();
    let mut next_carried: Vec<(u32, u64)> = Vec::new();
    for first in (0..capacity).step_by(part as usize) {
        slots.fill(0);
        let mut placed = !carried.is_empty();
        for (hash32, entry) in carried.drain(..) {
            place_or_carry(&mut slots, 0, hash32, entry, &mut next_carried);
        }
        let mut start = 0;
        while start < entries {
            let n = (entries - start).min(chunk.len() as u64) as usize;
            hashes(start, &mut chunk[..n])?;
            for (k, &hash32) in chunk[..n].iter().enumerate() {
                let h = home(hash32, capacity);
                if h >= first && h < first + part {
                    placed = true;
                    place_or_carry(
                        &mut slots,
                        h - first,
                        hash32,
                        start + k as u64,
                        &mut next_carried,
                    );
                }
            }
            start += n as u64;
        }
        if placed {
            // A part left empty already reads as empty.
            write_part(out, &mut slots, first)?;
        }
        std::mem::swap(&mut carried, &mut next_carried);
    }
    // Probes that ran off the end of the table go on at its start.
    for (hash32, entry) in carried {
        place_at(out, capacity, 0, hash32, entry)?;
    }
    Ok(())
}

/// Places (hash, entry) in `slots` (a part of the table) at the first empty slot from
/// `from`, or, if the probe runs off the end of the part, adds it to `carry` for the next.
fn place_or_carry(
    slots: &mut [u64],
    from: u64,
    hash32: u32,
    entry: u64,
    carry: &mut Vec<(u32, u64)>,
) {
    match slots[from as usize..]
        .iter_mut()
        .find(|s| slot_entry(**s).is_none())
    {
        Some(free) => *free = slot(hash32, entry),
        None => carry.push((hash32, entry)),
    }
}

/// Writes a part of the table (slots in native order) at slot `first`.
fn write_part(out: &File, slots: &mut [u64], first: u64) -> io::Result<()> {
    for value in slots.iter_mut() {
        *value = value.to_le();
    }
    out.write_all_at(slots.as_bytes(), first * 8)
}

/// Places (hash, entry) at the first empty slot of the table in `file` from slot `from` on,
/// round the end of the table if need be, with small reads and one 8-byte write.
fn place_at(file: &File, capacity: u64, from: u64, hash32: u32, entry: u64) -> io::Result<()> {
    let slots = PreadSlots::new(file, capacity);
    let mut at = from;
    for _ in 0..capacity {
        let value = slots.slot(at);
        if let Some(e) = slots.take_error() {
            return Err(e);
        }
        if slot_entry(value).is_none() {
            return file.write_all_at(&slot(hash32, entry).to_le_bytes(), at * 8);
        }
        at = (at + 1) & (capacity - 1);
    }
    Err(io::Error::other("index is full"))
}

/// Slots of the table held in memory at a time by [`insert_all`] and [`clear_from`]: 2 MiB.
const UPDATE_PART: u64 = 1 << 18;

/// Fewer new slots than this in a part go in one by one (a small read and an 8-byte write
/// each) rather than by reading and writing the whole part.
const SPARSE_SLOTS: usize = 512;

/// Adds a slot for every item to the table of `capacity` slots in `file`, which may be
/// filled already: the items are sorted by the part of the table their home falls in, then
/// each part that gets many is read, filled and written back with one `pread` and one
/// `pwrite`, and the others get their few slots one by one. `decode(item)` gives an item's
/// (hash, entry). Nothing is mapped: the table stays out of the resident set however large.
///
/// Readers may probe the table meanwhile. They see each slot either as it was or as it
/// ends up, except a slot going from empty to filled, which may read as neither for an
/// instant: such a slot points at an entry past any reader's commit point or does not
/// match its key, so the probe goes on past it either way.
pub fn insert_all(
    file: &File,
    capacity: u64,
    items: &mut [u64],
    decode: impl Fn(u64) -> (u32, u64),
) -> io::Result<()> {
    insert_in_parts(file, capacity, UPDATE_PART, SPARSE_SLOTS, items, decode)
}

fn insert_in_parts(
    file: &File,
    capacity: u64,
    part: u64,
    sparse: usize,
    items: &mut [u64],
    decode: impl Fn(u64) -> (u32, u64),
) -> io::Result<()> {
    let part = capacity.min(part);
    let parts = (capacity / part) as usize;
    let bounds = sort_by_part(items, parts, |item| {
        (home(decode(item).0, capacity) / part) as usize
    });
    let mut slots: Vec<u64> = Vec::new();
    let mut carried: Vec<(u32, u64)> = Vec::new();
    let mut next_carried: Vec<(u32, u64)> = Vec::new();
    for (p, ends) in bounds.windows(2).enumerate() {
        let these = &items[ends[0]..ends[1]];
        let first = p as u64 * part;
        if these.len() + carried.len() < sparse {
            // Probes carried from the part before go on from the start of this one.
            for (hash32, entry) in carried.drain(..) {
                place_at(file, capacity, first, hash32, entry)?;
            }
            for &item in these {
                let (hash32, entry) = decode(item);
                place_at(file, capacity, home(hash32, capacity), hash32, entry)?;
            }
            continue;
        }
        slots.resize(part as usize, 0);
        file.read_exact_at(slots.as_mut_bytes(), first * 8)?;
        for value in slots.iter_mut() {
            *value = u64::from_le(*value);
        }
        for (hash32, entry) in carried.drain(..) {
            place_or_carry(&mut slots, 0, hash32, entry, &mut next_carried);
        }
        for &item in these {
            let (hash32, entry) = decode(item);
            let from = home(hash32, capacity) - first;
            place_or_carry(&mut slots, from, hash32, entry, &mut next_carried);
        }
        write_part(file, &mut slots, first)?;
        std::mem::swap(&mut carried, &mut next_carried);
    }
    // Probes that ran off the end of the table go on at its start.
    for (hash32, entry) in carried {
        place_at(file, capacity, 0, hash32, entry)?;
    }
    Ok(())
}

/// Sorts `items` in place by `part_of(item)` (below `parts`), in linear time: counts, then
/// swaps each item straight into its part's range. Returns the `parts + 1` range bounds.
fn sort_by_part(items: &mut [u64], parts: usize, part_of: impl Fn(u64) -> usize) -> Vec<usize> {
    let mut bounds = vec![0usize; parts + 1];
    for &item in items.iter() {
        bounds[part_of(item) + 1] += 1;
    }
    for p in 0..parts {
        bounds[p + 1] += bounds[p];
    }
    let mut next = bounds[..parts].to_vec();
    for p in 0..parts {
        while next[p] < bounds[p + 1] {
            let q = part_of(items[next[p]]);
            if q == p {
                next[p] += 1;
            } else {
                items.swap(next[p], next[q]);
                next[q] += 1;
            }
        }
    }
    bounds
}

/// Empties every slot of the table in `file` that points at entry `entries` or later (the
/// slots of a batch that did not commit), one part at a time; only parts that change are
/// written. Returns whether any slot was emptied.
pub fn clear_from(file: &File, capacity: u64, entries: u64) -> io::Result<bool> {
    let part = capacity.min(UPDATE_PART);
    let mut slots = vec![0u64; part as usize];
    let mut cleared = false;
    for first in (0..capacity).step_by(part as usize) {
        file.read_exact_at(slots.as_mut_bytes(), first * 8)?;
        let mut changed = false;
        for value in slots.iter_mut() {
            if slot_entry(u64::from_le(*value)).is_some_and(|e| e >= entries) {
                *value = 0;
                changed = true;
            }
        }
        if changed {
            file.write_all_at(slots.as_bytes(), first * 8)?;
            cleared = true;
        }
    }
    Ok(cleared)
}

/// Slots read together by [`PreadSlots`]: one cache line, enough for nearly every probe.
const CHUNK_SLOTS: u64 = 8;

/// A table read with `pread`, one chunk of slots at a time, so that probing it leaves the
/// resident set alone. A read error ends the probe (the slot reads as empty); the caller
/// asks for it with [`PreadSlots::take_error`].
pub struct PreadSlots<'a> {
    file: &'a File,
    capacity: u64,
    chunk: Cell<Option<(u64, [u64; CHUNK_SLOTS as usize])>>,
    error: RefCell<Option<io::Error>>,
}

impl<'a> PreadSlots<'a> {
    pub fn new(file: &'a File, capacity: u64) -> PreadSlots<'a> {
        PreadSlots {
            file,
            capacity,
            chunk: Cell::new(None),
            error: RefCell::new(None),
        }
    }

    /// The first read error met, if any.
    pub fn take_error(&self) -> Option<io::Error> {
        self.error.borrow_mut().take()
    }
}

impl Slots for PreadSlots<'_> {
    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn slot(&self, i: u64) -> u64 {
        let first = i / CHUNK_SLOTS * CHUNK_SLOTS;
        if let Some((at, slots)) = self.chunk.get()
            && at == first
        {
            return slots[(i - first) as usize];
        }
        let count = CHUNK_SLOTS.min(self.capacity - first) as usize;
        let mut bytes = [0u8; CHUNK_SLOTS as usize * 8];
        if let Err(e) = self.file.read_exact_at(&mut bytes[..count * 8], first * 8) {
            self.error.borrow_mut().get_or_insert(e);
            return 0;
        }
        let mut slots = [0u64; CHUNK_SLOTS as usize];
        for (slot, raw) in slots.iter_mut().zip(bytes.chunks_exact(8)) {
            *slot = u64::from_le_bytes(raw.try_into().expect("8 bytes"));
        }
        self.chunk.set(Some((first, slots)));
        slots[(i - first) as usize]
    }
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

    proptest::proptest! {
        /// Added part by part to a table already holding slots (parts of 8 to 64 slots, each
        /// rewritten whole or slot by slot), every entry old and new is found from its home,
        /// and clearing from the first new entry leaves the table as it was.
        #[test]
        fn slots_inserted_in_parts_are_found_and_cleared(
            old in proptest::collection::vec(proptest::prelude::any::<u32>(), 0..48),
            new in proptest::collection::vec(proptest::prelude::any::<u32>(), 0..48),
            crowd_the_end in proptest::prelude::any::<bool>(),
            part_shift in 3u32..7,
            sparse in 0usize..12,
        ) {
            let capacity = 128u64;
            let crowd = |hashes: Vec<u32>| -> Vec<u32> {
                if !crowd_the_end {
                    return hashes;
                }
                let last: Vec<u32> = (0u32..).filter(|&h| home(h, capacity) >= capacity - 2).take(4).collect();
                hashes.iter().map(|h| last[*h as usize % 4]).collect()
            };
            let hashes: Vec<u32> = crowd(old).into_iter().chain(crowd(new.clone())).collect();
            let first_new = (hashes.len() - new.len()) as u64;
            let file = tempfile::tempfile().unwrap();
            file.set_len(capacity * 8).unwrap();
            build_in_parts(&file, capacity, first_new, 1 << part_shift, &mut |start, out| {
                let start = start as usize;
                out.copy_from_slice(&hashes[start..start + out.len()]);
                Ok(())
            })
            .unwrap();
            let before = read_table(&file, capacity);
            let mut items: Vec<u64> = (first_new..hashes.len() as u64).collect();
            insert_in_parts(&file, capacity, 1 << part_shift, sparse, &mut items, |e| (hashes[e as usize], e)).unwrap();
            let table = read_table(&file, capacity);
            let filled = table.0.iter().filter(|s| slot_entry(**s).is_some()).count();
            proptest::prop_assert_eq!(filled, hashes.len());
            for (i, &h) in hashes.iter().enumerate() {
                let p = probe::<_, ()>(&table, h, u64::MAX, |e| Ok(e == i as u64)).unwrap();
                proptest::prop_assert_eq!(p.latest, Some(i as u64), "entry {} (hash {:#x})", i, h);
            }
            proptest::prop_assert_eq!(clear_from(&file, capacity, first_new).unwrap(), !new.is_empty());
            proptest::prop_assert_eq!(read_table(&file, capacity).0, before.0);
        }
    }

    fn read_table(file: &File, capacity: u64) -> Table {
        let mut raw = vec![0u8; capacity as usize * 8];
        file.read_exact_at(&mut raw, 0).unwrap();
        Table(
            raw.chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
                .collect(),
        )
    }

    #[test]
    fn probe_of_a_full_table_terminates() {
        let table = Table(vec![slot(1, 0); 8]);
        let p = probe::<_, ()>(&table, 99, 1, |_| Ok(false)).unwrap();
        assert_eq!(p.latest, None);
        assert_eq!(p.empty, None);
    }
}
