//! A full disk for real (SPEC §4, exit 6: "nothing committed is lost"): the tests mount a
//! small tmpfs (they must run as root; otherwise they say so and pass without testing) and
//! fill it. A writer that runs out of space exits 6 with a message, never dies of SIGBUS, and
//! the store opens, checks clean and holds every record committed before; a vacuum that does
//! not fit exits 6 and leaves the store untouched. The tmpfs is always unmounted.

mod harness;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::{Model, check, read_state, run, snapshot, snapshot_difference, stray_files};

/// A tmpfs mounted for one test, unmounted when dropped (also when the test fails).
struct Tmpfs {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. "8m"), or says why not and returns `None`.
    fn mount(size: &str) -> Option<Tmpfs> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mnt");
        fs::create_dir(&path).unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(&path)
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Tmpfs { _dir: dir, path }),
            Ok(out) => {
                eprintln!(
                    "skipped: cannot mount a tmpfs: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount: {e}");
                None
            }
        }
    }

    fn free(&self) -> u64 {
        let c = std::ffi::CString::new(self.path.to_str().unwrap()).unwrap();
        let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
        // SAFETY: `c` is NUL-terminated and `stat` is writable memory of the right type.
        assert_eq!(unsafe { libc::statvfs(c.as_ptr(), stat.as_mut_ptr()) }, 0);
        // SAFETY: statvfs returned 0, so it filled the struct.
        let stat = unsafe { stat.assume_init() };
        stat.f_bavail * stat.f_frsize
    }

    /// Fills the filesystem until `leave` bytes are free (a file of zeros, really allocated).
    fn fill_leaving(&self, leave: u64) {
        let filler = self.path.join("filler");
        let mut len = fs::metadata(&filler).map(|m| m.len()).unwrap_or(0);
        let free = self.free();
        if free > leave {
            len += (free - leave) / 4096 * 4096;
        }
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&filler)
            .unwrap();
        use std::os::fd::AsRawFd;
        // SAFETY: a plain syscall on a descriptor we own.
        let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len as i64) };
        assert_eq!(rc, 0, "cannot fill the tmpfs");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.path).status();
        if !unmounted.is_ok_and(|s| s.success()) {
            // Something still holds it (a child we could not stop): detach it anyway.
            let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        }
    }
}

/// Writes a CSV of `rows` rows of about 150 bytes, keys `prefix0..`, outside the tmpfs.
fn csv(path: &Path, prefix: &str, rows: usize) {
    let mut text = String::from("key,name,text\n");
    for i in 0..rows {
        text.push_str(&format!(
            "{prefix}{i},name {i},\"{}, {i}\"\n",
            "t".repeat(120)
        ));
    }
    fs::write(path, text).unwrap();
}

fn import(store: &Path, input: &Path) -> harness::Outcome {
    run(
        [
            OsStr::new("import-csv"),
            store.as_os_str(),
            input.as_os_str(),
            OsStr::new("--key-column"),
            OsStr::new("key"),
        ],
        None,
    )
}

/// Asserts what a failed write must leave: the store opens and checks clean, holds exactly
/// `model`, and nothing but its own files.
fn assert_intact(store: &Path, model: &Model) {
    let checked = check(store);
    assert_eq!(checked.code(), Some(0), "{}", checked.describe());
    assert_eq!(read_state(store, true).unwrap(), *model);
    assert_eq!(stray_files(store), Vec::<String>::new());
}

fn assert_disk_full(outcome: &harness::Outcome, what: &str) {
    assert_eq!(outcome.code(), Some(6), "{what}: {}", outcome.describe());
    assert!(
        outcome.stderr.starts_with("mmstore: ")
            && (outcome.stderr.contains("No space left on device")
                || outcome.stderr.contains("not enough free space")),
        "{what}: {}",
        outcome.stderr
    );
}

#[test]
fn import_csv_past_a_full_filesystem_exits_6_and_keeps_every_earlier_record() {
    let Some(tmpfs) = Tmpfs::mount("8m") else {
        return;
    };
    let inputs = tempfile::tempdir().unwrap();
    let store = tmpfs.path.join("store");
    assert_eq!(
        run([OsStr::new("create"), store.as_os_str()], None).code(),
        Some(0)
    );
    let small = inputs.path().join("small.csv");
    csv(&small, "early", 2000);
    assert_eq!(import(&store, &small).code(), Some(0));
    let model = read_state(&store, true).unwrap();
    assert_eq!(model.len(), 2000);
    // About 12 MB of CSV into what is left of 8 MiB.
    let big = inputs.path().join("big.csv");
    csv(&big, "late", 80_000);
    let outcome = import(&store, &big);
    assert_disk_full(&outcome, "import-csv past the end of the disk");
    assert_intact(&store, &model);
    // The space of the failed batch was given back: a small write fits again.
    let appended = run(
        [
            OsStr::new("append"),
            store.as_os_str(),
            OsStr::new("--key"),
            OsStr::new("after"),
            OsStr::new("fits"),
        ],
        None,
    );
    assert_eq!(appended.code(), Some(0), "{}", appended.describe());
}

