//! The exit codes of SPEC §4 and the rules every command shares: error messages start with
//! `mmstore: `, global options stand before or after the command name, data goes to stdout
//! and summaries to stderr, and a closed pipe is a quiet success.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use mmstore::{WriteOptions, Writer};

use crate::common::*;

/// Every command that takes a STORE, with arguments that would succeed on a store holding
/// the key `k`; `{input}` stands for an input file.
const STORE_COMMANDS: &[&[&str]] = &[
    &["get", "{store}", "k"],
    &["ls", "{store}"],
    &["locate", "{store}", "k"],
    &["rm", "{store}", "k"],
    &["append", "{store}", "--key", "k2", "v"],
    &["append", "{store}", "--jsonl", "--input", "{input}"],
    &["import-csv", "{store}", "{input}"],
    &["import-json", "{store}", "{input}"],
    &["export-json", "{store}"],
    &["info", "{store}"],
    &["physical-size", "{store}"],
];

fn expand<'a>(args: &[&'a str], store: &'a str, input: &'a str) -> Vec<&'a str> {
    args.iter()
        .map(|&a| match a {
            "{store}" => store,
            "{input}" => input,
            other => other,
        })
        .collect()
}

#[test]
fn every_command_on_a_missing_store_exits_4_with_a_hint() {
    let scratch = Scratch::new();
    let store = scratch.store();
    let input = scratch.file("input", "{\"key\":\"x\",\"value\":1}\n");
    for args in STORE_COMMANDS {
        let out = run(&expand(args, p(&store), p(&input)));
        let err = fails(&out, 4);
        assert!(err.contains("no store"), "{args:?}: {err}");
        assert!(
            err.contains("hint:") && err.contains("create"),
            "{args:?}: {err}"
        );
        assert!(!store.exists(), "{args:?} created the store");
    }
}

#[test]
fn every_command_on_a_directory_that_is_not_a_store_exits_4() {
    let scratch = Scratch::new();
    let dir = scratch.path("photos");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("cat.jpg"), b"meow").unwrap();
    let input = scratch.file("input", "{\"key\":\"x\",\"value\":1}\n");
    for args in STORE_COMMANDS {
        let out = run(&expand(args, p(&dir), p(&input)));
        let err = fails(&out, 4);
        assert!(err.contains("not an mmstore store"), "{args:?}: {err}");
    }
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["cat.jpg"], "nothing was written into the directory");
}

#[test]
fn every_command_on_a_plain_file_exits_4() {
    let scratch = Scratch::new();
    let file = scratch.file("notes.txt", "hello");
    let input = scratch.file("input", "{\"key\":\"x\",\"value\":1}\n");
    for args in STORE_COMMANDS {
        fails(&run(&expand(args, p(&file), p(&input))), 4);
    }
    assert_eq!(fs::read(&file).unwrap(), b"hello");
}

/// Rewrites the format version of both header slots, with valid checksums.
fn set_format_version(store: &Path, version: u32) {
    let path = store.join("header");
    let mut header = fs::read(&path).unwrap();
    for slot in [0usize, 4096] {
        header[slot + 8..slot + 12].copy_from_slice(&version.to_le_bytes());
        let crc = crc32fast::hash(&header[slot..slot + 248]);
        header[slot + 248..slot + 252].copy_from_slice(&crc.to_le_bytes());
    }
    fs::write(&path, header).unwrap();
}

#[test]
fn a_store_of_a_newer_format_version_is_refused_with_exit_4() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "v");
    set_format_version(&store, 2);
    let before = store_files(&store);
    let input = scratch.file("input", "{\"key\":\"x\",\"value\":1}\n");
    for args in STORE_COMMANDS {
        let err = fails(&run(&expand(args, p(&store), p(&input))), 4);
        assert!(
            err.contains("version 2"),
            "{args:?} names the version: {err}"
        );
    }
    assert_eq!(
        store_files(&store),
        before,
        "a refused store is not written"
    );
}

#[test]
fn not_found_exits_1_for_get_rm_and_locate() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 2);
    fails(&run(&["get", p(&store), "nope"]), 1);
    fails(&run(&["get", p(&store), "--index", "2"]), 1);
    fails(&run(&["rm", p(&store), "nope"]), 1);
    fails(&run(&["rm", p(&store), "--index", "-3"]), 1);
    fails(&run(&["locate", p(&store), "nope"]), 1);
    assert_eq!(ls(&store, &[]), ["k0", "k1"]);
}

