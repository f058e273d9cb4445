//! Writing rendered environments: all or nothing. Each environment's folder
//! is built beside the old one and swapped in with one atomic rename, so a
//! reader (or a crash) sees the old tree or the new one, never a mix. A
//! record of written files lets the next render remove stale files while
//! never touching files pgrender did not write.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::record::{RECORD, SUMS, is_confined, read_record};
use super::{Changes, RenderedEnv};
use crate::confine::Confine;
use crate::error::Error;
use crate::files::list_files;
use crate::parallel;

const STAGING_SUFFIX: &str = ".pgrender-staging";

/// Writes every environment under `out/<env>/`; on any error nothing is
/// replaced. A `SHA256SUMS` written by an earlier `--manifest` is kept current.
/// Waits up to `lock_wait` for another writer of `out` to finish.
pub fn write_all(out: &Path, envs: &[RenderedEnv], lock_wait: Duration) -> Result<Vec<Changes>, Error> {
    write_tree(out, envs, false, lock_wait)
}

/// [`write_all`], then writes `SHA256SUMS` for the whole tree when `sums`
/// asks for it or one is there already: a checksum file that no longer
/// matches its tree would fail `sha256sum -c` after every later render.
pub fn write_tree(out: &Path, envs: &[RenderedEnv], sums: bool, lock_wait: Duration) -> Result<Vec<Changes>, Error> {
    fs::create_dir_all(out).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    let _lock = super::lock::lock(out, lock_wait)?;
    let changes = write_locked(out, envs)?;
    if sums || out.join(SUMS).is_file() {
        write_sums(out)?;
    }
    Ok(changes)
}

/// Writes `SHA256SUMS` from the records of every environment folder in
/// `out`, in name order: the whole tree, including environments this run did
/// not render. Replaced in one rename, so a reader never sees half a file.
fn write_sums(out: &Path) -> Result<(), Error> {
    let mut dirs: Vec<String> = fs::read_dir(out)
        .map_err(|source| Error::Io { path: out.to_path_buf(), source })?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()) && e.path().join(RECORD).is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !is_staging_name(name))
        .collect();
    dirs.sort();
    let mut text = String::new();
    for dir in dirs {
        let record = fs::read_to_string(out.join(&dir).join(RECORD)).unwrap_or_default();
        for (hash, path) in record.lines().filter_map(|l| l.split_once("  ")).filter(|(_, p)| is_confined(p)) {
            let _ = writeln!(text, "{hash}  {dir}/{path}");
        }
    }
    let staging = out.join(format!(".{SUMS}{STAGING_SUFFIX}"));
    let path = out.join(SUMS);
    fs::write(&staging, text).map_err(|source| Error::Write { path: staging.clone(), source })?;
    fs::rename(&staging, &path).map_err(|source| Error::Write { path, source })
}

fn write_locked(out: &Path, envs: &[RenderedEnv]) -> Result<Vec<Changes>, Error> {
    remove_leftovers(out)?;
    // Planning and staging touch only each environment's own folders, so
    // environments go in parallel; swapping in stays in order.
    let plans =
        parallel::map(envs, |env| plan(&out.join(&env.name), env)).into_iter().collect::<Result<Vec<_>, _>>()?;
    let jobs: Vec<_> = envs.iter().zip(&plans).collect();
    let results = parallel::map(&jobs, |(env, (target, changes))| {
        if changes.is_empty() && target.join(RECORD).is_file() {
            return Ok(None);
        }
        let staging = out.join(format!(".{}{STAGING_SUFFIX}", env.name));
        match stage(&staging, target, env) {
            Ok(()) => Ok(Some((staging, target.clone()))),
            Err(err) => {
                let _ = fs::remove_dir_all(&staging);
                Err(err)
            }
        }
    });
    let mut staged = Vec::new();
    let mut failure = None;
    for result in results {
        match result {
            Ok(Some(pair)) => staged.push(pair),
            Ok(None) => {}
            Err(err) => failure = failure.or(Some(err)),
        }
    }
    if let Some(err) = failure {
        for (dir, _) in &staged {
            let _ = fs::remove_dir_all(dir);
        }
        return Err(err);
    }
    for (staging, target) in staged {
        swap_in(&staging, &target)?;
    }
    Ok(plans.into_iter().map(|(_, changes)| changes).collect())
}

