//! Damaged stores (SPEC §1.6-1.7, §3 check): whatever the bytes of a store's files, every
//! command ends with exit 0, 1 or 4 and a message, never a panic (101) or a signal (SIGBUS,
//! SIGSEGV); `check` finds every damaged byte of a record, a truncated file, an entry pointing
//! past the body and a damaged header slot; `check --repair` fixes what it promises without
//! dropping a committed record that passes its checksum; an unknown magic or a newer format
//! version is refused.
//!
//! Every byte of a small store's files is flipped through the library in this process (fast,
//! and a panic is caught per flip); a seeded sample of flips and truncations goes through the
//! real binary and each of its commands.

mod harness;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::FileExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use harness::{Model, Outcome, Rng, assert_orderly, check, copy_dir, flip_byte, read_state, run};
use mmstore::store::check::CheckOptions;
use mmstore::{Error, Store, WriteOptions, Writer};

/// A small store: JSON, text and binary values, one replaced record and one deleted, so that
/// the table holds records, a replacement and a tombstone. Returns its model.
fn small_store(dir: &Path) -> Model {
    let mut model = Model::default();
    assert_eq!(
        run([OsStr::new("create"), dir.as_os_str()], None).code(),
        Some(0)
    );
    let values: [(&str, &[u8]); 8] = [
        ("alpha", b"{\"n\":1,\"s\":\"one\"}"),
        ("beta", b"plain text value"),
        ("gamma", b"\x00\x01\x02\xff binary\n"),
        ("delta/..", b"[1,2,3]"),
        ("epsilon", b"to be deleted"),
        ("zeta", b"old value of zeta"),
        ("\u{1F600} eta", b"unicode key"),
        ("theta", b"last"),
    ];
    for (key, value) in values {
        let file = dir.with_extension("value");
        fs::write(&file, value).unwrap();
        let out = run(
            [
                OsStr::new("append"),
                dir.as_os_str(),
                OsStr::new("--key"),
                OsStr::new(key),
                OsStr::new("--file"),
                file.as_os_str(),
            ],
            None,
        );
        assert_eq!(out.code(), Some(0), "{}", out.describe());
        model.put(key, value, harness::Dup::Error).unwrap();
    }
    let replaced = run(
        [
            OsStr::new("append"),
            dir.as_os_str(),
            OsStr::new("--key"),
            OsStr::new("zeta"),
            OsStr::new("--on-duplicate"),
            OsStr::new("replace"),
            OsStr::new("new value of zeta"),
        ],
        None,
    );
    assert_eq!(replaced.code(), Some(0));
    model
        .put("zeta", b"new value of zeta", harness::Dup::Replace)
        .unwrap();
    let removed = run(
        [OsStr::new("rm"), dir.as_os_str(), OsStr::new("epsilon")],
        None,
    );
    assert_eq!(removed.code(), Some(0));
    model.delete("epsilon");
    assert_eq!(read_state(dir, true).unwrap(), model);
    model
}

/// The files of a store, by role.
struct Files {
    header: PathBuf,
    lookup: PathBuf,
    body: PathBuf,
    index: PathBuf,
}

fn files(dir: &Path) -> Files {
    let store = Store::open(dir).unwrap();
    Files {
        header: dir.join("header"),
        lookup: dir.join(store.lookup_file_name()),
        body: dir.join(store.body_file_name()),
        index: dir.join(store.index_file_name()),
    }
}

/// Whether an error is one the binary reports with exit 1 or 4 (not found; store error).
fn is_orderly(e: &Error) -> bool {
    matches!(
        e,
        Error::Corrupt { .. }
            | Error::NotAStore { .. }
            | Error::UnsupportedVersion { .. }
            | Error::KeyNotFound { .. }
            | Error::IndexOutOfRange { .. }
    )
}

