//! The only `unsafe` code of the bench: memory maps, and the few libc calls that std does not
//! wrap (posix_fadvise, mincore, fstatvfs, statfs, uname, sysconf).
//!
//! Why mapping is sound here: mapping a file is `unsafe` because another process may truncate
//! it (the next access is a SIGBUS) or change it under a `&[u8]`. The files mapped are
//! 1. the bench's own file: created by [`super::file::BenchFile`] with `O_EXCL`, mode 0600, under
//!    a unique name in `--dir`, never resized after it is filled and removed only after the
//!    last map of it is dropped; nothing else knows its name, so nothing else writes it;
//! 2. a file handed to [`super::time_ranges`], whose documented contract is that nobody
//!    truncates it while the measurement runs (mmstore never truncates a file a reader may
//!    have mapped: `vacuum` writes a new generation instead).
//!
//! Every map covers exactly the length the caller checked against the file's length, so no
//! access reaches past the end of the file.

use std::ffi::{CString, c_void};
use std::fs::File;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use memmap2::{Mmap, MmapMut, MmapOptions};

/// Maps the first `len` bytes of `file` read-only. `len` must not exceed the file's length.
pub(crate) fn map_read(file: &File, len: usize) -> io::Result<Mmap> {
    // SAFETY: see the module docs: the file is ours and private (or a store file that is
    // never truncated while mapped), it is not resized while this map lives, and `len` was
    // checked against its length by the caller, so every byte of the map is backed by the file.
    unsafe { MmapOptions::new().len(len).map(file) }
}

/// Maps the first `len` bytes of `file` read-write, shared (writes reach the file).
pub(crate) fn map_write(file: &File, len: usize) -> io::Result<MmapMut> {
    // SAFETY: only the bench's own private file is mapped writable (see the module docs);
    // nothing else reads or writes it while the map lives, it is not resized, and `len` is
    // its length.
    unsafe { MmapOptions::new().len(len).map_mut(file) }
}

/// Writes `file`'s dirty pages to disk and asks the kernel to drop its cached pages, so the
/// next access reads from the device. (`POSIX_FADV_DONTNEED` skips dirty pages, hence the
/// fsync first.) Pages still mapped by a process stay; the bench drops its maps first.
pub(crate) fn evict(file: &File) -> io::Result<()> {
    file.sync_all()?;
    fadvise_dontneed(file)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn fadvise_dontneed(file: &File) -> io::Result<()> {
    // SAFETY: posix_fadvise takes only integers; the descriptor is open for the whole call
    // because `file` is borrowed.
    let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn fadvise_dontneed(_file: &File) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "posix_fadvise is not available here",
    ))
}

/// The fraction (0.0 to 1.0) of the first `len` bytes of `file` that sit in the page cache.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn resident_fraction(file: &File, len: usize) -> io::Result<f64> {
    if len == 0 {
        return Ok(0.0);
    }
    let map = map_read(file, len)?;
    let pages = len.div_ceil(page_size());
    let mut residency = vec![0u8; pages];
    // SAFETY: the map starts on a page boundary (offset 0) and covers `len` bytes; mincore
    // writes one byte per page of that range into `residency`, which has exactly that many.
    // mincore only inspects page tables and the page cache; it touches no mapped byte.
    let rc = unsafe { libc::mincore(map.as_ptr() as *mut c_void, len, residency.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let resident = residency.iter().filter(|&&page| page & 1 == 1).count();
    Ok(resident as f64 / pages as f64)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn resident_fraction(_file: &File, _len: usize) -> io::Result<f64> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "mincore is not used on this system",
    ))
}

/// Bytes an unprivileged writer may still use on the filesystem holding `file`.
pub(crate) fn available_bytes(file: &File) -> io::Result<u64> {
    let mut buf = MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `buf` is a writable statvfs-sized buffer and the descriptor is open.
    let rc = unsafe { libc::fstatvfs(file.as_raw_fd(), buf.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstatvfs returned 0, so it filled `buf` completely.
    let stat = unsafe { buf.assume_init() };
    // The fields' widths differ between platforms; on some they are u64 already.
    #[allow(clippy::useless_conversion)]
    Ok(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
}

/// The filesystem type number (`f_type`, a "magic") of the filesystem holding `path`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn filesystem_magic(path: &Path) -> io::Result<u32> {
    let path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    let mut buf = MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `path` is NUL-terminated and outlives the call; `buf` is a writable
    // statfs-sized buffer.
    let rc = unsafe { libc::statfs(path.as_ptr(), buf.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: statfs returned 0, so it filled `buf` completely.
    let stat = unsafe { buf.assume_init() };
    // f_type's width differs between libcs; the magics themselves are 32-bit.
    #[allow(clippy::unnecessary_cast)]
    Ok(stat.f_type as u32)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn filesystem_magic(_path: &Path) -> io::Result<u32> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "statfs f_type is Linux-only",
    ))
}

/// The kernel's name, release, version string and machine, from uname(2).
pub(crate) struct Uname {
    pub sysname: String,
    pub release: String,
    pub version: String,
    pub machine: String,
}

pub(crate) fn uname() -> io::Result<Uname> {
    let mut buf = MaybeUninit::<libc::utsname>::uninit();
    // SAFETY: `buf` is a writable utsname-sized buffer.
    let rc = unsafe { libc::uname(buf.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: uname returned 0, so it filled `buf` completely.
    let name = unsafe { buf.assume_init() };
    let text = |field: &[libc::c_char]| {
        let bytes: Vec<u8> = field
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ok(Uname {
        sysname: text(&name.sysname),
        release: text(&name.release),
        version: text(&name.version),
        machine: text(&name.machine),
    })
}

/// The size of a memory page.
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf takes an integer and returns one; it has no other effect.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|&size| size > 0)
        .unwrap_or(4096)
}

/// Physical memory in bytes, when the system says.
pub(crate) fn memory_bytes() -> Option<u64> {
    // SAFETY: sysconf takes an integer and returns one; it has no other effect.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    let pages = u64::try_from(pages).ok().filter(|&pages| pages > 0)?;
    Some(pages.saturating_mul(page_size() as u64))
}
