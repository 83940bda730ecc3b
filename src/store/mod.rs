//! The store engine: format, commit point, lookup table, body, index, maps, lock, and the
//! reader and writer built on them.

pub mod check;
pub mod fetch;
pub mod format;
pub mod header;
pub mod index;
pub mod lock;
pub mod map;
pub mod readahead;
pub mod reader;
pub mod staged;
pub mod vacuum;
pub mod writer;

pub use format::FORMAT_VERSION;
pub use reader::{FileSize, Location, Record, Records, State, Stats, Store, store_files};
pub use writer::{
    BatchSummary, Counts, DeleteOutcome, IndexStaging, OnDuplicate, PutOutcome, Recovery,
    WriteOptions, Writer, create_store, value_is_json,
};
