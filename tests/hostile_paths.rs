//! Permissions and hostile paths: a read-only store serves reads and refuses writes with exit
//! 6; a store reached through a symlink works; a store whose files are symlinks is refused
//! (exit 4) without touching what they point to; leftovers that are symlinks are removed as
//! links, never followed; keys with `/`, `..`, control characters and long unicode are data,
//! never paths, and keys are limited to 4096 bytes.

mod harness;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use harness::{Model, Outcome, check, read_state, run, snapshot, snapshot_difference, stray_files};

fn o(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// A store with a few records, one replaced and one deleted.
fn store_with_records(dir: &Path) -> Model {
    assert_eq!(run([o("create"), dir.as_os_str()], None).code(), Some(0));
    let mut model = Model::default();
    for (key, value) in [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")] {
        let out = run(
            [o("append"), dir.as_os_str(), o("--key"), o(key), o(value)],
            None,
        );
        assert_eq!(out.code(), Some(0), "{}", out.describe());
        model
            .put(key, value.as_bytes(), harness::Dup::Error)
            .unwrap();
    }
    let out = run(
        [
            o("append"),
            dir.as_os_str(),
            o("--key"),
            o("b"),
            o("--on-duplicate"),
            o("replace"),
            o("22"),
        ],
        None,
    );
    assert_eq!(out.code(), Some(0));
    model.put("b", b"22", harness::Dup::Replace).unwrap();
    assert_eq!(
        run([o("rm"), dir.as_os_str(), o("c")], None).code(),
        Some(0)
    );
    model.delete("c");
    model
}

/// Reading commands, all of which must work on a read-only store.
fn readers(store: &Path) -> Vec<Vec<&OsStr>> {
    let s = store.as_os_str();
    vec![
        vec![o("get"), s, o("a")],
        vec![o("get"), s, o("a"), o("b")],
        vec![o("ls"), s, o("-l")],
        vec![o("export-json"), s],
        vec![o("info"), s],
        vec![o("check"), s],
        vec![o("locate"), s, o("a")],
        vec![o("physical-size"), s],
    ]
}

/// Writing commands.
fn writers<'a>(store: &'a Path, input: &'a Path) -> Vec<Vec<&'a OsStr>> {
    let s = store.as_os_str();
    vec![
        vec![o("append"), s, o("--key"), o("e"), o("5")],
        vec![
            o("import-csv"),
            s,
            input.as_os_str(),
            o("--key-column"),
            o("k"),
        ],
        vec![o("rm"), s, o("a")],
        vec![o("vacuum"), s],
        vec![o("check"), s, o("--repair")],
    ]
}

/// How a store directory was made read-only, undone on drop.
enum ReadOnly {
    BindMount(PathBuf),
    Immutable(Vec<PathBuf>),
    Modes(Vec<PathBuf>),
}

impl ReadOnly {
    /// Makes `dir` read-only the strongest way available: a read-only bind mount (root),
    /// `chattr +i` on the directory and its files (root; root ignores permission bits), or
    /// permission bits (not root). `None`, with a message, when none works.
    fn make(dir: &Path) -> Option<ReadOnly> {
        let quiet = |cmd: &mut Command| cmd.output().is_ok_and(|o| o.status.success());
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if !root {
            let mut paths: Vec<PathBuf> = fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            for path in &paths {
                set_mode(path, 0o444);
            }
            set_mode(dir, 0o555);
            paths.push(dir.to_path_buf());
            return Some(ReadOnly::Modes(paths));
        }
        if quiet(Command::new("mount").arg("--bind").arg(dir).arg(dir)) {
            if quiet(
                Command::new("mount")
                    .args(["-o", "remount,ro,bind"])
                    .arg(dir),
            ) {
                return Some(ReadOnly::BindMount(dir.to_path_buf()));
            }
            let _ = Command::new("umount").arg(dir).status();
        }
        let mut paths: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.push(dir.to_path_buf());
        if paths
            .iter()
            .all(|p| quiet(Command::new("chattr").arg("+i").arg(p)))
        {
            return Some(ReadOnly::Immutable(paths));
        }
        for p in &paths {
            let _ = Command::new("chattr").arg("-i").arg(p).status();
        }
        eprintln!(
            "skipped: running as root, and neither a read-only bind mount nor chattr +i works here"
        );
        None
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        match self {
            ReadOnly::BindMount(dir) => {
                if !Command::new("umount")
                    .arg(&*dir)
                    .status()
                    .is_ok_and(|s| s.success())
                {
                    let _ = Command::new("umount").arg("-l").arg(&*dir).status();
                }
            }
            ReadOnly::Immutable(paths) => {
                for p in paths.iter() {
                    let _ = Command::new("chattr").arg("-i").arg(p).status();
                }
            }
            ReadOnly::Modes(paths) => {
                for p in paths.iter() {
                    set_mode(p, if p.is_dir() { 0o755 } else { 0o644 });
                }
            }
        }
    }
}

#[test]
fn a_read_only_store_serves_reads_and_refuses_writes_with_exit_6() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = store_with_records(&store);
    let input = root.path().join("in.csv");
    fs::write(&input, "k,v\nx,1\n").unwrap();
    let before = snapshot(&store);
    {
        let Some(_read_only) = ReadOnly::make(&store) else {
            return;
        };
        for args in readers(&store) {
            let out = run(&args, None);
            assert_eq!(out.code(), Some(0), "{args:?}: {}", out.describe());
        }
        for args in writers(&store, &input) {
            let out = run(&args, None);
            assert_eq!(out.code(), Some(6), "{args:?}: {}", out.describe());
            assert!(
                out.stderr.starts_with("mmstore: ")
                    && (out.stderr.contains("Read-only file system")
                        || out.stderr.contains("Permission denied")
                        || out.stderr.contains("Operation not permitted")),
                "{args:?}: {}",
                out.stderr
            );
        }
    }
    assert!(snapshot_difference(&before, &snapshot(&store)).is_none());
    assert_eq!(read_state(&store, true).unwrap(), model);
}

