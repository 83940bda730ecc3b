//! The commit point: two checksummed header slots with a sequence number, as LMDB does with
//! its meta pages. A writer always overwrites the slot that is *not* the newest, then fsyncs;
//! a reader takes the newest slot whose checksum holds. A torn write therefore leaves the
//! previous commit in force.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use zerocopy::{FromBytes, FromZeros, IntoBytes};

use super::format::{
    FORMAT_VERSION, HEADER_FILE, HEADER_SLOT_OFFSETS, HEADER_SLOT_SIZE, HeaderSlot, MAGIC,
    MAX_OFFSET,
};
use super::index;
use crate::error::{Error, IoContext, Result};

/// What one slot of the header holds.
#[derive(Debug, Clone)]
pub enum SlotState {
    /// Magic, version and checksum are good.
    Valid(Box<HeaderSlot>),
    /// Magic is right but the version is newer than this build.
    NewerVersion(u32),
    /// Magic is right but the checksum fails (a torn or damaged write).
    BadChecksum,
    /// The checksum fails, but changing one byte makes the slot whole: a damaged byte, not a
    /// torn write. Holds the slot with the byte put back. Readers do not use it; `check`
    /// reports it and `check --repair` writes it back.
    Damaged(Box<HeaderSlot>),
    /// The slot does not start with the magic (never written, or not a store).
    BadMagic,
    /// The file ends before the slot does.
    Missing,
}

/// Both slots as read, and which one is in force.
#[derive(Debug, Clone)]
pub struct HeaderRead {
    pub slots: [SlotState; 2],
    /// The raw bytes of both slots, so that an aborted writer can restore them exactly.
    pub raw: [[u8; HEADER_SLOT_SIZE]; 2],
    /// Index (0 or 1) of the newest valid slot.
    pub current: usize,
}

impl HeaderRead {
    /// The sequence number as written in slot `which`, whether or not the slot is valid.
    pub fn raw_seq(&self, which: usize) -> u64 {
        u64::from_le_bytes(self.raw[which][16..24].try_into().expect("8 bytes"))
    }

    /// The other slot, when it holds a newer commit than the one in force with one damaged
    /// byte (the byte put back; its sequence number itself intact). A torn write of the slot
    /// being written at a crash is not this: it differs from any valid slot in many bytes.
    pub fn damaged_newer(&self) -> Option<&HeaderSlot> {
        let other = 1 - self.current;
        match &self.slots[other] {
            SlotState::Damaged(slot)
                if slot.commit_seq.get() == self.raw_seq(other)
                    && slot.commit_seq.get() > self.slot().commit_seq.get() =>
            {
                Some(slot)
            }
            _ => None,
        }
    }

    pub fn slot(&self) -> &HeaderSlot {
        match &self.slots[self.current] {
            SlotState::Valid(slot) => slot,
            _ => unreachable!("current always names a valid slot"),
        }
    }
}

/// Reads and validates both slots of an open header file.
pub fn read_header(file: &File, dir: &Path) -> Result<HeaderRead> {
    let mut raw = [[0u8; HEADER_SLOT_SIZE]; 2];
    let mut slots = [SlotState::Missing, SlotState::Missing];
    for (i, offset) in HEADER_SLOT_OFFSETS.iter().enumerate() {
        let got = read_fully_at(file, &mut raw[i], *offset)
            .context(|| format!("cannot read {}", dir.join(HEADER_FILE).display()))?;
        slots[i] = if got < HEADER_SLOT_SIZE {
            SlotState::Missing
        } else {
            classify(&raw[i])
        };
    }
    let valid: Vec<(usize, u64)> = slots
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            SlotState::Valid(slot) => Some((i, slot.commit_seq.get())),
            _ => None,
        })
        .collect();
    if let Some(found) = slots.iter().find_map(|s| match s {
        SlotState::NewerVersion(v) => Some(*v),
        _ => None,
    }) {
        // A newer writer has touched this store: refuse it whole rather than read an older
        // slot that may no longer describe the files.
        return Err(Error::UnsupportedVersion {
            found,
            supported: FORMAT_VERSION,
        });
    }
    let Some(&(current, _)) = valid.iter().max_by_key(|(_, seq)| *seq) else {
        let any_magic = slots.iter().any(|s| matches!(s, SlotState::BadChecksum));
        return Err(if any_magic {
            Error::corrupt(HEADER_FILE, 0, "both header slots fail their checksum")
        } else {
            Error::NotAStore {
                path: dir.to_path_buf(),
                why: "its header file does not start with the mmstore magic bytes".into(),
            }
        });
    };
    let read = HeaderRead {
        slots,
        raw,
        current,
    };
    if let Some(what) = slot_problem(read.slot()) {
        return Err(Error::corrupt(
            HEADER_FILE,
            HEADER_SLOT_OFFSETS[current],
            format!("header slot {current}: {what}"),
        ));
    }
    Ok(read)
}

