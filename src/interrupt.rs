//! Cooperative cancellation. The binary's signal handlers set the flag; the library only
//! looks at it between records and aborts the batch, so that nothing of an interrupted
//! command is committed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

/// The signal that asked us to stop, or 0. Shared (an `Arc`) so that a signal handler can
/// store into it directly (`signal_hook::flag::register_usize`).
static SIGNAL: LazyLock<Arc<AtomicUsize>> = LazyLock::new(|| Arc::new(AtomicUsize::new(0)));

/// The flag a signal handler sets to the number of the signal that arrived.
pub fn flag() -> Arc<AtomicUsize> {
    Arc::clone(&SIGNAL)
}

/// Records that `signal` arrived.
pub fn request(signal: i32) {
    SIGNAL.store(signal as usize, Ordering::SeqCst);
}

/// The signal that asked us to stop, if any.
pub fn requested() -> Option<i32> {
    match SIGNAL.load(Ordering::Relaxed) {
        0 => None,
        s => Some(s as i32),
    }
}

/// `Err(Interrupted)` once a stop was requested.
pub fn check() -> crate::error::Result<()> {
    match requested() {
        None => Ok(()),
        Some(signal) => Err(crate::error::Error::Interrupted { signal }),
    }
}
