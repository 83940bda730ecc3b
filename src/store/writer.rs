//! The write side: one [`Writer`] per process holding the store's writer lock. A writer runs
//! one batch at a time; a batch either commits whole or leaves the store byte for byte as it
//! was (`abort`, or a crash at any instant, see `docs/FORMAT.md`).
//!
//! Write order, which is the crash argument:
//! 1. (first change to the committed index only) the non-current header slot gets a copy of
//!    the commit point flagged "index dirty", fsynced: if we die from here on, the next writer
//!    scrubs the slots we added;
//! 2. records are appended to `body`, entries to `lookup`, slots filled in `index` (or a new,
//!    larger index file that no header names yet);
//! 3. `body`, `lookup` and `index` are fsynced (and the directory, for a new index file);
//! 4. the non-current header slot gets the new commit point, fsynced. This is the commit.
//! 5. only then is a replaced index file removed.
//!
//! A writer of a store whose index is too large to keep mapped stages its index slots in
//! memory and writes them in sorted runs (step 2 for the index happens half a million slots at a
//! time, and at the commit): see [`super::staged`].

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::Deserialize as _;
use zerocopy::{FromBytes, IntoBytes};

use super::format::{
    ENTRY_SIZE, Entry, FLAG_JSON, FLAG_REPLACES, FLAG_TOMBSTONE, HEADER_FILE, HEADER_FILE_SIZE,
    HEADER_FLAG_INDEX_DIRTY, HEADER_SLOT_SIZE, HeaderSlot, LOCK_FILE, MAX_OFFSET, body_file,
    index_file, key_hash, lookup_file, record_crc,
};
use super::header::{self, read_header};
use super::index::{self, PreadSlots, Slots};
use super::lock::WriterLock;
use super::map::{Map, MapMut, RssGuard, allocate};
use super::readahead::ReadAhead;
use super::reader::{check_store_dir, entry_problem, open_error, open_store_file};
use super::staged::{self, Filter, Pending};
use crate::error::{Error, IoContext, Result};
use crate::failpoint;

/// How a writer behaves.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// fsync before and after the commit point (off: faster, not crash-safe).
    pub sync: bool,
    /// Wait for the writer lock instead of failing with [`Error::Locked`].
    pub wait: bool,
    /// When the index slots are staged ([`super::staged`]); `None`: the built-in sizes. Tests
    /// stage small stores' indexes with it.
    #[doc(hidden)]
    pub index_staging: Option<IndexStaging>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            sync: true,
            wait: false,
            index_staging: None,
        }
    }
}

/// When a writer stages its index slots, and how many at a time.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStaging {
    /// Indexes larger than this many bytes are staged.
    pub from_bytes: u64,
    /// Slots of the pending table (a power of two); it is written out half full.
    pub pending_slots: usize,
}

impl IndexStaging {
    /// The built-in sizes, or those in `MMSTORE_STAGE_INDEX_FROM` and
    /// `MMSTORE_STAGE_PENDING_SLOTS` (the crash tests set them to stage small stores).
    fn from_env() -> IndexStaging {
        static FROM_ENV: std::sync::OnceLock<IndexStaging> = std::sync::OnceLock::new();
        *FROM_ENV.get_or_init(|| {
            let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
            IndexStaging {
                from_bytes: var("MMSTORE_STAGE_INDEX_FROM").unwrap_or(STAGE_INDEX_FROM),
                pending_slots: var("MMSTORE_STAGE_PENDING_SLOTS")
                    .map(|n| (n.clamp(2, 1 << 30) as usize).next_power_of_two())
                    .unwrap_or(staged::PENDING_SLOTS),
            }
        })
    }
}

/// What to do when a key being appended is already live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDuplicate {
    /// Abort the batch (bad input, exit 3).
    #[default]
    Error,
    /// Tombstone the old record and append the new one.
    Replace,
    /// Keep the old record; the new one is not stored.
    Skip,
}

/// What became of one appended record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Added,
    Replaced,
    Skipped,
}

/// Record counts and byte totals of a committed state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub live: u64,
    pub deleted: u64,
    pub replaced: u64,
    pub live_bytes: u64,
    pub dead_bytes: u64,
}

/// What became of one delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// The key is not in the store.
    Missing,
    /// The key was deleted earlier in the same batch.
    AlreadyDeleted,
}

/// What a batch did, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchSummary {
    pub added: u64,
    pub replaced: u64,
    pub skipped: u64,
    pub deleted: u64,
    /// Key and value bytes appended to the body.
    pub bytes: u64,
}

const BODY_BUFFER: usize = 4 << 20;
const LOOKUP_BUFFER: usize = 1 << 20;
const WRITE_BEHIND: u64 = 16 << 20;
const DIRECT_VALUE: usize = 1 << 20;
/// RSS, beyond the index the writer keeps mapped, above which it drops its read-only maps of
/// the committed body and table: see [`RssGuard`].
const WRITER_READ_BUDGET: u64 = 24 << 20;
/// Lookups between two releases of the read maps below which they count as scattered (then
/// keys and entries are read with pread instead of faulting in a stretch of map for each).
const SCATTERED_LOOKUPS: u64 = 2000;

/// An index larger than this (in bytes) is not written through the map: its slots are staged
/// ([`super::staged`]). Below it, the whole table stays resident at less cost than staging.
const STAGE_INDEX_FROM: u64 = 32 << 20;

/// Memory a writer staging its index uses besides the maps: the pending table, the largest
/// filter and a part of the table.
const STAGED_MEMORY: u64 =
    (staged::PENDING_SLOTS as u64 * 8) + staged::MAX_FILTER_BYTES + (2 << 20);

/// A batch's staged index slots: see [`super::staged`].
#[derive(Debug)]
struct Staged {
    pending: Pending,
    /// Every key hash in the index file and the pending table, once enough probes were made
    /// to pay for reading them all.
    filter: Option<Filter>,
    /// Probes of the index file made without a filter that found nothing.
    unfiltered_misses: u64,
}

/// The writer's index: a writable map of the index file.
#[derive(Debug)]
struct IndexMut {
    id: u64,
    capacity: u64,
    file: File,
    map: MapMut,
}

impl Slots for IndexMut {
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn slot(&self, i: u64) -> u64 {
        self.map.load_u64(i as usize)
    }
}

/// A free index slot found by a probe.
#[derive(Debug, Clone, Copy)]
struct FreeSlot {
    hash32: u32,
    slot: u64,
    inserts: u64,
}

/// A batch in progress.
#[derive(Debug, Default)]
struct Batch {
    /// Entries, committed and pending.
    entries: u64,
    /// Body bytes, committed and pending.
    body_len: u64,
    body_buf: Vec<u8>,
    /// Body bytes written to the file so far (committed included).
    body_flushed: u64,
    body_hinted: u64,
    lookup_buf: Vec<u8>,
    /// Entries written to the lookup file so far (committed included).
    lookup_flushed: u64,
    lookup_hinted: u64,
    next_seq: u64,
    live: u64,
    deleted: u64,
    replaced: u64,
    live_bytes: u64,
    dead_bytes: u64,
    index_used: u64,
    /// The committed index file was changed and the header says so.
    dirty_marked: bool,
    /// The index outgrew its file: the committed one, kept to be scrubbed or removed.
    replaced_index: Option<IndexMut>,
    /// Where the last probe found room, valid while no slot was inserted since.
    free_slot: Option<FreeSlot>,
    /// Slots inserted so far in this batch.
    inserts: u64,
    /// Keys looked up in this batch, and how many at the last release of the read maps.
    lookups: u64,
    lookups_at_release: u64,
    /// Lookups are scattered over the body: compare keys with pread, not through the map.
    scattered: bool,
    /// The index is too large to write through its map: slots are staged.
    staged: Option<Staged>,

    /// The header slot the dirty mark overwrote, to put back on abort.
    saved_slot: Option<[u8; HEADER_SLOT_SIZE]>,
    summary: BatchSummary,
    active: bool,
}

/// The one writer of a store.
#[derive(Debug)]
pub struct Writer {
    dir: PathBuf,
    options: WriteOptions,
    _lock: WriterLock,
    header_file: File,
    raw_slots: [[u8; HEADER_SLOT_SIZE]; 2],
    current_slot: usize,
    committed: HeaderSlot,
    body_file: File,
    lookup_file: File,
    body_map: Map,
    lookup_map: Map,
    /// Entries and keys read with pread (scattered lookups), with read-ahead when the reads
    /// walk forward through the files.
    lookup_ahead: ReadAhead,
    body_ahead: ReadAhead,
    index: IndexMut,
    /// Entries go into the index only at commit, all at once ([`Writer::defer_index`]).
    defer_index: bool,
    staging: IndexStaging,
    batch: Batch,
    recovery: Recovery,
    rss: RssGuard,
    /// A failed header write could not be undone: the header may hold a commit point this
    /// writer did not finish. Nothing more is written or truncated by this writer.
    header_uncertain: bool,
}

