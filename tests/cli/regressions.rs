//! The bugs that users of the Python memmap stores hit, as regression tests. Every command
//! is a new process, so every step below reopens the store.

use std::fs;

use crate::common::*;

#[test]
fn replace_then_reopen_then_append_keeps_the_replaced_record_s_new_value() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "a", "old a");
    append(&store, "b", "b");
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "a",
        "--on-duplicate",
        "replace",
        "new a",
    ]));
    append(&store, "c", "c");
    ok(run_with_stdin(
        &["append", p(&store), "--jsonl", "--key-field", "id"],
        "{\"id\":\"d\"}\n{\"id\":\"e\"}\n",
    ));
    assert_eq!(get(&store, "a"), b"new a");
    assert_eq!(ls(&store, &[]), ["b", "a", "c", "d", "e"]);
    let info = info(&store);
    assert_eq!(info["records"]["live"], 5);
    assert_eq!(info["records"]["replaced"], 1);
    // And once more after a replace inside a bulk batch.
    ok(run_with_stdin(
        &[
            "append",
            p(&store),
            "--jsonl",
            "--key-field",
            "id",
            "--on-duplicate",
            "replace",
        ],
        "{\"id\":\"a\",\"v\":3}\n",
    ));
    append(&store, "f", "f");
    assert_eq!(get(&store, "a"), br#"{"id":"a","v":3}"#);
    assert_eq!(ls(&store, &[]), ["b", "c", "d", "e", "a", "f"]);
}

#[test]
fn delete_the_last_record_then_reopen_then_append() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "a", "1");
    append(&store, "b", "2");
    ok(run(&["rm", p(&store), "b"]));
    append(&store, "c", "3");
    assert_eq!(ls(&store, &[]), ["a", "c"]);
    assert_eq!(get(&store, "a"), b"1");
    assert_eq!(get(&store, "c"), b"3");
    assert_eq!(get_code(&store, "b"), 1);
    // The deleted key can come back, as a new record at the end.
    append(&store, "b", "again");
    assert_eq!(ls(&store, &[]), ["a", "c", "b"]);
    assert_eq!(get(&store, "b"), b"again");
}

#[test]
fn delete_the_only_record_then_reopen_then_append() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "only", "1");
    ok(run(&["rm", p(&store), "--index", "-1"]));
    assert_eq!(ls(&store, &[]), Vec::<String>::new());
    ok(run(&["append", p(&store), "auto"]));
    // The auto key counts every record ever committed.
    assert_eq!(ls(&store, &[]), ["1"]);
    assert_eq!(get(&store, "1"), b"auto");
    assert_eq!(info(&store)["records"]["live"], 1);
}

#[test]
fn delete_by_index_after_an_earlier_delete_hits_the_right_record() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 6);
    ok(run(&["rm", p(&store), "--index", "1"]));
    assert_eq!(ls(&store, &[]), ["k0", "k2", "k3", "k4", "k5"]);
    // The second live record is now k2.
    ok(run(&["rm", p(&store), "--index", "1"]));
    assert_eq!(ls(&store, &[]), ["k0", "k3", "k4", "k5"]);
    // From the end, after the last one went.
    ok(run(&["rm", p(&store), "k5"]));
    ok(run(&["rm", p(&store), "--index", "-1"]));
    assert_eq!(ls(&store, &[]), ["k0", "k3"]);
    // And after a replace, which moves the record to the end.
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "k0",
        "--on-duplicate",
        "replace",
        "new",
    ]));
    ok(run(&["rm", p(&store), "--index", "0"]));
    assert_eq!(ls(&store, &[]), ["k0"]);
    assert_eq!(get(&store, "k0"), b"new");
}

#[test]
fn get_by_index_after_an_earlier_delete_returns_the_right_record() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 4);
    ok(run(&["rm", p(&store), "k0"]));
    let out = ok(run(&["get", p(&store), "--index", "0"]));
    assert_eq!(json_lines(&out)[0]["key"], "k1");
    let out = ok(run(&["get", p(&store), "--index", "-3"]));
    assert_eq!(json_lines(&out)[0]["key"], "k1");
}

#[test]
fn two_keys_that_differ_only_after_their_36th_character_stay_two_records() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let prefix = "0123456789abcdef0123456789abcdef0123"; // 36 characters
    assert_eq!(prefix.len(), 36);
    let keys = [
        prefix.to_string(),
        format!("{prefix}a"),
        format!("{prefix}b"),
        format!("{prefix}ab"),
        format!("{prefix} "),
        format!("{}{}", "z".repeat(4095), "1"),
        format!("{}{}", "z".repeat(4095), "2"),
    ];
    for (n, key) in keys.iter().enumerate() {
        append(&store, key, format!("value {n}"));
    }
    assert_eq!(ls(&store, &[]), keys);
    for (n, key) in keys.iter().enumerate() {
        assert_eq!(get(&store, key), format!("value {n}").as_bytes(), "{key}");
    }
    // Deleting one leaves its neighbours alone.
    ok(run(&["rm", p(&store), &keys[1]]));
    assert_eq!(get_code(&store, &keys[1]), 1);
    assert_eq!(get(&store, &keys[2]), b"value 2");
    assert_eq!(get(&store, &keys[0]), b"value 0");
}

#[test]
fn a_truncated_body_is_reported_with_exit_4_never_served_as_an_empty_value() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "a", "first");
    append(&store, "b", "second");
    let body = store.join("body.0");
    let len = fs::metadata(&body).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&body)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let out = run(&["get", p(&store), "b"]);
    fails(&out, 4);
    assert!(out.stdout.is_empty());
}

#[test]
fn a_half_written_lookup_entry_is_reported_with_exit_4() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "a", "first");
    append(&store, "b", "second");
    let lookup = store.join("lookup.0");
    let len = fs::metadata(&lookup).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&lookup)
        .unwrap()
        .set_len(len - 10)
        .unwrap();
    for args in [vec!["get", p(&store), "b"], vec!["ls", p(&store)]] {
        let out = run(&args);
        fails(&out, 4);
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
