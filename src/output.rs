//! Writing rendered environments: all or nothing. Each environment's folder
//! is built beside the old one and swapped in with one atomic rename, so a
//! reader (or a crash) sees the old tree or the new one, never a mix. A
//! record of written files lets the next render remove stale files while
//! never touching files pgrender did not write.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::Digest as _;

use crate::confine::Confine;
use crate::error::Error;
use crate::order::apply_order;
use crate::parallel;
use crate::redact::Redactor;
use crate::render::RenderedFile;

/// The record of written files in each environment folder, in `sha256sum` format.
pub const RECORD: &str = ".pgrender-manifest";
const STAGING_SUFFIX: &str = ".pgrender-staging";

/// One environment's rendered files, in apply order.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedEnv {
    /// The environment's name (its output folder).
    pub name: String,
    /// Files in apply order.
    pub files: Vec<RenderedFile>,
    /// Masks the environment's sensitive values in what is shown (findings,
    /// diffs); what is written and streamed is never masked.
    pub redactor: Redactor,
}

impl RenderedEnv {
    /// Collects files, sorting them into apply order.
    ///
    /// # Panics
    /// If two files share a path: the pipeline refuses such templates before
    /// rendering ([`crate::collision`]), so the record can never list a path twice.
    pub fn new(name: String, mut files: Vec<RenderedFile>) -> Self {
        files.sort_by(|a, b| apply_order(&a.path, &b.path));
        if let Some(pair) = files.windows(2).find(|pair| pair[0].path == pair[1].path) {
            panic!("{} and {} both render {}", pair[0].template, pair[1].template, pair[0].path);
        }
        RenderedEnv { name, files, redactor: Redactor::default() }
    }

    /// One YAML stream for `kubectl apply -f -`.
    pub fn stream(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            out.push_str("---\n");
            out.push_str(&file.content);
        }
        out
    }

    /// The record file's text: `<sha256>  <path>` per file.
    pub fn record(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            let _ = writeln!(out, "{}  {}", hex_sha256(file.content.as_bytes()), file.path);
        }
        out
    }
}

/// The checksum file `render --manifest` writes at the top of the output folder.
pub const SUMS: &str = "SHA256SUMS";

/// What writing did to one environment's folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Files that did not exist before.
    pub added: Vec<String>,
    /// Files whose content changed.
    pub changed: Vec<String>,
    /// Files pgrender wrote earlier and no longer renders.
    pub removed: Vec<String>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

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
    let _lock = crate::outdir::lock(out, lock_wait)?;
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

/// Whether `text` is a `SHA256SUMS` as pgrender writes it: every line a
/// SHA-256 and a path inside an environment folder.
pub fn is_sums(text: &str) -> bool {
    text.lines().all(|line| {
        line.split_once("  ").is_some_and(|(hash, path)| {
            hash.len() == 64
                && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && path.contains('/')
                && is_confined(path)
        })
    })
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
pub fn is_staging_name(name: &str) -> bool {
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

/// Paths (relative, `/`-separated) that the record says pgrender wrote.
pub fn read_record(dir: &Path) -> BTreeMap<String, String> {
    let inside = Confine::new(dir, "the output folder").ok();
    let text = inside.and_then(|c| c.read_to_string(Path::new(RECORD)).ok()).unwrap_or_default();
    text.lines()
        .filter_map(|line| line.split_once("  "))
        .filter(|(_, path)| is_confined(path))
        .map(|(hash, path)| (path.to_string(), hash.to_string()))
        .collect()
}

/// A recorded path may only name something inside the folder.
fn is_confined(path: &str) -> bool {
    !path.is_empty() && !path.starts_with('/') && path.split('/').all(|c| !c.is_empty() && c != ".." && c != ".")
}

/// Every file and symlink below `dir`, relative and `/`-separated; empty if `dir` is missing.
pub fn list_files(dir: &Path) -> Result<BTreeSet<String>, Error> {
    let mut out = BTreeSet::new();
    if dir.is_dir() {
        walk(dir, "", &mut out)?;
    }
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) -> Result<(), Error> {
    let entries = fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&entry.path(), &rel, out)?,
            Ok(_) => {
                out.insert(rel);
            }
            Err(source) => return Err(Error::Io { path: entry.path(), source }),
        }
    }
    Ok(())
}

/// Lower-case hex SHA-256.
pub fn hex_sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outdir::LOCK_WAIT;

    fn env(files: &[(&str, &str)]) -> RenderedEnv {
        RenderedEnv::new(
            "local".into(),
            files
                .iter()
                .map(|(p, c)| RenderedFile {
                    path: (*p).into(),
                    template: format!("t/{p}.j2"),
                    content: (*c).into(),
                    documents: Vec::new(),
                })
                .collect(),
        )
    }

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
    fn record_paths_cannot_escape_the_folder() {
        assert!(is_confined("4-db/a.yaml"));
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "a//b"] {
            assert!(!is_confined(bad), "{bad}");
        }
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

    #[test]
    #[should_panic(expected = "t/a.yaml.j2 and t/a.yaml.j2 both render a.yaml")]
    fn an_environment_never_holds_one_path_twice() {
        env(&[("a.yaml", "a\n"), ("b.yaml", "b\n"), ("a.yaml", "other\n")]);
    }

    #[test]
    fn stream_is_in_apply_order() {
        let e = env(&[("4-db/b.yaml", "b: 1\n"), ("1-ns/a.yaml", "a: 1\n")]);
        assert_eq!(e.stream(), "---\na: 1\n---\nb: 1\n");
    }
}
