//! The library API against models. A property test drives `mmstore::Writer` through random
//! batches of appends, replaces, skips, deletes (by key and by index), aborts, crashes
//! (a writer dropped mid-batch) and reopens, and checks a freshly opened `mmstore::Store`
//! against a `BTreeMap` model after every batch: every `get`, the records in append order
//! with their states (`ls`, `ls --deleted`), `nth_live`, and the counts of `live_count` and
//! `stats`. A second property round-trips random keys and values through export-json and
//! import-json (issue 3).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::Path;

use mmstore::io::envelope::{self, ExportOptions};
use mmstore::store::value_is_json;
use mmstore::{
    DeleteOutcome, Error, IndexStaging, OnDuplicate, PutOutcome, State, Store, WriteOptions,
    Writer, create_store,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Tests need no durability; fsync would only make them slow.
const OPTIONS: WriteOptions = WriteOptions {
    sync: false,
    wait: false,
    index_staging: None,
};

/// Keys the operations pick from. The digits collide with auto keys on purpose.
const KEYS: &[&str] = &["a", "b", "c", "0", "1", "2", "ключ", "🦀 crab", "a "];

// ---------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct ModelRecord {
    key: String,
    value: Vec<u8>,
    state: State,
}

/// What a store should hold: every record ever committed in append order with its state,
/// and a `BTreeMap` from each live key to its record.
#[derive(Debug, Clone, Default)]
struct Model {
    records: Vec<ModelRecord>,
    live: BTreeMap<String, usize>,
    /// Lookup entries: records and tombstones.
    entries: u64,
    next_seq: u64,
}

/// What the writer must answer to one operation, by the model.
#[derive(Debug, PartialEq, Eq)]
enum Expected<T> {
    Ok(T),
    /// A duplicate under `OnDuplicate::Error`: bad input, the batch is aborted.
    BadInput,
}

impl Model {
    fn put(&mut self, key: &str, value: &[u8], mode: OnDuplicate) -> Expected<PutOutcome> {
        let previous = self.live.get(key).copied();
        let outcome = match (previous, mode) {
            (Some(_), OnDuplicate::Error) => return Expected::BadInput,
            (Some(_), OnDuplicate::Skip) => return Expected::Ok(PutOutcome::Skipped),
            (Some(old), OnDuplicate::Replace) => {
                self.records[old].state = State::Replaced;
                PutOutcome::Replaced
            }
            (None, _) => PutOutcome::Added,
        };
        self.live.insert(key.to_string(), self.records.len());
        self.records.push(ModelRecord {
            key: key.to_string(),
            value: value.to_vec(),
            state: State::Live,
        });
        self.entries += 1;
        self.next_seq += 1;
        Expected::Ok(outcome)
    }

    /// `deleted_in_batch`: keys tombstoned earlier in the same batch.
    fn delete(&mut self, key: &str, deleted_in_batch: &mut BTreeSet<String>) -> DeleteOutcome {
        match self.live.remove(key) {
            Some(i) => {
                self.records[i].state = State::Deleted;
                self.entries += 1;
                deleted_in_batch.insert(key.to_string());
                DeleteOutcome::Deleted
            }
            None if deleted_in_batch.contains(key) => DeleteOutcome::AlreadyDeleted,
            None => DeleteOutcome::Missing,
        }
    }

    fn live_in_order(&self) -> Vec<&ModelRecord> {
        self.records
            .iter()
            .filter(|r| r.state == State::Live)
            .collect()
    }

    fn nth_live(&self, n: i64) -> Option<&ModelRecord> {
        let live = self.live_in_order();
        let index = if n < 0 { live.len() as i64 + n } else { n };
        usize::try_from(index)
            .ok()
            .and_then(|i| live.get(i).copied())
    }

    fn count(&self, state: State) -> u64 {
        self.records.iter().filter(|r| r.state == state).count() as u64
    }

    fn bytes(&self, live: bool) -> u64 {
        self.records
            .iter()
            .filter(|r| (r.state == State::Live) == live)
            .map(|r| (r.key.len() + r.value.len()) as u64)
            .sum()
    }
}

