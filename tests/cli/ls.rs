//! `mmstore ls`: live keys in append order; `--prefix`, `--limit`, `--offset`, `--deleted`,
//! `-l/--long` and `--json`.

use std::fs;

use serde_json::json;

use crate::common::*;

/// A store holding `b2 a1 b1 c1 b3` (in that order), then `a1` deleted and `b1` replaced.
fn churned() -> Scratch {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append_jsonl(
        &store,
        concat!(
            "{\"id\":\"b2\"}\n",
            "{\"id\":\"a1\"}\n",
            "{\"id\":\"b1\"}\n",
            "{\"id\":\"c1\"}\n",
            "{\"id\":\"b3\"}\n",
        ),
    );
    ok(run(&["rm", p(&store), "a1"]));
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "b1",
        "--on-duplicate",
        "replace",
        "\"new\"",
    ]));
    scratch
}

#[test]
fn ls_lists_live_keys_one_a_line_in_append_order() {
    let scratch = churned();
    let out = ok(run(&["ls", p(&scratch.store())]));
    assert_eq!(String::from_utf8(out).unwrap(), "b2\nc1\nb3\nb1\n");
}

#[test]
fn ls_of_an_empty_store_prints_nothing() {
    let scratch = Scratch::with_store();
    let out = ok(run(&["ls", p(&scratch.store())]));
    assert!(out.is_empty());
}

#[test]
fn ls_prefix_keeps_only_matching_keys() {
    let scratch = churned();
    let store = scratch.store();
    assert_eq!(ls(&store, &["--prefix", "b"]), ["b2", "b3", "b1"]);
    assert_eq!(ls(&store, &["--prefix", "c1"]), ["c1"]);
    assert_eq!(ls(&store, &["--prefix", "a"]), Vec::<String>::new());
    assert_eq!(ls(&store, &["--prefix", ""]), ["b2", "c1", "b3", "b1"]);
}

#[test]
fn ls_limit_stops_after_n_keys() {
    let scratch = churned();
    let store = scratch.store();
    assert_eq!(ls(&store, &["--limit", "2"]), ["b2", "c1"]);
    assert_eq!(ls(&store, &["--limit", "0"]), Vec::<String>::new());
    assert_eq!(ls(&store, &["--limit", "99"]), ["b2", "c1", "b3", "b1"]);
}

#[test]
fn ls_offset_skips_the_first_n_keys() {
    let scratch = churned();
    let store = scratch.store();
    assert_eq!(ls(&store, &["--offset", "1"]), ["c1", "b3", "b1"]);
    assert_eq!(ls(&store, &["--offset", "4"]), Vec::<String>::new());
    assert_eq!(ls(&store, &["--offset", "1", "--limit", "2"]), ["c1", "b3"]);
}

#[test]
fn ls_offset_and_limit_count_keys_that_match_the_prefix() {
    let scratch = churned();
    let store = scratch.store();
    assert_eq!(
        ls(&store, &["--prefix", "b", "--offset", "1", "--limit", "1"]),
        ["b3"]
    );
}

#[test]
fn ls_deleted_lists_tombstoned_and_replaced_records_too() {
    let scratch = churned();
    let store = scratch.store();
    assert_eq!(
        ls(&store, &["--deleted"]),
        ["b2", "a1", "b1", "c1", "b3", "b1"]
    );
}

#[test]
fn ls_json_writes_one_object_a_line_with_index_key_len_offset_state() {
    let scratch = churned();
    let store = scratch.store();
    let rows = ls_json(&store, &["--deleted"]);
    let summary: Vec<(serde_json::Value, serde_json::Value, serde_json::Value)> = rows
        .iter()
        .map(|r| (r["index"].clone(), r["key"].clone(), r["state"].clone()))
        .collect();
    // Entry 5 is a1's tombstone: tombstones themselves are not records.
    assert_eq!(
        summary,
        [
            (json!(0), json!("b2"), json!("live")),
            (json!(1), json!("a1"), json!("deleted")),
            (json!(2), json!("b1"), json!("replaced")),
            (json!(3), json!("c1"), json!("live")),
            (json!(4), json!("b3"), json!("live")),
            (json!(6), json!("b1"), json!("live")),
        ]
    );
    for row in &rows {
        let mut fields: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort();
        assert_eq!(fields, ["index", "key", "len", "offset", "state"]);
    }
    assert_eq!(
        ls_json(&store, &[]).len(),
        4,
        "without --deleted: live only"
    );
}

#[test]
fn ls_json_offset_and_len_point_at_the_value_in_the_body() {
    let scratch = churned();
    let store = scratch.store();
    let body = fs::read(store.join("body.0")).expect("generation 0 body");
    for row in ls_json(&store, &[]) {
        let key = row["key"].as_str().unwrap();
        let offset = row["offset"].as_u64().unwrap() as usize;
        let len = row["len"].as_u64().unwrap() as usize;
        assert_eq!(
            &body[offset..offset + len],
            get(&store, key).as_slice(),
            "{key}"
        );
    }
}

#[test]
fn ls_json_respects_prefix_offset_and_limit() {
    let scratch = churned();
    let rows = ls_json(
        &scratch.store(),
        &["--prefix", "b", "--offset", "1", "--limit", "5"],
    );
    let keys: Vec<_> = rows.iter().map(|r| r["key"].clone()).collect();
    assert_eq!(keys, [json!("b3"), json!("b1")]);
}

#[test]
fn ls_long_prints_a_table_of_index_size_offset_state_key() {
    let scratch = churned();
    let store = scratch.store();
    for flag in ["-l", "--long"] {
        let text = String::from_utf8(ok(run(&["ls", p(&store), flag, "--deleted"]))).unwrap();
        let lines: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(lines[0], ["index", "size", "offset", "state", "key"]);
        let json = ls_json(&store, &["--deleted"]);
        assert_eq!(lines.len(), json.len() + 1);
        for (row, expected) in lines[1..].iter().zip(&json) {
            assert_eq!(
                *row,
                [
                    expected["index"].to_string(),
                    expected["len"].to_string(),
                    expected["offset"].to_string(),
                    expected["state"].as_str().unwrap().to_string(),
                    expected["key"].as_str().unwrap().to_string(),
                ]
            );
        }
    }
}

#[test]
fn ls_long_of_an_empty_store_prints_the_header_only() {
    let scratch = Scratch::with_store();
    let text = String::from_utf8(ok(run(&["ls", p(&scratch.store()), "-l"]))).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text:?}");
    assert!(lines[0].contains("key"));
}

#[test]
fn ls_long_and_json_together_are_a_usage_error() {
    let scratch = Scratch::with_store();
    assert_exit(&run(&["ls", p(&scratch.store()), "-l", "--json"]), 2);
}

#[test]
fn ls_limit_that_is_not_a_number_is_a_usage_error() {
    let scratch = Scratch::with_store();
    assert_exit(&run(&["ls", p(&scratch.store()), "--limit", "-1"]), 2);
    assert_exit(&run(&["ls", p(&scratch.store()), "--limit", "ten"]), 2);
}

#[test]
fn ls_streams_many_keys_in_append_order() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 5000);
    let keys = ls(&store, &[]);
    assert_eq!(keys.len(), 5000);
    assert!(keys.iter().enumerate().all(|(n, k)| *k == format!("k{n}")));
}
