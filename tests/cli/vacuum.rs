//! `vacuum` and `check` through the binary: what vacuum keeps, what it reports, what check
//! finds and what `--repair` fixes.

use crate::common::*;

/// A store with live, deleted and replaced records and binary values.
fn churned(scratch: &Scratch) -> std::path::PathBuf {
    let store = scratch.store();
    create(&store);
    fill(&store, 50);
    append(&store, "bin", [0u8, 255, 10, 13, 1]);
    ok(run(&["rm", p(&store), "k3", "k10", "k49"]));
    ok(run_with_stdin(
        &[
            "append",
            p(&store),
            "--key",
            "k5",
            "--on-duplicate",
            "replace",
        ],
        "new five",
    ));
    store
}

fn export(store: &std::path::Path) -> Vec<u8> {
    ok(run(&["export-json", p(store)]))
}

#[test]
fn vacuum_keeps_exactly_the_live_records_in_order_byte_for_byte() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    let before = export(&store);
    let keys_before = ls(&store, &[]);
    ok(run(&["vacuum", p(&store)]));
    assert_eq!(export(&store), before);
    assert_eq!(ls(&store, &[]), keys_before);
    assert_eq!(get(&store, "bin"), [0u8, 255, 10, 13, 1]);
    assert_eq!(get(&store, "k5"), b"new five");
    assert_eq!(get_code(&store, "k3"), 1);
    let deleted = ls(&store, &["--deleted"]);
    assert_eq!(
        deleted, keys_before,
        "no dead records are left after a vacuum"
    );
    ok(run(&["check", p(&store)]));
}

#[test]
fn size_after_vacuum_equals_what_dry_run_predicted() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    let dry: serde_json::Value =
        serde_json::from_slice(&ok(run(&["vacuum", p(&store), "--dry-run", "--json"]))).unwrap();
    assert_eq!(dry["dry_run"], true);
    let untouched = export(&store);
    assert_eq!(
        ls_json(&store, &["--deleted"]).len(),
        52,
        "a dry run changes nothing"
    );
    let real: serde_json::Value =
        serde_json::from_slice(&ok(run(&["vacuum", p(&store), "--json"]))).unwrap();
    assert_eq!(real["before"], dry["before"]);
    assert_eq!(real["after"], dry["after"]);
    assert_eq!(real["reclaimed"], dry["reclaimed"]);
    assert!(real["reclaimed"].as_u64().unwrap() > 0);
    let size: u64 = String::from_utf8(ok(run(&["physical-size", p(&store), "--bytes"])))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(size, real["after"].as_u64().unwrap());
    assert_eq!(export(&store), untouched);
}

#[test]
fn a_second_vacuum_reclaims_nothing() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    ok(run(&["vacuum", p(&store)]));
    let again: serde_json::Value =
        serde_json::from_slice(&ok(run(&["vacuum", p(&store), "--json"]))).unwrap();
    assert_eq!(again["reclaimed"], 0);
    assert_eq!(again["before"], again["after"]);
}

#[test]
fn vacuum_prints_before_after_and_reclaimed_bytes() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    let out = String::from_utf8(ok(run(&["vacuum", p(&store)]))).unwrap();
    assert!(
        out.contains(" -> ") && out.contains("bytes") && out.contains("reclaimed"),
        "{out}"
    );
}

#[test]
fn vacuum_starts_a_new_generation_and_removes_the_old_files() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    ok(run(&["vacuum", p(&store)]));
    let info: serde_json::Value =
        serde_json::from_slice(&ok(run(&["info", p(&store), "--json"]))).unwrap();
    assert_eq!(info["generation"], 1);
    assert_eq!(info["records"]["deleted"], 0);
    assert_eq!(info["records"]["replaced"], 0);
    assert_eq!(info["dead_bytes"], 0);
    assert!(info["last_vacuum"].as_u64().is_some());
    let names: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"body.1".to_string()), "{names:?}");
    assert!(
        !names.iter().any(|n| n == "body.0" || n == "lookup.0"),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn vacuum_of_a_missing_store_exits_4() {
    let scratch = Scratch::new();
    fails(&run(&["vacuum", p(&scratch.store())]), 4);
}

#[test]
fn info_recommends_a_vacuum_past_the_threshold() {
    let scratch = Scratch::new();
    let store = scratch.store();
    create(&store);
    fill(&store, 10);
    let info = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["info", p(&store), "--json"];
        all.extend_from_slice(args);
        serde_json::from_slice(&ok(run(&all))).unwrap()
    };
    assert_eq!(info(&[])["vacuum_recommended"], false);
    ok(run(&["rm", p(&store), "k0", "k1", "k2"]));
    assert_eq!(
        info(&[])["vacuum_recommended"],
        false,
        "30% dead is under 0.5"
    );
    assert_eq!(info(&["--threshold", "0.2"])["vacuum_recommended"], true);
    assert!(info(&[])["reclaimable_bytes"].as_u64().unwrap() > 0);
    assert_exit(&run(&["info", p(&store), "--threshold", "1.5"]), 2);
}

