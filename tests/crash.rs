//! Crash consistency through the real binary (SPEC §1.3, §2): a writing command killed at any
//! instant, or stopped or failed at any failpoint, leaves the store in its last committed
//! state. After each interruption `check` exits 0, the store equals exactly the state before
//! the command or, when the kill came after the commit point, the state after it, and the
//! next writer removes whatever the interrupted one left behind.
//!
//! The random-kill test runs `MMSTORE_CRASH_TRIALS` trials (default 100) from the seed
//! `MMSTORE_CRASH_SEED` (default fixed, printed on failure); `scripts/crash-soak N` runs it
//! in release mode for long soaks. The workload is reproducible from the seed; the kill
//! instants come from the seed too, but where they land depends on the machine's speed.

mod harness;

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use harness::{
    Kind, Model, Op, Outcome, Planner, Rng, Which, build_store, check, copy_dir, mmstore,
    read_state, run, run_with_env, seed_from_env, snapshot, snapshot_difference, stray_files,
};
use mmstore::Store;

// ---------------------------------------------------------------------------------------
// Random kills

/// The tallies of a series of random-kill trials.
#[derive(Debug, Default)]
struct Tally {
    /// Commands a kill was aimed at.
    trials: u64,
    /// Killed before the commit point: the store is the state before.
    killed_before_commit: u64,
    /// Killed after the commit point: the store is the state after.
    killed_after_commit: u64,
    /// Killed, and before and after are the same records (vacuum, repair of a healthy store).
    killed_same_records: u64,
    /// The command finished before the kill arrived.
    finished_first: u64,
    /// Commands run to the end without a kill (building state, and the next writers).
    uninterrupted: u64,
    /// A committed record missing or different, or part of a killed command visible.
    lost: u64,
    /// The store does not open, or `check` does not exit 0.
    unopenable: u64,
    /// Anything else wrong: a wrong exit code, files left behind after the next writer.
    other: u64,
    failures: Vec<String>,
}

impl Tally {
    fn summary(&self) -> String {
        format!(
            "{} trials, {} lost, {} unopenable",
            self.trials, self.lost, self.unopenable
        )
    }
    fn details(&self) -> String {
        format!(
            "{} killed before the commit point, {} after it, {} with equal states, {} finished \
             before the kill; {} uninterrupted commands; {} other failures",
            self.killed_before_commit,
            self.killed_after_commit,
            self.killed_same_records,
            self.finished_first,
            self.uninterrupted,
            self.other
        )
    }
}

const STEPS_PER_RUN: u64 = 14;

fn kind_for(rng: &mut Rng) -> Kind {
    const WEIGHTED: [Kind; 16] = [
        Kind::AppendJsonl,
        Kind::AppendJsonl,
        Kind::AppendJsonl,
        Kind::ImportCsv,
        Kind::ImportCsv,
        Kind::ImportJson,
        Kind::ImportJson,
        Kind::Rm,
        Kind::Rm,
        Kind::AppendOne,
        Kind::AppendOne,
        Kind::AppendAuto,
        Kind::Vacuum,
        Kind::Vacuum,
        Kind::Repair,
        Kind::RepairDropCorrupt,
    ];
    *rng.pick(&WEIGHTED)
}

fn size_for(rng: &mut Rng, kind: Kind) -> u64 {
    match kind {
        Kind::Rm => rng.log_range(1, 2000),
        _ => rng.log_range(20, 12_000),
    }
}

