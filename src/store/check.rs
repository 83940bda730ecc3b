//! `check` and `check --repair`: verify every byte the commit point covers, and bring a
//! damaged store back to a state that passes, without ever dropping a committed record that
//! passes its checksum.
//!
//! The check reads the files leniently (it maps what is there, not what the header promises)
//! so that a truncated or damaged store is reported problem by problem instead of failing to
//! open. An uncommitted tail, a torn write of the uncommitted header slot and index slots of an
//! interrupted batch are what a crash leaves; they are reported as notes, not problems.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::Path;

use zerocopy::FromBytes;

use super::format::{
    ENTRY_SIZE, Entry, FLAG_REPLACES, FLAG_TOMBSTONE, HEADER_FILE, HEADER_FILE_SIZE, HeaderSlot,
    body_file, index_file, key_hash32, key_problem, lookup_file, record_crc,
};
use super::header::{SlotState, read_header};
use super::index;
use super::map::Map;
use super::reader::{Store, check_store_dir, entry_problem, open_store_file};
use super::vacuum::VACUUM_DIR;
use super::writer::{Counts, OnDuplicate, Recovery, WriteOptions, Writer, create_store};
use crate::error::{Error, IoContext, Result};

/// Entries (or index slots) between two looks at the Ctrl-C flag.
const STOP_EVERY: u64 = 1 << 16;

/// How thoroughly to check.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Structure only: no body checksums.
    pub quick: bool,
    /// Stop after this many problems.
    pub max_errors: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            quick: false,
            max_errors: 100,
        }
    }
}

/// What part of the store a problem is in; repair acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Header,
    Files,
    Record,
    Index,
    Counts,
}

/// One thing wrong with a store.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    pub file: String,
    pub offset: u64,
    pub key: Option<String>,
    pub what: String,
    #[serde(skip)]
    pub part: Part,
    /// The lookup entry concerned, for record problems.
    #[serde(skip)]
    pub entry: Option<u64>,
}

/// The outcome of a check.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub problems: Vec<Problem>,
    /// Things worth knowing that are not damage (an uncommitted tail after a crash, ...).
    pub notes: Vec<String>,
    pub entries: u64,
    pub records: u64,
    pub body_bytes_checked: u64,
    /// `max_errors` was reached; more problems may exist.
    pub stopped_early: bool,
}

struct Checker {
    options: CheckOptions,
    report: CheckReport,
}

impl Checker {
    /// Records a problem; `false` once the limit is reached.
    fn problem(
        &mut self,
        part: Part,
        file: &str,
        offset: u64,
        key: Option<&str>,
        entry: Option<u64>,
        what: impl Into<String>,
    ) -> bool {
        if self.report.problems.len() >= self.options.max_errors {
            self.report.stopped_early = true;
            return false;
        }
        self.report.problems.push(Problem {
            file: file.to_string(),
            offset,
            key: key.map(str::to_string),
            what: what.into(),
            part,
            entry,
        });
        self.report.problems.len() < self.options.max_errors
    }

    /// Adds the problems and notes another pass found, up to the limit.
    fn absorb(&mut self, other: CheckReport) {
        self.report.notes.extend(other.notes);
        self.report.stopped_early |= other.stopped_early;
        for p in other.problems {
            if !self.problem(p.part, &p.file, p.offset, p.key.as_deref(), p.entry, p.what) {
                break;
            }
        }
    }

    fn full(&self) -> bool {
        self.report.problems.len() >= self.options.max_errors
    }
}

/// The files of the committed state, mapped as far as they go.
struct Lenient {
    header: HeaderSlot,
    body: Map,
    lookup: Map,
    index: Option<super::reader::IndexMap>,
}

impl Lenient {
    /// Drops every page of the maps from the resident set (between passes).
    fn release(&self) {
        self.body.release(0, self.body.len());
        self.lookup.release(0, self.lookup.len());
        if let Some(index) = &self.index {
            index.map.release(0, index.map.len());
        }
    }

    fn entries(&self) -> u64 {
        (self.lookup.len() / ENTRY_SIZE) as u64
    }
    fn entry(&self, i: u64) -> Entry {
        let at = i as usize * ENTRY_SIZE;
        Entry::read_from_bytes(&self.lookup.bytes()[at..at + ENTRY_SIZE]).expect("entry size")
    }
}

