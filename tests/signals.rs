//! Ctrl-C (SIGINT) and SIGTERM during a writing command (SPEC §4): the command exits
//! 130 / 143 with a message, nothing of it is committed (the store's files are byte for byte
//! what they were), and it leaves no temporary file, in the store or beside it. The same for
//! `export-json -o PATH`: no file under PATH, no temporary file.

mod harness;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use harness::{copy_dir, mmstore, snapshot, snapshot_difference, stray_files};

/// Records in the inputs: enough that every command below runs for well over a second in a
/// debug build, so the signal always lands in the middle of it.
const RECORDS: usize = 150_000;

/// Inputs and a store of `RECORDS` records, made once for all the tests of this file.
struct Fixture {
    _dir: tempfile::TempDir,
    store: PathBuf,
    jsonl: PathBuf,
    csv: PathBuf,
    envelopes: PathBuf,
    keys: PathBuf,
    big_value: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        let mut jsonl = String::new();
        let mut csv = String::from("key,text,n\n");
        let mut envelopes = String::new();
        let mut keys = String::new();
        for i in 0..RECORDS {
            jsonl.push_str(&format!(
                "{{\"k\":\"new{i}\",\"text\":\"{}\",\"n\":{i}}}\n",
                "j".repeat(80)
            ));
            csv.push_str(&format!("csv{i},\"{}, quoted\",{i}\n", "c".repeat(80)));
            envelopes.push_str(&format!(
                "{{\"key\":\"env{i}\",\"value\":{{\"n\":{i},\"s\":\"{}\"}}}}\n",
                "e".repeat(80)
            ));
            keys.push_str(&format!("k{i}\n"));
        }
        fs::write(path("input.jsonl"), &jsonl).unwrap();
        fs::write(path("input.csv"), csv).unwrap();
        fs::write(path("envelopes.jsonl"), envelopes).unwrap();
        fs::write(path("keys.txt"), keys).unwrap();
        // A large value (sparse: quick to make, quick to read).
        fs::File::create(path("big-value.bin"))
            .unwrap()
            .set_len(256 << 20)
            .unwrap();
        // The store: the same records under the keys k0.., with some deleted so that a
        // vacuum has work to do.
        let store = path("store");
        let created = mmstore().arg("create").arg(&store).output().unwrap();
        assert!(created.status.success());
        fs::write(path("base.jsonl"), jsonl.replace("\"new", "\"k")).unwrap();
        let filled = mmstore()
            .args(["--no-sync", "append"])
            .arg(&store)
            .args(["--jsonl", "--key-field", "k", "--input"])
            .arg(path("base.jsonl"))
            .output()
            .unwrap();
        assert!(filled.status.success(), "{filled:?}");
        let removed = mmstore()
            .args(["--no-sync", "rm"])
            .arg(&store)
            .args(["k1", "k2", "k3"])
            .output()
            .unwrap();
        assert!(removed.status.success(), "{removed:?}");
        Fixture {
            store,
            jsonl: path("input.jsonl"),
            csv: path("input.csv"),
            envelopes: path("envelopes.jsonl"),
            keys: path("keys.txt"),
            big_value: path("big-value.bin"),
            _dir: dir,
        }
    })
}

