//! What the fuzz targets do with an input, shared with their proptest twins in
//! `tests/fuzz_props.rs` (which include this file as a module), so that `cargo fuzz` and the
//! stable test suite hold the library to the same promises (SPEC §1.7 and §3, "Batches are
//! atomic"):
//!
//! - a store whose files were damaged in any way (bytes overwritten, bits flipped, files
//!   truncated, extended or removed, header fields changed behind a valid checksum) is opened,
//!   read, checked, written, vacuumed and repaired without a panic, and every failure is an
//!   [`Error`] of a kind the binary turns into exit code 4;
//! - a store that `check` passes behaves like one: it opens, every record reads back through
//!   the index, a write commits and is seen, and a vacuum keeps every live record;
//! - any bytes given to `import-csv` or `import-json` either import (then the store checks
//!   clean and the values are what the spec says) or fail as bad input and leave the store
//!   byte for byte as it was.
//!
//! Inputs are plain bytes read through [`Input`], so that a fuzzer's mutations and a
//! property test's strategies drive the same code. Stores are written to `/dev/shm` when it
//! is there: every case builds one, and a disk would only slow the search down.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, Cursor};
use std::path::Path;
use std::sync::OnceLock;

use mmstore::io::csv::{CsvOptions, import_csv};
use mmstore::io::envelope::{self, ExportOptions};
use mmstore::store::check::{self, CheckOptions};
use mmstore::store::format::{HEADER_SLOT_OFFSETS, HEADER_SLOT_SIZE, LOCK_FILE};
use mmstore::store::{vacuum, value_is_json};
use mmstore::{BatchSummary, Error, OnDuplicate, State, Store, WriteOptions, Writer, create_store};

/// The cases need no durability; fsync would only slow them down.
pub const OPTIONS: WriteOptions = WriteOptions {
    sync: false,
    wait: false,
    index_staging: None,
};

/// Keys the seed stores hold (and one they do not), looked up in every case.
pub const KEYS: &[&str] = &["a", "b", "c", "ключ", "0", "5", "🦀 crab", "absent"];

/// Where the checksum of a header slot lies: the CRC32 of every byte before it.
const SLOT_CHECKSUM_AT: usize = HEADER_SLOT_SIZE - 8;

// ---------------------------------------------------------------------------------------
// Reading an input
// ---------------------------------------------------------------------------------------

/// The bytes of a case, read front to back; once they run out every read gives zeros, so
/// any input decodes to something.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((first, rest)) => {
                self.data = rest;
                *first
            }
            None => 0,
        }
    }

    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (taken, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        taken
    }

    fn u32(&mut self) -> u32 {
        let mut le = [0u8; 4];
        let taken = self.bytes(4);
        le[..taken.len()].copy_from_slice(taken);
        u32::from_le_bytes(le)
    }

    fn u64(&mut self) -> u64 {
        let mut le = [0u8; 8];
        let taken = self.bytes(8);
        le[..taken.len()].copy_from_slice(taken);
        u64::from_le_bytes(le)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

// ---------------------------------------------------------------------------------------
// Store images: the files of a store, in memory
// ---------------------------------------------------------------------------------------

/// Every file of a store directory but the lock, by name, in name order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    pub files: Vec<(String, Vec<u8>)>,
}

impl Image {
    /// Reads the regular files of `dir` (the lock left out: it holds a PID, not data).
    pub fn read(dir: &Path) -> Image {
        let mut files = Vec::new();
        for item in fs::read_dir(dir).expect("list the store") {
            let item = item.expect("list the store");
            let name = item.file_name().to_string_lossy().into_owned();
            if name == LOCK_FILE || !item.file_type().expect("stat").is_file() {
                continue;
            }
            files.push((name, fs::read(item.path()).expect("read a store file")));
        }
        files.sort();
        Image { files }
    }

    /// Writes the files into `dir`, which must exist.
    pub fn write(&self, dir: &Path) {
        for (name, bytes) in &self.files {
            fs::write(dir.join(name), bytes).expect("write a store file");
        }
    }

    fn file_mut(&mut self, name: &str) -> &mut Vec<u8> {
        let at = self
            .files
            .iter()
            .position(|(n, _)| n == name)
            .expect("the seed has this file");
        &mut self.files[at].1
    }
}