/// Runs `trials` random-kill trials from `seed`, tallying instead of stopping at the first
/// failure so that a soak reports every one.
fn random_kill_trials(trials: u64, seed: u64, log: bool) -> Tally {
    let mut tally = Tally::default();
    // Seconds each kind of command took per record when it ran to the end, so that kills
    // spread over the whole of a command.
    let mut durations: HashMap<Kind, f64> = HashMap::new();
    let mut run_number = 0u64;
    while tally.trials < trials {
        let run_seed = seed ^ run_number.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let root = tempfile::tempdir().unwrap();
        let store = root.path().join("store");
        let work = root.path().join("work");
        let mut rng = Rng::new(run_seed);
        let mut model = build_store(&store, &work, 2000, &mut rng);
        let mut planner = Planner::new(&store, &work, 20_000);
        // Every other run's writers stage their index slots, as writers of large stores do.
        let env = if run_number % 2 == 1 { STAGED } else { &[] };
        for step in 0..STEPS_PER_RUN {
            if tally.trials >= trials {
                break;
            }
            let context = format!(
                "seed {seed:#x}, run {run_number}{}, step {step}",
                if env.is_empty() {
                    ""
                } else {
                    " (index staged)"
                }
            );
            let kind = kind_for(&mut rng);
            let size = size_for(&mut rng, kind);
            let op = planner.plan(&mut rng, kind, size, &model);
            // Commands take time in proportion to what they process.
            let weight = match kind {
                Kind::AppendOne | Kind::AppendAuto => 1.0,
                Kind::Vacuum | Kind::Repair | Kind::RepairDropCorrupt => model.len() as f64 + 200.0,
                _ => size as f64 + 200.0,
            };
            let estimate = durations.get(&kind).copied().unwrap_or(0.00005) * weight;
            let kill_at = rng.chance(0.8).then(|| {
                // Most kills anywhere in the command's run, some aimed at its end, where the
                // commit point is.
                let delay = if rng.chance(0.3) {
                    estimate * (0.8 + 0.2 * rng.unit())
                } else {
                    estimate * rng.unit()
                };
                // Not before the binary has started.
                delay.max(0.001)
            });
            let (outcome, took) = run_killed(&op.args, env, kill_at.map(Duration::from_secs_f64));
            let took = took.as_secs_f64();
            let killed = outcome.signal() == Some(libc::SIGKILL);
            if kill_at.is_some() {
                tally.trials += 1;
            } else {
                tally.uninterrupted += 1;
            }
            if !killed {
                let rate = durations.entry(kind).or_insert(took / weight);
                *rate = 0.5 * *rate + 0.5 * took / weight;
                if kill_at.is_some() {
                    tally.finished_first += 1;
                }
            }
            let verdict = verify_after(&store, &op, &outcome, killed);
            if log {
                eprintln!(
                    "{context}: {} ({size}) took {:.1} ms, kill at {:?}: {} -> {:?}",
                    kind.name(),
                    took * 1000.0,
                    kill_at.map(|s| format!("{:.1} ms", s * 1000.0)),
                    outcome.describe().lines().next().unwrap_or(""),
                    verdict.as_ref().map(|(which, _)| which)
                );
            }
            match verdict {
                Ok((which, state)) => {
                    if killed {
                        match which {
                            _ if op.before == op.after => tally.killed_same_records += 1,
                            Which::Before => tally.killed_before_commit += 1,
                            Which::After => tally.killed_after_commit += 1,
                        }
                    }
                    model = state;
                }
                Err(failure) => {
                    match failure.kind {
                        FailureKind::Lost => tally.lost += 1,
                        FailureKind::Unopenable => tally.unopenable += 1,
                        FailureKind::Other => tally.other += 1,
                    }
                    let message = format!(
                        "{context}: {} ({size} records) killed at {:?}, {}: {}\n  args: {:?}",
                        kind.name(),
                        kill_at,
                        outcome.describe(),
                        failure.what,
                        op.args
                    );
                    eprintln!("FAILURE {message}");
                    tally.failures.push(message);
                    // The store cannot be trusted any more; start a new run.
                    let _ = root.keep();
                    break;
                }
            }
        }
        run_number += 1;
    }
    tally
}

/// Runs the binary with `args`, killing it with SIGKILL after `kill_after` if it is still
/// running then. Returns how it ended and when (for a kill, when the kill was sent).
fn run_killed(
    args: &[OsString],
    env: &[(&str, &str)],
    kill_after: Option<Duration>,
) -> (Outcome, Duration) {
    let started = Instant::now();
    let mut child = mmstore()
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run mmstore");
    if let Some(delay) = kill_after {
        // Poll, so that the time a command took is known when it ends before the kill.
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            let elapsed = started.elapsed();
            if elapsed >= delay {
                let _ = child.kill();
                break;
            }
            std::thread::sleep((delay - elapsed).min(Duration::from_micros(500)));
        }
    }
    let output = child.wait_with_output().unwrap();
    let took = started.elapsed();
    let outcome = Outcome {
        status: output.status,
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    (outcome, took)
}

#[derive(Debug)]
enum FailureKind {
    Lost,
    Unopenable,
    Other,
}

#[derive(Debug)]
struct Failure {
    kind: FailureKind,
    what: String,
}

fn fail<T>(kind: FailureKind, what: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        kind,
        what: what.into(),
    })
}

