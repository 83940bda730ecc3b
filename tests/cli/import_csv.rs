//! `mmstore import-csv`: every row a compact JSON object, columns in file order. Each edge
//! case is checked against the exact bytes `get` returns, or against its error (exit 3,
//! the line and the column named, nothing stored).

use crate::common::*;

/// Imports `csv` (written to a file) into a new store with `args`; returns the scratch
/// directory and the command's output.
fn import(csv: impl AsRef<[u8]>, args: &[&str]) -> (Scratch, std::process::Output) {
    let scratch = Scratch::with_store();
    let input = scratch.file("input.csv", csv);
    let store = scratch.store();
    let mut all = vec!["import-csv", p(&store), p(&input)];
    all.extend_from_slice(args);
    let out = run(&all);
    (scratch, out)
}

/// Every live record as (key, exact value text), in append order.
fn records(scratch: &Scratch) -> Vec<(String, String)> {
    let store = scratch.store();
    ls(&store, &[])
        .into_iter()
        .map(|key| {
            let value = String::from_utf8(get(&store, &key)).expect("CSV records are UTF-8");
            (key, value)
        })
        .collect()
}

/// Imports and expects success with exactly these records.
#[track_caller]
fn assert_imports(csv: impl AsRef<[u8]>, args: &[&str], expected: &[(&str, &str)]) {
    let (scratch, out) = import(csv, args);
    ok(out);
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(records(&scratch), expected);
}

/// Imports and expects bad input at `line` naming `column` (when given), nothing stored.
#[track_caller]
fn assert_rejects(csv: impl AsRef<[u8]>, args: &[&str], line: u64, column: Option<&str>) -> String {
    let (scratch, out) = import(csv, args);
    let err = fails_as_bad_input_at(&out, line);
    if let Some(column) = column {
        assert!(
            err.contains(column),
            "the message names column {column}: {err}"
        );
    }
    assert_eq!(records(&scratch), Vec::<(String, String)>::new());
    err
}

