//! `mmstore export-json`: live records as JSON Lines envelopes in append order (or one
//! array with `--array`), `--prefix`, `-o PATH` written atomically.

use std::fs;

use serde_json::json;

use crate::common::*;

fn sample() -> Scratch {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "b", r#"{"x": 1}"#);
    append(&store, "a", "text");
    append(&store, "gone", "1");
    append(&store, "bin", [0u8, 255]);
    append(&store, "b2", "[true]");
    ok(run(&["rm", p(&store), "gone"]));
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "a",
        "--on-duplicate",
        "replace",
        "\"new\"",
    ]));
    scratch
}

const SAMPLE_LINES: &str = concat!(
    r#"{"key":"b","value":{"x": 1}}"#,
    "\n",
    r#"{"key":"bin","value_base64":"AP8="}"#,
    "\n",
    r#"{"key":"b2","value":[true]}"#,
    "\n",
    r#"{"key":"a","value":"new"}"#,
    "\n",
);

#[test]
fn export_json_writes_live_records_as_envelopes_in_append_order() {
    let scratch = sample();
    let out = ok(run(&["export-json", p(&scratch.store())]));
    assert_eq!(String::from_utf8(out).unwrap(), SAMPLE_LINES);
}

#[test]
fn export_json_of_an_empty_store_writes_nothing() {
    let scratch = Scratch::with_store();
    assert_eq!(ok(run(&["export-json", p(&scratch.store())])), b"");
}

#[test]
fn export_json_array_writes_one_json_array_of_the_same_envelopes() {
    let scratch = sample();
    let out = ok(run(&["export-json", p(&scratch.store()), "--array"]));
    let array = json(&out);
    let lines = json_lines(SAMPLE_LINES.as_bytes());
    assert_eq!(array, serde_json::Value::Array(lines));
}

#[test]
fn export_json_array_of_an_empty_store_is_an_empty_array() {
    let scratch = Scratch::with_store();
    let out = ok(run(&["export-json", p(&scratch.store()), "--array"]));
    assert_eq!(json(&out), json!([]));
}

#[test]
fn export_json_prefix_keeps_only_matching_keys() {
    let scratch = sample();
    let out = ok(run(&["export-json", p(&scratch.store()), "--prefix", "b"]));
    let keys: Vec<_> = json_lines(&out).iter().map(|e| e["key"].clone()).collect();
    assert_eq!(keys, [json!("b"), json!("bin"), json!("b2")]);
    let out = ok(run(&[
        "export-json",
        p(&scratch.store()),
        "--prefix",
        "b",
        "--array",
    ]));
    assert_eq!(json(&out).as_array().unwrap().len(), 3);
    let out = ok(run(&[
        "export-json",
        p(&scratch.store()),
        "--prefix",
        "zzz",
    ]));
    assert!(out.is_empty());
}

#[test]
fn export_json_output_writes_the_file_and_nothing_on_stdout() {
    let scratch = sample();
    let target = scratch.path("out.jsonl");
    for flag in ["-o", "--output"] {
        let out = run(&["export-json", p(&scratch.store()), flag, p(&target)]);
        assert_exit(&out, 0);
        assert!(out.stdout.is_empty());
        assert_eq!(fs::read_to_string(&target).unwrap(), SAMPLE_LINES);
    }
    // Nothing but the store, the file and the target: no temporary file left behind.
    let mut names: Vec<String> = fs::read_dir(scratch.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["out.jsonl", "store"]);
}

#[test]
fn export_json_output_replaces_an_existing_file_whole() {
    let scratch = sample();
    let target = scratch.file("out.jsonl", "x".repeat(10_000));
    ok(run(&["export-json", p(&scratch.store()), "-o", p(&target)]));
    assert_eq!(fs::read_to_string(&target).unwrap(), SAMPLE_LINES);
}

#[test]
fn export_json_output_into_a_missing_directory_fails_and_creates_nothing() {
    let scratch = sample();
    let target = scratch.path("no-such-dir/out.jsonl");
    let err = fails(
        &run(&["export-json", p(&scratch.store()), "-o", p(&target)]),
        6,
    );
    assert!(err.contains("no-such-dir"), "{err}");
    assert!(!scratch.path("no-such-dir").exists());
}

#[test]
fn export_json_of_a_missing_store_exits_4() {
    let scratch = Scratch::new();
    fails(&run(&["export-json", p(&scratch.store())]), 4);
}

#[test]
fn export_json_keys_are_escaped_as_json_strings() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "quote\"back\\slash\ttab ü 🦀", "1");
    let out = ok(run(&["export-json", p(&store)]));
    assert_eq!(
        json_lines(&out),
        [json!({"key": "quote\"back\\slash\ttab ü 🦀", "value": 1})]
    );
}
