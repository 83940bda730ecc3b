//! Everything that talks to the terminal: progress bars (indicatif), tables (comfy-table),
//! human sizes (humansize), and the stdout writer that turns a closed pipe into a quiet exit.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::Global;

/// A progress bar over `total` bytes (or a spinner when the total is unknown), drawn on
/// stderr only when stderr is a terminal and `--quiet` was not given.
pub fn bytes_progress(global: &Global, total: Option<u64>, message: &str) -> ProgressBar {
    progress(global, total, message, true)
}

/// A progress bar over `total` items (records, operations).
pub fn count_progress(global: &Global, total: Option<u64>, message: &str) -> ProgressBar {
    progress(global, total, message, false)
}

fn progress(global: &Global, total: Option<u64>, message: &str, bytes: bool) -> ProgressBar {
    if global.quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => ProgressBar::new(total),
        None => ProgressBar::new_spinner(),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
    let template = match (total.is_some(), bytes) {
        (true, true) => "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        (true, false) => "{msg} [{bar:30}] {human_pos}/{human_len} {per_sec} ETA {eta}",
        (false, true) => "{spinner} {msg} {bytes} {binary_bytes_per_sec}",
        (false, false) => "{spinner} {msg} {human_pos} {per_sec}",
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A byte count for people: `14.3 MiB`.
pub fn size(bytes: u64) -> String {
    humansize::format_size(bytes, humansize::BINARY)
}

/// `1 record`, `2 records`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A rate for people: `512.0 MiB/s`.
pub fn rate(bytes: u64, seconds: f64) -> String {
    if seconds <= 0.0 {
        return "-".to_string();
    }
    format!("{}/s", size((bytes as f64 / seconds) as u64))
}

/// A table styled for a terminal or a pipe (no colours; borders in UTF-8 only on a terminal).
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    if io::stdout().is_terminal() {
        table.load_style(presets::UTF8_FULL_CONDENSED);
    } else {
        table.load_style(presets::ASCII_MARKDOWN);
    }
    table.set_content_arrangement(ContentArrangement::Disabled);
    if !header.iter().all(|h| h.is_empty()) {
        table.set_header(header.iter().copied());
    }
    table
}

/// Prints a line on stderr unless `--quiet` was given (human summaries of writing commands).
pub fn summary(global: &Global, line: &str) {
    if !global.quiet {
        eprintln!("{line}");
    }
}

/// Prints a warning on stderr, always.
pub fn warn(line: &str) {
    eprintln!("mmstore: warning: {line}");
}

/// A buffered, locked stdout for data output.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(256 * 1024, io::stdout().lock())
}

/// Writes `bytes` and a newline.
pub fn write_line(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    out.write_all(b"\n")
}
