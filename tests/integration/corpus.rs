//! Malformed input never panics, and a project never reaches outside itself.
//!
//! Each case is a folder, run through `insta::glob!` into a snapshot of its
//! own (exit code, stderr, stdout); a failing case does not stop the others.
//! - `tests/corpus/malformed/<case>/` breaks one input of a project that
//!   rendered fine (see [`case`]): exit code 1 or 2, a diagnostic naming the
//!   file (and line where there is one), no panic, the earlier output untouched.
//! - `tests/corpus/escapes/<case>/` names a file outside the project: it is
//!   refused before it is read by render, `render --stdout` and `check`, and a
//!   secret kept beside the project never shows.
//! - `tests/corpus/values/*.toml` (hand-written and fuzz finds) are each
//!   layered with `-f` and must never crash pgrender.
//!
//! Inputs too big to keep as files (a 50 MB values file, 20 000 bad keys,
//! the cost cases in [`cost`]) are generated here, and so is an unreadable
//! file, since git keeps no permissions but the executable bit.

mod case;
mod cost;

use std::fmt::Write as _;
use std::fs;

use crate::harness::{Failures, TestProject, transcript};
use case::Scene;

#[test]
fn malformed_inputs_fail_cleanly_and_keep_the_old_output() {
    let mut failures = Failures::default();
    insta::glob!("../corpus", "malformed/*", |dir| {
        let scene = Scene::new(dir);
        let (command, run) = scene.run(&["--env", "dev"]);
        failures.record(&scene.name, &scene.problems(&run), &run);
        let seen = scene.transcript(&[(command, run)]);
        insta::with_settings!({ description => &scene.case.description, omit_expression => true }, {
            insta::assert_snapshot!(seen);
        });
    });
    failures.assert_none();
}

#[test]
fn escapes_from_the_project_are_refused_before_reading() {
    let mut failures = Failures::default();
    insta::glob!("../corpus", "escapes/*", |dir| {
        let scene = Scene::new(dir);
        let mut runs = Vec::new();
        for command in [&["--env", "dev"][..], &["--env", "dev", "--stdout"], &["check", "--env", "dev"]] {
            let (command, run) = scene.run(command);
            failures.record(&format!("{} ({command})", scene.name), &scene.problems(&run), &run);
            runs.push((command, run));
        }
        let seen = scene.transcript(&runs);
        insta::with_settings!({ description => &scene.case.description, omit_expression => true }, {
            insta::assert_snapshot!(seen);
        });
    });
    failures.assert_none();
}

#[test]
fn values_files_never_crash() {
    let mut failures = Failures::default();
    insta::glob!("../corpus", "values/*.toml", |file| {
        let project = TestProject::fixture("minimal");
        fs::copy(file, project.path().join("layer.toml")).unwrap();
        let args = ["--env", "dev", "-f", "layer.toml", "--stdout"];
        let run = project.run(&args);
        let mut problems = Vec::new();
        if !matches!(run.code, 0..=2) {
            problems.push(format!("exit code {}", run.code));
        }
        if run.stderr.contains("panicked") {
            problems.push("panic".to_string());
        }
        if run.code != 0 && !run.stderr.contains("layer.toml") {
            problems.push("the diagnostic does not name the file".to_string());
        }
        failures.record(&file.file_name().unwrap().to_string_lossy(), &problems, &run);
        let seen = transcript(&[(args.join(" "), run)]);
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(seen);
        });
    });
    failures.assert_none();
}

#[test]
fn a_fifty_megabyte_values_file_is_read_and_checked() {
    let project = TestProject::fixture("minimal");
    project.run(&["--env", "dev"]).code(0);
    let before = project.tree("out");
    let item = format!("  \"{}\",\n", "y".repeat(200));
    let mut text = String::from("[app]\ntags = [\n");
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&item);
    }
    text.push_str("]\nreplicas = \"three\"\n");
    let lines = text.lines().count();
    project.write("big.toml", &text);
    let run = project.run(&["--env", "dev", "-f", "big.toml"]);
    run.code(1).stderr_has(&format!("big.toml:{lines}:12"));
    assert_eq!(project.tree("out"), before);
}

#[test]
fn many_bad_keys_are_capped_not_flooded() {
    let project = TestProject::fixture("minimal");
    let mut text = String::from("[app]\n");
    for i in 0..20_000 {
        let _ = writeln!(text, "k{i} = {i}");
    }
    project.write("many.toml", &text);
    let run = project.run(&["--env", "dev", "-f", "many.toml"]);
    run.code(1).stderr_has("20000 problems found (the first 50 are shown)");
    assert_eq!(run.stderr.matches("unknown key").count(), 50);
}

#[test]
fn an_unreadable_file_names_the_file() {
    let project = TestProject::fixture("minimal");
    let env = project.path().join("environments/dev.toml");
    fs::set_permissions(&env, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if fs::read(&env).is_ok() {
        println!("skipped: running as root, which reads files whatever their permissions");
        return;
    }
    project.run(&["--env", "dev"]).code(1).stderr_has("cannot read environments/dev.toml");
}
