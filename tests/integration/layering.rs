//! Where code lives: the command layer (`src/cli/`) sits on the engine, and
//! the engine never reaches back into it; unsafe code stays in two small
//! modules. Read from the source files, so a new import of the CLI from the
//! engine, or a new unsafe module, fails here before review.

use std::path::{Path, PathBuf};

use regex::Regex;

/// A path naming the `cli` module from inside the crate: `crate::cli`,
/// `super::cli`, `super::super::cli`, or `cli` in a grouped `crate::{…}` import.
fn names_cli() -> Regex {
    Regex::new(r"\b(?:crate|super)\s*::\s*(?:\{[^}]*?\b)?cli\b").unwrap()
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_engine_never_imports_the_command_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let engine: Vec<&PathBuf> =
        files.iter().filter(|f| !f.starts_with(src.join("cli")) && **f != src.join("main.rs")).collect();
    assert!(engine.len() > 20 && engine.len() < files.len(), "found {} engine files of {}", engine.len(), files.len());
    let pattern = names_cli();
    let mut offenders = Vec::new();
    for file in engine {
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if pattern.is_match(line) {
                let shown = file.strip_prefix(&src).unwrap().display();
                offenders.push(format!("src/{shown}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the engine imports the command layer (return data instead and let src/cli/ print or decide):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_pattern_catches_every_way_of_naming_the_cli() {
    let pattern = names_cli();
    for naming in [
        "use crate::cli::terminal::status;",
        "use crate::cli;",
        "    crate::cli::terminal::report(&err);",
        "use super::cli::args::Cli;",
        "use super::super::cli::config::Action;",
        "use crate::{cli::terminal, error::Error};",
        "use crate :: cli;",
    ] {
        assert!(pattern.is_match(naming), "{naming}");
    }
    for other in ["use crate::check::report;", "use crate::{client, error};", "use crate::clip;", "// a cli flag"] {
        assert!(!pattern.is_match(other), "{other}");
    }
}

#[test]
fn only_the_libyaml_binding_and_thread_placement_use_unsafe_code() {
    // `unsafe_code` is denied crate-wide (Cargo.toml `[lints]`); a module can
    // still allow it for itself, and only these two may.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut allowing: Vec<String> = files
        .iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("allow(unsafe_code)"))
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    allowing.sort();
    assert_eq!(allowing, ["parallel/beside.rs", "yaml/libyaml.rs"], "modules allowing unsafe code");
}