/// Why a slot whose checksum holds still cannot be a commit point, or `None`. The checksum
/// only proves that the slot was written whole; these bounds keep a damaged-then-resealed or
/// hostile slot from driving the counters of readers and writers past what they can hold
/// (an overflowing `commit_seq` would even make the next commit lose to the previous one).
/// Counts that are merely wrong (more live records than entries, say) pass: `check` reports
/// them and `check --repair` recounts them. Each test is constant-time: opening never scans.
pub fn slot_problem(slot: &HeaderSlot) -> Option<String> {
    /// Far beyond any count a store reaches, far below where adding to it overflows.
    const COUNTER_LIMIT: u64 = 1 << 62;
    let entries = slot.entry_count.get();
    let capacity = slot.index_capacity.get();
    let used = slot.index_used.get();
    let counters = [
        ("commit sequence", slot.commit_seq.get()),
        ("generation", slot.generation.get()),
        ("index id", slot.index_id.get()),
        ("next sequence number", slot.next_seq.get()),
        ("live count", slot.live_count.get()),
        ("deleted count", slot.deleted_count.get()),
        ("replaced count", slot.replaced_count.get()),
        ("live bytes", slot.live_bytes.get()),
        ("dead bytes", slot.dead_bytes.get()),
    ];
    if let Some((name, value)) = counters.iter().find(|(_, v)| *v >= COUNTER_LIMIT) {
        return Some(format!("{name} {value} is out of range"));
    }
    if entries > index::MAX_ENTRIES {
        return Some(format!("entry count {entries} is out of range"));
    }
    if slot.body_len.get() > MAX_OFFSET {
        return Some(format!(
            "body length {} is out of range",
            slot.body_len.get()
        ));
    }
    if !index::valid_capacity(capacity) {
        return Some(format!("index capacity {capacity} is not valid"));
    }
    if used > capacity {
        return Some(format!("{used} index slots used of {capacity}"));
    }
    None
}

fn classify(bytes: &[u8; HEADER_SLOT_SIZE]) -> SlotState {
    match classify_exact(bytes) {
        SlotState::Valid(slot) => SlotState::Valid(slot),
        other => match correct_one_byte(bytes) {
            Some(slot) => SlotState::Damaged(Box::new(slot)),
            None => other,
        },
    }
}

/// Looks for the one byte whose change makes the slot valid. A CRC32 tells any error of up to
/// 32 bits apart from a clean slot, so a slot it accepts after one changed byte is that slot
/// with one damaged byte (a torn write changes far more). Runs only on a failing slot.
fn correct_one_byte(bytes: &[u8; HEADER_SLOT_SIZE]) -> Option<HeaderSlot> {
    let mut candidate = *bytes;
    // The damaged byte may be in the stored checksum itself.
    let content_crc = crc32fast::hash(&bytes[..248]);
    let stored = u32::from_le_bytes(bytes[248..252].try_into().expect("4 bytes"));
    let differing = (content_crc ^ stored)
        .to_le_bytes()
        .iter()
        .filter(|b| **b != 0)
        .count();
    if differing == 1 {
        candidate[248..252].copy_from_slice(&content_crc.to_le_bytes());
        if let SlotState::Valid(slot) = classify_exact(&candidate) {
            return Some(*slot);
        }
        candidate = *bytes;
    }
    // CRC32 is linear: changing byte `at` by `delta` (XOR) changes the checksum of the 248
    // bytes by `crc_effect(at, delta)`, whatever the other bytes hold, and by a different
    // amount for each `delta`. So at most one value of each byte makes the checksum match,
    // and it is found from the difference between the checksums, without computing 63,240
    // of them (which made every open of a store with a damaged slot slow).
    let difference = content_crc ^ stored;
    let mut matches = Vec::new();
    // What flipping each bit of byte `at` does to the checksum, for `at` from the last down.
    let mut bit_effects: [u32; 8] = std::array::from_fn(|bit| crc_shift_byte(1 << bit));
    for at in (0..248).rev() {
        let mut effects = [0u32; 256];
        for delta in 1..256usize {
            effects[delta] =
                effects[delta & (delta - 1)] ^ bit_effects[delta.trailing_zeros() as usize];
            if effects[delta] == difference {
                matches.push((at, delta as u8));
            }
        }
        bit_effects = bit_effects.map(crc_shift_byte);
    }
    // In the order of the search this replaced: the first byte of the slot first.
    for &(at, delta) in matches.iter().rev() {
        candidate[at] ^= delta;
        if let SlotState::Valid(slot) = classify_exact(&candidate) {
            return Some(*slot);
        }
        candidate[at] ^= delta;
    }
    None
}

