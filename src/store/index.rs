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

    #[test]
    fn probe_of_a_full_table_terminates() {
        let table = Table(vec![slot(1, 0); 8]);
        let p = probe::<_, ()>(&table, 99, 1, |_| Ok(false)).unwrap();
        assert_eq!(p.latest, None);
        assert_eq!(p.empty, None);
    }
}
