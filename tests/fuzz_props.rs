//! The fuzz targets of `fuzz/` (issue 7) as property tests, so that the stable test suite
//! holds the library to the same promises on every run: SPEC §1.7 (no panic, no SIGBUS, on
//! any file contents: a damaged store is a store error, exit code 4) and §3 (a batch of bad
//! input is refused as bad input and leaves the store exactly as it was).
//!
//! The cases and their checks live in `fuzz/src/lib.rs`, included here as a module: what
//! `cargo fuzz` runs for hours is what runs here for a few hundred cases. The reproducers of
//! what the fuzzers found are at the end, one test each.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use harness::{Change, DROP_CORRUPT, Edit, SEED_NAMES, VACUUM};
use proptest::prelude::*;
use proptest::test_runner::Config;

// ---------------------------------------------------------------------------------------
// Damaged stores
// ---------------------------------------------------------------------------------------

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        prop_oneof![
            Just(0u64),
            Just(1),
            Just(u64::MAX),
            Just(u64::MAX / 2),
            Just(1 << 40),
            Just(1 << 48),
            any::<u64>(),
        ]
        .prop_map(Change::To),
        (-3i64..=3).prop_map(Change::Add),
        (0u32..64).prop_map(Change::FlipBit),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    let bytes = |max| prop::collection::vec(any::<u8>(), 1..max);
    prop_oneof![
        3 => (any::<usize>(), any::<u64>(), bytes(16)).prop_map(|(file, offset, bytes)| {
            Edit::Overwrite { file, offset, bytes }
        }),
        3 => (any::<usize>(), any::<u64>()).prop_map(|(file, bit)| Edit::FlipBit { file, bit }),
        2 => (any::<usize>(), any::<u64>()).prop_map(|(file, len)| Edit::Truncate { file, len }),
        1 => (any::<usize>(), bytes(64)).prop_map(|(file, bytes)| Edit::Append { file, bytes }),
        1 => any::<usize>().prop_map(|file| Edit::Remove { file }),
        4 => (0..2usize, 0..17usize, change()).prop_map(|(slot, field, change)| {
            Edit::HeaderField { slot, field, change }
        }),
        1 => Just(Edit::Reseal),
    ]
}

proptest! {
    #![proptest_config(Config::default())]

    /// Bytes overwritten, bits flipped, files truncated, extended or removed, header fields
    /// changed behind a valid checksum: open, get, locate, records, `--index`, export,
    /// check, a write, vacuum and repair never panic, fail only with store errors, and a
    /// store that still checks clean keeps behaving like one.
    #[test]
    fn a_damaged_store_never_panics_and_fails_only_as_a_store_error(
        seed in 0..SEED_NAMES.len(),
        flags in 0u8..4,
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        harness::store_case(seed, flags, &edits);
    }
}

// ---------------------------------------------------------------------------------------
// Any bytes as CSV
// ---------------------------------------------------------------------------------------

/// Pieces of CSV that matter to a parser: quotes, delimiters, line ends, a BOM, bytes that
/// are not UTF-8, and fields that type inference looks at.
const CSV_PIECES: &[&[u8]] = &[
    b"id",
    b"a",
    b"c0",
    b"x",
    b",",
    b";",
    b"\t",
    b"|",
    b"\"",
    b"\"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b" ",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\0",
    b"0",
    b"007",
    b"-1",
    b"1.5e3",
    b"-",
    b".",
    b"true",
    b"null",
    b"NaN",
    b"\\",
    b"\xc3\xa9",
    b"\x01",
    b"{\"",
    b"\"}",
];

fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(CSV_PIECES), 0..48).prop_map(|p| p.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..128),
    ]
}

proptest! {
    #![proptest_config(Config::default())]

    /// Any bytes through `import-csv`, with or without a key column, `--infer-types`,
    /// `--no-header`, any delimiter and duplicate policy: either every row is stored as one
    /// strict JSON object and the store checks clean, or the batch fails as bad input and
    /// the store's files are byte for byte what they were.
    #[test]
    fn any_bytes_as_csv_import_or_fail_as_bad_input_leaving_the_store_unchanged(
        flags in any::<u8>(),
        key_choice in any::<u8>(),
        csv in csv_bytes(),
    ) {
        harness::csv_case(flags, key_choice, &csv);
    }
}

// ---------------------------------------------------------------------------------------
// Any bytes as envelopes
// ---------------------------------------------------------------------------------------

