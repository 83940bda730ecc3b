//! Envelopes: one JSON object per record, `{"key": K, "value": V}` with the stored bytes
//! embedded verbatim when they are one strict JSON text on one line, else
//! `{"key": K, "value_base64": B}`. `export-json` writes them, `import-json` reads them back
//! (JSON Lines or one array) and stores the exact text of `value`, so round trips are
//! byte-exact.

use std::cell::Cell;
use std::io::{BufRead, Read, Write};
use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::csv::write_json_string;
use crate::error::{Error, Result};
use crate::store::{BatchSummary, OnDuplicate, State, Store, Writer};

/// Appends the envelope of one record (no line end) to `out`.
pub fn write_envelope(out: &mut Vec<u8>, key: &str, value: &[u8], value_is_json: bool) {
    out.extend_from_slice(b"{\"key\":");
    write_json_string(out, key);
    if value_is_json {
        out.extend_from_slice(b",\"value\":");
        out.extend_from_slice(value);
    } else {
        out.extend_from_slice(b",\"value_base64\":\"");
        let start = out.len();
        out.resize(start + value.len().div_ceil(3) * 4, 0);
        let written = BASE64
            .encode_slice(value, &mut out[start..])
            .expect("sized above");
        out.truncate(start + written);
        out.push(b'"');
    }
    out.push(b'}');
}

/// How `export-json` writes.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// One JSON array instead of JSON Lines.
    pub array: bool,
    /// Only keys starting with this.
    pub prefix: Option<String>,
}

/// Writes every live record of `store` in append order; `progress(records, bytes)` is called
/// now and then. Returns the number of records written.
pub fn export(
    store: &Store,
    out: &mut dyn Write,
    options: &ExportOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    let mut buf = Vec::with_capacity(1 << 20);
    let mut count = 0u64;
    let mut bytes = 0u64;
    let write_err = |e| Error::io("cannot write the export", e);
    if options.array {
        buf.extend_from_slice(b"[");
    }
    for item in store.live_records(true) {
        let (record, state) = item?;
        if state != State::Live {
            continue;
        }
        if let Some(prefix) = &options.prefix
            && !record.key.starts_with(prefix.as_str())
        {
            continue;
        }
        if options.array {
            buf.extend_from_slice(if count == 0 { b"\n" } else { b",\n" });
        }
        write_envelope(&mut buf, record.key, record.value, record.value_is_json());
        if !options.array {
            buf.push(b'\n');
        }
        count += 1;
        if buf.len() >= 1 << 20 {
            crate::failpoint::hit("export-write")?;
            crate::interrupt::check()?;
            out.write_all(&buf).map_err(write_err)?;
            bytes += buf.len() as u64;
            buf.clear();
            progress(count, bytes);
        }
    }
    if options.array {
        buf.extend_from_slice(if count == 0 { b"]\n" } else { b"\n]\n" });
    }
    out.write_all(&buf).map_err(write_err)?;
    bytes += buf.len() as u64;
    out.flush().map_err(write_err)?;
    progress(count, bytes);
    Ok(count)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    key: std::borrow::Cow<'a, str>,
    // Not serde's plain `Option`, which would read the JSON value `null` as "no value".
    #[serde(borrow, default, deserialize_with = "present_raw")]
    value: Option<&'a RawValue>,
    #[serde(borrow, default)]
    value_base64: Option<std::borrow::Cow<'a, str>>,
}

/// Stores one envelope.
fn store_envelope(
    writer: &mut Writer,
    envelope: &Envelope<'_>,
    on_duplicate: OnDuplicate,
) -> Result<()> {
    match (&envelope.value, &envelope.value_base64) {
        (Some(raw), None) => {
            let text = raw.get().as_bytes();
            let is_json = memchr::memchr2(b'\n', b'\r', text).is_none();
            writer.put(&envelope.key, text, is_json, on_duplicate)?;
        }
        (None, Some(b64)) => {
            let bytes = BASE64.decode(b64.as_bytes()).map_err(|e| Error::BadInput {
                line: None,
                column: Some("value_base64".into()),
                what: format!("not valid base64: {e}"),
            })?;
            let is_json = crate::store::value_is_json(&bytes);
            writer.put(&envelope.key, &bytes, is_json, on_duplicate)?;
        }
        (Some(_), Some(_)) => {
            return Err(Error::bad_input(
                "an envelope has both \"value\" and \"value_base64\"",
            ));
        }
        (None, None) => {
            return Err(Error::bad_input(
                "an envelope has neither \"value\" nor \"value_base64\"",
            ));
        }
    }
    Ok(())
}