/// Checks the store at `dir`. `progress(done, total)` counts body bytes.
pub fn check(
    dir: &Path,
    options: CheckOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<CheckReport> {
    check_store_dir(dir)?;
    let mut checker = Checker {
        options,
        report: CheckReport::default(),
    };
    if let Some(files) = check_header_and_files(dir, &mut checker)? {
        // Two cores: this thread checks every record against its checksum, the other the
        // index and the visibility of keys; the report lists their problems in that order.
        let options = checker.options;
        let (other, index_first) = std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                let mut index = Checker {
                    options,
                    report: CheckReport::default(),
                };
                check_index(&files, &mut index);
                // Visibility and counts assume sound entries and index: they run only when
                // neither pass found a problem, which the entries' pass tells only at its end.
                let mut rest = Checker {
                    options,
                    report: CheckReport::default(),
                };
                let rest = if index.report.problems.is_empty() {
                    check_visibility(dir, &mut rest).and_then(|()| {
                        if rest.report.problems.is_empty() {
                            check_counts(dir, &files, &mut rest)?;
                        }
                        Ok(rest)
                    })
                } else {
                    Ok(rest)
                };
                (index, rest)
            });
            check_entries(&files, &mut checker, progress);
            let first = checker.report.problems.is_empty();
            (
                other
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
                first,
            )
        });
        files.release();
        crate::failpoint::hit("check-scanned")?;
        crate::interrupt::check()?;
        let (index, rest) = other;
        checker.absorb(index.report);
        if index_first && checker.report.problems.is_empty() {
            checker.absorb(rest?.report);
        }
    }
    checker.report.ok = checker.report.problems.is_empty();
    // Checking stops at the limit, so more problems may exist.
    checker.report.stopped_early |= checker.full();
    Ok(checker.report)
}