#[test]
fn a_store_reached_through_a_symlink_works_and_its_files_stay_in_the_target() {
    let root = tempfile::tempdir().unwrap();
    let real = root.path().join("real");
    let link = root.path().join("link");
    symlink(&real, &link).unwrap();
    // `create` through a symlink that already exists refuses, as for any existing path.
    let created = run([o("create"), link.as_os_str()], None);
    assert_eq!(created.code(), Some(4), "{}", created.describe());
    fs::remove_file(&link).unwrap();
    let model = store_with_records(&real);
    symlink(&real, &link).unwrap();
    let input = root.path().join("in.csv");
    fs::write(&input, "k,v\nx,1\n").unwrap();
    for args in readers(&link) {
        let out = run(&args, None);
        assert_eq!(out.code(), Some(0), "{args:?}: {}", out.describe());
    }
    for args in writers(&link, &input) {
        let out = run(&args, None);
        assert_eq!(out.code(), Some(0), "{args:?}: {}", out.describe());
    }
    let mut expected = model;
    expected.put("e", b"5", harness::Dup::Error).unwrap();
    expected
        .put("x", b"{\"k\":\"x\",\"v\":\"1\"}", harness::Dup::Error)
        .unwrap();
    expected.delete("a");
    assert_eq!(read_state(&link, true).unwrap(), expected);
    assert_eq!(read_state(&real, true).unwrap(), expected);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let mut names: Vec<_> = fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["in.csv", "link", "real"], "files outside the store");
}

/// The bytes and modification time of a file, to show it was not touched.
fn fingerprint(path: &Path) -> (Vec<u8>, SystemTime) {
    (
        fs::read(path).unwrap(),
        fs::metadata(path).unwrap().modified().unwrap(),
    )
}

