//! The read side: a [`Store`] is one committed state of a store, opened in constant time
//! (read the header, map three files) and never changing under its user, whatever writers do.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use zerocopy::FromBytes;

use super::format::{
    ENTRY_SIZE, Entry, FLAG_REPLACES, HEADER_FILE, HeaderSlot, KNOWN_FLAGS, MAX_KEY_LEN, body_file,
    index_file, key_hash, lookup_file,
};
use super::header::read_header;
use super::index::{self, Slots};
use super::map::{Access, Map, RssGuard};
use crate::error::{Error, IoContext, Result};

/// What became of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Live,
    Deleted,
    Replaced,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Live => "live",
            State::Deleted => "deleted",
            State::Replaced => "replaced",
        }
    }
}

/// One record, borrowed from the maps.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Its position in the lookup table (append order, tombstones included).
    pub entry_index: u64,
    pub key: &'a str,
    pub value: &'a [u8],
    pub entry: Entry,
}

impl Record<'_> {
    /// Whether the value is one strict JSON text, known at append time.
    pub fn value_is_json(&self) -> bool {
        self.entry.is_json()
    }
}

/// Where a value lies, for programs that map it in place.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Location {
    pub key: String,
    pub file: PathBuf,
    pub offset: u64,
    pub len: u64,
}

/// Counts and sizes of a committed state, from the header (no scan).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Stats {
    pub format_version: u32,
    pub generation: u64,
    pub commit_seq: u64,
    pub entries: u64,
    pub live: u64,
    pub deleted: u64,
    pub replaced: u64,
    pub live_bytes: u64,
    pub dead_bytes: u64,
    pub body_len: u64,
    pub index_capacity: u64,
    pub index_used: u64,
    pub next_seq: u64,
    pub created_unix: u64,
    pub last_vacuum_unix: u64,
}

/// A file of the store with its apparent and allocated sizes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileSize {
    pub name: String,
    pub bytes: u64,
    pub allocated: u64,
}

/// One committed state of a store, read through memory maps.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    header: HeaderSlot,
    pub(crate) body: Map,
    pub(crate) lookup: Map,
    pub(crate) index: IndexMap,
    /// The same three files, for the pread path of [`Store::fetch`].
    pub(crate) files: Files,
    /// How many bytes of maps [`Store::fetch`] may fault in whole.
    pub(crate) fetch_map_budget: std::sync::atomic::AtomicU64,
    rss: RssGuard,
}

/// The open files behind a [`Store`]'s maps.
#[derive(Debug)]
pub(crate) struct Files {
    pub(crate) body: File,
    pub(crate) lookup: File,
    pub(crate) index: File,
}

/// The resident-set budget of random reads through the maps ([`Store::get`], and the probes of
/// a scan telling deleted from replaced records): see [`RssGuard`]. The `get` command reads
/// with [`Store::fetch`] instead, which keeps its own budget.
pub const RANDOM_READ_BUDGET: u64 = 36 << 20;

#[derive(Debug)]
pub(crate) struct IndexMap {
    pub(crate) map: Map,
    pub(crate) capacity: u64,
}

impl Slots for IndexMap {
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn slot(&self, i: u64) -> u64 {
        self.map.load_u64(i as usize)
    }
}

/// Checks that `dir` looks like a store directory and gives the error a user should see.
pub(crate) fn check_store_dir(dir: &Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(Error::NotAStore {
                path: dir.into(),
                why: "it is not a directory".into(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::StoreMissing { path: dir.into() });
        }
        Err(e) => return Err(Error::io(format!("cannot open {}", dir.display()), e)),
    }
    Ok(())
}