/// Checks the store after `op` ended with `outcome`: the right state, `check` clean, nothing
/// left behind by a command that ran to its end. Returns which state the store is in and the
/// model of it (after repairing planted damage that a killed repair did not remove).
fn verify_after(
    store: &Path,
    op: &Op,
    outcome: &Outcome,
    killed: bool,
) -> Result<(Which, Model), Failure> {
    if !killed {
        if outcome.code() != Some(op.expected_exit) {
            return fail(
                FailureKind::Other,
                format!("expected exit {}", op.expected_exit),
            );
        }
        if op.expected_exit != 0 && !outcome.stderr.starts_with("mmstore: ") {
            return fail(FailureKind::Other, "an error without a message");
        }
    }
    let which = match op.which_state(store) {
        Ok(which) => which,
        Err(what) if what.starts_with("cannot open") => return fail(FailureKind::Unopenable, what),
        Err(what) => return fail(FailureKind::Lost, what),
    };
    if !killed && op.expected_exit == 0 && which != Which::After && op.before != op.after {
        return fail(
            FailureKind::Lost,
            "the command exited 0 but its changes are not there",
        );
    }
    let state = match which {
        Which::Before => &op.before,
        Which::After => &op.after,
    };
    let found = harness::absent_keys_found(
        store,
        &op.gone_keys
            .iter()
            .filter(|k| state.get(k).is_none())
            .cloned()
            .collect::<Vec<_>>(),
    );
    match found {
        Ok(found) if found.is_empty() => {}
        Ok(found) => return fail(FailureKind::Lost, format!("deleted keys found: {found:?}")),
        Err(what) => return fail(FailureKind::Unopenable, what),
    }
    let planted_damage = op.corrupt_key.is_some() && which == Which::Before;
    let checked = check(store);
    let clean_exit = if planted_damage { 4 } else { 0 };
    if checked.code() != Some(clean_exit) {
        return fail(
            FailureKind::Unopenable,
            format!("check: {}", checked.describe()),
        );
    }
    if !killed {
        let stray = stray_files(store);
        if !stray.is_empty() {
            return fail(
                FailureKind::Other,
                format!("files left behind by a finished command: {stray:?}"),
            );
        }
    }
    if planted_damage {
        // The repair was killed before it published; a repair run to the end finishes it.
        let repaired = harness::repair(store, true);
        if repaired.code() != Some(0) {
            return fail(
                FailureKind::Other,
                format!("repair after the kill: {}", repaired.describe()),
            );
        }
        match read_state(store, true) {
            Ok(state) if state == op.after => {}
            Ok(state) => {
                return fail(
                    FailureKind::Lost,
                    format!(
                        "after the repair: {}",
                        state.difference(&op.after).unwrap_or_default()
                    ),
                );
            }
            Err(what) => return fail(FailureKind::Unopenable, what),
        }
        return Ok((which, op.after.clone()));
    }
    Ok((which, state.clone()))
}

#[test]
fn random_kills_leave_the_last_committed_state() {
    let trials = seed_from_env("MMSTORE_CRASH_TRIALS", 100);
    let seed = seed_from_env("MMSTORE_CRASH_SEED", 0x5eed_c0de);
    let log = std::env::var_os("MMSTORE_CRASH_LOG").is_some();
    let tally = random_kill_trials(trials, seed, log);
    // scripts/crash-soak reads these two lines.
    println!("{}", tally.summary());
    println!("{}", tally.details());
    assert!(
        tally.failures.is_empty(),
        "{} (seed {seed:#x}); failures:\n{}",
        tally.summary(),
        tally.failures.join("\n")
    );
    assert!(
        tally.killed_before_commit > 0,
        "no kill landed before a commit point: {}",
        tally.details()
    );
}

// ---------------------------------------------------------------------------------------
// Failpoints

/// Every failpoint of the write protocol (`src/`, `failpoint::hit` and `failpoint::fires`).
const POINTS: [&str; 12] = [
    "body-write",
    "lookup-write",
    "index-write",
    "before-data-sync",
    "before-header-write",
    "after-header-write",
    "torn-header",
    "after-commit",
    "vacuum-write",
    "vacuum-verify",
    "vacuum-before-publish",
    "vacuum-after-publish",
];

/// Failpoints of read-only commands (used to hold them with `:pause` in `tests/signals.rs`):
/// nothing to crash-test there.
const READ_ONLY_POINTS: [&str; 2] = ["export-write", "check-scanned"];