/// Checks everything a reader can see of `store` against `model`.
fn assert_store_matches(store: &Store, model: &Model, context: &str) {
    let records: Vec<ModelRecord> = store
        .records(true)
        .map(|item| {
            let (record, state) = item.expect("a readable record");
            ModelRecord {
                key: record.key.to_string(),
                value: record.value.to_vec(),
                state,
            }
        })
        .collect();
    assert_eq!(records, model.records, "{context}: records in append order");

    let live_keys: Vec<String> = store
        .records(false)
        .map(|item| item.unwrap())
        .filter(|(_, state)| *state == State::Live)
        .map(|(record, _)| record.key.to_string())
        .collect();
    let model_keys: Vec<String> = model
        .live_in_order()
        .iter()
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(live_keys, model_keys, "{context}: ls");

    let mut keys: BTreeSet<String> = KEYS.iter().map(|k| k.to_string()).collect();
    keys.extend(model.records.iter().map(|r| r.key.clone()));
    keys.insert("never stored".to_string());
    // `fetch` reads through the maps what fits its budget and the rest with pread: every
    // split of the three files between the two must give `get`'s answers.
    let index_bytes = store.stats().index_capacity * 8;
    let lookup_bytes = store.stats().entries * 24;
    let budgets = [0, index_bytes, index_bytes + lookup_bytes, u64::MAX / 4];
    let mut buf = Vec::new();
    for key in &keys {
        let got = store.get(key).expect("get").map(|r| r.value.to_vec());
        let expected = model.live.get(key).map(|&i| model.records[i].value.clone());
        assert_eq!(got, expected, "{context}: get {key:?}");
        for budget in budgets {
            store.set_fetch_map_budget(budget);
            let fetched = store.fetch(key, &mut buf).expect("fetch");
            let fetched = fetched.map(|r| (r.key.to_string(), r.value.to_vec(), r.entry_index));
            let by_get = store
                .get(key)
                .expect("get")
                .map(|r| (r.key.to_string(), r.value.to_vec(), r.entry_index));
            assert_eq!(
                fetched, by_get,
                "{context}: fetch {key:?} with map budget {budget}"
            );
        }
    }

    let live = model.live.len() as i64;
    for n in [0, 1, live - 1, live, -1, -live, -live - 1] {
        let got = store
            .nth_live(n)
            .expect("nth_live")
            .map(|r| r.key.to_string());
        let expected = model.nth_live(n).map(|r| r.key.clone());
        assert_eq!(got, expected, "{context}: nth_live({n})");
    }

    assert_eq!(
        store.live_count(),
        model.live.len() as u64,
        "{context}: live_count"
    );
    let stats = store.stats();
    assert_eq!(
        stats.live,
        model.count(State::Live),
        "{context}: stats.live"
    );
    assert_eq!(
        stats.deleted,
        model.count(State::Deleted),
        "{context}: stats.deleted"
    );
    assert_eq!(
        stats.replaced,
        model.count(State::Replaced),
        "{context}: stats.replaced"
    );
    assert_eq!(
        stats.live_bytes,
        model.bytes(true),
        "{context}: stats.live_bytes"
    );
    assert_eq!(
        stats.dead_bytes,
        model.bytes(false),
        "{context}: stats.dead_bytes"
    );
    assert_eq!(stats.entries, model.entries, "{context}: stats.entries");
    assert_eq!(stats.next_seq, model.next_seq, "{context}: stats.next_seq");
}

