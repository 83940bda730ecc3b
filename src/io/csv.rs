//! `import-csv`: every row becomes a compact JSON object `{column: value}`, columns in file
//! order. Parsing is the `csv` crate's (quotes, embedded newlines, CRLF, BOM); this module
//! only names columns, checks rows, and writes the JSON.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;
use std::str::Utf8Error;

use crate::error::{Error, Result};
use crate::store::{BatchSummary, OnDuplicate, Writer};

/// How to read the CSV.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// The column whose value is the key (by name; with `no_header`, `c0`, `c1`, … or a
    /// 0-based number). `None`: auto keys.
    pub key_column: Option<String>,
    pub delimiter: u8,
    pub no_header: bool,
    pub infer_types: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            key_column: None,
            delimiter: b',',
            no_header: false,
            infer_types: false,
        }
    }
}

/// Appends every row of `input` as one batch; the caller commits or aborts. Parsing runs on
/// a second thread.
pub fn import_csv(
    writer: &mut Writer,
    input: &mut (dyn Read + Send),
    options: &CsvOptions,
    on_duplicate: OnDuplicate,
    size_hint: Option<u64>,
) -> Result<BatchSummary> {
    super::pipelined(writer, on_duplicate, |sink| {
        parse(input, options, size_hint, sink)
    })?;
    Ok(writer.summary())
}

/// Parses the CSV into records for `sink`.
fn parse(
    input: &mut dyn Read,
    options: &CsvOptions,
    size_hint: Option<u64>,
    sink: &mut dyn super::Sink,
) -> Result<()> {
    let mut sizer = Sizer::new(size_hint);
    let line_ends = Rc::new(RefCell::new(LineEnds::default()));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(options.delimiter)
        .buffer_capacity(1 << 20)
        .from_reader(LineTracker {
            inner: input,
            line_ends: Rc::clone(&line_ends),
        });
    let mut record = csv::ByteRecord::new();
    let mut names: Option<Vec<String>> = None;
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    let mut key_index: Option<usize> = None;
    loop {
        let more = reader.read_byte_record(&mut record).map_err(csv_error)?;
        if !more {
            break;
        }
        let start = record.position().map_or(0, |p| p.byte());
        let line = line_ends.borrow_mut().line_of_record_at(start);
        if names.is_none() {
            let header = if options.no_header {
                (0..record.len()).map(|i| format!("c{i}")).collect()
            } else {
                header_names(&record, line)?
            };
            key_index = match &options.key_column {
                Some(column) => Some(find_column(&header, column, options.no_header)?),
                None => None,
            };
            prefixes = column_prefixes(&header);
            names = Some(header);
            if !options.no_header {
                continue;
            }
        }
        let columns = names.as_ref().expect("set above");
        if record.len() != columns.len() {
            return Err(Error::bad_input_at(
                line,
                format!(
                    "the row has {} fields but the header has {}",
                    record.len(),
                    columns.len()
                ),
            ));
        }
        if !line_ends.borrow().input_is_utf8() {
            // Some byte read so far is not UTF-8: check each field, so that the error names
            // the one. Otherwise every field is UTF-8 (fields end at ASCII bytes) and is copied
            // without a check of its own.
            if let Some(i) = record.iter().position(|f| std::str::from_utf8(f).is_err()) {
                return Err(not_utf8(line, &columns[i]));
            }
        }
        let key = match key_index {
            Some(k) => Some(checked_key(&record[k], line, &columns[k])?),
            None => None,
        };
        let mut written = Ok(());
        sink.staged().push(key, line, true, |json| {
            for (i, field) in record.iter().enumerate() {
                json.extend_from_slice(&prefixes[i]);
                let value = if options.infer_types {
                    write_inferred(json, field)
                } else {
                    write_json_bytes(json, field)
                };
                if value.is_err() {
                    written = Err(not_utf8(line, &columns[i]));
                }
            }
            json.push(b'}');
        });
        written?;
        sink.pushed()?;
        sizer.row(sink, record.as_slice().len() as u64 + record.len() as u64)?;
    }
    Ok(())
}

fn not_utf8(line: u64, column: &str) -> Error {
    Error::BadInput {
        line: Some(line),
        column: Some(column.to_string()),
        what: "the field is not valid UTF-8".into(),
    }
}

/// The key in a key column's field, or why it cannot be one.
fn checked_key<'f>(field: &'f [u8], line: u64, column: &str) -> Result<&'f str> {
    let key = std::str::from_utf8(field).map_err(|_| not_utf8(line, column))?;
    match crate::store::format::key_problem(key) {
        None => Ok(key),
        Some(problem) => Err(Error::BadInput {
            line: Some(line),
            column: Some(column.to_string()),
            what: problem,
        }),
    }
}