#[test]
fn a_store_whose_files_are_symlinks_is_refused_and_nothing_outside_is_touched() {
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("pristine");
    store_with_records(&pristine);
    let names = {
        let store = mmstore::Store::open(&pristine).unwrap();
        vec![
            "header".to_string(),
            store.body_file_name(),
            store.lookup_file_name(),
            store.index_file_name(),
            "lock".to_string(),
        ]
    };
    let input = root.path().join("in.csv");
    fs::write(&input, "k,v\nx,1\n").unwrap();
    for name in &names {
        let outside = root.path().join(format!("outside-{name}"));
        let store = root.path().join("store");
        let _ = fs::remove_dir_all(&store);
        harness::copy_dir(&pristine, &store);
        // The target holds what the file held (a plausible attack: the bytes are valid).
        fs::rename(store.join(name), &outside).unwrap();
        symlink(&outside, store.join(name)).unwrap();
        let print = fingerprint(&outside);
        std::thread::sleep(std::time::Duration::from_millis(10));
        let mut commands = writers(&store, &input);
        if name != "lock" {
            // Readers never open the lock file.
            commands.extend(readers(&store));
        }
        for args in commands {
            let out: Outcome = run(&args, None);
            assert_eq!(
                out.code(),
                Some(4),
                "{name} a symlink, {args:?}: {}",
                out.describe()
            );
            assert!(
                out.stderr.contains("symbolic link") || out.stdout_text().contains("symbolic link"),
                "{name} a symlink, {args:?}: {}{}",
                out.stdout_text(),
                out.stderr
            );
            assert_eq!(
                fingerprint(&outside),
                print,
                "{name} a symlink, {args:?}: the file outside the store was touched"
            );
            assert!(
                fs::symlink_metadata(store.join(name))
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
        }
    }
}

#[test]
fn leftovers_that_are_symlinks_are_removed_as_links_never_followed() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = store_with_records(&store);
    let outside_dir = root.path().join("precious-dir");
    fs::create_dir(&outside_dir).unwrap();
    fs::write(outside_dir.join("keep.txt"), "keep me").unwrap();
    let outside_file = root.path().join("precious.txt");
    fs::write(&outside_file, "keep me too").unwrap();
    symlink(&outside_dir, store.join("vacuum.tmp")).unwrap();
    symlink(&outside_file, store.join("body.99")).unwrap();
    symlink(&outside_dir, store.join("index.42")).unwrap();
    let out = run(
        [o("append"), store.as_os_str(), o("--key"), o("e"), o("5")],
        None,
    );
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert_eq!(stray_files(&store), Vec::<String>::new());
    assert_eq!(
        fs::read_to_string(outside_dir.join("keep.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(fs::read_to_string(&outside_file).unwrap(), "keep me too");
    let mut expected = model;
    expected.put("e", b"5", harness::Dup::Error).unwrap();
    assert_eq!(read_state(&store, true).unwrap(), expected);
    // And vacuum, which builds its new generation in vacuum.tmp.
    symlink(&outside_dir, store.join("vacuum.tmp")).unwrap();
    let out = run([o("vacuum"), store.as_os_str()], None);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert_eq!(
        fs::read_to_string(outside_dir.join("keep.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(fs::read_dir(&outside_dir).unwrap().count(), 1);
    assert_eq!(read_state(&store, true).unwrap(), expected);
}

#[test]
fn keys_with_slashes_dots_and_control_characters_are_data_never_paths() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    assert_eq!(run([o("create"), store.as_os_str()], None).code(), Some(0));
    let keys = [
        "../../../../etc/passwd",
        "/absolute/path",
        "a/b/c",
        "..",
        ".",
        "tab\there",
        "bell\u{7}esc\u{1b}[31mred",
        "del\u{7f}",
        "\u{1}\u{2}\u{3}",
        " leading and trailing ",
        "ключ/値/🔑",
    ];
    let mut model = Model::default();
    for (i, key) in keys.iter().enumerate() {
        let value = format!("value {i}");
        let out = run(
            [
                o("append"),
                store.as_os_str(),
                o("--key"),
                o(key),
                o(&value),
            ],
            None,
        );
        assert_eq!(out.code(), Some(0), "{key:?}: {}", out.describe());
        model
            .put(key, value.as_bytes(), harness::Dup::Error)
            .unwrap();
        let got = run([o("get"), store.as_os_str(), o(key)], None);
        assert_eq!(got.code(), Some(0), "{key:?}: {}", got.describe());
        assert_eq!(got.stdout, value.as_bytes());
    }
    // The same keys through JSON Lines, replacing.
    let mut jsonl = String::new();
    for key in &keys {
        jsonl.push_str(&serde_json::to_string(&serde_json::json!({"k": key, "v": 2})).unwrap());
        jsonl.push('\n');
        let line = serde_json::to_string(&serde_json::json!({"k": key, "v": 2})).unwrap();
        model
            .put(key, line.as_bytes(), harness::Dup::Replace)
            .unwrap();
    }
    let input = root.path().join("keys.jsonl");
    fs::write(&input, jsonl).unwrap();
    let out = run(
        [
            o("append"),
            store.as_os_str(),
            o("--jsonl"),
            o("--key-field"),
            o("k"),
            o("--on-duplicate"),
            o("replace"),
            o("--input"),
            input.as_os_str(),
        ],
        None,
    );
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert_eq!(read_state(&store, true).unwrap(), model);
    let listed = run([o("ls"), store.as_os_str()], None);
    assert_eq!(listed.stdout_text().lines().collect::<Vec<_>>(), keys);
    // Nothing was made outside the store, nor inside it beyond its own files.
    assert_eq!(stray_files(&store), Vec::<String>::new());
    let mut names: Vec<_> = fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["keys.jsonl", "store"]);
    assert_eq!(check(&store).code(), Some(0));
}

#[test]
fn keys_with_nul_cr_or_lf_are_bad_input_and_nothing_is_written() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let model = store_with_records(&store);
    for key in ["line\nfeed", "carriage\rreturn"] {
        let out = run(
            [o("append"), store.as_os_str(), o("--key"), o(key), o("v")],
            None,
        );
        assert_eq!(out.code(), Some(3), "{key:?}: {}", out.describe());
    }
    for key in ["nul\u{0}byte", "line\nfeed", "cr\rhere"] {
        let line = serde_json::to_string(&serde_json::json!({"k": key})).unwrap();
        let input = root.path().join("bad.jsonl");
        fs::write(&input, format!("{{\"k\":\"fine\"}}\n{line}\n")).unwrap();
        let out = run(
            [
                o("append"),
                store.as_os_str(),
                o("--jsonl"),
                o("--key-field"),
                o("k"),
                o("--input"),
                input.as_os_str(),
            ],
            None,
        );
        assert_eq!(out.code(), Some(3), "{key:?}: {}", out.describe());
        assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    }
    assert_eq!(read_state(&store, true).unwrap(), model);
}

#[test]
fn a_key_of_4096_bytes_of_unicode_is_stored_and_one_of_4097_is_refused_with_exit_3() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    assert_eq!(run([o("create"), store.as_os_str()], None).code(), Some(0));
    let mut model = Model::default();
    let longest = [
        "é".repeat(2048),                 // 2-byte characters
        "😀".repeat(1024),                // 4-byte characters
        format!("{}a", "€".repeat(1365)), // 3-byte characters, and one ASCII
    ];
    for key in &longest {
        assert_eq!(key.len(), 4096);
        let out = run(
            [
                o("append"),
                store.as_os_str(),
                o("--key"),
                o(key),
                o("long"),
            ],
            None,
        );
        assert_eq!(out.code(), Some(0), "{}", out.describe());
        model.put(key, b"long", harness::Dup::Error).unwrap();
        let got = run([o("get"), store.as_os_str(), o(key)], None);
        assert_eq!(got.stdout, b"long");
    }
    let too_long = [
        format!("{}a", "é".repeat(2048)),
        format!("{}😀", "😀".repeat(1023) + "abc"),
        "x".repeat(4097),
    ];
    for key in &too_long {
        assert!(key.len() > 4096);
        let out = run(
            [o("append"), store.as_os_str(), o("--key"), o(key), o("v")],
            None,
        );
        assert_eq!(
            out.code(),
            Some(3),
            "{} bytes: {}",
            key.len(),
            out.describe()
        );
        assert!(out.stderr.contains("4096"), "{}", out.stderr);
        // Through CSV and JSON Lines too, where the whole batch is refused.
        let csv = root.path().join("long.csv");
        fs::write(&csv, format!("k,v\nshort,1\n\"{key}\",2\n")).unwrap();
        let out = run(
            [
                o("import-csv"),
                store.as_os_str(),
                csv.as_os_str(),
                o("--key-column"),
                o("k"),
            ],
            None,
        );
        assert_eq!(out.code(), Some(3), "{}", out.describe());
        let jsonl = root.path().join("long.jsonl");
        fs::write(
            &jsonl,
            format!("{{\"k\":\"short\"}}\n{{\"k\":\"{key}\"}}\n"),
        )
        .unwrap();
        let out = run(
            [
                o("append"),
                store.as_os_str(),
                o("--jsonl"),
                o("--key-field"),
                o("k"),
                o("--input"),
                jsonl.as_os_str(),
            ],
            None,
        );
        assert_eq!(out.code(), Some(3), "{}", out.describe());
        // Looking one up is not a crash: it is simply not there.
        let got = run([o("get"), store.as_os_str(), o(key)], None);
        assert!(matches!(got.code(), Some(1 | 3)), "{}", got.describe());
    }
    assert_eq!(read_state(&store, true).unwrap(), model);
    assert_eq!(check(&store).code(), Some(0));
}