/// A fresh directory for one case, in memory when the machine offers a tmpfs.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::Builder::new()
            .prefix("mmstore-fuzz")
            .tempdir_in(shm)
    {
        return dir;
    }
    tempfile::Builder::new()
        .prefix("mmstore-fuzz")
        .tempdir()
        .expect("make a temporary directory")
}

/// The seed stores the store cases start from, each a state the library really produces.
pub const SEED_NAMES: &[&str] = &["empty", "small", "vacuumed", "crashed", "grown"];

/// Seed `n` (modulo the number of seeds).
pub fn seed(n: usize) -> &'static Image {
    static SEEDS: OnceLock<Vec<Image>> = OnceLock::new();
    let seeds = SEEDS.get_or_init(build_seeds);
    &seeds[n % seeds.len()]
}

/// The seed `import_csv` and `import_json` cases import into.
pub fn small_seed() -> &'static Image {
    seed(1)
}

fn build_seeds() -> Vec<Image> {
    let scratch = scratch_dir();
    let new_store = |name: &str| {
        let dir = scratch.path().join(name);
        create_store(&dir, OPTIONS).expect("create a seed store");
        dir
    };

    let empty = new_store("empty");

    // Records, a replaced one, a deleted one, JSON and binary values, unicode keys and an
    // auto key: every kind of entry the format has.
    let small = new_store("small");
    fill_small(&small);

    let vacuumed = new_store("vacuumed");
    fill_small(&vacuumed);
    vacuum::vacuum(&vacuumed, OPTIONS, false, &mut |_, _| {}).expect("vacuum the seed");

    // A writer that died mid-batch: index slots of uncommitted entries, the index marked
    // dirty in the header, and uncommitted tails on the body and the table.
    let crashed = new_store("crashed");
    fill_small(&crashed);
    {
        let mut writer = Writer::open(&crashed, OPTIONS).expect("open the seed");
        writer
            .put(
                "uncommitted",
                b"lost in the crash",
                false,
                OnDuplicate::Error,
            )
            .expect("put");
        writer.delete("a").expect("delete");
        drop(writer);
    }
    let mut crashed_image = Image::read(&crashed);
    crashed_image
        .file_mut("body.0")
        .extend_from_slice(b"uncommittedlost in the crash");
    crashed_image
        .file_mut("lookup.0")
        .extend_from_slice(&[7; 24]);

    // An index grown past its first size (a second index file, twice the slots), as a bulk
    // import that knows its size leaves it; reserved rather than filled, so that the seed
    // stays small and the fuzzer fast.
    let grown = new_store("grown");
    fill_small(&grown);
    {
        let mut writer = Writer::open(&grown, OPTIONS).expect("open the seed");
        writer.reserve(1000).expect("reserve");
        let key = writer.next_auto_key();
        writer
            .put(&key, b"1000", true, OnDuplicate::Error)
            .expect("put");
        writer.commit().expect("commit the seed");
    }

    vec![
        Image::read(&empty),
        Image::read(&small),
        Image::read(&vacuumed),
        crashed_image,
        Image::read(&grown),
    ]
}

