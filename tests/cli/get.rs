//! `mmstore get`: one key writes the value's exact bytes; several keys, `--index`,
//! `--keys-from` and `--json` write JSON Lines envelopes in request order; a key or index
//! that is not in the store exits 1.

use serde_json::json;

use crate::common::*;

/// A store with a JSON value, a text value and a binary value.
fn sample() -> Scratch {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "j", r#"{"n": [1, 2.5, "x"]}"#);
    append(&store, "t", "plain text\n");
    append(&store, "b", [0u8, 159, 146, 150, 255, b'\n']);
    scratch
}

#[test]
fn get_of_one_key_writes_the_value_bytes_exactly_and_nothing_else() {
    let scratch = sample();
    let store = scratch.store();
    assert_eq!(get(&store, "j"), br#"{"n": [1, 2.5, "x"]}"#);
    assert_eq!(get(&store, "t"), b"plain text\n");
    assert_eq!(get(&store, "b"), [0u8, 159, 146, 150, 255, b'\n']);
}

#[test]
fn get_of_an_empty_value_writes_nothing_and_succeeds() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "empty", "");
    let out = run(&["get", p(&store), "empty"]);
    assert_exit(&out, 0);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.is_empty());
}

#[test]
fn get_of_several_keys_writes_envelopes_in_request_order() {
    let scratch = sample();
    let store = scratch.store();
    let out = ok(run(&["get", p(&store), "t", "j", "b"]));
    let expected = concat!(
        r#"{"key":"t","value_base64":"cGxhaW4gdGV4dAo="}"#,
        "\n",
        r#"{"key":"j","value":{"n": [1, 2.5, "x"]}}"#,
        "\n",
        r#"{"key":"b","value_base64":"AJ+Slv8K"}"#,
        "\n",
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn get_json_forces_an_envelope_for_one_key() {
    let scratch = sample();
    let store = scratch.store();
    let out = ok(run(&["get", p(&store), "j", "--json"]));
    assert_eq!(out, b"{\"key\":\"j\",\"value\":{\"n\": [1, 2.5, \"x\"]}}\n");
}

#[test]
fn get_embeds_only_strict_single_line_json_without_surrounding_whitespace() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let verbatim = [
        r#""str""#,
        "0",
        "-1.5e3",
        "true",
        "null",
        "[]",
        r#"{"a":{"b":[]}}"#,
    ];
    let base64 = [
        " 1",
        "1 ",
        "[1,\n2]",
        "{\"a\":1}\n",
        "NaN",
        "01",
        "{'a':1}",
        "[1,]",
        "1 2",
        "",
        "\"unterminated",
    ];
    for (i, value) in verbatim.iter().chain(base64.iter()).enumerate() {
        append(&store, &format!("k{i}"), value);
    }
    let keys: Vec<String> = (0..verbatim.len() + base64.len())
        .map(|i| format!("k{i}"))
        .collect();
    let mut args = vec!["get", p(&store)];
    args.extend(keys.iter().map(String::as_str));
    let out = ok(run(&args));
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (i, value) in verbatim.iter().enumerate() {
        assert_eq!(lines[i], format!("{{\"key\":\"k{i}\",\"value\":{value}}}"));
    }
    for (j, value) in base64.iter().enumerate() {
        let i = verbatim.len() + j;
        let envelope: serde_json::Value = serde_json::from_str(lines[i]).unwrap();
        assert_eq!(envelope["key"], format!("k{i}"));
        assert!(envelope.get("value").is_none(), "{value:?} is not embedded");
        let b64 = envelope["value_base64"].as_str().unwrap();
        assert_eq!(decode_base64(b64), value.as_bytes(), "{value:?}");
    }
}

/// Standard base64 with padding, decoded by hand so the tests do not share the code under test.
pub fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64 digit") as u32;
        bits = bits << 6 | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

#[test]
fn get_index_returns_the_nth_live_record_as_an_envelope() {
    let scratch = sample();
    let store = scratch.store();
    let out = ok(run(&["get", p(&store), "--index", "1"]));
    assert_eq!(
        json_lines(&out),
        [json!({"key": "t", "value_base64": "cGxhaW4gdGV4dAo="})]
    );
}

#[test]
fn get_index_negative_counts_from_the_end() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 5);
    let key_at = |n: &str| -> String {
        let out = ok(run(&["get", p(&store), "--index", n]));
        json_lines(&out)[0]["key"].as_str().unwrap().to_string()
    };
    assert_eq!(key_at("-1"), "k4");
    assert_eq!(key_at("-5"), "k0");
    assert_eq!(key_at("0"), "k0");
    assert_eq!(key_at("4"), "k4");
    // The `=` form too.
    let out = ok(run(&["get", p(&store), "--index=-2"]));
    assert_eq!(json_lines(&out)[0]["key"], "k3");
}

#[test]
fn get_index_skips_deleted_and_replaced_records() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 5);
    ok(run(&["rm", p(&store), "k1"]));
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "k0",
        "--on-duplicate",
        "replace",
        "new",
    ]));
    // Live, in append order: k2 k3 k4 k0.
    let keys: Vec<String> = json_lines(&ok(run(&[
        "get",
        p(&store),
        "--index",
        "0",
        "--index",
        "1",
        "--index",
        "-1",
    ])))
    .iter()
    .map(|e| e["key"].as_str().unwrap().to_string())
    .collect();
    assert_eq!(keys, ["k2", "k3", "k0"]);
}

