//! The writer lock: an exclusive advisory lock (`flock`, through std's `File::try_lock`) on
//! the store's `lock` file. The holder writes its PID into the file so that a second writer
//! can say who is in the way. Readers never take it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
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
        // Never through a symlink: the holder writes its PID into this file, which must not
        // land in a file outside the store.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP | libc::EISDIR | libc::ENXIO) => not_regular(),
                _ => Error::io(format!("cannot open the lock file {}", path.display()), e),
            })?;
        if !file
            .metadata()
            .context(|| format!("cannot stat {}", path.display()))?
            .is_file()
        {
            return Err(not_regular());
        }
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

fn not_regular() -> Error {
    Error::corrupt(
        LOCK_FILE,
        0,
        "is a symbolic link or not a regular file; store files must be regular files",
    )
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}