const JSON_PIECES: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\n",
    b"\r\n",
    b" ",
    b"\"key\"",
    b"\"value\"",
    b"\"value_base64\"",
    b"\"a\"",
    b"\"b\"",
    b"\"0\"",
    b"\"\"",
    b"\"\\u0000\"",
    b"\"\\n\"",
    b"\"AAEC\"",
    b"\"=\"",
    b"1",
    b"-0",
    b"1e999",
    b"null",
    b"true",
    b"\"\xff\"",
    b"\xc3\xa9",
    b"{\"key\":\"k\",\"value\":",
    b"{\"key\":\"a\",\"value_base64\":\"",
    b"\"other\"",
];

/// Well-formed envelopes with the odd damage, or pieces of JSON, or any bytes.
fn json_bytes() -> impl Strategy<Value = Vec<u8>> {
    let envelope = (
        prop::sample::select(&["a", "b", "k", "0", "🦀", "x y"][..]),
        prop_oneof![
            Just(r#""value":1"#.to_string()),
            Just(r#""value":{"x":[1,2]}"#.to_string()),
            Just(r#""value":"text""#.to_string()),
            Just(r#""value":null"#.to_string()),
            Just("\"value\":[\n1]".to_string()),
            prop::collection::vec(any::<u8>(), 0..8).prop_map(|v| {
                use base64::Engine as _;
                format!(
                    r#""value_base64":"{}""#,
                    base64::engine::general_purpose::STANDARD.encode(v)
                )
            }),
        ],
    )
        .prop_map(|(key, value)| format!(r#"{{"key":"{key}",{value}}}"#).into_bytes());
    prop_oneof![
        2 => (prop::collection::vec(envelope.clone(), 0..6), any::<bool>()).prop_map(
            |(lines, array)| {
                if array {
                    [&b"["[..], &lines.join(&b",\n"[..]), b"]"].concat()
                } else {
                    lines.join(&b"\n"[..])
                }
            }
        ),
        2 => prop::collection::vec(
            prop_oneof![
                envelope,
                prop::sample::select(JSON_PIECES).prop_map(|p| p.to_vec())
            ],
            0..24
        )
        .prop_map(|p| p.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..96),
    ]
}

proptest! {
    #![proptest_config(Config::default())]

    /// Any bytes through `import-json` (JSON Lines or one array, through readers with tiny
    /// buffers too): either the envelopes are stored and export -> import -> export is byte
    /// for byte the same, or the batch fails as bad input and leaves the store as it was.
    #[test]
    fn any_bytes_as_envelopes_import_or_fail_as_bad_input_leaving_the_store_unchanged(
        flags in any::<u8>(),
        json in json_bytes(),
    ) {
        harness::json_case(flags, &json);
    }
}

// ---------------------------------------------------------------------------------------
// The same cases decoded from raw bytes, as the fuzz targets see them
// ---------------------------------------------------------------------------------------

proptest! {
    // A smoke test of the decoders; the properties above do the searching.
    #![proptest_config(Config::with_cases(64))]

    #[test]
    fn fuzz_target_inputs_decode_and_run(data in prop::collection::vec(any::<u8>(), 0..64)) {
        harness::store_case_from_bytes(&data);
        harness::csv_case_from_bytes(&data);
        harness::json_case_from_bytes(&data);
    }
}

// ---------------------------------------------------------------------------------------
// Reproducers of what the fuzzers found
// ---------------------------------------------------------------------------------------

fn seed_number(name: &str) -> usize {
    SEED_NAMES.iter().position(|n| *n == name).expect("a seed")
}

/// The file number of `name` in a seed's image (files are in name order).
fn file_number(seed: &str, name: &str) -> usize {
    harness::seed(seed_number(seed))
        .files
        .iter()
        .position(|(n, _)| n == name)
        .expect("the seed has the file")
}

/// open_and_check, input `[8, 136, 8, 162]`: in the index of a store whose last writer
/// died mid-batch, one bit set in an empty slot made a slot that points at a committed
/// entry with the wrong tag. `check` took it for a slot of the interrupted batch and passed
/// the store; the next writer (which clears only slots past the commit point) left it in
/// place, and after its commit `check` failed. A batch only ever adds slots past the commit
/// point, so `check` now reports such a slot as damage, dirty index or not.
#[test]
fn check_reports_a_wrong_slot_for_a_committed_entry_even_in_a_dirty_index() {
    harness::store_case_from_bytes(&[8, 136, 8, 162]);
    harness::store_case(
        seed_number("crashed"),
        0,
        &[Edit::FlipBit {
            file: file_number("crashed", "index.0"),
            bit: 0,
        }],
    );
}

/// The same change to both header slots, each sealed again.
fn in_both_slots(field: usize, change: Change) -> Vec<Edit> {
    (0..2)
        .map(|slot| Edit::HeaderField {
            slot,
            field,
            change,
        })
        .collect()
}

/// Header fields by `HeaderField` number: the 8-byte field at offset 8 + 8 * number.
const COMMIT_SEQ: usize = 1;
const INDEX_USED: usize = 5;
const LIVE_BYTES: usize = 12;

/// A seed damaged by `edits`, written out; the directory is the store.
fn damaged(seed: &str, edits: &[Edit]) -> tempfile::TempDir {
    let dir = harness::scratch_dir();
    harness::damage(harness::seed(seed_number(seed)), edits).write(dir.path());
    dir
}

/// proptest, `HeaderField { field: COMMIT_SEQ, change: To(u64::MAX) }`: the next commit
/// overflowed the sequence number (a panic; in a release build it would wrap to 0, and the
/// new commit would lose to the old slot). A slot whose checksum holds is now also checked
/// for counters out of range, and refused as corrupt.
#[test]
fn a_header_slot_with_an_exhausted_commit_sequence_is_refused_as_corrupt() {
    let edits = in_both_slots(COMMIT_SEQ, Change::To(u64::MAX));
    let store = damaged("small", &edits);
    for error in [
        mmstore::Store::open(store.path()).err(),
        mmstore::Writer::open(store.path(), harness::OPTIONS).err(),
    ] {
        match error {
            Some(mmstore::Error::Corrupt { file, what, .. }) => {
                assert_eq!(file, "header");
                assert!(what.contains("commit sequence"), "{what}");
            }
            other => panic!("expected a corrupt header, got {other:?}"),
        }
    }
    harness::store_case(seed_number("small"), DROP_CORRUPT, &edits);
}

/// open_and_check, input `[74, 41, 117, 112, 46, 48]` (and proptest): a header whose
/// `live_bytes` says 0 while records are live made the next replace subtract below zero.
/// The writer now reports the disagreement as corruption (`check --repair` recounts).
#[test]
fn a_replace_in_a_store_whose_header_undercounts_fails_as_corrupt() {
    harness::store_case_from_bytes(&[74, 41, 117, 112, 46, 48]);
    let store = damaged("grown", &in_both_slots(LIVE_BYTES, Change::To(0)));
    let mut writer = mmstore::Writer::open(store.path(), harness::OPTIONS).expect("opens");
    let replaced = writer.put("a", b"new", false, mmstore::OnDuplicate::Replace);
    assert!(
        matches!(replaced, Err(mmstore::Error::Corrupt { .. })),
        "{replaced:?}"
    );
    writer.abort().expect("abort");
    drop(writer);
    let report = mmstore::store::check::repair(store.path(), harness::OPTIONS, false)
        .expect("repair recounts");
    assert!(report.after.ok, "{:?}", report.after.problems);
}

/// open_and_check, input `[73, 47, 47, 61, 22, 47]`: in a store whose last writer died
/// mid-batch, `check` did not compare the header's count of index slots with the index
/// (the dirty flag made it skip the comparison), passed the store, and failed it once the
/// next writer had cleared the flag. The committed slots are counted dirty or not.
#[test]
fn check_counts_the_committed_index_slots_even_in_a_dirty_index() {
    harness::store_case_from_bytes(&[73, 47, 47, 61, 22, 47]);
    let store = damaged("crashed", &in_both_slots(INDEX_USED, Change::Add(-1)));
    let report = mmstore::store::check::check(
        store.path(),
        mmstore::store::check::CheckOptions::default(),
        &mut |_, _| {},
    )
    .expect("check runs");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.what.contains("the index holds")),
        "{:?}",
        report.problems
    );
}

/// proptest (`Overwrite` of eight zero bytes into `lookup.0` of the small seed): when the
/// pass that finds the deleted and replaced records failed on a damaged entry, `records()`
/// returned the error and then tried, and failed, again on every call: an endless stream of
/// errors for any caller that goes on after one. It now ends after the error.
#[test]
fn records_end_after_a_damaged_entry_stops_the_search_for_dead_ones() {
    let lookup = file_number("small", "lookup.0");
    // Entry 0's key length (the top 16 bits of its first field) set to zero.
    let edits = [Edit::Overwrite {
        file: lookup,
        offset: 6,
        bytes: vec![0, 0],
    }];
    let store = damaged("small", &edits);
    let store = mmstore::Store::open(store.path()).expect("opening reads no entry");
    let items: Vec<_> = store.records(false).take(100).collect();
    assert!(
        items.len() as u64 <= store.entry_count(),
        "{} items",
        items.len()
    );
    assert!(items.iter().any(Result::is_err));
    harness::store_case(seed_number("small"), 0, &edits);
}

/// open_and_check, input `[58, 169, 162, 162, 72, 58]`: one bit flipped in the index lost the
/// slot of the newest version of key "b"; the next `rm b` found the older, replaced version
/// and wrote a tombstone for it. After `check --repair` rebuilt the index, `check` passed the
/// store, yet `ls` listed "b" as live while `get b` found the tombstone. `check` now looks up
/// the key of every record a scan lists as live and reports a lookup that finds another entry.
#[test]
fn check_reports_a_record_that_a_scan_lists_as_live_but_a_lookup_does_not_find() {
    harness::store_case_from_bytes(&[58, 169, 162, 162, 72, 58]);
    let edits = [Edit::FlipBit {
        file: file_number("crashed", "index.0"),
        bit: 14920,
    }];
    let store = damaged("crashed", &edits);
    let mut writer = mmstore::Writer::open(store.path(), harness::OPTIONS).expect("opens");
    writer.delete("b").expect("rm b");
    writer.commit().expect("commit");
    drop(writer);
    let repaired =
        mmstore::store::check::repair(store.path(), harness::OPTIONS, false).expect("repair runs");
    assert!(
        repaired
            .after
            .problems
            .iter()
            .any(|p| p.key.as_deref() == Some("b") && p.what.contains("a scan lists")),
        "{:?}",
        repaired.after.problems
    );
    // Replaying the table keeps what the user asked for last: "b" deleted.
    let repaired = mmstore::store::check::repair(store.path(), harness::OPTIONS, true)
        .expect("repair --drop-corrupt runs");
    assert!(repaired.after.ok, "{:?}", repaired.after.problems);
    let reader = mmstore::Store::open(store.path()).expect("opens");
    assert!(reader.get("b").expect("get").is_none());
    assert!(
        reader
            .live_records(true)
            .all(|item| item.expect("reads").0.key != "b")
    );
}

/// open_and_check, input `[39, 0, 141, 98, 111, 100, 121, 46, 48, 255, 91]`: one bit set in
/// the tag of an empty index slot. A reader's probe takes a slot naming no entry for an empty
/// one and stops there, but the writer placed new slots only in all-zero ones, past it, where
/// no lookup could find them; and `check` walked past it too and passed the store. `check`
/// now reports such a slot, and the writer fills it as the empty slot it is for readers.
#[test]
fn check_reports_an_index_slot_with_tag_bits_but_no_entry() {
    harness::store_case_from_bytes(&[39, 0, 141, 98, 111, 100, 121, 46, 48, 255, 91]);
    let index = file_number("grown", "index.1");
    let edits = [Edit::Overwrite {
        file: index,
        offset: 11405,
        bytes: vec![0x80],
    }];
    let store = damaged("grown", &edits);
    let report = mmstore::store::check::check(
        store.path(),
        mmstore::store::check::CheckOptions::default(),
        &mut |_, _| {},
    )
    .expect("check runs");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.what.contains("names no entry")),
        "{:?}",
        report.problems
    );
}

#[test]
fn the_flags_of_a_store_case_are_the_ones_the_fuzz_target_decodes() {
    // The reproducers above pass raw fuzz inputs; their meaning depends on this layout.
    let (seed, flags, edits) = harness::decode_store_case(&[8, 136, 8, 162]);
    assert_eq!(seed % SEED_NAMES.len(), seed_number("crashed"));
    assert_eq!(flags & (DROP_CORRUPT | VACUUM), 0);
    assert!(matches!(edits[..], [Edit::FlipBit { file: 162, bit: 0 }]));
    assert_eq!(162 % 4, file_number("crashed", "index.0"));
}