/// The physical line where each record starts. csv's own record positions count from the
/// end of the previous record, so they miss blank lines and, in CRLF files, the LF of the
/// previous line end. This tracker sees every byte csv reads and remembers where the CR and
/// LF bytes not yet passed are.
#[derive(Default)]
struct LineEnds {
    /// Offsets of CR and LF bytes at or after `passed`, each shifted left by one with the
    /// low bit set for LF.
    pending: VecDeque<u64>,
    /// Bytes read from the input so far.
    read: u64,
    /// LF bytes before the offset of the last query.
    lines_before: u64,
    /// Some byte read so far is not valid UTF-8.
    not_utf8: bool,
    /// The start of a character cut by the end of the last read (at most three bytes).
    cut: Vec<u8>,
}

impl LineEnds {
    /// Whether every byte read so far is valid UTF-8 (checked a read at a time, which costs
    /// a fraction of checking each record).
    fn input_is_utf8(&self) -> bool {
        !self.not_utf8 && self.cut.is_empty()
    }

    fn check_utf8(&mut self, mut bytes: &[u8]) {
        if self.not_utf8 {
            return;
        }
        // Finish the character the last read cut.
        while !self.cut.is_empty() {
            let Some((&first, rest)) = bytes.split_first() else {
                return;
            };
            self.cut.push(first);
            bytes = rest;
            match std::str::from_utf8(&self.cut) {
                Ok(_) => self.cut.clear(),
                Err(e) if e.error_len().is_none() => {}
                Err(_) => {
                    self.not_utf8 = true;
                    return;
                }
            }
        }
        // The vectorised check is several times std's on long runs of ASCII; std's tells
        // where a character was cut.
        if simdutf8::basic::from_utf8(bytes).is_ok() {
            return;
        }
        match std::str::from_utf8(bytes) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => self.cut = bytes[e.valid_up_to()..].to_vec(),
            Err(_) => self.not_utf8 = true,
        }
    }

    fn saw(&mut self, bytes: &[u8]) {
        self.check_utf8(bytes);
        for at in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            let offset = self.read + at as u64;
            self.pending
                .push_back(offset << 1 | u64::from(bytes[at] == b'\n'));
        }
        self.read += bytes.len() as u64;
    }

    /// The 1-based line of the first byte of the record whose read began at `offset`: line
    /// ends (the rest of the previous record's, blank lines) come first. Offsets only grow.
    fn line_of_record_at(&mut self, offset: u64) -> u64 {
        while let Some(&mark) = self.pending.front() {
            if mark >> 1 >= offset {
                break;
            }
            self.lines_before += mark & 1;
            self.pending.pop_front();
        }
        // The run of CR and LF bytes right at `offset` holds the line ends before the record.
        let run = (offset..)
            .zip(&self.pending)
            .take_while(|&(expected, &mark)| mark >> 1 == expected);
        self.lines_before + 1 + run.map(|(_, &mark)| mark & 1).sum::<u64>()
    }
}

struct LineTracker<'r> {
    inner: &'r mut dyn Read,
    line_ends: Rc<RefCell<LineEnds>>,
}

impl Read for LineTracker<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.line_ends.borrow_mut().saw(&buf[..n]);
        Ok(n)
    }
}

/// Estimates how many records an input of known size holds from its first rows, and sizes
/// the index for them once instead of doubling it again and again.
pub(crate) struct Sizer {
    size: Option<u64>,
    rows: u64,
    bytes: u64,
}

impl Sizer {
    const SAMPLE: u64 = 4096;

    pub(crate) fn new(size: Option<u64>) -> Self {
        Sizer {
            size,
            rows: 0,
            bytes: 0,
        }
    }

    pub(crate) fn row(&mut self, sink: &mut dyn super::Sink, bytes: u64) -> Result<()> {
        let Some(size) = self.size else { return Ok(()) };
        self.rows += 1;
        self.bytes += bytes;
        if self.rows == Self::SAMPLE {
            self.size = None;
            let per_row = (self.bytes / self.rows).max(1);
            // A little headroom: the sample may run long.
            sink.reserve(size / per_row * 11 / 10)?;
        }
        Ok(())
    }
}

fn csv_error(e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io("cannot read the CSV input", io),
        other => Error::BadInput {
            line,
            column: None,
            what: format!("{other:?}"),
        },
    }
}

fn header_names(record: &csv::ByteRecord, line: u64) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    for (i, field) in record.iter().enumerate() {
        let name = std::str::from_utf8(field).map_err(|_| Error::BadInput {
            line: Some(line),
            column: Some(i.to_string()),
            what: "the header name is not valid UTF-8".into(),
        })?;
        if names.iter().any(|n| n == name) {
            return Err(Error::BadInput {
                line: Some(line),
                column: Some(name.to_string()),
                what: format!("the header names the column {name:?} twice"),
            });
        }
        names.push(name.to_string());
    }
    Ok(names)
}

fn find_column(names: &[String], column: &str, allow_number: bool) -> Result<usize> {
    if let Some(i) = names.iter().position(|n| n == column) {
        return Ok(i);
    }
    if allow_number
        && let Ok(i) = column.parse::<usize>()
        && i < names.len()
    {
        return Ok(i);
    }
    Err(Error::BadInput {
        line: Some(1),
        column: Some(column.to_string()),
        what: format!(
            "there is no key column {column:?}; the columns are {}",
            names.join(", ")
        ),
    })
}

