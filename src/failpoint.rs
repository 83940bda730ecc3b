//! Fault injection for the crash tests. `MMSTORE_FAILPOINT=NAME` makes the process kill
//! itself with SIGKILL when it reaches the point called NAME, exactly as a crash would stop
//! it; `MMSTORE_FAILPOINT=NAME:error` makes that point fail with an I/O error instead, so the
//! abort path is exercised; `NAME:enospc` fails with "no space left on device". `NAME@N`
//! (with or without an action) fires on the N-th time the point is reached instead of the
//! first, so that a test can stop a command at each of the places where it passes a point
//! (the header is published twice by most batches, for instance). The point `torn-header`
//! writes the first half of the next header slot, then crashes (or, with `:error`, fails
//! as a write that went only half through). `NAME:pause` makes the point wait there until a
//! signal asks the process to stop (at most a minute), so that a test can interrupt a command
//! at a known place however fast the machine runs it. Unset (the normal case) it costs one
//! load of a cached `Option`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// The configured point: its name, on which pass it fires (1-based), and what it does.
struct Point {
    name: String,
    nth: u64,
    action: String,
    passes: AtomicU64,
}

fn configured() -> Option<&'static Point> {
    static POINT: OnceLock<Option<Point>> = OnceLock::new();
    POINT
        .get_or_init(|| {
            let value = std::env::var("MMSTORE_FAILPOINT").ok()?;
            let (spec, action) = value.split_once(':').unwrap_or((&value, "kill"));
            let (name, nth) = match spec.split_once('@') {
                Some((name, nth)) => (name, nth.parse().ok()?),
                None => (spec, 1),
            };
            Some(Point {
                name: name.to_string(),
                nth,
                action: action.to_string(),
                passes: AtomicU64::new(0),
            })
        })
        .as_ref()
}

/// What a point does when it fires.
#[derive(Debug)]
pub enum Action {
    /// Die at once, as SIGKILL or a power cut would stop the process.
    Crash,
    /// Fail with this error (EIO for `:error`, ENOSPC for `:enospc`).
    Fail(std::io::Error),
    /// Wait for Ctrl-C or SIGTERM, then stop as interrupted ([`pause`]).
    Pause,
}

/// Counts a pass through the point called `name`; what to do when this pass is the one the
/// configuration names. For points that do something of their own before failing (such as
/// writing half a header slot); the others call [`hit`].
pub fn fires(name: &str) -> Option<Action> {
    let point = configured()?;
    if point.name != name {
        return None;
    }
    let pass = point.passes.fetch_add(1, Ordering::SeqCst) + 1;
    if pass != point.nth {
        return None;
    }
    Some(match point.action.as_str() {
        "error" => Action::Fail(std::io::Error::from_raw_os_error(libc::EIO)),
        "enospc" => Action::Fail(std::io::Error::from_raw_os_error(libc::ENOSPC)),
        "pause" => Action::Pause,
        _ => Action::Crash,
    })
}

/// Marks a point of the write protocol.
pub fn hit(name: &str) -> Result<()> {
    match fires(name) {
        None => Ok(()),
        Some(Action::Fail(e)) => Err(failure(name, e)),
        Some(Action::Crash) => crash(),
        Some(Action::Pause) => pause(),
    }
}

/// Waits until a signal asks the process to stop (then fails as interrupted), or a minute.
pub fn pause() -> Result<()> {
    let started = std::time::Instant::now();
    while crate::interrupt::requested().is_none()
        && started.elapsed() < std::time::Duration::from_secs(60)
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    crate::interrupt::check()
}

/// The error a failing point returns.
pub fn failure(name: &str, e: std::io::Error) -> Error {
    Error::io(format!("failpoint {name}"), e)
}

/// Stops the process the way a crash would: SIGKILL, no destructors, no flushing.
pub fn crash() -> ! {
    // SAFETY: kill and getpid have no memory-safety preconditions.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    // SIGKILL cannot be caught; we never get here.
    std::process::abort()
}
