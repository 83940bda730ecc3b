//! Index inserts staged in memory, for writers of stores whose index is too large to keep
//! mapped.
//!
//! Every insert or delete puts a slot at a random place in the index. Written through a map,
//! a batch of millions touches every page of a table of hundreds of MiB, all of it counted in
//! the resident set. A writer of such a store instead keeps the new slots in a small table of
//! its own ([`Pending`]) and writes them into the index half a million at a time, sorted by where
//! they go, one part of the index at a time ([`super::index::insert_all`]). Duplicates are
//! still found as records arrive: a key is looked up in the pending table, then, only if a
//! Bloom filter of every key hash in the index says it may be there ([`Filter`]), in the
//! index file with `pread`.

use std::fs::File;
use std::io;

use zerocopy::IntoBytes;

use super::{index, map};

/// A split-block Bloom filter of 32-bit key hashes: each hash sets one bit in each of the
/// eight 32-bit words of one 32-byte block, so a test is one cache line.
pub struct Filter {
    blocks: Vec<[u32; 8]>,
}

/// Odd multipliers that pick a hash's bit in each word of its block.
const SALT: [u32; 8] = [
    0x47b6_137b,
    0x4497_4d91,
    0x8824_ad5b,
    0xa2b7_289d,
    0x7054_95c7,
    0x2df1_424b,
    0x9efc_4947,
    0x5c6b_fb31,
];

/// The largest filter: 8 MiB, about 6.7 bits a key (7% false positives) for the 10 million
/// keys of a 128 MiB index. With the pending table, a writer of 10 million records stays as
/// small as one of a million, whose 16 MiB index is mapped whole.
pub const MAX_FILTER_BYTES: u64 = 8 << 20;

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("bytes", &self.bytes())
            .finish()
    }
}

impl Filter {
    /// An empty filter for a table of `capacity` slots: one byte a slot (at least 10 bits
    /// for each key of a table at most 3/4 full, about 1% false positives), at most
    /// [`MAX_FILTER_BYTES`].
    pub fn for_capacity(capacity: u64) -> Filter {
        Filter {
            blocks: vec![[0; 8]; (Filter::bytes_for(capacity) / 32) as usize],
        }
    }

    /// The size of the filter for a table of `capacity` slots.
    pub fn bytes_for(capacity: u64) -> u64 {
        capacity.clamp(32, MAX_FILTER_BYTES).next_power_of_two()
    }

    pub fn bytes(&self) -> u64 {
        self.blocks.len() as u64 * 32
    }

    fn block_and_bits(&self, hash32: u32) -> (usize, u32) {
        let mixed = index::mix(hash32);
        let block = (mixed >> 32) as usize & (self.blocks.len() - 1);
        (block, mixed as u32)
    }

    pub fn insert(&mut self, hash32: u32) {
        let (block, bits) = self.block_and_bits(hash32);
        for (word, salt) in self.blocks[block].iter_mut().zip(SALT) {
            *word |= 1 << (bits.wrapping_mul(salt) >> 27);
        }
    }

    /// Starts loading the block of this hash into the cache (see [`map::prefetch`]).
    pub fn prefetch(&self, hash32: u32) {
        let (block, _) = self.block_and_bits(hash32);
        map::prefetch(self.blocks.as_bytes(), block * 32);
    }

    /// `false` when no key with this hash was inserted; `true` when one may have been.
    pub fn may_contain(&self, hash32: u32) -> bool {
        let (block, bits) = self.block_and_bits(hash32);
        self.blocks[block]
            .iter()
            .zip(SALT)
            .all(|(word, salt)| word & (1 << (bits.wrapping_mul(salt) >> 27)) != 0)
    }
}

/// Slots of the pending table: 8 MiB. It is written into the index when half full, so that
/// probes stay short.
pub const PENDING_SLOTS: usize = 1 << 20;

/// The entries `first..` of a batch, whose slots are not in the index file yet: an
/// open-addressing table of `hash << 32 | (entry - first + 1)`, probed like the index.
pub struct Pending {
    slots: Vec<u64>,
    /// The most slots the table grows to.
    max_slots: usize,
    count: usize,
    first: u64,
}

/// Slots of a new pending table: a batch of a few records (one `put` on a large store) costs
/// 8 KiB, not the largest table; the table doubles as it fills.
const FIRST_SLOTS: usize = 1024;

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("first", &self.first)
            .field("count", &self.count)
            .finish()
    }
}

impl Pending {
    /// An empty table for entries from `first` on, growing to `max_slots` slots (a power of
    /// two), where it is full when half full.
    pub fn new(first: u64, max_slots: usize) -> Pending {
        debug_assert!(max_slots.is_power_of_two() && max_slots >= 2);
        Pending {
            slots: vec![0; FIRST_SLOTS.min(max_slots)],
            max_slots,
            count: 0,
            first,
        }
    }

    /// Makes room for `entries` more at once (a bulk import of known size), so that the table
    /// does not double step by step, holding old and new tables at each step.
    pub fn expect(&mut self, entries: u64) {
        let wanted = entries
            .saturating_mul(2)
            .min(self.max_slots as u64)
            .next_power_of_two() as usize;
        if self.count == 0 && wanted > self.slots.len() {
            self.slots = vec![0; wanted];
        }
        while self.slots.len() < wanted {
            self.grow();
        }
    }

