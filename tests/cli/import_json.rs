//! `mmstore import-json`: restores the output of `export-json` exactly, from JSON Lines or
//! the `--array` form; bad envelopes are bad input.

use crate::common::*;

/// A store holding values of every kind the envelope distinguishes.
fn varied() -> Scratch {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let values: [(&str, &[u8]); 9] = [
        ("obj", br#"{"a": [1, 2.50, "x\u00e9"], "b": {}}"#),
        ("num", b"1.0e+2"),
        ("str", br#""\ud83e\udd80 escaped""#),
        ("text", b"plain text"),
        ("crlf", b"{\"a\":\r\n1}"),
        ("spaced", b" [1] "),
        ("binary", &[0, 1, 2, 254, 255]),
        ("empty", b""),
        ("newline", b"\n"),
    ];
    for (key, value) in values {
        append(&store, key, value);
    }
    append(&store, "ключ 🦀", "null");
    scratch
}

#[test]
fn import_json_restores_an_export_byte_for_byte() {
    let source = varied();
    let exported = export(&source.store());
    let input = source.file("dump.jsonl", &exported);
    let copy = source.path("copy");
    ok(run(&["import-json", p(&copy), p(&input), "--create"]));
    assert_eq!(export(&copy), exported);
    for key in ls(&source.store(), &[]) {
        assert_eq!(get(&copy, &key), get(&source.store(), &key), "{key}");
    }
}

#[test]
fn import_json_reads_the_array_form() {
    let source = varied();
    let array = ok(run(&["export-json", p(&source.store()), "--array"]));
    let input = source.file("dump.json", &array);
    let copy = source.path("copy");
    ok(run(&["import-json", p(&copy), p(&input), "--create"]));
    assert_eq!(export(&copy), export(&source.store()));
}

#[test]
fn import_json_reads_stdin_with_dash() {
    let source = varied();
    let exported = export(&source.store());
    let copy = source.path("copy");
    ok(run_with_stdin(
        &["import-json", p(&copy), "-", "--create"],
        exported.clone(),
    ));
    assert_eq!(export(&copy), exported);
}

#[test]
fn import_json_of_an_empty_input_imports_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    ok(run_with_stdin(&["import-json", p(&store), "-"], ""));
    ok(run_with_stdin(&["import-json", p(&store), "-"], "[]"));
    ok(run_with_stdin(&["import-json", p(&store), "-"], "\n\n  \n"));
    assert_eq!(ls(&store, &[]), Vec::<String>::new());
}

#[test]
fn import_json_stores_the_exact_text_of_value() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let input = "{\"key\":\"k\",\"value\":{ \"a\" : 1.50 , \"b\":\"\\u0041\" }}\n";
    ok(run_with_stdin(&["import-json", p(&store), "-"], input));
    assert_eq!(get(&store, "k"), br#"{ "a" : 1.50 , "b":"\u0041" }"#);
}

#[test]
fn import_json_decodes_value_base64() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let input = "{\"key\":\"k\",\"value_base64\":\"AAEC/w==\"}\n";
    ok(run_with_stdin(&["import-json", p(&store), "-"], input));
    assert_eq!(get(&store, "k"), [0u8, 1, 2, 255]);
}

#[test]
fn import_json_accepts_fields_in_any_order_and_crlf_lines() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let input = "{\"value\":[1],\"key\":\"k\"}\r\n";
    ok(run_with_stdin(&["import-json", p(&store), "-"], input));
    assert_eq!(get(&store, "k"), b"[1]");
}

#[test]
fn import_json_duplicates_follow_on_duplicate() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "1");
    let input = "{\"key\":\"k\",\"value\":2}\n";
    fails_as_bad_input_at(&run_with_stdin(&["import-json", p(&store), "-"], input), 1);
    assert_eq!(get(&store, "k"), b"1");
    ok(run_with_stdin(
        &["import-json", p(&store), "-", "--on-duplicate", "skip"],
        input,
    ));
    assert_eq!(get(&store, "k"), b"1");
    ok(run_with_stdin(
        &["import-json", p(&store), "-", "--on-duplicate", "replace"],
        input,
    ));
    assert_eq!(get(&store, "k"), b"2");
}

