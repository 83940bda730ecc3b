//! `mmstore append`: one value from the argument, `--file` or stdin; bulk `--jsonl` with
//! `--key-field` and `--input`; auto keys; `--on-duplicate`; `--create`.

use std::fs;

use crate::common::*;

/// Every byte value, twice, and no line end at the end: nothing may be added or lost.
fn all_bytes() -> Vec<u8> {
    (0..=255u8).chain((0..=255u8).rev()).collect()
}

#[test]
fn append_stores_the_value_argument_exactly() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    ok(run(&["append", p(&store), "--key", "k", "héllo, wörld  "]));
    assert_eq!(get(&store, "k"), "héllo, wörld  ".as_bytes());
}

#[test]
fn append_file_stores_the_bytes_of_the_file_exactly() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let file = scratch.file("blob.bin", all_bytes());
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "blob",
        "--file",
        p(&file),
    ]));
    assert_eq!(get(&store, "blob"), all_bytes());
}

#[test]
fn append_file_of_an_empty_file_stores_an_empty_value() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let file = scratch.file("empty", "");
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "e",
        "--file",
        p(&file),
    ]));
    assert_eq!(get(&store, "e"), b"");
    assert_eq!(ls(&store, &[]), ["e"]);
}

#[test]
fn append_without_value_or_file_stores_all_of_stdin() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    ok(run_with_stdin(
        &["append", p(&store), "--key", "in"],
        all_bytes(),
    ));
    assert_eq!(get(&store, "in"), all_bytes());
}

#[test]
fn append_of_a_large_stdin_value_stores_every_byte() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    // Larger than the writer's buffers, so that it takes the streaming path.
    let value: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    ok(run_with_stdin(
        &["append", p(&store), "--key", "big"],
        value.clone(),
    ));
    assert!(get(&store, "big") == value, "the large value differs");
}

#[test]
fn append_without_key_assigns_sequence_numbers_from_0() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    ok(run(&["append", p(&store), "first"]));
    ok(run(&["append", p(&store), "second"]));
    ok(run_with_stdin(&["append", p(&store)], "third"));
    assert_eq!(ls(&store, &[]), ["0", "1", "2"]);
    assert_eq!(get(&store, "0"), b"first");
    assert_eq!(get(&store, "1"), b"second");
    assert_eq!(get(&store, "2"), b"third");
}

#[test]
fn auto_keys_count_every_committed_record_including_keyed_ones() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "named", "x");
    ok(run(&["append", p(&store), "auto"]));
    assert_eq!(ls(&store, &[]), ["named", "1"]);
}

#[test]
fn a_failed_batch_uses_no_auto_key_number() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    ok(run(&["append", p(&store), "a"]));
    fails(
        &run_with_stdin(&["append", p(&store), "--jsonl"], "1\n2\n{oops\n"),
        3,
    );
    ok(run(&["append", p(&store), "b"]));
    assert_eq!(ls(&store, &[]), ["0", "1"]);
    assert_eq!(get(&store, "1"), b"b");
}

#[test]
fn a_skipped_duplicate_uses_no_auto_key_number() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    // "1" is taken by a keyed record, so the auto key 1 collides and is skipped.
    append(&store, "1", "keyed");
    ok(run(&[
        "append",
        p(&store),
        "--on-duplicate",
        "skip",
        "auto",
    ]));
    assert_eq!(get(&store, "1"), b"keyed");
    assert_eq!(info(&store)["records"]["live"], 1);
    let seq: u64 = serde_json::from_value(info(&store)["next_auto_key"].clone()).unwrap();
    assert_eq!(seq, 1, "the skipped record took no sequence number");
}

#[test]
fn append_jsonl_stores_each_line_trimmed_and_skips_blank_lines() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let input = "  {\"a\": 1}  \n\n[1,2]\r\n\t\"text\"\t\r\n   \n42\nnull";
    ok(run_with_stdin(&["append", p(&store), "--jsonl"], input));
    assert_eq!(ls(&store, &[]), ["0", "1", "2", "3", "4"]);
    assert_eq!(get(&store, "0"), br#"{"a": 1}"#);
    assert_eq!(get(&store, "1"), b"[1,2]");
    assert_eq!(get(&store, "2"), br#""text""#);
    assert_eq!(get(&store, "3"), b"42");
    assert_eq!(get(&store, "4"), b"null");
}

#[test]
fn append_jsonl_key_field_takes_string_and_integer_keys() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let input = "{\"id\":\"b7\",\"v\":1}\n{\"v\":2,\"id\":-12}\n{\"id\":18446744073709551615}\n";
    ok(run_with_stdin(
        &["append", p(&store), "--jsonl", "--key-field", "id"],
        input,
    ));
    assert_eq!(ls(&store, &[]), ["b7", "-12", "18446744073709551615"]);
    assert_eq!(get(&store, "-12"), br#"{"v":2,"id":-12}"#);
    assert_eq!(get(&store, "b7"), br#"{"id":"b7","v":1}"#);
}

#[test]
fn append_jsonl_key_field_takes_integers_beyond_64_bits_as_their_decimal_text() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let input = "{\"id\":100000000000000000000000000000}\n{\"id\":-0}\n{\"id\":\"a\\u00e9\"}\n";
    ok(run_with_stdin(
        &["append", p(&store), "--jsonl", "--key-field", "id"],
        input,
    ));
    assert_eq!(
        ls(&store, &[]),
        ["100000000000000000000000000000", "-0", "aé"]
    );
}

#[test]
fn append_jsonl_key_field_that_is_a_number_but_not_an_integer_exits_3() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    for bad in ["1.0", "1e3", "-0.5", "1E+2"] {
        let input = format!("{{\"id\":{bad}}}\n");
        let out = run_with_stdin(
            &["append", p(&store), "--jsonl", "--key-field", "id"],
            input,
        );
        let err = fails_as_bad_input_at(&out, 1);
        assert!(err.contains("string or an integer"), "{bad}: {err}");
    }
}

