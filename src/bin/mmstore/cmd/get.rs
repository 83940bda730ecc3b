//! `mmstore get`: one key's exact bytes, or JSON Lines envelopes for several.

use std::io::Write;
use std::path::PathBuf;

use mmstore::{Error, Store};

use super::context_write;
use crate::cli::Global;
use crate::ui;

/// Print the value of one key (raw bytes), or envelopes for several
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("wanted").required(true).multiple(true)
    .args(["keys", "index", "keys_from"])))]
// clap would put the required group before STORE; STORE always comes first.
#[command(override_usage = "mmstore get [OPTIONS] <STORE> <KEY>...
       mmstore get [OPTIONS] <STORE> --index <N>...
       mmstore get [OPTIONS] <STORE> --keys-from <PATH>")]
#[command(after_help = "EXAMPLES:
  mmstore get books b1
  mmstore get books b1 b2 b3            # JSON Lines envelopes
  mmstore get books --index -1          # the last live record
  mmstore get books --keys-from wanted.txt > found.jsonl")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// Keys to look up
    #[arg(allow_negative_numbers = true)]
    pub keys: Vec<String>,

    /// The N-th live record in append order (0-based; negative counts from the end); repeatable
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub index: Vec<i64>,

    /// Look up every key in this file (one a line; '-' for stdin)
    #[arg(long, value_name = "PATH")]
    pub keys_from: Option<PathBuf>,

    /// Print JSON Lines envelopes even for a single key
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, _global: &Global) -> anyhow::Result<()> {
    let store = Store::open(&args.store)?;
    let mut out = ui::stdout();
    let single = args.keys.len() == 1 && args.index.is_empty() && args.keys_from.is_none();
    if single && !args.json {
        let key = &args.keys[0];
        let mut buf = Vec::new();
        let record = store
            .fetch(key, &mut buf)?
            .ok_or_else(|| Error::KeyNotFound { key: key.clone() })?;
        context_write(out.write_all(record.value))?;
        context_write(out.flush())?;
        return Ok(());
    }
    let mut missing: Vec<String> = Vec::new();
    let mut missing_count = 0u64;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut record_buf = Vec::new();
    let mut looked_up = 0u64;
    let mut emit = |_store: &Store,
                    record: Option<mmstore::Record<'_>>,
                    asked: &dyn Fn() -> String|
     -> anyhow::Result<()> {
        match record {
            Some(record) => {
                buf.clear();
                mmstore::io::envelope::write_envelope(
                    &mut buf,
                    record.key,
                    record.value,
                    record.value_is_json(),
                );
                buf.push(b'\n');
                context_write(out.write_all(&buf))?;
            }
            None => {
                missing_count += 1;
                if missing.len() < 5 {
                    missing.push(asked());
                }
            }
        }
        looked_up += 1;
        if looked_up.is_multiple_of(4096) {
            mmstore::interrupt::check()?;
        }
        Ok(())
    };
    for key in &args.keys {
        emit(&store, store.fetch(key, &mut record_buf)?, &|| {
            format!("key {key:?}")
        })?;
    }
    for &n in &args.index {
        emit(&store, store.nth_live(n)?, &|| format!("index {n}"))?;
    }
    if let Some(path) = &args.keys_from {
        let mut keys = super::read_keys(path)?;
        let mut key = String::new();
        while keys.next_into(&mut key)? {
            emit(&store, store.fetch(&key, &mut record_buf)?, &|| {
                format!("key {key:?}")
            })?;
        }
    }
    context_write(out.flush())?;
    if missing_count > 0 {
        let list = missing.join(", ");
        let more = if missing_count > missing.len() as u64 {
            ", ..."
        } else {
            ""
        };
        if missing_count == 1
            && args.index.len() == 1
            && args.keys.is_empty()
            && args.keys_from.is_none()
        {
            anyhow::bail!(Error::IndexOutOfRange {
                index: args.index[0],
                live: store.live_count()
            });
        }
        anyhow::bail!(Error::KeysNotFound {
            count: missing_count,
            sample: format!("{list}{more}")
        });
    }
    Ok(())
}
