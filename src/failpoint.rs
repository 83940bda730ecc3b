//! Fault injection for the crash tests. `MMSTORE_FAILPOINT=NAME` makes the process kill
//! itself with SIGKILL when it reaches the point called NAME, exactly as a crash would stop
//! it; `MMSTORE_FAILPOINT=NAME:error` makes that point fail with an I/O error instead, so the
//! abort path is exercised; `NAME:enospc` fails with "no space left on device". The point
//! `torn-header` writes the first half of the next header slot, then crashes. Unset (the
//! normal case) it costs one load of a cached `Option`.

use std::sync::OnceLock;

use crate::error::{Error, Result};

fn configured() -> Option<&'static (String, String)> {
    static POINT: OnceLock<Option<(String, String)>> = OnceLock::new();
    POINT
        .get_or_init(|| {
            let value = std::env::var("MMSTORE_FAILPOINT").ok()?;
            let (name, action) = value.split_once(':').unwrap_or((&value, "kill"));
            Some((name.to_string(), action.to_string()))
        })
        .as_ref()
}

/// Marks a point of the write protocol.
pub fn hit(name: &str) -> Result<()> {
    let Some((point, action)) = configured() else {
        return Ok(());
    };
    if point != name {
        return Ok(());
    }
    match action.as_str() {
        "error" => Err(Error::io(
            format!("failpoint {name}"),
            std::io::Error::from_raw_os_error(libc::EIO),
        )),
        "enospc" => Err(Error::io(
            format!("failpoint {name}"),
            std::io::Error::from_raw_os_error(libc::ENOSPC),
        )),
        _ => crash(),
    }
}

/// Whether the point called `name` is the configured one (for points that do something
/// special before crashing, such as writing half a header slot).
pub fn is_set(name: &str) -> bool {
    configured().is_some_and(|(point, _)| point == name)
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