#[test]
fn usage_errors_exit_2_in_clap_s_format() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    for args in [
        vec!["frobnicate", p(&store)],
        vec!["ls", p(&store), "--no-such-flag"],
        vec!["ls"],
        vec!["get", p(&store), "--index", "one"],
        vec!["append", p(&store), "--on-duplicate", "merge", "v"],
        vec![],
    ] {
        let out = run(&args);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains("error:") || err.contains("Usage"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn help_and_version_exit_0() {
    let out = ok(run(&["--help"]));
    assert!(String::from_utf8(out).unwrap().contains("EXIT CODES"));
    let out = ok(run(&["--version"]));
    assert!(String::from_utf8(out).unwrap().starts_with("mmstore "));
    ok(run(&["append", "--help"]));
}

#[test]
fn a_second_writer_exits_5_naming_the_lock_holder_s_pid() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "v");
    let before = snapshot(&store);
    let holder = Writer::open(&store, WriteOptions::default()).expect("take the writer lock");
    let pid = std::process::id().to_string();
    for args in [
        vec!["append", p(&store), "--key", "k2", "v"],
        vec!["rm", p(&store), "k"],
    ] {
        let err = fails(&run(&args), 5);
        assert!(
            err.contains(&pid),
            "{args:?} names the holder's PID {pid}: {err}"
        );
        assert!(err.contains("--wait"), "the hint names --wait: {err}");
    }
    drop(holder);
    assert_unchanged(&store, &before);
}

#[test]
fn readers_are_not_blocked_by_a_writer() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "v");
    let _holder = Writer::open(&store, WriteOptions::default()).expect("take the writer lock");
    assert_eq!(get(&store, "k"), b"v");
    assert_eq!(ls(&store, &[]), ["k"]);
    ok(run(&["locate", p(&store), "k"]));
    ok(run(&["export-json", p(&store)]));
    ok(run(&["info", p(&store)]));
    ok(run(&["physical-size", p(&store)]));
}

#[test]
fn wait_lets_a_second_writer_proceed_once_the_first_finishes() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let before = vec!["--wait", "append", p(&store), "--key", "waited-before", "v"];
    let after = vec!["append", p(&store), "--key", "waited-after", "v", "--wait"];
    for args in [before, after] {
        let holder = Writer::open(&store, WriteOptions::default()).expect("take the writer lock");
        let mut child = StdCommand::new(BIN)
            .args(&args)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        sleep(Duration::from_millis(300));
        assert!(
            child.try_wait().unwrap().is_none(),
            "{args:?} must wait while the lock is held"
        );
        drop(holder);
        assert_eq!(child.wait().unwrap().code(), Some(0), "{args:?}");
    }
    assert_eq!(ls(&store, &[]), ["waited-before", "waited-after"]);
}

#[test]
fn io_errors_exit_6() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let dir = scratch.path("a-directory");
    fs::create_dir(&dir).unwrap();
    let before = snapshot(&store);
    fails(
        &run(&["append", p(&store), "--key", "k", "--file", p(&dir)]),
        6,
    );
    fails(
        &run(&["import-csv", p(&store), p(&scratch.path("missing.csv"))]),
        6,
    );
    fails(
        &run(&["import-json", p(&store), p(&scratch.path("missing.jsonl"))]),
        6,
    );
    fails(
        &run(&[
            "append",
            p(&store),
            "--jsonl",
            "--input",
            p(&scratch.path("missing")),
        ]),
        6,
    );
    fails(
        &run(&["get", p(&store), "--keys-from", p(&scratch.path("missing"))]),
        6,
    );
    assert_unchanged(&store, &before);
}

#[test]
fn ctrl_c_during_a_bulk_append_commits_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "before", "1");
    let mut child = StdCommand::new(BIN)
        .args(["append", p(&store), "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for n in 0..2000 {
        writeln!(stdin, "{{\"n\":{n}}}").unwrap();
    }
    stdin.flush().unwrap();
    sleep(Duration::from_millis(300));
    // SAFETY: kill(2) with a PID we spawned and still own (not yet waited for).
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0);
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{:?}", output.status);
    let err = stderr(&output);
    assert!(
        err.starts_with("mmstore: ") && err.contains("interrupted"),
        "{err}"
    );
    assert_eq!(ls(&store, &[]), ["before"]);
    // The next writer carries on from the last commit, with the next auto key.
    ok(run(&["append", p(&store), "after"]));
    assert_eq!(ls(&store, &[]), ["before", "1"]);
}