/// `{"name":` for the first column, `,"name":` for the others.
fn column_prefixes(names: &[String]) -> Vec<Vec<u8>> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut prefix = vec![if i == 0 { b'{' } else { b',' }];
            write_json_string(&mut prefix, name);
            prefix.push(b':');
            prefix
        })
        .collect()
}

/// Appends `bytes` as a JSON string, escaped exactly as serde_json escapes it; `Err` if they
/// need escaping and are not UTF-8 after all.
fn write_json_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> std::result::Result<(), Utf8Error> {
    if !write_unescaped(out, bytes) {
        serde_json::to_writer(&mut *out, std::str::from_utf8(bytes)?)
            .expect("writing to a Vec cannot fail");
    }
    Ok(())
}

/// Appends `text` as a JSON string, escaped exactly as serde_json escapes it.
pub fn write_json_string(out: &mut Vec<u8>, text: &str) {
    if !write_unescaped(out, text.as_bytes()) {
        serde_json::to_writer(&mut *out, text).expect("writing to a Vec cannot fail");
    }
}

/// Appends `bytes` in quotes when nothing in them needs escaping; `false` (and nothing
/// appended) otherwise.
fn write_unescaped(out: &mut Vec<u8>, bytes: &[u8]) -> bool {
    if needs_escape(bytes) {
        return false;
    }
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    out.extend_from_slice(bytes);
    out.push(b'"');
    true
}

/// Whether any byte is a control character, a quote or a backslash; eight bytes at a time.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        // A byte below 0x20 (bytes >= 0x80 are never below it, so mask them out), a '"'
        // or a '\\' anywhere in the word.
        let below = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        if below | has_zero(x ^ (ONES * b'"' as u64)) | has_zero(x ^ (ONES * b'\\' as u64)) != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// `--infer-types`: numbers (JSON's grammar, no leading zeros), `true`/`false`, empty as
/// `null`; anything else stays a string.
fn write_inferred(out: &mut Vec<u8>, field: &[u8]) -> std::result::Result<(), Utf8Error> {
    if field.is_empty() {
        out.extend_from_slice(b"null");
    } else if field == b"true" || field == b"false" || is_json_number(field) {
        out.extend_from_slice(field);
    } else {
        write_json_bytes(out, field)?;
    }
    Ok(())
}

/// Whether `s` matches JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
pub fn is_json_number(s: &[u8]) -> bool {
    let mut i = 0;
    let n = s.len();
    if i < n && s[i] == b'-' {
        i += 1;
    }
    if i >= n {
        return false;
    }
    if s[i] == b'0' {
        i += 1;
    } else if s[i].is_ascii_digit() {
        while i < n && s[i].is_ascii_digit() {
            i += 1;
        }
    } else {
        return false;
    }
    if i < n && s[i] == b'.' {
        i += 1;
        let start = i;
        while i < n && s[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if i < n && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        if i < n && (s[i] == b'+' || s[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < n && s[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_number_grammar() {
        for yes in [
            "0",
            "-0",
            "7",
            "-12",
            "1.5",
            "1e10",
            "1E+3",
            "-0.25e-2",
            "12345678901234567890",
        ] {
            assert!(is_json_number(yes.as_bytes()), "{yes}");
        }
        for no in [
            "", "-", "007", "01", "1.", ".5", "+1", "NaN", "inf", "1e", "1x", "0x10", " 1",
        ] {
            assert!(!is_json_number(no.as_bytes()), "{no}");
        }
    }

    /// Fed in two pieces cut at every byte, the checker tells valid input (multi-byte
    /// characters cut anywhere) from input with a bad byte or ending inside a character.
    #[test]
    fn the_utf8_check_of_reads_finishes_characters_cut_between_reads() {
        let cases: [(&[u8], bool); 5] = [
            ("id,é日🦀\nk,ÿ🦀\n".as_bytes(), true),
            (b"ascii only\n", true),
            (b"caf\xe9,x\n", false),
            (b"\xf0\x9f\xa6", false),
            (b"ok\xc3\x28", false),
        ];
        for (input, valid) in cases {
            for cut in 0..=input.len() {
                let mut ends = LineEnds::default();
                ends.saw(&input[..cut]);
                ends.saw(&input[cut..]);
                assert_eq!(ends.input_is_utf8(), valid, "{input:?} cut at {cut}");
            }
        }
    }

    #[test]
    fn strings_escape_like_serde_json() {
        for text in [
            "plain",
            "quo\"te",
            "back\\slash",
            "tab\there",
            "nl\nx",
            "\u{1}",
            "é ü 日本",
            "a long plain ascii text over eight bytes",
            "a long text with a \u{1f} control byte",
            "ends with quote after eight\"",
            "\u{7f}\u{80}ÿ",
        ] {
            let mut out = Vec::new();
            write_json_string(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap());
        }
    }
}
