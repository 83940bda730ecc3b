//! `mmstore info` and `mmstore physical-size`: counts, bytes and file sizes, for people and
//! (with `--json`) for scripts.

use std::fs;
use std::os::unix::fs::MetadataExt;

use crate::common::*;

/// Apparent sizes of every file of the store, the lock included, from the file system.
fn file_sizes(store: &std::path::Path) -> Vec<(String, u64)> {
    let mut sizes: Vec<(String, u64)> = fs::read_dir(store)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    sizes.sort();
    sizes
}

#[test]
fn info_json_has_every_promised_field() {
    let scratch = Scratch::with_store();
    let info = info(&scratch.store());
    for field in [
        "format_version",
        "generation",
        "records",
        "live_bytes",
        "dead_bytes",
        "reclaimable_bytes",
        "vacuum_recommended",
        "files",
    ] {
        assert!(
            info.get(field).is_some(),
            "info --json lacks {field}: {info}"
        );
    }
    for field in ["live", "deleted", "replaced"] {
        assert!(info["records"][field].is_u64(), "records.{field}: {info}");
    }
    assert_eq!(info["format_version"], 1);
    assert_eq!(info["generation"], 0);
    assert_eq!(info["vacuum_recommended"], false);
    assert_eq!(info["live_bytes"], 0);
    assert_eq!(info["dead_bytes"], 0);
}

#[test]
fn info_json_counts_live_deleted_and_replaced_records_and_their_bytes() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "a", "1234"); // 5 bytes of key and value
    append(&store, "bb", "12"); // 4
    append(&store, "ccc", ""); // 3
    ok(run(&["rm", p(&store), "bb"]));
    ok(run(&[
        "append",
        p(&store),
        "--key",
        "a",
        "--on-duplicate",
        "replace",
        "123456",
    ])); // 7 live, 5 dead
    let info = info(&store);
    assert_eq!(info["records"]["live"], 2);
    assert_eq!(info["records"]["deleted"], 1);
    assert_eq!(info["records"]["replaced"], 1);
    assert_eq!(info["live_bytes"], 3 + 7);
    assert_eq!(info["dead_bytes"], 4 + 5);
}

#[test]
fn info_json_files_match_the_files_on_disk() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 20);
    let info = info(&store);
    let files = info["files"].as_object().unwrap();
    let on_disk = file_sizes(&store);
    assert_eq!(
        files.keys().cloned().collect::<Vec<_>>(),
        on_disk.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()
    );
    for (name, bytes) in &on_disk {
        let reported = &files[name];
        // Either the size itself or an object holding it.
        let reported = reported.get("bytes").unwrap_or(reported);
        assert_eq!(reported.as_u64(), Some(*bytes), "{name}");
    }
}

#[test]
fn info_recommends_a_vacuum_when_most_bytes_are_dead() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 10);
    assert_eq!(info(&store)["vacuum_recommended"], false);
    assert_eq!(info(&store)["reclaimable_bytes"], 0);
    ok(run(&[
        "rm",
        p(&store),
        "--index",
        "0",
        "--index",
        "1",
        "--index",
        "2",
        "--index",
        "3",
        "--index",
        "4",
        "--index",
        "5",
        "--index",
        "6",
        "--index",
        "7",
    ]));
    let info = info(&store);
    assert_eq!(info["vacuum_recommended"], true);
    assert!(info["reclaimable_bytes"].as_u64().unwrap() > 0, "{info}");
}

#[test]
fn info_human_output_names_the_version_and_the_record_counts() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 3);
    ok(run(&["rm", p(&store), "k0"]));
    let text = String::from_utf8(ok(run(&["info", p(&store)]))).unwrap();
    assert!(text.contains("format version"), "{text}");
    assert!(text.contains("2 live, 1 deleted, 0 replaced"), "{text}");
    assert!(text.contains("body.0"), "lists the files: {text}");
}

#[test]
fn info_on_a_missing_store_exits_4() {
    let scratch = Scratch::new();
    fails(&run(&["info", p(&scratch.store())]), 4);
}

#[test]
fn physical_size_bytes_is_the_sum_of_the_apparent_file_sizes() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 100);
    let total: u64 = file_sizes(&store).iter().map(|(_, b)| b).sum();
    let out = ok(run(&["physical-size", p(&store), "--bytes"]));
    assert_eq!(String::from_utf8(out).unwrap(), format!("{total}\n"));
}

#[test]
fn physical_size_json_gives_every_file_the_total_and_the_allocated_bytes() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 100);
    let sizes = json(&ok(run(&["physical-size", p(&store), "--json"])));
    let files = sizes["files"].as_object().unwrap();
    let on_disk = file_sizes(&store);
    assert_eq!(files.len(), on_disk.len());
    for (name, bytes) in &on_disk {
        assert_eq!(files[name], *bytes, "{name}");
    }
    let total: u64 = on_disk.iter().map(|(_, b)| b).sum();
    assert_eq!(sizes["total"], total);
    let allocated: u64 = fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().blocks() * 512)
        .sum();
    assert_eq!(sizes["allocated"], allocated);
}

#[test]
fn physical_size_without_flags_is_human_readable() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let text = String::from_utf8(ok(run(&["physical-size", p(&store)]))).unwrap();
    let line = text.trim_end();
    let (number, unit) = line.split_once(' ').expect("a number and a unit");
    assert!(number.parse::<f64>().is_ok(), "{line:?}");
    assert!(["B", "KiB", "MiB", "GiB"].contains(&unit), "{line:?}");
}

#[test]
fn physical_size_grows_with_the_records() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let size = |store: &std::path::Path| -> u64 {
        let out = ok(run(&["physical-size", p(store), "--bytes"]));
        String::from_utf8(out).unwrap().trim().parse().unwrap()
    };
    let empty = size(&store);
    append(&store, "k", vec![7u8; 10_000]);
    assert!(size(&store) >= empty + 10_000);
}

#[test]
fn physical_size_of_a_directory_that_is_not_a_store_exits_4() {
    let scratch = Scratch::new();
    let dir = scratch.path("plain");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("file"), "x").unwrap();
    fails(&run(&["physical-size", p(&dir), "--bytes"]), 4);
}

#[test]
fn physical_size_bytes_and_json_together_are_a_usage_error() {
    let scratch = Scratch::with_store();
    assert_exit(
        &run(&["physical-size", p(&scratch.store()), "--bytes", "--json"]),
        2,
    );
}
