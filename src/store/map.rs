//! The only `unsafe` of the store: memory maps of the store's files, and the two raw system
//! calls std lacks (`sync_file_range` for write-behind, `statvfs` for free space).
//!
//! Mapping a file is unsafe because the bytes can change, or vanish, under the map if another
//! process writes or truncates the file. The store's protocol is the argument that this does
//! not happen to the bytes we read:
//!
//! - readers map exactly the committed length of `body` and `lookup`, which were made durable
//!   before the commit point was published, and mmstore never writes or truncates a file below
//!   its committed length (the writer only appends past it, or truncates an uncommitted tail);
//! - `vacuum` never rewrites a file: it writes a new generation beside the old one and removes
//!   the old files only after publishing, and an unlinked file stays valid under an open map;
//! - the index is the one file changed in place while readers map it, and only by filling
//!   empty 8-byte slots (or clearing slots of an aborted batch, which no reader can be using);
//!   both sides access slots with aligned atomic loads and stores, so a reader sees a slot
//!   either before or after a write, never torn.
//!
//! Before mapping, the file's length is checked against the length to map, so a store that
//! was truncated behind our back is reported as corrupt instead of raising SIGBUS.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::{Advice, Mmap, MmapMut, MmapOptions, UncheckedAdvice};

/// A read-only map of the first `len` bytes of a file (no map at all when `len` is 0).
#[derive(Debug)]
pub struct Map {
    map: Option<Mmap>,
}

/// How a map will be read, passed on to the kernel as `madvise` hints.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    Sequential,
    Random,
    WillNeed,
}

impl Map {
    /// Maps the first `len` bytes of `file`. Fails with `UnexpectedEof` if the file is
    /// shorter, so a truncated file never turns into SIGBUS.
    pub fn new(file: &File, len: u64) -> io::Result<Map> {
        if len == 0 {
            return Ok(Map { map: None });
        }
        let actual = file.metadata()?.len();
        if actual < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("file is {actual} bytes, shorter than the {len} bytes committed"),
            ));
        }
        let len = usize::try_from(len).map_err(|_| io::Error::other("file too large to map"))?;
        // SAFETY: we map `len` bytes, which the file holds (checked above). mmstore never
        // writes below the committed length nor truncates below it (module docs), so the
        // bytes stay valid and unchanged for the life of the map.
        let map = unsafe { MmapOptions::new().len(len).map(file)? };
        no_huge_pages(&map);
        Ok(Map { map: Some(map) })
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Starts loading byte `at` into the cache (see [`prefetch`]).
    pub fn prefetch(&self, at: usize) {
        prefetch(self.bytes(), at);
    }

    /// Tells the kernel how the map will be read. Advice is a hint; failure is ignored.
    pub fn advise(&self, access: Access) {
        if let Some(map) = &self.map {
            let _ = map.advise(match access {
                Access::Sequential => Advice::Sequential,
                Access::Random => Advice::Random,
                Access::WillNeed => Advice::WillNeed,
            });
        }
    }

    /// Drops the pages of `range` from this process's resident set; they stay in the page
    /// cache and come back on the next touch. Streaming commands call this as they go so that
    /// peak RSS stays flat however large the store is.
    pub fn release(&self, start: usize, end: usize) {
        let Some(map) = &self.map else { return };
        let page = page_size();
        let start = start / page * page;
        let end = end.min(map.len());
        if end <= start {
            return;
        }
        // SAFETY: the map is a read-only shared file map; MADV_DONTNEED on it only unmaps
        // pages, which are read back from the file (or the page cache) on the next access.
        // No data is lost because nothing was written through this map.
        let _ =
            unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, start, end - start) };
    }

    /// The `i`-th aligned little-endian u64 of the map, read atomically.
    pub fn load_u64(&self, i: usize) -> u64 {
        let bytes = self.bytes();
        let slot = &bytes[i * 8..i * 8 + 8];
        // SAFETY: `slot` is 8 in-bounds bytes at an 8-aligned offset of a page-aligned map,
        // so it is a valid, aligned AtomicU64. Another process may store to it concurrently
        // (the writer filling an index slot), which is exactly what atomics are for.
        let atomic = unsafe { AtomicU64::from_ptr(slot.as_ptr() as *mut u64) };
        u64::from_le(atomic.load(Ordering::Acquire))
    }
}

