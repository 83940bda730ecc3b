//! What the reliability tests share: running the real binary, a seeded random generator, a
//! model of what a store must hold (live records in append order and the next auto key), the
//! store's actual state read through the library, and a workload of writing commands whose
//! outcome the model predicts exactly, so that a test can tell "before the command",
//! "after the command" and "anything else" apart.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::fs::FileExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use mmstore::{State, Store};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_mmstore");

/// A command running the binary, with no failpoint inherited from our environment.
pub fn mmstore() -> Command {
    let mut command = Command::new(BIN);
    command.env_remove("MMSTORE_FAILPOINT");
    command.stdin(Stdio::null());
    command
}

/// How a finished process ended.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Outcome {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
    pub fn signal(&self) -> Option<i32> {
        self.status.signal()
    }
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    /// "exit 4: mmstore: ..." or "signal 9", for assertion messages.
    pub fn describe(&self) -> String {
        match (self.code(), self.signal()) {
            (Some(code), _) => format!("exit {code}: {}", self.stderr.trim_end()),
            (None, Some(signal)) => format!("signal {signal}: {}", self.stderr.trim_end()),
            _ => format!("{:?}", self.status),
        }
    }
}

/// Runs the binary to completion with `args`, and `failpoint` in the environment if given.
pub fn run<I, S>(args: I, failpoint: Option<&str>) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_with_env(args, failpoint, &[])
}

/// [`run`] with more environment variables set.
pub fn run_with_env<I, S>(args: I, failpoint: Option<&str>, env: &[(&str, &str)]) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = mmstore();
    command.args(args);
    command.envs(env.iter().copied());
    if let Some(point) = failpoint {
        command.env("MMSTORE_FAILPOINT", point);
    }
    let output = command.output().expect("cannot run mmstore");
    Outcome {
        status: output.status,
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `mmstore check STORE`'s exit code (-signal for a signal) and report.
pub fn check(store: &Path) -> Outcome {
    run([OsStr::new("check"), store.as_os_str()], None)
}

/// `mmstore check --repair STORE` (with `--drop-corrupt` when asked).
pub fn repair(store: &Path, drop_corrupt: bool) -> Outcome {
    let mut args = vec![
        OsStr::new("check"),
        store.as_os_str(),
        OsStr::new("--repair"),
    ];
    if drop_corrupt {
        args.push(OsStr::new("--drop-corrupt"));
    }
    run(args, None)
}

/// Asserts that a command ended the way a user may see: an exit code in `allowed` with a
/// message, never a panic (101) or a signal.
pub fn assert_orderly(outcome: &Outcome, allowed: &[i32], what: &str) {
    match outcome.code() {
        Some(code) if allowed.contains(&code) => {
            if code != 0 {
                assert!(
                    outcome.stderr.contains("mmstore: "),
                    "{what}: exit {code} without a message: {:?}",
                    outcome.stderr
                );
            }
        }
        _ => panic!("{what}: {}", outcome.describe()),
    }
}

/// A small, seeded generator (SplitMix64): the same seed, the same workload.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// Uniform in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }
    /// Log-uniform in `low..=high`: small and large sizes alike.
    pub fn log_range(&mut self, low: u64, high: u64) -> u64 {
        let (l, h) = ((low.max(1) as f64).ln(), (high as f64).ln());
        let x = l + (h - l) * self.unit();
        (x.exp() as u64).clamp(low, high)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
    /// Text with quotes, backslashes, commas, tabs, line feeds and multi-byte characters,
    /// `len` characters long.
    pub fn text(&mut self, len: usize) -> String {
        const ALPHABET: [&str; 24] = [
            "a", "b", "c", "x", "y", "z", "0", "7", " ", " ", ",", ";", "\"", "\\", "/", "\t",
            "\n", "é", "€", "ß", "😀", "ключ", "{", "\u{1}",
        ];
        (0..len).map(|_| *self.pick(&ALPHABET)).collect()
    }
    /// Text of up to `max` characters, short lengths as likely as long ones.
    pub fn text_upto(&mut self, max: u64) -> String {
        let len = self.log_range(0, max) as usize;
        self.text(len)
    }
}

/// A seed from the environment variable `name` (decimal or 0x-hex), or `default`.
pub fn seed_from_env(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}={text:?} is not a number"))
        }
        Err(_) => default,
    }
}

/// What `--on-duplicate` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dup {
    Error,
    Replace,
    Skip,
}