/// Runs every reading and writing operation of the library on the (damaged) store at `dir`:
/// `Err` with what went wrong if one panicked or failed with an error that is not a store
/// error. `keys` are looked up.
fn exercise_library(dir: &Path, keys: &[String]) -> Result<(), String> {
    let ok = |what: &str, r: mmstore::Result<()>| match r {
        Ok(()) => Ok(()),
        Err(e) if is_orderly(&e) => Ok(()),
        Err(e) => Err(format!("{what}: unexpected error {e:?}")),
    };
    let caught = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
        ok(
            "read",
            (|| {
                let store = Store::open(dir)?;
                let _ = store.stats();
                for key in keys {
                    let _ = store.get(key)?;
                    let _ = store.latest_entry(key)?;
                }
                for item in store.records(true) {
                    item?;
                }
                let _ = store.nth_live(0)?;
                let _ = store.nth_live(-1)?;
                let _ = store.locate(&keys[0])?;
                let mut out = Vec::new();
                mmstore::io::envelope::export(
                    &store,
                    &mut out,
                    &Default::default(),
                    &mut |_, _| {},
                )?;
                Ok(())
            })(),
        )?;
        ok(
            "check",
            mmstore::store::check::check(dir, CheckOptions::default(), &mut |_, _| {}).map(|_| ()),
        )?;
        // `wait`: another test thread may be spawning a child at this moment, and a child
        // holds a copy of our lock's descriptor until it execs.
        let options = WriteOptions {
            sync: false,
            wait: true,
            index_staging: None,
        };
        ok(
            "append",
            (|| {
                let mut writer = Writer::open(dir, options)?;
                writer.put(
                    "new key",
                    b"new value",
                    false,
                    mmstore::OnDuplicate::Replace,
                )?;
                writer.commit()?;
                Ok(())
            })(),
        )?;
        ok(
            "vacuum",
            mmstore::store::vacuum::vacuum(dir, options, false, &mut |_, _| {}).map(|_| ()),
        )?;
        Ok(())
    }));
    match caught {
        Ok(result) => result,
        Err(panic) => Err(format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}

/// Offsets of a file worth flipping: every byte, except the zero padding of the header and
/// the empty slots of the index, of which every 37th byte.
fn offsets(role: &str, bytes: &[u8]) -> Vec<u64> {
    (0..bytes.len())
        .filter(|&i| match role {
            "header" => i % 4096 < 256 || i % 37 == 0,
            "index" => bytes[i / 8 * 8..i / 8 * 8 + 8] != [0; 8] || i % 37 == 0,
            _ => true,
        })
        .map(|i| i as u64)
        .collect()
}

#[test]
fn every_single_byte_flip_of_every_file_fails_orderly_in_every_operation() {
    // Panics are caught per flip; keep their messages off the test output.
    std::panic::set_hook(Box::new(|_| {}));
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("pristine");
    let model = small_store(&pristine);
    let mut keys = model.keys();
    keys.push("epsilon".into());
    let roles = files(&pristine);
    let mut failures = Vec::new();
    let mut flips = 0;
    for (role, path) in [
        ("header", &roles.header),
        ("lookup", &roles.lookup),
        ("body", &roles.body),
        ("index", &roles.index),
    ] {
        let name = path.file_name().unwrap();
        let bytes = fs::read(path).unwrap();
        for offset in offsets(role, &bytes) {
            let copy = root.path().join(format!("{role}-{offset}"));
            copy_dir(&pristine, &copy);
            flip_byte(&copy.join(name), offset);
            flips += 1;
            if let Err(what) = exercise_library(&copy, &keys) {
                failures.push(format!("{role} byte {offset}: {what}"));
            }
            fs::remove_dir_all(&copy).unwrap();
        }
    }
    let _ = std::panic::take_hook();
    assert!(flips > 1000, "only {flips} flips");
    assert!(
        failures.is_empty(),
        "{} of {flips} flips failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The commands of the binary run on a damaged store, each of which must end orderly.
fn binary_commands(store: &Path) -> Vec<Vec<&OsStr>> {
    let s = store.as_os_str();
    let o = OsStr::new;
    vec![
        vec![o("get"), s, o("alpha")],
        vec![o("get"), s, o("alpha"), o("theta"), o("epsilon")],
        vec![o("get"), s, o("--index"), o("-1")],
        vec![o("ls"), s],
        vec![o("ls"), s, o("-l"), o("--deleted")],
        vec![o("export-json"), s],
        vec![o("info"), s],
        vec![o("info"), s, o("--json")],
        vec![o("check"), s],
        vec![o("locate"), s, o("beta")],
        vec![o("physical-size"), s],
        vec![o("append"), s, o("--key"), o("new"), o("value")],
        vec![o("vacuum"), s],
    ]
}

/// Runs every command on copies of `pristine` damaged by `damage`, asserting each ends with
/// exit 0, 1 or 4 and a message.
fn commands_end_orderly(pristine: &Path, work: &Path, label: &str, damage: &dyn Fn(&Path)) {
    let store = work.join("damaged");
    for command in binary_commands(&store) {
        let _ = fs::remove_dir_all(&store);
        copy_dir(pristine, &store);
        damage(&store);
        let outcome: Outcome = run(&command, None);
        assert_orderly(&outcome, &[0, 1, 4], &format!("{label}: {command:?}"));
    }
}

#[test]
fn every_command_of_the_binary_ends_orderly_on_a_sample_of_flipped_bytes() {
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("pristine");
    small_store(&pristine);
    let roles = files(&pristine);
    let mut rng = Rng::new(0xc0ff_ee00);
    for (role, path) in [
        ("header", &roles.header),
        ("lookup", &roles.lookup),
        ("body", &roles.body),
        ("index", &roles.index),
    ] {
        let name = path.file_name().unwrap().to_owned();
        let bytes = fs::read(path).unwrap();
        let candidates = offsets(role, &bytes);
        for _ in 0..6 {
            let offset = *rng.pick(&candidates);
            commands_end_orderly(
                &pristine,
                root.path(),
                &format!("{role} byte {offset} flipped"),
                &|store| flip_byte(&store.join(&name), offset),
            );
        }
    }
}

#[test]
fn every_command_of_the_binary_ends_orderly_on_every_truncated_file() {
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("pristine");
    small_store(&pristine);
    let roles = files(&pristine);
    for path in [&roles.header, &roles.lookup, &roles.body, &roles.index] {
        let name = path.file_name().unwrap().to_owned();
        let len = fs::metadata(path).unwrap().len();
        let mut lengths = vec![0, 1, len / 2, len.saturating_sub(1)];
        if name == "header" {
            lengths.extend([255, 256, 4096, 4096 + 128]);
        }
        if name.to_string_lossy().starts_with("lookup") {
            lengths.push(len - 12); // half an entry
        }
        for new_len in lengths {
            commands_end_orderly(
                &pristine,
                root.path(),
                &format!("{name:?} truncated to {new_len}"),
                &|store| {
                    fs::OpenOptions::new()
                        .write(true)
                        .open(store.join(&name))
                        .unwrap()
                        .set_len(new_len)
                        .unwrap()
                },
            );
        }
    }
}

#[test]
fn every_command_of_the_binary_ends_orderly_when_a_file_is_missing_a_directory_or_a_fifo() {
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("pristine");
    small_store(&pristine);
    let roles = files(&pristine);
    for path in [&roles.header, &roles.lookup, &roles.body, &roles.index] {
        let name = path.file_name().unwrap().to_owned();
        commands_end_orderly(&pristine, root.path(), &format!("{name:?} missing"), &|s| {
            fs::remove_file(s.join(&name)).unwrap()
        });
        commands_end_orderly(
            &pristine,
            root.path(),
            &format!("{name:?} a directory"),
            &|s| {
                fs::remove_file(s.join(&name)).unwrap();
                fs::create_dir(s.join(&name)).unwrap();
            },
        );
        // A FIFO would block a plain open forever.
        commands_end_orderly(&pristine, root.path(), &format!("{name:?} a FIFO"), &|s| {
            use std::os::unix::ffi::OsStrExt;
            fs::remove_file(s.join(&name)).unwrap();
            let path = std::ffi::CString::new(s.join(&name).as_os_str().as_bytes()).unwrap();
            // SAFETY: `path` is a valid NUL-terminated string.
            assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        });
    }
}

/// Where each byte of each live record lies in the body: (offset, key).
fn live_record_bytes(dir: &Path) -> Vec<(u64, String)> {
    let store = Store::open(dir).unwrap();
    let mut bytes = Vec::new();
    for item in store.records(true) {
        let (record, state) = item.unwrap();
        if state == mmstore::State::Live {
            let start = record.entry.offset();
            for at in start..record.entry.end() {
                bytes.push((at, record.key.to_string()));
            }
        }
    }
    bytes
}

#[test]
fn check_finds_every_single_byte_flip_in_a_live_record() {
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("pristine");
    small_store(&pristine);
    let body = files(&pristine).body;
    let name = body.file_name().unwrap().to_owned();
    let bytes = live_record_bytes(&pristine);
    assert!(bytes.len() > 100);
    let copy = root.path().join("flipped");
    for (i, (offset, key)) in bytes.iter().enumerate() {
        let _ = fs::remove_dir_all(&copy);
        copy_dir(&pristine, &copy);
        flip_byte(&copy.join(&name), *offset);
        let report =
            mmstore::store::check::check(&copy, CheckOptions::default(), &mut |_, _| {}).unwrap();
        assert!(
            !report.ok && report.problems.iter().any(|p| *p.file == *name),
            "a flip at body offset {offset} (record {key:?}) went unnoticed"
        );
        // Every 9th flip also through the binary: exit 4, and the problem named.
        if i % 9 == 0 {
            let checked = check(&copy);
            assert_eq!(checked.code(), Some(4), "{}", checked.describe());
            assert!(
                checked
                    .stdout_text()
                    .contains(&name.to_string_lossy().to_string())
            );
        }
    }
}

#[test]
fn check_finds_a_truncated_file_and_a_half_written_lookup_entry() {
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("pristine");
    small_store(&pristine);
    let roles = files(&pristine);
    for (path, cut) in [
        (&roles.body, 1),
        (&roles.lookup, 12),
        (&roles.lookup, 24),
        (&roles.index, 8),
        (&roles.header, 100),
    ] {
        let name = path.file_name().unwrap().to_owned();
        let copy = root.path().join("cut");
        let _ = fs::remove_dir_all(&copy);
        copy_dir(&pristine, &copy);
        let file = fs::OpenOptions::new()
            .write(true)
            .open(copy.join(&name))
            .unwrap();
        let len = file.metadata().unwrap().len();
        file.set_len(len - cut).unwrap();
        let checked = check(&copy);
        assert_eq!(
            checked.code(),
            Some(4),
            "{name:?} cut by {cut}: {}",
            checked.describe()
        );
        assert!(
            checked.stdout_text().contains(&*name.to_string_lossy()),
            "{name:?} cut by {cut}: the report does not name the file: {}",
            checked.stdout_text()
        );
    }
}

#[test]
fn a_truncated_body_is_reported_never_served_as_an_empty_value() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    small_store(&store);
    let body = files(&store).body;
    // Cut the body inside the value of the last record.
    let len = fs::metadata(&body).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&body)
        .unwrap()
        .set_len(len - 2)
        .unwrap();
    let s = store.as_os_str();
    for args in [
        vec![OsStr::new("get"), s, OsStr::new("theta")],
        vec![OsStr::new("get"), s, OsStr::new("alpha")],
        vec![OsStr::new("ls"), s],
        vec![OsStr::new("export-json"), s],
    ] {
        let outcome = run(&args, None);
        assert_eq!(outcome.code(), Some(4), "{args:?}: {}", outcome.describe());
        assert!(
            outcome.stdout.is_empty(),
            "{args:?} printed {:?}",
            outcome.stdout_text()
        );
        assert!(outcome.stderr.contains("truncated"), "{}", outcome.stderr);
    }
}

#[test]
fn a_half_written_lookup_entry_is_reported_never_served_as_an_empty_value() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    small_store(&store);
    let lookup = files(&store).lookup;
    let len = fs::metadata(&lookup).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&lookup)
        .unwrap()
        .set_len(len - 12)
        .unwrap();
    let s = store.as_os_str();
    for args in [
        vec![OsStr::new("get"), s, OsStr::new("theta")],
        vec![OsStr::new("ls"), s],
        vec![OsStr::new("export-json"), s],
        vec![OsStr::new("check"), s],
    ] {
        let outcome = run(&args, None);
        assert_eq!(outcome.code(), Some(4), "{args:?}: {}", outcome.describe());
    }
}

