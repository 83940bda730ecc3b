//! `import-json` of any bytes into a small store: one byte of options, then the envelopes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mmstore_fuzz::json_case_from_bytes(data));