fn check_header_and_files(dir: &Path, c: &mut Checker) -> Result<Option<Lenient>> {
    let header_file = match open_store_file(dir, HEADER_FILE, false) {
        Ok(f) => f,
        Err(e) => {
            return Err(if e.kind() == std::io::ErrorKind::NotFound {
                Error::NotAStore {
                    path: dir.into(),
                    why: "it has no header file".into(),
                }
            } else {
                super::reader::open_error(dir, HEADER_FILE, e)
            });
        }
    };
    let header_len = header_file
        .metadata()
        .context(|| "cannot stat the header".into())?
        .len();
    let read = match read_header(&header_file, dir) {
        Ok(read) => read,
        Err(Error::Corrupt { what, .. }) => {
            c.problem(Part::Header, HEADER_FILE, 0, None, None, what);
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let header = *read.slot();
    let other = 1 - read.current;
    let other_offset = super::format::HEADER_SLOT_OFFSETS[other];
    match &read.slots[other] {
        SlotState::Valid(_) => {}
        SlotState::Damaged(_) if read.damaged_newer().is_some() => {
            let slot = read.damaged_newer().expect("checked");
            c.problem(
                Part::Header,
                HEADER_FILE,
                other_offset,
                None,
                None,
                format!(
                    "header slot {other} holds commit {}, newer than commit {} in force, but one of its bytes is damaged; readers see the older commit until `mmstore check --repair` restores it",
                    slot.commit_seq.get(),
                    header.commit_seq.get()
                ),
            );
        }
        SlotState::BadChecksum | SlotState::Damaged(_) => {
            let seq = read.raw_seq(other);
            if seq > header.commit_seq.get() {
                c.report.notes.push(format!(
                    "header slot {other} holds a torn write of an uncommitted header (a crash); the commit point in slot {} is intact",
                    read.current
                ));
            } else {
                c.problem(
                    Part::Header,
                    HEADER_FILE,
                    other_offset,
                    None,
                    None,
                    format!("header slot {other} fails its checksum"),
                );
            }
        }
        SlotState::BadMagic => {
            c.problem(
                Part::Header,
                HEADER_FILE,
                other_offset,
                None,
                None,
                format!("header slot {other} does not start with the magic bytes"),
            );
        }
        // A cut header file, reported below.
        SlotState::Missing => {}
        SlotState::NewerVersion(_) => unreachable!("read_header refuses newer versions"),
    }
    if header_len < HEADER_FILE_SIZE {
        c.problem(
            Part::Header,
            HEADER_FILE,
            header_len,
            None,
            None,
            format!("the header file is truncated ({header_len} of {HEADER_FILE_SIZE} bytes)"),
        );
    }
    if header.index_dirty() {
        c.report.notes.push("a writer was interrupted after touching the index; readers ignore its slots and the next writer clears them".into());
    }
    let generation = header.generation.get();
    let body = open_mapped(dir, &body_file(generation), header.body_len.get(), c)?;
    let lookup = open_mapped(
        dir,
        &lookup_file(generation),
        header.entry_count.get() * ENTRY_SIZE as u64,
        c,
    )?;
    let capacity = header.index_capacity.get();
    let index_name = index_file(header.index_id.get());
    let index = if !index::valid_capacity(capacity) {
        c.problem(
            Part::Index,
            HEADER_FILE,
            40,
            None,
            None,
            format!("index capacity {capacity} is not valid"),
        );
        None
    } else {
        match open_store_file(dir, &index_name, false) {
            Ok(file) => {
                let len = file
                    .metadata()
                    .context(|| format!("cannot stat {index_name}"))?
                    .len();
                if len != capacity * 8 {
                    c.problem(
                        Part::Index,
                        &index_name,
                        len.min(capacity * 8),
                        None,
                        None,
                        format!("index is {len} bytes, expected {}", capacity * 8),
                    );
                    None
                } else {
                    let map =
                        Map::new(&file, len).context(|| format!("cannot map {index_name}"))?;
                    Some(super::reader::IndexMap { map, capacity })
                }
            }
            Err(e) => {
                c.problem(
                    Part::Index,
                    &index_name,
                    0,
                    None,
                    None,
                    format!("cannot open: {e}"),
                );
                None
            }
        }
    };
    let (Some(body), Some(lookup)) = (body, lookup) else {
        return Ok(None);
    };
    Ok(Some(Lenient {
        header,
        body,
        lookup,
        index,
    }))
}

/// Maps up to `committed` bytes of a generation file, reporting a short file or a tail.
fn open_mapped(dir: &Path, name: &str, committed: u64, c: &mut Checker) -> Result<Option<Map>> {
    let file: File = match open_store_file(dir, name, false) {
        Ok(f) => f,
        Err(e) => {
            let what = if e.raw_os_error() == Some(libc::ELOOP) {
                "is a symbolic link".to_string()
            } else {
                format!("cannot open: {e}")
            };
            c.problem(Part::Files, name, 0, None, None, what);
            return Ok(None);
        }
    };
    let len = file
        .metadata()
        .context(|| format!("cannot stat {name}"))?
        .len();
    if len < committed {
        c.problem(
            Part::Files,
            name,
            len,
            None,
            None,
            format!("file is truncated: {len} bytes, the commit point covers {committed}"),
        );
    } else if len > committed {
        c.report.notes.push(format!("{name} has an uncommitted tail of {} bytes (an interrupted write; the next writer drops it)", len - committed));
    }
    let mapped = len.min(committed);
    Ok(Some(
        Map::new(&file, mapped).context(|| format!("cannot map {name}"))?,
    ))
}

fn check_entries(files: &Lenient, c: &mut Checker, progress: &mut dyn FnMut(u64, u64)) {
    let generation = files.header.generation.get();
    let lookup_name = lookup_file(generation);
    let body_len = files.body.len() as u64;
    let committed = files.header.entry_count.get();
    let available = files.entries();
    c.report.entries = committed;
    let mut previous_end = 0u64;
    let mut released = 0usize;
    let mut last_progress = 0u64;
    let total = files.header.body_len.get();
    // A tombstone's key bytes are its record's, anywhere behind: tombstones are checked
    // later, in groups, in the order of their offsets, so that the body is read in order
    // then too.
    let mut tombstones: Vec<(u64, u64)> = Vec::new();
    for i in 0..available {
        if c.full() || (i % STOP_EVERY == 0 && crate::interrupt::requested().is_some()) {
            return;
        }
        if i % STOP_EVERY == 0 {
            files.lookup.release(0, i as usize * ENTRY_SIZE);
        }
        let entry = files.entry(i);
        let at = i * ENTRY_SIZE as u64;
        if let Some(what) = entry_problem(&entry, body_len) {
            c.problem(
                Part::Record,
                &lookup_name,
                at,
                None,
                Some(i),
                format!("entry {i}: {what}"),
            );
            continue;
        }
        if entry.is_tombstone() {
            tombstones.push((entry.offset(), i));
            if tombstones.len() >= TOMBSTONES_AT_ONCE {
                check_tombstones(files, c, &mut tombstones);
            }
            continue;
        }
        let Some(key) = check_record(files, c, i, &entry) else {
            continue;
        };
        c.report.records += 1;
        if entry.offset() < previous_end {
            c.problem(
                Part::Record,
                &lookup_name,
                at,
                Some(key),
                Some(i),
                format!("entry {i}: the record overlaps the one before it"),
            );
        }
        previous_end = entry.end();
        if !c.options.quick {
            c.report.body_bytes_checked += entry.record_len();
        }
        let done = entry.end();
        if done >= last_progress + (16 << 20) {
            progress(done, total);
            last_progress = done;
            let start = entry.offset() as usize;
            files.body.release(released, start);
            released = start;
        }
    }
    check_tombstones(files, c, &mut tombstones);
    if available < committed {
        c.problem(
            Part::Files,
            &lookup_name,
            available * ENTRY_SIZE as u64,
            None,
            None,
            format!("{} committed entries are missing", committed - available),
        );
    }
    progress(total, total);
}

/// Tombstones checked together, at most (16 bytes each).
const TOMBSTONES_AT_ONCE: usize = 1 << 18;

/// Checks the tombstones `(offset, entry)` in the order of their offsets, and empties the list.
fn check_tombstones(files: &Lenient, c: &mut Checker, tombstones: &mut Vec<(u64, u64)>) {
    tombstones.sort_unstable();
    let mut released = 0usize;
    for &(offset, i) in tombstones.iter() {
        if c.full() {
            break;
        }
        check_record(files, c, i, &files.entry(i));
        if offset as usize >= released + (16 << 20) {
            files.body.release(0, offset as usize);
            files.lookup.release(0, files.lookup.len());
            released = offset as usize;
        }
    }
    files.release();
    tombstones.clear();
}

/// Checks the key and the checksum of entry `i` (whose bounds are checked); its key if the
/// key itself is sound.
fn check_record<'a>(files: &'a Lenient, c: &mut Checker, i: u64, entry: &Entry) -> Option<&'a str> {
    let body_name = body_file(files.header.generation.get());
    let bad = |c: &mut Checker, key: Option<&str>, what: &str| {
        let what = format!("entry {i}: {what}");
        c.problem(Part::Record, &body_name, entry.offset(), key, Some(i), what);
    };
    let body = files.body.bytes();
    let start = entry.offset() as usize;
    let key_bytes = &body[start..start + entry.key_len()];
    let Ok(key) = std::str::from_utf8(key_bytes) else {
        bad(c, None, "the key is not UTF-8");
        return None;
    };
    if let Some(what) = key_problem(key) {
        bad(c, Some(key), &what);
        return None;
    }
    if key_hash32(key_bytes) != entry.key_hash.get() {
        bad(c, Some(key), "the key does not match its hash");
        return None;
    }
    if !c.options.quick {
        let value: &[u8] = if entry.is_tombstone() {
            &[]
        } else {
            &body[start + entry.key_len()..entry.end() as usize]
        };
        if record_crc(key_bytes, value, entry.is_json()) != entry.crc32.get() {
            bad(c, Some(key), "checksum mismatch");
        }
    }
    Some(key)
}