/// Rewrites the offset of lookup entry `i` of the store at `dir`.
fn set_entry_offset(dir: &Path, i: u64, offset: u64) {
    let lookup = files(dir).lookup;
    let file = fs::OpenOptions::new()
        .write(true)
        .read(true)
        .open(lookup)
        .unwrap();
    let mut field = [0u8; 8];
    file.read_exact_at(&mut field, i * 24).unwrap();
    let key_len = u64::from_le_bytes(field) >> 48;
    file.write_all_at(&(offset | key_len << 48).to_le_bytes(), i * 24)
        .unwrap();
}

#[test]
fn a_lookup_entry_pointing_past_the_body_is_reported() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    small_store(&store);
    let body_len = Store::open(&store).unwrap().stats().body_len;
    // Entry 7 is "theta", the last record appended before the replacement.
    set_entry_offset(&store, 7, body_len + 1000);
    let checked = check(&store);
    assert_eq!(checked.code(), Some(4), "{}", checked.describe());
    assert!(
        checked.stdout_text().contains("past the committed body"),
        "{}",
        checked.stdout_text()
    );
    let got = run(
        [OsStr::new("get"), store.as_os_str(), OsStr::new("theta")],
        None,
    );
    assert_eq!(got.code(), Some(4), "{}", got.describe());
    assert!(got.stdout.is_empty());
}