// ---------------------------------------------------------------------------------------
// The operations
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Put {
        key: usize,
        value: Vec<u8>,
        mode: OnDuplicate,
    },
    /// The key is the record's sequence number.
    PutAuto {
        value: Vec<u8>,
        mode: OnDuplicate,
    },
    /// The value streamed from a reader (`append --file`, stdin).
    PutReader {
        key: usize,
        value: Vec<u8>,
        mode: OnDuplicate,
    },
    /// A value large enough to bypass the writer's buffer.
    PutLarge {
        key: usize,
        byte: u8,
    },
    Delete {
        key: usize,
    },
    /// `rm --index N`: the N-th live record of the committed state, deleted by key.
    DeleteNth {
        n: i64,
    },
    /// `rm --all`: every live record, those added earlier in the batch included.
    DeleteAll,
    /// Many records in one go (`bulk0`, `bulk1`, …), replacing: grows the index.
    Bulk {
        count: u16,
    },
    Reserve {
        additional: u16,
    },
    /// A reader opened mid-batch sees the committed state only.
    ReadMidBatch,
}

/// How a batch ends.
#[derive(Debug, Clone, Copy)]
enum End {
    Commit,
    Abort,
    /// Commit, then close the writer and open a new one.
    CommitAndReopen,
    /// The writer is dropped without commit or abort, as if its process died; the next
    /// writer brings the store back to its commit point.
    Crash,
}

#[derive(Debug, Clone)]
struct Batch {
    ops: Vec<Op>,
    end: End,
}

fn mode() -> impl Strategy<Value = OnDuplicate> {
    prop_oneof![
        Just(OnDuplicate::Error),
        Just(OnDuplicate::Replace),
        Just(OnDuplicate::Skip)
    ]
}

fn small_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..24),
        "[a-z0-9 \"{}:,]{0,16}".prop_map(String::into_bytes),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    prop_oneof![
        8 => (key.clone(), small_value(), mode()).prop_map(|(key, value, mode)| Op::Put { key, value, mode }),
        3 => (small_value(), mode()).prop_map(|(value, mode)| Op::PutAuto { value, mode }),
        2 => (key.clone(), small_value(), mode()).prop_map(|(key, value, mode)| Op::PutReader { key, value, mode }),
        1 => (key.clone(), any::<u8>()).prop_map(|(key, byte)| Op::PutLarge { key, byte }),
        5 => key.prop_map(|key| Op::Delete { key }),
        2 => (-4i64..4).prop_map(|n| Op::DeleteNth { n }),
        1 => Just(Op::DeleteAll),
        1 => (1u16..1000).prop_map(|count| Op::Bulk { count }),
        1 => (0u16..3000).prop_map(|additional| Op::Reserve { additional }),
        1 => Just(Op::ReadMidBatch),
    ]
}

fn batch() -> impl Strategy<Value = Batch> {
    let end = prop_oneof![
        5 => Just(End::Commit),
        2 => Just(End::Abort),
        2 => Just(End::CommitAndReopen),
        1 => Just(End::Crash),
    ];
    (prop::collection::vec(op(), 0..10), end).prop_map(|(ops, end)| Batch { ops, end })
}

const LARGE: usize = 3 << 20;

