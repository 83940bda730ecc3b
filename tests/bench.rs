//! `mmstore bench` through the real binary: the JSON has every promised field, the table has
//! every operation and way, bad arguments are refused with the right exit code and a clear
//! message, and the bench file is gone afterwards, also after Ctrl-C or SIGTERM.
//! Sizes stay small (8 MiB): these tests check behaviour, not speed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mmstore");

fn mmstore() -> Command {
    Command::new(BIN)
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect()
}

fn assert_no_file_left(dir: &Path) {
    let left = entries(dir);
    assert!(left.is_empty(), "left behind: {left:?}");
}

const OPS: [&str; 5] = [
    "seq_read",
    "random_read",
    "search",
    "seq_write",
    "random_update",
];

#[test]
fn json_run_has_every_field_with_positive_numbers_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = mmstore()
        .args([
            "bench", "--size", "8MiB", "--repeat", "1", "--json", "--dir",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .clone();
    let report: Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON value");

    let machine = &report["machine"];
    assert!(machine["cores"].as_u64().unwrap() >= 1);
    assert!(!machine["kernel"].as_str().unwrap().is_empty());
    assert!(!machine["filesystem"].as_str().unwrap().is_empty());

    let params = &report["params"];
    assert_eq!(params["size"], 8 << 20);
    assert_eq!(params["repeat"], 1);
    assert_eq!(params["cache"], "warm");
    assert_eq!(params["dir"], dir.path().to_str().unwrap());
    let planted = params["planted_matches"].as_u64().unwrap();
    assert!(planted >= 8);

    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), OPS.len() * 3);
    for op in OPS {
        for way in ["mmap", "buffered", "pread"] {
            let found = results
                .iter()
                .filter(|r| r["op"] == op && r["way"] == way)
                .count();
            assert_eq!(found, 1, "{op} {way}");
        }
    }
    for result in results {
        let random = result["op"] == "random_read" || result["op"] == "random_update";
        for field in [
            "seconds",
            "bytes_per_s",
            "ratio_vs_buffered",
            "min_seconds",
            "max_seconds",
        ] {
            let number = result[field].as_f64().unwrap_or(-1.0);
            assert!(number > 0.0, "{field} in {result}");
        }
        for field in ["p50_us", "p99_us"] {
            let value = result.get(field).expect("the field is there, null or not");
            if random {
                assert!(value.as_f64().unwrap() >= 0.0, "{field} in {result}");
            } else {
                assert!(value.is_null(), "{field} in {result}");
            }
        }
        if result["way"] == "buffered" {
            assert_eq!(result["ratio_vs_buffered"], 1.0);
        }
        if result["op"] == "search" {
            assert_eq!(result["matches"], planted, "{result}");
        }
    }
    let summary = report["summary"].as_array().unwrap();
    assert_eq!(summary.len(), OPS.len());
    for entry in summary {
        assert_ne!(entry["ways_agree"], false, "{entry}");
        assert!(
            entry["verdict"].as_str().unwrap().starts_with("mmap "),
            "{entry}"
        );
    }
    assert_no_file_left(dir.path());
}

