//! Writing a set of file changes inside the project, all or nothing: every
//! target is checked before the first write, new files are created without
//! replacing anything, edited files are replaced by a rename, and a failure
//! part-way restores what was there.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::confine::Confine;
use crate::error::Error;

/// One file to create or replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The file.
    pub path: PathBuf,
    /// Its new content.
    pub content: String,
    /// Its content before, `None` for a file that must not exist yet.
    pub previous: Option<String>,
}

/// What has been done so far, to undo.
#[derive(Default)]
struct Journal {
    created_dirs: Vec<PathBuf>,
    created_files: Vec<PathBuf>,
    replaced: Vec<(PathBuf, String)>,
}

/// Applies `changes`, then the changes `more` computes from the project as
/// changed; on any error everything is put back as it was. Every target
/// must lead inside `confine` and is written where its links lead.
pub fn apply(
    confine: &Confine,
    changes: &[Change],
    more: impl FnOnce() -> Result<Vec<Change>, Error>,
) -> Result<(), Error> {
    let changes = changes.iter().map(|c| inside(confine, c)).collect::<Result<Vec<_>, _>>()?;
    let mut journal = Journal::default();
    let result = changes.iter().try_for_each(|c| one(confine.root(), c, &mut journal)).and_then(|()| {
        let more = more()?;
        more.iter().try_for_each(|c| one(confine.root(), &inside(confine, c)?, &mut journal))
    });
    if result.is_err() {
        undo(journal);
    }
    result
}

/// `change` aimed at the real file its path leads to, when that is inside `confine`.
fn inside(confine: &Confine, change: &Change) -> Result<Change, Error> {
    Ok(Change { path: confine.resolve(&change.path)?, ..change.clone() })
}

fn one(root: &Path, change: &Change, journal: &mut Journal) -> Result<(), Error> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    let parent = change.path.parent().unwrap_or(root);
    // Folders are created one by one so that exactly the new ones are undone.
    let missing: Vec<&Path> = parent.ancestors().take_while(|d| !d.exists()).collect();
    for dir in missing.into_iter().rev() {
        fs::create_dir(dir).map_err(write_err(dir))?;
        journal.created_dirs.push(dir.to_path_buf());
    }
    match &change.previous {
        None => {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&change.path)
                .map_err(write_err(&change.path))?;
            journal.created_files.push(change.path.clone());
            file.write_all(change.content.as_bytes()).map_err(write_err(&change.path))?;
        }
        Some(previous) => {
            let name = change.path.file_name().unwrap_or_default().to_string_lossy();
            let staging = parent.join(format!(".{name}.pgrender-new"));
            fs::write(&staging, &change.content).map_err(write_err(&staging))?;
            if let Err(source) = fs::rename(&staging, &change.path) {
                let _ = fs::remove_file(&staging);
                return Err(Error::Write { path: change.path.clone(), source });
            }
            journal.replaced.push((change.path.clone(), previous.clone()));
        }
    }
    Ok(())
}

fn undo(journal: Journal) {
    for (path, previous) in journal.replaced.into_iter().rev() {
        let _ = fs::write(path, previous);
    }
    for path in journal.created_files.into_iter().rev() {
        let _ = fs::remove_file(path);
    }
    for dir in journal.created_dirs.into_iter().rev() {
        let _ = fs::remove_dir(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_part_way_puts_everything_back() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::write(root.join("edited.toml"), "old\n").unwrap();
        fs::write(root.join("taken"), "mine\n").unwrap();
        let changes = vec![
            Change { path: root.join("edited.toml"), content: "new\n".into(), previous: Some("old\n".into()) },
            Change { path: root.join("a/b/new.txt"), content: "x".into(), previous: None },
            // Exists already: creating it fails, after the two above succeeded.
            Change { path: root.join("taken"), content: "theirs".into(), previous: None },
        ];
        let confine = Confine::new(root, "the project").unwrap();
        let err = apply(&confine, &changes, || Ok(Vec::new())).unwrap_err();
        assert!(matches!(err, Error::Write { .. }), "{err:?}");
        assert_eq!(fs::read_to_string(root.join("edited.toml")).unwrap(), "old\n");
        assert_eq!(fs::read_to_string(root.join("taken")).unwrap(), "mine\n");
        assert!(!root.join("a").exists());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_links_and_folders_leading_out_of_the_project() {
        let outside = tempfile::tempdir().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::os::unix::fs::symlink(outside.path(), root.join("away")).unwrap();
        let confine = Confine::new(root, "the project").unwrap();
        for path in [root.join("away/file"), root.join("away")] {
            let change = Change { path, content: "x".into(), previous: None };
            let err = apply(&confine, &[change], || Ok(Vec::new())).unwrap_err();
            assert!(matches!(err, Error::Outside(_)), "{err:?}");
        }
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
