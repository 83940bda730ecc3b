//! `import-csv` of any bytes into a small store: two bytes of options, then the CSV.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mmstore_fuzz::csv_case_from_bytes(data));