/// Starts loading the cache line holding byte `at` of `bytes` without waiting for it (a
/// software prefetch); does nothing where the CPU has no such hint or `at` is out of range.
pub fn prefetch(bytes: &[u8], at: usize) {
    if at >= bytes.len() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let address = bytes[at..].as_ptr().cast::<i8>();
        // SAFETY: SSE, which `_mm_prefetch` needs, is part of x86_64's baseline, and a
        // prefetch is a hint that never faults or reads into a register; the address is in
        // bounds of a live slice anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address) };
    }
}

/// A read-write map of a whole file: the writer's view of the index.
#[derive(Debug)]
pub struct MapMut {
    map: MmapMut,
}

impl MapMut {
    /// Maps all `len` bytes of `file`, which must be at least that long.
    pub fn new(file: &File, len: u64) -> io::Result<MapMut> {
        let actual = file.metadata()?.len();
        if actual < len || len == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("file is {actual} bytes, expected {len}"),
            ));
        }
        let len = usize::try_from(len).map_err(|_| io::Error::other("file too large to map"))?;
        // SAFETY: only the process holding the writer lock maps a file writable, and the file
        // is never truncated while mapped. Readers map it too but only load slots atomically.
        let map = unsafe { MmapOptions::new().len(len).map_mut(file)? };
        no_huge_pages(&map);
        Ok(MapMut { map })
    }

    pub fn slots(&self) -> usize {
        self.map.len() / 8
    }

    /// The `i`-th slot, read atomically.
    pub fn load_u64(&self, i: usize) -> u64 {
        let slot = &self.map[i * 8..i * 8 + 8];
        // SAFETY: in bounds, 8-aligned within a page-aligned map; see `Map::load_u64`.
        let atomic = unsafe { AtomicU64::from_ptr(slot.as_ptr() as *mut u64) };
        u64::from_le(atomic.load(Ordering::Acquire))
    }

    /// Stores the `i`-th slot atomically, so a concurrent reader sees all of it or none.
    pub fn store_u64(&mut self, i: usize, value: u64) {
        let slot = &mut self.map[i * 8..i * 8 + 8];
        // SAFETY: in bounds, 8-aligned, and we hold `&mut` to the map so no other thread of
        // this process aliases it; other processes only load atomically.
        let atomic = unsafe { AtomicU64::from_ptr(slot.as_mut_ptr() as *mut u64) };
        atomic.store(value.to_le(), Ordering::Release);
    }

    /// Starts loading slot `i` into the cache (see [`prefetch`]).
    pub fn prefetch_u64(&self, i: usize) {
        prefetch(&self.map, i * 8);
    }

    /// Writes dirty pages back to the file and waits for them (msync).
    pub fn flush(&self) -> io::Result<()> {
        self.map.flush()
    }

    /// Drops the pages from this process's resident set (they are written back first).
    pub fn release(&self) {
        // SAFETY: a shared file map: MADV_DONTNEED keeps dirty pages in the page cache for
        // writeback (the kernel transfers the dirty bit), so no write is lost.
        let _ = unsafe { self.map.unchecked_advise(UncheckedAdvice::DontNeed) };
    }
}

/// Asks the kernel not to map this range with huge pages. Where the page cache holds large
/// folios, one read fault could otherwise map 2 MiB at once into our resident set; with 4 KiB
/// mappings a fault maps its page and a few cached neighbours only, so random reads keep RSS
/// small. A hint: kernels without the option ignore it.
fn no_huge_pages(map: &[u8]) {
    #[cfg(target_os = "linux")]
    {
        let start = map.as_ptr() as *mut libc::c_void;
        // SAFETY: the range is exactly a live mapping of ours; MADV_NOHUGEPAGE only changes
        // how future faults map it and never touches its contents.
        unsafe {
            libc::madvise(start, map.len(), libc::MADV_NOHUGEPAGE);
        }
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as usize } else { 4096 }
}

/// Asks the kernel to start writing a range of `file` back now (Linux `sync_file_range`), so
/// that the fsync at commit has little left to wait for. A hint only: errors are ignored.
pub fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain syscall on a descriptor we own; no memory is passed to the kernel.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset as i64,
            len as i64,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

/// Gives `file` a length of `len` bytes with every block allocated (`posix_fallocate`), so that
/// writing through a writable map of it can never meet a full disk: a page fault that finds no
/// space raises SIGBUS, where this call fails with ENOSPC instead. Falls back to `set_len` where
/// the filesystem cannot allocate ahead.
pub fn allocate(file: &File, len: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let len_arg =
        libc::off_t::try_from(len).map_err(|_| io::Error::other("file too large to allocate"))?;
    // SAFETY: a plain syscall on a descriptor we own; no memory is passed to the kernel.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len_arg) };
    match rc {
        0 => Ok(()),
        libc::EOPNOTSUPP | libc::EINVAL => file.set_len(len),
        errno => Err(io::Error::from_raw_os_error(errno)),
    }
}