/// Points after which the command's work is committed: stopped there, the store is the
/// state after the command.
const COMMITTED_POINTS: [&str; 2] = ["after-commit", "vacuum-after-publish"];

/// Points at which the store is still the state before the command, whatever publish of
/// the header they stop.
const UNCOMMITTED_POINTS: [&str; 9] = [
    "body-write",
    "lookup-write",
    "index-write",
    "before-data-sync",
    "before-header-write",
    "torn-header",
    "vacuum-write",
    "vacuum-verify",
    "vacuum-before-publish",
];

/// How often a command is stopped at the same point, at most (the N-th pass, N = 1, 2, …).
const MAX_PASSES: u64 = 6;

#[test]
fn the_failpoint_list_matches_the_sources() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for marker in ["failpoint::hit(\"", "failpoint::fires(\""] {
                for piece in text.split(marker).skip(1) {
                    found.insert(piece.split('"').next().unwrap().to_string());
                }
            }
        }
    }
    let listed: std::collections::BTreeSet<String> = POINTS
        .iter()
        .chain(&READ_ONLY_POINTS)
        .map(|p| p.to_string())
        .collect();
    assert_eq!(
        found, listed,
        "tests/crash.rs POINTS and READ_ONLY_POINTS must list every failpoint in src/"
    );
}

/// A prepared store and a command to stop at each failpoint.
struct Scenario {
    name: &'static str,
    base: PathBuf,
    op: Op,
    /// The base already holds a crash's leftovers (the command recovers first), so it is not
    /// compared byte for byte after a failed command.
    crashed_base: bool,
    /// The base is damaged (`check` exits 4 on it) and the command is the repair.
    damaged_base: bool,
    /// Finishing the command switches the store to new files (generation or index), which
    /// tells the state after it from the state before when the records are the same.
    publishes: bool,
    /// The command commits more than once (a repair rebuilds the index, then recounts):
    /// stopped at a later pass, it may leave the first commit in force.
    several_commits: bool,
    /// Environment of the command: [`STAGED`] to stage its index slots.
    env: &'static [(&'static str, &'static str)],
}

/// Stages the index slots of any store, and writes them into the index file every 4
/// entries (and at the commit), so that a batch passes `index-write` many times.
const STAGED: &[(&str, &str)] = &[
    ("MMSTORE_STAGE_INDEX_FROM", "0"),
    ("MMSTORE_STAGE_PENDING_SLOTS", "8"),
];

