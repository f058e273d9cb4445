//! The README's console sessions, run by trycmd on real projects.
//!
//! Every ```` ```console ```` block of README.md (and of the chart's README)
//! is a session: each `$ pgrender …` line runs the real binary and must print
//! exactly what the block shows, stdout and stderr together, followed by one
//! blank line (trycmd's format); `...` and `[..]` stand for what truly varies,
//! and a `? CODE` line under a command gives its exit code (0 when absent).
//!
//! An HTML comment `<!-- project: NAME -->` above a block names the project it
//! runs in: `default`, the repository's own project with its committed output,
//! or a folder of `tests/fixtures/`, optionally followed by ` + FOLDER`s of
//! `tests/fixtures/` whose files are copied over it (`default + mistakes`: the
//! default project plus the values files the error examples pass with `-f`).
//! A block without a marker goes on in the folder of the block above it, so a
//! walkthrough keeps its state from step to step.
//!
//! trycmd runs one markdown file in one folder (its `.in` directory), so each
//! session becomes a markdown file of its own beside a copy of its project, in
//! a temp folder: commands that write (render, init, new chart) never touch
//! the repository. The file keeps the document's line numbers, so a failure
//! names the line of the command that printed something else. Examples that
//! cannot run here (kubectl, cloud tools) are `sh` blocks of commands without
//! output, which this test does not read.

use std::path::Path;

use crate::harness::{copy_default_project, copy_tree, repo_root};

/// The marker that names a session's project.
const PROJECT: &str = "<!-- project: ";

/// One run of console blocks in one project folder.
struct Session {
    /// `default` or a folder of `tests/fixtures/`.
    project: String,
    /// README.md's lines, blank except for the session's blocks.
    lines: Vec<String>,
}

/// Splits the README into sessions; panics on a block the test could not run.
fn sessions(readme: &str) -> Vec<Session> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut sessions: Vec<Session> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(rest) = line.strip_prefix(PROJECT) {
            let name = rest.strip_suffix(" -->").unwrap_or_else(|| panic!("README.md:{}: `{line}`", i + 1));
            pending = Some((i + 1, name.to_string()));
        } else if line.trim_start().starts_with("```console") && line.starts_with(' ') {
            panic!("README.md:{}: an indented console block is not run; make it `text` or unindent it", i + 1);
        } else if line.starts_with("```") {
            let fence = &line[..line.find(|c| c != '`').unwrap_or(line.len())];
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].starts_with(fence))
                .unwrap_or_else(|| panic!("README.md:{}: the block is never closed", i + 1));
            if line[fence.len()..].trim() == "console" {
                if let Some((_, project)) = pending.take() {
                    sessions.push(Session { project, lines: vec![String::new(); lines.len()] });
                }
                let session = sessions.last_mut().unwrap_or_else(|| {
                    panic!("README.md:{}: a console block needs `{PROJECT}NAME -->` above it", i + 1)
                });
                for (slot, line) in session.lines[i..=end].iter_mut().zip(&lines[i..=end]) {
                    *slot = (*line).to_string();
                }
            } else if let Some((at, _)) = pending {
                panic!("README.md:{at}: the project marker is not followed by a console block");
            }
            i = end;
        }
        i += 1;
    }
    assert!(pending.is_none(), "README.md ends with a project marker");
    sessions
}

/// Copies the session's project into `to`: `default` or a fixture, then
/// each fixture after a ` + ` copied over it.
fn copy_project(project: &str, to: &Path) {
    for (i, layer) in project.split(" + ").enumerate() {
        if i == 0 && layer == "default" {
            copy_default_project(to);
        } else {
            let fixture = repo_root().join("tests/fixtures").join(layer);
            assert!(fixture.is_dir(), "README.md names project `{layer}`, which is not a folder of tests/fixtures");
            copy_tree(&fixture, to);
        }
    }
}

