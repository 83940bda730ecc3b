//! Every class of bad input (SPEC §3, "Batches are atomic"): malformed JSON, a ragged CSV
//! row, a missing key field, a non-UTF-8 key, a duplicate under `error`, a bad key (empty,
//! too long, with NUL, CR or LF). Each exits 3 with a message naming the 1-based input line,
//! and leaves the store exactly as it was: the same export and the same bytes in every file.

use crate::common::*;

/// A store with some history (records, a replacement, a deletion), so that "unchanged"
/// covers more than an empty store.
fn lived_in() -> Scratch {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 5);
    ok(run(&["rm", p(&store), "k1"]));
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "k2",
        "--on-duplicate",
        "replace",
        "[2]",
    ]));
    append(&store, "taken", "\"t\"");
    scratch
}

/// Feeds `input` to the command `args` (STORE first after the command) on a lived-in store
/// and asserts exit 3, the line named, the store unchanged. Returns the message.
#[track_caller]
fn assert_rejected(args: &[&str], input: impl AsRef<[u8]>, line: u64) -> String {
    let scratch = lived_in();
    let store = scratch.store();
    let file = scratch.file("input", input);
    let mut all = vec![args[0], p(&store)];
    all.extend(
        args[1..]
            .iter()
            .map(|&a| if a == "{input}" { p(&file) } else { a }),
    );
    let before = snapshot(&store);
    let err = fails_as_bad_input_at(&run(&all), line);
    assert_unchanged(&store, &before);
    err
}

const JSONL: &[&str] = &["append", "--jsonl", "--input", "{input}"];
const JSONL_KEYED: &[&str] = &[
    "append",
    "--jsonl",
    "--key-field",
    "id",
    "--input",
    "{input}",
];
const CSV_KEYED: &[&str] = &["import-csv", "{input}", "--key-column", "id"];
const IMPORT_JSON: &[&str] = &["import-json", "{input}"];

/// Good lines for each command, then the bad one.
fn jsonl_then(bad: &str) -> String {
    format!("{{\"id\":\"n1\"}}\n{{\"id\":\"n2\"}}\n\n{bad}\n{{\"id\":\"n3\"}}\n")
}

fn csv_then(bad: &str) -> String {
    format!("id,v\nn1,1\nn2,\"two\nlines\"\n{bad}\nn3,3\n")
}

fn envelopes_then(bad: &str) -> String {
    format!("{{\"key\":\"n1\",\"value\":1}}\n{{\"key\":\"n2\",\"value\":2}}\n\n{bad}\n")
}

#[test]
fn malformed_json_line_in_append_jsonl_exits_3_naming_the_line() {
    for bad in [
        "{\"id\":",
        "{oops}",
        "[1,]",
        "\"unterminated",
        "1 2",
        "NaN",
        "{\"id\":\"x\"} tail",
    ] {
        assert_rejected(JSONL, jsonl_then(bad), 4);
        assert_rejected(JSONL_KEYED, jsonl_then(bad), 4);
    }
}

#[test]
fn malformed_envelope_line_in_import_json_exits_3_naming_the_line() {
    for bad in ["{\"key\":\"x\",", "{\"key\":\"x\",\"value\":}", "not json"] {
        assert_rejected(IMPORT_JSON, envelopes_then(bad), 4);
    }
}

#[test]
fn ragged_csv_row_exits_3_naming_the_line() {
    // The header is line 1; the two-line field takes lines 3 and 4.
    assert_rejected(CSV_KEYED, csv_then("x"), 5);
    assert_rejected(CSV_KEYED, csv_then("x,1,extra"), 5);
}

#[test]
fn ragged_csv_row_of_a_crlf_file_exits_3_naming_the_physical_line() {
    let crlf = csv_then("x").replace('\n', "\r\n");
    assert_rejected(CSV_KEYED, crlf, 5);
}

#[test]
fn missing_key_field_exits_3_naming_the_line_and_the_field() {
    let err = assert_rejected(JSONL_KEYED, jsonl_then("{\"name\":\"no id\"}"), 4);
    assert!(err.contains("id"), "{err}");
    let err = assert_rejected(
        &["import-csv", "{input}", "--key-column", "nope"],
        csv_then("x,1"),
        1,
    );
    assert!(err.contains("nope"), "{err}");
    assert_rejected(IMPORT_JSON, envelopes_then("{\"value\":3}"), 4);
}

#[test]
fn non_utf8_key_exits_3_naming_the_line() {
    let mut jsonl = b"{\"id\":\"n1\"}\n{\"id\":\"n2\"}\n{\"id\":\"bad".to_vec();
    jsonl.extend_from_slice(b"\xff\xfe\"}\n{\"id\":\"n3\"}\n");
    assert_rejected(JSONL_KEYED, &jsonl, 3);

    let mut csv = b"id,v\nn1,1\nn2,2\nbad".to_vec();
    csv.extend_from_slice(b"\xc3\x28,3\n");
    let err = assert_rejected(CSV_KEYED, &csv, 4);
    assert!(err.contains("id"), "names the column: {err}");

    let mut envelopes = b"{\"key\":\"n1\",\"value\":1}\n{\"key\":\"bad".to_vec();
    envelopes.extend_from_slice(b"\xff\",\"value\":2}\n");
    assert_rejected(IMPORT_JSON, &envelopes, 2);
}

#[test]
fn non_utf8_key_escaped_as_a_lone_surrogate_exits_3_naming_the_line() {
    // Valid JSON text, but the key it spells is not UTF-8.
    assert_rejected(JSONL_KEYED, jsonl_then("{\"id\":\"\\ud800\"}"), 4);
    assert_rejected(
        IMPORT_JSON,
        envelopes_then("{\"key\":\"\\udfff\",\"value\":1}"),
        4,
    );
}

