//! The on-disk format, written down in code. Every multi-byte field is little-endian and
//! fixed-width; structs are read in place from the maps through zerocopy.
//!
//! A store is a directory:
//!
//! | file            | contents                                                         |
//! |-----------------|------------------------------------------------------------------|
//! | `header`        | two [`HeaderSlot`]s of 256 bytes, at offsets 0 and 4096          |
//! | `lookup.<gen>`  | one 24-byte [`Entry`] per appended record or tombstone           |
//! | `body.<gen>`    | records: key bytes followed by value bytes, no framing           |
//! | `index.<id>`    | open-addressing hash table of 8-byte slots (see `index.rs`)      |
//! | `lock`          | the writer lock; holds the writer's PID as decimal text          |
//!
//! `HeaderSlot` (256 bytes, each slot alone in its own 4 KiB block so that a torn write of
//! one slot cannot touch the other):
//!
//! | offset | size | field             | meaning                                           |
//! |--------|------|-------------------|---------------------------------------------------|
//! | 0      | 8    | magic             | `\x89MMS\r\n\x1a\n`                               |
//! | 8      | 4    | format_version    | [`FORMAT_VERSION`]                                |
//! | 12     | 4    | slot_size         | 256: bytes covered by the checksum, with it       |
//! | 16     | 8    | commit_seq        | grows by one per header write; newest valid wins |
//! | 24     | 8    | generation        | names `body.<gen>` and `lookup.<gen>`            |
//! | 32     | 8    | index_id          | names `index.<id>`                                |
//! | 40     | 8    | index_capacity    | slots in the index (a power of two)               |
//! | 48     | 8    | index_used        | filled slots                                      |
//! | 56     | 8    | entry_count       | committed lookup entries                          |
//! | 64     | 8    | body_len          | committed body bytes                              |
//! | 72     | 8    | next_seq          | records ever committed: the next auto key         |
//! | 80     | 8    | live_count        | live records                                      |
//! | 88     | 8    | deleted_count     | records hidden by a tombstone                     |
//! | 96     | 8    | replaced_count    | records hidden by a newer record of the same key  |
//! | 104    | 8    | live_bytes        | key + value bytes of live records                 |
//! | 112    | 8    | dead_bytes        | key + value bytes of deleted and replaced records |
//! | 120    | 8    | created_unix      | seconds since the epoch                           |
//! | 128    | 8    | last_vacuum_unix  | 0 = never                                         |
//! | 136    | 8    | flags             | bit 0: index may hold uncommitted slots           |
//! | 144    | 104  | reserved          | zero                                              |
//! | 248    | 4    | checksum          | CRC32 of bytes 0..248                             |
//! | 252    | 4    | reserved          | zero                                              |
//!
//! `Entry` (24 bytes):
//!
//! | offset | size | field                 | meaning                                     |
//! |--------|------|-----------------------|---------------------------------------------|
//! | 0      | 8    | offset_and_key_len    | body offset (low 48 bits), key length (high 16) |
//! | 8      | 8    | value_len_and_flags   | value length (low 48 bits), flags (high 16)  |
//! | 16     | 4    | key_hash              | low 32 bits of XXH3-64 of the key bytes     |
//! | 20     | 4    | crc32                 | CRC32 of key, value, and 0x01 if json flag  |

use zerocopy::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Magic bytes, PNG-style: a non-ASCII byte, the name, a CRLF, a DOS EOF and an LF, so that
/// a text-mode transfer or a truncated copy is recognised.
pub const MAGIC: [u8; 8] = *b"\x89MMS\r\n\x1a\n";

/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Bytes of one header slot, checksum included.
pub const HEADER_SLOT_SIZE: usize = 256;
/// Where the two slots live in the `header` file.
pub const HEADER_SLOT_OFFSETS: [u64; 2] = [0, 4096];
/// Size of the `header` file.
pub const HEADER_FILE_SIZE: u64 = 8192;

/// Bytes of one lookup entry.
pub const ENTRY_SIZE: usize = 24;

/// Largest body offset and value length an entry can express (256 TiB).
pub const MAX_OFFSET: u64 = (1 << 48) - 1;
/// Largest key, in bytes.
pub const MAX_KEY_LEN: usize = 4096;

/// Header flag: the index may hold slots of an uncommitted batch; the next writer scrubs it.
pub const HEADER_FLAG_INDEX_DIRTY: u64 = 1;

/// Entry flag: this entry is a tombstone; its key bytes are those of the record it deletes.
pub const FLAG_TOMBSTONE: u16 = 1;
/// Entry flag: the value is one strict JSON text on one line, embedded as is in envelopes.
pub const FLAG_JSON: u16 = 1 << 1;
/// Entry flag: this record replaced an earlier live record with the same key.
pub const FLAG_REPLACES: u16 = 1 << 2;
/// Flags this version understands; others make an entry corrupt.
pub const KNOWN_FLAGS: u16 = FLAG_TOMBSTONE | FLAG_JSON | FLAG_REPLACES;

