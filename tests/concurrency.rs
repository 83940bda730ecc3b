//! One writer at a time, readers never blocked and never torn (SPEC §2): a second writer
//! exits 5 naming the holder's PID, `--wait` gets in once the first is done, readers looping
//! over `ls`, `get` and `export-json` while a writer commits batches see each batch whole or
//! not at all, and a reader that opened the store before a vacuum reads every record during
//! and after the swap.

mod harness;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use harness::{Outcome, mmstore, read_state, run, run_with_env};
use mmstore::{State, Store};

fn create(store: &Path) {
    let created = run([OsStr::new("create"), store.as_os_str()], None);
    assert_eq!(created.code(), Some(0), "{}", created.describe());
}

/// A writer holding the lock: `append --jsonl` reading stdin, which stays open until
/// `finish`.
struct HeldWriter {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl HeldWriter {
    fn start(store: &Path, extra: &[&str]) -> HeldWriter {
        let mut child = mmstore()
            .args(extra)
            .arg("append")
            .arg(store)
            .args(["--jsonl", "--key-field", "k"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{{\"k\":\"held\",\"v\":1}}").unwrap();
        HeldWriter {
            child,
            stdin: Some(stdin),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the writer holds the lock (its PID is in the lock file).
    fn wait_for_lock(&mut self, store: &Path) {
        let started = Instant::now();
        while fs::read_to_string(store.join("lock"))
            .unwrap_or_default()
            .trim()
            != self.pid().to_string()
        {
            assert!(self.child.try_wait().unwrap().is_none(), "the writer ended");
            assert!(started.elapsed() < Duration::from_secs(30));
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Closes stdin: the writer commits and exits.
    fn finish(mut self) -> Outcome {
        drop(self.stdin.take());
        let output = self.child.wait_with_output().unwrap();
        Outcome {
            status: output.status,
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

#[test]
fn a_second_writer_exits_5_naming_the_pid_of_the_holder_and_readers_are_not_blocked() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    create(&store);
    let seeded = run(
        [
            OsStr::new("append"),
            store.as_os_str(),
            OsStr::new("--key"),
            OsStr::new("a"),
            OsStr::new("1"),
        ],
        None,
    );
    assert_eq!(seeded.code(), Some(0));
    let mut holder = HeldWriter::start(&store, &[]);
    holder.wait_for_lock(&store);
    let csv = root.path().join("in.csv");
    fs::write(&csv, "k,v\nx,1\n").unwrap();
    let s = store.as_os_str();
    let o = OsStr::new;
    for args in [
        vec![o("append"), s, o("--key"), o("b"), o("2")],
        vec![o("import-csv"), s, csv.as_os_str()],
        vec![o("rm"), s, o("a")],
        vec![o("vacuum"), s],
        vec![o("check"), s, o("--repair")],
    ] {
        let started = Instant::now();
        let second = run(&args, None);
        assert_eq!(second.code(), Some(5), "{args:?}: {}", second.describe());
        assert!(
            second.stderr.starts_with("mmstore: ")
                && second.stderr.contains(&format!("pid {}", holder.pid())),
            "{args:?}: {}",
            second.stderr
        );
        assert!(started.elapsed() < Duration::from_secs(5), "it waited");
    }
    // Readers take no lock.
    for args in [
        vec![o("get"), s, o("a")],
        vec![o("ls"), s],
        vec![o("export-json"), s],
        vec![o("info"), s],
        vec![o("check"), s],
    ] {
        let reader = run(&args, None);
        assert_eq!(reader.code(), Some(0), "{args:?}: {}", reader.describe());
    }
    let first = holder.finish();
    assert_eq!(first.code(), Some(0), "{}", first.describe());
    let state = read_state(&store, true).unwrap();
    assert_eq!(state.keys(), ["a", "held"]);
}

#[test]
fn wait_gets_the_second_writer_in_once_the_first_finishes() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    create(&store);
    let mut holder = HeldWriter::start(&store, &[]);
    holder.wait_for_lock(&store);
    let mut waiting = mmstore()
        .args(["--wait", "append"])
        .arg(&store)
        .args(["--key", "second", "after the first"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "the second writer did not wait"
    );
    let first = holder.finish();
    assert_eq!(first.code(), Some(0), "{}", first.describe());
    let started = Instant::now();
    let second = loop {
        if let Some(status) = waiting.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "still waiting");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(second.code(), Some(0));
    let state = read_state(&store, true).unwrap();
    assert_eq!(state.keys(), ["held", "second"]);
    assert_eq!(state.get("second"), Some(&b"after the first"[..]));
}

const BATCHES: usize = 14;
const BATCH: usize = 250;

fn batch_key(batch: usize, i: usize) -> String {
    format!("b{batch:02}-{i:04}")
}

/// The batch a key belongs to.
fn batch_of(key: &str) -> Option<usize> {
    key.strip_prefix('b')?.split('-').next()?.parse().ok()
}

/// Checks that `keys` (as one reader saw them) hold each batch whole or not at all; `what`
/// names the reader for messages.
fn whole_batches<'a>(keys: impl Iterator<Item = &'a str>, what: &str) -> Result<(), String> {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for key in keys {
        if let Some(batch) = batch_of(key) {
            *counts.entry(batch).or_default() += 1;
        }
    }
    match counts.iter().find(|(_, n)| **n != BATCH) {
        Some((batch, n)) => Err(format!(
            "{what} saw {n} of the {BATCH} records of batch {batch}"
        )),
        None => Ok(()),
    }
}

/// One round of every reader: `ls`, `get --keys-from` (every key of every batch) and
/// `export-json`, each of which must succeed and see whole batches only.
fn read_round(store: &Path, all_keys: &Path) -> Result<usize, String> {
    let s = store.as_os_str();
    let ls = run([OsStr::new("ls"), s], None);
    if ls.code() != Some(0) {
        return Err(format!("ls: {}", ls.describe()));
    }
    let listed = ls.stdout_text();
    whole_batches(listed.lines(), "ls")?;
    let got = run(
        [
            OsStr::new("get"),
            s,
            OsStr::new("--keys-from"),
            all_keys.as_os_str(),
        ],
        None,
    );
    // Exit 1: some keys are not (yet, or any more) in the store; the rest are printed.
    if !matches!(got.code(), Some(0 | 1)) {
        return Err(format!("get: {}", got.describe()));
    }
    let envelopes: Vec<serde_json::Value> = got
        .stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).map_err(|e| format!("get printed {l:?}: {e}")))
        .collect::<Result<_, _>>()?;
    for envelope in &envelopes {
        let key = envelope["key"].as_str().unwrap_or_default();
        let tag = envelope["value"]["batch"].as_u64();
        if tag != batch_of(key).map(|b| b as u64) {
            return Err(format!(
                "get: {key} carries the tag of another batch: {envelope}"
            ));
        }
    }
    whole_batches(
        envelopes
            .iter()
            .map(|e| e["key"].as_str().unwrap_or_default()),
        "get",
    )?;
    let exported = run([OsStr::new("export-json"), s], None);
    if exported.code() != Some(0) {
        return Err(format!("export-json: {}", exported.describe()));
    }
    let text = exported.stdout_text();
    let keys: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .map(|v| v["key"].as_str().unwrap_or_default().to_string())
                .map_err(|e| format!("export-json printed {l:?}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    whole_batches(keys.iter().map(String::as_str), "export-json")?;
    Ok(listed.lines().count())
}

#[test]
fn readers_in_a_loop_never_fail_and_never_see_part_of_a_batch() {
    readers_race_a_writer(&[]);
}

/// The same with a writer that stages its index slots and writes them into the index file
/// every 32 entries, in the middle of its batches, while the readers probe that file.
#[test]
fn readers_in_a_loop_never_see_part_of_a_batch_whose_index_slots_are_staged() {
    readers_race_a_writer(&[
        ("MMSTORE_STAGE_INDEX_FROM", "0"),
        ("MMSTORE_STAGE_PENDING_SLOTS", "64"),
    ]);
}

fn readers_race_a_writer(writer_env: &'static [(&'static str, &'static str)]) {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    create(&store);
    let mut all_keys = String::new();
    let mut inputs: Vec<PathBuf> = Vec::new();
    for batch in 0..BATCHES {
        let mut text = String::new();
        for i in 0..BATCH {
            let key = batch_key(batch, i);
            text.push_str(&format!(
                "{{\"k\":\"{key}\",\"batch\":{batch},\"i\":{i}}}\n"
            ));
            all_keys.push_str(&key);
            all_keys.push('\n');
        }
        let path = root.path().join(format!("batch-{batch}.jsonl"));
        fs::write(&path, text).unwrap();
        inputs.push(path);
    }
    let keys_file = root.path().join("all-keys.txt");
    fs::write(&keys_file, all_keys).unwrap();
    // The writer: every batch appended in one command; batch 3 deleted in one command
    // midway, and a vacuum, so readers also race a delete and a generation swap.
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let store = store.clone();
        let done = Arc::clone(&done);
        let root = root.path().to_path_buf();
        std::thread::spawn(move || {
            for (batch, input) in inputs.iter().enumerate() {
                let appended = run_with_env(
                    [
                        OsStr::new("append"),
                        store.as_os_str(),
                        OsStr::new("--jsonl"),
                        OsStr::new("--key-field"),
                        OsStr::new("k"),
                        OsStr::new("--input"),
                        input.as_os_str(),
                    ],
                    None,
                    writer_env,
                );
                assert_eq!(appended.code(), Some(0), "{}", appended.describe());
                if batch == 6 {
                    let keys = root.join("batch-3-keys.txt");
                    let list: Vec<String> = (0..BATCH).map(|i| batch_key(3, i)).collect();
                    fs::write(&keys, list.join("\n")).unwrap();
                    let removed = run_with_env(
                        [
                            OsStr::new("rm"),
                            store.as_os_str(),
                            OsStr::new("--keys-from"),
                            keys.as_os_str(),
                        ],
                        None,
                        writer_env,
                    );
                    assert_eq!(removed.code(), Some(0), "{}", removed.describe());
                }
                if batch == 9 {
                    let vacuumed = run([OsStr::new("vacuum"), store.as_os_str()], None);
                    assert_eq!(vacuumed.code(), Some(0), "{}", vacuumed.describe());
                }
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let store = store.clone();
            let keys_file = keys_file.clone();
            let done = Arc::clone(&done);
            std::thread::spawn(move || -> Result<(usize, usize), String> {
                let mut rounds = 0;
                let mut largest = 0;
                while !done.load(Ordering::SeqCst) {
                    largest = largest.max(read_round(&store, &keys_file)?);
                    rounds += 1;
                }
                Ok((rounds, largest))
            })
        })
        .collect();
    writer.join().unwrap();
    let mut rounds = 0;
    for reader in readers {
        let (n, _) = reader
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("a reader: {e}"));
        rounds += n;
    }
    assert!(
        rounds >= 4,
        "only {rounds} reader rounds ran during the writes"
    );
    // Afterwards: every batch but the deleted one.
    let listed = read_round(&store, &keys_file).unwrap();
    assert_eq!(listed, (BATCHES - 1) * BATCH);
}

#[test]
fn a_reader_that_opened_before_a_vacuum_reads_every_record_during_and_after_the_swap() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let mut rng = harness::Rng::new(0x5ca1ab1e);
    harness::build_store(&store, &root.path().join("work"), 20_000, &mut rng);
    // Make the vacuum worth it: delete a lot.
    let model = read_state(&store, true).unwrap();
    let doomed: Vec<String> = model.keys().into_iter().step_by(2).collect();
    let doomed_file = root.path().join("doomed.txt");
    fs::write(&doomed_file, doomed.join("\n")).unwrap();
    let removed = run(
        [
            OsStr::new("rm"),
            store.as_os_str(),
            OsStr::new("--keys-from"),
            doomed_file.as_os_str(),
        ],
        None,
    );
    assert_eq!(removed.code(), Some(0), "{}", removed.describe());
    let expected = read_state(&store, true).unwrap();
    let old = Arc::new(Store::open(&store).unwrap());
    let old_generation = old.stats().generation;
    let read_all = |store: &Store| -> Vec<(String, Vec<u8>)> {
        store
            .records(true)
            .map(|r| r.unwrap())
            .filter(|(_, state)| *state == State::Live)
            .map(|(r, _)| (r.key.to_string(), r.value.to_vec()))
            .collect()
    };
    let expected_records: Vec<(String, Vec<u8>)> = expected.records().cloned().collect();
    assert_eq!(read_all(&old), expected_records);
    // During: a thread reads everything through the old store, again and again.
    let vacuuming = Arc::new(AtomicBool::new(true));
    let during = {
        let old = Arc::clone(&old);
        let vacuuming = Arc::clone(&vacuuming);
        let expected_records = expected_records.clone();
        std::thread::spawn(move || {
            let mut rounds = 0;
            while vacuuming.load(Ordering::SeqCst) || rounds == 0 {
                assert_eq!(read_all(&old), expected_records, "round {rounds}");
                for (key, value) in expected_records.iter().step_by(97) {
                    assert_eq!(old.get(key).unwrap().unwrap().value, value.as_slice());
                }
                rounds += 1;
            }
            rounds
        })
    };
    let vacuumed = run([OsStr::new("vacuum"), store.as_os_str()], None);
    vacuuming.store(false, Ordering::SeqCst);
    assert_eq!(vacuumed.code(), Some(0), "{}", vacuumed.describe());
    let rounds = during.join().unwrap();
    assert!(rounds >= 1);
    // The old files are gone from the directory, yet the old store still reads them.
    let new = Store::open(&store).unwrap();
    assert_eq!(new.stats().generation, old_generation + 1);
    assert!(!store.join(old.body_file_name()).exists());
    assert_eq!(read_all(&old), expected_records);
    assert_eq!(read_all(&new), expected_records);
}