impl Dup {
    pub fn flag(self) -> &'static str {
        match self {
            Dup::Error => "error",
            Dup::Replace => "replace",
            Dup::Skip => "skip",
        }
    }
}

/// What a store must hold: its live records in append order, and the next auto key.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Live records by the order in which they were appended.
    order: BTreeMap<u64, (String, Vec<u8>)>,
    by_key: HashMap<String, u64>,
    appended: u64,
    pub next_seq: u64,
}

impl PartialEq for Model {
    fn eq(&self, other: &Model) -> bool {
        self.next_seq == other.next_seq
            && self.order.len() == other.order.len()
            && self.order.values().eq(other.order.values())
    }
}

impl Model {
    /// The live records in append order.
    pub fn records(&self) -> impl Iterator<Item = &(String, Vec<u8>)> {
        self.order.values()
    }

    pub fn keys(&self) -> Vec<String> {
        self.records().map(|(k, _)| k.clone()).collect()
    }

    pub fn get(&self, key: &str) -> Option<&[u8]> {
        let at = self.by_key.get(key)?;
        Some(self.order[at].1.as_slice())
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Appends a record the way the writer does; `Err` when the batch must fail (a duplicate
    /// under `--on-duplicate error`).
    pub fn put(&mut self, key: &str, value: &[u8], dup: Dup) -> Result<(), String> {
        if self.by_key.contains_key(key) {
            match dup {
                Dup::Error => return Err(format!("duplicate key {key:?}")),
                Dup::Skip => return Ok(()),
                Dup::Replace => {
                    self.delete(key);
                }
            }
        }
        self.push(key, value);
        self.next_seq += 1;
        Ok(())
    }

    fn push(&mut self, key: &str, value: &[u8]) {
        self.appended += 1;
        self.order
            .insert(self.appended, (key.to_string(), value.to_vec()));
        self.by_key.insert(key.to_string(), self.appended);
    }

    /// Appends a record under the next auto key.
    pub fn put_auto(&mut self, value: &[u8]) -> Result<String, String> {
        let key = self.next_seq.to_string();
        self.put(&key, value, Dup::Error)?;
        Ok(key)
    }

    pub fn delete(&mut self, key: &str) -> bool {
        match self.by_key.remove(key) {
            Some(at) => {
                self.order.remove(&at);
                true
            }
            None => false,
        }
    }

    /// Replaces the value of a live record in place (to plant damage in a model).
    pub fn set_value(&mut self, key: &str, value: Vec<u8>) {
        let at = self.by_key[key];
        self.order.get_mut(&at).unwrap().1 = value;
    }

    /// The first difference from `other`, for assertion messages.
    pub fn difference(&self, other: &Model) -> Option<String> {
        if self == other {
            return None;
        }
        if self.next_seq != other.next_seq {
            return Some(format!("next_seq {} vs {}", self.next_seq, other.next_seq));
        }
        if self.len() != other.len() {
            let extra: Vec<_> = self
                .by_key
                .keys()
                .filter(|k| !other.by_key.contains_key(*k))
                .take(3)
                .collect();
            let missing: Vec<_> = other
                .by_key
                .keys()
                .filter(|k| !self.by_key.contains_key(*k))
                .take(3)
                .collect();
            return Some(format!(
                "{} records vs {}; extra {extra:?}, missing {missing:?}",
                self.len(),
                other.len()
            ));
        }
        for (i, (a, b)) in self.records().zip(other.records()).enumerate() {
            if a != b {
                return Some(format!(
                    "record {i}: {:?} ({} bytes) vs {:?} ({} bytes)",
                    a.0,
                    a.1.len(),
                    b.0,
                    b.1.len()
                ));
            }
        }
        Some("unknown difference".into())
    }
}

/// What a store holds, read through the library: every live record in append order (each
/// checksum verified when `verify`), and the next auto key. When `verify`, each record is
/// also looked up by key, so the index must agree with the table.
pub fn read_state(dir: &Path, verify: bool) -> Result<Model, String> {
    read_state_with(dir, verify, verify)
}

/// [`read_state`], with the checksums and the index checked separately.
pub fn read_state_with(dir: &Path, verify: bool, check_index: bool) -> Result<Model, String> {
    let store = Store::open(dir).map_err(|e| format!("cannot open: {e}"))?;
    let mut model = Model {
        next_seq: store.stats().next_seq,
        ..Model::default()
    };
    for item in store.records(verify) {
        let (record, state) = item.map_err(|e| format!("cannot read: {e}"))?;
        if state == State::Live {
            if model.get(record.key).is_some() {
                return Err(format!("{:?} is live twice", record.key));
            }
            model.push(record.key, record.value);
        }
    }
    if model.len() as u64 != store.live_count() {
        return Err(format!(
            "{} live records in the table, the header says {}",
            model.len(),
            store.live_count()
        ));
    }
    if check_index {
        for (key, value) in model.records() {
            match store.get(key) {
                Ok(Some(record)) if record.value == value.as_slice() => {}
                Ok(Some(_)) => return Err(format!("get({key:?}) finds another value")),
                Ok(None) => return Err(format!("get({key:?}) finds nothing")),
                Err(e) => return Err(format!("get({key:?}): {e}")),
            }
        }
    }
    Ok(model)
}

/// Asserts that `get` finds none of `keys` (keys that must not be live).
pub fn absent_keys_found(dir: &Path, keys: &[String]) -> Result<Vec<String>, String> {
    let store = Store::open(dir).map_err(|e| format!("cannot open: {e}"))?;
    let mut found = Vec::new();
    for key in keys {
        if store.get(key).map_err(|e| e.to_string())?.is_some() {
            found.push(key.clone());
        }
    }
    Ok(found)
}

/// Files of the store that its commit point does not name (besides `header` and `lock`):
/// what an interrupted writer left behind.
pub fn stray_files(dir: &Path) -> Vec<String> {
    let Ok(store) = Store::open(dir) else {
        return vec!["<the store does not open>".into()];
    };
    let keep = [
        "header".to_string(),
        "lock".to_string(),
        store.body_file_name(),
        store.lookup_file_name(),
        store.index_file_name(),
    ];
    let mut stray: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !keep.contains(name))
        .collect();
    stray.sort();
    stray
}

/// Every file of a directory with its bytes (the lock file left out: it holds the PID of the
/// last writer), to compare a store byte for byte.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != "lock")
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = if e.file_type().unwrap().is_dir() {
                b"<dir>".to_vec()
            } else {
                fs::read(e.path()).unwrap()
            };
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

/// The first file that differs between two snapshots.
pub fn snapshot_difference(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) -> Option<String> {
    let names = |s: &[(String, Vec<u8>)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    if names(a) != names(b) {
        return Some(format!("files {:?} vs {:?}", names(a), names(b)));
    }
    for ((name, x), (_, y)) in a.iter().zip(b) {
        if x != y {
            let at = x.iter().zip(y).position(|(p, q)| p != q);
            return Some(format!(
                "{name}: {} vs {} bytes, first difference at {at:?}",
                x.len(),
                y.len()
            ));
        }
    }
    None
}

/// Copies a store directory (plain files only, as stores are).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Flips the bits of one byte of a file in place.
pub fn flip_byte(path: &Path, offset: u64) {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, offset).unwrap();
    byte[0] ^= 0xff;
    file.write_all_at(&byte, offset).unwrap();
}

/// Damages the tag of the first filled slot of the store's index (the entry number stays,
/// so the slot still points into the table but no longer matches its entry).
pub fn corrupt_index_slot(dir: &Path) {
    let path = dir.join(Store::open(dir).unwrap().index_file_name());
    let bytes = fs::read(&path).unwrap();
    let slot = bytes
        .chunks_exact(8)
        .position(|s| s.iter().any(|&b| b != 0))
        .expect("a filled slot");
    flip_byte(&path, slot as u64 * 8 + 7);
}

/// Flips one byte of the value of the live record `key` in the body; returns the damaged
/// value as it now lies on disk.
pub fn corrupt_value(dir: &Path, key: &str, at: usize) -> Vec<u8> {
    let (path, offset, mut value) = {
        let store = Store::open(dir).unwrap();
        let record = store.get(key).unwrap().expect("the key is live");
        assert!(at < record.value.len());
        (
            dir.join(store.body_file_name()),
            record.entry.offset() + record.entry.key_len() as u64 + at as u64,
            record.value.to_vec(),
        )
    };
    flip_byte(&path, offset);
    value[at] ^= 0xff;
    value
}

// ---------------------------------------------------------------------------------------
// The workload: writing commands whose effect the model predicts exactly.

/// Kinds of writing command in the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    AppendJsonl,
    ImportCsv,
    ImportJson,
    Rm,
    AppendOne,
    AppendAuto,
    Vacuum,
    Repair,
    RepairDropCorrupt,
}

