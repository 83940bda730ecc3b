//! Every command shown in README.md's ```console blocks is run here, in a fresh directory
//! holding `books.csv`, and its output (stdout and stderr together) must match what the README
//! shows, so the README cannot drift from the binary.
//!
//! In the README, `$ ` starts a command; the lines after it are its output, where `[..]`
//! matches any text within a line; a last line `? N` says the command exits with N (else 0).

use std::path::Path;
use std::process::Command;

struct Step {
    command: String,
    expected: Vec<String>,
    exit: i32,
    line: usize,
}

fn console_steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_console = false;
    for (n, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            in_console = line.trim() == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step {
                command: command.to_string(),
                expected: Vec::new(),
                exit: 0,
                line: n + 1,
            });
        } else if let Some(code) = line.strip_prefix("? ") {
            steps.last_mut().expect("output before a command").exit =
                code.parse().expect("exit code");
        } else {
            steps
                .last_mut()
                .expect("output before a command")
                .expected
                .push(line.to_string());
        }
    }
    steps
}

/// Whether `actual` matches `pattern`, where `[..]` matches any run of characters.
fn line_matches(pattern: &str, actual: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.len() == 1 {
        return pattern == actual;
    }
    let Some(mut rest) = actual.strip_prefix(parts[0]) else {
        return false;
    };
    for (i, part) in parts.iter().enumerate().skip(1) {
        if i == parts.len() - 1 {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn every_readme_command_runs_as_shown() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let steps = console_steps(&readme);
    assert!(steps.len() >= 15, "the README tour lost its commands");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo.join("examples/books.csv"),
        dir.path().join("books.csv"),
    )
    .unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mmstore"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for step in steps {
        let out = Command::new("bash")
            .args([
                "--norc",
                "--noprofile",
                "-c",
                &format!("{} 2>&1", step.command),
            ])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let actual = String::from_utf8_lossy(&out.stdout);
        let actual: Vec<&str> = actual.lines().collect();
        let where_ = format!("README.md line {}: `{}`", step.line, step.command);
        assert_eq!(
            out.status.code(),
            Some(step.exit),
            "{where_} exited otherwise; output:\n{}",
            actual.join("\n")
        );
        assert_eq!(
            actual.len(),
            step.expected.len(),
            "{where_}: expected\n{}\ngot\n{}",
            step.expected.join("\n"),
            actual.join("\n")
        );
        for (want, got) in step.expected.iter().zip(&actual) {
            assert!(
                line_matches(want, got),
                "{where_}: expected `{want}`, got `{got}`"
            );
        }
    }
}

#[test]
fn wildcards_match_only_what_they_should() {
    assert!(line_matches("a [..] c", "a b c"));
    assert!(line_matches("[..]/x", "/tmp/y/x"));
    assert!(line_matches("x[..]", "xyz"));
    assert!(!line_matches("a [..] c", "a b d"));
    assert!(!line_matches("exact", "exactly"));
}