/// File names.
pub const HEADER_FILE: &str = "header";
pub const LOCK_FILE: &str = "lock";

pub fn body_file(generation: u64) -> String {
    format!("body.{generation}")
}
pub fn lookup_file(generation: u64) -> String {
    format!("lookup.{generation}")
}
pub fn index_file(index_id: u64) -> String {
    format!("index.{index_id}")
}

/// One header slot, as it lies on disk.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct HeaderSlot {
    pub magic: [u8; 8],
    pub format_version: U32,
    pub slot_size: U32,
    pub commit_seq: U64,
    pub generation: U64,
    pub index_id: U64,
    pub index_capacity: U64,
    pub index_used: U64,
    pub entry_count: U64,
    pub body_len: U64,
    pub next_seq: U64,
    pub live_count: U64,
    pub deleted_count: U64,
    pub replaced_count: U64,
    pub live_bytes: U64,
    pub dead_bytes: U64,
    pub created_unix: U64,
    pub last_vacuum_unix: U64,
    pub flags: U64,
    pub reserved: [u8; 104],
    pub checksum: U32,
    pub reserved_tail: U32,
}

const _: () = assert!(size_of::<HeaderSlot>() == HEADER_SLOT_SIZE);
const _: () = assert!(size_of::<Entry>() == ENTRY_SIZE);

impl HeaderSlot {
    /// The CRC32 over every byte before the checksum field.
    pub fn compute_checksum(&self) -> u32 {
        crc32fast::hash(&self.as_bytes()[..248])
    }

    /// Seals the slot: sets magic, version, size and checksum.
    pub fn seal(&mut self) {
        self.magic = MAGIC;
        self.format_version = FORMAT_VERSION.into();
        self.slot_size = (HEADER_SLOT_SIZE as u32).into();
        self.checksum = self.compute_checksum().into();
    }

    pub fn index_dirty(&self) -> bool {
        self.flags.get() & HEADER_FLAG_INDEX_DIRTY != 0
    }
}

/// One lookup entry, as it lies on disk.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Entry {
    pub offset_and_key_len: U64,
    pub value_len_and_flags: U64,
    pub key_hash: U32,
    pub crc32: U32,
}

impl Entry {
    pub fn new(
        offset: u64,
        key_len: usize,
        value_len: u64,
        flags: u16,
        key_hash: u32,
        crc32: u32,
    ) -> Self {
        debug_assert!(offset <= MAX_OFFSET && value_len <= MAX_OFFSET && key_len <= MAX_KEY_LEN);
        Entry {
            offset_and_key_len: (offset | (key_len as u64) << 48).into(),
            value_len_and_flags: (value_len | (flags as u64) << 48).into(),
            key_hash: key_hash.into(),
            crc32: crc32.into(),
        }
    }
    pub fn offset(&self) -> u64 {
        self.offset_and_key_len.get() & MAX_OFFSET
    }
    pub fn key_len(&self) -> usize {
        (self.offset_and_key_len.get() >> 48) as usize
    }
    pub fn value_len(&self) -> u64 {
        self.value_len_and_flags.get() & MAX_OFFSET
    }
    pub fn flags(&self) -> u16 {
        (self.value_len_and_flags.get() >> 48) as u16
    }
    pub fn is_tombstone(&self) -> bool {
        self.flags() & FLAG_TOMBSTONE != 0
    }
    pub fn is_json(&self) -> bool {
        self.flags() & FLAG_JSON != 0
    }
    /// Key and value bytes together.
    pub fn record_len(&self) -> u64 {
        self.key_len() as u64 + self.value_len()
    }
    /// Where the record's bytes end in the body. Tombstones reuse their target's key bytes,
    /// so they only cover the key.
    pub fn end(&self) -> u64 {
        self.offset() + self.record_len()
    }
}

/// The hash of a key: XXH3-64, a fixed, documented function, so every build agrees.
pub fn key_hash(key: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key)
}

/// The 32 bits stored in an entry.
pub fn key_hash32(key: &[u8]) -> u32 {
    key_hash(key) as u32
}

/// CRC32 of a record: key bytes, value bytes, then one byte `0x01` when the value is flagged
/// as JSON, so that a flipped flag (which decides how export embeds the value) is caught too.
pub fn record_crc(key: &[u8], value: &[u8], is_json: bool) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(key);
    hasher.update(value);
    if is_json {
        hasher.update(&[1]);
    }
    hasher.finalize()
}

/// Why a key is not acceptable, or `None`.
pub fn key_problem(key: &str) -> Option<String> {
    if key.is_empty() {
        return Some("a key must not be empty".into());
    }
    if key.len() > MAX_KEY_LEN {
        return Some(format!(
            "a key must be at most {MAX_KEY_LEN} bytes (this one has {})",
            key.len()
        ));
    }
    if let Some(bad) = key.bytes().find(|b| matches!(b, 0 | b'\r' | b'\n')) {
        let name = match bad {
            0 => "NUL",
            b'\r' => "CR",
            _ => "LF",
        };
        return Some(format!("a key must not contain {name}"));
    }
    None
}