pub const KINDS: [Kind; 9] = [
    Kind::AppendJsonl,
    Kind::ImportCsv,
    Kind::ImportJson,
    Kind::Rm,
    Kind::AppendOne,
    Kind::AppendAuto,
    Kind::Vacuum,
    Kind::Repair,
    Kind::RepairDropCorrupt,
];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::AppendJsonl => "append --jsonl",
            Kind::ImportCsv => "import-csv",
            Kind::ImportJson => "import-json",
            Kind::Rm => "rm --keys-from",
            Kind::AppendOne => "append --key --file",
            Kind::AppendAuto => "append (auto key)",
            Kind::Vacuum => "vacuum",
            Kind::Repair => "check --repair",
            Kind::RepairDropCorrupt => "check --repair --drop-corrupt",
        }
    }
}

/// One planned command: its arguments, the exit code it gives when it runs to the end, and
/// the store's state before and after it.
#[derive(Debug, Clone)]
pub struct Op {
    pub kind: Kind,
    pub args: Vec<OsString>,
    pub expected_exit: i32,
    pub before: Model,
    pub after: Model,
    /// The before-state holds this key with a value that fails its checksum (planted for
    /// `--drop-corrupt`), so reading it must not verify and `check` exits 4 on it.
    pub corrupt_key: Option<String>,
    /// Keys the command touches that must not be live afterwards (deleted or never added).
    pub gone_keys: Vec<String>,
    /// The before-state's index is damaged (planted for a repair): records are not looked
    /// up by key.
    pub index_damaged: bool,
}

