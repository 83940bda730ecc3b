//! `vacuum`: rewrite the live records, in append order, into a new generation and publish it
//! through the commit point. The new generation is built as a complete temporary store inside
//! the store directory (`vacuum.tmp/`) by an ordinary writer, committed, verified record by
//! record, then its files are renamed beside the old generation under new names and the
//! header is switched to them. A crash before the switch leaves the old generation in force
//! (the next writer removes the leftovers); after it, the new one. Old files are removed last;
//! readers that mapped them keep reading them.

use std::fs;
use std::path::Path;

use super::format::{ENTRY_SIZE, HEADER_FILE_SIZE};
use super::index;
use super::reader::{State, Store, store_files};
use super::writer::{WriteOptions, Writer, create_store, is_generation_file, now_unix};
use crate::error::{Error, IoContext, Result};
use crate::failpoint;

/// The name of the temporary store a vacuum builds.
pub const VACUUM_DIR: &str = "vacuum.tmp";

/// What a vacuum did (or, with `dry_run`, would do).
#[derive(Debug, Clone, serde::Serialize)]
pub struct VacuumReport {
    /// Bytes of all the store's files before.
    pub before: u64,
    /// Bytes after (predicted, for a dry run).
    pub after: u64,
    pub reclaimed: u64,
    /// Live records kept.
    pub records: u64,
    pub dry_run: bool,
}

/// Bytes the store's files will take after a vacuum of a state with these live records.
pub fn predicted_size(store: &Store) -> Result<u64> {
    let other: u64 = store_files(store.dir())?
        .iter()
        .filter(|f| !is_generation_file(&f.name) && f.name != "header")
        .map(|f| f.bytes)
        .sum();
    Ok(HEADER_FILE_SIZE + other + generation_size(store))
}

/// Bytes of the generation files a vacuum writes.
fn generation_size(store: &Store) -> u64 {
    // The header's counts, bounded by what the files hold: counts a damaged header gets
    // wrong must not overflow here, nor make a vacuum ask for more space than exists (the
    // vacuum then finds the disagreement and reports the store as corrupt).
    let stats = store.stats();
    let live = stats.live.min(stats.entries);
    let live_bytes = stats.live_bytes.min(stats.body_len);
    live_bytes + live * ENTRY_SIZE as u64 + index::capacity_for(live) * 8
}

fn total_size(dir: &Path) -> Result<u64> {
    Ok(store_files(dir)?.iter().map(|f| f.bytes).sum())
}

/// Vacuums the store at `dir`. `progress(done, total)` counts body bytes read.
pub fn vacuum(
    dir: &Path,
    options: WriteOptions,
    dry_run: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<VacuumReport> {
    let mut writer = Writer::open(dir, options)?;
    let store = Store::open(dir)?;
    let before = total_size(dir)?;
    let predicted = predicted_size(&store)?;
    let records = store.live_count();
    if dry_run {
        return Ok(VacuumReport {
            before,
            after: predicted,
            reclaimed: before.saturating_sub(predicted),
            records,
            dry_run,
        });
    }
    let needed = generation_size(&store);
    let available = super::map::free_space(dir)
        .context(|| format!("cannot read the free space of {}", dir.display()))?;
    if available < needed {
        return Err(Error::NoSpace {
            path: dir.to_path_buf(),
            needed,
            available,
        });
    }
    let built = dir.join(VACUUM_DIR);
    let result = build(&store, &built, options, progress).and_then(|()| {
        failpoint::hit("vacuum-verify")?;
        verify(&built, &store)
    });
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&built);
        return Err(e);
    }
    let mut next = *writer.committed();
    next.live_count = records.into();
    next.deleted_count = 0.into();
    next.replaced_count = 0.into();
    next.dead_bytes = 0.into();
    next.last_vacuum_unix = now_unix().into();
    drop(store);
    writer.install_generation(&built, next)?;
    let after = total_size(dir)?;
    Ok(VacuumReport {
        before,
        after,
        reclaimed: before.saturating_sub(after),
        records,
        dry_run,
    })
}

/// Writes the live records of `store` into a new temporary store at `built`, committed.
fn build(
    store: &Store,
    built: &Path,
    options: WriteOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    if built.exists() {
        fs::remove_dir_all(built).context(|| format!("cannot remove {}", built.display()))?;
    }
    // The temporary store's own header and lock never matter: only its data files are made
    // durable (by its commit) and moved into the store, whose directory is then fsynced.
    create_store(
        built,
        WriteOptions {
            sync: false,
            wait: false,
            index_staging: None,
        },
    )?;
    let mut target = Writer::open(
        built,
        WriteOptions {
            wait: false,
            ..options
        },
    )?;
    target.defer_index();
    // A damaged header can claim any live count; the table holds at most its entries.
    target.reserve(store.live_count().min(store.entry_count()))?;
    let total = store.stats().body_len;
    let mut last = 0u64;
    let result = (|| {
        // Not verified here: the checksum is copied along, and the verify pass over the new
        // generation catches a damaged record (vacuum then fails, and changes nothing).
        for item in store.live_records(false) {
            let (record, state) = item?;
            if state != State::Live {
                continue;
            }
            let ahead = record.entry_index + 8;
            let upcoming =
                (ahead < store.entry_count()).then(|| store.raw_entry(ahead).key_hash.get());
            target.put_new_with_hint(
                record.key,
                record.value,
                record.value_is_json(),
                record.entry.crc32.get(),
                upcoming,
            )?;
            let done = record.entry.end();
            if done >= last + (8 << 20) {
                progress(done, total);
                last = done;
            }
        }
        // The pages the copy faulted in leave the resident set before the verify pass maps
        // the new generation.
        store.release_pages();
        failpoint::hit("vacuum-write")?;
        target.commit()?;
        progress(total, total);
        Ok(())
    })();
    if result.is_err() {
        let _ = target.abort();
    }
    result
}

/// Reads the new generation back: the expected number of records, every checksum good.
fn verify(built: &Path, old: &Store) -> Result<()> {
    let new = Store::open(built)?;
    let mut count = 0u64;
    for item in new.records(true) {
        item?;
        count += 1;
    }
    if count != old.live_count() || new.entry_count() != old.live_count() {
        return Err(Error::corrupt(
            VACUUM_DIR,
            0,
            format!(
                "the new generation has {count} records, expected {}",
                old.live_count()
            ),
        ));
    }
    Ok(())
}