#[test]
fn a_writer_whose_index_grows_on_a_full_filesystem_exits_6_not_sigbus() {
    let Some(tmpfs) = Tmpfs::mount("4m") else {
        return;
    };
    let inputs = tempfile::tempdir().unwrap();
    let store = tmpfs.path.join("store");
    assert_eq!(
        run([OsStr::new("create"), store.as_os_str()], None).code(),
        Some(0)
    );
    let first = inputs.path().join("first.csv");
    csv(&first, "early", 700);
    assert_eq!(import(&store, &first).code(), Some(0));
    let model = read_state(&store, true).unwrap();
    // Leave no room for a larger index: the next batch must grow it past 1024 slots.
    tmpfs.fill_leaving(0);
    let more = inputs.path().join("more.csv");
    csv(&more, "late", 2000);
    let outcome = import(&store, &more);
    assert_disk_full(&outcome, "import-csv that grows the index on a full disk");
    fs::remove_file(tmpfs.path.join("filler")).unwrap();
    assert_intact(&store, &model);
    // And one record at a time, each of which fills an index slot in place.
    tmpfs.fill_leaving(0);
    for i in 0..50 {
        let outcome = run(
            [
                OsStr::new("append"),
                store.as_os_str(),
                OsStr::new("--key"),
                OsStr::new(&format!("one-{i}")),
                OsStr::new("value"),
            ],
            None,
        );
        assert!(
            matches!(outcome.code(), Some(0 | 6)),
            "append on a full disk: {}",
            outcome.describe()
        );
    }
    fs::remove_file(tmpfs.path.join("filler")).unwrap();
    let checked = check(&store);
    assert_eq!(checked.code(), Some(0), "{}", checked.describe());
}

/// A store in the tmpfs with `records` records of which every other one is deleted.
fn half_deleted_store(tmpfs: &Tmpfs, inputs: &Path, records: usize) -> (PathBuf, Model) {
    let store = tmpfs.path.join("store");
    assert_eq!(
        run([OsStr::new("create"), store.as_os_str()], None).code(),
        Some(0)
    );
    let input = inputs.join("records.csv");
    csv(&input, "r", records);
    assert_eq!(import(&store, &input).code(), Some(0));
    let doomed: Vec<String> = (0..records).step_by(2).map(|i| format!("r{i}")).collect();
    let keys = inputs.join("doomed.txt");
    fs::write(&keys, doomed.join("\n")).unwrap();
    let removed = run(
        [
            OsStr::new("rm"),
            store.as_os_str(),
            OsStr::new("--keys-from"),
            keys.as_os_str(),
        ],
        None,
    );
    assert_eq!(removed.code(), Some(0));
    let model = read_state(&store, true).unwrap();
    (store, model)
}

#[test]
fn vacuum_that_does_not_fit_exits_6_and_leaves_the_store_untouched() {
    let Some(tmpfs) = Tmpfs::mount("8m") else {
        return;
    };
    let inputs = tempfile::tempdir().unwrap();
    let (store, model) = half_deleted_store(&tmpfs, inputs.path(), 20_000);
    tmpfs.fill_leaving(64 * 1024);
    let before = snapshot(&store);
    let outcome = run([OsStr::new("vacuum"), store.as_os_str()], None);
    assert_disk_full(&outcome, "vacuum on a nearly full disk");
    assert!(
        outcome.stderr.contains("needed") && outcome.stderr.contains("free"),
        "the message says how much is needed and free: {}",
        outcome.stderr
    );
    assert!(snapshot_difference(&before, &snapshot(&store)).is_none());
    assert_intact(&store, &model);
}

#[test]
fn vacuum_that_runs_out_of_space_midway_exits_6_and_removes_its_new_generation() {
    let Some(tmpfs) = Tmpfs::mount("8m") else {
        return;
    };
    let inputs = tempfile::tempdir().unwrap();
    let (store, model) = half_deleted_store(&tmpfs, inputs.path(), 20_000);
    // Just enough free space for the free-space check, not for the new files with the
    // header and the rounding of each file to whole pages.
    let live = model.len() as u64;
    let live_bytes: u64 = model
        .records()
        .map(|(k, v)| (k.len() + v.len()) as u64)
        .sum();
    let needed = live_bytes + live * 24 + mmstore::store::index::capacity_for(live) * 8;
    tmpfs.fill_leaving(needed + 4096);
    let before = snapshot(&store);
    let outcome = run([OsStr::new("vacuum"), store.as_os_str()], None);
    assert_disk_full(&outcome, "vacuum running out of space");
    assert!(
        outcome.stderr.contains("No space left on device"),
        "the free-space check refused it; it was to run out midway: {}",
        outcome.stderr
    );
    assert!(snapshot_difference(&before, &snapshot(&store)).is_none());
    assert_intact(&store, &model);
}