/// The stores and commands: every writing command on a healthy store, and writers that
/// first recover from an interrupted batch or vacuum.
fn scenarios(root: &Path) -> Vec<Scenario> {
    let mut rng = Rng::new(0xfa11_9017);
    let work = root.join("work");
    let clean = root.join("base-clean");
    let model = build_store(&clean, &work, 300, &mut rng);
    let template = root.join("STORE");
    let mut scenarios = Vec::new();
    let add = |scenarios: &mut Vec<Scenario>,
               name: &'static str,
               base: &Path,
               kind: Kind,
               size: u64,
               rng: &mut Rng,
               crashed_base: bool,
               env: &'static [(&'static str, &'static str)]| {
        // Plan against a copy at the template path, then keep that copy as the base.
        let _ = std::fs::remove_dir_all(&template);
        copy_dir(base, &template);
        let mut planner = Planner::new(&template, &work, 400);
        let op = loop {
            let op = planner.plan(rng, kind, size, &model);
            if op.expected_exit == 0 {
                break op;
            }
        };
        let kept = root.join(format!("base-{}", scenarios.len()));
        std::fs::rename(&template, &kept).unwrap();
        let publishes = matches!(kind, Kind::Vacuum | Kind::RepairDropCorrupt);
        scenarios.push(Scenario {
            name,
            base: kept,
            damaged_base: op.corrupt_key.is_some(),
            op,
            crashed_base,
            publishes,
            several_commits: false,
            env,
        });
    };
    add(
        &mut scenarios,
        "append --jsonl",
        &clean,
        Kind::AppendJsonl,
        300,
        &mut rng,
        false,
        &[],
    );
    add(
        &mut scenarios,
        "import-csv",
        &clean,
        Kind::ImportCsv,
        300,
        &mut rng,
        false,
        &[],
    );
    add(
        &mut scenarios,
        "import-json",
        &clean,
        Kind::ImportJson,
        300,
        &mut rng,
        false,
        &[],
    );
    // 300 records on 300 pass the 768 a 1024-slot index takes: the batch writes a larger
    // index file that no header names until its commit, which a kill must not leave behind.
    add(
        &mut scenarios,
        "append --jsonl growing the index",
        &clean,
        Kind::AppendJsonl,
        600,
        &mut rng,
        false,
        &[],
    );
    add(
        &mut scenarios,
        "rm",
        &clean,
        Kind::Rm,
        60,
        &mut rng,
        false,
        &[],
    );
    // The same commands on a writer that stages its index slots and writes them into the
    // index file in sorted runs, as writers of large stores do.
    add(
        &mut scenarios,
        "append --jsonl, index staged",
        &clean,
        Kind::AppendJsonl,
        40,
        &mut rng,
        false,
        STAGED,
    );
    add(
        &mut scenarios,
        "append --jsonl growing a staged index",
        &clean,
        Kind::AppendJsonl,
        600,
        &mut rng,
        false,
        STAGED,
    );
    add(
        &mut scenarios,
        "rm, index staged",
        &clean,
        Kind::Rm,
        30,
        &mut rng,
        false,
        STAGED,
    );
    add(
        &mut scenarios,
        "append --key",
        &clean,
        Kind::AppendOne,
        1,
        &mut rng,
        false,
        &[],
    );
    add(
        &mut scenarios,
        "append (auto key)",
        &clean,
        Kind::AppendAuto,
        1,
        &mut rng,
        false,
        &[],
    );
    add(
        &mut scenarios,
        "vacuum",
        &clean,
        Kind::Vacuum,
        0,
        &mut rng,
        false,
        &[],
    );
    add(
        &mut scenarios,
        "check --repair --drop-corrupt",
        &clean,
        Kind::RepairDropCorrupt,
        0,
        &mut rng,
        false,
        &[],
    );
    // A batch large enough to flush the body buffer twice and to grow the index.
    let mut text = String::new();
    let mut big_model = model.clone();
    for i in 0..1100 {
        let line = format!("{{\"k\":\"big{i}\",\"v\":\"{}\"}}", "x".repeat(4000));
        text.push_str(&line);
        text.push('\n');
        big_model
            .put(&format!("big{i}"), line.as_bytes(), harness::Dup::Error)
            .unwrap();
    }
    let input = work.join("big.jsonl");
    std::fs::write(&input, text).unwrap();
    let big_base = root.join("base-big");
    copy_dir(&clean, &big_base);
    scenarios.push(Scenario {
        name: "append --jsonl (4.4 MB, index grows)",
        base: big_base,
        op: Op {
            kind: Kind::AppendJsonl,
            args: vec![
                "append".into(),
                template.clone().into(),
                "--jsonl".into(),
                "--key-field".into(),
                "k".into(),
                "--input".into(),
                input.into(),
            ],
            expected_exit: 0,
            before: model.clone(),
            after: big_model,
            corrupt_key: None,
            gone_keys: Vec::new(),
            index_damaged: false,
        },
        crashed_base: false,
        damaged_base: false,
        publishes: false,
        several_commits: false,
        env: &[],
    });
    // Stores that a crash left behind: a batch stopped before its commit (uncommitted tails,
    // index slots of the batch), and a vacuum stopped before it published (a new generation
    // beside the old one, and its temporary store).
    for (name, crash_point, crash_kind) in [
        (
            "append --key after a crashed batch",
            "before-header-write",
            Kind::AppendJsonl,
        ),
        (
            "append --key after a crashed vacuum",
            "vacuum-before-publish",
            Kind::Vacuum,
        ),
    ] {
        let crashed = root.join(format!("crashed-{crash_point}"));
        copy_dir(&clean, &crashed);
        let mut planner = Planner::new(&crashed, &work, 400);
        let crash = loop {
            let op = planner.plan(&mut rng, crash_kind, 50, &model);
            if op.expected_exit == 0 {
                break op;
            }
        };
        let outcome = run(&crash.args, Some(crash_point));
        assert_eq!(
            outcome.signal(),
            Some(libc::SIGKILL),
            "{}",
            outcome.describe()
        );
        assert_eq!(read_state(&crashed, true).unwrap(), model);
        assert!(
            !stray_files(&crashed).is_empty()
                || std::fs::metadata(crashed.join(Store::open(&crashed).unwrap().body_file_name()))
                    .unwrap()
                    .len()
                    > Store::open(&crashed).unwrap().stats().body_len,
            "the crash left nothing to recover from"
        );
        add(
            &mut scenarios,
            name,
            &crashed,
            Kind::AppendOne,
            1,
            &mut rng,
            true,
            &[],
        );
    }
    let crashed = root.join("crashed-before-header-write");
    add(
        &mut scenarios,
        "check --repair after a crashed batch",
        &crashed,
        Kind::Repair,
        0,
        &mut rng,
        true,
        &[],
    );
    // A damaged index: the repair rebuilds it into a new index file and recounts.
    let damaged = root.join("damaged-index");
    copy_dir(&clean, &damaged);
    harness::corrupt_index_slot(&damaged);
    assert_eq!(check(&damaged).code(), Some(4));
    scenarios.push(Scenario {
        name: "check --repair of a damaged index",
        base: damaged,
        op: Op {
            kind: Kind::Repair,
            args: vec!["check".into(), template.clone().into(), "--repair".into()],
            expected_exit: 0,
            before: model.clone(),
            after: model.clone(),
            corrupt_key: None,
            gone_keys: Vec::new(),
            index_damaged: true,
        },
        crashed_base: false,
        damaged_base: true,
        publishes: true,
        several_commits: true,
        env: &[],
    });
    scenarios
}