    /// Doubles the table, placing every slot again.
    fn grow(&mut self) {
        let doubled = vec![0; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        for value in old.into_iter().filter(|&v| v != 0) {
            self.place(value);
        }
    }

    /// Puts a filled slot value at the first empty slot from its hash's home.
    fn place(&mut self, value: u64) {
        let mask = self.slots.len() - 1;
        let mut at = index::home((value >> 32) as u32, self.slots.len() as u64) as usize;
        while self.slots[at] != 0 {
            at = (at + 1) & mask;
        }
        self.slots[at] = value;
    }

    /// The first entry not in the index file: entries before it are found there.
    pub fn first(&self) -> u64 {
        self.first
    }

    pub fn is_full(&self) -> bool {
        self.count >= self.max_slots / 2
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds entry `entry` (the next one: `first` plus those pending) with its key hash.
    pub fn push(&mut self, hash32: u32, entry: u64) {
        debug_assert_eq!(entry, self.first + self.count as u64);
        debug_assert!(!self.is_full());
        if self.count >= self.slots.len() / 2 {
            self.grow();
        }
        self.place((hash32 as u64) << 32 | (entry - self.first + 1));
        self.count += 1;
    }

    /// Starts loading the slot where a probe for this hash starts into the cache.
    pub fn prefetch(&self, hash32: u32) {
        let at = index::home(hash32, self.slots.len() as u64) as usize;
        map::prefetch(self.slots.as_bytes(), at * 8);
    }

    /// Calls `each` with every pending entry whose key hash is `hash32`.
    pub fn candidates<E>(
        &self,
        hash32: u32,
        mut each: impl FnMut(u64) -> Result<(), E>,
    ) -> Result<(), E> {
        let mask = self.slots.len() - 1;
        let mut at = index::home(hash32, self.slots.len() as u64) as usize;
        while self.slots[at] != 0 {
            let value = self.slots[at];
            if (value >> 32) as u32 == hash32 {
                each(self.first + (value & 0xffff_ffff) - 1)?;
            }
            at = (at + 1) & mask;
        }
        Ok(())
    }

    /// Writes a slot for every pending entry into the index file and empties the table;
    /// entries from `next_first` on are the next to be staged.
    pub fn write_into(&mut self, file: &File, capacity: u64, next_first: u64) -> io::Result<()> {
        // Gather the filled slots at the front, then sort them where they go.
        let mut filled = 0;
        for at in 0..self.slots.len() {
            if self.slots[at] != 0 {
                self.slots.swap(filled, at);
                filled += 1;
            }
        }
        let first = self.first;
        let written = index::insert_all(file, capacity, &mut self.slots[..filled], |value| {
            ((value >> 32) as u32, first + (value & 0xffff_ffff) - 1)
        });
        self.clear(next_first);
        written
    }

    /// Forgets every pending entry (they are in the index file some other way, or dropped).
    pub fn clear(&mut self, next_first: u64) {
        if self.count * 8 < self.slots.len() {
            // Few slots filled: empty the table in place of zeroing all of it.
            let slots = self.slots.len();
            self.slots = vec![0; slots];
        } else {
            self.slots.fill(0);
        }
        self.count = 0;
        self.first = next_first;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_has_no_false_negatives_and_few_false_positives() {
        let mut filter = Filter::for_capacity(1 << 17);
        let inserted: std::collections::HashSet<u32> = (0..98_000u32)
            .map(|i| i.wrapping_mul(0x9e37_79b9))
            .collect();
        for &h in &inserted {
            filter.insert(h);
        }
        assert!(inserted.iter().all(|&h| filter.may_contain(h)));
        let others = (0..100_000u32)
            .map(|i| i.wrapping_mul(0x9e37_79b9).wrapping_add(0x5555))
            .filter(|h| !inserted.contains(h))
            .filter(|&h| filter.may_contain(h))
            .count();
        // About 10.7 bits a key: well under 3% false positives.
        assert!(others < 3_000, "{others} false positives in 100,000");
    }

    #[test]
    fn pending_entries_are_found_by_hash_and_written_where_a_probe_finds_them() {
        use index::Slots;
        let capacity = 1u64 << 12;
        let file = tempfile::tempfile().unwrap();
        file.set_len(capacity * 8).unwrap();
        // Entries 0..100 are in the index already; 100.. are staged, some sharing a hash.
        let hash = |entry: u64| ((entry % 1500) as u32).wrapping_mul(2_654_435_761);
        for entry in 0..100 {
            index::insert_all(&file, capacity, &mut [entry], |e| (hash(e), e)).unwrap();
        }
        let mut pending = Pending::new(100, 4096);
        for entry in 100..2_000 {
            pending.push(hash(entry), entry);
        }
        let mut found = Vec::new();
        pending
            .candidates::<()>(hash(1600), |e| {
                found.push(e);
                Ok(())
            })
            .unwrap();
        found.sort();
        assert_eq!(found, vec![100, 1600]);
        pending.write_into(&file, capacity, 2_000).unwrap();
        assert!(pending.is_empty());
        assert_eq!(pending.first(), 2_000);
        let slots = index::PreadSlots::new(&file, capacity);
        let filled = (0..capacity)
            .filter(|&i| index::slot_entry(slots.slot(i)).is_some())
            .count();
        assert_eq!(filled, 2_000);
        for entry in 0..2_000 {
            let p =
                index::probe::<_, ()>(&slots, hash(entry), u64::MAX, |e| Ok(e == entry)).unwrap();
            assert_eq!(p.latest, Some(entry));
        }
    }
}