/// Compares the new files with the folder's current state.
fn plan(target: &Path, env: &RenderedEnv) -> Result<(PathBuf, Changes), Error> {
    refuse_links(target, env)?;
    let written = read_record(target);
    let on_disk = list_files(target)?;
    // An old file that links out of the folder is not read: it is replaced.
    let confine = Confine::new(target, "the output folder")?;
    let mut changes = Changes::default();
    let new_paths: BTreeSet<&str> = env.files.iter().map(|f| f.path.as_str()).collect();
    for file in &env.files {
        match written.get(&file.path) {
            Some(_) if on_disk.contains(&file.path) => {
                let old = confine.read_to_string(Path::new(&file.path)).unwrap_or_default();
                if old != file.content {
                    changes.changed.push(file.path.clone());
                }
            }
            _ if on_disk.contains(&file.path) => {
                return Err(Error::ForeignFile { path: target.join(&file.path), folder: target.to_path_buf() });
            }
            _ => changes.added.push(file.path.clone()),
        }
    }
    changes.removed =
        written.keys().filter(|p| !new_paths.contains(p.as_str()) && on_disk.contains(*p)).cloned().collect();
    Ok((target.to_path_buf(), changes))
}

/// Refuses an environment folder, or a folder on the way to a rendered
/// file, that is a symbolic link: output stays inside the output folder.
fn refuse_links(target: &Path, env: &RenderedEnv) -> Result<(), Error> {
    let mut dirs = BTreeSet::from([target.to_path_buf()]);
    for file in &env.files {
        let mut dir = target.to_path_buf();
        for part in file.path.split('/').rev().skip(1).collect::<Vec<_>>().into_iter().rev() {
            dir.push(part);
            dirs.insert(dir.clone());
        }
    }
    for dir in dirs {
        if fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::Symlink { path: dir });
        }
    }
    Ok(())
}

/// Builds the new folder: rendered files, the record, and every file of the
/// old folder that pgrender did not write (hard-linked, so it is the same file).
fn stage(staging: &Path, target: &Path, env: &RenderedEnv) -> Result<(), Error> {
    let _ = fs::remove_dir_all(staging);
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    fs::create_dir_all(staging).map_err(write_err(staging))?;
    for file in &env.files {
        let path = staging.join(&file.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(write_err(parent))?;
        }
        fs::write(&path, &file.content).map_err(write_err(&path))?;
    }
    let written = read_record(target);
    for rel in list_files(target)? {
        if written.contains_key(&rel) || rel == RECORD {
            continue;
        }
        let (from, to) = (target.join(&rel), staging.join(&rel));
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(write_err(parent))?;
        }
        carry_over(&from, &to).map_err(write_err(&to))?;
    }
    let record = staging.join(RECORD);
    fs::write(&record, env.record()).map_err(write_err(&record))
}

fn carry_over(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if fs::symlink_metadata(from)?.file_type().is_symlink() {
        return std::os::unix::fs::symlink(fs::read_link(from)?, to);
    }
    fs::hard_link(from, to).or_else(|_| fs::copy(from, to).map(drop))
}

/// Replaces `target` with `staging` in one step where the platform allows.
fn swap_in(staging: &Path, target: &Path) -> Result<(), Error> {
    let err = |source| Error::Write { path: target.to_path_buf(), source };
    if !target.exists() {
        return fs::rename(staging, target).map_err(err);
    }
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        if renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE).is_ok() {
            // `staging` now holds the old tree.
            return fs::remove_dir_all(staging).map_err(err);
        }
    }
    // Fallback for file systems without an atomic exchange: a brief window
    // in which `target` is missing, but never half-written.
    let old = old_name(staging);
    fs::rename(target, &old).map_err(err)?;
    fs::rename(staging, target).map_err(err)?;
    fs::remove_dir_all(&old).map_err(err)
}

fn old_name(staging: &Path) -> PathBuf {
    let mut name = staging.as_os_str().to_owned();
    name.push(".old");
    PathBuf::from(name)
}

/// Whether a name in the output folder is a staging folder (or the old
/// tree being replaced), which only exists while pgrender writes.
pub(super) fn is_staging_name(name: &str) -> bool {
    name.starts_with('.') && (name.ends_with(STAGING_SUFFIX) || name.ends_with(&format!("{STAGING_SUFFIX}.old")))
}

