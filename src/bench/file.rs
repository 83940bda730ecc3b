//! The bench's own file: uniquely named in `--dir`, private (mode 0600, created with
//! `O_EXCL`), and removed when the bench ends, fails or is interrupted ([`Drop`] removes it
//! on every path out, including unwinding).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, IoContext, Result};

use super::layout::Layout;
use super::sys;
use super::ways::Ticker;

pub(crate) struct BenchFile {
    path: PathBuf,
    file: File,
    removed: bool,
}

impl BenchFile {
    /// Creates `mmstore-bench-<pid>-<time>-<n>.tmp` in `dir`, failing with what failed (the
    /// directory is missing, not a directory, not writable, ...).
    pub(crate) fn create(dir: &Path) -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for attempt in 0..100u32 {
            let name = format!(
                "mmstore-bench-{}-{nanos:x}-{attempt}.tmp",
                std::process::id()
            );
            let path = dir.join(name);
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path);
            match opened {
                Ok(file) => {
                    return Ok(BenchFile {
                        path,
                        file,
                        removed: false,
                    });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => {
                    let context = format!("cannot create the bench file in {}", dir.display());
                    return Err(Error::io(context, error));
                }
            }
        }
        Err(Error::io(
            format!("cannot create the bench file in {}", dir.display()),
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                "100 candidate names were all taken",
            ),
        ))
    }

    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Refuses to start when the filesystem cannot hold `size` more bytes.
    pub(crate) fn check_space(&self, dir: &Path, size: u64) -> Result<()> {
        let available = sys::available_bytes(&self.file)
            .context(|| format!("cannot find the free space in {}", dir.display()))?;
        if available < size {
            return Err(Error::NoSpace {
                path: dir.to_path_buf(),
                needed: size,
                available,
            });
        }
        Ok(())
    }

    /// Writes the layout's initial bytes and makes them durable, so that measurements do
    /// not share the disk with the write-back of the set-up.
    pub(crate) fn fill(&self, layout: &Layout, ticker: &mut Ticker<'_>) -> Result<()> {
        let mut chunk = vec![0u8; 1 << 20];
        let mut offset = 0;
        while offset < layout.size {
            let len = chunk.len().min(layout.size - offset);
            layout.initial_bytes(offset as u64, &mut chunk[..len]);
            self.file
                .write_all_at(&chunk[..len], offset as u64)
                .context(|| format!("cannot write the bench file {}", self.path.display()))?;
            offset += len;
            ticker.add(len as u64)?;
        }
        ticker.flush()?;
        self.file
            .sync_all()
            .context(|| format!("cannot sync the bench file {}", self.path.display()))
    }

    /// Removes the file now, reporting a failure (dropping removes it silently).
    pub(crate) fn remove(mut self) -> Result<()> {
        self.removed = true;
        fs::remove_file(&self.path)
            .context(|| format!("cannot remove the bench file {}", self.path.display()))
    }
}

impl Drop for BenchFile {
    fn drop(&mut self) {
        if !self.removed {
            let _ = fs::remove_file(&self.path);
        }
    }
}
