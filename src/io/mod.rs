//! Conversions between the store and the text formats scripts speak: JSON Lines in
//! (`append --jsonl`), CSV in (`import-csv`), envelopes out and back in (`export-json`,
//! `import-json`). Nothing here touches the terminal.

pub mod csv;
pub mod dam;
pub mod envelope;
pub mod jsonl;

/// Strips ASCII whitespace (space, tab, CR, LF) from both ends.
pub(crate) fn trim_ascii(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

use crate::error::Result;
use crate::store::{OnDuplicate, Writer};

/// Records parsed but not yet appended. Importers stage a few dozen at a time so that the
/// index slots of all their keys are fetched from memory at once (the loads overlap) before
/// the records are appended one by one; a bulk import spends most of its time waiting on
/// those random accesses otherwise.
#[derive(Default)]
pub(crate) struct Staged {
    data: Vec<u8>,
    items: Vec<StagedItem>,
}

struct StagedItem {
    /// Key bytes in `data`, or `None` for an auto key.
    key: Option<(usize, usize)>,
    value: (usize, usize),
    is_json: bool,
    line: u64,
}

impl Staged {
    /// How many records are staged before they are appended.
    const DEPTH: usize = 32;

    /// Stages one record whose value `build` writes; `key` is `None` for an auto key.
    pub(crate) fn push(
        &mut self,
        key: Option<&str>,
        line: u64,
        is_json: bool,
        build: impl FnOnce(&mut Vec<u8>),
    ) {
        let key = key.map(|k| {
            let start = self.data.len();
            self.data.extend_from_slice(k.as_bytes());
            (start, self.data.len())
        });
        let start = self.data.len();
        build(&mut self.data);
        self.items.push(StagedItem {
            key,
            value: (start, self.data.len()),
            is_json,
            line,
        });
    }

    pub(crate) fn is_full(&self) -> bool {
        self.items.len() >= Self::DEPTH
    }

    /// Appends every staged record, in order.
    pub(crate) fn flush(&mut self, writer: &mut Writer, on_duplicate: OnDuplicate) -> Result<()> {
        for item in &self.items {
            if let Some((start, end)) = item.key {
                writer.prefetch(&self.data[start..end]);
            }
        }
        for item in &self.items {
            let value = &self.data[item.value.0..item.value.1];
            let key = match item.key {
                // Staged keys were copied from `&str`s.
                Some((start, end)) => std::borrow::Cow::Borrowed(
                    std::str::from_utf8(&self.data[start..end]).expect("staged from a str"),
                ),
                None => std::borrow::Cow::Owned(writer.next_auto_key()),
            };
            writer
                .put(&key, value, item.is_json, on_duplicate)
                .map_err(|e| e.at_line(item.line))?;
        }
        self.items.clear();
        self.data.clear();
        Ok(())
    }
}