#[test]
fn get_index_out_of_range_exits_1() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    for n in ["3", "-4", "100"] {
        let out = run(&["get", p(&store), "--index", n]);
        let err = fails(&out, 1);
        assert!(err.contains(n), "names the index: {err}");
        assert!(out.stdout.is_empty());
    }
    fails(
        &run(&["get", p(&scratch.store()), "--index", "0", "--index", "9"]),
        1,
    );
}

#[test]
fn get_index_of_an_empty_store_exits_1() {
    let scratch = Scratch::with_store();
    fails(&run(&["get", p(&scratch.store()), "--index", "0"]), 1);
    fails(&run(&["get", p(&scratch.store()), "--index", "-1"]), 1);
}

#[test]
fn get_keys_from_writes_envelopes_in_file_order() {
    let scratch = sample();
    let store = scratch.store();
    // CRLF and blank lines are accepted.
    let keys = scratch.file("keys.txt", "b\r\n\nj\nt\n");
    let out = ok(run(&["get", p(&store), "--keys-from", p(&keys)]));
    let keys: Vec<_> = json_lines(&out).iter().map(|e| e["key"].clone()).collect();
    assert_eq!(keys, [json!("b"), json!("j"), json!("t")]);
}

#[test]
fn get_keys_from_dash_reads_stdin() {
    let scratch = sample();
    let store = scratch.store();
    let out = ok(run_with_stdin(
        &["get", p(&store), "--keys-from", "-"],
        "t\nj\n",
    ));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["key"], "t");
    assert_eq!(lines[1], json!({"key": "j", "value": {"n": [1, 2.5, "x"]}}));
}

#[test]
fn get_keys_from_with_a_missing_key_exits_1_after_writing_the_others() {
    let scratch = sample();
    let store = scratch.store();
    let keys = scratch.file("keys.txt", "j\nnope\nt\n");
    let out = run(&["get", p(&store), "--keys-from", p(&keys)]);
    let err = fails(&out, 1);
    assert!(err.contains("nope"), "names the missing key: {err}");
    let found: Vec<_> = json_lines(&out.stdout)
        .iter()
        .map(|e| e["key"].clone())
        .collect();
    assert_eq!(found, [json!("j"), json!("t")]);
}

#[test]
fn get_of_a_missing_key_exits_1_naming_it() {
    let scratch = sample();
    let store = scratch.store();
    let out = run(&["get", p(&store), "nope"]);
    let err = fails(&out, 1);
    assert!(err.contains("nope"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn get_of_several_keys_with_one_missing_exits_1() {
    let scratch = sample();
    let store = scratch.store();
    let out = run(&["get", p(&store), "j", "nope"]);
    let err = fails(&out, 1);
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn get_of_a_deleted_key_exits_1() {
    let scratch = sample();
    let store = scratch.store();
    ok(run(&["rm", p(&store), "t"]));
    assert_eq!(get_code(&store, "t"), 1);
    fails(&run(&["get", p(&store), "t", "--json"]), 1);
}

#[test]
fn get_of_a_key_that_is_a_prefix_of_a_stored_key_exits_1() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "abc", "1");
    assert_eq!(get_code(&store, "ab"), 1);
    assert_eq!(get_code(&store, "abcd"), 1);
    assert_eq!(get_code(&store, "ABC"), 1);
}

#[test]
fn get_sees_a_replaced_key_s_new_value() {
    let scratch = sample();
    let store = scratch.store();
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "t",
        "--on-duplicate",
        "replace",
        "v2",
    ]));
    assert_eq!(get(&store, "t"), b"v2");
}

#[test]
fn get_without_a_key_index_or_keys_from_is_refused() {
    let scratch = sample();
    let out = run(&["get", p(&scratch.store())]);
    assert_exit(&out, 2);
}

#[test]
fn get_of_unicode_keys_finds_them() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    for key in ["日本語", "Ünïcödé", "emoji 🦀", "tab\there", " spaced "] {
        append(&store, key, key);
    }
    for key in ["日本語", "Ünïcödé", "emoji 🦀", "tab\there", " spaced "] {
        assert_eq!(get(&store, key), key.as_bytes());
    }
    let out = ok(run(&["get", p(&store), "emoji 🦀", "tab\there"]));
    assert_eq!(
        json_lines(&out)[1],
        json!({"key": "tab\there", "value_base64": "dGFiCWhlcmU="})
    );
}

#[test]
fn negative_number_keys_and_values_need_no_double_dash() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    ok(run(&["append", p(&store), "--key", "-12", "-3.5"]));
    assert_eq!(get(&store, "-12"), b"-3.5");
    let out = ok(run(&["get", p(&store), "-12", "--json"]));
    assert_eq!(json_lines(&out), [json!({"key": "-12", "value": -3.5})]);
    ok(run(&["locate", p(&store), "-12"]));
    ok(run(&["rm", p(&store), "-12"]));
    assert_eq!(get_code(&store, "-12"), 1);
}

#[test]
fn keys_that_look_like_flags_are_reached_after_a_double_dash() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    ok(run(&["append", p(&store), "--key=--json", "v"]));
    assert_eq!(ok(run(&["get", p(&store), "--", "--json"])), b"v");
    ok(run(&["rm", p(&store), "--", "--json"]));
    assert_eq!(ls(&store, &[]), Vec::<String>::new());
}