#[test]
fn append_jsonl_key_field_ignores_nested_fields_of_the_same_name() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let input = "{\"inner\":{\"id\":\"nested\"},\"id\":\"top\"}\n";
    ok(run_with_stdin(
        &["append", p(&store), "--jsonl", "--key-field", "id"],
        input,
    ));
    assert_eq!(ls(&store, &[]), ["top"]);
}

#[test]
fn append_jsonl_key_field_of_another_type_exits_3_naming_the_line() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    for bad in ["1.5", "true", "null", "[\"a\"]", "{\"x\":1}"] {
        let input = format!("{{\"id\":\"ok\"}}\n{{\"id\":{bad}}}\n");
        let out = run_with_stdin(
            &["append", p(&store), "--jsonl", "--key-field", "id"],
            input,
        );
        let err = fails_as_bad_input_at(&out, 2);
        assert!(err.contains("id"), "names the field: {err}");
    }
    assert_eq!(ls(&store, &[]), Vec::<String>::new());
}

#[test]
fn append_jsonl_key_field_on_a_line_that_is_not_an_object_exits_3() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let out = run_with_stdin(
        &["append", p(&store), "--jsonl", "--key-field", "id"],
        "[1,2]\n",
    );
    fails_as_bad_input_at(&out, 1);
}

#[test]
fn append_jsonl_input_reads_the_file_instead_of_stdin() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let file = scratch.file("in.jsonl", "{\"id\":\"from-file\"}\n");
    ok(run_with_stdin(
        &[
            "append",
            p(&store),
            "--jsonl",
            "--key-field",
            "id",
            "--input",
            p(&file),
        ],
        "{\"id\":\"from-stdin\"}\n",
    ));
    assert_eq!(ls(&store, &[]), ["from-file"]);
}

#[test]
fn append_jsonl_input_dash_reads_stdin() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    ok(run_with_stdin(
        &["append", p(&store), "--jsonl", "--input", "-"],
        "{\"x\":1}\n",
    ));
    assert_eq!(get(&store, "0"), br#"{"x":1}"#);
}

#[test]
fn append_jsonl_of_an_empty_input_adds_nothing_and_succeeds() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    ok(run_with_stdin(&["append", p(&store), "--jsonl"], "\n\n"));
    assert_eq!(ls(&store, &[]), Vec::<String>::new());
}

#[test]
fn append_jsonl_keeps_records_in_input_order() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let keys = ["zeta", "alpha", "mid", "Beta", "0"];
    let input: String = keys
        .iter()
        .map(|k| format!("{{\"id\":\"{k}\"}}\n"))
        .collect();
    append_jsonl(&store, &input);
    assert_eq!(ls(&store, &[]), keys);
}

#[test]
fn append_of_an_existing_key_exits_3_by_default_and_keeps_the_old_value() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "old");
    let before = snapshot(&store);
    let out = run(&["append", p(&store), "--key", "k", "new"]);
    let err = fails(&out, 3);
    assert!(err.contains("--on-duplicate"), "says what to do: {err}");
    assert_unchanged(&store, &before);
    assert_eq!(get(&store, "k"), b"old");
}

#[test]
fn append_on_duplicate_error_is_the_default() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "old");
    fails(
        &run(&[
            "append",
            p(&store),
            "--key",
            "k",
            "--on-duplicate",
            "error",
            "new",
        ]),
        3,
    );
    assert_eq!(get(&store, "k"), b"old");
}