/// What opening the writer did to bring the store back to its commit point.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Recovery {
    /// Uncommitted bytes dropped from the end of the body.
    pub body_tail: u64,
    /// Uncommitted bytes dropped from the end of the lookup table.
    pub lookup_tail: u64,
    /// Index slots of an interrupted batch cleared.
    pub index_scrubbed: bool,
    /// Files of an interrupted vacuum, repair or index growth removed.
    pub leftovers: Vec<String>,
}

impl Recovery {
    pub fn is_empty(&self) -> bool {
        *self == Recovery::default()
    }
}

pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Makes a new, empty store at `dir`. The store is built in a temporary directory beside it
/// and renamed into place, so a crash never leaves half a store under the final name.
pub fn create_store(dir: &Path, options: WriteOptions) -> Result<()> {
    if fs::symlink_metadata(dir).is_ok() {
        return Err(Error::StoreExists {
            path: dir.to_path_buf(),
        });
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir.file_name().ok_or_else(|| Error::NotAStore {
        path: dir.to_path_buf(),
        why: "the path has no final component".into(),
    })?;
    let tmp = parent.join(format!(
        ".{}.creating-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        fs::create_dir(&tmp).context(|| format!("cannot create {}", tmp.display()))?;
        let capacity = index::MIN_CAPACITY;
        let mut slot = header::empty_slot(now_unix(), capacity);
        let header_file = create_file(&tmp, HEADER_FILE)?;
        header_file
            .set_len(HEADER_FILE_SIZE)
            .context(|| "cannot size the header".into())?;
        let mut older = slot;
        older.commit_seq = 0.into();
        header::write_slot(&header_file, 1, &mut older, false)?;
        header::write_slot(&header_file, 0, &mut slot, false)?;
        let files = [
            (header_file, 0),
            (create_file(&tmp, &body_file(0))?, 0),
            (create_file(&tmp, &lookup_file(0))?, 0),
            (create_file(&tmp, &index_file(0))?, capacity * 8),
            (create_file(&tmp, LOCK_FILE)?, 0),
        ];
        for (file, len) in &files {
            if *len > 0 {
                allocate(file, *len).context(|| "cannot size the index".into())?;
            }
            if options.sync {
                file.sync_all()
                    .context(|| "cannot sync a new store file".into())?;
            }
        }
        if options.sync {
            sync_dir(&tmp)?;
        }
        fs::rename(&tmp, dir).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists || e.raw_os_error() == Some(libc::ENOTEMPTY)
            {
                Error::StoreExists {
                    path: dir.to_path_buf(),
                }
            } else {
                Error::io(format!("cannot create {}", dir.display()), e)
            }
        })?;
        if options.sync {
            sync_dir(&parent)?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn create_file(dir: &Path, name: &str) -> Result<File> {
    let path = dir.join(name);
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .context(|| format!("cannot create {}", path.display()))
}

/// fsyncs a directory, so that the names of files created or removed in it are durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    let file = File::open(dir).context(|| format!("cannot open {}", dir.display()))?;
    file.sync_all()
        .context(|| format!("cannot sync {}", dir.display()))
}

impl Writer {
    /// Opens the store at `dir` for writing: takes the lock, then brings the store back to
    /// its last commit point (uncommitted tails truncated, index scrubbed, leftovers of an
    /// interrupted vacuum removed).
    pub fn open(dir: impl AsRef<Path>, options: WriteOptions) -> Result<Writer> {
        let dir = dir.as_ref().to_path_buf();
        check_store_dir(&dir)?;
        if fs::symlink_metadata(dir.join(HEADER_FILE)).is_err() {
            return Err(Error::NotAStore {
                path: dir.clone(),
                why: "it has no header file".into(),
            });
        }
        let lock = WriterLock::acquire(&dir, options.wait)?;
        let header_file = open_store_file(&dir, HEADER_FILE, true)
            .map_err(|e| open_error(&dir, HEADER_FILE, e))?;
        let header_read = read_header(&header_file, &dir)?;
        let committed = *header_read.slot();
        if let Some(newer) = header_read.damaged_newer() {
            // The newest commit point has a damaged byte. Writing now would drop what it
            // commits as if it were an uncommitted tail; repair can put the byte back.
            return Err(Error::corrupt(
                HEADER_FILE,
                super::format::HEADER_SLOT_OFFSETS[1 - header_read.current],
                format!(
                    "the newest commit point (commit {}) has a damaged byte; run `mmstore check --repair` before writing",
                    newer.commit_seq.get()
                ),
            ));
        }
        let generation = committed.generation.get();
        let mut recovery = Recovery::default();
        let (body_file, body_tail) =
            open_tail(&dir, &body_file(generation), committed.body_len.get())?;
        let lookup_bytes = committed.entry_count.get() * ENTRY_SIZE as u64;
        let (lookup_file, lookup_tail) = open_tail(&dir, &lookup_file(generation), lookup_bytes)?;
        recovery.body_tail = body_tail;
        recovery.lookup_tail = lookup_tail;
        let index = open_index(
            &dir,
            committed.index_id.get(),
            committed.index_capacity.get(),
        )?;
        let body_map = Map::new(&body_file, committed.body_len.get())
            .map_err(|e| open_error(&dir, &body_file_name(&committed), e))?;
        let lookup_map = Map::new(&lookup_file, lookup_bytes)
            .map_err(|e| open_error(&dir, &lookup_file_name(&committed), e))?;
        let mut writer = Writer {
            dir,
            options,
            _lock: lock,
            header_file,
            raw_slots: header_read.raw,
            current_slot: header_read.current,
            committed,
            body_file,
            lookup_file,
            body_map,
            lookup_map,
            lookup_ahead: ReadAhead::default(),
            body_ahead: ReadAhead::default(),
            index,
            defer_index: false,
            staging: options.index_staging.unwrap_or_else(IndexStaging::from_env),
            batch: Batch::default(),
            recovery,
            rss: RssGuard::new(WRITER_READ_BUDGET),
            header_uncertain: false,
        };
        writer.set_read_budget();
        if committed.index_dirty() {
            writer.recovery.index_scrubbed = true;
            // A writer died after touching the index: clear its slots, then say so.
            scrub(&writer.index, committed.entry_count.get())?;
            writer.flush_index()?;
            let mut clean = committed;
            clean.flags = (clean.flags.get() & !HEADER_FLAG_INDEX_DIRTY).into();
            writer.publish(clean)?;
        }
        writer.remove_leftovers()?;
        Ok(writer)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What opening did to bring the store back to its last commit point.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The commit point this writer started from (or last committed).
    pub fn committed(&self) -> &HeaderSlot {
        &self.committed
    }

    /// The key the next auto-keyed record gets: its sequence number in decimal.
    pub fn next_auto_key(&mut self) -> String {
        self.begin();
        self.batch.next_seq.to_string()
    }

    /// What the current batch has done so far.
    pub fn summary(&self) -> BatchSummary {
        self.batch.summary
    }

    fn begin(&mut self) {
        if self.batch.active {
            return;
        }
        let c = &self.committed;
        self.batch = Batch {
            entries: c.entry_count.get(),
            body_len: c.body_len.get(),
            body_flushed: c.body_len.get(),
            body_hinted: c.body_len.get(),
            lookup_flushed: c.entry_count.get(),
            lookup_hinted: c.entry_count.get(),
            next_seq: c.next_seq.get(),
            live: c.live_count.get(),
            deleted: c.deleted_count.get(),
            replaced: c.replaced_count.get(),
            live_bytes: c.live_bytes.get(),
            dead_bytes: c.dead_bytes.get(),
            index_used: c.index_used.get(),
            body_buf: Vec::with_capacity(BODY_BUFFER + 64 * 1024),
            lookup_buf: Vec::with_capacity(LOOKUP_BUFFER + ENTRY_SIZE),
            active: true,
            ..Batch::default()
        };
        // An aborted batch may have left bytes in the windows that the files no longer hold.
        self.lookup_ahead.clear();
        self.body_ahead.clear();
        self.stage_if_large();
    }

    /// Whether the index is too large to write through its map (its slots are staged, or will
    /// be when the batch begins): then nothing may touch the map, which would fault stretches
    /// of it into the resident set.
    fn stages_index(&self) -> bool {
        !self.defer_index && self.index.capacity * 8 > self.staging.from_bytes
    }

    /// Stages the index slots of the batch from now on when the index is too large to keep
    /// resident. The index file holds every entry so far.
    fn stage_if_large(&mut self) {
        if self.batch.staged.is_some() || !self.stages_index() {
            return;
        }
        self.batch.staged = Some(Staged {
            pending: Pending::new(self.batch.entries, self.staging.pending_slots),
            filter: None,
            unfiltered_misses: 0,
        });
        // Committed entries and keys are read with pread too: the maps stay out of the way.
        self.batch.scattered = true;
    }

    /// The resident set the read maps may fill before they are dropped: [`WRITER_READ_BUDGET`]
    /// beyond what the writer holds anyway, the index it keeps mapped or its staging tables.
    fn set_read_budget(&self) {
        let held = if self.stages_index() {
            STAGED_MEMORY
        } else {
            self.index.capacity * 8
        };
        self.rss.set_budget(WRITER_READ_BUDGET + held);
    }

    /// Appends one record. `value_is_json` says the value is one strict JSON text on one line
    /// (the caller knows it for JSON and CSV input; [`value_is_json`] decides otherwise).
    pub fn put(
        &mut self,
        key: &str,
        value: &[u8],
        value_is_json: bool,
        on_duplicate: OnDuplicate,
    ) -> Result<PutOutcome> {
        let Some(previous) = self.prepare_put(key, on_duplicate)? else {
            return Ok(PutOutcome::Skipped);
        };
        let offset = self.batch.body_len;
        let total = key.len() as u64 + value.len() as u64;
        if offset + total > MAX_OFFSET {
            return Err(Error::bad_input("the store's body would exceed 256 TiB"));
        }
        self.append_record(key.as_bytes(), value)?;
        let crc = record_crc(key.as_bytes(), value, value_is_json);
        self.finish_put(
            key,
            offset,
            value.len() as u64,
            value_is_json,
            crc,
            previous,
        )
    }

    /// Appends a record whose key the caller knows to be new to this store (a vacuum copying
    /// the live records of a store into an empty one): no duplicate probe.
    /// `crc` is the record's checksum, known from where it is copied from. `upcoming` is
    /// the 32-bit key hash of a record coming a little later, whose index slot
    /// is fetched meanwhile.
    pub(crate) fn put_new_with_hint(
        &mut self,
        key: &str,
        value: &[u8],
        value_is_json: bool,
        crc: u32,
        upcoming: Option<u32>,
    ) -> Result<()> {
        if let Some(hash32) = upcoming.filter(|_| !self.defer_index && !self.stages_index()) {
            self.index
                .map
                .prefetch_u64(index::home(hash32, self.index.capacity) as usize);
        }
        self.begin();
        crate::interrupt::check()?;
        self.ensure_index_room()?;
        self.batch.free_slot = None;
        let offset = self.batch.body_len;
        self.append_record(key.as_bytes(), value)?;
        self.finish_put(key, offset, value.len() as u64, value_is_json, crc, None)?;
        Ok(())
    }

    /// Appends one record whose value is read from `reader` (a file or stdin of any size),
    /// without holding the value in memory.
    pub fn put_reader(
        &mut self,
        key: &str,
        reader: &mut dyn Read,
        on_duplicate: OnDuplicate,
    ) -> Result<PutOutcome> {
        let Some(previous) = self.prepare_put(key, on_duplicate)? else {
            return Ok(PutOutcome::Skipped);
        };
        let offset = self.batch.body_len;
        self.flush_body()?;
        self.write_body_direct(key.as_bytes())?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(key.as_bytes());
        let mut checker = JsonShape::default();
        let mut buf = vec![0u8; 1 << 20];
        let mut value_len = 0u64;
        loop {
            crate::interrupt::check()?;
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io("cannot read the value", e)),
            };
            crc.update(&buf[..n]);
            checker.feed(&buf[..n]);
            self.write_body_direct(&buf[..n])?;
            value_len += n as u64;
            if offset + key.len() as u64 + value_len > MAX_OFFSET {
                return Err(Error::bad_input("the store's body would exceed 256 TiB"));
            }
        }
        let is_json = checker.plausible()
            && self.value_on_disk_is_json(offset + key.len() as u64, value_len)?;
        if is_json {
            crc.update(&[1]);
        }
        self.finish_put(key, offset, value_len, is_json, crc.finalize(), previous)
    }

    /// Touches the index slot where the probe for `key` will start, so that the memory access
    /// is under way before it is needed (bulk imports call this for several keys ahead).
    pub fn prefetch(&self, key: &[u8]) {
        let hash32 = key_hash(key) as u32;
        if let Some(staged) = &self.batch.staged {
            // The index itself is read with pread: the tables in memory are what a probe
            // waits for.
            staged.pending.prefetch(hash32);
            if let Some(filter) = &staged.filter {
                filter.prefetch(hash32);
            }
            return;
        }
        if self.stages_index() {
            return;
        }
        self.index
            .map
            .prefetch_u64(index::home(hash32, self.index.capacity) as usize);
    }

    /// Starts every memory access the lookups of `keys` will make, in three waves (the index
    /// slots, then the lookup entries they name, then the keys in the body), so that the
    /// cache misses of a group of keys overlap instead of following one another. A lookup
    /// that hits costs three misses in a row otherwise (deletes of many keys call this for
    /// groups of keys).
    pub fn prefetch_lookups<K: AsRef<[u8]>>(&self, keys: &[K]) {
        if self.stages_index() {
            // The lookups read with pread; a group's first probe would fault the map in.
            return;
        }
        for key in keys {
            self.prefetch(key.as_ref());
        }
        if self.batch.scattered {
            // The lookup table and body are read with pread: nothing to prefetch there.
            return;
        }
        let committed = self
            .committed
            .entry_count
            .get()
            .min(self.lookup_map.len() as u64 / ENTRY_SIZE as u64);
        // The committed entries a probe for `key` will compare, from the first few slots.
        let candidates = |key: &[u8], each: &mut dyn FnMut(u64)| {
            let hash32 = key_hash(key) as u32;
            let mask = self.index.capacity - 1;
            let mut at = index::home(hash32, self.index.capacity);
            for _ in 0..8 {
                let value = self.index.slot(at);
                let Some(entry) = index::slot_entry(value) else {
                    break;
                };
                if entry < committed && index::slot_tag(value) == index::tag(hash32) {
                    each(entry);
                }
                at = (at + 1) & mask;
            }
        };
        for key in keys {
            candidates(key.as_ref(), &mut |i| {
                self.lookup_map.prefetch(i as usize * ENTRY_SIZE);
            });
        }
        let body = self.body_map.bytes();
        for key in keys {
            candidates(key.as_ref(), &mut |i| {
                let at = i as usize * ENTRY_SIZE;
                let entry = Entry::read_from_bytes(&self.lookup_map.bytes()[at..at + ENTRY_SIZE])
                    .expect("entry size");
                // A hint only: a damaged entry's offset may point anywhere (out of bounds
                // is ignored); the lookup itself checks the entry.
                super::map::prefetch(body, entry.offset() as usize);
            });
        }
    }

    /// Checks the key against the store: `Ok(None)` to skip, `Ok(Some(previous))` to go on,
    /// where `previous` is the live entry being replaced, if any.
    fn prepare_put(
        &mut self,
        key: &str,
        on_duplicate: OnDuplicate,
    ) -> Result<Option<Option<(u64, Entry)>>> {
        if let Some(problem) = super::format::key_problem(key) {
            return Err(Error::bad_input(problem));
        }
        self.begin();
        crate::interrupt::check()?;
        let previous = self.find_live(key)?;
        if previous.is_some() {
            match on_duplicate {
                OnDuplicate::Error => {
                    return Err(Error::bad_input(format!(
                        "duplicate key {key:?} (pass --on-duplicate replace or skip)"
                    )));
                }
                OnDuplicate::Skip => {
                    self.batch.summary.skipped += 1;
                    return Ok(None);
                }
                OnDuplicate::Replace => {}
            }
        }
        Ok(Some(previous))
    }

    fn finish_put(
        &mut self,
        key: &str,
        offset: u64,
        value_len: u64,
        is_json: bool,
        crc: u32,
        previous: Option<(u64, Entry)>,
    ) -> Result<PutOutcome> {
        let hash = key_hash(key.as_bytes());
        let mut flags = if is_json { FLAG_JSON } else { 0 };
        let outcome = if let Some((_, old)) = previous {
            self.retire(&old)?;
            flags |= FLAG_REPLACES;
            self.batch.replaced += 1;
            self.batch.summary.replaced += 1;
            PutOutcome::Replaced
        } else {
            self.batch.summary.added += 1;
            PutOutcome::Added
        };
        let entry = Entry::new(offset, key.len(), value_len, flags, hash as u32, crc);
        self.push_entry(entry, hash as u32)?;
        let total = key.len() as u64 + value_len;
        self.batch.live += 1;
        self.batch.live_bytes += total;
        self.batch.next_seq += 1;
        self.batch.summary.bytes += total;
        Ok(outcome)
    }

    /// Tombstones the live record of `key`.
    pub fn delete(&mut self, key: &str) -> Result<DeleteOutcome> {
        self.begin();
        crate::interrupt::check()?;
        match self.find_latest(key)? {
            Some((_, old)) if !old.is_tombstone() => {
                self.tombstone(old, key.as_bytes())?;
                Ok(DeleteOutcome::Deleted)
            }
            Some((i, _)) if i >= self.committed.entry_count.get() => {
                Ok(DeleteOutcome::AlreadyDeleted)
            }
            _ => Ok(DeleteOutcome::Missing),
        }
    }

    /// Appends a tombstone for `old`, whose key (already compared equal) is `key`.
    fn tombstone(&mut self, old: Entry, key: &[u8]) -> Result<()> {
        // A tombstone reuses the key bytes of the record it deletes; its checksum covers them.
        let crc = record_crc(key, &[], false);
        let entry = Entry::new(
            old.offset(),
            old.key_len(),
            0,
            FLAG_TOMBSTONE,
            old.key_hash.get(),
            crc,
        );
        self.retire(&old)?;
        self.push_entry(entry, old.key_hash.get())?;
        self.batch.deleted += 1;
        self.batch.summary.deleted += 1;
        Ok(())
    }

    /// Moves the live record `old` from the live counts to the dead ones. The counts start
    /// from the header's, which a damaged store can get wrong even behind a valid checksum:
    /// a count that would drop below zero is corruption to report, not a reason to panic.
    fn retire(&mut self, old: &Entry) -> Result<()> {
        let live = self.batch.live.checked_sub(1);
        let live_bytes = self.batch.live_bytes.checked_sub(old.record_len());
        let (Some(live), Some(live_bytes)) = (live, live_bytes) else {
            return Err(Error::corrupt(
                HEADER_FILE,
                super::format::HEADER_SLOT_OFFSETS[self.current_slot],
                "the header's record counts disagree with the lookup table \
                 (`mmstore check --repair` recounts them)",
            ));
        };
        self.batch.live = live;
        self.batch.live_bytes = live_bytes;
        self.batch.dead_bytes += old.record_len();
        Ok(())
    }

    /// Tombstones every live record, those appended earlier in this batch included.
    pub fn delete_all(&mut self) -> Result<u64> {
        self.begin();
        // Every entry so far, pending ones too; the tombstones written below come after.
        let entries = self.batch.entries;
        let mut count = 0;
        for i in 0..entries {
            crate::interrupt::check()?;
            let entry = self.entry_at(i)?;
            if entry.is_tombstone() {
                continue;
            }
            let key = self.key_bytes(&entry)?.into_owned();
            let key =
                String::from_utf8(key).map_err(|_| self.corrupt_entry(i, "key is not UTF-8"))?;
            if self.find_live(&key)?.is_some_and(|(j, _)| j == i) {
                self.tombstone(entry, key.as_bytes())?;
                count += 1;
            }
        }
        Ok(count)
    }

    fn corrupt_entry(&self, i: u64, what: &str) -> Error {
        Error::corrupt(
            lookup_file_name(&self.committed),
            i * ENTRY_SIZE as u64,
            what,
        )
    }

    /// The live entry of `key` among committed and pending entries.
    fn find_live(&mut self, key: &str) -> Result<Option<(u64, Entry)>> {
        Ok(self.find_latest(key)?.filter(|(_, e)| !e.is_tombstone()))
    }

    /// The newest entry (record or tombstone) of `key` among committed and pending entries.
    fn find_latest(&mut self, key: &str) -> Result<Option<(u64, Entry)>> {
        // Grow first, so that the free slot this probe finds is where the next slot goes.
        self.ensure_index_room()?;

        let hash32 = key_hash(key.as_bytes()) as u32;
        if self.batch.staged.is_some() {
            return self.find_staged(key.as_bytes(), hash32);
        }
        let visible = self.batch.entries;
        let probe = index::probe(&self.index, hash32, visible, |i| {
            self.key_matches(i, key.as_bytes())
        })?;
        self.batch.free_slot = probe.empty.map(|slot| FreeSlot {
            hash32,
            slot,
            inserts: self.batch.inserts,
        });
        let latest = match probe.latest {
            Some(i) => Some((i, self.entry_at(i)?)),
            None => None,
        };
        // Key comparisons fault in pages of the committed body and table; keep them within
        // a budget so that RSS stays flat.
        self.batch.lookups += 1;
        if latest.is_some() && self.rss.tick() {
            self.body_map.release(0, self.body_map.len());
            self.lookup_map.release(0, self.lookup_map.len());
            // Few lookups between two releases: each one faults fresh pages in.
            self.batch.scattered =
                self.batch.lookups - self.batch.lookups_at_release < SCATTERED_LOOKUPS;
            self.batch.lookups_at_release = self.batch.lookups;
        }
        Ok(latest)
    }

    /// The newest entry of `key` when the index is staged: among the pending entries, else
    /// (unless the filter rules the key out) in the index file, read with pread.
    fn find_staged(&mut self, key: &[u8], hash32: u32) -> Result<Option<(u64, Entry)>> {
        let staged = self.batch.staged.as_ref().expect("a staged index");
        let mut latest: Option<(u64, Entry)> = None;
        staged.pending.candidates(hash32, |i| {
            if latest.is_none_or(|(l, _)| i > l)
                && let Some(entry) = self.entry_with_key(i, key)?
            {
                latest = Some((i, entry));
            }
            Ok::<_, Error>(())
        })?;
        if latest.is_some() {
            // Pending entries are newer than any in the index file.
            return Ok(latest);
        }
        if staged
            .filter
            .as_ref()
            .is_some_and(|f| !f.may_contain(hash32))
        {
            return Ok(None);
        }
        let slots = PreadSlots::new(&self.index.file, self.index.capacity);
        let probe = index::probe(&slots, hash32, staged.pending.first(), |i| {
            Ok::<_, Error>(match self.entry_with_key(i, key)? {
                Some(entry) => {
                    latest = Some((i, entry));
                    true
                }
                None => false,
            })
        })?;
        if let Some(e) = slots.take_error() {
            return Err(Error::io(
                format!("cannot read {}", index_file(self.index.id)),
                e,
            ));
        }
        let staged = self.batch.staged.as_mut().expect("a staged index");
        if staged.filter.is_none() && probe.latest.is_none() {
            staged.unfiltered_misses += 1;
            // A probe costs about a microsecond; reading a hash for the filter, about 1/64 of
            // that. Build the filter once the probes it would have saved (those that found
            // nothing: a filter cannot save a probe for a key that is there) paid for it.
            if staged.unfiltered_misses * 64 >= self.batch.entries {
                self.build_filter()?;
            }
        }
        if self.rss.tick() {
            // Keys too long to compare with a small pread were read through the maps.
            self.body_map.release(0, self.body_map.len());
            self.lookup_map.release(0, self.lookup_map.len());
        }
        // The probe compares only entries newer than its last match: the last one it matched
        // is the newest, `probe.latest`.
        Ok(latest)
    }

    /// Fills the staged index's filter with the key hash of every entry so far.
    fn build_filter(&mut self) -> Result<()> {
        self.flush_lookup()?;
        let mut filter = Filter::for_capacity(self.index.capacity);
        let mut raw = Vec::new();
        let mut hashes = vec![0u32; 64 * 1024];
        let mut start = 0;
        while start < self.batch.entries {
            let n = (self.batch.entries - start).min(hashes.len() as u64) as usize;
            self.read_hashes(start, &mut hashes[..n], &mut raw)
                .context(|| format!("cannot read {}", lookup_file_name(&self.committed)))?;
            for &hash32 in &hashes[..n] {
                filter.insert(hash32);
            }
            start += n as u64;
        }
        if let Some(staged) = self.batch.staged.as_mut() {
            staged.filter = Some(filter);
        }
        Ok(())
    }

    /// Writes the staged slots into the index file.
    fn flush_staged(&mut self) -> Result<()> {
        let entries = self.batch.entries;
        let Some(staged) = self.batch.staged.as_mut() else {
            return Ok(());
        };
        if staged.pending.is_empty() {
            return Ok(());
        }
        failpoint::hit("index-write")?;
        staged
            .pending
            .write_into(&self.index.file, self.index.capacity, entries)
            .context(|| format!("cannot write {}", index_file(self.index.id)))
    }

    fn key_matches(&self, i: u64, key: &[u8]) -> Result<bool> {
        Ok(self.entry_with_key(i, key)?.is_some())
    }

    /// Entry `i`, if its key is `key`.
    fn entry_with_key(&self, i: u64, key: &[u8]) -> Result<Option<Entry>> {
        let entry = self.entry_at(i)?;
        if entry.key_len() != key.len() {
            return Ok(None);
        }
        let end = entry.offset() + key.len() as u64;
        if self.batch.scattered && end <= self.committed.body_len.get() && key.len() <= 256 {
            // Scattered lookups would fault a fresh stretch of the body in for every key; a
            // small pread costs less and leaves the resident set alone.
            let mut buf = [0u8; 256];
            let stored = &mut buf[..key.len()];
            self.body_ahead
                .read(
                    &self.body_file,
                    entry.offset(),
                    self.committed.body_len.get(),
                    stored,
                )
                .context(|| "cannot read a key".into())?;
            return Ok((stored == key).then_some(entry));
        }
        Ok((*self.key_bytes(&entry)? == *key).then_some(entry))
    }

    /// Entry `i`, committed or pending.
    fn entry_at(&self, i: u64) -> Result<Entry> {
        let committed = self.committed.entry_count.get();
        let entry = if i < committed && !self.batch.scattered {
            let at = i as usize * ENTRY_SIZE;
            Entry::read_from_bytes(&self.lookup_map.bytes()[at..at + ENTRY_SIZE])
                .expect("entry size")
        } else if i >= self.batch.lookup_flushed {
            let at = (i - self.batch.lookup_flushed) as usize * ENTRY_SIZE;
            Entry::read_from_bytes(&self.batch.lookup_buf[at..at + ENTRY_SIZE]).expect("entry size")
        } else {
            let mut bytes = [0u8; ENTRY_SIZE];
            // Only committed entries are read ahead: an abort may rewrite the others.
            self.lookup_ahead
                .read(
                    &self.lookup_file,
                    i * ENTRY_SIZE as u64,
                    committed * ENTRY_SIZE as u64,
                    &mut bytes,
                )
                .context(|| "cannot read back a lookup entry".into())?;
            Entry::read_from_bytes(&bytes).expect("entry size")
        };
        if let Some(what) = entry_problem(
            &entry,
            self.batch.body_len.max(self.committed.body_len.get()),
        ) {
            return Err(self.corrupt_entry(i, &what));
        }
        Ok(entry)
    }

    /// The key bytes of an entry, committed or pending.
    fn key_bytes(&self, entry: &Entry) -> Result<Cow<'_, [u8]>> {
        let start = entry.offset();
        let end = start + entry.key_len() as u64;
        if end <= self.committed.body_len.get() {
            return Ok(Cow::Borrowed(
                &self.body_map.bytes()[start as usize..end as usize],
            ));
        }
        if start >= self.batch.body_flushed {
            let at = (start - self.batch.body_flushed) as usize;
            return Ok(Cow::Borrowed(
                &self.batch.body_buf[at..at + entry.key_len()],
            ));
        }
        let mut key = vec![0u8; entry.key_len()];
        self.body_file
            .read_exact_at(&mut key, start)
            .context(|| "cannot read back a key".into())?;
        Ok(Cow::Owned(key))
    }

    fn push_entry(&mut self, entry: Entry, hash32: u32) -> Result<()> {
        if self.batch.entries >= index::MAX_ENTRIES {
            return Err(Error::bad_input(
                "the store holds the most entries its format allows",
            ));
        }
        self.ensure_index_room()?;
        self.mark_index_dirty()?;
        let i = self.batch.entries;
        self.batch.lookup_buf.extend_from_slice(entry.as_bytes());
        self.batch.entries += 1;
        let free_slot = self.batch.free_slot.take();
        if self.defer_index {
        } else if let Some(staged) = self.batch.staged.as_mut() {
            staged.pending.push(hash32, i);
            if let Some(filter) = staged.filter.as_mut() {
                filter.insert(hash32);
            }
        } else {
            match free_slot {
                // The probe that looked the key up found the free slot, and nothing moved since.
                Some(free) if free.hash32 == hash32 && free.inserts == self.batch.inserts => {
                    self.index
                        .map
                        .store_u64(free.slot as usize, index::slot(hash32, i));
                }
                _ => insert_slot(&mut self.index, hash32, i)?,
            }
        }
        self.batch.inserts += 1;
        self.batch.index_used += 1;
        if self.batch.lookup_buf.len() >= LOOKUP_BUFFER {
            self.flush_lookup()?;
        }
        if self
            .batch
            .staged
            .as_ref()
            .is_some_and(|s| s.pending.is_full())
        {
            self.flush_staged()?;
        }
        Ok(())
    }

    /// Before the first change to the index file that the commit point names, the header
    /// says that the index may hold uncommitted slots.
    fn mark_index_dirty(&mut self) -> Result<()> {
        if self.batch.dirty_marked || self.index.id != self.committed.index_id.get() {
            return Ok(());
        }
        let saved = self.raw_slots[1 - self.current_slot];
        let mut marked = self.committed;
        marked.flags = (marked.flags.get() | HEADER_FLAG_INDEX_DIRTY).into();
        self.publish(marked)?;
        self.batch.dirty_marked = true;
        self.batch.saved_slot = Some(saved);
        Ok(())
    }

    /// From now on, entries go into the index only at commit, where the whole table is built
    /// in one pass per 8 MiB of it ([`index::build`]): a copy of millions of records neither
    /// writes the table at random nor keeps it in the resident set. Only for a writer that
    /// never looks a key up (vacuum's copy, whose keys are known to be distinct): lookups would
    /// miss the entries not yet in the index.
    pub(crate) fn defer_index(&mut self) {
        self.defer_index = true;
    }

    /// Makes room in the index for `additional` more entries at once, so that a bulk import
    /// of known size does not grow the table step by step.
    pub fn reserve(&mut self, additional: u64) -> Result<()> {
        self.begin();
        // No larger than the largest table the format allows, however much is asked for.
        let capacity =
            index::capacity_for(self.batch.index_used.saturating_add(additional)).min(1 << 40);
        if capacity > self.index.capacity {
            self.grow_index(capacity)?;
        }
        if let Some(staged) = self.batch.staged.as_mut() {
            staged.pending.expect(additional);
        }
        Ok(())
    }

    /// Moves to an index twice the size when the next slot would fill it past 3/4.
    fn ensure_index_room(&mut self) -> Result<()> {
        // A deferred index stays as `reserve` left it (empty) until the commit builds it.
        if self.defer_index || index::has_room(self.index.capacity, self.batch.index_used) {
            return Ok(());
        }
        let capacity = index::capacity_for(self.batch.index_used + 1).max(self.index.capacity * 2);
        self.grow_index(capacity)
    }

    /// Writes every entry's slot into a new, larger index file (not named by any header
    /// until the commit).
    fn grow_index(&mut self, capacity: u64) -> Result<()> {
        self.batch.free_slot = None;
        // Pending entries are read back from the file below.
        self.flush_lookup()?;
        let id = self.index.id.max(self.committed.index_id.get()) + 1;
        let name = index_file(id);
        let path = self.dir.join(&name);
        let _ = fs::remove_file(&path);
        let grown = match self.fill_index(&path, id, capacity) {
            Ok(grown) => grown,
            Err(e) => {
                // No header names the new file; leave nothing of it behind.
                let _ = fs::remove_file(&path);
                return Err(e);
            }
        };
        self.lookup_map.release(0, self.lookup_map.len());
        if let Some(staged) = self.batch.staged.as_mut() {
            // The new table holds every entry, the staged ones included.
            staged.pending.clear(self.batch.entries);
            if staged
                .filter
                .as_ref()
                .is_some_and(|f| f.bytes() != Filter::bytes_for(capacity))
            {
                staged.filter = None;
                staged.unfiltered_misses = 0;
            }
        }
        let old = std::mem::replace(&mut self.index, grown);
        if old.id == self.committed.index_id.get() {
            self.batch.replaced_index = Some(old);
        } else {
            // An index grown earlier in this batch: no header names it.
            let old_id = old.id;
            drop(old);
            let _ = fs::remove_file(self.dir.join(index_file(old_id)));
        }
        self.set_read_budget();
        self.stage_if_large();
        Ok(())
    }

    /// Creates the index file `path` with `capacity` slots holding every entry, committed
    /// and pending (which must have been flushed), built part by part ([`index::build`]) from
    /// the lookup file, so that neither the table nor the entries enter the resident set.
    fn fill_index(&self, path: &Path, id: u64, capacity: u64) -> Result<IndexMut> {
        let file = create_file(&self.dir, &index_file(id))?;
        allocate(&file, capacity * 8).context(|| format!("cannot size {}", path.display()))?;
        self.build_index(&file, capacity, self.batch.entries)
            .context(|| format!("cannot build {}", path.display()))?;
        let map = MapMut::new(&file, capacity * 8)
            .context(|| format!("cannot map {}", path.display()))?;
        Ok(IndexMut {
            id,
            capacity,
            file,
            map,
        })
    }

    /// Writes the slots of the first `entries` entries (flushed to the lookup file) into
    /// `file`, a table of `capacity` slots that reads as all empty.
    fn build_index(&self, file: &File, capacity: u64, entries: u64) -> io::Result<()> {
        let mut raw = Vec::new();
        index::build(file, capacity, entries, &mut |start, hashes| {
            self.read_hashes(start, hashes, &mut raw)
        })
    }

    /// Fills `hashes` with the key hashes of the entries from `start` on (flushed to the
    /// lookup file), read with one pread into `raw`.
    fn read_hashes(&self, start: u64, hashes: &mut [u32], raw: &mut Vec<u8>) -> io::Result<()> {
        raw.resize(hashes.len() * ENTRY_SIZE, 0);
        self.lookup_file
            .read_exact_at(raw, start * ENTRY_SIZE as u64)?;
        for (hash, entry) in hashes.iter_mut().zip(raw.chunks_exact(ENTRY_SIZE)) {
            *hash = Entry::read_from_bytes(entry)
                .expect("entry size")
                .key_hash
                .get();
        }
        Ok(())
    }

    /// Appends a record's key and value to the body: through the buffer, or straight to the
    /// file for a large value.
    fn append_record(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        if value.len() >= DIRECT_VALUE {
            self.flush_body()?;
            self.write_body_direct(key)?;
            return self.write_body_direct(value);
        }
        self.batch.body_buf.extend_from_slice(key);
        self.batch.body_buf.extend_from_slice(value);
        self.batch.body_len += key.len() as u64 + value.len() as u64;
        if self.batch.body_buf.len() >= BODY_BUFFER {
            self.flush_body()?;
        }
        Ok(())
    }

    fn write_body_direct(&mut self, bytes: &[u8]) -> Result<()> {
        debug_assert!(self.batch.body_buf.is_empty());
        self.body_file
            .write_all_at(bytes, self.batch.body_flushed)
            .context(|| format!("cannot write {}", body_file_name(&self.committed)))?;
        self.batch.body_flushed += bytes.len() as u64;
        self.batch.body_len += bytes.len() as u64;
        self.hint_write_behind();
        Ok(())
    }

    fn flush_body(&mut self) -> Result<()> {
        if self.batch.body_buf.is_empty() {
            return Ok(());
        }
        failpoint::hit("body-write")?;
        self.body_file
            .write_all_at(&self.batch.body_buf, self.batch.body_flushed)
            .context(|| format!("cannot write {}", body_file_name(&self.committed)))?;
        self.batch.body_flushed += self.batch.body_buf.len() as u64;
        self.batch.body_buf.clear();
        self.hint_write_behind();
        Ok(())
    }

    fn flush_lookup(&mut self) -> Result<()> {
        if self.batch.lookup_buf.is_empty() {
            return Ok(());
        }
        failpoint::hit("lookup-write")?;
        self.lookup_file
            .write_all_at(
                &self.batch.lookup_buf,
                self.batch.lookup_flushed * ENTRY_SIZE as u64,
            )
            .context(|| format!("cannot write {}", lookup_file_name(&self.committed)))?;
        self.batch.lookup_flushed += (self.batch.lookup_buf.len() / ENTRY_SIZE) as u64;
        self.batch.lookup_buf.clear();
        self.hint_write_behind();
        Ok(())
    }

    /// Starts writeback of what was written so far, so that the fsync at commit has little
    /// left to wait for (the disk works while we parse).
    fn hint_write_behind(&mut self) {
        if !self.options.sync {
            return;
        }
        let b = &mut self.batch;
        if b.body_flushed - b.body_hinted >= WRITE_BEHIND {
            super::map::start_writeback(
                &self.body_file,
                b.body_hinted,
                b.body_flushed - b.body_hinted,
            );
            b.body_hinted = b.body_flushed;
        }
        let lookup_bytes = (b.lookup_flushed - b.lookup_hinted) * ENTRY_SIZE as u64;
        if lookup_bytes >= WRITE_BEHIND {
            super::map::start_writeback(
                &self.lookup_file,
                b.lookup_hinted * ENTRY_SIZE as u64,
                lookup_bytes,
            );
            b.lookup_hinted = b.lookup_flushed;
        }
    }

    fn flush_index(&self) -> Result<()> {
        if self.options.sync {
            // Slots written through the map and with pwrite alike.
            self.index
                .file
                .sync_data()
                .context(|| format!("cannot sync {}", index_file(self.index.id)))?;
        }
        Ok(())
    }

    /// Whether a batch has anything to commit.
    pub fn has_changes(&self) -> bool {
        self.batch.active && self.batch.entries > self.committed.entry_count.get()
    }

    /// Makes the batch durable and publishes it. With nothing pending it does nothing. An
    /// error before the commit point aborts the batch (the store is as it was); an error
    /// after it (tidying up) is returned, but the batch stays committed.
    pub fn commit(&mut self) -> Result<BatchSummary> {
        let summary = self.batch.summary;
        if !self.has_changes() {
            self.abort()?;
            return Ok(summary);
        }
        if let Err(e) = self.make_durable_and_publish() {
            let _ = self.abort();
            return Err(e);
        }
        // Committed. What follows only tidies up.
        let failed = failpoint::hit("after-commit");
        if let Some(old) = self.batch.replaced_index.take() {
            let old_id = old.id;
            drop(old);
            let _ = fs::remove_file(self.dir.join(index_file(old_id)));
        }
        self.batch = Batch::default();
        self.remap()?;
        failed?;
        Ok(summary)
    }

    fn make_durable_and_publish(&mut self) -> Result<()> {
        crate::interrupt::check()?;
        self.flush_body()?;
        self.flush_lookup()?;
        if self.defer_index {
            // Every entry of the batch is in the lookup file: build the table from it.
            let capacity = index::capacity_for(self.batch.index_used);
            if self.index.id != self.committed.index_id.get() && self.index.capacity >= capacity {
                // The empty table `reserve` made for this batch, which no header names yet.
                self.build_index(&self.index.file, self.index.capacity, self.batch.entries)
                    .context(|| format!("cannot build {}", index_file(self.index.id)))?;
            } else {
                self.grow_index(capacity.max(self.index.capacity))?;
            }
        } else {
            self.flush_staged()?;
        }
        failpoint::hit("before-data-sync")?;
        if self.options.sync {
            let body = body_file_name(&self.committed);
            let lookup = lookup_file_name(&self.committed);
            self.body_file
                .sync_data()
                .context(|| format!("cannot sync {body}"))?;
            self.lookup_file
                .sync_data()
                .context(|| format!("cannot sync {lookup}"))?;
            self.flush_index()?;
            if self.index.id != self.committed.index_id.get() {
                self.index
                    .file
                    .sync_all()
                    .context(|| "cannot sync the new index".into())?;
                sync_dir(&self.dir)?;
            }
        }
        failpoint::hit("before-header-write")?;
        let b = &self.batch;
        let mut next = self.committed;
        next.entry_count = b.entries.into();
        next.body_len = b.body_len.into();
        next.next_seq = b.next_seq.into();
        next.live_count = b.live.into();
        next.deleted_count = b.deleted.into();
        next.replaced_count = b.replaced.into();
        next.live_bytes = b.live_bytes.into();
        next.dead_bytes = b.dead_bytes.into();
        next.index_used = b.index_used.into();
        next.index_id = self.index.id.into();
        next.index_capacity = self.index.capacity.into();
        next.flags = (next.flags.get() & !HEADER_FLAG_INDEX_DIRTY).into();
        self.publish(next)
    }

    /// Maps the newly committed lengths of body and lookup.
    fn remap(&mut self) -> Result<()> {
        let c = self.committed;
        self.body_map = Map::new(&self.body_file, c.body_len.get())
            .map_err(|e| open_error(&self.dir, &body_file_name(&c), e))?;
        self.lookup_map = Map::new(&self.lookup_file, c.entry_count.get() * ENTRY_SIZE as u64)
            .map_err(|e| open_error(&self.dir, &lookup_file_name(&c), e))?;
        Ok(())
    }

    /// Writes `slot` into the non-current header slot and makes it the current one. On
    /// failure the slot is put back as it was, so that the commit point in force is still the
    /// one this writer started from (if even that fails, see `header_uncertain`).
    pub(crate) fn publish(&mut self, mut slot: HeaderSlot) -> Result<()> {
        if self.header_uncertain {
            return Err(header_uncertain_error());
        }
        let which = 1 - self.current_slot;
        let newest = self.committed.commit_seq.get();
        slot.commit_seq = (newest + 1).into();
        slot.seal();
        if let Err(e) = self.write_slot(which, &slot) {
            // The slot may hold all, part or none of the new commit point.
            let original = self.raw_slots[which];
            if header::write_raw_slot(&self.header_file, which, &original, self.options.sync)
                .is_err()
            {
                self.header_uncertain = true;
            }
            return Err(e);
        }
        self.raw_slots[which].copy_from_slice(slot.as_bytes());
        self.current_slot = which;
        self.committed = slot;
        Ok(())
    }

    /// Writes a sealed slot into header slot `which`, durably.
    fn write_slot(&self, which: usize, slot: &HeaderSlot) -> Result<()> {
        if let Some(action) = failpoint::fires("torn-header") {
            // Half a slot, as a power cut in the middle of the write would leave it.
            let write_half = || {
                let half = &slot.as_bytes()[..HEADER_SLOT_SIZE / 2];
                let at = super::format::HEADER_SLOT_OFFSETS[which];
                let _ = self.header_file.write_all_at(half, at);
            };
            match action {
                failpoint::Action::Crash => {
                    write_half();
                    let _ = self.header_file.sync_data();
                    failpoint::crash();
                }
                failpoint::Action::Fail(e) => {
                    write_half();
                    return Err(failpoint::failure("torn-header", e));
                }
                failpoint::Action::Pause => failpoint::pause()?,
            }
        }
        header::write_raw_slot(&self.header_file, which, slot.as_bytes(), false)?;
        failpoint::hit("after-header-write")?;
        if self.options.sync {
            self.header_file
                .sync_data()
                .context(|| "cannot sync the store header".into())?;
        }
        Ok(())
    }

    /// Drops everything the batch wrote; the store is again byte for byte what it was.
    pub fn abort(&mut self) -> Result<()> {
        if !self.batch.active {
            return Ok(());
        }
        if self.header_uncertain {
            // A header slot could be neither written nor put back: it may name this batch's
            // files. Truncating them could destroy what it names, so leave everything for the
            // next writer, which trusts whatever commit point the header holds.
            self.batch = Batch::default();
            return Err(header_uncertain_error());
        }
        let committed_entries = self.committed.entry_count.get();
        let marked = self.batch.dirty_marked;
        if let Some(old) = self.batch.replaced_index.take() {
            let grown = std::mem::replace(&mut self.index, old);
            let grown_id = grown.id;
            drop(grown);
            let _ = fs::remove_file(self.dir.join(index_file(grown_id)));
        } else if self.index.id != self.committed.index_id.get() {
            let grown_id = self.index.id;
            self.index = open_index(
                &self.dir,
                self.committed.index_id.get(),
                self.committed.index_capacity.get(),
            )?;
            let _ = fs::remove_file(self.dir.join(index_file(grown_id)));
        }
        if marked {
            scrub(&self.index, committed_entries)?;
            self.flush_index()?;
        }
        let body_len = self.committed.body_len.get();
        self.body_file
            .set_len(body_len)
            .context(|| "cannot truncate the body".into())?;
        self.lookup_file
            .set_len(committed_entries * ENTRY_SIZE as u64)
            .context(|| "cannot truncate the lookup table".into())?;
        if self.options.sync {
            let _ = self.body_file.sync_data();
            let _ = self.lookup_file.sync_data();
        }
        if let (true, Some(original)) = (marked, self.batch.saved_slot) {
            // Put back the slot the dirty mark overwrote: the header is as it was.
            let marker = self.current_slot;
            header::write_raw_slot(&self.header_file, marker, &original, self.options.sync)?;
            self.raw_slots[marker] = original;
            self.current_slot = 1 - marker;
            self.committed =
                HeaderSlot::read_from_bytes(&self.raw_slots[self.current_slot]).expect("slot size");
        }
        self.batch = Batch::default();
        Ok(())
    }

    /// Writes a fresh index of every committed entry into a new index file and publishes it
    /// (`check --repair`). Entries are placed by their stored hash.
    pub fn rebuild_index(&mut self) -> Result<()> {
        let entries = self.committed.entry_count.get();
        let capacity = index::capacity_for(entries);
        let id = self.index.id.max(self.committed.index_id.get()) + 1;
        let name = index_file(id);
        let _ = fs::remove_file(self.dir.join(&name));
        let fresh = (|| {
            let file = create_file(&self.dir, &name)?;
            allocate(&file, capacity * 8).context(|| format!("cannot size {name}"))?;
            crate::interrupt::check()?;
            self.build_index(&file, capacity, entries)
                .context(|| format!("cannot build {name}"))?;
            // A Ctrl-C during the build is honoured before anything is published.
            crate::interrupt::check()?;
            let map = MapMut::new(&file, capacity * 8).context(|| format!("cannot map {name}"))?;
            let fresh = IndexMut {
                id,
                capacity,
                file,
                map,
            };
            if self.options.sync {
                fresh
                    .file
                    .sync_all()
                    .context(|| format!("cannot sync {name}"))?;
                sync_dir(&self.dir)?;
            }
            Ok(fresh)
        })();
        let fresh = match fresh {
            Ok(fresh) => fresh,
            Err(e) => {
                let _ = fs::remove_file(self.dir.join(&name));
                return Err(e);
            }
        };
        let mut next = self.committed;
        next.index_id = id.into();
        next.index_capacity = capacity.into();
        next.index_used = entries.into();
        next.flags = (next.flags.get() & !HEADER_FLAG_INDEX_DIRTY).into();
        let old = std::mem::replace(&mut self.index, fresh);
        if let Err(e) = self.publish(next) {
            drop(std::mem::replace(&mut self.index, old));
            if !self.header_uncertain {
                let _ = fs::remove_file(self.dir.join(&name));
            }
            return Err(e);
        }
        let old_id = old.id;
        drop(old);
        let _ = fs::remove_file(self.dir.join(index_file(old_id)));
        Ok(())
    }

    /// Publishes new counts (`check --repair`, when the header's disagree with the table).
    pub(crate) fn publish_counts(&mut self, counts: &Counts) -> Result<()> {
        let mut next = self.committed;
        next.live_count = counts.live.into();
        next.deleted_count = counts.deleted.into();
        next.replaced_count = counts.replaced.into();
        next.live_bytes = counts.live_bytes.into();
        next.dead_bytes = counts.dead_bytes.into();
        self.publish(next)
    }

    /// Rewrites the current commit point into the other header slot, so both slots are
    /// valid again, and gives a cut header file its size back (`check --repair` after a
    /// damaged slot).
    pub(crate) fn republish(&mut self) -> Result<()> {
        let len = self
            .header_file
            .metadata()
            .context(|| "cannot stat the store header".into())?
            .len();
        if len < HEADER_FILE_SIZE {
            self.header_file
                .set_len(HEADER_FILE_SIZE)
                .context(|| "cannot restore the size of the store header".into())?;
        }
        let current = self.committed;
        self.publish(current)
    }

    /// Moves the files of a finished generation built elsewhere (a temporary store inside
    /// this one) into place under new names and publishes them; the old generation's files
    /// are removed afterwards. Readers that opened the old generation keep reading it.
    pub(crate) fn install_generation(&mut self, built: &Path, mut next: HeaderSlot) -> Result<()> {
        let built_header = {
            let file = open_store_file(built, HEADER_FILE, false)
                .map_err(|e| open_error(built, HEADER_FILE, e))?;
            *read_header(&file, built)?.slot()
        };
        let old = self.committed;
        let generation = old.generation.get() + 1;
        let index_id = self.index.id.max(old.index_id.get()) + 1;
        let moves = [
            (
                body_file(built_header.generation.get()),
                body_file(generation),
            ),
            (
                lookup_file(built_header.generation.get()),
                lookup_file(generation),
            ),
            (
                index_file(built_header.index_id.get()),
                index_file(index_id),
            ),
        ];
        next.generation = generation.into();
        next.index_id = index_id.into();
        next.index_capacity = built_header.index_capacity;
        next.index_used = built_header.index_used;
        next.entry_count = built_header.entry_count;
        next.body_len = built_header.body_len;
        next.flags = 0.into();
        let published = (|| {
            for (from, to) in &moves {
                fs::rename(built.join(from), self.dir.join(to))
                    .context(|| format!("cannot move the new {to} into place"))?;
            }
            if self.options.sync {
                sync_dir(&self.dir)?;
            }
            failpoint::hit("vacuum-before-publish")?;
            self.publish(next)
        })();
        if let Err(e) = published {
            if !self.header_uncertain {
                // The old generation is still the store: the new one is only litter. (With
                // the header uncertain it may be the store; the next writer decides.)
                for (_, to) in &moves {
                    let _ = fs::remove_file(self.dir.join(to));
                }
                let _ = fs::remove_dir_all(built);
            }
            return Err(e);
        }
        failpoint::hit("vacuum-after-publish")?;
        // The new generation is the store. Everything below only tidies up.
        let _ = fs::remove_dir_all(built);
        for name in [
            body_file_name(&old),
            lookup_file_name(&old),
            index_file(old.index_id.get()),
        ] {
            let _ = fs::remove_file(self.dir.join(name));
        }
        if self.options.sync {
            sync_dir(&self.dir)?;
        }
        let generation_name = body_file(generation);
        let (body, _) = open_tail(&self.dir, &generation_name, next.body_len.get())?;
        let (lookup, _) = open_tail(
            &self.dir,
            &lookup_file(generation),
            next.entry_count.get() * ENTRY_SIZE as u64,
        )?;
        self.body_file = body;
        self.lookup_file = lookup;
        self.lookup_ahead.clear();
        self.body_ahead.clear();
        self.index = open_index(&self.dir, index_id, next.index_capacity.get())?;
        self.batch = Batch::default();
        self.remap()
    }

    /// Reads back `len` value bytes written at `offset` and decides whether they are one
    /// strict JSON text (for values streamed in, too large to check in memory).
    fn value_on_disk_is_json(&mut self, offset: u64, len: u64) -> Result<bool> {
        self.flush_body()?;
        let section = FileSection {
            file: &self.body_file,
            at: offset,
            end: offset + len,
        };
        let reader = io::BufReader::with_capacity(1 << 20, section);
        let mut de = serde_json::Deserializer::from_reader(reader);
        let ok = serde::de::IgnoredAny::deserialize(&mut de).is_ok() && de.end().is_ok();
        Ok(ok)
    }

    /// Removes files an interrupted writer or vacuum left behind: generations and index
    /// files that the commit point does not name, and temporary files.
    fn remove_leftovers(&mut self) -> Result<()> {
        let c = self.committed;
        let keep = [
            body_file_name(&c),
            lookup_file_name(&c),
            index_file(c.index_id.get()),
        ];
        let mut removed = false;
        let read =
            fs::read_dir(&self.dir).context(|| format!("cannot list {}", self.dir.display()))?;
        for item in read.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            if keep.contains(&name) || !is_generation_file(&name) {
                continue;
            }
            let path = item.path();
            let is_dir = item.file_type().map(|t| t.is_dir()).unwrap_or(false);
            let gone = if is_dir {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            gone.context(|| format!("cannot remove leftover {}", path.display()))?;
            self.recovery.leftovers.push(name);
            removed = true;
        }
        if removed && self.options.sync {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }
}

fn header_uncertain_error() -> Error {
    Error::io(
        "a failed write of the store header could not be undone; reopen the store",
        io::Error::from_raw_os_error(libc::EIO),
    )
}

/// Names of files that belong to some generation of a store (or are temporary), and so may
/// be removed when the commit point does not name them.
pub(crate) fn is_generation_file(name: &str) -> bool {
    if name.ends_with(".tmp") {
        return true;
    }
    // A vacuum or repair killed while it created its temporary store (see `create_store`).
    if name.starts_with(".vacuum.tmp.creating-") {
        return true;
    }
    let Some((stem, number)) = name.split_once('.') else {
        return false;
    };
    matches!(stem, "body" | "lookup" | "index")
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// A byte range of a file, read with `pread`.
struct FileSection<'a> {
    file: &'a File,
    at: u64,
    end: u64,
}

impl Read for FileSection<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len().min((self.end - self.at) as usize);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Tracks what can be decided about a streamed value without parsing it: a strict JSON text
/// on one line has no CR or LF and no leading or trailing whitespace.
#[derive(Debug, Default)]
struct JsonShape {
    seen_any: bool,
    first_ok: bool,
    last: u8,
    has_line_break: bool,
}

impl JsonShape {
    fn feed(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if !self.seen_any {
            self.seen_any = true;
            self.first_ok = !bytes[0].is_ascii_whitespace();
        }
        self.last = bytes[bytes.len() - 1];
        self.has_line_break |= memchr::memchr2(b'\n', b'\r', bytes).is_some();
    }

    fn plausible(&self) -> bool {
        self.seen_any && self.first_ok && !self.last.is_ascii_whitespace() && !self.has_line_break
    }
}

/// Whether `value` is one strict JSON text (RFC 8259, as serde_json reads it) with no
/// leading or trailing whitespace and no line break: the values embedded verbatim in
/// envelopes.
pub fn value_is_json(value: &[u8]) -> bool {
    let (Some(first), Some(last)) = (value.first(), value.last()) else {
        return false;
    };
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() {
        return false;
    }
    if memchr::memchr2(b'\n', b'\r', value).is_some() {
        return false;
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(value).is_ok()
}

/// Opens a body or lookup file for writing and drops any uncommitted tail past `committed`;
/// returns the file and how many bytes were dropped.
fn open_tail(dir: &Path, name: &str, committed: u64) -> Result<(File, u64)> {
    let file = open_store_file(dir, name, true).map_err(|e| open_error(dir, name, e))?;
    let len = file
        .metadata()
        .context(|| format!("cannot stat {name}"))?
        .len();
    if len < committed {
        return Err(Error::corrupt(
            name,
            len,
            format!("file is {len} bytes, shorter than the {committed} bytes committed"),
        ));
    }
    if len > committed {
        file.set_len(committed)
            .context(|| format!("cannot truncate the uncommitted tail of {name}"))?;
    }
    Ok((file, len - committed))
}

fn open_index(dir: &Path, id: u64, capacity: u64) -> Result<IndexMut> {
    let name = index_file(id);
    if !index::valid_capacity(capacity) {
        return Err(Error::corrupt(
            HEADER_FILE,
            0,
            format!("index capacity {capacity} is not valid"),
        ));
    }
    let file = open_store_file(dir, &name, true).map_err(|e| open_error(dir, &name, e))?;
    let len = file
        .metadata()
        .context(|| format!("cannot stat {name}"))?
        .len();
    if len != capacity * 8 {
        return Err(Error::corrupt(
            &name,
            len,
            format!("index is {len} bytes, expected {}", capacity * 8),
        ));
    }
    let map = MapMut::new(&file, capacity * 8).map_err(|e| open_error(dir, &name, e))?;
    Ok(IndexMut {
        id,
        capacity,
        file,
        map,
    })
}

/// Clears every slot that points at or past `committed` entries, part by part with pread
/// and pwrite (the table stays out of the resident set).
fn scrub(index: &IndexMut, committed: u64) -> Result<()> {
    index::clear_from(&index.file, index.capacity, committed)
        .context(|| format!("cannot scrub {}", index_file(index.id)))?;
    Ok(())
}

/// Puts a slot for entry `i` at the first empty place of its probe sequence.
fn insert_slot(index: &mut IndexMut, hash32: u32, i: u64) -> Result<()> {
    let mask = index.capacity - 1;
    let mut at = index::home(hash32, index.capacity);
    for _ in 0..index.capacity {
        // Empty as a reader's probe sees it (which stops there), not only all zeros.
        if index::slot_entry(index.map.load_u64(at as usize)).is_none() {
            index.map.store_u64(at as usize, index::slot(hash32, i));
            return Ok(());
        }
        at = (at + 1) & mask;
    }
    Err(Error::corrupt(index_file(index.id), 0, "index is full"))
}

fn body_file_name(h: &HeaderSlot) -> String {
    body_file(h.generation.get())
}

fn lookup_file_name(h: &HeaderSlot) -> String {
    lookup_file(h.generation.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::reader::Store;

    /// A writer with a deferred index builds the table at commit, in the table `reserve` made
    /// when that is large enough, in a new one when more records came than were reserved for;
    /// either way every key is found and no other index file is left.
    #[test]
    fn a_deferred_index_finds_every_key_whether_or_not_the_reservation_was_enough() {
        let options = WriteOptions {
            sync: false,
            wait: false,
            index_staging: None,
        };
        for (reserved, records) in [(0u64, 3000u32), (10, 1500), (1000, 3000), (5000, 3000)] {
            let dir = tempfile::tempdir().unwrap();
            let store = dir.path().join("store");
            create_store(&store, options).unwrap();
            let mut writer = Writer::open(&store, options).unwrap();
            writer.defer_index();
            writer.reserve(reserved).unwrap();
            for i in 0..records {
                let key = format!("key-{i}");
                let value = i.to_string();
                let crc = record_crc(key.as_bytes(), value.as_bytes(), true);
                writer
                    .put_new_with_hint(&key, value.as_bytes(), true, crc, None)
                    .unwrap();
            }
            writer.commit().unwrap();
            drop(writer);
            let reader = Store::open(&store).unwrap();
            assert_eq!(reader.stats().index_used, u64::from(records));
            let filled = (0..reader.index.capacity)
                .filter(|&i| index::slot_entry(reader.index.map.load_u64(i as usize)).is_some())
                .count();
            assert_eq!(
                filled, records as usize,
                "reserved {reserved}: one slot per entry"
            );
            for i in 0..records {
                let record = reader.get(&format!("key-{i}")).unwrap();
                assert_eq!(
                    record.map(|r| r.value.to_vec()),
                    Some(i.to_string().into_bytes()),
                    "reserved {reserved}, key-{i}"
                );
            }
            let index_files = std::fs::read_dir(&store)
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with("index.")
                })
                .count();
            assert_eq!(index_files, 1, "reserved {reserved}");
        }
    }
}