/// Runs one batch against the writer and the model; returns the committed model after it.
fn run_batch(
    writer: &mut Option<Writer>,
    options: WriteOptions,
    dir: &Path,
    committed: &Model,
    batch: &Batch,
    label: &str,
) -> Model {
    let w = writer.as_mut().expect("an open writer");
    let snapshot = Store::open(dir).expect("open a reader");
    let mut model = committed.clone();
    let mut deleted_in_batch = BTreeSet::new();
    let mut failed = false;
    for (n, op) in batch.ops.iter().enumerate() {
        let context = format!("{label}, op {n} ({op:?})");
        let put = |model: &mut Model,
                   key: &str,
                   value: &[u8],
                   mode: OnDuplicate,
                   got: mmstore::Result<PutOutcome>| {
            match (model.put(key, value, mode), got) {
                (Expected::Ok(expected), Ok(got)) => {
                    assert_eq!(got, expected, "{context}");
                    false
                }
                (Expected::BadInput, Err(Error::BadInput { .. })) => true,
                (expected, got) => panic!("{context}: expected {expected:?}, got {got:?}"),
            }
        };
        failed = match op {
            Op::Put { key, value, mode } => {
                let got = w.put(KEYS[*key], value, value_is_json(value), *mode);
                put(&mut model, KEYS[*key], value, *mode, got)
            }
            Op::PutAuto { value, mode } => {
                let key = w.next_auto_key();
                assert_eq!(key, model.next_seq.to_string(), "{context}: the auto key");
                let got = w.put(&key, value, value_is_json(value), *mode);
                put(&mut model, &key, value, *mode, got)
            }
            Op::PutReader { key, value, mode } => {
                let got = w.put_reader(KEYS[*key], &mut Cursor::new(value), *mode);
                put(&mut model, KEYS[*key], value, *mode, got)
            }
            Op::PutLarge { key, byte } => {
                let value = vec![*byte; LARGE];
                let got = w.put(KEYS[*key], &value, false, OnDuplicate::Replace);
                put(&mut model, KEYS[*key], &value, OnDuplicate::Replace, got)
            }
            Op::Delete { key } => {
                let got = w.delete(KEYS[*key]).expect("delete");
                let expected = model.delete(KEYS[*key], &mut deleted_in_batch);
                assert_eq!(got, expected, "{context}");
                false
            }
            Op::DeleteNth { n } => {
                let got = snapshot
                    .nth_live(*n)
                    .expect("nth_live")
                    .map(|r| r.key.to_string());
                let expected = committed.nth_live(*n).map(|r| r.key.clone());
                assert_eq!(got, expected, "{context}: resolving the index");
                if let Some(key) = got {
                    let outcome = w.delete(&key).expect("delete");
                    assert_eq!(
                        outcome,
                        model.delete(&key, &mut deleted_in_batch),
                        "{context}"
                    );
                }
                false
            }
            Op::DeleteAll => {
                let got = w.delete_all().expect("delete_all");
                let live: Vec<String> = model.live.keys().cloned().collect();
                for key in &live {
                    model.delete(key, &mut deleted_in_batch);
                }
                assert_eq!(got, live.len() as u64, "{context}: records deleted");
                false
            }
            Op::Bulk { count } => {
                for i in 0..*count {
                    let key = format!("bulk{i}");
                    let value = format!("{{\"i\":{i}}}");
                    let got = w.put(&key, value.as_bytes(), true, OnDuplicate::Replace);
                    put(
                        &mut model,
                        &key,
                        value.as_bytes(),
                        OnDuplicate::Replace,
                        got,
                    );
                }
                false
            }
            Op::Reserve { additional } => {
                w.reserve(u64::from(*additional)).expect("reserve");
                false
            }
            Op::ReadMidBatch => {
                let reader = Store::open(dir).expect("open a reader mid-batch");
                assert_store_matches(&reader, committed, &format!("{context}: mid-batch reader"));
                false
            }
        };
        if failed {
            break;
        }
    }
    let outcome = if failed {
        // What the commands do with bad input: abort the whole batch.
        w.abort().expect("abort");
        committed.clone()
    } else {
        match batch.end {
            End::Commit => {
                w.commit().expect("commit");
                model
            }
            End::Abort => {
                w.abort().expect("abort");
                committed.clone()
            }
            End::CommitAndReopen => {
                w.commit().expect("commit");
                *writer = None;
                *writer = Some(Writer::open(dir, options).expect("reopen the writer"));
                model
            }
            End::Crash => {
                *writer = None;
                *writer = Some(Writer::open(dir, options).expect("reopen after a crash"));
                committed.clone()
            }
        }
    };
    // A reader opened before the batch still sees the state it opened.
    assert_store_matches(
        &snapshot,
        committed,
        &format!("{label}: reader opened before"),
    );
    outcome
}

proptest! {
    #![proptest_config(Config { cases: 40, ..Config::default() })]

    #[test]
    fn random_batches_agree_with_a_btreemap_model(batches in prop::collection::vec(batch(), 1..8)) {
        random_batches_agree(&batches, OPTIONS);
    }

    /// The same with the index slots staged in a pending table of 2 to 64 slots, written into
    /// the index file every 1 to 32 entries and at each commit.
    #[test]
    fn random_batches_agree_with_a_btreemap_model_when_the_index_is_staged(
        batches in prop::collection::vec(batch(), 1..8),
        pending_shift in 1u32..7,
    ) {
        let options = WriteOptions {
            index_staging: Some(IndexStaging {
                from_bytes: 0,
                pending_slots: 1 << pending_shift,
            }),
            ..OPTIONS
        };
        random_batches_agree(&batches, options);
    }
}