#[test]
fn global_options_work_before_and_after_the_command_name() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    for (n, args) in [
        vec!["-q", "append", p(&store), "--key", "a", "1"],
        vec!["append", p(&store), "--key", "b", "2", "-q"],
        vec![
            "--quiet",
            "--no-sync",
            "append",
            p(&store),
            "--key",
            "c",
            "3",
        ],
        vec![
            "append",
            p(&store),
            "--no-sync",
            "--key",
            "d",
            "4",
            "--quiet",
        ],
        vec!["--wait", "-q", "append", p(&store), "--key", "e", "5"],
        vec!["append", p(&store), "--key", "f", "6", "--wait", "--quiet"],
    ]
    .into_iter()
    .enumerate()
    {
        let out = run(&args);
        assert_exit(&out, 0);
        assert!(
            out.stderr.is_empty(),
            "case {n}: quiet means no summary: {}",
            stderr(&out)
        );
    }
    assert_eq!(ls(&store, &[]), ["a", "b", "c", "d", "e", "f"]);
    ok(run(&["-q", "ls", p(&store)]));
    ok(run(&["ls", p(&store), "--quiet"]));
}

#[test]
fn writing_commands_print_a_summary_on_stderr_unless_quiet() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    let input = scratch.file("in.csv", "a\n1\n");
    let loud = run(&["import-csv", p(&store), p(&input)]);
    assert_exit(&loud, 0);
    assert!(loud.stdout.is_empty());
    assert!(stderr(&loud).contains("1 added"), "{}", stderr(&loud));
    let quiet = run(&["import-csv", p(&store), p(&input), "--quiet"]);
    assert_exit(&quiet, 0);
    assert!(quiet.stderr.is_empty() && quiet.stdout.is_empty());
    let rm = run(&["rm", p(&store), "0"]);
    assert_exit(&rm, 0);
    assert!(rm.stdout.is_empty());
    assert!(!rm.stderr.is_empty());
}

#[test]
fn every_error_message_starts_with_mmstore() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "k", "v");
    let missing = scratch.path("missing");
    let bad_csv = scratch.file("bad.csv", "a,b\n1\n");
    let bad_json = scratch.file("bad.jsonl", "{\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["get", p(&store), "nope"], ""),
        (vec!["get", p(&missing), "k"], ""),
        (vec!["create", p(&store)], ""),
        (vec!["append", p(&store), "--key", "k", "v"], ""),
        (vec!["append", p(&store), "--key", "", "v"], ""),
        (vec!["append", p(&store), "--jsonl"], "{oops}\n"),
        (vec!["import-csv", p(&store), p(&bad_csv)], ""),
        (vec!["import-json", p(&store), p(&bad_json)], ""),
        (vec!["rm", p(&store), "nope"], ""),
        (vec!["locate", p(&store), "nope"], ""),
        (vec!["ls", p(&missing)], ""),
        (vec!["info", p(&missing)], ""),
        (vec!["physical-size", p(&missing)], ""),
        (vec!["export-json", p(&missing)], ""),
    ];
    for (args, stdin) in cases {
        let out = run_with_stdin(&args, stdin);
        assert_ne!(code(&out), 0, "{args:?} should fail");
        let err = stderr(&out);
        assert!(err.starts_with("mmstore: "), "{args:?}: {err:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed data on failure");
    }
}

/// Runs `args`, reads one line of its stdout, closes the pipe and waits.
fn read_one_line_then_close(args: &[&str]) -> (String, std::process::Output) {
    let mut child = StdCommand::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    drop(reader);
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "{args:?} did not stop after the pipe closed"
        );
        sleep(Duration::from_millis(10));
    }
    (first, child.wait_with_output().unwrap())
}

#[test]
fn a_closed_pipe_is_a_quiet_success() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    // Much more output than a pipe buffers, so the writes after `head` is gone fail.
    fill(&store, 30_000);
    let keys = scratch.file("keys.txt", ls(&store, &[]).join("\n"));
    let big: String = (0..100_000).map(|n| format!("line {n}\n")).collect();
    append(&store, "big", big);
    for args in [
        vec!["get", p(&store), "big"],
        vec!["ls", p(&store)],
        vec!["ls", p(&store), "--json"],
        vec!["ls", p(&store), "-l"],
        vec!["export-json", p(&store)],
        vec!["get", p(&store), "--keys-from", p(&keys)],
    ] {
        let (first, out) = read_one_line_then_close(&args);
        assert!(!first.is_empty(), "{args:?}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {:?}", out.status);
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn ls_piped_into_head_exits_0() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    fill(&store, 30_000);
    let script = format!("set -o pipefail; '{BIN}' ls '{}' | head -1", p(&store));
    let out = StdCommand::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "k0\n");
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}