/// The generation and index file the commit point names.
fn files_named(store: &Path) -> (u64, String) {
    let store = Store::open(store).unwrap();
    (store.stats().generation, store.index_file_name())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Kill,
    Error,
    Enospc,
}

impl Mode {
    fn spec(self, point: &str, pass: u64) -> String {
        match self {
            Mode::Kill => format!("{point}@{pass}"),
            Mode::Error => format!("{point}@{pass}:error"),
            Mode::Enospc => format!("{point}@{pass}:enospc"),
        }
    }
}

/// Replaces the template store path in `args` with `store`.
fn args_for(op: &Op, template: &Path, store: &Path) -> Vec<OsString> {
    op.args
        .iter()
        .map(|a| {
            if Path::new(a) == template {
                store.as_os_str().to_owned()
            } else {
                a.clone()
            }
        })
        .collect()
}

/// Runs `scenario` stopped at the `pass`-th pass through `point`; `Ok(false)` when the command
/// passes the point fewer times (it then ran to its end).
fn failpoint_case(
    root: &Path,
    scenario: &Scenario,
    point: &str,
    pass: u64,
    mode: Mode,
) -> Result<bool, String> {
    let name: String = scenario
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let store = root.join(format!("case-{name}-{point}-{pass}-{mode:?}"));
    let _ = std::fs::remove_dir_all(&store);
    copy_dir(&scenario.base, &store);
    let op = &scenario.op;
    let base_files = files_named(&store);
    let before_files = snapshot(&store);
    let spec = mode.spec(point, pass);
    let outcome = run_with_env(
        args_for(op, &root.join("STORE"), &store),
        Some(&spec),
        scenario.env,
    );
    let reached = match mode {
        Mode::Kill => outcome.signal() == Some(libc::SIGKILL),
        Mode::Error | Mode::Enospc => outcome.code() == Some(6),
    };
    if !reached {
        if outcome.code() != Some(op.expected_exit) {
            return Err(format!("unexpected end: {}", outcome.describe()));
        }
        let which = op.which_state(&store)?;
        if which != Which::After && op.before != op.after {
            return Err("ran to its end but its changes are missing".into());
        }
        let _ = std::fs::remove_dir_all(&store);
        return Ok(false);
    }
    if mode != Mode::Kill {
        let errno = if mode == Mode::Error {
            "Input/output error"
        } else {
            "No space left on device"
        };
        if !outcome.stderr.starts_with("mmstore: ")
            || !outcome.stderr.contains(&format!("failpoint {point}"))
            || !outcome.stderr.contains(errno)
        {
            return Err(format!(
                "exit 6 without the right message: {:?}",
                outcome.stderr
            ));
        }
    }
    let which = op.which_state(&store)?;
    let files = files_named(&store);
    let published = files != base_files;
    // Vacuum and repair build their new generation with an ordinary writer in a temporary
    // store: the writer's points there all come before the store's own commit point.
    let builds_generation = matches!(op.kind, Kind::Vacuum | Kind::RepairDropCorrupt);
    // Past its first commit, a command that commits several times may be in either state.
    let either = scenario.several_commits && pass > 1;
    let committed = !either
        && if builds_generation {
            point == "vacuum-after-publish"
        } else {
            COMMITTED_POINTS.contains(&point)
        };
    let uncommitted = !either
        && if builds_generation {
            point != "after-header-write" && !committed
        } else {
            UNCOMMITTED_POINTS.contains(&point)
        };
    // When the command changes no record (vacuum, repair of a healthy store) the records
    // cannot tell before from after; the generation can, for the commands that publish one.
    let same_records = op.before == op.after;
    let is_before = if same_records {
        !published
    } else {
        which == Which::Before && !published
    };
    let is_after = if same_records {
        !scenario.publishes || published
    } else {
        which == Which::After
    };
    if uncommitted && !is_before {
        return Err(format!(
            "stopped before the commit point, but the store is the state after it \
             (files {base_files:?} -> {files:?})"
        ));
    }
    if committed && !is_after {
        return Err("stopped after the commit point, but the store is the state before it".into());
    }
    if mode != Mode::Kill && !committed && !(either && is_after) {
        // A failed command leaves the store as it was, byte for byte, and nothing beside it.
        if !is_before {
            return Err("a failed command changed the store".into());
        }
        if !scenario.crashed_base
            && let Some(difference) = snapshot_difference(&before_files, &snapshot(&store))
        {
            return Err(format!("a failed command changed the files: {difference}"));
        }
        let stray = stray_files(&store);
        if !stray.is_empty() {
            return Err(format!("a failed command left files behind: {stray:?}"));
        }
    }
    let damaged = scenario.damaged_base && is_before;
    let checked = check(&store);
    if checked.code() != Some(if damaged { 4 } else { 0 }) {
        return Err(format!("check: {}", checked.describe()));
    }
    let mut state = if is_before {
        op.before.clone()
    } else {
        op.after.clone()
    };
    if damaged {
        // The repair was stopped before it published: run it to its end.
        let repaired = run(args_for(op, &root.join("STORE"), &store), None);
        if repaired.code() != Some(0) {
            return Err(format!("the repair run again: {}", repaired.describe()));
        }
        state = op.after.clone();
    }
    // The next writer cleans up whatever was left and finds the same records.
    let next = run(
        [
            OsStr::new("append"),
            store.as_os_str(),
            OsStr::new("--key"),
            OsStr::new("next-writer"),
            OsStr::new("after the crash"),
        ],
        None,
    );
    if next.code() != Some(0) {
        return Err(format!("the next writer: {}", next.describe()));
    }
    state
        .put("next-writer", b"after the crash", harness::Dup::Error)
        .unwrap();
    let stray = stray_files(&store);
    if !stray.is_empty() {
        return Err(format!("left behind after the next writer: {stray:?}"));
    }
    let actual = read_state(&store, true)?;
    if let Some(difference) = actual.difference(&state) {
        return Err(format!("after the next writer: {difference}"));
    }
    let checked = check(&store);
    if checked.code() != Some(0) {
        return Err(format!(
            "check after the next writer: {}",
            checked.describe()
        ));
    }
    let _ = std::fs::remove_dir_all(&store);
    Ok(true)
}