/// Header slot number `which` (0 or 1) and whether it is the one in force.
fn slot_offset(which: usize) -> u64 {
    [0, 4096][which]
}

fn current_slot(dir: &Path) -> usize {
    let header = fs::read(dir.join("header")).unwrap();
    let seq = |at: usize| u64::from_le_bytes(header[at + 16..at + 24].try_into().unwrap());
    if seq(0) > seq(4096) { 0 } else { 1 }
}

#[test]
fn a_damaged_older_header_slot_is_found_and_repair_rewrites_it() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = small_store(&store);
    let older = 1 - current_slot(&store);
    flip_byte(&store.join("header"), slot_offset(older) + 60);
    let checked = check(&store);
    assert_eq!(checked.code(), Some(4), "{}", checked.describe());
    assert!(checked.stdout_text().contains("header"));
    let repaired = harness::repair(&store, false);
    assert_eq!(repaired.code(), Some(0), "{}", repaired.describe());
    assert_eq!(check(&store).code(), Some(0));
    assert_eq!(read_state(&store, true).unwrap(), model);
}

#[test]
fn a_damaged_newest_header_slot_is_reported_writers_refuse_and_repair_restores_it() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = small_store(&store);
    let newest = current_slot(&store);
    flip_byte(&store.join("header"), slot_offset(newest) + 200);
    let checked = check(&store);
    assert_eq!(checked.code(), Some(4), "{}", checked.describe());
    assert!(
        checked.stdout_text().contains("damaged"),
        "{}",
        checked.describe()
    );
    // A writer would take the older commit point and drop the newest commit's records as an
    // uncommitted tail: it refuses instead.
    let append = run(
        [
            OsStr::new("append"),
            store.as_os_str(),
            OsStr::new("--key"),
            OsStr::new("late"),
            OsStr::new("x"),
        ],
        None,
    );
    assert_eq!(append.code(), Some(4), "{}", append.describe());
    let repaired = harness::repair(&store, false);
    assert_eq!(repaired.code(), Some(0), "{}", repaired.describe());
    assert_eq!(check(&store).code(), Some(0));
    assert_eq!(read_state(&store, true).unwrap(), model);
}