#[test]
fn check_of_a_clean_store_exits_0_with_json_ok() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    for args in [
        vec!["check", p(&store)],
        vec!["check", p(&store), "--quick"],
    ] {
        ok(run(&args));
    }
    let report: serde_json::Value =
        serde_json::from_slice(&ok(run(&["check", p(&store), "--json"]))).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["problems"].as_array().unwrap().len(), 0);
}

/// Flips one byte of the value of `key` in the body.
fn flip_value_byte(store: &std::path::Path, key: &str) {
    let located: serde_json::Value =
        serde_json::from_slice(&ok(run(&["locate", p(store), key, "--json"]))).unwrap();
    let file = located["file"].as_str().unwrap();
    let offset = located["offset"].as_u64().unwrap() as usize;
    let mut bytes = std::fs::read(file).unwrap();
    bytes[offset] ^= 0x20;
    std::fs::write(file, bytes).unwrap();
}

#[test]
fn check_reports_a_flipped_byte_with_file_offset_and_key_and_exits_4() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    flip_value_byte(&store, "k7");
    let out = run(&["check", p(&store), "--json"]);
    assert_exit(&out, 4);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let problem = &report["problems"][0];
    assert_eq!(problem["key"], "k7");
    assert!(problem["file"].as_str().unwrap().starts_with("body."));
    assert!(problem["what"].as_str().unwrap().contains("checksum"));
    // --quick checks structure only: the flipped value byte passes it.
    ok(run(&["check", p(&store), "--quick"]));
    // A get of the damaged record is refused, never served.
    fails(&run(&["get", p(&store), "k7"]), 4);
}

#[test]
fn check_max_errors_stops_early_and_says_so() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    for key in ["k1", "k2", "k4", "k6"] {
        flip_value_byte(&store, key);
    }
    let out = run(&["check", p(&store), "--json", "--max-errors", "2"]);
    assert_exit(&out, 4);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["problems"].as_array().unwrap().len(), 2);
    assert_eq!(report["stopped_early"], true);
}

#[test]
fn repair_keeps_corrupt_records_unless_asked_and_drop_corrupt_leaves_a_clean_store() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    flip_value_byte(&store, "k7");
    let kept = run(&["check", p(&store), "--repair"]);
    assert_exit(&kept, 4);
    assert!(
        stderr(&kept).contains("--drop-corrupt"),
        "{}",
        stderr(&kept)
    );
    ok(run(&["check", p(&store), "--repair", "--drop-corrupt"]));
    ok(run(&["check", p(&store)]));
    assert_eq!(get_code(&store, "k7"), 1, "the damaged record is gone");
    assert_eq!(
        get(&store, "k8"),
        br#"{"id":"k8","n":8}"#,
        "every good record stays"
    );
    assert_eq!(
        get(&store, "k5"),
        b"new five",
        "a replaced record stays replaced"
    );
    assert_eq!(get_code(&store, "k3"), 1, "a deleted record stays deleted");
    assert_eq!(ls(&store, &[]).len(), 47);
}

#[test]
fn repair_rebuilds_a_damaged_index() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    let index = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("index.")
        })
        .unwrap();
    std::fs::write(
        &index,
        vec![0u8; std::fs::metadata(&index).unwrap().len() as usize],
    )
    .unwrap();
    let out = run(&["check", p(&store)]);
    assert_exit(&out, 4);
    assert!(
        stdout(&out).contains("missing from the index"),
        "{}",
        stdout(&out)
    );
    let repaired = String::from_utf8(ok(run(&["check", p(&store), "--repair"]))).unwrap();
    assert!(repaired.contains("rebuilt the index"), "{repaired}");
    ok(run(&["check", p(&store)]));
    assert_eq!(get(&store, "k8"), br#"{"id":"k8","n":8}"#);
    assert_eq!(get_code(&store, "k3"), 1);
}

#[test]
fn check_catches_a_flipped_json_flag_and_export_never_embeds_a_non_json_value() {
    let scratch = Scratch::new();
    let store = scratch.store();
    create(&store);
    append(&store, "plain", "plain text");
    // Entry 0's flags are the high 16 bits of its second word: byte 14 of the entry.
    let lookup = store.join("lookup.0");
    let mut bytes = std::fs::read(&lookup).unwrap();
    bytes[14] ^= 0x02;
    std::fs::write(&lookup, bytes).unwrap();
    let out = run(&["check", p(&store)]);
    assert_exit(&out, 4);
    assert!(stdout(&out).contains("checksum"), "{}", stdout(&out));
    fails(&run(&["export-json", p(&store)]), 4);
    fails(&run(&["get", p(&store), "plain"]), 4);
}

#[test]
fn vacuum_of_a_store_with_a_damaged_record_exits_4_and_changes_nothing() {
    let scratch = Scratch::new();
    let store = churned(&scratch);
    flip_value_byte(&store, "k20");
    let before = store_files(&store);
    let out = run(&["vacuum", p(&store)]);
    fails(&out, 4);
    assert!(
        store_files(&store) == before,
        "vacuum changed the store's files"
    );
    assert!(!store.join("vacuum.tmp").exists());
}
