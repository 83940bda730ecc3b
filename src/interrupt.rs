//! Cooperative cancellation. The binary installs the signal handlers; the library only looks
//! at the flag between records and aborts the batch, so that nothing of an interrupted
//! command is committed.

use std::sync::atomic::{AtomicI32, Ordering};

use crate::error::{Error, Result};

static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Records that `signal` arrived (called from the binary's handler thread).
pub fn request(signal: i32) {
    SIGNAL.store(signal, Ordering::SeqCst);
}

/// The signal that asked us to stop, if any.
pub fn requested() -> Option<i32> {
    match SIGNAL.load(Ordering::Relaxed) {
        0 => None,
        s => Some(s),
    }
}

/// `Err(Interrupted)` once a stop was requested.
pub fn check() -> Result<()> {
    match requested() {
        None => Ok(()),
        Some(signal) => Err(Error::Interrupted { signal }),
    }
}