fn random_batches_agree(batches: &[Batch], options: WriteOptions) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    create_store(&store, options).unwrap();
    let mut writer = Some(Writer::open(&store, options).unwrap());
    let mut model = Model::default();
    for (n, batch) in batches.iter().enumerate() {
        let label = format!("batch {n} ({:?})", batch.end);
        model = run_batch(&mut writer, options, &store, &model, batch, &label);
        let reader = Store::open(&store).unwrap();
        assert_store_matches(&reader, &model, &label);
    }
    drop(writer);
    assert_store_matches(
        &Store::open(&store).unwrap(),
        &model,
        "after the last writer",
    );
    // Every entry has its slot in the index, and no slot is left of an aborted batch.
    let report = mmstore::store::check::check(&store, Default::default(), &mut |_, _| {}).unwrap();
    assert!(report.ok, "check: {:?}", report.problems);
}

// ---------------------------------------------------------------------------------------
// Round trip: append -> export-json -> import-json -> export-json
// ---------------------------------------------------------------------------------------

/// Keys as the rules allow them: non-empty UTF-8 without NUL, CR or LF, at most 4096 bytes.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[^\u{0}\r\n]{1,24}",
        1 => "[a-zé日]{1000,1365}",
        1 => "[ \"\\\\\t{}\\[\\]]{1,8}",
    ]
}

/// Whitespace JSON allows between tokens, with and without line breaks.
fn ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![8 => Just(""), 2 => Just(" "), 1 => Just("\t"), 1 => Just("\n"), 1 => Just(" \r\n ")]
}

