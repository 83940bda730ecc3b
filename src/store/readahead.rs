//! Small reads with `pread` that notice when they walk forward through a file, and then read
//! ahead: a writer that reads keys and entries with `pread` (to keep them out of its resident
//! set) pays one system call per key when the keys come in random order, and one per
//! stretch of file when they come in the order they were appended (a delete of keys listed
//! from an export, say).

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Bytes read at once when reads walk forward.
const AHEAD: usize = 32 << 10;

/// A read that starts at most this far past the end of the last one counts as walking
/// forward.
const NEAR: u64 = 16 << 10;

/// The last stretch read ahead, and where the last read ended.
#[derive(Default)]
struct Window {
    start: u64,
    bytes: Vec<u8>,
    last_end: u64,
}

/// Reads of one file through a window of read-ahead bytes.
#[derive(Default)]
pub struct ReadAhead {
    window: RefCell<Window>,
}

impl std::fmt::Debug for ReadAhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let window = self.window.borrow();
        f.debug_struct("ReadAhead")
            .field("start", &window.start)
            .field("len", &window.bytes.len())
            .finish()
    }
}

impl ReadAhead {
    /// Fills `out` with the bytes of `file` at `offset`, none of them at or past `limit`
    /// (bytes that may be read ahead: the file may hold more, being written). From the
    /// window when it holds them; otherwise a window is read first if this read follows the
    /// last one closely, else just these bytes.
    pub fn read(&self, file: &File, offset: u64, limit: u64, out: &mut [u8]) -> io::Result<()> {
        let end = offset + out.len() as u64;
        let mut window = self.window.borrow_mut();
        let forward = offset >= window.last_end && offset - window.last_end <= NEAR;
        window.last_end = end;
        let held = window.start + window.bytes.len() as u64;
        if offset >= window.start && end <= held {
            let at = (offset - window.start) as usize;
            out.copy_from_slice(&window.bytes[at..at + out.len()]);
            return Ok(());
        }
        if !forward || out.len() >= AHEAD || end > limit {
            return file.read_exact_at(out, offset);
        }
        let len = (limit - offset).min(AHEAD as u64) as usize;
        let mut bytes = std::mem::take(&mut window.bytes);
        bytes.resize(len, 0);
        if let Err(e) = file.read_exact_at(&mut bytes, offset) {
            window.bytes = Vec::new();
            return Err(e);
        }
        out.copy_from_slice(&bytes[..out.len()]);
        window.start = offset;
        window.bytes = bytes;
        Ok(())
    }

    /// Forgets the window (the file may be truncated and written again).
    pub fn clear(&self) {
        *self.window.borrow_mut() = Window::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever the order of the reads, and wherever the limit, every read returns the
        /// file's bytes.
        #[test]
        fn reads_return_the_bytes_of_the_file(
            reads in proptest::collection::vec((0u64..200_000, 1usize..300, proptest::prelude::any::<bool>()), 1..200),
            limit in 1_000u64..200_000,
        ) {
            let content: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
            let file = tempfile::tempfile().unwrap();
            file.write_all_at(&content, 0).unwrap();
            let ahead = ReadAhead::default();
            let mut at = 0u64;
            for (jump, len, sequential) in reads {
                // Half the reads walk forward from the last, the others land anywhere.
                at = if sequential { at + jump % 2_000 } else { jump };
                let end = (at + len as u64).min(limit);
                if end <= at {
                    at = 0;
                    continue;
                }
                let mut out = vec![0u8; (end - at) as usize];
                ahead.read(&file, at, limit, &mut out).unwrap();
                proptest::prop_assert_eq!(&out[..], &content[at as usize..end as usize]);
                at = end;
            }
        }
    }
}
