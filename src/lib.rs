//! mmstore: append-only record stores read through memory maps.
//!
//! A store is a directory of a few files (see `docs/FORMAT.md`): a small `header` holding the
//! commit point, a fixed-width `lookup` table, an append-only `body`, and an on-disk hash
//! `index`. Opening a store reads the header and maps the files; it never scans the table.
//! The library never touches the terminal: progress is reported through callbacks.

pub mod bench;
pub mod error;
pub mod failpoint;
pub mod interrupt;
pub mod io;
pub mod store;

pub use error::{Error, Result};
pub use store::{
    BatchSummary, DeleteOutcome, IndexStaging, OnDuplicate, PutOutcome, Record, State, Stats,
    Store, WriteOptions, Writer, create_store,
};