#[test]
fn import_json_rejects_envelopes_that_are_not_envelopes() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let good = "{\"key\":\"ok\",\"value\":1}\n";
    for (bad, what) in [
        ("{\"key\":\"k\"}", "neither value nor value_base64"),
        (
            "{\"key\":\"k\",\"value\":1,\"value_base64\":\"AA==\"}",
            "both",
        ),
        ("{\"value\":1}", "no key"),
        ("{\"key\":7,\"value\":1}", "a key that is not a string"),
        ("{\"key\":\"k\",\"value_base64\":\"!!!\"}", "bad base64"),
        (
            "{\"key\":\"k\",\"value\":1,\"extra\":2}",
            "an unknown field",
        ),
        ("{\"key\":\"k\",\"value\":}", "malformed JSON"),
        ("[1,2]", "not an object"),
        ("{\"key\":\"\",\"value\":1}", "an empty key"),
        ("{\"key\":\"a\\nb\",\"value\":1}", "a key with LF"),
    ] {
        let before = snapshot(&store);
        let input = format!("{good}{bad}\n");
        let out = run_with_stdin(&["import-json", p(&store), "-"], input);
        assert_eq!(code(&out), 3, "{what}: {}", stderr(&out));
        fails_as_bad_input_at(&out, 2);
        assert_unchanged(&store, &before);
    }
}

#[test]
fn import_json_array_with_a_bad_element_exits_3_naming_its_line_and_imports_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let before = snapshot(&store);
    let input = "[\n{\"key\":\"a\",\"value\":1},\n{\"key\":\"a\",\"value\":2}\n]\n";
    let err = fails_as_bad_input_at(&run_with_stdin(&["import-json", p(&store), "-"], input), 3);
    assert!(err.contains("duplicate"), "{err}");
    assert_unchanged(&store, &before);
}

#[test]
fn import_json_array_names_the_line_where_a_multi_line_bad_element_starts() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let input =
        "\n\n[ {\"key\":\"a\",\"value\":1} ,\n\n  {\n  \"key\": \"\",\n  \"value\": 2\n  }\n]";
    let err = fails_as_bad_input_at(&run_with_stdin(&["import-json", p(&store), "-"], input), 5);
    assert!(err.contains("empty"), "{err}");
    let malformed = "[\n{\"key\":\"a\",\"value\":1},\n{\"key\":\"b\",\"value\":}\n]";
    fails_as_bad_input_at(
        &run_with_stdin(&["import-json", p(&store), "-"], malformed),
        3,
    );
    assert_eq!(ls(&store, &[]), Vec::<String>::new());
}

#[test]
fn import_json_to_a_missing_store_exits_4_unless_create() {
    let scratch = Scratch::new();
    let store = scratch.store();
    let input = "{\"key\":\"k\",\"value\":1}\n";
    fails(&run_with_stdin(&["import-json", p(&store), "-"], input), 4);
    assert!(!store.exists());
    ok(run_with_stdin(
        &["import-json", p(&store), "-", "--create"],
        input,
    ));
    assert_eq!(get(&store, "k"), b"1");
}

#[test]
fn import_json_restores_a_value_of_null() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let lines = "{\"key\":\"n\",\"value\":null}\n";
    ok(run_with_stdin(&["import-json", p(&store), "-"], lines));
    assert_eq!(get(&store, "n"), b"null");
    ok(run_with_stdin(
        &["import-json", p(&store), "-", "--on-duplicate", "replace"],
        "[{\"key\":\"n\",\"value\":null},{\"value\":null,\"key\":\"m\"}]",
    ));
    assert_eq!(get(&store, "n"), b"null");
    assert_eq!(get(&store, "m"), b"null");
    assert_eq!(
        export(&store),
        b"{\"key\":\"n\",\"value\":null}\n{\"key\":\"m\",\"value\":null}\n"
    );
}

mod round_trip {
    //! The round trip of issue 3 through the real binary (the library's is in
    //! tests/store.rs with many more cases): append -> export-json -> import-json into a
    //! new store -> export-json gives identical output, and get returns the exact bytes.

    use proptest::prelude::*;
    use proptest::test_runner::Config;

    use crate::common::*;

    fn value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            "\\{\"[a-z]{0,4}\": ?\\[(-?[1-9][0-9]{0,3}(\\.[0-9]{1,2})?|true|null)\\]\\}"
                .prop_map(String::into_bytes),
            any::<String>().prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..32),
        ]
    }

    proptest! {
        #![proptest_config(Config { cases: 6, ..Config::default() })]

        #[test]
        fn append_export_import_export_through_the_binary_is_byte_identical(
            records in prop::collection::btree_map("[^\u{0}\r\n]{1,12}", value(), 1..6)
        ) {
            let scratch = Scratch::with_store();
            let store = scratch.store();
            for (key, value) in &records {
                let key_arg = format!("--key={key}");
                ok(run_with_stdin(&["append", p(&store), &key_arg], value.clone()));
            }
            let exported = export(&store);
            let copy = scratch.path("copy");
            ok(run_with_stdin(&["import-json", p(&copy), "-", "--create"], exported.clone()));
            prop_assert_eq!(export(&copy), exported);
            for (key, value) in &records {
                let got = ok(run(&["get", p(&copy), "--", key]));
                prop_assert_eq!(&got, value, "{:?}", key);
            }
        }
    }
}