/// Opens a file of the store for reading, refusing symlinks so that a store can never be made
/// to read (or, for writers, write) outside its directory, and anything but a regular file
/// (a directory, a FIFO that would block the open, a device). `O_NONBLOCK` only matters for
/// such special files; regular files ignore it.
pub(crate) fn open_store_file(dir: &Path, name: &str, write: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let open = |flags| {
        OpenOptions::new()
            .read(true)
            .write(write)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | flags)
            .open(dir.join(name))
    };
    // Without access-time updates, a small pread costs a tenth less. Only the file's owner
    // may ask for that; anyone else opens it as usual.
    let file = match open(libc::O_NOATIME) {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(0)?,
        opened => opened?,
    };
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "is not a regular file",
        ));
    }
    Ok(file)
}

pub(crate) fn open_error(dir: &Path, name: &str, e: io::Error) -> Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return Error::corrupt(
            name,
            0,
            "is a symbolic link; store files must be regular files",
        );
    }
    if e.kind() == io::ErrorKind::NotFound {
        return Error::corrupt(name, 0, "is missing");
    }
    if matches!(e.raw_os_error(), Some(libc::EISDIR | libc::ENXIO)) {
        return Error::corrupt(name, 0, "is not a regular file");
    }
    if e.kind() == io::ErrorKind::InvalidData {
        return Error::corrupt(name, 0, e.to_string());
    }
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return Error::corrupt(name, 0, format!("is truncated: {e}"));
    }
    Error::io(format!("cannot open {}", dir.join(name).display()), e)
}