fn fill_small(dir: &Path) {
    let mut writer = Writer::open(dir, OPTIONS).expect("open the seed");
    let auto = writer.next_auto_key();
    let puts: [(&str, &[u8], bool); 5] = [
        ("a", br#"{"x":1,"y":[true,null]}"#, true),
        ("b", b"\x00\xffbinary\r\n", false),
        ("c", b"plain text", false),
        ("ключ", b"[1,2,3]", true),
        (&auto, b"", false),
    ];
    for (key, value, is_json) in puts {
        writer
            .put(key, value, is_json, OnDuplicate::Error)
            .expect("put");
    }
    writer.commit().expect("commit the seed");
    writer
        .put("b", br#""replaced""#, true, OnDuplicate::Replace)
        .expect("replace");
    writer.delete("c").expect("delete");
    writer
        .put("🦀 crab", &[b'x'; 300], false, OnDuplicate::Error)
        .expect("put");
    writer.commit().expect("commit the seed");
}

// ---------------------------------------------------------------------------------------
// Damage
// ---------------------------------------------------------------------------------------

/// One change to a store's files. File numbers and offsets are taken modulo what the image
/// holds when the edit is applied, so every edit applies to something.
#[derive(Clone, Debug)]
pub enum Edit {
    Overwrite {
        file: usize,
        offset: u64,
        bytes: Vec<u8>,
    },
    FlipBit {
        file: usize,
        bit: u64,
    },
    Truncate {
        file: usize,
        len: u64,
    },
    Append {
        file: usize,
        bytes: Vec<u8>,
    },
    Remove {
        file: usize,
    },
    /// Changes one 8-byte header field of a slot (offsets 8, 16, ..., 136) and seals the slot
    /// again, so that the damage gets past the checksum: a hostile or buggy writer.
    HeaderField {
        slot: usize,
        field: usize,
        change: Change,
    },
    /// Recomputes the checksum of both header slots.
    Reseal,
}

/// How a header field changes.
#[derive(Clone, Copy, Debug)]
pub enum Change {
    To(u64),
    Add(i64),
    FlipBit(u32),
}

/// Header fields an edit can change (offset of each 8-byte field).
const HEADER_FIELDS: usize = 17;

/// Decodes the edits of a store case: a seed number, flags, then edits until the input ends.
pub fn decode_store_case(data: &[u8]) -> (usize, u8, Vec<Edit>) {
    let mut input = Input::new(data);
    let seed = input.byte() as usize;
    let flags = input.byte();
    let mut edits = Vec::new();
    while !input.is_empty() && edits.len() < 32 {
        let op = input.byte() % 7;
        let edit = match op {
            0 => {
                let file = input.byte() as usize;
                let offset = input.u32() as u64;
                let n = input.byte() as usize % 32 + 1;
                Edit::Overwrite {
                    file,
                    offset,
                    bytes: input.bytes(n).to_vec(),
                }
            }
            1 => Edit::FlipBit {
                file: input.byte() as usize,
                bit: input.u32() as u64,
            },
            2 => Edit::Truncate {
                file: input.byte() as usize,
                len: input.u32() as u64,
            },
            3 => {
                let file = input.byte() as usize;
                let n = input.byte() as usize;
                Edit::Append {
                    file,
                    bytes: input.bytes(n).to_vec(),
                }
            }
            4 => Edit::Remove {
                file: input.byte() as usize,
            },
            5 => {
                let slot = input.byte() as usize;
                let field = input.byte() as usize;
                let change = match input.byte() % 3 {
                    0 => Change::To(input.u64()),
                    1 => Change::Add(input.byte() as i8 as i64),
                    _ => Change::FlipBit(input.byte() as u32 % 64),
                };
                Edit::HeaderField {
                    slot,
                    field,
                    change,
                }
            }
            _ => Edit::Reseal,
        };
        edits.push(edit);
    }
    (seed, flags, edits)
}

/// Applies `edits` to a copy of `image`.
pub fn damage(image: &Image, edits: &[Edit]) -> Image {
    let mut image = image.clone();
    for edit in edits {
        if image.files.is_empty() {
            break;
        }
        let count = image.files.len();
        match edit {
            Edit::Overwrite {
                file,
                offset,
                bytes,
            } => {
                let data = &mut image.files[file % count].1;
                if data.is_empty() {
                    continue;
                }
                let start = (*offset % data.len() as u64) as usize;
                let end = (start + bytes.len()).min(data.len());
                data[start..end].copy_from_slice(&bytes[..end - start]);
            }
            Edit::FlipBit { file, bit } => {
                let data = &mut image.files[file % count].1;
                if data.is_empty() {
                    continue;
                }
                let bit = *bit % (data.len() as u64 * 8);
                data[(bit / 8) as usize] ^= 1 << (bit % 8);
            }
            Edit::Truncate { file, len } => {
                let data = &mut image.files[file % count].1;
                let len = *len % (data.len() as u64 + 1);
                data.truncate(len as usize);
            }
            Edit::Append { file, bytes } => image.files[file % count].1.extend_from_slice(bytes),
            Edit::Remove { file } => {
                image.files.remove(file % count);
            }
            Edit::HeaderField {
                slot,
                field,
                change,
            } => {
                let Some((_, header)) = image.files.iter_mut().find(|(n, _)| n == "header") else {
                    continue;
                };
                let base = HEADER_SLOT_OFFSETS[slot % 2] as usize;
                let at = base + 8 + 8 * (field % HEADER_FIELDS);
                let Some(bytes) = header.get_mut(at..at + 8) else {
                    continue;
                };
                let old = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
                let new = match *change {
                    Change::To(value) => value,
                    Change::Add(delta) => old.wrapping_add_signed(delta),
                    Change::FlipBit(bit) => old ^ 1 << bit,
                };
                bytes.copy_from_slice(&new.to_le_bytes());
                reseal(header, slot % 2);
            }
            Edit::Reseal => {
                if let Some((_, header)) = image.files.iter_mut().find(|(n, _)| n == "header") {
                    reseal(header, 0);
                    reseal(header, 1);
                }
            }
        }
    }
    image
}

/// Writes a correct checksum into header slot `slot`, if the file holds the whole slot.
fn reseal(header: &mut [u8], slot: usize) {
    let base = HEADER_SLOT_OFFSETS[slot] as usize;
    let Some(bytes) = header.get_mut(base..base + HEADER_SLOT_SIZE) else {
        return;
    };
    let checksum = crc32fast::hash(&bytes[..SLOT_CHECKSUM_AT]);
    bytes[SLOT_CHECKSUM_AT..SLOT_CHECKSUM_AT + 4].copy_from_slice(&checksum.to_le_bytes());
}

// ---------------------------------------------------------------------------------------
// The store case
// ---------------------------------------------------------------------------------------

/// Flag of a store case: repair drops corrupt records (`check --repair --drop-corrupt`).
pub const DROP_CORRUPT: u8 = 1;
/// Flag of a store case: vacuum before repairing.
pub const VACUUM: u8 = 2;

/// The fuzz target `open_and_check`: a seed store damaged by the edits the bytes decode to.
pub fn store_case_from_bytes(data: &[u8]) {
    let (seed_number, flags, edits) = decode_store_case(data);
    store_case(seed_number, flags, &edits);
}

/// Damages seed `seed_number` with `edits`, then puts the store through everything a user
/// can do to it.
pub fn store_case(seed_number: usize, flags: u8, edits: &[Edit]) {
    let image = damage(seed(seed_number), edits);
    let scratch = scratch_dir();
    let dir = scratch.path();
    image.write(dir);
    exercise_store(dir, flags);
}

/// Reads, checks, writes, vacuums and repairs the store at `dir`, whatever its files hold.
pub fn exercise_store(dir: &Path, flags: u8) {
    read_everything(dir);
    let clean = match check::check(dir, CheckOptions::default(), &mut |_, _| {}) {
        Ok(report) => report.ok,
        Err(e) => {
            expect_store_error(&e, "check");
            false
        }
    };
    let quick = CheckOptions {
        quick: true,
        max_errors: 10,
    };
    match check::check(dir, quick, &mut |_, _| {}) {
        Ok(report) => assert!(
            report.ok || !clean,
            "check --quick finds problems that the full check does not: {:?}",
            report.problems
        ),
        Err(e) => {
            expect_store_error(&e, "check --quick");
            assert!(!clean, "check --quick fails on a clean store: {e}");
        }
    }
    if clean {
        assert_consistent(dir, "a store that checks clean");
    }
    write_some(dir, clean);
    if flags & VACUUM != 0 {
        vacuum_it(dir, clean);
    }
    match check::repair(dir, OPTIONS, flags & DROP_CORRUPT != 0) {
        Ok(report) => {
            if report.after.ok {
                assert_consistent(dir, "a store that checks clean after a repair");
            }
        }
        Err(e) => expect_store_error(&e, "check --repair"),
    }
    read_everything(dir);
}

/// Every read a command can make: open, stats, get, locate, records with and without
/// checksums, `--index`, export, file sizes.
fn read_everything(dir: &Path) {
    let store = match Store::open(dir) {
        Ok(store) => store,
        Err(e) => return expect_store_error(&e, "Store::open"),
    };
    let _ = store.stats();
    for key in KEYS {
        match store.get(key) {
            Ok(Some(record)) => assert_eq!(record.key, *key, "get returned another key"),
            Ok(None) => {}
            Err(e) => expect_store_error(&e, "get"),
        }
        if let Err(e) = store.locate(key) {
            expect_store_error(&e, "locate");
        }
    }
    for verify in [true, false] {
        let mut seen = 0u64;
        for item in store.records(verify) {
            seen += 1;
            assert!(
                seen <= store.entry_count(),
                "records() yields more items than there are entries"
            );
            match item {
                Ok((record, state)) => {
                    if let Err(e) = store.state_of(record.entry_index, record.key) {
                        expect_store_error(&e, "state_of");
                    }
                    let _ = state;
                }
                Err(e) => expect_store_error(&e, "records"),
            }
        }
    }
    for n in [0, 1, -1, -2, i64::MAX, i64::MIN] {
        if let Err(e) = store.nth_live(n) {
            expect_store_error(&e, "nth_live");
        }
    }
    let mut out = Vec::new();
    if let Err(e) = envelope::export(&store, &mut out, &ExportOptions::default(), &mut |_, _| {}) {
        expect_store_error(&e, "export");
    }
    store.files().expect("list the store's files");
}

/// The live records of a clean store, in append order.
fn live_records(dir: &Path) -> Vec<(String, Vec<u8>, bool)> {
    let store = Store::open(dir).expect("a clean store opens");
    store
        .records(true)
        .map(|item| item.expect("every record of a clean store reads"))
        .filter(|(_, state)| *state == State::Live)
        .map(|(r, _)| (r.key.to_string(), r.value.to_vec(), r.value_is_json()))
        .collect()
}

/// What a store that `check` passes must do: open, read every record, find every live one
/// through the index, and agree with its header's counts.
fn assert_consistent(dir: &Path, what: &str) {
    let store = Store::open(dir).unwrap_or_else(|e| panic!("{what} does not open: {e}"));
    let mut live = 0u64;
    for item in store.records(true) {
        let (record, state) = item.unwrap_or_else(|e| panic!("{what}: a record fails: {e}"));
        if state != State::Live {
            continue;
        }
        live += 1;
        let found = store
            .get(record.key)
            .unwrap_or_else(|e| panic!("{what}: get {:?} fails: {e}", record.key))
            .unwrap_or_else(|| panic!("{what}: live key {:?} is not found", record.key));
        assert_eq!(
            found.entry_index, record.entry_index,
            "{what}: get finds another entry"
        );
        assert_eq!(found.value, record.value, "{what}: get reads another value");
    }
    assert_eq!(live, store.live_count(), "{what}: live records != header");
}

/// A writing command's batch: add, replace, delete, an auto key; then commit. A store that
/// checks clean must take it and show it.
fn write_some(dir: &Path, clean: bool) {
    let mut writer = match Writer::open(dir, OPTIONS) {
        Ok(writer) => writer,
        Err(e) => {
            expect_store_error(&e, "Writer::open");
            assert!(
                !clean,
                "a store that checks clean does not open for writing: {e}"
            );
            return;
        }
    };
    // A batch given up (`rm --all` and an append, then Ctrl-C): the files must be what the
    // writer found, on a clean store byte for byte.
    let found = snapshot(dir);
    let given_up = (|| {
        writer.delete_all()?;
        writer.put("given up", b"never committed", false, OnDuplicate::Error)?;
        Ok::<_, Error>(())
    })();
    if let Err(e) = given_up {
        expect_store_error(&e, "rm --all");
        assert!(!clean, "rm --all on a store that checks clean fails: {e}");
    }
    match writer.abort() {
        Ok(()) if clean => assert_same_files(&found, &snapshot(dir), "an aborted batch"),
        Ok(()) => {}
        Err(e) => {
            expect_store_error(&e, "Writer::abort");
            assert!(!clean, "an abort on a store that checks clean fails: {e}");
        }
    }
    let batch = (|| {
        writer.put("fuzz", br#"{"fuzz":true}"#, true, OnDuplicate::Error)?;
        writer.put("a", b"replaced by the fuzzer", false, OnDuplicate::Replace)?;
        writer.delete("b")?;
        let auto = writer.next_auto_key();
        writer.put(&auto, b"auto", false, OnDuplicate::Replace)?;
        writer.commit()
    })();
    if let Err(e) = batch {
        expect_store_error(&e, "a write");
        assert!(!clean, "a write to a store that checks clean fails: {e}");
        if let Err(e) = writer.abort() {
            expect_store_error(&e, "Writer::abort");
        }
        return;
    }
    drop(writer);
    if clean {
        let store = Store::open(dir).expect("the store opens after a commit");
        let value = |key| store.get(key).expect("get").map(|r| r.value.to_vec());
        assert_eq!(value("fuzz"), Some(br#"{"fuzz":true}"#.to_vec()));
        assert_eq!(value("a"), Some(b"replaced by the fuzzer".to_vec()));
        assert_eq!(value("b"), None);
        drop(store);
        assert_checks_clean(dir, "a clean store after a commit");
        assert_consistent(dir, "a clean store after a commit");
    }
}

fn vacuum_it(dir: &Path, clean: bool) {
    let before = clean.then(|| live_records(dir));
    match vacuum::vacuum(dir, OPTIONS, false, &mut |_, _| {}) {
        Ok(_) => {
            if let Some(before) = before {
                assert_checks_clean(dir, "a clean store after a vacuum");
                assert_eq!(
                    live_records(dir),
                    before,
                    "a vacuum changed the live records"
                );
            }
        }
        Err(e) => {
            expect_store_error(&e, "vacuum");
            assert!(!clean, "a vacuum of a clean store fails: {e}");
        }
    }
}

fn assert_checks_clean(dir: &Path, what: &str) {
    let report = check::check(dir, CheckOptions::default(), &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{what}: check fails: {e}"));
    assert!(report.ok, "{what}: check finds {:?}", report.problems);
}

/// A damaged store must be refused as a store error (exit code 4), nothing else.
pub fn expect_store_error(e: &Error, during: &str) {
    assert!(
        matches!(
            e,
            Error::Corrupt { .. } | Error::NotAStore { .. } | Error::UnsupportedVersion { .. }
        ),
        "{during}: a damaged store gives {e:?}, not a store error"
    );
}

// ---------------------------------------------------------------------------------------
// The import cases
// ---------------------------------------------------------------------------------------

/// Every file of the store but the lock.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    Image::read(dir).files.into_iter().collect()
}

/// Runs one import batch into a copy of the small seed. On success it commits and returns
/// the store's directory (still alive) and the new records; on failure it checks that the
/// error is bad input and that, once aborted, the store is byte for byte what it was.
fn import_case(
    import: impl FnOnce(&mut Writer) -> mmstore::Result<BatchSummary>,
) -> Option<(tempfile::TempDir, Vec<NewRecord>)> {
    let scratch = scratch_dir();
    let dir = scratch.path();
    small_seed().write(dir);
    let before = snapshot(dir);
    let entries_before = Store::open(dir).expect("the seed opens").entry_count();
    let mut writer = Writer::open(dir, OPTIONS).expect("the seed opens for writing");
    match import(&mut writer) {
        Ok(summary) => {
            writer.commit().expect("a batch that was read commits");
            drop(writer);
            assert_checks_clean(dir, "the store after an import");
            assert_consistent(dir, "the store after an import");
            let store = Store::open(dir).expect("the store opens after an import");
            let mut new = Vec::new();
            for item in store.records(true) {
                let (record, state) = item.expect("a record of a clean store");
                if record.entry_index >= entries_before {
                    new.push(NewRecord {
                        key: record.key.to_string(),
                        value: record.value.to_vec(),
                        is_json: record.value_is_json(),
                        state,
                    });
                }
            }
            assert_eq!(
                new.len() as u64,
                summary.added + summary.replaced,
                "records appended != the summary's"
            );
            drop(store);
            Some((scratch, new))
        }
        Err(e) => {
            assert!(
                matches!(e, Error::BadInput { .. } | Error::Io { .. }),
                "an import fails with {e:?}, not bad input"
            );
            assert!(
                !e.to_string().contains("panicked"),
                "the input parser panicked: {e}"
            );
            writer.abort().expect("abort the failed batch");
            drop(writer);
            assert_same_files(&before, &snapshot(dir), &format!("a failed import ({e})"));
            None
        }
    }
}

/// Fails, naming each file and the first byte that differs, unless `after` is `before`.
fn assert_same_files(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
    what: &str,
) {
    let mut differences = Vec::new();
    for name in before
        .keys()
        .chain(after.keys().filter(|n| !before.contains_key(*n)))
    {
        match (before.get(name), after.get(name)) {
            (Some(b), Some(a)) if a == b => {}
            (Some(b), Some(a)) => {
                let at = b.iter().zip(a).position(|(x, y)| x != y);
                differences.push(format!(
                    "{name}: {} -> {} bytes, first difference at {at:?}",
                    b.len(),
                    a.len()
                ));
            }
            (Some(_), None) => differences.push(format!("{name}: removed")),
            (None, _) => differences.push(format!("{name}: created")),
        }
    }
    assert!(
        differences.is_empty(),
        "{what} changed the store's files: {differences:?}"
    );
}

/// A record an import appended.
#[derive(Debug)]
pub struct NewRecord {
    pub key: String,
    pub value: Vec<u8>,
    pub is_json: bool,
    pub state: State,
}

/// The fuzz target `import_csv`: two bytes of options, then the CSV.
pub fn csv_case_from_bytes(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let key_choice = input.byte();
    let csv = input.rest();
    csv_case(flags, key_choice, csv);
}

/// Key columns a CSV case can name: names the seeds use, `--no-header` names and numbers.
const KEY_COLUMNS: &[&str] = &["id", "a", "key", "c0", "c1", "0", "1"];

/// Imports `csv` with the options `flags` and `key_choice` pick.
pub fn csv_case(flags: u8, key_choice: u8, csv: &[u8]) {
    let options = CsvOptions {
        key_column: (flags & 1 != 0)
            .then(|| KEY_COLUMNS[key_choice as usize % KEY_COLUMNS.len()].to_string()),
        infer_types: flags & 2 != 0,
        no_header: flags & 4 != 0,
        delimiter: [b',', b';', b'\t', b'|'][(flags >> 3) as usize & 3],
    };
    let on_duplicate = on_duplicate(flags >> 5);
    let size_hint = (flags & 0x80 != 0).then_some(csv.len() as u64);
    let Some((_dir, new)) = import_case(|writer| {
        import_csv(
            writer,
            &mut Cursor::new(csv),
            &options,
            on_duplicate,
            size_hint,
        )
    }) else {
        return;
    };
    for record in new {
        assert!(record.is_json, "a CSV row is stored without the JSON flag");
        assert!(
            value_is_json(&record.value),
            "a CSV row is not one strict JSON text: {:?}",
            String::from_utf8_lossy(&record.value)
        );
        // A JSON text that opens with a brace is an object. (Not parsed into a
        // `serde_json::Value`: `--infer-types` rightly stores `1e999`, which JSON's grammar
        // allows and a `Value` cannot hold.)
        assert_eq!(
            record.value.first(),
            Some(&b'{'),
            "a CSV row is not a JSON object"
        );
    }
}

fn on_duplicate(choice: u8) -> OnDuplicate {
    match choice % 3 {
        0 => OnDuplicate::Error,
        1 => OnDuplicate::Replace,
        _ => OnDuplicate::Skip,
    }
}

/// The fuzz target `import_json`: one byte of options, then the envelopes.
pub fn json_case_from_bytes(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let json = input.rest();
    json_case(flags, json);
}

/// Imports `json` as envelopes: `flags` picks the duplicate policy and the size of the
/// reader's buffer (small buffers put element and line boundaries everywhere).
pub fn json_case(flags: u8, json: &[u8]) {
    let on_duplicate = on_duplicate(flags);
    let capacity = match flags >> 2 {
        0 => 1 << 16,
        n => n as usize,
    };
    let Some((dir, new)) = import_case(|writer| {
        let mut reader = BufReader::with_capacity(capacity, Cursor::new(json));
        envelope::import(writer, &mut reader, on_duplicate)
    }) else {
        return;
    };
    for record in &new {
        if record.is_json {
            assert!(
                value_is_json(&record.value),
                "a value flagged as JSON is not one strict JSON text: {:?}",
                String::from_utf8_lossy(&record.value)
            );
        }
    }
    // Export, import into an empty store, export again: byte for byte the same (SPEC §3,
    // "import-json restores the output of export-json exactly").
    let exported = export_all(dir.path());
    let scratch = scratch_dir();
    let copy = scratch.path().join("copy");
    create_store(&copy, OPTIONS).expect("create a store");
    let mut writer = Writer::open(&copy, OPTIONS).expect("open the copy");
    envelope::import(&mut writer, &mut Cursor::new(&exported), OnDuplicate::Error)
        .expect("an export imports");
    writer.commit().expect("commit the copy");
    drop(writer);
    assert_eq!(
        String::from_utf8_lossy(&export_all(&copy)),
        String::from_utf8_lossy(&exported),
        "export -> import -> export is not byte-exact"
    );
    let live_new: Vec<_> = new.iter().filter(|r| r.state == State::Live).collect();
    let copied = live_records(&copy);
    for record in live_new {
        assert!(
            copied
                .iter()
                .any(|(k, v, _)| *k == record.key && *v == record.value),
            "record {:?} did not survive the round trip",
            record.key
        );
    }
}

fn export_all(dir: &Path) -> Vec<u8> {
    let store = Store::open(dir).expect("open for export");
    let mut out = Vec::new();
    envelope::export(&store, &mut out, &ExportOptions::default(), &mut |_, _| {}).expect("export");
    out
}
