//! `mmstore rm`: tombstones by key, `--index`, `--keys-from` or `--all`; all or nothing:
//! a missing key exits 1 and removes nothing unless `--missing-ok`.

use crate::common::*;

#[test]
fn rm_of_a_key_tombstones_it() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    ok(run(&["rm", p(&store), "k1"]));
    assert_eq!(ls(&store, &[]), ["k0", "k2"]);
    assert_eq!(get_code(&store, "k1"), 1);
    let info = info(&store);
    assert_eq!(info["records"]["live"], 2);
    assert_eq!(info["records"]["deleted"], 1);
}

#[test]
fn rm_keeps_the_bytes_until_vacuum() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "precious bytes");
    let body_before = std::fs::read(store.join("body.0")).unwrap();
    ok(run(&["rm", p(&store), "k"]));
    let body_after = std::fs::read(store.join("body.0")).unwrap();
    assert!(
        body_after.starts_with(&body_before),
        "a tombstone never rewrites the body"
    );
}

#[test]
fn rm_of_several_keys_removes_them_all() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 5);
    ok(run(&["rm", p(&store), "k3", "k0", "k4"]));
    assert_eq!(ls(&store, &[]), ["k1", "k2"]);
}

#[test]
fn rm_of_missing_key_exits_1_and_removes_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    let before = snapshot(&store);
    let err = fails(&run(&["rm", p(&store), "k0", "nope", "k2"]), 1);
    assert!(err.contains("nope"), "names the missing key: {err}");
    assert_unchanged(&store, &before);
}

#[test]
fn rm_of_a_deleted_key_exits_1_and_removes_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    ok(run(&["rm", p(&store), "k1"]));
    let before = snapshot(&store);
    fails(&run(&["rm", p(&store), "k0", "k1"]), 1);
    assert_unchanged(&store, &before);
}

#[test]
fn rm_missing_ok_removes_the_keys_present_and_ignores_the_rest() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    ok(run(&["rm", p(&store), "k0", "nope", "k2", "--missing-ok"]));
    assert_eq!(ls(&store, &[]), ["k1"]);
}

#[test]
fn rm_missing_ok_with_only_missing_keys_changes_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 2);
    ok(run(&["rm", p(&store), "nope", "--missing-ok"]));
    assert_eq!(ls(&store, &[]), ["k0", "k1"]);
}

#[test]
fn rm_of_the_same_key_twice_in_one_command_removes_it_once() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 2);
    ok(run(&["rm", p(&store), "k0", "k0"]));
    assert_eq!(ls(&store, &[]), ["k1"]);
    assert_eq!(info(&store)["records"]["deleted"], 1);
}

#[test]
fn rm_index_removes_the_nth_live_record() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 4);
    ok(run(&["rm", p(&store), "--index", "1"]));
    assert_eq!(ls(&store, &[]), ["k0", "k2", "k3"]);
}

#[test]
fn rm_index_negative_counts_from_the_end() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 4);
    ok(run(&["rm", p(&store), "--index", "-1"]));
    assert_eq!(ls(&store, &[]), ["k0", "k1", "k2"]);
    ok(run(&["rm", p(&store), "--index=-3"]));
    assert_eq!(ls(&store, &[]), ["k1", "k2"]);
}

#[test]
fn rm_several_indexes_refer_to_the_store_before_the_command() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 5);
    ok(run(&[
        "rm",
        p(&store),
        "--index",
        "0",
        "--index",
        "1",
        "--index",
        "-1",
    ]));
    assert_eq!(ls(&store, &[]), ["k2", "k3"]);
}

#[test]
fn rm_index_out_of_range_exits_1_and_removes_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    let before = snapshot(&store);
    let err = fails(&run(&["rm", p(&store), "--index", "0", "--index", "3"]), 1);
    assert!(err.contains('3'), "{err}");
    fails(&run(&["rm", p(&store), "k0", "--index", "-4"]), 1);
    assert_unchanged(&store, &before);
}

#[test]
fn rm_index_out_of_range_with_missing_ok_removes_the_rest() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    ok(run(&[
        "rm",
        p(&store),
        "--index",
        "0",
        "--index",
        "7",
        "--missing-ok",
    ]));
    assert_eq!(ls(&store, &[]), ["k1", "k2"]);
}

#[test]
fn rm_keys_from_removes_every_key_of_the_file() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 5);
    let keys = scratch.file("stale.txt", "k4\r\n\nk1\n");
    ok(run(&["rm", p(&store), "--keys-from", p(&keys)]));
    assert_eq!(ls(&store, &[]), ["k0", "k2", "k3"]);
}

#[test]
fn rm_keys_from_dash_reads_stdin() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    ok(run_with_stdin(
        &["rm", p(&store), "--keys-from", "-"],
        "k0\nk2\n",
    ));
    assert_eq!(ls(&store, &[]), ["k1"]);
}

#[test]
fn rm_keys_from_with_a_missing_key_exits_1_and_removes_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    let before = snapshot(&store);
    let keys = scratch.file("stale.txt", "k0\nk1\nnope\n");
    let err = fails(&run(&["rm", p(&store), "--keys-from", p(&keys)]), 1);
    assert!(err.contains("nope"), "{err}");
    assert_unchanged(&store, &before);
    ok(run(&[
        "rm",
        p(&store),
        "--keys-from",
        p(&keys),
        "--missing-ok",
    ]));
    assert_eq!(ls(&store, &[]), ["k2"]);
}

#[test]
fn rm_keys_from_with_a_non_utf8_key_exits_3_naming_the_line_and_removes_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    let before = snapshot(&store);
    let keys = scratch.file("bad.txt", b"k0\nk1\n\xffk2\n");
    fails_as_bad_input_at(&run(&["rm", p(&store), "--keys-from", p(&keys)]), 3);
    assert_unchanged(&store, &before);
}

#[test]
fn rm_all_removes_every_live_record() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 10);
    ok(run(&["rm", p(&store), "--all"]));
    assert_eq!(ls(&store, &[]), Vec::<String>::new());
    let info = info(&store);
    assert_eq!(info["records"]["live"], 0);
    assert_eq!(info["records"]["deleted"], 10);
    // The store is still usable, and keys can come back.
    append(&store, "k3", "again");
    assert_eq!(ls(&store, &[]), ["k3"]);
}

#[test]
fn rm_all_of_an_empty_store_succeeds() {
    let scratch = Scratch::with_store();
    ok(run(&["rm", p(&scratch.store()), "--all"]));
}

#[test]
fn rm_all_with_keys_is_a_usage_error() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 2);
    assert_exit(&run(&["rm", p(&store), "--all", "k0"]), 2);
    assert_exit(&run(&["rm", p(&store), "--all", "--index", "0"]), 2);
    assert_eq!(ls(&store, &[]), ["k0", "k1"]);
}

#[test]
fn rm_without_anything_to_remove_is_a_usage_error() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 2);
    assert_exit(&run(&["rm", p(&store)]), 2);
    assert_eq!(ls(&store, &[]), ["k0", "k1"]);
}

#[test]
fn rm_on_a_missing_store_exits_4() {
    let scratch = Scratch::new();
    fails(&run(&["rm", p(&scratch.store()), "k"]), 4);
    assert!(!scratch.store().exists());
}