/// The documents whose console blocks run: the user's manual and the chart's.
const SESSIONS_IN: [&str; 2] = ["README.md", "charts/postgres/README.md"];

#[test]
fn readme_console_sessions_print_what_they_show() {
    let work = tempfile::tempdir().unwrap();
    // trycmd lets the cases' default environment override a command's own, so
    // a session that sets GITHUB_ACTIONS itself runs without that default.
    let [plain, annotated] = [trycmd::TestCases::new(), trycmd::TestCases::new()];
    for cases in [&plain, &annotated] {
        cases.register_bin("pgrender", Path::new(env!("CARGO_BIN_EXE_pgrender"))).env("NO_COLOR", "1");
    }
    // Under GitHub Actions the runner sets it: the examples show a terminal's output.
    plain.env("GITHUB_ACTIONS", "false");
    for doc in SESSIONS_IN {
        let text = std::fs::read_to_string(repo_root().join(doc)).unwrap();
        let sessions = sessions(&text);
        assert!(!sessions.is_empty(), "{doc} has no console session");
        for session in &sessions {
            let first = session.lines.iter().position(|l| !l.is_empty()).unwrap() + 1;
            // Named after the document, so that trycmd's report names it and the line.
            let dir = work.path().join(doc.replace('/', "_")).join(format!("line-{first:04}"));
            copy_project(&session.project, &dir.join("README.in"));
            let file = dir.join("README.md");
            std::fs::write(&file, session.lines.join("\n") + "\n").unwrap();
            let sets_it = session.lines.iter().any(|l| l.starts_with("$ GITHUB_ACTIONS="));
            if sets_it { &annotated } else { &plain }.case(file);
        }
    }
    plain.run();
    annotated.run();
}

#[test]
fn a_console_block_without_a_project_or_indented_is_refused() {
    let unmarked = "text\n```console\n$ pgrender rules\n```\n";
    assert!(std::panic::catch_unwind(|| sessions(unmarked)).is_err());
    let indented = "<!-- project: default -->\n- item\n  ```console\n  $ pgrender rules\n  ```\n";
    assert!(std::panic::catch_unwind(|| sessions(indented)).is_err());
    let marked = "<!-- project: minimal -->\n```console\n$ pgrender rules\n```\n\n```console\n$ x\n```\n";
    let found = sessions(marked);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].project, "minimal");
    assert_eq!(found[0].lines[5], "```console");
}

/// The documents whose links are checked: the user's manual and the notes beside it.
const DOCS: [&str; 4] = ["README.md", "CONTRIBUTING.md", "tests/README.md", "benches/README.md"];

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks).
fn anchors(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            found.push(anchor(line));
        }
    }
    found
}

#[test]
fn links_between_the_docs_lead_to_files_and_headings_that_exist() {
    let root = repo_root();
    let mut broken = Vec::new();
    for doc in DOCS {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let dir = Path::new(doc).parent().unwrap();
        for (_, rest) in text.match_indices("](").map(|(i, _)| text.split_at(i + 2)) {
            let target = &rest[..rest.find(')').unwrap_or(rest.len())];
            if target.contains("://") || target.contains(' ') || target.is_empty() {
                continue;
            }
            let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
            let file = if path.is_empty() { root.join(doc) } else { root.join(dir).join(path) };
            if !file.exists() {
                broken.push(format!("{doc}: {target} (no such file)"));
            } else if !fragment.is_empty() {
                let linked = std::fs::read_to_string(&file).unwrap();
                if !anchors(&linked).iter().any(|a| a == fragment) {
                    broken.push(format!("{doc}: {target} (no such heading)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn anchors_are_github_s() {
    assert_eq!(anchor("### `pgrender graph`"), "pgrender-graph");
    assert_eq!(anchor("#### Objects rendered twice (XOB006)"), "objects-rendered-twice-xob006");
    assert_eq!(anchor("### Start a project: `pgrender init`"), "start-a-project-pgrender-init");
}