/// JSON texts, compact or with whitespace between tokens, with escapes of every kind.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,6})?([eE][+-]?[0-9]{1,3})?",
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        "\"([a-z ]|\\\\[\"\\\\/bfnrt]|\\\\u[0-9a-fA-F]{4})*\"",
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            (prop::collection::vec((inner.clone(), ws()), 0..5), ws()).prop_map(|(items, end)| {
                let body: Vec<String> = items.iter().map(|(v, w)| format!("{w}{v}{w}")).collect();
                format!("[{}{end}]", body.join(","))
            }),
            prop::collection::vec((any::<String>(), inner, ws()), 0..5).prop_map(|fields| {
                let body: Vec<String> = fields
                    .iter()
                    .map(|(k, v, w)| format!("{w}{}{w}:{w}{v}", serde_json::to_string(k).unwrap()))
                    .collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

/// Values: JSON texts (bare or with surrounding whitespace), plain text, arbitrary bytes.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => json_text().prop_map(String::into_bytes),
        1 => (ws(), json_text(), ws()).prop_map(|(a, v, b)| format!("{a}{v}{b}").into_bytes()),
        2 => any::<String>().prop_map(String::into_bytes),
        2 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn records() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    prop::collection::btree_map(key(), value(), 0..16).prop_map(|m| m.into_iter().collect())
}

fn export(store: &Path, array: bool) -> Vec<u8> {
    let store = Store::open(store).unwrap();
    let mut out = Vec::new();
    let options = ExportOptions {
        array,
        ..ExportOptions::default()
    };
    envelope::export(&store, &mut out, &options, &mut |_, _| {}).expect("export");
    out
}

fn import(store: &Path, input: &[u8]) {
    create_store(store, OPTIONS).unwrap();
    let mut writer = Writer::open(store, OPTIONS).unwrap();
    envelope::import(&mut writer, &mut &input[..], OnDuplicate::Error).expect("import");
    writer.commit().unwrap();
}

/// The envelope contract: `value` holds the bytes verbatim exactly when they are one strict
/// JSON text without surrounding whitespace or line breaks; otherwise `value_base64`.
fn assert_envelope(line: &[u8], key: &str, value: &[u8]) {
    use serde_json::value::RawValue;
    let raw = std::str::from_utf8(line).expect("an envelope is UTF-8");
    let fields: BTreeMap<String, &RawValue> =
        serde_json::from_str(raw).expect("an envelope is a JSON object");
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    let stored_key: String = serde_json::from_str(fields["key"].get()).unwrap();
    assert_eq!(stored_key, key);
    let strict = serde_json::from_slice::<&RawValue>(value).is_ok()
        && value.first().is_some_and(|b| !b.is_ascii_whitespace())
        && value.last().is_some_and(|b| !b.is_ascii_whitespace())
        && !value.contains(&b'\n')
        && !value.contains(&b'\r');
    if strict {
        assert_eq!(names, ["key", "value"], "{raw}");
        assert_eq!(
            fields["value"].get().as_bytes(),
            value,
            "embedded verbatim: {raw}"
        );
    } else {
        assert_eq!(names, ["key", "value_base64"], "{raw}");
        use base64::Engine as _;
        let b64: String = serde_json::from_str(fields["value_base64"].get()).unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(decoded, value, "base64: {raw}");
    }
}

proptest! {
    #![proptest_config(Config { cases: 64, ..Config::default() })]

    #[test]
    fn export_then_import_then_export_is_byte_identical(records in records()) {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        create_store(&source, OPTIONS).unwrap();
        let mut writer = Writer::open(&source, OPTIONS).unwrap();
        for (key, value) in &records {
            writer.put(key, value, value_is_json(value), OnDuplicate::Error).unwrap();
        }
        writer.commit().unwrap();
        drop(writer);

        let exported = export(&source, false);
        let lines: Vec<&[u8]> = exported.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        prop_assert_eq!(lines.len(), records.len());
        for (line, (key, value)) in lines.iter().zip(&records) {
            assert_envelope(line, key, value);
        }

        let copy = dir.path().join("copy");
        import(&copy, &exported);
        prop_assert_eq!(&export(&copy, false), &exported);
        let copied = Store::open(&copy).unwrap();
        for (key, value) in &records {
            let record = copied.get(key).unwrap().expect("every key is there");
            prop_assert_eq!(record.value, value.as_slice(), "{:?}", key);
        }

        let from_array = dir.path().join("from-array");
        import(&from_array, &export(&source, true));
        prop_assert_eq!(&export(&from_array, false), &exported);
    }
}

/// `fetch` reads a large value in two steps (the key first, then the rest once the key
/// matches): values around that threshold, and far past it, come back whole on every path.
#[test]
fn fetch_returns_large_values_whole_whatever_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    create_store(&store_dir, OPTIONS).unwrap();
    let mut writer = Writer::open(&store_dir, OPTIONS).unwrap();
    let sizes = [0usize, 1, 16 * 1024 - 3, 16 * 1024 + 5, 1 << 20];
    let value = |n: usize| -> Vec<u8> { (0..n).map(|i| (i * 7 + n) as u8).collect() };
    for n in sizes {
        writer
            .put(&format!("k{n}"), &value(n), false, OnDuplicate::Error)
            .unwrap();
    }
    // A replaced key: the newest version must come back.
    writer
        .put("k1", &value(70_000), false, OnDuplicate::Replace)
        .unwrap();
    writer.commit().unwrap();
    let store = Store::open(&store_dir).unwrap();
    let mut buf = Vec::new();
    for budget in [0, u64::MAX / 4] {
        store.set_fetch_map_budget(budget);
        for n in sizes {
            let want = if n == 1 { value(70_000) } else { value(n) };
            let got = store.fetch(&format!("k{n}"), &mut buf).unwrap().unwrap();
            assert_eq!(got.value, &want[..], "k{n} with map budget {budget}");
        }
        assert!(store.fetch("absent", &mut buf).unwrap().is_none());
    }
}