/// Waits until the writer holds the store's lock (its PID is in the lock file), so that its
/// signal handlers are installed and its batch is under way.
fn wait_for_writer(store: &Path, child: &mut Child) {
    let pid = child.id().to_string();
    let started = Instant::now();
    loop {
        let holder = fs::read_to_string(store.join("lock")).unwrap_or_default();
        if holder.trim() == pid {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the command ended before it took the lock: {status:?}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the writer never took the lock"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn send(child: &Child, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions; the child is ours and not yet reaped.
    let sent = unsafe { libc::kill(child.id() as i32, signal) };
    assert_eq!(sent, 0, "cannot signal the child");
}

/// Names of the files in `dir` (not recursive).
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `mmstore ARGS` (with the store's path where `STORE` stands) on a copy of the fixture
/// store, sends `signal` once the batch is under way, and checks the outcome.
fn interrupt_writer(args: &[&str], signal: i32) {
    interrupt_writer_at(args, signal, None, &[]);
}

/// [`interrupt_writer`], with the command held at the failpoint `pause` (when given) until
/// the signal arrives, so that a fast machine cannot finish the command first, and `env` set.
fn interrupt_writer_at(args: &[&str], signal: i32, pause: Option<&str>, env: &[(&str, &str)]) {
    let fixture = fixture();
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    copy_dir(&fixture.store, &store);
    let before = snapshot(&store);
    let args: Vec<OsString> = args
        .iter()
        .map(|a| {
            if *a == "STORE" {
                store.as_os_str().to_owned()
            } else {
                a.into()
            }
        })
        .collect();
    let mut command = mmstore();
    command.envs(env.iter().copied());
    if let Some(point) = pause {
        command.env("MMSTORE_FAILPOINT", format!("{point}:pause"));
    }
    let mut child = command
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_writer(&store, &mut child);
    std::thread::sleep(Duration::from_millis(20));
    send(&child, signal);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(128 + signal),
        "{args:?} after signal {signal}: {:?}, {stderr}",
        output.status
    );
    assert!(
        stderr.starts_with("mmstore: ") && stderr.contains("interrupted"),
        "{stderr}"
    );
    if let Some(difference) = snapshot_difference(&before, &snapshot(&store)) {
        panic!("{args:?}: the interrupted command changed the store: {difference}");
    }
    assert_eq!(stray_files(&store), Vec::<String>::new());
    assert_eq!(names(root.path()), ["store"], "files left beside the store");
    let checked = harness::check(&store);
    assert_eq!(checked.code(), Some(0), "{}", checked.describe());
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn sigint_during_import_csv_exits_130_commits_nothing_and_leaves_no_temp_file() {
    let f = fixture();
    interrupt_writer(
        &["import-csv", "STORE", arg(&f.csv), "--key-column", "key"],
        libc::SIGINT,
    );
}

#[test]
fn sigterm_during_append_jsonl_exits_143_commits_nothing_and_leaves_no_temp_file() {
    let f = fixture();
    interrupt_writer(
        &[
            "append",
            "STORE",
            "--jsonl",
            "--key-field",
            "k",
            "--input",
            arg(&f.jsonl),
        ],
        libc::SIGTERM,
    );
}

/// A writer that stages its index slots, stopped after it wrote a first run of them into the
/// index file: the abort clears them, and the store is byte for byte as it was.
#[test]
fn sigint_during_import_csv_with_a_staged_index_exits_130_and_commits_nothing() {
    let f = fixture();
    interrupt_writer_at(
        &["import-csv", "STORE", arg(&f.csv), "--key-column", "key"],
        libc::SIGINT,
        Some("index-write@2"),
        &[
            ("MMSTORE_STAGE_INDEX_FROM", "0"),
            ("MMSTORE_STAGE_PENDING_SLOTS", "64"),
        ],
    );
}

#[test]
fn sigint_during_import_json_exits_130_and_commits_nothing() {
    let f = fixture();
    interrupt_writer(&["import-json", "STORE", arg(&f.envelopes)], libc::SIGINT);
}

#[test]
fn sigterm_during_rm_keys_from_exits_143_and_removes_nothing() {
    let f = fixture();
    interrupt_writer(
        &["rm", "STORE", "--keys-from", arg(&f.keys), "--missing-ok"],
        libc::SIGTERM,
    );
}

#[test]
fn sigint_during_append_of_a_large_value_exits_130_and_commits_nothing() {
    let f = fixture();
    interrupt_writer(
        &[
            "append",
            "STORE",
            "--key",
            "big",
            "--file",
            arg(&f.big_value),
        ],
        libc::SIGINT,
    );
}

#[test]
fn sigint_during_vacuum_exits_130_and_leaves_the_old_generation_without_vacuum_tmp() {
    interrupt_writer_at(
        &["vacuum", "STORE"],
        libc::SIGINT,
        Some("vacuum-write"),
        &[],
    );
}

#[test]
fn sigterm_during_vacuum_exits_143_and_leaves_the_old_generation_without_vacuum_tmp() {
    interrupt_writer_at(
        &["vacuum", "STORE"],
        libc::SIGTERM,
        Some("vacuum-write"),
        &[],
    );
}

#[test]
fn sigint_during_export_json_to_a_file_leaves_neither_the_file_nor_a_temp_file() {
    let fixture = fixture();
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("export.jsonl");
    let mut child = mmstore()
        .env("MMSTORE_FAILPOINT", "export-write:pause")
        .arg("export-json")
        .arg(&fixture.store)
        .arg("-o")
        .arg(&target)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The export writes a temporary file beside the target and renames it at the end.
    let started = Instant::now();
    while names(out_dir.path()).is_empty() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the export ended early"
        );
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(50));
    send(&child, libc::SIGINT);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(130),
        "{:?}: {stderr}",
        output.status
    );
    assert!(stderr.starts_with("mmstore: "), "{stderr}");
    assert_eq!(names(out_dir.path()), Vec::<String>::new());
}

#[test]
fn a_second_sigint_stops_a_writer_blocked_on_stdin_at_once() {
    let fixture = fixture();
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    copy_dir(&fixture.store, &store);
    // `append` with no value reads stdin, which we keep open and silent.
    let mut child = mmstore()
        .arg("append")
        .arg(&store)
        .args(["--key", "from-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_writer(&store, &mut child);
    send(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(100));
    send(&child, libc::SIGINT);
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running after two SIGINTs"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{:?}", output.status);
    // Stopped at once, as a crash would stop it: nothing of it is visible (the uncommitted
    // tail it may leave is the next writer's to drop).
    let live_before = mmstore::Store::open(&fixture.store).unwrap().live_count();
    let store_now = mmstore::Store::open(&store).unwrap();
    assert_eq!(store_now.live_count(), live_before);
    assert!(store_now.get("from-stdin").unwrap().is_none());
    let checked = harness::check(&store);
    assert_eq!(checked.code(), Some(0), "{}", checked.describe());
}

#[test]
fn sigint_during_check_exits_130() {
    let fixture = fixture();
    let child = mmstore()
        .env("MMSTORE_FAILPOINT", "check-scanned:pause")
        .arg("check")
        .arg(&fixture.store)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_handler(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(50));
    send(&child, libc::SIGINT);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(130),
        "{:?}: {stderr}",
        output.status
    );
    assert!(stderr.starts_with("mmstore: "), "{stderr}");
}

/// Waits until the child catches `signal` (its handler is installed), as /proc tells.
fn wait_for_handler(child: &Child, signal: i32) {
    let started = Instant::now();
    loop {
        let status = fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .unwrap_or(0);
        if caught & (1 << (signal - 1)) != 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no handler installed"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}
