//! `import-dam`: read a Jina `DocumentArrayMemmap` folder (jina 2.x) into a store.
//!
//! `header.bin` is an array of fixed rows: the key as `key_length` UTF-32LE code units,
//! NUL-padded, then three little-endian i64 `p`, `r`, `end`; the value is the `end - r` bytes
//! at `p + r` of `body.bin`. A row with `p = r = end = -1` deletes its key; a later row with
//! the same key replaces an earlier one. Values are stored as they are (protobuf bytes).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::{Error, IoContext, Result};
use crate::store::{BatchSummary, OnDuplicate, Writer, value_is_json};

/// The key length of jina 2.x stores, in UTF-32 code units.
pub const DEFAULT_KEY_LENGTH: usize = 36;

/// One row of `header.bin`.
#[derive(Debug, Clone)]
struct Row {
    key: String,
    deleted: bool,
    start: u64,
    len: u64,
}

fn row_size(key_length: usize) -> usize {
    key_length * 4 + 24
}

fn corrupt(row: u64, offset: u64, what: impl Into<String>) -> Error {
    Error::corrupt("header.bin", offset, format!("row {row}: {}", what.into()))
}

/// Reads every row, checking it against the body's size.
fn rows(dir: &Path, key_length: usize, body_len: u64) -> Result<impl Iterator<Item = Result<Row>>> {
    let path = dir.join("header.bin");
    let file = File::open(&path).context(|| format!("cannot open {}", path.display()))?;
    let len = file
        .metadata()
        .context(|| format!("cannot stat {}", path.display()))?
        .len();
    let size = row_size(key_length) as u64;
    if len % size != 0 {
        return Err(Error::corrupt(
            "header.bin",
            len - len % size,
            format!(
                "its size ({len} bytes) is not a multiple of the row size ({size} bytes; --key-length {key_length}); row {} is cut short",
                len / size
            ),
        ));
    }
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut buf = vec![0u8; size as usize];
    let mut number = 0u64;
    Ok(std::iter::from_fn(move || {
        if number * size >= len {
            return None;
        }
        let offset = number * size;
        let row = number;
        number += 1;
        if let Err(e) = reader.read_exact(&mut buf) {
            return Some(Err(Error::io("cannot read header.bin", e)));
        }
        Some(parse_row(&buf, key_length, row, offset, body_len))
    }))
}

fn parse_row(buf: &[u8], key_length: usize, row: u64, offset: u64, body_len: u64) -> Result<Row> {
    let mut key = String::new();
    for unit in buf[..key_length * 4].chunks_exact(4) {
        let code = u32::from_le_bytes(unit.try_into().expect("4 bytes"));
        if code == 0 {
            break;
        }
        let c = char::from_u32(code).ok_or_else(|| {
            corrupt(
                row,
                offset,
                format!("the key holds an invalid code point {code:#x}"),
            )
        })?;
        key.push(c);
    }
    let number = |i: usize| {
        let at = key_length * 4 + i * 8;
        i64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"))
    };
    let (p, r, end) = (number(0), number(1), number(2));
    if key.is_empty() {
        return Err(corrupt(row, offset, "the key is empty"));
    }
    if let Some(problem) = crate::store::format::key_problem(&key) {
        return Err(corrupt(row, offset, problem));
    }
    if (p, r, end) == (-1, -1, -1) {
        return Ok(Row {
            key,
            deleted: true,
            start: 0,
            len: 0,
        });
    }
    if p < 0 || r < 0 || end < r {
        return Err(corrupt(
            row,
            offset,
            format!("invalid positions p={p}, r={r}, end={end}"),
        ));
    }
    let start = (p as u64)
        .checked_add(r as u64)
        .ok_or_else(|| corrupt(row, offset, "positions overflow"))?;
    let len = (end - r) as u64;
    if start.checked_add(len).is_none_or(|stop| stop > body_len) {
        return Err(corrupt(
            row,
            offset,
            format!(
                "the value ({len} bytes at {start}) lies past the end of body.bin ({body_len} bytes)"
            ),
        ));
    }
    Ok(Row {
        key,
        deleted: false,
        start,
        len,
    })
}

/// Appends the live records of the DAM folder `dir` as one batch; the caller commits.
pub fn import_dam(
    writer: &mut Writer,
    dir: &Path,
    key_length: usize,
    on_duplicate: OnDuplicate,
) -> Result<BatchSummary> {
    if key_length == 0 {
        return Err(Error::bad_input("--key-length must be at least 1"));
    }
    let body_path = dir.join("body.bin");
    let body = File::open(&body_path).context(|| format!("cannot open {}", body_path.display()))?;
    let body_len = body
        .metadata()
        .context(|| format!("cannot stat {}", body_path.display()))?
        .len();
    // First pass: which row is the last word on each key.
    let mut last: HashMap<String, u64> = HashMap::new();
    for (number, row) in rows(dir, key_length, body_len)?.enumerate() {
        let row = row?;
        last.insert(row.key, number as u64);
    }
    // Second pass: store each key's last row, unless it deletes the key.
    let mut value = Vec::new();
    for (number, row) in rows(dir, key_length, body_len)?.enumerate() {
        crate::interrupt::check()?;
        let row = row?;
        if row.deleted || last.get(&row.key) != Some(&(number as u64)) {
            continue;
        }
        value.resize(row.len as usize, 0);
        body.read_exact_at(&mut value, row.start)
            .context(|| format!("cannot read {}", body_path.display()))?;
        writer.put(&row.key, &value, value_is_json(&value), on_duplicate)?;
    }
    Ok(writer.summary())
}