/// Stops every scenario at every pass through every point in `mode`; returns how many
/// (scenario, pass) pairs reached each point, and the failures.
fn exercise_failpoints(mode: Mode, points: &[&str], max_passes: u64) -> BTreeMap<String, u64> {
    let root = tempfile::tempdir().unwrap();
    let scenarios = scenarios(root.path());
    let mut reached: BTreeMap<String, u64> = points.iter().map(|p| (p.to_string(), 0)).collect();
    let mut failures = Vec::new();
    for scenario in &scenarios {
        for point in points {
            for pass in 1..=max_passes {
                match failpoint_case(root.path(), scenario, point, pass, mode) {
                    Ok(true) => *reached.get_mut(*point).unwrap() += 1,
                    Ok(false) => break,
                    Err(what) => {
                        failures.push(format!(
                            "{} at {}: {what}",
                            scenario.name,
                            mode.spec(point, pass)
                        ));
                        break;
                    }
                }
            }
        }
    }
    eprintln!("{mode:?}: passes stopped at each point: {reached:?}");
    if !failures.is_empty() {
        let _ = root.keep();
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    reached
}

#[test]
fn every_failpoint_killed_leaves_the_last_committed_state_and_the_next_writer_cleans_up() {
    let reached = exercise_failpoints(Mode::Kill, &POINTS, MAX_PASSES);
    let missed: Vec<_> = reached.iter().filter(|(_, n)| **n == 0).collect();
    assert!(missed.is_empty(), "never reached: {missed:?}");
}

#[test]
fn every_failpoint_failing_with_eio_exits_6_and_leaves_the_store_unchanged() {
    let reached = exercise_failpoints(Mode::Error, &POINTS, MAX_PASSES);
    let missed: Vec<_> = reached.iter().filter(|(_, n)| **n == 0).collect();
    assert!(missed.is_empty(), "never reached: {missed:?}");
}

#[test]
fn every_failpoint_failing_with_enospc_exits_6_and_leaves_the_store_unchanged() {
    let reached = exercise_failpoints(Mode::Enospc, &POINTS, 1);
    let missed: Vec<_> = reached.iter().filter(|(_, n)| **n == 0).collect();
    assert!(missed.is_empty(), "never reached: {missed:?}");
}

#[test]
fn a_torn_header_write_keeps_the_previous_commit_and_check_notes_it() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let mut rng = Rng::new(7);
    let model = build_store(&store, &root.path().join("work"), 50, &mut rng);
    // Two passes: the first publish marks the index dirty, the second is the commit.
    for pass in 1..=2 {
        let outcome = run(
            [
                OsStr::new("append"),
                store.as_os_str(),
                OsStr::new("--key"),
                OsStr::new("torn"),
                OsStr::new("value"),
            ],
            Some(&format!("torn-header@{pass}")),
        );
        assert_eq!(
            outcome.signal(),
            Some(libc::SIGKILL),
            "{}",
            outcome.describe()
        );
        assert_eq!(read_state(&store, true).unwrap(), model);
        let checked = check(&store);
        assert_eq!(checked.code(), Some(0), "{}", checked.describe());
        if pass == 2 {
            let report = checked.stdout_text() + &checked.stderr;
            assert!(
                report.contains("torn write"),
                "check does not mention the torn slot: {report}"
            );
        }
    }
}

