//! `append --jsonl`: every line of the input is one JSON value, stored as one record with
//! surrounding whitespace and the line end removed; blank lines are skipped. The key is a
//! top-level field (string or integer) or the record's sequence number.

use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::error::{Error, Result};
use crate::store::{BatchSummary, OnDuplicate, Writer};

/// Appends every line of `input` as one batch; the caller commits or aborts. Parsing runs on
/// a second thread.
pub fn append_jsonl(
    writer: &mut Writer,
    input: &mut (dyn BufRead + Send),
    key_field: Option<&str>,
    on_duplicate: OnDuplicate,
    size_hint: Option<u64>,
) -> Result<BatchSummary> {
    super::pipelined(writer, on_duplicate, |sink| {
        parse(input, key_field, size_hint, sink)
    })?;
    Ok(writer.summary())
}

/// Parses JSON Lines into records for `sink`.
fn parse(
    input: &mut dyn BufRead,
    key_field: Option<&str>,
    size_hint: Option<u64>,
    sink: &mut dyn super::Sink,
) -> Result<()> {
    let mut sizer = super::csv::Sizer::new(size_hint);
    super::for_each_line(input, 0, |number, value, raw_len| {
        let at = |e: Error| e.at_line(number);
        let key = match key_field {
            Some(field) => Some(key_from_field(value, field).map_err(at)?),
            None => {
                serde_json::from_slice::<IgnoredAny>(value)
                    .map_err(|e| Error::bad_input(format!("not valid JSON: {}", json_error(&e))))
                    .map_err(at)?;
                None
            }
        };
        // A JSON text cannot hold a raw LF; a CR between tokens keeps it off the
        // verbatim-embedding path of the envelope.
        let is_json = memchr::memchr(b'\r', value).is_none();
        sink.staged().push(key.as_deref(), number, is_json, |out| {
            out.extend_from_slice(value)
        });
        sink.pushed()?;
        sizer.row(sink, raw_len as u64)
    })
}

/// serde_json's message without its own "at line 1 column N" (we name the input line).
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &text[..i], e.column()),
        None => text,
    }
}

/// Parses one JSON text and returns the top-level string or integer field `field`.
fn key_from_field(value: &[u8], field: &str) -> Result<String> {
    let mut de = serde_json::Deserializer::from_slice(value);
    let found = KeySeed { field }
        .deserialize(&mut de)
        .and_then(|k| de.end().map(|()| k));
    match found {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(Error::BadInput {
            line: None,
            column: Some(field.to_string()),
            what: format!("the key field {field:?} is missing"),
        }),
        Err(e) if e.is_data() && e.to_string().starts_with(KEY_TYPE) => Err(Error::BadInput {
            line: None,
            column: Some(field.to_string()),
            what: "the key field must be a string or an integer".into(),
        }),
        Err(e) if e.is_data() && e.to_string().starts_with(NOT_OBJECT) => Err(Error::bad_input(
            format!("the line is not a JSON object, so it has no key field {field:?}"),
        )),
        Err(e) if e.is_data() && e.to_string().starts_with(TWICE) => Err(Error::BadInput {
            line: None,
            column: Some(field.to_string()),
            what: "the key field appears twice".into(),
        }),
        Err(e) => Err(Error::bad_input(format!(
            "not valid JSON: {}",
            json_error(&e)
        ))),
    }
}

const KEY_TYPE: &str = "mmstore:key-type";
const NOT_OBJECT: &str = "mmstore:not-object";
const TWICE: &str = "mmstore:twice";

struct KeySeed<'f> {
    field: &'f str,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut key = None;
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if name == self.field {
                if key.is_some() {
                    return Err(de::Error::custom(TWICE));
                }
                key = Some(map.next_value::<KeyValue>()?.0);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(key)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Err(de::Error::custom(NOT_OBJECT))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Err(E::custom(NOT_OBJECT))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Err(E::custom(NOT_OBJECT))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Err(E::custom(NOT_OBJECT))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Err(E::custom(NOT_OBJECT))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Err(E::custom(NOT_OBJECT))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Err(E::custom(NOT_OBJECT))
    }
}

/// A key field's value: a string as is, an integer as its decimal text. The raw text is
/// read, so that integers beyond 64 bits (which serde_json would read as floats) and `-0`
/// are keys too.
struct KeyValue(String);

impl<'de> de::Deserialize<'de> for KeyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let raw = <&serde_json::value::RawValue>::deserialize(d)?;
        let text = raw.get();
        if let Some(plain) = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .filter(|t| !t.contains('\\'))
        {
            // The common case, already validated by the parser: nothing to unescape.
            Ok(KeyValue(plain.to_string()))
        } else if text.starts_with('"') {
            serde_json::from_str(text)
                .map(KeyValue)
                .map_err(de::Error::custom)
        } else if is_json_integer(text.as_bytes()) {
            Ok(KeyValue(text.to_string()))
        } else {
            Err(de::Error::custom(KEY_TYPE))
        }
    }
}

/// `-? (0 | [1-9][0-9]*)`: JSON's number grammar without fraction or exponent.
fn is_json_integer(text: &[u8]) -> bool {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    match digits {
        [b'0'] => true,
        [first, rest @ ..] => (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit),
        [] => false,
    }
}