/// Runs the CRC32 register (reflected, polynomial 0xEDB88320, no initial or final inversion)
/// over one zero byte: the effect of a change at one byte on the checksum moves through each
/// byte after it this way.
fn crc_shift_byte(mut register: u32) -> u32 {
    for _ in 0..8 {
        register = if register & 1 != 0 {
            register >> 1 ^ 0xEDB8_8320
        } else {
            register >> 1
        };
    }
    register
}

fn classify_exact(bytes: &[u8; HEADER_SLOT_SIZE]) -> SlotState {
    let slot = HeaderSlot::read_from_bytes(bytes).expect("slot size is checked at compile time");
    if slot.magic != MAGIC {
        return SlotState::BadMagic;
    }
    let version = slot.format_version.get();
    if version > FORMAT_VERSION || version == 0 {
        return SlotState::NewerVersion(version);
    }
    if slot.slot_size.get() as usize != HEADER_SLOT_SIZE
        || slot.checksum.get() != slot.compute_checksum()
    {
        return SlotState::BadChecksum;
    }
    SlotState::Valid(Box::new(slot))
}

/// Writes `slot` (sealed here) into slot number `which` and makes it durable when `sync`.
pub fn write_slot(file: &File, which: usize, slot: &mut HeaderSlot, sync: bool) -> Result<()> {
    slot.seal();
    write_raw_slot(file, which, slot.as_bytes(), sync)
}

/// Writes raw slot bytes (used to restore a slot exactly when a batch is aborted).
pub fn write_raw_slot(file: &File, which: usize, bytes: &[u8], sync: bool) -> Result<()> {
    file.write_all_at(bytes, HEADER_SLOT_OFFSETS[which])
        .context(|| "cannot write the store header".to_string())?;
    if sync {
        file.sync_data()
            .context(|| "cannot sync the store header".to_string())?;
    }
    Ok(())
}

fn read_fully_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// A fresh slot for a new, empty store.
pub fn empty_slot(created_unix: u64, index_capacity: u64) -> HeaderSlot {
    let mut slot = HeaderSlot::new_zeroed();
    slot.commit_seq = 1.into();
    slot.generation = 0.into();
    slot.index_id = 0.into();
    slot.index_capacity = index_capacity.into();
    slot.created_unix = created_unix.into();
    slot.seal();
    slot
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search `correct_one_byte` replaced: every value of every byte.
    fn correct_one_byte_by_trying_all(bytes: &[u8; HEADER_SLOT_SIZE]) -> Option<HeaderSlot> {
        let stored = u32::from_le_bytes(bytes[248..252].try_into().unwrap());
        let mut candidate = *bytes;
        for at in 0..248 {
            let original = candidate[at];
            for value in (0..=255u8).filter(|v| *v != original) {
                candidate[at] = value;
                if crc32fast::hash(&candidate[..248]) == stored
                    && let SlotState::Valid(slot) = classify_exact(&candidate)
                {
                    return Some(*slot);
                }
            }
            candidate[at] = original;
        }
        None
    }

    #[test]
    fn one_damaged_byte_is_found_as_by_trying_every_value() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..40 {
            let mut slot = empty_slot(next(), 1024);
            slot.commit_seq = (next() >> 8).into();
            slot.entry_count = (next() >> 40).into();
            slot.body_len = (next() >> 20).into();
            slot.seal();
            let mut bytes = [0u8; HEADER_SLOT_SIZE];
            bytes.copy_from_slice(slot.as_bytes());
            // One byte of the content damaged; every few rounds, two.
            let damaged = 1 + usize::from(round % 5 == 0);
            for _ in 0..damaged {
                let at = (next() % 248) as usize;
                bytes[at] ^= (next() % 255 + 1) as u8;
            }
            let fast = correct_one_byte(&bytes).map(|s| s.as_bytes().to_vec());
            let slow = correct_one_byte_by_trying_all(&bytes).map(|s| s.as_bytes().to_vec());
            assert_eq!(fast, slow, "round {round}");
            if damaged == 1 {
                assert_eq!(fast.as_deref(), Some(slot.as_bytes()), "round {round}");
            }
        }
    }
}