#[test]
fn a_failpoint_stops_the_writer_only_at_the_pass_it_names() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let mut rng = Rng::new(8);
    let model = build_store(&store, &root.path().join("work"), 20, &mut rng);
    // A single append publishes the header twice (index dirty mark, commit), not three times.
    let third = run(
        [
            OsStr::new("append"),
            store.as_os_str(),
            OsStr::new("--key"),
            OsStr::new("x"),
            OsStr::new("y"),
        ],
        Some("after-header-write@3:error"),
    );
    assert_eq!(third.code(), Some(0), "{}", third.describe());
    let mut expected = model;
    expected.put("x", b"y", harness::Dup::Error).unwrap();
    assert_eq!(read_state(&store, true).unwrap(), expected);
}

/// A batch that outgrows the index writes a larger index file, named by no header until its
/// commit. Killed before the commit, it must leave that file for the next writer to remove.
#[test]
fn a_batch_killed_after_growing_the_index_leaves_no_index_file_behind() {
    use std::io::Write;
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let append = |lines: std::ops::Range<u32>, failpoint: Option<&str>| {
        let mut command = harness::mmstore();
        command
            .args(["append", "--quiet", "--create"])
            .arg(&store)
            .arg("--jsonl")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(point) = failpoint {
            command.env("MMSTORE_FAILPOINT", point);
        }
        let mut child = command.spawn().unwrap();
        let input: String = lines.map(|i| format!("{{\"n\":{i}}}\n")).collect();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(append(0..300, None).status.success());
    let index_files = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&store)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("index."))
            .collect();
        names.sort();
        names
    };
    assert_eq!(index_files().len(), 1);
    // 300 more pass the 768 entries a 1024-slot index takes.
    let killed = append(300..900, Some("before-data-sync"));
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&killed.status),
        Some(9),
        "{killed:?}"
    );
    assert_eq!(index_files().len(), 2, "the batch grew the index");
    // The store is the state before the batch, and the next writer removes the new file.
    let checked = harness::check(&store);
    assert_eq!(checked.code(), Some(0), "{}", checked.describe());
    assert!(append(900..901, None).status.success());
    assert_eq!(index_files().len(), 1);
    assert_eq!(stray_files(&store), Vec::<String>::new());
    let listed = harness::run(["ls".as_ref(), store.as_os_str()], None);
    assert_eq!(
        listed.stdout_text().lines().count(),
        301,
        "{}",
        listed.describe()
    );
}