#[test]
fn table_run_shows_every_operation_every_way_and_a_verdict_per_operation() {
    let dir = tempfile::tempdir().unwrap();
    mmstore()
        .args(["bench", "--size", "8MiB", "--repeat", "2", "--dir"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("warm cache")
                .and(predicate::str::contains("vs buffered"))
                .and(predicate::str::contains("p99"))
                .and(predicate::str::contains("| seq read      | mmap"))
                .and(predicate::str::contains("| seq write     | pwrite"))
                .and(predicate::str::contains("| random update | buffered"))
                .and(predicate::str::contains("sequential read:"))
                .and(predicate::str::contains("random 4 KiB update + sync:"))
                .and(predicate::str::is_match(r"pattern search: +mmap \d+\.\d+x").unwrap()),
        )
        .stderr(predicate::str::contains("its file was removed"));
    assert_no_file_left(dir.path());
}

#[test]
fn cold_run_evicts_says_so_and_advise_adds_the_hinted_map() {
    let dir = tempfile::tempdir().unwrap();
    mmstore()
        .args([
            "bench", "--size", "8MiB", "--repeat", "1", "--cold", "--advise", "--dir",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("cold cache: fsync + posix_fadvise(DONTNEED)")
                .and(predicate::str::contains("| mmap+advise |"))
                .and(predicate::str::contains("madvise hints")),
        );
    assert_no_file_left(dir.path());
}

#[test]
fn quiet_run_prints_nothing_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    mmstore()
        .args([
            "-q", "bench", "--size", "64KiB", "--repeat", "1", "--json", "--dir",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stderr("");
}

#[test]
fn without_dir_the_system_temp_dir_is_used() {
    let dir = tempfile::tempdir().unwrap();
    mmstore()
        .env("TMPDIR", dir.path())
        .args(["bench", "--size", "1MiB", "--repeat", "1", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(dir.path().to_str().unwrap()));
    assert_no_file_left(dir.path());
}

#[test]
fn size_zero_is_a_usage_error() {
    mmstore()
        .args(["bench", "--size", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--size").and(predicate::str::contains("at least 64KiB")));
}

#[test]
fn size_with_an_unknown_unit_is_a_usage_error() {
    mmstore()
        .args(["bench", "--size", "1XB"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown size unit `XB`"));
}

#[test]
fn repeat_zero_is_a_usage_error() {
    mmstore().args(["bench", "--repeat", "0"]).assert().code(2);
}

#[test]
fn missing_dir_is_an_io_error_that_says_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    mmstore()
        .args(["bench", "--size", "1MiB", "--dir"])
        .arg(dir.path().join("missing"))
        .assert()
        .code(6)
        .stderr(
            predicate::str::starts_with("mmstore: cannot create the bench file in")
                .and(predicate::str::contains("No such file or directory")),
        );
}

#[test]
fn dir_under_a_regular_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    fs::write(&file, b"not a directory").unwrap();
    mmstore()
        .args(["bench", "--size", "1MiB", "--dir"])
        .arg(file.join("sub"))
        .assert()
        .code(6)
        .stderr(
            predicate::str::starts_with("mmstore: cannot create the bench file in")
                .and(predicate::str::contains("Not a directory")),
        );
}

#[test]
fn unwritable_dir_is_an_io_error() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions and touches no memory.
    if unsafe { libc::geteuid() } == 0 {
        eprintln!("skipped: root can write in a read-only directory");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    mmstore()
        .args(["bench", "--size", "1MiB", "--dir"])
        .arg(&locked)
        .assert()
        .code(6)
        .stderr(
            predicate::str::starts_with("mmstore: cannot create the bench file in")
                .and(predicate::str::contains("Permission denied")),
        );
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn help_documents_every_flag_and_shows_examples() {
    let assert = mmstore().args(["bench", "--help"]).assert().success();
    let help = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(help.contains("EXAMPLES:"), "{help}");
    assert!(
        help.contains("mmstore bench --size 8MiB --repeat 1 --json"),
        "{help}"
    );
    assert!(help.contains("mmstore bench --dir"), "{help}");
    for flag in [
        "--size", "--dir", "--repeat", "--ops", "--cold", "--advise", "--json", "--seed",
    ] {
        let line = help
            .lines()
            .position(|line| line.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("{flag} is not in the help:\n{help}"));
        let described = help
            .lines()
            .nth(line + 1)
            .is_some_and(|next| !next.trim().is_empty());
        assert!(described, "{flag} has no description:\n{help}");
    }
    mmstore()
        .args(["bench", "-h"])
        .assert()
        .success()
        .stdout(predicate::str::contains("EXAMPLES:"));
}

/// Spawns a bench that runs long enough to be interrupted.
fn spawn_long_bench(dir: &Path) -> Child {
    StdCommand::new(BIN)
        .args([
            "bench", "--size", "64MiB", "--repeat", "100", "--json", "--dir",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the bench file exists and, with `full`, holds all its bytes.
fn wait_for_bench_file(dir: &Path, full: Option<u64>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = entries(dir).iter().any(|path| {
            let len = fs::metadata(path).map_or(0, |meta| meta.len());
            full.is_none_or(|full| len >= full)
        });
        if ready {
            return;
        }
        assert!(Instant::now() < deadline, "the bench file never appeared");
        sleep(Duration::from_millis(5));
    }
}

fn signal_and_wait(child: &mut Child, signal: libc::c_int) -> ExitStatus {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill only sends a signal to our own child, whose pid we hold and have not
    // reaped yet, so the pid cannot have been reused.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the bench did not stop within a minute of the signal");
        }
        sleep(Duration::from_millis(10));
    }
}

#[test]
fn ctrl_c_during_measurement_exits_130_and_removes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_long_bench(dir.path());
    wait_for_bench_file(dir.path(), Some(64 << 20));
    sleep(Duration::from_millis(200));
    let status = signal_and_wait(&mut child, libc::SIGINT);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(130), "stderr: {stderr}");
    assert!(stderr.contains("mmstore: interrupted"), "stderr: {stderr}");
    assert!(output.stdout.is_empty(), "no partial report");
    assert_no_file_left(dir.path());
}

#[test]
fn ctrl_c_while_the_file_is_written_exits_130_and_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_long_bench(dir.path());
    wait_for_bench_file(dir.path(), None);
    let status = signal_and_wait(&mut child, libc::SIGINT);
    assert_eq!(status.code(), Some(130));
    assert_no_file_left(dir.path());
}

#[test]
fn sigterm_exits_143_and_removes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_long_bench(dir.path());
    wait_for_bench_file(dir.path(), Some(64 << 20));
    let status = signal_and_wait(&mut child, libc::SIGTERM);
    assert_eq!(status.code(), Some(128 + libc::SIGTERM));
    assert_no_file_left(dir.path());
}