/// Index slots held in the resident set at a time by the passes that probe the index: 16 MiB.
/// Entries are taken in passes, each one those whose probes start in one window of the
/// table, so that probing never faults in more of the index than the window, however large.
const INDEX_WINDOW: u64 = 2 << 20;

fn check_index(files: &Lenient, c: &mut Checker) {
    let Some(index) = &files.index else { return };
    let name = index_file(files.header.index_id.get());
    let committed = files.header.entry_count.get();
    let dirty = files.header.index_dirty();
    let mut filled = 0u64;
    let mut stale = 0u64;
    for slot_number in 0..index.capacity {
        if slot_number % STOP_EVERY == 0 {
            if crate::interrupt::requested().is_some() {
                return;
            }
            index.map.release(0, slot_number as usize * 8);
        }
        let value = index.map.load_u64(slot_number as usize);
        let Some(entry) = index::slot_entry(value) else {
            // Readers take a slot naming no entry for an empty one and stop probing there;
            // a writer never leaves tag bits in one.
            if value != 0
                && !c.problem(
                    Part::Index,
                    &name,
                    slot_number * 8,
                    None,
                    None,
                    format!("slot {slot_number} is not zero but names no entry"),
                )
            {
                return;
            }
            continue;
        };
        if entry >= committed {
            if dirty {
                stale += 1;
                continue;
            }
            if !c.problem(
                Part::Index,
                &name,
                slot_number * 8,
                None,
                None,
                format!("slot {slot_number} points past the table (entry {entry})"),
            ) {
                return;
            }
            continue;
        }
        filled += 1;
    }
    index.map.release(0, index.map.len());
    if stale > 0 {
        c.report.notes.push(format!(
            "{stale} index slots belong to an interrupted batch"
        ));
    }
    // Marking the index dirty changes no count: the committed entries' slots still number
    // `index_used`, whatever an interrupted batch added past the commit point.
    if filled != files.header.index_used.get() {
        c.problem(
            Part::Index,
            &name,
            0,
            None,
            None,
            format!(
                "the index holds {filled} slots, the header says {}",
                files.header.index_used.get()
            ),
        );
    }
    let Some(found) = find_every_entry(files, index, &name, c) else {
        return;
    };
    if found < filled {
        // Every entry has its slot, yet more slots are filled: some slot names an entry with
        // the wrong tag (or twice). Rare, so worth a random read per slot to name them.
        name_stray_slots(files, index, &name, c);
    }
}

