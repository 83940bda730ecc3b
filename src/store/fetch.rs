//! Key lookups with `pread` instead of the maps: [`Store::fetch`].
//!
//! A lookup touches three places far apart (an index slot, a lookup entry, the record). Read
//! through a map, each one faults in a whole stretch of file (hundreds of KiB with the large
//! page-cache folios of current kernels), all of it counted in the resident set: looking up
//! many keys maps the whole store. Dropping the maps to stay within a budget makes every
//! later touch a fresh fault, which costs several times a small `pread` (see
//! [`super::map::RssGuard`]). So [`Store::fetch`] reads through the maps only the files that
//! fit the budget whole (the index first, then the lookup table, then the body), and reads the
//! rest with `pread`, which leaves the resident set alone however many keys a process looks up.

use std::os::unix::fs::FileExt;
use std::sync::atomic::Ordering;

use zerocopy::FromBytes;

use super::format::{ENTRY_SIZE, Entry, key_hash};
use super::index::{self, PreadSlots, Slots};
use super::reader::{Record, Store, record_crc_of};
use crate::error::{Error, IoContext, Result};

/// The most bytes of maps a lookup may fault in whole: with the program itself, peak RSS
/// stays under 64 MiB.
pub(crate) const MAP_BUDGET: u64 = 44 << 20;

/// Values up to this size are read with their key in one call, before the key is known to
/// match; larger ones only once it does.
const READ_AHEAD: usize = 16 << 10;

/// Which files a lookup reads through their maps.
#[derive(Debug, Clone, Copy)]
struct Mapped {
    index: bool,
    lookup: bool,
    body: bool,
}

impl Store {
    /// The live record for `key`, read into `buf` with `pread` and checksum verified. The
    /// same answer as [`Store::get`], for processes that look up many keys: no page of the
    /// store enters the resident set.
    pub fn fetch<'b>(&self, key: &str, buf: &'b mut Vec<u8>) -> Result<Option<Record<'b>>> {
        let mapped = self.mapped_for_fetch();
        if mapped.index {
            return self.fetch_with(&self.index, mapped, key, buf);
        }
        let slots = PreadSlots::new(&self.files.index, self.index.capacity);
        let found = self.fetch_with(&slots, mapped, key, buf);
        if let Some(e) = slots.take_error() {
            return Err(Error::io(
                format!("cannot read {}", self.index_file_name()),
                e,
            ));
        }
        found
    }

    /// Which files [`Store::fetch`] reads through their maps: those that fit the budget whole,
    /// in the order of how often a lookup touches them.
    fn mapped_for_fetch(&self) -> Mapped {
        let index = self.index.map.len() as u64;
        let lookup = index + self.lookup.len() as u64;
        let body = lookup + self.body.len() as u64;
        let budget = self.fetch_map_budget.load(Ordering::Relaxed);
        Mapped {
            index: index <= budget,
            lookup: lookup <= budget,
            body: body <= budget,
        }
    }

    /// Sets how many bytes of maps [`Store::fetch`] may fault in whole (tests use it to take
    /// each path on small stores).
    #[doc(hidden)]
    pub fn set_fetch_map_budget(&self, bytes: u64) {
        self.fetch_map_budget.store(bytes, Ordering::Relaxed);
    }

    fn fetch_with<'b>(
        &self,
        slots: &impl Slots,
        mapped: Mapped,
        key: &str,
        buf: &'b mut Vec<u8>,
    ) -> Result<Option<Record<'b>>> {
        let wanted = key.as_bytes();
        // The entry whose bytes are in `buf`, and how many of them. Until one matches,
        // candidates are read into `buf` itself (no allocation in the usual lookup); after
        // that into `spare`, swapped into `buf` when their key matches too.
        let mut held: Option<(u64, Entry, usize)> = None;
        let mut spare = Vec::new();
        let probe = index::probe(
            slots,
            key_hash(wanted) as u32,
            self.entry_count(),
            |i| -> Result<bool> {
                let entry = if mapped.lookup {
                    self.entry(i)?
                } else {
                    self.read_entry(i)?
                };
                if entry.key_len() != wanted.len() {
                    return Ok(false);
                }
                let full = entry.record_len() as usize;
                let len = if full <= READ_AHEAD {
                    full
                } else {
                    wanted.len()
                };
                let into = if held.is_none() {
                    &mut *buf
                } else {
                    &mut spare
                };
                self.read_body(mapped, entry.offset(), len, into)?;
                if into[..wanted.len()] != *wanted {
                    return Ok(false);
                }
                if held.is_some() {
                    std::mem::swap(buf, &mut spare);
                }
                // `probe` only asks about entries newer than the last match.
                held = Some((i, entry, len));
                Ok(true)
            },
        )?;
        let Some((i, entry, len)) = held.filter(|h| Some(h.0) == probe.latest) else {
            return Ok(None);
        };
        if entry.is_tombstone() {
            return Ok(None);
        }
        let full = entry.record_len() as usize;
        if len < full {
            // A large value: the rest of it, after the key already in `buf`.
            let mut rest = std::mem::take(&mut spare);
            self.read_body(mapped, entry.offset() + len as u64, full - len, &mut rest)?;
            buf.extend_from_slice(&rest);
        }
        let corrupt = |what: &str| {
            Error::corrupt(
                self.body_file_name(),
                entry.offset(),
                format!("record of entry {i}: {what}"),
            )
        };
        if record_crc_of(buf, entry.is_json()) != entry.crc32.get() {
            return Err(corrupt("checksum mismatch"));
        }
        let (key_bytes, value) = buf.split_at(entry.key_len());
        let key = std::str::from_utf8(key_bytes).map_err(|_| corrupt("key is not UTF-8"))?;
        Ok(Some(Record {
            entry_index: i,
            key,
            value,
            entry,
        }))
    }

    /// `len` bytes of the committed body from `offset` into `out` (resized to fit).
    fn read_body(&self, mapped: Mapped, offset: u64, len: usize, out: &mut Vec<u8>) -> Result<()> {
        if mapped.body {
            out.clear();
            out.extend_from_slice(&self.body.bytes()[offset as usize..offset as usize + len]);
            return Ok(());
        }
        out.resize(len, 0);
        self.files
            .body
            .read_exact_at(out, offset)
            .context(|| format!("cannot read {}", self.body_file_name()))
    }

    /// Whether entry `i` has the key `key`, read with `pread`: for the rare comparisons of a
    /// sequential pass (two keys whose 32-bit hashes collide), where faulting in a stretch of
    /// the maps for each one would swell the resident set.
    pub(crate) fn entry_has_key(&self, i: u64, key: &[u8]) -> Result<bool> {
        let entry = self.read_entry(i)?;
        if entry.key_len() != key.len() {
            return Ok(false);
        }
        let mut stored = Vec::new();
        self.read_body(
            Mapped {
                index: false,
                lookup: false,
                body: false,
            },
            entry.offset(),
            key.len(),
            &mut stored,
        )?;
        Ok(stored == key)
    }

    /// Entry `i` read with `pread`, checked like [`Store::entry`].
    fn read_entry(&self, i: u64) -> Result<Entry> {
        if i >= self.entry_count() {
            return self.entry(i);
        }
        let mut bytes = [0u8; ENTRY_SIZE];
        self.files
            .lookup
            .read_exact_at(&mut bytes, i * ENTRY_SIZE as u64)
            .context(|| format!("cannot read {}", self.lookup_file_name()))?;
        self.checked(i, Entry::read_from_bytes(&bytes).expect("entry size"))
    }
}