#[test]
fn append_on_duplicate_replace_stores_the_new_value_and_marks_the_old_replaced() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "old");
    append(&store, "other", "o");
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "k",
        "--on-duplicate",
        "replace",
        "new",
    ]));
    assert_eq!(get(&store, "k"), b"new");
    assert_eq!(ls(&store, &[]), ["other", "k"]);
    let states: Vec<(String, String)> = ls_json(&store, &["--deleted"])
        .iter()
        .map(|row| {
            (
                row["key"].as_str().unwrap().to_string(),
                row["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("k".to_string(), "replaced".to_string()),
            ("other".to_string(), "live".to_string()),
            ("k".to_string(), "live".to_string()),
        ]
    );
    let info = info(&store);
    assert_eq!(info["records"]["live"], 2);
    assert_eq!(info["records"]["replaced"], 1);
}

#[test]
fn append_on_duplicate_skip_keeps_the_old_value() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "old");
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "k",
        "--on-duplicate",
        "skip",
        "new",
    ]));
    assert_eq!(get(&store, "k"), b"old");
    let info = info(&store);
    assert_eq!(info["records"]["live"], 1);
    assert_eq!(info["records"]["replaced"], 0);
}

#[test]
fn append_jsonl_duplicates_inside_one_input_follow_on_duplicate() {
    let input = "{\"id\":\"a\",\"v\":1}\n{\"id\":\"b\",\"v\":2}\n{\"id\":\"a\",\"v\":3}\n";
    let import = |mode: &str| {
        let scratch = Scratch::with_store();
        let store = scratch.store();
        let args = [
            "append",
            p(&store),
            "--jsonl",
            "--key-field",
            "id",
            "--on-duplicate",
            mode,
        ];
        (run_with_stdin(&args, input), scratch)
    };

    let (out, scratch) = import("error");
    fails_as_bad_input_at(&out, 3);
    assert_eq!(ls(&scratch.store(), &[]), Vec::<String>::new());

    let (out, scratch) = import("replace");
    ok(out);
    assert_eq!(ls(&scratch.store(), &[]), ["b", "a"]);
    assert_eq!(get(&scratch.store(), "a"), br#"{"id":"a","v":3}"#);

    let (out, scratch) = import("skip");
    ok(out);
    assert_eq!(ls(&scratch.store(), &[]), ["a", "b"]);
    assert_eq!(get(&scratch.store(), "a"), br#"{"id":"a","v":1}"#);
}

#[test]
fn append_to_a_missing_store_exits_4_with_a_hint_to_create_it() {
    let scratch = Scratch::new();
    let store = scratch.store();
    let err = fails(&run(&["append", p(&store), "--key", "k", "v"]), 4);
    assert!(err.contains("create"), "the hint says how: {err}");
    assert!(err.contains("--create"), "the hint names --create: {err}");
    assert!(!store.exists(), "a failed append must not create the store");
}

#[test]
fn append_create_makes_a_missing_store_first() {
    let scratch = Scratch::new();
    let store = scratch.store();
    ok(run(&["append", p(&store), "--create", "--key", "k", "v"]));
    assert_eq!(get(&store, "k"), b"v");
}

#[test]
fn append_create_on_an_existing_store_appends_to_it() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "a", "1");
    ok(run(&["append", p(&store), "--create", "--key", "b", "2"]));
    assert_eq!(ls(&store, &[]), ["a", "b"]);
}

#[test]
fn append_jsonl_create_makes_a_missing_store_first() {
    let scratch = Scratch::new();
    let store = scratch.store();
    ok(run_with_stdin(
        &["append", p(&store), "--jsonl", "--create"],
        "{\"x\":1}\n",
    ));
    assert_eq!(get(&store, "0"), br#"{"x":1}"#);
}

#[test]
fn append_file_that_does_not_exist_exits_6_and_adds_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let before = snapshot(&store);
    let missing = scratch.path("no-such-file");
    let err = fails(
        &run(&["append", p(&store), "--key", "k", "--file", p(&missing)]),
        6,
    );
    assert!(err.contains("no-such-file"), "names the file: {err}");
    assert_unchanged(&store, &before);
}

#[test]
fn append_value_and_file_together_is_a_usage_error() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let file = scratch.file("f", "x");
    let out = run(&["append", p(&store), "--key", "k", "--file", p(&file), "v"]);
    assert_exit(&out, 2);
}

#[test]
fn append_key_field_without_jsonl_is_a_usage_error() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    assert_exit(&run(&["append", p(&store), "--key-field", "id", "v"]), 2);
    assert_exit(&run(&["append", p(&store), "--input", "x.jsonl", "v"]), 2);
}

#[test]
fn append_on_duplicate_with_an_unknown_mode_is_a_usage_error() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let out = run(&["append", p(&store), "--on-duplicate", "merge", "v"]);
    assert_exit(&out, 2);
    assert!(fs::read_dir(&store).is_ok());
    assert_eq!(ls(&store, &[]), Vec::<String>::new());
}

#[test]
fn append_prints_a_summary_on_stderr_and_nothing_on_stdout() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let out = run(&["append", p(&store), "--key", "k", "v"]);
    assert_exit(&out, 0);
    assert!(
        out.stdout.is_empty(),
        "stdout is for data: {:?}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains('k'),
        "summary names the key: {}",
        stderr(&out)
    );
}
