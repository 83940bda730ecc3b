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
