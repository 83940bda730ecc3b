//! The checked-in completion scripts and man pages are generated from the clap definition;
//! these tests fail when they are stale, and check that the bash completion works.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mmstore");

fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn committed_completions_and_man_pages_are_up_to_date() {
    let fresh = tempfile::tempdir().unwrap();
    let status = Command::new(BIN)
        .arg("generate")
        .arg(fresh.path())
        .status()
        .unwrap();
    assert!(status.success());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["completions", "man"] {
        let committed = files_under(&repo.join(dir));
        let generated = files_under(&fresh.path().join(dir));
        let names =
            |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&committed),
            names(&generated),
            "{dir}/ is stale: run `cargo run -- generate .` and commit the result"
        );
        for ((name, old), (_, new)) in committed.iter().zip(&generated) {
            assert!(
                old == new,
                "{dir}/{name} is stale: run `cargo run -- generate .` and commit the result"
            );
        }
    }
}

#[test]
fn completions_command_prints_each_shell_script() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("mmstore"),
            "{shell}"
        );
    }
    let out = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Completes `words` with the generated bash script in a clean bash, returning COMPREPLY.
fn bash_complete(words: &[&str]) -> Option<Vec<String>> {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("skipped: bash is not installed");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/mmstore.bash");
    let line = words.join(" ");
    let program = format!(
        "source '{}'\nCOMP_WORDS=({line})\nCOMP_CWORD={}\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n_mmstore mmstore \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        words.len() - 1,
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn bash_completion_offers_the_subcommands() {
    let Some(reply) = bash_complete(&["mmstore", "''"]) else {
        return;
    };
    for command in [
        "create",
        "append",
        "import-csv",
        "get",
        "ls",
        "rm",
        "vacuum",
        "check",
        "export-json",
    ] {
        assert!(
            reply.iter().any(|r| r == command),
            "{command} missing from {reply:?}"
        );
    }
}

#[test]
fn bash_completion_offers_the_flags_of_get() {
    let Some(reply) = bash_complete(&["mmstore", "get", "--"]) else {
        return;
    };
    for flag in ["--index", "--keys-from", "--json"] {
        assert!(
            reply.iter().any(|r| r == flag),
            "{flag} missing from {reply:?}"
        );
    }
}

#[test]
fn output_to_a_pipe_has_no_escape_codes_even_for_tables_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let run = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env_remove("NO_COLOR")
            .output()
            .unwrap()
    };
    let s = store.to_str().unwrap();
    assert!(run(&["create", s]).status.success());
    assert!(run(&["append", s, "--key", "k", "v"]).status.success());
    for args in [
        vec!["ls", s, "-l", "--deleted"],
        vec!["info", s],
        vec!["check", s],
        vec!["get", s, "missing"],
        vec!["vacuum", s, "--dry-run"],
        vec!["--help"],
    ] {
        let out = run(&args);
        for stream in [&out.stdout, &out.stderr] {
            assert!(
                !stream.contains(&0x1b),
                "{args:?} wrote an escape code: {}",
                String::from_utf8_lossy(stream)
            );
        }
    }
}

#[test]
fn version_names_the_store_format() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(env!("CARGO_PKG_VERSION")) && text.contains("store format version 1"),
        "{text}"
    );
}