impl Store {
    /// Opens the last committed state of the store at `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store> {
        let dir = dir.as_ref();
        check_store_dir(dir)?;
        // A vacuum may publish a new generation and delete the old files between our reading
        // the header and opening them; then the header has moved on and we read it again.
        let mut last_error = None;
        for _ in 0..20 {
            let header_file = match open_store_file(dir, HEADER_FILE, false) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(Error::NotAStore {
                        path: dir.into(),
                        why: "it has no header file".into(),
                    });
                }
                Err(e) => return Err(open_error(dir, HEADER_FILE, e)),
            };
            let header_read = read_header(&header_file, dir)?;
            let header = *header_read.slot();
            match Self::map_files(dir, &header) {
                Ok((body, lookup, index, files)) => {
                    return Ok(Store {
                        files,
                        fetch_map_budget: super::fetch::MAP_BUDGET.into(),
                        rss: RssGuard::new(RANDOM_READ_BUDGET),
                        dir: dir.to_path_buf(),
                        header,
                        body,
                        lookup,
                        index,
                    });
                }
                Err((name, e)) if e.kind() == io::ErrorKind::NotFound => {
                    let again = read_header(&header_file, dir)?;
                    if again.slot().commit_seq == header.commit_seq {
                        return Err(open_error(dir, &name, e));
                    }
                    last_error = Some(open_error(dir, &name, e));
                }
                Err((name, e)) => return Err(open_error(dir, &name, e)),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::corrupt(HEADER_FILE, 0, "keeps changing")))
    }

    #[allow(clippy::type_complexity)]
    fn map_files(
        dir: &Path,
        h: &HeaderSlot,
    ) -> Result<(Map, Map, IndexMap, Files), (String, io::Error)> {
        let generation = h.generation.get();
        let entry_bytes = h.entry_count.get().checked_mul(ENTRY_SIZE as u64);
        let capacity = h.index_capacity.get();
        let with_name = |name: String| move |e| (name.clone(), e);
        let bad = |name: String, what: &str| {
            (
                name,
                io::Error::new(io::ErrorKind::InvalidData, what.to_string()),
            )
        };
        let Some(entry_bytes) = entry_bytes else {
            return Err(bad(lookup_file(generation), "entry count overflows"));
        };
        if !index::valid_capacity(capacity) {
            return Err(bad(
                index_file(h.index_id.get()),
                "index capacity is not a power of two",
            ));
        }
        let body_name = body_file(generation);
        let body_file =
            open_store_file(dir, &body_name, false).map_err(with_name(body_name.clone()))?;
        let body = Map::new(&body_file, h.body_len.get()).map_err(with_name(body_name))?;
        let lookup_name = lookup_file(generation);
        let lookup_file =
            open_store_file(dir, &lookup_name, false).map_err(with_name(lookup_name.clone()))?;
        let lookup = Map::new(&lookup_file, entry_bytes).map_err(with_name(lookup_name))?;
        let index_name = index_file(h.index_id.get());
        let index_file =
            open_store_file(dir, &index_name, false).map_err(with_name(index_name.clone()))?;
        let map = Map::new(&index_file, capacity * 8).map_err(with_name(index_name))?;
        let files = Files {
            body: body_file,
            lookup: lookup_file,
            index: index_file,
        };
        Ok((body, lookup, IndexMap { map, capacity }, files))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn header(&self) -> &HeaderSlot {
        &self.header
    }

    pub fn body_file_name(&self) -> String {
        body_file(self.header.generation.get())
    }

    pub fn lookup_file_name(&self) -> String {
        lookup_file(self.header.generation.get())
    }

    pub fn index_file_name(&self) -> String {
        index_file(self.header.index_id.get())
    }

    /// Lookup entries committed (records and tombstones).
    pub fn entry_count(&self) -> u64 {
        self.header.entry_count.get()
    }

    /// Live records.
    pub fn live_count(&self) -> u64 {
        self.header.live_count.get()
    }

    /// Whether every entry is a live record (nothing deleted or replaced): the fast path of
    /// every scan.
    pub fn all_live(&self) -> bool {
        self.header.deleted_count.get() == 0 && self.header.replaced_count.get() == 0
    }

    pub fn stats(&self) -> Stats {
        let h = &self.header;
        Stats {
            format_version: h.format_version.get(),
            generation: h.generation.get(),
            commit_seq: h.commit_seq.get(),
            entries: h.entry_count.get(),
            live: h.live_count.get(),
            deleted: h.deleted_count.get(),
            replaced: h.replaced_count.get(),
            live_bytes: h.live_bytes.get(),
            dead_bytes: h.dead_bytes.get(),
            body_len: h.body_len.get(),
            index_capacity: h.index_capacity.get(),
            index_used: h.index_used.get(),
            next_seq: h.next_seq.get(),
            created_unix: h.created_unix.get(),
            last_vacuum_unix: h.last_vacuum_unix.get(),
        }
    }

    /// The raw entry `i`, without any check.
    pub(crate) fn raw_entry(&self, i: u64) -> Entry {
        let at = i as usize * ENTRY_SIZE;
        Entry::read_from_bytes(&self.lookup.bytes()[at..at + ENTRY_SIZE]).expect("entry size")
    }

    /// Entry `i`, checked against the format and the body's committed length.
    pub fn entry(&self, i: u64) -> Result<Entry> {
        if i >= self.entry_count() {
            return Err(Error::corrupt(
                self.lookup_file_name(),
                // A damaged header's live count can send `nth_live` far past the table.
                i.saturating_mul(ENTRY_SIZE as u64),
                "entry out of range",
            ));
        }
        self.checked(i, self.raw_entry(i))
    }

    /// `entry`, read as entry `i` (in range), if it fits the format and the committed body.
    pub(crate) fn checked(&self, i: u64, entry: Entry) -> Result<Entry> {
        match entry_problem(&entry, self.header.body_len.get()) {
            Some(what) => Err(Error::corrupt(
                self.lookup_file_name(),
                i * ENTRY_SIZE as u64,
                what,
            )),
            None => Ok(entry),
        }
    }

    /// The key bytes of a checked entry.
    pub(crate) fn key_bytes(&self, entry: &Entry) -> &[u8] {
        let start = entry.offset() as usize;
        &self.body.bytes()[start..start + entry.key_len()]
    }

    /// Record `i` with its key and value, its checksum verified when `verify`.
    pub fn record_at(&self, i: u64, verify: bool) -> Result<Record<'_>> {
        let entry = self.entry(i)?;
        let body = self.body.bytes();
        let start = entry.offset() as usize;
        let key_end = start + entry.key_len();
        let key_bytes = &body[start..key_end];
        let value: &[u8] = if entry.is_tombstone() {
            &[]
        } else {
            &body[key_end..key_end + entry.value_len() as usize]
        };
        let corrupt = |what: &str| {
            Error::corrupt(
                self.body_file_name(),
                entry.offset(),
                format!("record of entry {i}: {what}"),
            )
        };
        let key = std::str::from_utf8(key_bytes).map_err(|_| corrupt("key is not UTF-8"))?;
        // Key and value lie side by side in the body (a tombstone covers only the key), so
        // one checksum call covers the record.
        if verify
            && record_crc_of(&body[start..key_end + value.len()], entry.is_json())
                != entry.crc32.get()
        {
            return Err(corrupt("checksum mismatch"));
        }
        Ok(Record {
            entry_index: i,
            key,
            value,
            entry,
        })
    }

    /// Calls `found(entry)` for every visible entry whose key is `key`, in probe order.
    fn for_each_entry_of(&self, key: &[u8], mut found: impl FnMut(u64, &Entry)) -> Result<()> {
        let hash32 = key_hash(key) as u32;
        index::probe(&self.index, hash32, self.entry_count(), |i| {
            let entry = self.entry(i)?;
            if entry.key_len() == key.len() && self.key_bytes(&entry) == key {
                found(i, &entry);
            }
            Ok::<bool, Error>(false)
        })?;
        Ok(())
    }

    /// The newest entry (record or tombstone) for `key`.
    pub fn latest_entry(&self, key: &str) -> Result<Option<(u64, Entry)>> {
        let mut latest: Option<(u64, Entry)> = None;
        self.for_each_entry_of(key.as_bytes(), |i, e| {
            if latest.is_none_or(|(l, _)| i > l) {
                latest = Some((i, *e));
            }
        })?;
        Ok(latest)
    }

    /// The live record for `key`, checksum verified.
    pub fn get(&self, key: &str) -> Result<Option<Record<'_>>> {
        if self.rss.tick() {
            self.release_pages();
        }
        match self.latest_entry(key)? {
            Some((i, e)) if !e.is_tombstone() => Ok(Some(self.record_at(i, true)?)),
            _ => Ok(None),
        }
    }

    /// What became of record `i` (which must be a record, not a tombstone).
    pub fn state_of(&self, i: u64, key: &str) -> Result<State> {
        if self.all_live() {
            return Ok(State::Live);
        }
        // The entry right after `i` for the same key says what happened to it.
        let mut next: Option<(u64, bool)> = None;
        self.for_each_entry_of(key.as_bytes(), |j, e| {
            if j > i && next.is_none_or(|(n, _)| j < n) {
                next = Some((j, e.is_tombstone()));
            }
        })?;
        Ok(match next {
            None => State::Live,
            Some((_, true)) => State::Deleted,
            Some((_, false)) => State::Replaced,
        })
    }

    /// Every record (tombstones left out) in append order with its state, streamed.
    pub fn records(&self, verify: bool) -> Records<'_> {
        self.lookup.advise(Access::Sequential);
        self.body.advise(Access::Sequential);
        Records {
            store: self,
            next: 0,
            verify,
            only_live: false,
            dead: None,
            released_lookup: 0,
            released_body: 0,
        }
    }

    /// The live records in append order, streamed (each with [`State::Live`]).
    pub fn live_records(&self, verify: bool) -> Records<'_> {
        Records {
            only_live: true,
            ..self.records(verify)
        }
    }

    /// Which records a later entry hid (deleted or replaced), one bit per entry. Costs one
    /// bit per entry of memory, plus a bounded buffer of tombstones. With `trust_counts`, a
    /// kind of hiding entry the header counts none of is not looked for (readers trust the
    /// header; `check`, which verifies the counts, does not).
    pub(crate) fn dead_entries(&self, trust_counts: bool) -> Result<DeadSet> {
        let count = self.entry_count();
        let mut dead = DeadSet {
            bits: vec![0u64; (count as usize).div_ceil(64)],
        };
        if !trust_counts || self.header.deleted_count.get() > 0 {
            self.mark_deleted(&mut dead)?;
        }
        if !trust_counts || self.header.replaced_count.get() > 0 {
            self.mark_replaced(&mut dead)?;
        }
        self.index.map.release(0, self.index.map.len());
        self.lookup.release(0, self.lookup.len());
        Ok(dead)
    }

    /// Marks the records a tombstone deletes. A tombstone points at the key bytes of its
    /// record, so its target is the record before it with the same offset. Records' offsets
    /// grow with their entry numbers (`check` reports a store where they do not), so the
    /// tombstones are gathered in sorted chunks and merged with one sequential pass over the
    /// records they can point at: no random access, however many there are.
    fn mark_deleted(&self, dead: &mut DeadSet) -> Result<()> {
        /// (offset, tombstone entry) pairs per chunk: 8 MiB.
        const CHUNK: usize = 1 << 19;
        /// Entries per block of `reach` below.
        const BLOCK: u64 = 1 << 16;
        let count = self.entry_count();
        let mut tombstones: Vec<(u64, u64)> = Vec::new();
        // For each whole block of entries passed so far, one more than the highest record
        // offset up to its end (0: no record yet), so that the merge starts at the block
        // where the offsets it looks for begin rather than at the first entry.
        let mut reach: Vec<u64> = Vec::new();
        let mut highest_record = 0u64;
        let mut next = 0u64;
        while next < count {
            tombstones.clear();
            while next < count && tombstones.len() < CHUNK {
                let entry = self.raw_entry(next);
                if entry.is_tombstone() {
                    self.entry(next)?;
                    tombstones.push((entry.offset(), next));
                } else {
                    highest_record = highest_record.max(entry.offset() + 1);
                }
                next += 1;
                if next.is_multiple_of(BLOCK) {
                    reach.push(highest_record);
                }
                if next.is_multiple_of(1 << 18) {
                    self.lookup.release(0, next as usize * ENTRY_SIZE);
                }
            }
            if tombstones.is_empty() {
                break;
            }
            // Deletes usually come in runs of ascending offsets, which this sort merges.
            tombstones.sort();
            let (lowest, highest) = (tombstones[0].0, tombstones[tombstones.len() - 1].0);
            let mut at = 0;
            let mut j = reach.partition_point(|&r| r <= lowest) as u64 * BLOCK;
            while j < next {
                let entry = self.raw_entry(j);
                if !entry.is_tombstone() {
                    let offset = entry.offset();
                    if offset > highest {
                        break;
                    }
                    if at > 0 && tombstones[at - 1].0 >= offset {
                        // Out of order (a damaged table): search from the start.
                        at = 0;
                    }
                    while at < tombstones.len() && tombstones[at].0 < offset {
                        at += 1;
                    }
                    if tombstones[at..]
                        .iter()
                        .take_while(|t| t.0 == offset)
                        .any(|t| t.1 > j)
                    {
                        dead.bits[(j / 64) as usize] |= 1 << (j % 64);
                    }
                }
                j += 1;
                if j.is_multiple_of(1 << 18) {
                    self.lookup.release(0, j as usize * ENTRY_SIZE);
                }
            }
            self.lookup.release(0, self.lookup.len());
        }
        Ok(())
    }

    /// Marks the records a record flagged as replacing hides: the entry of its key just
    /// before it. Only those entries probe the index, and their probes are started ahead.
    fn mark_replaced(&self, dead: &mut DeadSet) -> Result<()> {
        let count = self.entry_count();
        let replaces = |e: &Entry| !e.is_tombstone() && e.flags() & FLAG_REPLACES != 0;
        const AHEAD: u64 = 16;
        for i in 0..count {
            if i.is_multiple_of(1 << 18) {
                self.lookup.release(0, i as usize * ENTRY_SIZE);
            }
            if i + AHEAD < count {
                let ahead = self.raw_entry(i + AHEAD);
                if replaces(&ahead) {
                    let home = index::home(ahead.key_hash.get(), self.index.capacity);
                    self.index.map.prefetch(home as usize * 8);
                }
            }
            let entry = self.raw_entry(i);
            if !replaces(&entry) {
                continue;
            }
            let key = self.entry(i).map(|e| self.key_bytes(&e))?;
            let mut hidden: Option<u64> = None;
            index::probe(&self.index, entry.key_hash.get(), i, |j| {
                let other = self.entry(j)?;
                if other.key_len() == key.len()
                    && self.key_bytes(&other) == key
                    && hidden.is_none_or(|h| j > h)
                {
                    hidden = Some(j);
                }
                Ok::<bool, Error>(false)
            })?;
            if let Some(j) = hidden.filter(|&j| !self.raw_entry(j).is_tombstone()) {
                dead.bits[(j / 64) as usize] |= 1 << (j % 64);
            }
            // The probes read the index, the table and the body anywhere.
            if self.rss.tick() {
                self.release_pages();
            }
        }
        Ok(())
    }

    /// The `n`-th live record (0-based; negative counts from the end).
    pub fn nth_live(&self, n: i64) -> Result<Option<Record<'_>>> {
        let live = self.live_count();
        let wanted = if n < 0 { live as i64 + n } else { n };
        if wanted < 0 || wanted as u64 >= live {
            return Ok(None);
        }
        let wanted = wanted as u64;
        if self.all_live() {
            return self.record_at(wanted, true).map(Some);
        }
        for (seen, item) in self.live_records(false).enumerate() {
            let (record, _) = item?;
            if seen as u64 == wanted {
                return self.record_at(record.entry_index, true).map(Some);
            }
        }
        Ok(None)
    }

    /// Where `key`'s value lies in the body file.
    pub fn locate(&self, key: &str) -> Result<Option<Location>> {
        Ok(self.get(key)?.map(|r| Location {
            key: key.to_string(),
            file: self.dir.join(self.body_file_name()),
            offset: r.entry.offset() + r.entry.key_len() as u64,
            len: r.entry.value_len(),
        }))
    }

    /// Apparent and allocated sizes of every file of the store.
    pub fn files(&self) -> Result<Vec<FileSize>> {
        store_files(&self.dir)
    }

    /// Drops every mapped page from this process's resident set; commands that touch many
    /// random pages call it now and then so that peak RSS stays flat.
    pub fn release_pages(&self) {
        self.body.release(0, self.body.len());
        self.lookup.release(0, self.lookup.len());
        self.index.map.release(0, self.index.map.len());
    }
}