/// Cleans up after a killed run: staging folders are dropped, and an old
/// tree whose replacement never arrived (non-atomic fallback) is put back.
fn remove_leftovers(out: &Path) -> Result<(), Error> {
    let entries = fs::read_dir(out).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    let mut names: Vec<String> =
        entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names.iter().filter(|n| is_staging_name(n)) {
        let path = out.join(name);
        let target = name.strip_suffix(".old").and_then(|n| n.strip_suffix(STAGING_SUFFIX)).map(|n| out.join(&n[1..]));
        match target {
            Some(target) if !target.exists() => {
                let _ = fs::rename(&path, target);
            }
            _ if path.is_dir() => {
                let _ = fs::remove_dir_all(&path);
            }
            _ => {
                let _ = fs::remove_file(&path);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::hex_sha256;
    use crate::output::LOCK_WAIT;
    use crate::output::record::is_sums;
    use crate::output::tests::env;

    #[test]
    fn writes_replaces_and_removes_stale_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let changes = write_all(out, &[env(&[("1-ns/a.yaml", "a\n"), ("4-db/b.yaml", "b\n")])], LOCK_WAIT).unwrap();
        assert_eq!(changes[0].added, ["1-ns/a.yaml", "4-db/b.yaml"]);
        let changes = write_all(out, &[env(&[("1-ns/a.yaml", "a2\n")])], LOCK_WAIT).unwrap();
        assert_eq!(changes[0].changed, ["1-ns/a.yaml"]);
        assert_eq!(changes[0].removed, ["4-db/b.yaml"]);
        assert_eq!(fs::read_to_string(out.join("local/1-ns/a.yaml")).unwrap(), "a2\n");
        assert!(!out.join("local/4-db/b.yaml").exists());
        assert_eq!(
            list_files(out).unwrap().into_iter().collect::<Vec<_>>(),
            ["local/.pgrender-manifest", "local/1-ns/a.yaml"]
        );
    }

    #[test]
    fn files_pgrender_did_not_write_are_kept_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        write_all(out, &[env(&[("a.yaml", "a\n")])], LOCK_WAIT).unwrap();
        fs::create_dir_all(out.join("local/extra")).unwrap();
        fs::write(out.join("local/extra/mine.yaml"), "mine\n").unwrap();
        write_all(out, &[env(&[("a.yaml", "new\n")])], LOCK_WAIT).unwrap();
        assert_eq!(fs::read_to_string(out.join("local/extra/mine.yaml")).unwrap(), "mine\n");
    }

    #[test]
    fn refuses_to_overwrite_a_foreign_file() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("local")).unwrap();
        fs::write(tmp.path().join("local/a.yaml"), "hand-written\n").unwrap();
        let err = write_all(tmp.path(), &[env(&[("a.yaml", "a\n")])], LOCK_WAIT).unwrap_err();
        assert!(matches!(err, Error::ForeignFile { .. }));
        assert_eq!(fs::read_to_string(tmp.path().join("local/a.yaml")).unwrap(), "hand-written\n");
    }

    #[test]
    fn unchanged_output_is_not_rewritten() {
        let tmp = tempfile::tempdir().unwrap();
        let e = env(&[("a.yaml", "a\n")]);
        write_all(tmp.path(), std::slice::from_ref(&e), LOCK_WAIT).unwrap();
        let before = fs::metadata(tmp.path().join("local/a.yaml")).unwrap().modified().unwrap();
        assert!(write_all(tmp.path(), &[e], LOCK_WAIT).unwrap()[0].is_empty());
        assert_eq!(fs::metadata(tmp.path().join("local/a.yaml")).unwrap().modified().unwrap(), before);
    }

    #[test]
    fn leftover_staging_folders_are_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join(".local.pgrender-staging/x")).unwrap();
        write_all(tmp.path(), &[env(&[("a.yaml", "a\n")])], LOCK_WAIT).unwrap();
        assert!(!tmp.path().join(".local.pgrender-staging").exists());
    }

    #[test]
    fn an_interrupted_fallback_swap_puts_the_old_tree_back() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join(".local.pgrender-staging.old");
        fs::create_dir_all(&old).unwrap();
        fs::write(old.join("mine.txt"), "kept\n").unwrap();
        write_all(tmp.path(), &[env(&[("a.yaml", "a\n")])], LOCK_WAIT).unwrap();
        assert_eq!(fs::read_to_string(tmp.path().join("local/mine.txt")).unwrap(), "kept\n");
        assert!(!old.exists());
    }

    #[test]
    fn sums_cover_the_whole_tree_in_folder_then_apply_order() {
        let tmp = tempfile::tempdir().unwrap();
        let mut eks = env(&[("4-db/b.yaml", "b\n"), ("1-ns/a.yaml", "a\n")]);
        eks.name = "eks".into();
        write_tree(tmp.path(), &[env(&[("a.yaml", "a\n")]), eks], true, LOCK_WAIT).unwrap();
        let lines: Vec<String> =
            fs::read_to_string(tmp.path().join(SUMS)).unwrap().lines().map(str::to_string).collect();
        let a = hex_sha256(b"a\n");
        let expected = [
            format!("{a}  eks/1-ns/a.yaml"),
            format!("{}  eks/4-db/b.yaml", hex_sha256(b"b\n")),
            format!("{a}  local/a.yaml"),
        ];
        assert_eq!(lines, expected);
        assert!(is_sums(&expected.join("\n")));
        assert!(!is_sums("my own notes\n"));
    }

    #[test]
    fn an_existing_sums_file_follows_every_later_write() {
        let tmp = tempfile::tempdir().unwrap();
        write_tree(tmp.path(), &[env(&[("a.yaml", "a\n")])], true, LOCK_WAIT).unwrap();
        write_all(tmp.path(), &[env(&[("a.yaml", "changed\n")])], LOCK_WAIT).unwrap();
        let sums = fs::read_to_string(tmp.path().join(SUMS)).unwrap();
        assert_eq!(sums, format!("{}  local/a.yaml\n", hex_sha256(b"changed\n")));
    }
}