/// Reads JSON Lines envelopes, or one JSON array of them, and appends them as one batch.
pub fn import(
    writer: &mut Writer,
    input: &mut dyn BufRead,
    on_duplicate: OnDuplicate,
) -> Result<BatchSummary> {
    // Lines of leading whitespace consumed while looking for the first byte, so that error
    // messages still name physical lines.
    let mut skipped_lines = 0u64;
    let first = loop {
        let buf = input
            .fill_buf()
            .map_err(|e| Error::io("cannot read the input", e))?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => break Some(buf[i]),
            None if buf.is_empty() => break None,
            None => {
                let n = buf.len();
                skipped_lines += memchr::memchr_iter(b'\n', buf).count() as u64;
                input.consume(n);
            }
        }
    };
    match first {
        None => Ok(writer.summary()),
        Some(b'[') => import_array(writer, input, on_duplicate, skipped_lines),
        Some(_) => import_lines(writer, input, on_duplicate, skipped_lines),
    }
}

fn import_lines(
    writer: &mut Writer,
    input: &mut dyn BufRead,
    on_duplicate: OnDuplicate,
    skipped_lines: u64,
) -> Result<BatchSummary> {
    super::for_each_line(input, skipped_lines, |number, text, _| {
        let envelope: Envelope = serde_json::from_slice(text).map_err(|e| {
            Error::bad_input_at(
                number,
                format!("not an envelope: {}", super::jsonl::json_error(&e)),
            )
        })?;
        store_envelope(writer, &envelope, on_duplicate).map_err(|e| e.at_line(number))
    })?;
    Ok(writer.summary())
}

fn import_array(
    writer: &mut Writer,
    input: &mut dyn BufRead,
    on_duplicate: OnDuplicate,
    skipped_lines: u64,
) -> Result<BatchSummary> {
    use serde::de::{DeserializeSeed, SeqAccess, Visitor};

    struct Elements<'w> {
        writer: &'w mut Writer,
        on_duplicate: OnDuplicate,
        failure: Option<Error>,
        lines: Rc<ElementLines>,
    }
    impl<'de> Visitor<'de> for &mut Elements<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of envelopes")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
            let mut element = 0u64;
            self.lines.await_element();
            while let Some(envelope) = seq.next_element::<OwnedEnvelope>()? {
                element += 1;
                let line = self.lines.element_start.get();
                self.lines.await_element();
                let borrowed = Envelope {
                    key: std::borrow::Cow::Borrowed(&envelope.key),
                    value: envelope.value.as_deref(),
                    value_base64: envelope
                        .value_base64
                        .as_deref()
                        .map(std::borrow::Cow::Borrowed),
                };
                if let Err(e) = store_envelope(self.writer, &borrowed, self.on_duplicate) {
                    self.failure = Some(match e {
                        Error::BadInput { column, what, .. } => Error::BadInput {
                            line: Some(line),
                            column,
                            what: format!("array element {element}: {what}"),
                        },
                        other => other,
                    });
                    return Err(serde::de::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for &mut Elements<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    let lines = Rc::new(ElementLines::default());
    lines.line.set(skipped_lines + 1);
    let mut elements = Elements {
        writer,
        on_duplicate,
        failure: None,
        lines: Rc::clone(&lines),
    };
    let counted = LineCountingReader {
        inner: input,
        lines,
    };
    let mut de = serde_json::Deserializer::from_reader(counted);
    let result = (&mut elements).deserialize(&mut de).and_then(|()| de.end());
    if let Some(failure) = elements.failure {
        return Err(failure);
    }
    result.map_err(|e| {
        Error::bad_input_at(
            skipped_lines + e.line() as u64,
            format!(
                "not an array of envelopes: {}",
                super::jsonl::json_error(&e)
            ),
        )
    })?;
    Ok(elements.writer.summary())
}

/// Where the array form's elements start: the reader below sees every byte serde_json
/// consumes, and notes the line of the first byte of each element (between elements there
/// is only whitespace and a comma).
#[derive(Default)]
struct ElementLines {
    /// The 1-based line of the next byte to be read.
    line: Cell<u64>,
    awaiting: Cell<bool>,
    element_start: Cell<u64>,
}

impl ElementLines {
    fn await_element(&self) {
        self.awaiting.set(true);
    }
}

struct LineCountingReader<'r> {
    inner: &'r mut dyn BufRead,
    lines: Rc<ElementLines>,
}

impl Read for LineCountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let lines = &self.lines;
        for &byte in &buf[..n] {
            if lines.awaiting.get() && !byte.is_ascii_whitespace() && byte != b',' {
                lines.awaiting.set(false);
                lines.element_start.set(lines.line.get());
            }
            if byte == b'\n' {
                lines.line.set(lines.line.get() + 1);
            }
        }
        Ok(n)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnedEnvelope {
    key: String,
    #[serde(default, deserialize_with = "present_owned_raw")]
    value: Option<Box<RawValue>>,
    #[serde(default)]
    value_base64: Option<String>,
}

/// A `value` field that is present, whatever its JSON (`null` included).
fn present_raw<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// [`present_raw`] for the owned envelopes of the array form.
fn present_owned_raw<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}
