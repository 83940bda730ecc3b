//! The CLI tests: one test binary that runs the real `mmstore` executable on stores in
//! temporary directories, one module per area of SPEC §3-4. Each test is named after the
//! behaviour it proves.

mod common;

mod append;
mod bad_input;
mod create;
mod exit_codes;
mod export_json;
mod get;
mod import_csv;
mod import_json;
mod info;
mod locate;
mod ls;
mod regressions;
mod rm;
mod vacuum;
