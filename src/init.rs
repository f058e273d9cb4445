//! `pgrender init`: the starter project compiled into the binary (the
//! repository's own `pgrender.toml`, `.taplo.toml`, `charts/`, `schema/` and
//! `environments/` as they were at build time) and writing it to a folder,
//! all or nothing.

use std::fs;
use std::path::Path;

use include_dir::{Dir, include_dir};

use crate::confine::{Confine, Escape};
use crate::error::Error;

static CHARTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/charts");
static SCHEMA: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schema");
static ENVIRONMENTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/environments");
static TOP_LEVEL: [(&str, &[u8]); 2] =
    [("pgrender.toml", include_bytes!("../pgrender.toml")), (".taplo.toml", include_bytes!("../.taplo.toml"))];

/// Every starter file as (relative `/`-separated path, content), sorted by path.
pub fn starter_files() -> Vec<(String, &'static [u8])> {
    let mut files: Vec<(String, &'static [u8])> =
        TOP_LEVEL.iter().map(|(path, content)| ((*path).to_string(), *content)).collect();
    for (root, dir) in [("charts", &CHARTS), ("schema", &SCHEMA), ("environments", &ENVIRONMENTS)] {
        collect(root, dir, &mut files);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

fn collect(root: &str, dir: &'static Dir<'static>, out: &mut Vec<(String, &'static [u8])>) {
    for file in dir.files() {
        out.push((format!("{root}/{}", slash_path(file.path())), file.contents()));
    }
    for sub in dir.dirs() {
        collect(root, sub, out);
    }
}

fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Writes the starter project into `dir`. Without `force`, any existing
/// starter file stops the command before anything is written; with it too,
/// a link that would take a file out of `dir` does.
pub fn write_starter(dir: &Path, force: bool) -> Result<Vec<String>, Error> {
    let files = starter_files();
    refuse_escapes(dir, &files)?;
    if !force {
        let existing: Vec<String> = files
            .iter()
            .filter(|(rel, _)| dir.join(rel).symlink_metadata().is_ok())
            .map(|(rel, _)| rel.clone())
            .collect();
        if !existing.is_empty() {
            return Err(Error::InitConflict { dir: dir.to_path_buf(), existing });
        }
    }
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    for (rel, content) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(write_err(parent))?;
        }
        fs::write(&path, content).map_err(write_err(&path))?;
    }
    Ok(files.into_iter().map(|(rel, _)| rel).collect())
}

/// Fails, before anything is written, when a starter file would land
/// outside `dir` through a symbolic link already there; one error per link.
fn refuse_escapes(dir: &Path, files: &[(String, &[u8])]) -> Result<(), Error> {
    let confine = Confine::new(dir, "the project")?;
    let mut escapes: Vec<Box<Escape>> = Vec::new();
    for (rel, _) in files {
        match confine.resolve(Path::new(rel)) {
            Ok(_) => {}
            Err(Error::Outside(escape)) => {
                if !escapes.iter().any(|e| e.how == escape.how) {
                    escapes.push(escape);
                }
            }
            Err(err) => return Err(err),
        }
    }
    Error::collect(escapes.into_iter().map(Error::Outside).collect()).map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_holds_the_project_file_chart_schema_and_environments() {
        let paths: Vec<String> = starter_files().into_iter().map(|(p, _)| p).collect();
        for expected in [
            "pgrender.toml",
            ".taplo.toml",
            "charts/postgres/chart.toml",
            "charts/postgres/values.toml",
            "schema/postgres.schema.json",
            "environments/local.toml",
        ] {
            assert!(paths.iter().any(|p| p == expected), "{expected} missing from {paths:?}");
        }
        assert!(paths.iter().any(|p| p.starts_with("charts/postgres/templates/1-namespaces/")));
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
    }

    #[test]
    fn refuses_before_writing_anything() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("environments")).unwrap();
        fs::write(tmp.path().join("environments/eks.toml"), "mine\n").unwrap();
        let err = write_starter(tmp.path(), false).unwrap_err();
        assert!(matches!(&err, Error::InitConflict { existing, .. } if existing == &["environments/eks.toml"]));
        assert!(!tmp.path().join("pgrender.toml").exists());
        assert_eq!(fs::read_to_string(tmp.path().join("environments/eks.toml")).unwrap(), "mine\n");
        write_starter(tmp.path(), true).unwrap();
        assert_ne!(fs::read_to_string(tmp.path().join("environments/eks.toml")).unwrap(), "mine\n");
    }
}