impl Op {
    /// What the store holds now, if it is exactly the state before or after this command.
    pub fn which_state(&self, dir: &Path) -> Result<Which, String> {
        let actual = match &self.corrupt_key {
            None => read_state_with(dir, true, !self.index_damaged)?,
            Some(planted) => {
                // The planted damage is expected; everything else must still verify.
                verify_all_but(dir, planted)?;
                read_state(dir, false)?
            }
        };
        if actual == self.after {
            return Ok(Which::After);
        }
        if actual == self.before {
            return Ok(Which::Before);
        }
        Err(format!(
            "the store is neither the state before the command ({}) nor after it ({})",
            actual.difference(&self.before).unwrap_or_default(),
            actual.difference(&self.after).unwrap_or_default()
        ))
    }
}

/// Verifies the checksum of every live record except that of `skip`.
fn verify_all_but(dir: &Path, skip: &str) -> Result<(), String> {
    let store = Store::open(dir).map_err(|e| format!("cannot open: {e}"))?;
    for item in store.records(false) {
        let (record, state) = item.map_err(|e| format!("cannot read: {e}"))?;
        if state != State::Live || record.key == skip {
            continue;
        }
        store
            .record_at(record.entry_index, true)
            .map_err(|e| format!("record {:?}: {e}", record.key))?;
    }
    Ok(())
}

/// Where a store was found after an interrupted command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Before,
    After,
}

/// Plans workload commands against one store; input files go into `work`.
pub struct Planner {
    pub store: PathBuf,
    pub work: PathBuf,
    /// Keys are drawn from `k0..k{key_space}` and a few exotic forms of them.
    pub key_space: u64,
}

impl Planner {
    pub fn new(store: &Path, work: &Path, key_space: u64) -> Planner {
        fs::create_dir_all(work).unwrap();
        Planner {
            store: store.to_path_buf(),
            work: work.to_path_buf(),
            key_space,
        }
    }

    fn input(&mut self, extension: &str, bytes: &[u8]) -> PathBuf {
        // Unique in the process, so that planners sharing a work directory never collide.
        static INPUTS: AtomicU64 = AtomicU64::new(0);
        let n = INPUTS.fetch_add(1, Ordering::Relaxed);
        let path = self.work.join(format!("input-{n}.{extension}"));
        fs::write(&path, bytes).unwrap();
        path
    }

    /// A key: mostly `k123`, sometimes with `/`, `..`, or non-ASCII letters in it.
    pub fn key(&self, rng: &mut Rng) -> String {
        let n = rng.below(self.key_space);
        match n % 7 {
            0 => format!("dir/../ключ-{n}"),
            1 => format!("k{n}/é"),
            _ => format!("k{n}"),
        }
    }