/// Probes the index for every entry, as a reader looking its key up would, and reports the
/// entries it cannot find. Returns how many it found (`None` when stopped).
fn find_every_entry(
    files: &Lenient,
    index: &super::reader::IndexMap,
    name: &str,
    c: &mut Checker,
) -> Option<u64> {
    use index::Slots;
    let entries = files.entries();
    let mask = index.capacity - 1;
    let window = index.capacity.min(INDEX_WINDOW);
    let mut found_count = 0u64;
    for first in (0..index.capacity).step_by(window as usize) {
        for i in 0..entries {
            if i % STOP_EVERY == 0 {
                if crate::interrupt::requested().is_some() {
                    return None;
                }
                files.lookup.release(0, i as usize * ENTRY_SIZE);
            }
            let hash32 = files.entry(i).key_hash.get();
            let mut at = index::home(hash32, index.capacity);
            if at < first || at >= first + window {
                continue;
            }
            let wanted = index::slot(hash32, i);
            let mut found = false;
            for _ in 0..index.capacity {
                let value = index.slot(at);
                // Where a reader's probe stops (see `index::probe`).
                if index::slot_entry(value).is_none() {
                    break;
                }
                if value == wanted {
                    found = true;
                    break;
                }
                at = (at + 1) & mask;
            }
            if found {
                found_count += 1;
            } else if !c.problem(
                Part::Index,
                name,
                0,
                None,
                Some(i),
                format!("entry {i} is missing from the index"),
            ) {
                return None;
            }
        }
        files.lookup.release(0, files.lookup.len());
        index.map.release(0, index.map.len());
    }
    Some(found_count)
}

/// Names the slots whose tag does not match the entry they name.
fn name_stray_slots(files: &Lenient, index: &super::reader::IndexMap, name: &str, c: &mut Checker) {
    let entries = files.entries();
    let committed = files.header.entry_count.get();
    for slot_number in 0..index.capacity {
        if slot_number % STOP_EVERY == 0 {
            if crate::interrupt::requested().is_some() {
                return;
            }
            files.release();
        }
        let value = index.map.load_u64(slot_number as usize);
        let Some(entry) = index::slot_entry(value) else {
            continue;
        };
        if entry < entries.min(committed)
            && index::slot_tag(value) != index::tag(files.entry(entry).key_hash.get())
            && !c.problem(
                Part::Index,
                name,
                slot_number * 8,
                None,
                Some(entry),
                format!("slot {slot_number} does not match entry {entry}"),
            )
        {
            return;
        }
    }
    files.release();
}

/// Recounts live, deleted and replaced records and their bytes, and compares with the header.
fn check_counts(dir: &Path, files: &Lenient, c: &mut Checker) -> Result<()> {
    let (counts, adds_up) = recount(dir)?;
    if !adds_up {
        c.problem(
            Part::Counts,
            HEADER_FILE,
            0,
            None,
            None,
            "the table does not add up: a tombstone or a replacing record hides no record, or one already hidden",
        );
    }
    let h = &files.header;
    let claimed = Counts {
        live: h.live_count.get(),
        deleted: h.deleted_count.get(),
        replaced: h.replaced_count.get(),
        live_bytes: h.live_bytes.get(),
        dead_bytes: h.dead_bytes.get(),
    };
    if counts != claimed {
        c.problem(
            Part::Counts,
            HEADER_FILE,
            0,
            None,
            None,
            format!("the header's counts {claimed:?} disagree with the table's {counts:?}"),
        );
    }
    Ok(())
}

