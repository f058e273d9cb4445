//! A corpus case as a folder (`tests/corpus/malformed/<case>/`,
//! `tests/corpus/escapes/<case>/`): `case.toml` says what the case breaks and
//! what stderr must name, `project/` holds the files laid over the `minimal`
//! fixture. Beside the project lies a folder of secrets
//! ([`outside_with_secrets`]); text files, arguments and link targets reach it through
//! two placeholders: `{outside}` (its absolute path) and `{outside_relative}`
//! (the same folder reached from the project with `..`). Symbolic links are
//! made from `case.toml`, since git cannot store a link to a temp dir.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use serde::Deserialize;

use crate::harness::{Run, SECRET, TestProject, outside_with_secrets, transcript};

/// The `case.toml` of a case folder.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case breaks, in a few words.
    pub description: String,
    /// Arguments after the command's own (`--env dev`, or `check --env dev`).
    #[serde(default)]
    pub args: Vec<String>,
    /// Exit code: 1 (failed) or 2 (usage).
    #[serde(default = "failed")]
    pub code: i32,
    /// What stderr must contain, typically `path:line`.
    pub names: Vec<String>,
    /// Files or folders of the fixture to delete before `project/` is laid over it.
    #[serde(default)]
    remove: Vec<String>,
    /// Symbolic links to make, the path in the project to its target, replacing what is there.
    #[serde(default)]
    links: BTreeMap<String, String>,
}

fn failed() -> i32 {
    1
}

/// A case set up: the `minimal` fixture rendered once, then broken as the
/// case says, with the secrets beside it.
pub struct Scene {
    /// The case folder's name.
    pub name: String,
    /// The case as `case.toml` describes it.
    pub case: Case,
    /// The broken project.
    pub project: TestProject,
    outside: TestProject,
    /// The output rendered before the project was broken.
    out_before: BTreeMap<String, String>,
    outside_before: BTreeMap<String, String>,
}

impl Scene {
    /// Sets up the case in folder `dir`.
    pub fn new(dir: &Path) -> Scene {
        let text = fs::read_to_string(dir.join("case.toml")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{}/case.toml: {e}", dir.display()));
        let project = TestProject::fixture("minimal");
        project.run(&["--env", "dev"]).code(0);
        let out_before = project.tree("out");
        let outside = outside_with_secrets();
        let outside_before = outside.tree("");
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let scene = Scene { name, case, project, outside, out_before, outside_before };
        for rel in &scene.case.remove {
            remove(&scene.project.path().join(rel));
        }
        scene.overlay(&dir.join("project"), scene.project.path());
        for (at, target) in &scene.case.links {
            let path = scene.project.path().join(at);
            remove(&path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            symlink(scene.expand(target), path).unwrap();
        }
        scene
    }

    /// Copies the files below `from` over `to`, placeholders expanded.
    fn overlay(&self, from: &Path, to: &Path) {
        let Ok(entries) = fs::read_dir(from) else { return };
        for entry in entries.flatten() {
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                fs::create_dir_all(&target).unwrap();
                self.overlay(&entry.path(), &target);
            } else {
                let bytes = fs::read(entry.path()).unwrap();
                // Bytes that are not UTF-8 (binary and invalid UTF-8 cases) are copied as they are.
                let bytes = match String::from_utf8(bytes) {
                    Ok(text) => self.expand(&text).into_bytes(),
                    Err(not_text) => not_text.into_bytes(),
                };
                fs::write(target, bytes).unwrap();
            }
        }
    }

    /// `text` with the placeholders for the secrets' folder replaced.
    fn expand(&self, text: &str) -> String {
        text.replace("{outside}", &self.outside.path().display().to_string())
            .replace("{outside_relative}", &format!("../{}", self.outside_name()))
    }

    /// Both temp dirs are in one parent, so the folder's name reaches it from the project.
    fn outside_name(&self) -> String {
        self.outside.path().file_name().unwrap().to_string_lossy().into_owned()
    }

    /// Runs pgrender with `command` then the case's arguments; returns the
    /// command line and the run.
    pub fn run(&self, command: &[&str]) -> (String, Run) {
        let extra: Vec<String> = self.case.args.iter().map(|arg| self.expand(arg)).collect();
        let mut args = command.to_vec();
        args.extend(extra.iter().map(String::as_str));
        (args.join(" "), self.project.run(&args))
    }

    /// What the case asserts of a run: its exit code, no panic, the names in
    /// stderr, the secret never shown, the earlier output and the outside
    /// folder untouched.
    pub fn problems(&self, run: &Run) -> Vec<String> {
        let names: Vec<&str> = self.case.names.iter().map(String::as_str).collect();
        let mut problems = run.problems(self.case.code, &names);
        if run.stdout.contains(SECRET) || run.stderr.contains(SECRET) {
            problems.push("printed the secret".to_string());
        }
        if self.project.tree("out") != self.out_before {
            problems.push("earlier output changed".to_string());
        }
        if self.outside.tree("") != self.outside_before {
            problems.push("wrote outside the project".to_string());
        }
        problems
    }

    /// What the user saw of `runs`, for a snapshot, with the secrets' folder as `[OUTSIDE]`.
    pub fn transcript(&self, runs: &[(String, Run)]) -> String {
        let text = transcript(runs);
        let text = replace_keeping_carets(&text, &self.outside.path().display().to_string(), "[OUTSIDE]");
        replace_keeping_carets(&text, &self.outside_name(), "[OUTSIDE]")
    }
}

/// `text` with `needle` replaced; where a diagnostic quotes a line holding
/// it, the caret line below is shortened to match, so that a snapshot does
/// not depend on how long the temp dir's path is.
fn replace_keeping_carets(text: &str, needle: &str, replacement: &str) -> String {
    let shorter = needle.len().saturating_sub(replacement.len());
    let mut out = String::new();
    let mut found: Vec<usize> = Vec::new();
    for line in text.split_inclusive('\n') {
        let mut line = line.to_string();
        let marks = line.trim_start().starts_with('|') && line.contains('^');
        // The caret line has the same gutter as the quoted line: a column is a byte offset in both.
        if marks {
            for &at in found.iter().rev() {
                if at < line.len() {
                    line.replace_range(at..(at + shorter).min(line.len()), "");
                }
            }
        }
        found = line.match_indices(needle).map(|(at, _)| at).collect();
        out.push_str(&line.replace(needle, replacement));
    }
    out
}

/// Removes a file, a link or a whole folder, if there is one.
fn remove(path: &Path) {
    if path.is_dir() && !path.is_symlink() {
        fs::remove_dir_all(path).unwrap();
    } else if path.symlink_metadata().is_ok() {
        fs::remove_file(path).unwrap();
    }
}