#[test]
fn a_damaged_index_is_found_and_repair_rebuilds_it_keeping_every_record() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = small_store(&store);
    harness::corrupt_index_slot(&store);
    assert_eq!(check(&store).code(), Some(4));
    let repaired = harness::repair(&store, false);
    assert_eq!(repaired.code(), Some(0), "{}", repaired.describe());
    assert_eq!(check(&store).code(), Some(0));
    assert_eq!(read_state(&store, true).unwrap(), model);
}

#[test]
fn repair_keeps_a_damaged_record_until_drop_corrupt_and_never_drops_a_valid_one() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = small_store(&store);
    harness::corrupt_value(&store, "beta", 3);
    // Without --drop-corrupt: reported, kept, still exit 4.
    let kept = harness::repair(&store, false);
    assert_eq!(kept.code(), Some(4), "{}", kept.describe());
    assert!(kept.stderr.contains("--drop-corrupt"), "{}", kept.stderr);
    let got = run(
        [OsStr::new("get"), store.as_os_str(), OsStr::new("beta")],
        None,
    );
    assert_eq!(
        got.code(),
        Some(4),
        "a damaged value is served: {}",
        got.describe()
    );
    // With it: the damaged record is gone, every other one is there byte for byte.
    let dropped = harness::repair(&store, true);
    assert_eq!(dropped.code(), Some(0), "{}", dropped.describe());
    assert_eq!(check(&store).code(), Some(0));
    let mut expected = model;
    expected.delete("beta");
    assert_eq!(read_state(&store, true).unwrap(), expected);
}