/// Why an entry cannot be right, or `None`.
pub(crate) fn entry_problem(entry: &Entry, body_len: u64) -> Option<String> {
    if entry.flags() & !KNOWN_FLAGS != 0 {
        return Some(format!("unknown flags {:#x}", entry.flags()));
    }
    if entry.key_len() == 0 || entry.key_len() > MAX_KEY_LEN {
        return Some(format!("key length {} is out of range", entry.key_len()));
    }
    if entry.is_tombstone() && entry.value_len() != 0 {
        return Some("tombstone with a value".into());
    }
    if entry.end() > body_len {
        return Some(format!(
            "record at offset {} of {} bytes runs past the committed body ({body_len} bytes)",
            entry.offset(),
            entry.record_len()
        ));
    }
    None
}

/// One bit per entry: set for records hidden by a later entry.
#[derive(Debug)]
pub(crate) struct DeadSet {
    bits: Vec<u64>,
}

impl DeadSet {
    pub(crate) fn contains(&self, i: u64) -> bool {
        self.bits
            .get((i / 64) as usize)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// Iterator over the records of a store in append order, with their states.
pub struct Records<'a> {
    store: &'a Store,
    next: u64,
    verify: bool,
    /// Skip dead records without working out whether they were deleted or replaced.
    only_live: bool,
    /// Which records are dead, worked out on the first call when any are.
    dead: Option<DeadSet>,
    released_lookup: usize,
    released_body: usize,
}

const RELEASE_EVERY: usize = 16 << 20;

impl<'a> Iterator for Records<'a> {
    type Item = Result<(Record<'a>, State)>;

    fn next(&mut self) -> Option<Self::Item> {
        // Also ends the iteration after a failure to find the dead entries, which would
        // otherwise be tried, and fail, again on every call.
        if self.next >= self.store.entry_count() {
            return None;
        }
        if self.dead.is_none() && !self.store.all_live() {
            match self.store.dead_entries(true) {
                Ok(dead) => self.dead = Some(dead),
                Err(e) => {
                    self.next = self.store.entry_count();
                    return Some(Err(e));
                }
            }
        }
        loop {
            if self.next >= self.store.entry_count() {
                return None;
            }
            let i = self.next;
            self.next += 1;
            // Every entry passed, tombstones and skipped records too (a table can end with
            // millions of tombstones).
            self.release_lookup_behind(i);
            if self.store.raw_entry(i).is_tombstone() {
                // Tombstones are not records; `check` verifies them.
                continue;
            }
            let is_dead = self.dead.as_ref().is_some_and(|d| d.contains(i));
            if is_dead && self.only_live {
                continue;
            }
            let record = match self.store.record_at(i, self.verify) {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            self.release_body_behind(&record.entry);
            let state = if !is_dead {
                State::Live
            } else {
                match self.store.state_of(i, record.key) {
                    Ok(s) => s,
                    Err(e) => return Some(Err(e)),
                }
            };
            return Some(Ok((record, state)));
        }
    }
}

impl Records<'_> {
    /// Keeps peak RSS flat: pages of the table behind the cursor are dropped from our
    /// resident set.
    fn release_lookup_behind(&mut self, i: u64) {
        let lookup_pos = i as usize * ENTRY_SIZE;
        if lookup_pos >= self.released_lookup + RELEASE_EVERY {
            self.store.lookup.release(self.released_lookup, lookup_pos);
            self.released_lookup = lookup_pos;
        }
    }

    /// The same for the body, behind the record just read.
    fn release_body_behind(&mut self, entry: &Entry) {
        let body_pos = entry.offset() as usize;
        if body_pos >= self.released_body + RELEASE_EVERY {
            self.store.body.release(self.released_body, body_pos);
            self.released_body = body_pos;
            if self.dead.is_some() {
                // Telling deleted from replaced probes the index and the tombstones at the
                // table's end anywhere.
                self.store.index.map.release(0, self.store.index.map.len());
                self.store.lookup.release(0, self.store.lookup.len());
            }
        } else if body_pos < self.released_body {
            // Tombstones point back at older records; nothing to release.
        }
    }
}

/// Sizes of the files in a store directory (the header, lock and every generation file).
pub fn store_files(dir: &Path) -> Result<Vec<FileSize>> {
    use std::os::unix::fs::MetadataExt;
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).context(|| format!("cannot list {}", dir.display()))?;
    for item in entries {
        let item = item.context(|| format!("cannot list {}", dir.display()))?;
        let meta = item
            .metadata()
            .context(|| format!("cannot stat {}", item.path().display()))?;
        if !meta.is_file() {
            continue;
        }
        files.push(FileSize {
            name: item.file_name().to_string_lossy().into_owned(),
            bytes: meta.len(),
            allocated: meta.blocks() * 512,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// The checksum of a record whose key and value lie side by side in `bytes`.
pub(crate) fn record_crc_of(bytes: &[u8], is_json: bool) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytes);
    if is_json {
        hasher.update(&[1]);
    }
    hasher.finalize()
}