/// Every record a scan lists as live (`ls`, `export-json`) must be the one a lookup of its
/// key finds (`get`). The two decide differently, a scan by the entries that hide others, a
/// lookup by the newest entry of the key, and agree only while every tombstone and every
/// replacing record hides the record that was live when it was written. A writer working
/// through a damaged index can break that: it deletes an older version of a key whose newest
/// one the index lost, and the tombstone then hides a record that was already dead.
fn check_visibility(dir: &Path, c: &mut Checker) -> Result<()> {
    let store = Store::open(dir)?;
    let dead = if store.all_live() {
        None
    } else {
        Some(store.dead_entries(true)?)
    };
    let entries = store.entry_count();
    let capacity = store.index.capacity;
    let window = capacity.min(INDEX_WINDOW);
    // In windows of the index, as `find_every_entry`: the lookups then fault in no more of
    // the index than a window; the table and the body are read in order.
    for first in (0..capacity).step_by(window as usize) {
        for i in 0..entries {
            if i % STOP_EVERY == 0 {
                crate::interrupt::check()?;
                store.lookup.release(0, i as usize * ENTRY_SIZE);
                store.body.release(0, store.body.len());
            }
            let entry = store.raw_entry(i);
            if entry.is_tombstone() || dead.as_ref().is_some_and(|d| d.contains(i)) {
                continue;
            }
            // Runs beside the entries' pass, so it may meet a damaged entry that pass reports
            // (and then this pass's findings are not used).
            let entry = store.entry(i)?;
            let hash32 = entry.key_hash.get();
            let home = index::home(hash32, capacity);
            if home < first || home >= first + window {
                continue;
            }
            // A scan lists record `i` as live: a lookup of its key must find it.
            let key = store.key_bytes(&entry);
            let probe = index::probe(&store.index, hash32, entries, |j| {
                if j == i {
                    return Ok::<bool, Error>(true);
                }
                // Another key whose 32-bit hash is the same (a few thousand pairs in ten
                // million keys): read with pread, not through the maps.
                store.entry_has_key(j, key)
            })?;
            if probe.latest != Some(i) {
                let found = probe
                    .latest
                    .map_or("nothing".to_string(), |j| format!("entry {j}"));
                let key = String::from_utf8_lossy(key);
                let more = c.problem(
                    Part::Record,
                    &store.lookup_file_name(),
                    i * ENTRY_SIZE as u64,
                    Some(&key),
                    Some(i),
                    format!(
                        "entry {i}: a scan lists this record as live, but a lookup of its key \
                         finds {found} (a tombstone or replacement hides the wrong record)"
                    ),
                );
                if !more {
                    return Ok(());
                }
            }
        }
        store.release_pages();
    }
    Ok(())
}

/// Counts what the table holds, through the index.
/// Returns the counts and whether the table adds up (every tombstone and every replacing
/// record hides exactly one record of its own).
fn recount(dir: &Path) -> Result<(Counts, bool)> {
    let store = Store::open(dir)?;
    // Which records are dead comes from the table itself (the tombstones and the records
    // flagged as replacing), never from the header's counts, which are what is checked.
    let dead = store.dead_entries(false)?;
    let mut counts = Counts::default();
    let mut hidden = 0u64;
    for i in 0..store.entry_count() {
        if i % (1 << 16) == 0 {
            store.release_pages();
        }
        let entry = store.raw_entry(i);
        if entry.is_tombstone() {
            counts.deleted += 1;
            continue;
        }
        if entry.flags() & super::format::FLAG_REPLACES != 0 {
            counts.replaced += 1;
        }
        if dead.contains(i) {
            hidden += 1;
            counts.dead_bytes += entry.record_len();
        } else {
            counts.live += 1;
            counts.live_bytes += entry.record_len();
        }
    }
    let adds_up = hidden == counts.deleted + counts.replaced;
    if !adds_up {
        // Keep the counts consistent with what readers see (the hidden records), splitting
        // them between replaced and deleted as well as the flags allow.
        counts.replaced = counts.replaced.min(hidden);
        counts.deleted = hidden - counts.replaced;
    }
    Ok((counts, adds_up))
}

/// What `check --repair` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RepairReport {
    pub recovery: Recovery,
    pub actions: Vec<String>,
    /// Records that fail their checksum (or lie outside the files), found before repairing.
    pub corrupt_records: Vec<Problem>,
    /// The check after repairing.
    pub after: CheckReport,
}

