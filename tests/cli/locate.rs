//! `mmstore locate`: the body file, byte offset and length of a value, so that another
//! program can map it in place; the bytes found there are the value.

use std::fs;
use std::path::Path;

use crate::common::*;

/// Reads `len` bytes at `offset` of `file`, as a program mapping the value would.
fn bytes_at(file: &Path, offset: u64, len: u64) -> Vec<u8> {
    let all = fs::read(file).expect("the located file exists");
    all[offset as usize..(offset + len) as usize].to_vec()
}

fn store_with_values() -> (Scratch, Vec<(&'static str, Vec<u8>)>) {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let values: Vec<(&str, Vec<u8>)> = vec![
        ("first", b"1".to_vec()),
        ("vector", (0..=255u8).collect()),
        ("unicode ключ", "значение".as_bytes().to_vec()),
        ("empty", Vec::new()),
    ];
    for (key, value) in &values {
        append(&store, key, value);
    }
    (scratch, values)
}

#[test]
fn locate_prints_file_offset_and_len_where_the_value_lies() {
    let (scratch, values) = store_with_values();
    let store = scratch.store();
    for (key, value) in &values {
        let text = String::from_utf8(ok(run(&["locate", p(&store), key]))).unwrap();
        let line = text.strip_suffix('\n').expect("one line");
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "file, offset, len tab-separated: {line:?}");
        let file = Path::new(fields[0]);
        assert!(file.is_absolute(), "an absolute path: {line}");
        assert!(file.starts_with(fs::canonicalize(&store).unwrap()));
        let offset: u64 = fields[1].parse().unwrap();
        let len: u64 = fields[2].parse().unwrap();
        assert_eq!(len, value.len() as u64);
        assert_eq!(bytes_at(file, offset, len), *value, "{key}");
    }
}

#[test]
fn locate_json_prints_key_file_offset_len() {
    let (scratch, values) = store_with_values();
    let store = scratch.store();
    for (key, value) in &values {
        let located = json(&ok(run(&["locate", p(&store), key, "--json"])));
        let mut fields: Vec<&str> = located
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort();
        assert_eq!(fields, ["file", "key", "len", "offset"]);
        assert_eq!(located["key"], *key);
        let file = Path::new(located["file"].as_str().unwrap());
        let offset = located["offset"].as_u64().unwrap();
        let len = located["len"].as_u64().unwrap();
        assert_eq!(bytes_at(file, offset, len), *value, "{key}");
    }
}

#[test]
fn locate_of_a_replaced_key_points_at_the_new_value() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "old value");
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "k",
        "--on-duplicate",
        "replace",
        "new",
    ]));
    let located = json(&ok(run(&["locate", p(&store), "k", "--json"])));
    let file = Path::new(located["file"].as_str().unwrap());
    let bytes = bytes_at(
        file,
        located["offset"].as_u64().unwrap(),
        located["len"].as_u64().unwrap(),
    );
    assert_eq!(bytes, b"new");
}

#[test]
fn locate_of_a_missing_key_exits_1() {
    let (scratch, _) = store_with_values();
    let out = run(&["locate", p(&scratch.store()), "nope"]);
    let err = fails(&out, 1);
    assert!(err.contains("nope"), "{err}");
    assert!(out.stdout.is_empty());
    fails(&run(&["locate", p(&scratch.store()), "nope", "--json"]), 1);
}

#[test]
fn locate_of_a_deleted_key_exits_1() {
    let (scratch, _) = store_with_values();
    let store = scratch.store();
    ok(run(&["rm", p(&store), "first"]));
    fails(&run(&["locate", p(&store), "first"]), 1);
}

#[test]
fn locate_on_a_missing_store_exits_4() {
    let scratch = Scratch::new();
    fails(&run(&["locate", p(&scratch.store()), "k"]), 4);
}
