//! Helpers shared by the CLI tests: run the real `mmstore` binary, make stores in temporary
//! directories, and capture a store's state (its export and every file's bytes) so that a
//! test can prove a failed command left it exactly as it was.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

/// The binary under test, built by cargo for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_mmstore");

/// A command running the real binary.
pub fn mmstore() -> Command {
    Command::new(BIN)
}

/// A temporary directory that holds one store (`store`) and any input files a test writes.
pub struct Scratch {
    dir: TempDir,
}

impl Scratch {
    /// An empty temporary directory, no store yet.
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// A scratch directory with an empty store at `self.store()`.
    pub fn with_store() -> Scratch {
        let scratch = Scratch::new();
        create(&scratch.store());
        scratch
    }

    /// The path of the test's store (which may or may not exist yet).
    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// A path inside the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `bytes` to the file `name` and returns its path.
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, bytes).expect("write a test input file");
        path
    }
}

/// A path as a command-line argument (temporary directories have UTF-8 names).
pub fn p(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Runs `mmstore` with `args` and an empty stdin.
pub fn run(args: &[&str]) -> Output {
    mmstore().args(args).output().expect("run mmstore")
}

/// Runs `mmstore` with `args`, feeding `stdin`.
pub fn run_with_stdin(args: &[&str], stdin: impl Into<Vec<u8>>) -> Output {
    mmstore()
        .args(args)
        .write_stdin(stdin.into())
        .output()
        .expect("run mmstore")
}

/// The exit code, failing the test when the process died of a signal.
pub fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("mmstore died of a signal: {output:?}"))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing the whole output when it is wrong.
#[track_caller]
pub fn assert_exit(output: &Output, expected: i32) {
    assert_eq!(
        code(output),
        expected,
        "exit code; stdout: {:?}; stderr: {:?}",
        stdout(output),
        stderr(output)
    );
}

/// Asserts success and returns stdout's bytes.
#[track_caller]
pub fn ok(output: Output) -> Vec<u8> {
    assert_exit(&output, 0);
    output.stdout
}

/// Asserts a failure with `expected` exit code and an error message of ours (not clap's):
/// it starts with `mmstore: `. Returns stderr.
#[track_caller]
pub fn fails(output: &Output, expected: i32) -> String {
    assert_exit(output, expected);
    let err = stderr(output);
    assert!(
        err.starts_with("mmstore: "),
        "error message must start with `mmstore: `: {err:?}"
    );
    err
}

/// Asserts exit 3 with a message naming the 1-based input line `line`.
#[track_caller]
pub fn fails_as_bad_input_at(output: &Output, line: u64) -> String {
    let err = fails(output, 3);
    assert!(
        err.contains(&format!("line {line}")),
        "the message must name input line {line}: {err:?}"
    );
    err
}

/// `mmstore create STORE`.
pub fn create(store: &Path) {
    ok(run(&["create", p(store)]));
}

/// Appends one record with an explicit key, the value through stdin (any bytes).
pub fn append(store: &Path, key: &str, value: impl AsRef<[u8]>) {
    ok(run_with_stdin(
        &["append", p(store), "--key", key],
        value.as_ref(),
    ));
}

/// Appends JSON Lines through stdin, keys from the field `id`.
pub fn append_jsonl(store: &Path, lines: &str) {
    ok(run_with_stdin(
        &["append", p(store), "--jsonl", "--key-field", "id"],
        lines,
    ));
}

/// Appends `count` records `k0`, `k1`, … with values `{"id":"kN","n":N}` in one batch.
pub fn fill(store: &Path, count: usize) {
    let lines: String = (0..count)
        .map(|n| format!("{{\"id\":\"k{n}\",\"n\":{n}}}\n"))
        .collect();
    append_jsonl(store, &lines);
}

/// The exact bytes `mmstore get STORE KEY` writes.
pub fn get(store: &Path, key: &str) -> Vec<u8> {
    ok(run(&["get", p(store), key]))
}

/// The exit code of `mmstore get STORE KEY`.
pub fn get_code(store: &Path, key: &str) -> i32 {
    code(&run(&["get", p(store), key]))
}

/// `mmstore ls STORE [ARGS]`, one key a line.
pub fn ls(store: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["ls", p(store)];
    all.extend_from_slice(args);
    let out = ok(run(&all));
    String::from_utf8(out)
        .expect("ls prints UTF-8")
        .lines()
        .map(str::to_string)
        .collect()
}

/// `mmstore ls STORE --json [ARGS]`, parsed.
pub fn ls_json(store: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["ls", p(store), "--json"];
    all.extend_from_slice(args);
    json_lines(&ok(run(&all)))
}

/// Parses JSON Lines.
pub fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    std::str::from_utf8(bytes)
        .expect("JSON Lines are UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// Parses one JSON document.
pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("a JSON document")
}

/// `mmstore info STORE --json`, parsed.
pub fn info(store: &Path) -> serde_json::Value {
    json(&ok(run(&["info", p(store), "--json"])))
}

/// The output of `mmstore export-json STORE`.
pub fn export(store: &Path) -> Vec<u8> {
    ok(run(&["export-json", p(store)]))
}

/// Every file of the store but the lock (whose content is the last writer's PID), by name.
pub fn store_files(store: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(store)
        .expect("list the store")
        .map(|entry| entry.expect("a directory entry"))
        .filter(|entry| entry.file_name() != "lock")
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, fs::read(entry.path()).expect("read a store file"))
        })
        .collect()
}

/// What a store holds and how it lies on disk, to compare before and after a command.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub export: Vec<u8>,
    pub files: BTreeMap<String, Vec<u8>>,
}

pub fn snapshot(store: &Path) -> Snapshot {
    Snapshot {
        export: export(store),
        files: store_files(store),
    }
}

/// Asserts that the store is byte for byte what `before` captured.
#[track_caller]
pub fn assert_unchanged(store: &Path, before: &Snapshot) {
    let after = snapshot(store);
    assert_eq!(
        String::from_utf8_lossy(&after.export),
        String::from_utf8_lossy(&before.export),
        "the export changed"
    );
    assert_eq!(
        after.files.keys().collect::<Vec<_>>(),
        before.files.keys().collect::<Vec<_>>(),
        "the store's files changed"
    );
    for (name, bytes) in &before.files {
        assert!(
            after.files[name] == *bytes,
            "the bytes of {name} changed ({} -> {} bytes)",
            bytes.len(),
            after.files[name].len()
        );
    }
}