/// Repairs the store at `dir`: drops an uncommitted tail, rewrites a damaged header slot,
/// rebuilds the index and the counts; with `drop_corrupt`, writes a new generation without
/// the records that fail their checksum. A committed record that passes is never dropped.
pub fn repair(dir: &Path, options: WriteOptions, drop_corrupt: bool) -> Result<RepairReport> {
    let restored = restore_damaged_header(dir, options)?;
    let mut writer = Writer::open(dir, options)?;
    let mut report = RepairReport {
        recovery: writer.recovery().clone(),
        ..RepairReport::default()
    };
    report.actions.extend(restored);
    let all = CheckOptions {
        quick: false,
        max_errors: usize::MAX,
    };
    let before = check(dir, all, &mut |_, _| {})?;
    let has = |part: Part| before.problems.iter().any(|p| p.part == part);
    report.corrupt_records = before
        .problems
        .iter()
        .filter(|p| matches!(p.part, Part::Record | Part::Files))
        .cloned()
        .collect();
    if has(Part::Header) {
        writer.republish()?;
        report
            .actions
            .push("rewrote the damaged header slot from the commit point".into());
    }
    if !report.corrupt_records.is_empty() && drop_corrupt {
        let dropped = rewrite_without_corrupt(dir, &mut writer, options)?;
        report.actions.push(format!(
            "wrote a new generation without {dropped} damaged records"
        ));
    } else {
        if has(Part::Index) && !has(Part::Files) {
            writer.rebuild_index()?;
            report
                .actions
                .push("rebuilt the index from the lookup table".into());
        }
        if has(Part::Counts)
            || (has(Part::Index) && !has(Part::Files) && report.corrupt_records.is_empty())
        {
            drop(writer);
            let (counts, _) = recount(dir)?;
            writer = Writer::open(dir, options)?;
            writer.publish_counts(&counts)?;
            report
                .actions
                .push("recounted the records into the header".into());
        }
    }
    drop(writer);
    report.after = check(dir, all, &mut |_, _| {})?;
    Ok(report)
}

/// Whether an entry's record passes its checksum, and its key when that can be trusted: the
/// key bytes when the checksum holds (whatever the stored hash says), or when they at least
/// match the stored hash.
fn readable<'a>(entry: &Entry, body: &'a [u8]) -> (bool, Option<&'a str>) {
    let start = entry.offset();
    let key_end = start.saturating_add(entry.key_len() as u64);
    if entry.key_len() == 0 || key_end > body.len() as u64 {
        return (false, None);
    }
    let key_bytes = &body[start as usize..key_end as usize];
    let key = std::str::from_utf8(key_bytes)
        .ok()
        .filter(|k| key_problem(k).is_none());
    let intact = key.is_some() && entry_problem(entry, body.len() as u64).is_none() && {
        let value: &[u8] = if entry.is_tombstone() {
            &[]
        } else {
            &body[key_end as usize..entry.end() as usize]
        };
        record_crc(key_bytes, value, entry.is_json()) == entry.crc32.get()
    };
    let hash_matches = key_hash32(key_bytes) == entry.key_hash.get();
    (intact, key.filter(|_| intact || hash_matches))
}

fn key_hash32_str(key: &str) -> u32 {
    key_hash32(key.as_bytes())
}

/// A newest header slot with one damaged byte holds a real commit: put the byte back (when
/// the files still hold what it commits), so that commit is in force again. Otherwise the
/// damaged slot is overwritten with the commit in force.
fn restore_damaged_header(dir: &Path, options: WriteOptions) -> Result<Option<String>> {
    check_store_dir(dir)?;
    let _lock = super::lock::WriterLock::acquire(dir, options.wait)?;
    let file = open_store_file(dir, HEADER_FILE, true)
        .map_err(|e| super::reader::open_error(dir, HEADER_FILE, e))?;
    let read = match read_header(&file, dir) {
        Ok(read) => read,
        Err(_) => return Ok(None),
    };
    let other = 1 - read.current;
    let Some(damaged) = read.damaged_newer() else {
        return Ok(None);
    };
    let mut slot = *damaged;
    let seq = slot.commit_seq.get();
    let covered =
        |name: String, len: u64| std::fs::metadata(dir.join(name)).is_ok_and(|m| m.len() >= len);
    let index_len = slot.index_capacity.get().saturating_mul(8);
    let whole = covered(body_file(slot.generation.get()), slot.body_len.get())
        && covered(
            lookup_file(slot.generation.get()),
            slot.entry_count.get() * ENTRY_SIZE as u64,
        )
        && std::fs::metadata(dir.join(index_file(slot.index_id.get())))
            .is_ok_and(|m| m.len() == index_len);
    if !whole {
        return Ok(None);
    }
    super::header::write_slot(&file, other, &mut slot, options.sync)?;
    Ok(Some(format!(
        "restored header slot {other} (commit {seq}) from its one damaged byte"
    )))
}