#[test]
fn drop_corrupt_of_a_damaged_replacement_does_not_bring_back_the_replaced_value() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = small_store(&store);
    // "zeta" was replaced; damage its new value: the old one must not come back.
    harness::corrupt_value(&store, "zeta", 0);
    let dropped = harness::repair(&store, true);
    assert_eq!(dropped.code(), Some(0), "{}", dropped.describe());
    let mut expected = model;
    expected.delete("zeta");
    assert_eq!(read_state(&store, true).unwrap(), expected);
}

#[test]
fn drop_corrupt_of_a_replacement_with_a_damaged_key_does_not_bring_back_the_replaced_value() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = small_store(&store);
    // Damage the key bytes of zeta's replacement: the key is unknown to the repair now.
    let offset = Store::open(&store)
        .unwrap()
        .get("zeta")
        .unwrap()
        .unwrap()
        .entry
        .offset();
    flip_byte(&files(&store).body, offset + 1);
    let dropped = harness::repair(&store, true);
    assert_eq!(dropped.code(), Some(0), "{}", dropped.describe());
    let state = read_state(&store, true).unwrap();
    assert_ne!(
        state.get("zeta"),
        Some(&b"old value of zeta"[..]),
        "the replaced value came back"
    );
    let mut expected = model;
    expected.delete("zeta");
    assert_eq!(state, expected);
}

