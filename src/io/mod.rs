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

/// Calls `each(line_number, text, raw_len)` for every non-blank line of `input`, its text
/// trimmed of surrounding whitespace and the line end; numbering continues after `skipped`
/// lines already read.
pub(crate) fn for_each_line(
    input: &mut dyn std::io::BufRead,
    skipped: u64,
    mut each: impl FnMut(u64, &[u8], usize) -> Result<()>,
) -> Result<()> {
    let mut line = Vec::with_capacity(64 * 1024);
    let mut number = skipped;
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io("cannot read the input", e))?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        let text = trim_ascii(&line);
        if !text.is_empty() {
            each(number, text, n)?;
        }
    }
}

use std::sync::mpsc;

use crate::error::{Error, Result};
use crate::store::{OnDuplicate, Writer};

/// Records parsed but not yet appended, handed from a parser to the writer in batches.
/// Appending prefetches the index slots of a few dozen keys at a time so that the loads
/// overlap instead of queueing: a bulk import otherwise spends most of its time waiting on
/// those random accesses.
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
    /// Records a batch holds before it is handed over.
    const RECORDS: usize = 1024;
    /// Bytes a batch holds before it is handed over.
    const BYTES: usize = 1 << 20;
    /// Keys whose index slots are fetched ahead together.
    const PREFETCH: usize = 32;

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
        self.items.len() >= Self::RECORDS || self.data.len() >= Self::BYTES
    }

    fn clear(&mut self) {
        self.items.clear();
        self.data.clear();
    }

    /// Appends every staged record, in order.
    fn append(&mut self, writer: &mut Writer, on_duplicate: OnDuplicate) -> Result<()> {
        for window in self.items.chunks(Self::PREFETCH) {
            for item in window {
                if let Some((start, end)) = item.key {
                    writer.prefetch(&self.data[start..end]);
                }
            }
            for item in window {
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
        }
        self.clear();
        Ok(())
    }
}

/// Where a parser puts what it parsed.
pub(crate) trait Sink {
    /// The batch to push the next record into.
    fn staged(&mut self) -> &mut Staged;
    /// Hands the batch over when it is full (call after each push).
    fn pushed(&mut self) -> Result<()>;
    /// The input will hold about this many more records: size the index once.
    fn reserve(&mut self, records: u64) -> Result<()>;
}

enum Message {
    Batch(Staged),
    Reserve(u64),
}

/// The parser's end of the pipeline: full batches go to the writer's thread, empty ones come
/// back to be refilled.
struct PipeSink {
    to_writer: mpsc::SyncSender<Message>,
    recycled: mpsc::Receiver<Staged>,
    current: Staged,
}

/// The writer stopped taking batches (it failed); the parser stops quietly.
const WRITER_GONE: &str = "the writer stopped";

impl PipeSink {
    fn send(&mut self, message: Message) -> Result<()> {
        self.to_writer
            .send(message)
            .map_err(|_| Error::bad_input(WRITER_GONE))
    }
}

impl Sink for PipeSink {
    fn staged(&mut self) -> &mut Staged {
        &mut self.current
    }

    fn pushed(&mut self) -> Result<()> {
        if self.current.is_full() {
            let next = self.recycled.try_recv().unwrap_or_default();
            let full = std::mem::replace(&mut self.current, next);
            self.send(Message::Batch(full))?;
        }
        Ok(())
    }

    fn reserve(&mut self, records: u64) -> Result<()> {
        self.send(Message::Reserve(records))
    }
}

/// Runs `parse` on a thread of its own while this thread appends what it produces, so that
/// parsing (CSV, JSON) and appending (hashing, probing, writing) use two cores. The batch is
/// left pending in `writer`; the caller commits or aborts. The first error in input order
/// wins: the writer's, when it failed on records the parser had already passed.
pub(crate) fn pipelined<P>(writer: &mut Writer, on_duplicate: OnDuplicate, parse: P) -> Result<()>
where
    P: FnOnce(&mut dyn Sink) -> Result<()> + Send,
{
    std::thread::scope(|scope| {
        let (to_writer, batches) = mpsc::sync_channel::<Message>(4);
        let (recycle, recycled) = mpsc::channel::<Staged>();
        let parser = scope.spawn(move || {
            let mut sink = PipeSink {
                to_writer,
                recycled,
                current: Staged::default(),
            };
            parse(&mut sink)?;
            let last = std::mem::take(&mut sink.current);
            if !last.items.is_empty() {
                sink.send(Message::Batch(last))?;
            }
            Ok(())
        });
        let mut appended: Result<()> = Ok(());
        for message in batches {
            let step = match message {
                Message::Batch(mut staged) => {
                    let step = staged.append(writer, on_duplicate);
                    staged.clear();
                    let _ = recycle.send(staged);
                    step
                }
                Message::Reserve(records) => writer.reserve(records),
            };
            if let Err(e) = step {
                appended = Err(e);
                // Dropping the receiver (by leaving the loop) stops the parser.
                break;
            }
        }
        let parsed = parser
            .join()
            .unwrap_or_else(|_| Err(Error::bad_input("the input parser panicked")));
        appended?;
        parsed
    })
}
