//! What `watch` prints after a render: one compact line per changed file
//! (or one line saying nothing changed) per environment, and optionally
//! the unified diff of each changed file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};

use crate::confine::Confine;
use crate::output::{Changes, read_record};

/// Old contents of the files pgrender wrote in `dir`, read before a render replaces them.
/// A file that links out of the folder is left out: its target is never read.
pub fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let Ok(confine) = Confine::new(dir, "the output folder") else { return BTreeMap::new() };
    read_record(dir)
        .into_keys()
        .filter_map(|rel| confine.read_to_string(Path::new(&rel)).ok().map(|text| (rel, text)))
        .collect()
}

/// One environment's render, as seen by the summary.
pub struct EnvReport<'a> {
    /// The environment's name.
    pub env: &'a str,
    /// What writing changed.
    pub changes: &'a Changes,
    /// Contents before the render (from [`snapshot`]).
    pub old: &'a BTreeMap<String, String>,
    /// Contents after, by output path.
    pub new: BTreeMap<&'a str, &'a str>,
}

/// Summary lines for one environment, its name padded to `width`.
pub fn summary(report: &EnvReport, width: usize) -> String {
    let mut out = String::new();
    let env = report.env;
    if report.changes.is_empty() {
        let _ = writeln!(out, "{env:<width$}  no changes");
        return out;
    }
    for path in &report.changes.added {
        let lines = report.new.get(path.as_str()).map_or(0, |t| t.lines().count());
        let _ = writeln!(out, "{env:<width$}  {path} added (+{lines})");
    }
    for path in &report.changes.changed {
        let (plus, minus) = line_counts(old_text(report, path), new_text(report, path));
        let _ = writeln!(out, "{env:<width$}  {path} changed (+{plus} \u{2212}{minus})");
    }
    for path in &report.changes.removed {
        let _ = writeln!(out, "{env:<width$}  {path} removed");
    }
    out
}

/// Unified diffs of every changed and removed file, and of added files
/// when `added` (a first render would otherwise print the whole tree),
/// coloured when `styled`.
pub fn diffs(report: &EnvReport, added: bool, styled: bool) -> String {
    let changes = report.changes;
    let added = if added { changes.added.as_slice() } else { &[] };
    let paths = added.iter().chain(&changes.changed).chain(&changes.removed);
    let mut out = String::new();
    for path in paths {
        let (old, new) = (old_text(report, path), new_text(report, path));
        let (old_label, new_label) = crate::output::drift::labels(
            report.env,
            report.env,
            path,
            report.old.contains_key(path),
            report.new.contains_key(path.as_str()),
        );
        let text = crate::output::drift::file_diff(old, new, &old_label, &new_label);
        out.push_str(&if styled { colour(&text) } else { text });
    }
    out
}

fn old_text<'a>(report: &'a EnvReport, path: &str) -> &'a str {
    report.old.get(path).map_or("", String::as_str)
}

fn new_text<'a>(report: &'a EnvReport, path: &str) -> &'a str {
    report.new.get(path).copied().unwrap_or("")
}

/// Lines added and removed between two texts.
fn line_counts(old: &str, new: &str) -> (usize, usize) {
    let diff = TextDiff::from_lines(old, new);
    diff.iter_all_changes().fold((0, 0), |(plus, minus), change| match change.tag() {
        ChangeTag::Insert => (plus + 1, minus),
        ChangeTag::Delete => (plus, minus + 1),
        ChangeTag::Equal => (plus, minus),
    })
}

fn colour(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len());
    for line in diff.split_inclusive('\n') {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            Style::new().bold()
        } else if line.starts_with('+') {
            AnsiColor::Green.on_default()
        } else if line.starts_with('-') {
            AnsiColor::Red.on_default()
        } else if line.starts_with("@@") {
            AnsiColor::Cyan.on_default()
        } else {
            Style::new()
        };
        let (body, newline) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        let _ = write!(out, "{style}{body}{style:#}{newline}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report<'a>(
        changes: &'a Changes,
        old: &'a BTreeMap<String, String>,
        new: &[(&'a str, &'a str)],
    ) -> EnvReport<'a> {
        EnvReport { env: "eks", changes, old, new: new.iter().copied().collect() }
    }

    #[test]
    fn counts_added_and_removed_lines() {
        assert_eq!(line_counts("a\nb\nc\n", "a\nB\nc\nd\n"), (2, 1));
        assert_eq!(line_counts("", "a\n"), (1, 0));
    }

    #[test]
    fn one_line_per_file_with_line_counts() {
        let changes = Changes {
            added: vec!["3-config/new.yaml".into()],
            changed: vec!["4-database/s.yaml".into()],
            removed: vec!["4-database/old.yaml".into()],
        };
        let old = BTreeMap::from([("4-database/s.yaml".to_string(), "a: 1\nb: 2\n".to_string())]);
        let r = report(&changes, &old, &[("3-config/new.yaml", "x: 1\n"), ("4-database/s.yaml", "a: 1\nb: 3\nc: 4\n")]);
        assert_eq!(
            summary(&r, 5),
            "eks    3-config/new.yaml added (+1)\n\
             eks    4-database/s.yaml changed (+2 \u{2212}1)\n\
             eks    4-database/old.yaml removed\n"
        );
    }

    #[test]
    fn nothing_changed_is_one_line() {
        let (changes, old) = (Changes::default(), BTreeMap::new());
        assert_eq!(summary(&report(&changes, &old, &[]), 3), "eks  no changes\n");
    }

    #[test]
    fn added_files_are_diffed_only_when_asked() {
        let changes = Changes { added: vec!["a.yaml".into()], ..Changes::default() };
        let old = BTreeMap::new();
        let r = report(&changes, &old, &[("a.yaml", "a: 1\n")]);
        assert_eq!(diffs(&r, false, false), "");
        assert!(diffs(&r, true, false).contains("+a: 1\n"));
    }

    #[test]
    fn diffs_are_plain_unless_styled() {
        let changes = Changes { changed: vec!["a.yaml".into()], ..Changes::default() };
        let old = BTreeMap::from([("a.yaml".to_string(), "a: 1\n".to_string())]);
        let r = report(&changes, &old, &[("a.yaml", "a: 2\n")]);
        assert_eq!(diffs(&r, true, false), "--- a/eks/a.yaml\n+++ b/eks/a.yaml\n@@ -1 +1 @@\n-a: 1\n+a: 2\n");
        let styled = diffs(&r, true, true);
        assert!(styled.contains("\u{1b}[32m+a: 2\u{1b}[0m\n"), "{styled:?}");
    }
}
