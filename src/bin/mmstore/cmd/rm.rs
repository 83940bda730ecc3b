//! `mmstore rm`: tombstone records, all or nothing.

use std::path::PathBuf;
use std::time::Instant;

use mmstore::{DeleteOutcome, Error, Store};

use super::{open_writer, run_batch};
use crate::cli::Global;
use crate::ui;

/// Delete records (tombstones; vacuum reclaims the bytes)
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("wanted").required(true).multiple(true)
    .args(["keys", "index", "keys_from", "all"])))]
// clap would put the required group before STORE; STORE always comes first.
#[command(override_usage = "mmstore rm [OPTIONS] <STORE> <KEY>...
       mmstore rm [OPTIONS] <STORE> --index <N>...
       mmstore rm [OPTIONS] <STORE> --keys-from <PATH>
       mmstore rm [OPTIONS] <STORE> --all")]
#[command(after_help = "EXAMPLES:
  mmstore rm books b1 b2
  mmstore rm books --index 0 --index -1
  mmstore rm books --keys-from stale.txt --missing-ok")]
pub struct Args {
    /// The store directory
    pub store: PathBuf,

    /// Keys to delete
    #[arg(allow_negative_numbers = true)]
    pub keys: Vec<String>,

    /// Delete the N-th live record (0-based; negative counts from the end); repeatable.
    /// Every N refers to the store as it was before this command.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub index: Vec<i64>,

    /// Delete every key in this file (one a line; '-' for stdin)
    #[arg(long, value_name = "PATH")]
    pub keys_from: Option<PathBuf>,

    /// Delete every live record
    #[arg(long, conflicts_with_all = ["keys", "index", "keys_from"])]
    pub all: bool,

    /// Ignore keys that are not in the store instead of failing (exit 1) and removing nothing
    #[arg(long)]
    pub missing_ok: bool,
}

/// Keys whose index slots are fetched ahead together.
const PREFETCH: usize = 16;

pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut writer = open_writer(&args.store, global, false)?;
    // Indexes name records of the state before this command: resolve them all first.
    let mut by_index = Vec::new();
    if !args.index.is_empty() {
        let snapshot = Store::open(&args.store)?;
        for &n in &args.index {
            match snapshot.nth_live(n)? {
                Some(record) => by_index.push(record.key.to_string()),
                None if args.missing_ok => {}
                None => {
                    anyhow::bail!(Error::IndexOutOfRange {
                        index: n,
                        live: snapshot.live_count()
                    })
                }
            }
        }
    }
    let missing_ok = args.missing_ok;
    let key_file = match &args.keys_from {
        Some(path) => Some(super::read_keys(path)?),
        None => None,
    };
    let (missing, summary) = run_batch(&mut writer, |w| {
        if args.all {
            w.delete_all()?;
            return Ok(0);
        }
        let mut missing = 0u64;
        let mut delete = |w: &mut mmstore::Writer, key: &str| -> mmstore::Result<()> {
            if w.delete(key)? == DeleteOutcome::Missing {
                if !missing_ok {
                    return Err(Error::KeyNotFound {
                        key: key.to_string(),
                    });
                }
                missing += 1;
            }
            Ok(())
        };
        for key in args.keys.iter().chain(by_index.iter()) {
            delete(w, key)?;
        }
        if let Some(mut keys) = key_file {
            // Keys go in small groups whose index slots are fetched together, so that the
            // random accesses overlap. The group's strings are reused from one to the next.
            let mut group: Vec<String> = vec![String::new(); PREFETCH];
            loop {
                let mut filled = 0;
                while filled < PREFETCH && keys.next_into(&mut group[filled])? {
                    filled += 1;
                }
                w.prefetch_lookups(&group[..filled]);
                for key in &group[..filled] {
                    delete(w, key)?;
                }
                if filled < PREFETCH {
                    break;
                }
            }
        }
        Ok(missing)
    })?;
    let note = if missing > 0 {
        format!(" ({missing} not found)")
    } else {
        String::new()
    };
    ui::summary(
        global,
        &format!(
            "removed {}{note} in {:.2} s",
            ui::count(summary.deleted, "record"),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}
