//! What the numbers were measured on: they mean little without the cores, the kernel and,
//! above all, the filesystem of `--dir` (tmpfs has no disk behind it; a network filesystem
//! has a slow one).

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::sys;

/// The machine and the filesystem a bench ran on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs this process may use.
    pub cores: usize,
    /// `sysname release` from uname(2), e.g. `Linux 6.8.0-45-generic`.
    pub kernel: String,
    /// uname's version string (build date and flags).
    pub kernel_version: String,
    /// uname's machine, e.g. `x86_64`.
    pub arch: String,
    /// The CPU model, when /proc/cpuinfo names it.
    pub cpu: Option<String>,
    /// Physical memory, when the system says.
    pub memory_bytes: Option<u64>,
    /// The size of a memory page.
    pub page_size: usize,
    /// The filesystem type of the directory measured in (from /proc/self/mounts where it
    /// lists the directory's mount, else from statfs's type number).
    pub filesystem: String,
    /// statfs's `f_type` for the directory, in hex.
    pub filesystem_magic: Option<String>,
}

impl Machine {
    /// Probes this machine and the filesystem holding `dir`. Never fails: what cannot be
    /// found out is reported as unknown.
    pub fn probe(dir: &Path) -> Machine {
        let uname = sys::uname().ok();
        let magic = sys::filesystem_magic(dir).ok();
        let filesystem = mount_type(dir)
            .or_else(|| magic.and_then(filesystem_name).map(str::to_string))
            .unwrap_or_else(|| "unknown".to_string());
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |cores| cores.get()),
            kernel: uname.as_ref().map_or_else(
                || "unknown".to_string(),
                |u| format!("{} {}", u.sysname, u.release),
            ),
            kernel_version: uname
                .as_ref()
                .map_or_else(String::new, |u| u.version.clone()),
            arch: uname.map_or_else(|| std::env::consts::ARCH.to_string(), |u| u.machine),
            cpu: cpu_model(),
            memory_bytes: sys::memory_bytes(),
            page_size: sys::page_size(),
            filesystem,
            filesystem_magic: magic.map(|magic| format!("{magic:#x}")),
        }
    }
}

/// Names of the common filesystem type numbers (see statfs(2)).
fn filesystem_name(magic: u32) -> Option<&'static str> {
    Some(match magic {
        0xEF53 => "ext2/ext3/ext4",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x0102_1994 => "tmpfs",
        0x8584_58F6 => "ramfs",
        0x794C_7630 => "overlayfs",
        0x2FC1_2FC1 => "zfs",
        0xCA45_1A4E => "bcachefs",
        0xF2F5_2010 => "f2fs",
        0x6969 => "nfs",
        0xFF53_4D42 => "cifs",
        0xFE53_4D42 => "smb2",
        0x6573_5546 => "fuse",
        0x0102_1997 => "9p",
        0x4D44 => "vfat",
        0x5346_544E => "ntfs",
        0x7366_746E => "ntfs3",
        0x7371_7368 => "squashfs",
        _ => return None,
    })
}

/// The type of the mount holding `dir`, from the longest mount point that contains it.
fn mount_type(dir: &Path) -> Option<String> {
    let dir = fs::canonicalize(dir).ok()?;
    let mounts = fs::read_to_string("/proc/self/mounts").ok()?;
    let mut best: Option<(usize, String)> = None;
    for line in mounts.lines() {
        let mut fields = line.split(' ');
        let (Some(_device), Some(mount_point), Some(kind)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let mount_point = PathBuf::from(unescape_mount_point(mount_point));
        if dir.starts_with(&mount_point) {
            let depth = mount_point.components().count();
            // Later lines win ties: they are mounted over the earlier ones.
            if best
                .as_ref()
                .is_none_or(|(best_depth, _)| depth >= *best_depth)
            {
                best = Some((depth, kind.to_string()));
            }
        }
    }
    best.map(|(_, kind)| kind)
}

/// /proc/self/mounts writes space, tab, newline and backslash as `\ooo` octal escapes.
fn unescape_mount_point(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 4 <= bytes.len() {
            let digits = std::str::from_utf8(&bytes[i + 1..i + 4]).unwrap_or("");
            if let Ok(value) = u8::from_str_radix(digits, 8) {
                out.push(value);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn cpu_model() -> Option<String> {
    let info = fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim() == "model name")
        .map(|(_, value)| value.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_with_escaped_spaces_are_decoded() {
        assert_eq!(unescape_mount_point(r"/mnt/my\040disk"), "/mnt/my disk");
        assert_eq!(unescape_mount_point(r"/plain"), "/plain");
        assert_eq!(unescape_mount_point(r"/odd\0"), r"/odd\0");
    }

    #[test]
    fn probing_the_temp_dir_names_cores_kernel_and_filesystem() {
        let machine = Machine::probe(&std::env::temp_dir());
        assert!(machine.cores >= 1);
        assert!(!machine.kernel.is_empty());
        assert!(!machine.filesystem.is_empty());
        assert!(machine.page_size >= 512);
    }
}
