//! A seed store (see `mmstore_fuzz::SEED_NAMES`) damaged by the edits the input decodes to,
//! then opened, read, checked, written, vacuumed and repaired.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mmstore_fuzz::store_case_from_bytes(data));