#[test]
fn csv_rows_become_json_objects_of_strings_in_column_order() {
    assert_imports(
        "name,age,city\nAda,36,London\nLinus,28,Helsinki\n",
        &[],
        &[
            ("0", r#"{"name":"Ada","age":"36","city":"London"}"#),
            ("1", r#"{"name":"Linus","age":"28","city":"Helsinki"}"#),
        ],
    );
}

#[test]
fn csv_key_column_takes_the_key_and_stays_in_the_object() {
    assert_imports(
        "name,id\nAda,a1\nLinus,l2\n",
        &["--key-column", "id"],
        &[
            ("a1", r#"{"name":"Ada","id":"a1"}"#),
            ("l2", r#"{"name":"Linus","id":"l2"}"#),
        ],
    );
}

#[test]
fn csv_quoted_fields_keep_commas_quotes_and_newlines() {
    assert_imports(
        "id,text\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,\"\"\n",
        &["--key-column", "id"],
        &[
            ("1", r#"{"id":"1","text":"a, b"}"#),
            ("2", r#"{"id":"2","text":"say \"hi\""}"#),
            ("3", r#"{"id":"3","text":"two\nlines"}"#),
            ("4", r#"{"id":"4","text":""}"#),
        ],
    );
}

#[test]
fn csv_crlf_line_ends_are_not_part_of_the_values() {
    assert_imports(
        "id,v\r\n1,x\r\n2,\"a\r\nb\"\r\n",
        &["--key-column", "id"],
        &[
            ("1", r#"{"id":"1","v":"x"}"#),
            // Inside quotes the CR LF is data.
            ("2", r#"{"id":"2","v":"a\r\nb"}"#),
        ],
    );
}

#[test]
fn csv_utf8_bom_is_not_part_of_the_first_column_name() {
    assert_imports(
        "\u{feff}id,v\nk,1\n",
        &["--key-column", "id"],
        &[("k", r#"{"id":"k","v":"1"}"#)],
    );
}

#[test]
fn csv_empty_fields_are_empty_strings() {
    assert_imports(
        "a,b,c\n,,\n1,,3\n",
        &[],
        &[
            ("0", r#"{"a":"","b":"","c":""}"#),
            ("1", r#"{"a":"1","b":"","c":"3"}"#),
        ],
    );
}

#[test]
fn csv_values_are_escaped_as_json_strings() {
    assert_imports(
        "v\n\"back\\slash\ttab\"\nünï 日本 🦀\n\"\u{1}\"\n",
        &[],
        &[
            ("0", r#"{"v":"back\\slash\ttab"}"#),
            ("1", r#"{"v":"ünï 日本 🦀"}"#),
            ("2", r#"{"v":"\u0001"}"#),
        ],
    );
}

#[test]
fn csv_header_only_imports_nothing_and_succeeds() {
    assert_imports("id,name\n", &["--key-column", "id"], &[]);
    assert_imports("id,name", &[], &[]);
}

#[test]
fn csv_empty_file_imports_nothing_and_succeeds() {
    assert_imports("", &[], &[]);
}

#[test]
fn csv_last_row_without_a_line_end_is_imported() {
    assert_imports(
        "a\n1\n2",
        &[],
        &[("0", r#"{"a":"1"}"#), ("1", r#"{"a":"2"}"#)],
    );
}

#[test]
fn csv_tab_delimiter_splits_on_tabs_only() {
    let tsv = "id\tv\n1\ta,b\n2\t\"x\ty\"\n";
    let expected = [
        ("1", r#"{"id":"1","v":"a,b"}"#),
        ("2", r#"{"id":"2","v":"x\ty"}"#),
    ];
    assert_imports(
        tsv,
        &["--delimiter", "tab", "--key-column", "id"],
        &expected,
    );
    assert_imports(tsv, &["--delimiter", "\t", "--key-column", "id"], &expected);
}

#[test]
fn csv_other_delimiters_are_accepted() {
    assert_imports(
        "id;v\n1;a,b\n",
        &["--delimiter", ";", "--key-column", "id"],
        &[("1", r#"{"id":"1","v":"a,b"}"#)],
    );
}

#[test]
fn csv_delimiter_of_more_than_one_character_is_a_usage_error() {
    let (_scratch, out) = import("a\n1\n", &["--delimiter", "::"]);
    assert_exit(&out, 2);
}

#[test]
fn csv_no_header_names_columns_c0_c1_and_imports_the_first_row() {
    assert_imports(
        "1,2\n3,4\n",
        &["--no-header"],
        &[
            ("0", r#"{"c0":"1","c1":"2"}"#),
            ("1", r#"{"c0":"3","c1":"4"}"#),
        ],
    );
}

#[test]
fn csv_no_header_key_column_by_name_or_number() {
    let expected = [
        ("b", r#"{"c0":"1","c1":"b"}"#),
        ("d", r#"{"c0":"3","c1":"d"}"#),
    ];
    assert_imports(
        "1,b\n3,d\n",
        &["--no-header", "--key-column", "c1"],
        &expected,
    );
    assert_imports(
        "1,b\n3,d\n",
        &["--no-header", "--key-column", "1"],
        &expected,
    );
}

#[test]
fn csv_infer_types_makes_integers() {
    assert_imports(
        "a,b,c,d,e\n0,7,-12,123456789012345678901234567890,-0\n",
        &["--infer-types"],
        &[(
            "0",
            r#"{"a":0,"b":7,"c":-12,"d":123456789012345678901234567890,"e":-0}"#,
        )],
    );
}

#[test]
fn csv_infer_types_makes_floats_of_json_numbers() {
    assert_imports(
        "a,b,c,d,e\n1.5,-0.25,1e5,2E-3,0.0\n",
        &["--infer-types"],
        &[("0", r#"{"a":1.5,"b":-0.25,"c":1e5,"d":2E-3,"e":0.0}"#)],
    );
}

#[test]
fn csv_infer_types_makes_booleans_of_true_and_false_only() {
    assert_imports(
        "a,b,c,d\ntrue,false,True,FALSE\n",
        &["--infer-types"],
        &[("0", r#"{"a":true,"b":false,"c":"True","d":"FALSE"}"#)],
    );
}

#[test]
fn csv_infer_types_makes_null_of_empty_fields() {
    assert_imports(
        "a,b,c\n,\"\",x\n",
        &["--infer-types"],
        &[("0", r#"{"a":null,"b":null,"c":"x"}"#)],
    );
}

#[test]
fn csv_infer_types_keeps_everything_else_a_string() {
    assert_imports(
        "a,b,c,d,e,f,g,h,i,j,k,l\n007,NaN,inf,-inf,+1,1.,.5,0x10, 1,1e,null,-\n",
        &["--infer-types"],
        &[(
            "0",
            r#"{"a":"007","b":"NaN","c":"inf","d":"-inf","e":"+1","f":"1.","g":".5","h":"0x10","i":" 1","j":"1e","k":"null","l":"-"}"#,
        )],
    );
}

#[test]
fn csv_without_infer_types_keeps_every_field_a_string() {
    assert_imports(
        "a,b,c,d\n12,1.5,true,007\n",
        &[],
        &[("0", r#"{"a":"12","b":"1.5","c":"true","d":"007"}"#)],
    );
}

#[test]
fn csv_infer_types_with_a_key_column_keeps_the_key_as_text() {
    assert_imports(
        "id,n\n42,7\n",
        &["--infer-types", "--key-column", "id"],
        &[("42", r#"{"id":42,"n":7}"#)],
    );
}

#[test]
fn csv_ragged_row_with_too_few_fields_exits_3_naming_its_line() {
    assert_rejects("a,b\n1,2\n3\n4,5\n", &[], 3, None);
}

#[test]
fn csv_ragged_row_with_too_many_fields_exits_3_naming_its_line() {
    assert_rejects("a,b\n1,2\n3,4\n5,6,7\n", &[], 4, None);
}

#[test]
fn csv_ragged_row_after_a_multi_line_field_names_the_physical_line() {
    assert_rejects("a,b\n\"x\ny\nz\",2\n3,4,5\n", &[], 5, None);
}

#[test]
fn csv_ragged_row_that_spans_lines_names_the_line_where_it_starts() {
    assert_rejects("a,b\n1,2\n\"multi\nline\"\n", &[], 3, None);
}

#[test]
fn csv_ragged_row_in_a_crlf_file_names_its_physical_line() {
    assert_rejects("a,b\r\n1,2\r\n3\r\n", &[], 3, None);
    assert_rejects("a,b\r\n\"x\r\ny\",2\r\n5\r\n", &[], 4, None);
}

#[test]
fn csv_ragged_row_after_blank_lines_names_its_physical_line() {
    assert_rejects("a,b\n1,2\n\n3\n", &[], 4, None);
    assert_rejects(
        "\r\n\r\na,b\r\n\r\n1,2\r\n\r\n\r\n\"x\r\n\r\n\"\r\n",
        &[],
        8,
        None,
    );
    assert_rejects("\u{feff}\na,b\n1\n", &[], 3, None);
}

#[test]
fn csv_blank_lines_are_skipped() {
    assert_imports(
        "a,b\n\n1,2\r\n\r\n\n3,4\n\n",
        &[],
        &[("0", r#"{"a":"1","b":"2"}"#), ("1", r#"{"a":"3","b":"4"}"#)],
    );
}

#[test]
fn csv_ragged_row_under_no_header_is_checked_against_the_first_row() {
    assert_rejects("1,2\n3,4\n5\n", &["--no-header"], 3, None);
}

#[test]
fn csv_duplicate_header_names_exit_3_naming_the_column() {
    let err = assert_rejects("id,name,id\n1,a,2\n", &[], 1, Some("id"));
    assert!(err.contains("twice") || err.contains("duplicate"), "{err}");
}

#[test]
fn csv_invalid_utf8_field_exits_3_naming_line_and_column() {
    assert_rejects(b"id,name\n1,ok\n2,caf\xe9\n", &[], 3, Some("name"));
}

/// Rows of crabs (4-byte characters), past csv's 1 MiB reads, with one character cut by
/// the end of the first read: the rows come back whole.
#[test]
fn csv_characters_cut_by_the_end_of_a_read_import_exactly() {
    let rows = |header: &str| {
        let mut csv = format!("{header}\n");
        for i in 0..40_000 {
            csv.push_str(&format!("k{i:05},{}\n", "🦀".repeat(7)));
        }
        csv
    };
    // Lengthen the header until a crab straddles the 1 MiB mark.
    let csv = (0..4)
        .map(|pad| rows(&format!("id,t{}", "x".repeat(pad))))
        .find(|csv| !csv.is_char_boundary(1 << 20))
        .expect("one of four shifts cuts a character");
    let (scratch, out) = import(&csv, &["--key-column", "id"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = scratch.store();
    let exported = String::from_utf8(export(&store)).unwrap();
    assert_eq!(exported.lines().count(), 40_000);
    let cut_row = csv.as_bytes()[..1 << 20]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        - 1;
    for i in [0, cut_row - 1, cut_row, cut_row + 1, 39_999] {
        let key = format!("k{i:05}");
        let value = String::from_utf8(get(&store, &key)).unwrap();
        let header_t = csv.lines().next().unwrap().split(',').nth(1).unwrap();
        assert_eq!(
            value,
            format!(r#"{{"id":"{key}","{header_t}":"{}"}}"#, "🦀".repeat(7))
        );
    }
}

/// A byte that is not UTF-8 well past the first read is still found, on its line.
#[test]
fn csv_invalid_utf8_after_the_first_mebibyte_exits_3_naming_line_and_column() {
    let mut csv = b"id,name\n".to_vec();
    for i in 0..60_000 {
        csv.extend_from_slice(format!("k{i},{}\n", "é".repeat(10)).as_bytes());
    }
    csv.extend_from_slice(b"bad,caf\xe9\n");
    assert!(csv.len() > 1 << 20);
    assert_rejects(&csv, &["--key-column", "id"], 60_002, Some("name"));
}

#[test]
fn csv_invalid_utf8_header_exits_3_naming_line_1() {
    assert_rejects(b"id,n\xffme\n1,2\n", &[], 1, None);
}

#[test]
fn csv_invalid_utf8_key_exits_3_naming_line_and_key_column() {
    assert_rejects(
        b"id,v\nk1,1\nk\xc3\x28,2\n",
        &["--key-column", "id"],
        3,
        Some("id"),
    );
}

#[test]
fn csv_key_column_that_does_not_exist_exits_3_naming_it() {
    let err = assert_rejects("a,b\n1,2\n", &["--key-column", "id"], 1, Some("id"));
    assert!(err.contains("a, b"), "lists the columns there are: {err}");
}

#[test]
fn csv_empty_key_exits_3_naming_line_and_column() {
    assert_rejects("id,v\nk1,1\n,2\n", &["--key-column", "id"], 3, Some("id"));
}

#[test]
fn csv_key_with_a_line_break_exits_3_naming_the_line_where_the_row_starts() {
    assert_rejects(
        "id,v\nk1,1\n\"k\n2\",2\n",
        &["--key-column", "id"],
        3,
        Some("id"),
    );
    assert_rejects(
        "id,v\nk1,1\n\"k\r2\",2\n",
        &["--key-column", "id"],
        3,
        Some("id"),
    );
}

#[test]
fn csv_duplicate_key_exits_3_by_default_naming_the_second_line() {
    assert_rejects(
        "id,v\n1,\"a\nb\"\n2,x\n1,y\n",
        &["--key-column", "id"],
        5,
        None,
    );
}

#[test]
fn csv_duplicate_key_with_replace_keeps_the_last_row() {
    assert_imports(
        "id,v\n1,a\n2,b\n1,c\n",
        &["--key-column", "id", "--on-duplicate", "replace"],
        &[
            ("2", r#"{"id":"2","v":"b"}"#),
            ("1", r#"{"id":"1","v":"c"}"#),
        ],
    );
}

#[test]
fn csv_duplicate_key_with_skip_keeps_the_first_row() {
    assert_imports(
        "id,v\n1,a\n2,b\n1,c\n",
        &["--key-column", "id", "--on-duplicate", "skip"],
        &[
            ("1", r#"{"id":"1","v":"a"}"#),
            ("2", r#"{"id":"2","v":"b"}"#),
        ],
    );
}

#[test]
fn csv_from_stdin_with_dash() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    ok(run_with_stdin(
        &["import-csv", p(&store), "-", "--key-column", "id"],
        "id,v\nx,1\n",
    ));
    assert_eq!(get(&store, "x"), br#"{"id":"x","v":"1"}"#);
}

#[test]
fn csv_import_create_makes_a_missing_store() {
    let scratch = Scratch::new();
    let store = scratch.store();
    let input = scratch.file("in.csv", "a\n1\n");
    fails(&run(&["import-csv", p(&store), p(&input)]), 4);
    assert!(!store.exists());
    ok(run(&["import-csv", p(&store), p(&input), "--create"]));
    assert_eq!(get(&store, "0"), br#"{"a":"1"}"#);
}

#[test]
fn csv_import_appends_after_existing_records_with_continuing_auto_keys() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let input = scratch.file("in.csv", "a\n1\n2\n");
    ok(run(&["import-csv", p(&store), p(&input)]));
    ok(run(&["import-csv", p(&store), p(&input)]));
    assert_eq!(ls(&store, &[]), ["0", "1", "2", "3"]);
    assert_eq!(get(&store, "3"), br#"{"a":"2"}"#);
}

#[test]
fn csv_import_of_a_missing_input_file_exits_6_and_changes_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let before = snapshot(&store);
    let missing = scratch.path("missing.csv");
    let err = fails(&run(&["import-csv", p(&store), p(&missing)]), 6);
    assert!(err.contains("missing.csv"), "{err}");
    assert_unchanged(&store, &before);
}

#[test]
fn csv_import_many_rows_keeps_them_all_in_order() {
    let mut csv = String::from("id,n\n");
    for n in 0..3000 {
        csv.push_str(&format!("key{n},{n}\n"));
    }
    let (scratch, out) = import(csv, &["--key-column", "id", "--infer-types"]);
    ok(out);
    let keys = ls(&scratch.store(), &[]);
    assert_eq!(keys.len(), 3000);
    assert_eq!(keys[2999], "key2999");
    assert_eq!(
        get(&scratch.store(), "key1234"),
        br#"{"id":"key1234","n":1234}"#
    );
}