/// Bytes available to an unprivileged user on the filesystem holding `path` (`statvfs`).
pub fn free_space(path: &std::path::Path) -> io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` points to writable memory
    // of the right type; statvfs fills it completely when it returns 0.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so the struct is initialised.
    let stat = unsafe { stat.assume_init() };
    #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
    let available = stat.f_bavail as u64 * stat.f_frsize as u64;
    Ok(available)
}

/// Keeps the resident set of random reads through maps within a budget.
///
/// A read through a map faults its page in, and the kernel maps cached neighbours too (with
/// large page-cache folios, hundreds of KiB per fault on current kernels), all counted in the
/// process's RSS. Scans release what they have passed; random readers (many `get`s, a writer
/// comparing keys) cannot know what they will touch next, so they call [`RssGuard::tick`]
/// after each lookup: every few calls it reads the resident set size (`/proc/self/statm`) and
/// says when it has passed the budget, and the caller drops every page of its maps. The pages
/// stay in the page cache; only this process's mappings of them go.
#[derive(Debug)]
pub struct RssGuard {
    statm: Option<File>,
    budget_pages: AtomicU64,
    calls: AtomicU64,
    /// The call at which to read the resident set size next.
    next_check: AtomicU64,
    /// The call and resident pages at the last reading (`u64::MAX` pages: none since the
    /// caller last released its maps).
    last_call: AtomicU64,
    last_pages: AtomicU64,
}

/// Fewest and most calls between two readings of the resident set size. Reading
/// `/proc/self/statm` costs about a microsecond, as much as a lookup: the guard reads it
/// more rarely the more headroom the growth it measured leaves.
const RSS_CHECK_MIN: u64 = 8;
const RSS_CHECK_MAX: u64 = 1024;

impl RssGuard {
    /// A guard keeping RSS under `budget` bytes.
    pub fn new(budget: u64) -> RssGuard {
        RssGuard {
            statm: File::open("/proc/self/statm").ok(),
            budget_pages: AtomicU64::new(budget / page_size() as u64),
            calls: AtomicU64::new(0),
            next_check: AtomicU64::new(RSS_CHECK_MIN),
            last_call: AtomicU64::new(0),
            last_pages: AtomicU64::new(u64::MAX),
        }
    }

    /// Changes the budget (a writer raises it by the index it must keep mapped).
    pub fn set_budget(&self, budget: u64) {
        self.budget_pages
            .store(budget / page_size() as u64, Ordering::Relaxed);
    }

    /// `true` when the caller should release its maps now.
    pub fn tick(&self) -> bool {
        let call = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        if call < self.next_check.load(Ordering::Relaxed) {
            return false;
        }
        let Some(pages) = self.resident_pages() else {
            self.next_check.store(u64::MAX, Ordering::Relaxed);
            return false;
        };
        let budget = self.budget_pages.load(Ordering::Relaxed);
        if pages > budget {
            // The caller releases its maps: measure the growth afresh from there.
            self.last_pages.store(u64::MAX, Ordering::Relaxed);
            self.next_check
                .store(call + RSS_CHECK_MIN, Ordering::Relaxed);
            return true;
        }
        let last_pages = self.last_pages.swap(pages, Ordering::Relaxed);
        let last_call = self.last_call.swap(call, Ordering::Relaxed);
        let interval = if last_pages == u64::MAX || call <= last_call {
            RSS_CHECK_MIN
        } else {
            // Next reading when the growth measured since the last one would have used half
            // the headroom left.
            let growth = pages.saturating_sub(last_pages).max(1);
            let headroom = budget - pages;
            (headroom / 2).saturating_mul(call - last_call) / growth
        };
        self.next_check.store(
            call + interval.clamp(RSS_CHECK_MIN, RSS_CHECK_MAX),
            Ordering::Relaxed,
        );
        false
    }

    fn resident_pages(&self) -> Option<u64> {
        use std::os::unix::fs::FileExt;
        let statm = self.statm.as_ref()?;
        let mut buf = [0u8; 128];
        let n = statm.read_at(&mut buf, 0).ok()?;
        // "size resident shared text lib data dt", in pages.
        let text = std::str::from_utf8(&buf[..n]).ok()?;
        text.split_ascii_whitespace().nth(1)?.parse().ok()
    }
}
