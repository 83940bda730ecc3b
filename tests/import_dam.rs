//! `import-dam`: Jina DocumentArrayMemmap folders, built here byte by byte, come into a store
//! with their live records; malformed folders are refused with exit 4 and the row number.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn mmstore() -> Command {
    Command::cargo_bin("mmstore").unwrap()
}

/// One header row: the key as `key_length` UTF-32LE units, NUL-padded, then p, r, end.
fn row(key: &str, key_length: usize, p: i64, r: i64, end: i64) -> Vec<u8> {
    let mut bytes = Vec::new();
    let units: Vec<u32> = key.chars().map(|c| c as u32).collect();
    assert!(units.len() <= key_length);
    for i in 0..key_length {
        bytes.extend_from_slice(&units.get(i).copied().unwrap_or(0).to_le_bytes());
    }
    for n in [p, r, end] {
        bytes.extend_from_slice(&n.to_le_bytes());
    }
    bytes
}

/// A DAM folder: `docs` are (key, value) appended in order; `deleted` keys get a deletion row
/// after them. Values are laid out as jina does: a record starts at `p`, its value at `p + r`.
fn dam(dir: &Path, key_length: usize, docs: &[(&str, &[u8])], deleted: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut header = Vec::new();
    let mut body = Vec::new();
    for (key, value) in docs {
        let p = body.len() as i64;
        let r = 3; // a few bytes of framing before the value, as the offsets allow
        body.extend_from_slice(b"hdr");
        body.extend_from_slice(value);
        header.extend(row(key, key_length, p, r, r + value.len() as i64));
    }
    for key in deleted {
        header.extend(row(key, key_length, -1, -1, -1));
    }
    std::fs::write(dir.join("header.bin"), header).unwrap();
    std::fs::write(dir.join("body.bin"), body).unwrap();
}

#[test]
fn import_dam_brings_in_live_records_with_their_exact_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("dam");
    let proto: &[u8] = &[0x0a, 0x03, b'a', 0x00, 0xff, 0x12];
    dam(
        &folder,
        36,
        &[
            ("doc-1", proto),
            ("doc-2", b"{\"x\":1}"),
            ("doc-3", b"three"),
        ],
        &["doc-3"],
    );
    let store = tmp.path().join("s");
    mmstore()
        .args(["import-dam"])
        .arg(&store)
        .arg(&folder)
        .arg("--create")
        .assert()
        .success();
    let out = mmstore()
        .arg("get")
        .arg(&store)
        .arg("doc-1")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(out, proto);
    mmstore()
        .arg("get")
        .arg(&store)
        .arg("doc-2")
        .assert()
        .success()
        .stdout("{\"x\":1}");
    mmstore()
        .arg("get")
        .arg(&store)
        .arg("doc-3")
        .assert()
        .code(1);
    mmstore()
        .arg("ls")
        .arg(&store)
        .assert()
        .success()
        .stdout("doc-1\ndoc-2\n");
    mmstore().arg("check").arg(&store).assert().success();
}

#[test]
fn a_later_row_with_the_same_key_replaces_the_earlier_one() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("dam");
    dam(
        &folder,
        36,
        &[("k", b"old"), ("other", b"o"), ("k", b"new")],
        &[],
    );
    let store = tmp.path().join("s");
    mmstore()
        .arg("import-dam")
        .arg(&store)
        .arg(&folder)
        .arg("--create")
        .assert()
        .success();
    mmstore()
        .arg("get")
        .arg(&store)
        .arg("k")
        .assert()
        .success()
        .stdout("new");
    mmstore()
        .arg("info")
        .arg(&store)
        .arg("--json")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "\"records\":{\"live\":2,\"deleted\":0,\"replaced\":0}",
        ));
}

#[test]
fn keys_longer_than_36_units_need_key_length_and_stay_distinct() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("dam");
    let a = "x".repeat(40) + "a";
    let b = "x".repeat(40) + "b";
    dam(
        &folder,
        64,
        &[(&a, b"1"), (&b, b"2"), ("日本語のキー", b"3")],
        &[],
    );
    let store = tmp.path().join("s");
    mmstore()
        .arg("import-dam")
        .arg(&store)
        .arg(&folder)
        .args(["--create", "--key-length", "64"])
        .assert()
        .success();
    mmstore()
        .arg("get")
        .arg(&store)
        .arg(&a)
        .assert()
        .success()
        .stdout("1");
    mmstore()
        .arg("get")
        .arg(&store)
        .arg(&b)
        .assert()
        .success()
        .stdout("2");
    mmstore()
        .arg("get")
        .arg(&store)
        .arg("日本語のキー")
        .assert()
        .success()
        .stdout("3");
}

#[test]
fn a_header_whose_size_is_not_a_multiple_of_the_row_size_exits_4_naming_the_row() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("dam");
    dam(&folder, 36, &[("a", b"1"), ("b", b"2")], &[]);
    let mut header = std::fs::read(folder.join("header.bin")).unwrap();
    header.truncate(168 + 100);
    std::fs::write(folder.join("header.bin"), header).unwrap();
    let store = tmp.path().join("s");
    mmstore()
        .arg("import-dam")
        .arg(&store)
        .arg(&folder)
        .arg("--create")
        .assert()
        .code(4)
        .stderr(predicate::str::starts_with("mmstore: ").and(predicate::str::contains("row 1")));
    mmstore()
        .arg("ls")
        .arg(&store)
        .assert()
        .success()
        .stdout("");
}

#[test]
fn a_row_pointing_past_the_body_exits_4_naming_the_row_and_stores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("dam");
    dam(&folder, 36, &[("a", b"1"), ("b", b"2")], &[]);
    let mut header = std::fs::read(folder.join("header.bin")).unwrap();
    header.extend(row("c", 36, 1000, 0, 50));
    std::fs::write(folder.join("header.bin"), header).unwrap();
    let store = tmp.path().join("s");
    mmstore().arg("create").arg(&store).assert().success();
    mmstore()
        .arg("import-dam")
        .arg(&store)
        .arg(&folder)
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("row 2")
                .and(predicate::str::contains("past the end of body.bin")),
        );
    mmstore()
        .arg("ls")
        .arg(&store)
        .assert()
        .success()
        .stdout("");
}

#[test]
fn a_missing_dam_folder_is_an_io_error() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    mmstore()
        .arg("import-dam")
        .arg(&store)
        .arg(tmp.path().join("nope"))
        .arg("--create")
        .assert()
        .code(6)
        .stderr(predicate::str::contains("body.bin"));
}