    fn dup(rng: &mut Rng) -> Dup {
        match rng.below(10) {
            0 => Dup::Skip,
            1 => Dup::Error,
            _ => Dup::Replace,
        }
    }

    /// Plans one command of `kind` of about `size` records against a store holding `model`.
    /// `RepairDropCorrupt` damages one live record of the store first.
    pub fn plan(&mut self, rng: &mut Rng, kind: Kind, size: u64, model: &Model) -> Op {
        let store = self.store.as_os_str().to_owned();
        let mut before = model.clone();
        let mut after = model.clone();
        let mut expected_exit = 0;
        let mut corrupt_key = None;
        let mut gone_keys = Vec::new();
        let args: Vec<OsString> = match kind {
            Kind::AppendJsonl => {
                let dup = Self::dup(rng);
                let mut text = String::new();
                let mut failed = false;
                for i in 0..size {
                    let key = self.key(rng);
                    let line = serde_json::to_string(&serde_json::json!({
                        "k": key,
                        "v": rng.text_upto(300),
                        "n": i,
                    }))
                    .unwrap();
                    if rng.chance(0.05) {
                        text.push_str("  \t");
                    }
                    text.push_str(&line);
                    if rng.chance(0.05) {
                        text.push(' ');
                    }
                    text.push_str(if rng.chance(0.2) { "\r\n" } else { "\n" });
                    if rng.chance(0.02) {
                        text.push('\n'); // a blank line, skipped
                    }
                    failed |= after.put(&key, line.as_bytes(), dup).is_err();
                }
                if failed {
                    expected_exit = 3;
                    after = before.clone();
                }
                let input = self.input("jsonl", text.as_bytes());
                vec![
                    "append".into(),
                    store,
                    "--jsonl".into(),
                    "--key-field".into(),
                    "k".into(),
                    "--on-duplicate".into(),
                    dup.flag().into(),
                    "--input".into(),
                    input.into(),
                ]
            }
            Kind::ImportCsv => {
                let dup = Self::dup(rng);
                let end = if rng.chance(0.3) { "\r\n" } else { "\n" };
                let mut text = format!("key,a,b{end}");
                let mut failed = false;
                let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                for _ in 0..size {
                    let key = self.key(rng);
                    let a = rng.text_upto(200);
                    let b = rng.text_upto(20);
                    text.push_str(&format!("{},{},{}{end}", quote(&key), quote(&a), quote(&b)));
                    let json = |s: &str| serde_json::to_string(s).unwrap();
                    let value = format!(
                        "{{\"key\":{},\"a\":{},\"b\":{}}}",
                        json(&key),
                        json(&a),
                        json(&b)
                    );
                    failed |= after.put(&key, value.as_bytes(), dup).is_err();
                }
                if failed {
                    expected_exit = 3;
                    after = before.clone();
                }
                let input = self.input("csv", text.as_bytes());
                vec![
                    "import-csv".into(),
                    store,
                    input.into(),
                    "--key-column".into(),
                    "key".into(),
                    "--on-duplicate".into(),
                    dup.flag().into(),
                ]
            }
            Kind::ImportJson => {
                let dup = Self::dup(rng);
                let mut text = String::new();
                let mut failed = false;
                for i in 0..size {
                    let key = self.key(rng);
                    let value: Vec<u8> = if rng.chance(0.5) {
                        let raw = match rng.below(4) {
                            0 => format!("{{\"a\": [1, 2.50, \"{i}\"], \"b\" :null}}"),
                            1 => format!("{}", rng.next_u64() as i64),
                            2 => serde_json::to_string(&rng.text(30)).unwrap(),
                            _ => format!("[{i},{{\"x\":true}}]"),
                        };
                        text.push_str(&format!(
                            "{{\"key\":{},\"value\":{raw}}}\n",
                            serde_json::to_string(&key).unwrap()
                        ));
                        raw.into_bytes()
                    } else {
                        let n = rng.log_range(0, 2000) as usize;
                        let bytes = rng.bytes(n);
                        text.push_str(&format!(
                            "{{\"key\":{},\"value_base64\":\"{}\"}}\n",
                            serde_json::to_string(&key).unwrap(),
                            base64::engine::general_purpose::STANDARD.encode(&bytes)
                        ));
                        bytes
                    };
                    failed |= after.put(&key, &value, dup).is_err();
                }
                if failed {
                    expected_exit = 3;
                    after = before.clone();
                }
                let input = self.input("jsonl", text.as_bytes());
                vec![
                    "import-json".into(),
                    store,
                    input.into(),
                    "--on-duplicate".into(),
                    dup.flag().into(),
                ]
            }
            Kind::Rm => {
                let mut keys = Vec::new();
                let live = model.keys();
                for _ in 0..size.min(live.len() as u64) {
                    keys.push(rng.pick(&live).clone());
                }
                let missing_ok = rng.chance(0.3);
                if missing_ok || keys.is_empty() {
                    keys.push("never-there".into());
                }
                for key in &keys {
                    after.delete(key);
                }
                gone_keys.clone_from(&keys);
                if !missing_ok && keys.last().is_some_and(|k| k == "never-there") {
                    expected_exit = 1;
                    after = before.clone();
                }
                let input = self.input("keys", (keys.join("\n") + "\n").as_bytes());
                let mut args: Vec<OsString> =
                    vec!["rm".into(), store, "--keys-from".into(), input.into()];
                if missing_ok {
                    args.push("--missing-ok".into());
                }
                args
            }
            Kind::AppendOne => {
                let key = self.key(rng);
                let len = if rng.chance(0.2) {
                    rng.range(1 << 20, 3 << 20) // streamed straight to the body
                } else {
                    rng.log_range(0, 5000)
                };
                let value = rng.bytes(len as usize);
                after.put(&key, &value, Dup::Replace).unwrap();
                let input = self.input("bin", &value);
                vec![
                    "append".into(),
                    store,
                    "--key".into(),
                    key.into(),
                    "--on-duplicate".into(),
                    "replace".into(),
                    "--file".into(),
                    input.into(),
                ]
            }
            Kind::AppendAuto => {
                let value = rng.text_upto(100).replace('\u{1}', "");
                let value = if value.is_empty() { "v".into() } else { value };
                if after.put_auto(value.as_bytes()).is_err() {
                    expected_exit = 3;
                    after = before.clone();
                }
                vec!["append".into(), store, value.into()]
            }
            Kind::Vacuum => vec!["vacuum".into(), store],
            Kind::Repair => vec!["check".into(), store, "--repair".into()],
            Kind::RepairDropCorrupt => {
                let candidates: Vec<(String, usize)> = model
                    .records()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.clone(), v.len()))
                    .collect();
                if candidates.is_empty() {
                    // Nothing to damage: an ordinary repair.
                    vec![
                        "check".into(),
                        store,
                        "--repair".into(),
                        "--drop-corrupt".into(),
                    ]
                } else {
                    let (key, len) = rng.pick(&candidates).clone();
                    let at = rng.below(len as u64) as usize;
                    let damaged = corrupt_value(&self.store, &key, at);
                    before.set_value(&key, damaged);
                    after.delete(&key);
                    gone_keys.push(key.clone());
                    corrupt_key = Some(key);
                    vec![
                        "check".into(),
                        store,
                        "--repair".into(),
                        "--drop-corrupt".into(),
                    ]
                }
            }
        };
        Op {
            kind,
            args,
            expected_exit,
            before,
            after,
            corrupt_key,
            gone_keys,
            index_damaged: false,
        }
    }
}

/// Builds a store at `dir` holding about `records` records, some replaced and some deleted,
/// through the binary; returns its model.
pub fn build_store(dir: &Path, work: &Path, records: u64, rng: &mut Rng) -> Model {
    let created = run([OsStr::new("create"), dir.as_os_str()], None);
    assert_eq!(created.code(), Some(0), "{}", created.describe());
    let mut planner = Planner::new(dir, work, records * 2);
    let mut model = Model::default();
    for (kind, size) in [
        (Kind::AppendJsonl, records / 2),
        (Kind::ImportCsv, records / 4),
        (Kind::ImportJson, records / 4),
        (Kind::Rm, records / 10),
    ] {
        // Plan until the command is one that succeeds (no duplicate under `error`).
        let op = loop {
            let op = planner.plan(rng, kind, size, &model);
            if op.expected_exit == 0 {
                break op;
            }
        };
        let outcome = run(&op.args, None);
        assert_eq!(outcome.code(), Some(0), "{}", outcome.describe());
        model = op.after;
    }
    assert_eq!(read_state(dir, true).unwrap(), model);
    model
}
