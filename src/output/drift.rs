//! Comparing rendered output with another tree: the files on disk (drift,
//! for `check` and `diff`) or another environment's output (`diff
//! --against`), printed as unified diffs.

use std::collections::BTreeMap;
use std::path::Path;

use similar::TextDiff;

use crate::confine::Confine;
use crate::error::Error;
use crate::files::list_files;
use crate::output::{RECORD, RenderedEnv, read_record};

/// One file that differs between two trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Path relative to the environment folder.
    pub path: String,
    /// Text on the old side; `None` when the file is new.
    pub old: Option<String>,
    /// Text on the new side; `None` when the file goes away.
    pub new: Option<String>,
}

/// How `env`'s rendered files differ from what is written under `dir`: files
/// pgrender would add, change, or remove (recorded as written by it). Files
/// that pgrender did not write are not its business and are ignored.
pub fn against_disk(dir: &Path, env: &RenderedEnv) -> Result<Vec<FileChange>, Error> {
    let on_disk = list_files(dir)?;
    let recorded = read_record(dir);
    // A committed file that links out of the folder is refused, not shown in a diff.
    let confine = Confine::new(dir, "the output folder")?;
    let new = files_of(env);
    let mut old = BTreeMap::new();
    for path in on_disk.iter().filter(|p| p.as_str() != RECORD) {
        if new.contains_key(path) || recorded.contains_key(path) {
            old.insert(path.clone(), confine.read_to_string(Path::new(path))?);
        }
    }
    Ok(compare(&old, &new))
}

/// How environment `new`'s files differ from environment `old`'s.
pub fn between(old: &RenderedEnv, new: &RenderedEnv) -> Vec<FileChange> {
    compare(&files_of(old), &files_of(new))
}

fn files_of(env: &RenderedEnv) -> BTreeMap<String, String> {
    env.files.iter().map(|f| (f.path.clone(), f.content.clone())).collect()
}

fn compare(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<FileChange> {
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| old.get(*p) != new.get(*p))
        .map(|p| FileChange { path: p.clone(), old: old.get(p).cloned(), new: new.get(p).cloned() })
        .collect()
}

/// Unified diffs of `changes` from environment `old_env`'s files to `new_env`'s,
/// with the headers of [`labels`].
pub fn unified(changes: &[FileChange], old_env: &str, new_env: &str) -> String {
    let mut out = String::new();
    for change in changes {
        let (old_label, new_label) = labels(old_env, new_env, &change.path, change.old.is_some(), change.new.is_some());
        let old = change.old.as_deref().unwrap_or("");
        let new = change.new.as_deref().unwrap_or("");
        out.push_str(&file_diff(old, new, &old_label, &new_label));
    }
    out
}

/// The headers of one file's diff, git's scheme for every command that
/// prints one: `a/<env>/<path>` on the old side, `b/<env>/<path>` on the new
/// (paths relative to the output folder), `/dev/null` for a side the file
/// is missing from.
pub fn labels(old_env: &str, new_env: &str, path: &str, old: bool, new: bool) -> (String, String) {
    let side = |exists: bool, prefix: &str, env: &str| {
        if exists { format!("{prefix}/{env}/{path}") } else { "/dev/null".to_string() }
    };
    (side(old, "a", old_env), side(new, "b", new_env))
}

/// The first line (1-based) where the old text of `change` differs from the new one.
pub fn first_changed_line(change: &FileChange) -> usize {
    let (old, new) = (change.old.as_deref().unwrap_or(""), change.new.as_deref().unwrap_or(""));
    old.lines().zip(new.lines()).take_while(|(a, b)| a == b).count() + 1
}

/// The unified diff (3 lines of context) of one file's two texts.
pub fn file_diff(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    TextDiff::from_lines(old, new).unified_diff().context_radius(3).header(old_label, new_label).to_string()
}

/// `2 changed, 1 added` for a summary line.
pub fn summary(changes: &[FileChange]) -> String {
    let count = |f: fn(&FileChange) -> bool| changes.iter().filter(|c| f(c)).count();
    let parts = [
        ("changed", count(|c| c.old.is_some() && c.new.is_some())),
        ("added", count(|c| c.old.is_none())),
        ("removed", count(|c| c.new.is_none())),
    ];
    parts.iter().filter(|(_, n)| *n > 0).map(|(what, n)| format!("{n} {what}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    #[test]
    fn added_changed_removed_in_path_order() {
        let changes = compare(
            &map(&[("a", "1\n"), ("b", "x\n"), ("c", "same\n")]),
            &map(&[("b", "y\n"), ("c", "same\n"), ("d", "new\n")]),
        );
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["a", "b", "d"]);
        assert_eq!(summary(&changes), "1 changed, 1 added, 1 removed");
        let text = unified(&changes, "gke", "eks");
        assert!(text.contains("--- a/gke/a\n+++ /dev/null\n"), "{text}");
        assert!(text.contains("--- a/gke/b\n+++ b/eks/b\n@@ -1 +1 @@\n-x\n+y\n"), "{text}");
        assert!(text.contains("--- /dev/null\n+++ b/eks/d\n"), "{text}");
        assert_eq!(first_changed_line(&changes[1]), 1);
    }
}