/// Replays every readable entry into a new generation: good records are appended (a later
/// one replacing an earlier one, as they did), tombstones delete again, and a damaged record
/// whose key is intact deletes its key, so that an older version it had replaced stays gone;
/// a damaged replacement whose key is unreadable deletes the one live key with its hash, for
/// the same reason. A record that passes its checksum is kept even if its stored key hash is
/// damaged. Returns how many damaged entries were left out.
fn rewrite_without_corrupt(dir: &Path, writer: &mut Writer, options: WriteOptions) -> Result<u64> {
    let built = dir.join(VACUUM_DIR);
    if built.exists() {
        std::fs::remove_dir_all(&built).context(|| format!("cannot remove {}", built.display()))?;
    }
    let mut scratch = Checker {
        options: CheckOptions {
            quick: true,
            max_errors: 0,
        },
        report: CheckReport::default(),
    };
    let files = check_header_and_files(dir, &mut scratch)?
        .ok_or_else(|| Error::corrupt(HEADER_FILE, 0, "the store's files cannot be read at all"))?;
    create_store(
        &built,
        WriteOptions {
            wait: false,
            ..options
        },
    )?;
    let mut target = Writer::open(
        &built,
        WriteOptions {
            wait: false,
            ..options
        },
    )?;
    let body = files.body.bytes();
    // Damaged entries whose key cannot be read but whose flags say that they replaced or
    // deleted an earlier record: that record must stay gone. They are found by the hash the
    // entry keeps, among the keys appended so far.
    let orphan_hashes: HashSet<u32> = (0..files.entries())
        .map(|i| files.entry(i))
        .filter(|e| e.flags() & (FLAG_REPLACES | FLAG_TOMBSTONE) != 0)
        .filter(|e| readable(e, body).1.is_none())
        .map(|e| e.key_hash.get())
        .collect();
    let mut live_by_hash: HashMap<u32, Vec<String>> = HashMap::new();
    let mut dropped = 0u64;
    let result = (|| {
        for i in 0..files.entries() {
            crate::interrupt::check()?;
            let entry = files.entry(i);
            let (intact, key) = readable(&entry, body);
            let tracked = key
                .map(key_hash32_str)
                .filter(|h| orphan_hashes.contains(h));
            match (intact, key) {
                (true, Some(key)) if entry.is_tombstone() => {
                    target.delete(key)?;
                    if let Some(h) = tracked {
                        live_by_hash.entry(h).or_default().retain(|k| k != key);
                    }
                }
                (true, Some(key)) => {
                    let start = entry.offset() as usize + entry.key_len();
                    let value = &body[start..entry.end() as usize];
                    target.put(key, value, entry.is_json(), OnDuplicate::Replace)?;
                    if let Some(h) = tracked {
                        let keys = live_by_hash.entry(h).or_default();
                        if !keys.iter().any(|k| k == key) {
                            keys.push(key.to_string());
                        }
                    }
                }
                (false, Some(key)) => {
                    dropped += 1;
                    target.delete(key)?;
                    if let Some(h) = tracked {
                        live_by_hash.entry(h).or_default().retain(|k| k != key);
                    }
                }
                (_, None) => {
                    dropped += 1;
                    let replaced_something = entry.flags() & (FLAG_REPLACES | FLAG_TOMBSTONE) != 0;
                    if let (true, Some(keys)) = (
                        replaced_something,
                        live_by_hash.get_mut(&entry.key_hash.get()),
                    ) {
                        // Only when the hash names one key for sure: never drop a record
                        // on a guess.
                        if let [only] = keys.as_slice() {
                            target.delete(only)?;
                            keys.clear();
                        }
                    }
                }
            }
        }
        target.commit()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = target.abort();
        drop(target);
        let _ = std::fs::remove_dir_all(&built);
        return Err(e);
    }
    let built_header = *target.committed();
    drop(target);
    let mut next = *writer.committed();
    next.live_count = built_header.live_count;
    next.deleted_count = built_header.deleted_count;
    next.replaced_count = built_header.replaced_count;
    next.live_bytes = built_header.live_bytes;
    next.dead_bytes = built_header.dead_bytes;
    drop(files);
    writer.install_generation(&built, next)?;
    Ok(dropped)
}