#[test]
fn drop_corrupt_keeps_a_record_whose_stored_key_hash_is_damaged() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = small_store(&store);
    // Entry 1 is "beta": its key and value pass their checksum, only the stored hash is bad.
    flip_byte(&files(&store).lookup, 24 + 16);
    assert_eq!(check(&store).code(), Some(4));
    let repaired = harness::repair(&store, true);
    assert_eq!(repaired.code(), Some(0), "{}", repaired.describe());
    assert_eq!(check(&store).code(), Some(0));
    assert_eq!(read_state(&store, true).unwrap(), model);
}

#[test]
fn header_counts_that_disagree_with_the_table_are_found_and_recounted() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = small_store(&store);
    // live_count of the slot in force, resealed so that only the count is wrong.
    let slot = slot_offset(current_slot(&store));
    let header = store.join("header");
    let mut bytes = fs::read(&header).unwrap();
    let at = slot as usize;
    bytes[at + 80..at + 88].copy_from_slice(&99u64.to_le_bytes());
    let crc = crc32(&bytes[at..at + 248]);
    bytes[at + 248..at + 252].copy_from_slice(&crc.to_le_bytes());
    fs::write(&header, bytes).unwrap();
    let checked = check(&store);
    assert_eq!(checked.code(), Some(4), "{}", checked.describe());
    let repaired = harness::repair(&store, false);
    assert_eq!(repaired.code(), Some(0), "{}", repaired.describe());
    assert_eq!(read_state(&store, true).unwrap(), model);
}

/// CRC32 (IEEE), as the header's checksum.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                crc >> 1 ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Sets the format version of both header slots (checksums made valid again).
fn set_version(dir: &Path, version: u32, slots: &[usize]) {
    let header = dir.join("header");
    let mut bytes = fs::read(&header).unwrap();
    for &which in slots {
        let at = slot_offset(which) as usize;
        bytes[at + 8..at + 12].copy_from_slice(&version.to_le_bytes());
        let crc = crc32(&bytes[at..at + 248]);
        bytes[at + 248..at + 252].copy_from_slice(&crc.to_le_bytes());
    }
    fs::write(&header, bytes).unwrap();
}

#[test]
fn a_newer_format_version_is_refused_with_exit_4_by_every_command() {
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("pristine");
    small_store(&pristine);
    for slots in [
        vec![0, 1],
        vec![current_slot(&pristine)],
        vec![1 - current_slot(&pristine)],
    ] {
        let store = root.path().join("newer");
        for command in binary_commands(&store) {
            let _ = fs::remove_dir_all(&store);
            copy_dir(&pristine, &store);
            set_version(&store, 2, &slots);
            let before = harness::snapshot(&store);
            let outcome = run(&command, None);
            assert_eq!(
                outcome.code(),
                Some(4),
                "{command:?}: {}",
                outcome.describe()
            );
            assert!(
                outcome.stderr.contains("format version 2 is not supported"),
                "{command:?}: {}",
                outcome.stderr
            );
            assert!(harness::snapshot_difference(&before, &harness::snapshot(&store)).is_none());
        }
    }
}

#[test]
fn an_unknown_magic_is_refused_with_exit_4_by_every_command() {
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("pristine");
    small_store(&pristine);
    let store = root.path().join("foreign");
    for command in binary_commands(&store) {
        let _ = fs::remove_dir_all(&store);
        copy_dir(&pristine, &store);
        let header = store.join("header");
        let mut bytes = fs::read(&header).unwrap();
        bytes[0..8].copy_from_slice(b"SQLite f");
        bytes[4096..4104].copy_from_slice(b"SQLite f");
        fs::write(&header, bytes).unwrap();
        let before = harness::snapshot(&store);
        let outcome = run(&command, None);
        assert_eq!(
            outcome.code(),
            Some(4),
            "{command:?}: {}",
            outcome.describe()
        );
        assert!(
            outcome.stderr.contains("is not an mmstore store"),
            "{command:?}: {}",
            outcome.stderr
        );
        assert!(harness::snapshot_difference(&before, &harness::snapshot(&store)).is_none());
    }
}