#[test]
fn duplicate_key_under_error_exits_3_naming_the_line() {
    // Against a key already in the store...
    let err = assert_rejected(JSONL_KEYED, jsonl_then("{\"id\":\"taken\"}"), 4);
    assert!(err.contains("taken"), "names the key: {err}");
    assert_rejected(CSV_KEYED, csv_then("taken,9"), 5);
    assert_rejected(
        IMPORT_JSON,
        envelopes_then("{\"key\":\"k0\",\"value\":0}"),
        4,
    );
    // ...and against one earlier in the same input.
    assert_rejected(JSONL_KEYED, jsonl_then("{\"id\":\"n1\"}"), 4);
    assert_rejected(CSV_KEYED, csv_then("n2,again"), 5);
    assert_rejected(
        IMPORT_JSON,
        envelopes_then("{\"key\":\"n2\",\"value\":2}"),
        4,
    );
    // The array form of import-json names the line where the element starts.
    let array = "[\n{\"key\":\"n1\",\"value\":1},\n{\"key\":\"taken\",\"value\":2}\n]\n";
    assert_rejected(IMPORT_JSON, array, 3);
    // An explicit --on-duplicate error is the same.
    let mut explicit = JSONL_KEYED.to_vec();
    explicit.extend(["--on-duplicate", "error"]);
    assert_rejected(&explicit, jsonl_then("{\"id\":\"taken\"}"), 4);
}

/// Bad keys as JSON string literals.
const BAD_KEYS: &[(&str, &str)] = &[
    ("empty", "\"\""),
    ("CR", "\"a\\rb\""),
    ("LF", "\"a\\nb\""),
    ("NUL", "\"a\\u0000b\""),
    ("trailing LF", "\"ab\\n\""),
];

#[test]
fn bad_key_exits_3_naming_the_line() {
    for (what, key) in BAD_KEYS {
        let err = assert_rejected(JSONL_KEYED, jsonl_then(&format!("{{\"id\":{key}}}")), 4);
        assert!(err.contains("key"), "{what}: {err}");
        assert_rejected(
            IMPORT_JSON,
            envelopes_then(&format!("{{\"key\":{key},\"value\":1}}")),
            4,
        );
    }
    // CSV fields can hold CR and LF in quotes, and be empty.
    assert_rejected(CSV_KEYED, csv_then(",9"), 5);
    assert_rejected(CSV_KEYED, csv_then("\"a\nb\",9"), 5);
    assert_rejected(CSV_KEYED, csv_then("\"a\rb\",9"), 5);
    assert_rejected(CSV_KEYED, csv_then("\"a\u{0}b\",9"), 5);
}

#[test]
fn key_longer_than_4096_bytes_exits_3_naming_the_line() {
    let long = "x".repeat(4097);
    assert_rejected(
        JSONL_KEYED,
        jsonl_then(&format!("{{\"id\":\"{long}\"}}")),
        4,
    );
    assert_rejected(CSV_KEYED, csv_then(&format!("{long},1")), 5);
    assert_rejected(
        IMPORT_JSON,
        envelopes_then(&format!("{{\"key\":\"{long}\",\"value\":1}}")),
        4,
    );
}

#[test]
fn key_of_exactly_4096_bytes_is_accepted() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    // 4096 bytes of two-byte characters.
    let key = "é".repeat(2048);
    append(&store, &key, "ok");
    assert_eq!(get(&store, &key), b"ok");
    let too_long = format!("{key}x");
    fails(&run(&["append", p(&store), "--key", &too_long, "v"]), 3);
}

#[test]
fn bad_key_of_a_single_append_exits_3_and_changes_nothing() {
    let scratch = lived_in();
    let store = scratch.store();
    let before = snapshot(&store);
    for key in ["", "a\nb", "a\rb", "a\u{0}b", &"k".repeat(4097)] {
        if key.contains('\0') {
            // No argument can carry a NUL; the key field of JSON Lines covers it above.
            continue;
        }
        let err = fails(&run(&["append", p(&store), "--key", key, "v"]), 3);
        assert!(err.contains("key"), "{key:?}: {err}");
    }
    fails(&run(&["append", p(&store), "--key", "taken", "v"]), 3);
    assert_unchanged(&store, &before);
}

#[test]
fn bad_input_after_megabytes_of_good_records_still_leaves_the_store_unchanged() {
    // Enough records to flush the writer's buffers to the files and to grow the index into
    // a new file before the bad line: the abort must undo all of it.
    let mut jsonl = String::new();
    for n in 0..20_000 {
        jsonl.push_str(&format!(
            "{{\"id\":\"bulk{n}\",\"pad\":\"{}\"}}\n",
            "p".repeat(200)
        ));
    }
    jsonl.push_str("{\"id\":\"taken\"}\n");
    assert_rejected(JSONL_KEYED, &jsonl, 20_001);

    let mut csv = String::from("id,pad\n");
    for n in 0..20_000 {
        csv.push_str(&format!("bulk{n},{}\n", "p".repeat(200)));
    }
    csv.push_str("ragged\n");
    assert_rejected(CSV_KEYED, &csv, 20_002);
}

#[test]
fn bad_input_through_stdin_names_the_line_and_changes_nothing() {
    let scratch = lived_in();
    let store = scratch.store();
    let before = snapshot(&store);
    let out = run_with_stdin(
        &["append", p(&store), "--jsonl", "--key-field", "id"],
        jsonl_then("{\"id\":true}"),
    );
    fails_as_bad_input_at(&out, 4);
    let out = run_with_stdin(
        &["import-csv", p(&store), "-", "--key-column", "id"],
        csv_then("x"),
    );
    fails_as_bad_input_at(&out, 5);
    assert_unchanged(&store, &before);
}
