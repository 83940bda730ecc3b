//! The writer lock: an exclusive advisory lock (`flock`, through std's `File::try_lock`) on
//! the store's `lock` file. The holder writes its PID into the file so that a second writer
//! can say who is in the way. Readers never take it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::format::LOCK_FILE;
use crate::error::{Error, IoContext, Result};

/// Held for as long as the writer lives; the OS releases it when the process dies.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

impl WriterLock {
    /// Takes the lock, failing with [`Error::Locked`] (or waiting, when `wait`).
    pub fn acquire(dir: &Path, wait: bool) -> Result<WriterLock> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .context(|| format!("cannot open the lock file {}", path.display()))?;
        if wait {
            file.lock()
                .context(|| format!("cannot lock {}", path.display()))?;
        } else {
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        pid: read_pid(&mut file),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::io(format!("cannot lock {}", path.display()), e));
                }
            }
        }
        // Best effort: the PID is only for messages.
        let pid = std::process::id();
        let _ = file.set_len(0);
        let _ = file.seek(SeekFrom::Start(0));
        let _ = file.write_all(format!("{pid}\n").as_bytes());
        Ok(WriterLock { _file: file })
    }
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}
