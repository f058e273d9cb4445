//! Paths a project names stay inside it. Every file pgrender reads because
//! project content names it (`pgrender.toml`, chart files, templates,
//! schemas, environment files) and every file it writes into the project is
//! resolved first, following symbolic links, and refused unless it lands
//! inside the folder it belongs to; the resolved path is what is then
//! opened. A refusal names the line that named the path, or the link that
//! leads out, and never anything of what lies behind it.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::source::{Source, SourceRef, display_path};

/// How many symbolic links one path may pass through, as Linux's `ELOOP` limit.
const MAX_LINKS: usize = 40;

/// A folder that paths must stay inside, e.g. the project root.
#[derive(Debug, Clone)]
pub struct Confine {
    /// The folder as given, which paths inside it are joined to.
    root: Arc<Path>,
    /// The folder with every symbolic link resolved.
    real: Arc<Path>,
    /// What the folder is, for messages: "the project", "the output folder".
    what: &'static str,
}

/// Where project content named a path: the file and the span of the value.
#[derive(Debug, Clone)]
pub struct Named {
    /// The file that names the path (`pgrender.toml`).
    pub source: SourceRef,
    /// The span of the path in it.
    pub span: Range<usize>,
    /// The key that holds the path, e.g. `schema`.
    pub key: String,
}

/// A path that leads outside its folder; nothing was read from or written to it.
#[derive(Debug, Clone)]
pub struct Escape {
    /// The path as named, joined to the folder.
    pub path: PathBuf,
    /// How it gets out.
    pub how: How,
    /// What that folder is.
    pub what: &'static str,
    /// The line that named the path, when project content did.
    pub named: Option<Named>,
}

/// How a path leaves its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// It is absolute and points elsewhere.
    Absolute,
    /// A `..` climbs above the folder.
    Climbs,
    /// A symbolic link on the way points elsewhere; the link, joined to the folder.
    Link(PathBuf),
}

impl Confine {
    /// Paths must stay inside `root`, described in messages as `what`.
    pub fn new(root: &Path, what: &'static str) -> Result<Confine, Error> {
        let real = resolve(root).map_err(|source| Error::Io { path: root.to_path_buf(), source })?;
        Ok(Confine { root: root.into(), real: real.into(), what })
    }

    /// The folder as given.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `path` (relative to the folder, or absolute) really leads, when
    /// that is inside the folder; the path need not exist yet.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, Error> {
        self.resolve_named(path, None)
    }

    /// [`Confine::resolve`] for a path that project content names at `named`,
    /// which a refusal points at.
    pub fn resolve_named(&self, path: &Path, named: Option<&Named>) -> Result<PathBuf, Error> {
        let full = self.root.join(path);
        // Below the root, only the rest of the path needs resolving: the root is resolved once.
        let real = match full.strip_prefix(&self.root) {
            Ok(rest) => follow(self.real.to_path_buf(), rest),
            Err(_) => resolve(&full),
        };
        let real = real.map_err(|source| Error::Io { path: full.clone(), source })?;
        if real.starts_with(&self.real) {
            return Ok(real);
        }
        let how = self.how(path);
        Err(Error::Outside(Box::new(Escape { path: full, how, what: self.what, named: named.cloned() })))
    }

    /// Reads a UTF-8 file inside the folder; diagnostics name it as given.
    pub fn read(&self, path: &Path) -> Result<SourceRef, Error> {
        let real = self.resolve(path)?;
        Source::read_as(&real, &self.root.join(path))
    }

    /// The text of a file inside the folder, read where its links lead.
    pub fn read_to_string(&self, path: &Path) -> Result<String, Error> {
        let real = self.resolve(path)?;
        std::fs::read_to_string(real).map_err(|source| Error::Io { path: self.root.join(path), source })
    }

    /// Every file below `dir` (inside the folder), relative and
    /// `/`-separated, following links to files and folders that stay
    /// inside; a link that leads out is an error, as is a loop of links.
    /// Hidden files (`.name`) are left out unread: editors keep swap files
    /// and lock links there (Emacs' `.#name` links to nothing).
    pub fn list_files(&self, dir: &Path) -> Result<BTreeSet<String>, Error> {
        let dir = self.root.join(dir);
        self.resolve(&dir)?;
        let mut escapes = Vec::new();
        let mut files = BTreeSet::new();
        let walk = walkdir::WalkDir::new(&dir).follow_links(true).sort_by_file_name().min_depth(1);
        // Checked before the walk descends into a linked folder or reads its listing.
        let walk = walk.into_iter().filter_entry(|entry| {
            if !entry.path_is_symlink() {
                return true;
            }
            if is_hidden(entry.path()) && !entry.file_type().is_dir() {
                return false;
            }
            match self.resolve(entry.path()) {
                Ok(_) => true,
                Err(err) => {
                    escapes.push(err);
                    false
                }
            }
        });
        let mut failure = None;
        for entry in walk {
            match entry {
                Ok(entry) if !entry.file_type().is_dir() && !is_hidden(entry.path()) => {
                    let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
                    files.insert(
                        rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
                    );
                }
                Ok(_) => {}
                // A link to nothing, as Emacs' lock files are: hidden, so never a template.
                Err(err) if err.path().is_some_and(is_hidden) && err.loop_ancestor().is_none() => {}
                Err(err) => {
                    let path = err.path().unwrap_or(&dir).to_path_buf();
                    failure = failure.or(Some(Error::Io { path, source: err.into() }));
                }
            }
        }
        if let Some(err) = Error::collect(escapes) {
            return Err(err);
        }
        failure.map_or(Ok(files), Err)
    }

    /// How `path` leaves the folder: the first step of it that resolves outside.
    fn how(&self, path: &Path) -> How {
        if path.is_absolute() && !path.starts_with(&self.root) {
            return How::Absolute;
        }
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let mut prefix = self.root.to_path_buf();
        for component in rel.components() {
            prefix.push(component);
            if resolve(&prefix).is_ok_and(|real| real.starts_with(&self.real)) {
                continue;
            }
            return if component == Component::ParentDir { How::Climbs } else { How::Link(prefix) };
        }
        How::Link(self.root.join(rel))
    }
}

impl Escape {
    /// The diagnostic: at the line that named the path, or naming the link.
    pub fn diagnostic(&self) -> Diagnostic {
        let what = self.what;
        let why = match &self.how {
            How::Absolute => format!("an absolute path outside {what}"),
            How::Climbs => format!("`..` climbs out of {what}"),
            How::Link(link) => {
                format!("{} is a symbolic link to a place outside {what}", display_path(link))
            }
        };
        let help = format!("pgrender reads and writes only inside {what}: name a path inside it, or copy the file in");
        match &self.named {
            Some(named) => Diagnostic::error(format!("`{}` names a path outside {what}", named.key))
                .at(&named.source, named.span.clone(), why)
                .help(help),
            None => {
                Diagnostic::error(format!("{} leads outside {what}", display_path(&self.path))).note(why).help(help)
            }
        }
    }
}

/// Whether a path's last component is hidden (`.name`).
fn is_hidden(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.'))
}

/// Where `path` really leads: every symbolic link followed and every `..`
/// applied to the real folder, like `realpath`, except that the part of the
/// path that does not exist (yet) is kept as written.
pub fn resolve(path: &Path) -> io::Result<PathBuf> {
    let start = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) };
    follow(PathBuf::from("/"), &start)
}

/// [`resolve`] for `path` taken from `real`, a folder already resolved.
fn follow(mut real: PathBuf, path: &Path) -> io::Result<PathBuf> {
    let mut pending: Vec<OsString> = Vec::new();
    push_components(&mut pending, path);
    let mut links = 0;
    while let Some(part) = pending.pop() {
        match part.to_str() {
            Some("/") => real = PathBuf::from("/"),
            Some(".") => {}
            Some("..") => {
                real.pop();
            }
            _ => {
                real.push(&part);
                if std::fs::symlink_metadata(&real).is_ok_and(|m| m.file_type().is_symlink()) {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(io::Error::other("too many levels of symbolic links"));
                    }
                    let target = std::fs::read_link(&real)?;
                    real.pop();
                    push_components(&mut pending, &target);
                }
            }
        }
    }
    Ok(real)
}

/// Pushes `path`'s components onto a stack, so the first is popped first.
fn push_components(stack: &mut Vec<OsString>, path: &Path) {
    let parts: Vec<OsString> = path
        .components()
        .map(|c| match c {
            Component::RootDir | Component::Prefix(_) => OsString::from("/"),
            Component::CurDir => OsString::from("."),
            Component::ParentDir => OsString::from(".."),
            Component::Normal(name) => name.to_os_string(),
        })
        .collect();
    stack.extend(parts.into_iter().rev());
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn project() -> (tempfile::TempDir, Confine) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("project");
        std::fs::create_dir_all(root.join("charts/app")).unwrap();
        std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
        let confine = Confine::new(&root, "the project").unwrap();
        (tmp, confine)
    }

    fn how(confine: &Confine, path: &str) -> Option<How> {
        match confine.resolve(Path::new(path)) {
            Ok(_) => None,
            Err(Error::Outside(escape)) => Some(escape.how),
            Err(err) => panic!("{err}"),
        }
    }

    #[test]
    fn paths_inside_pass_even_when_missing_or_through_inner_links() {
        let (_tmp, confine) = project();
        symlink("charts/app", confine.root().join("app")).unwrap();
        for inside in ["charts/app", "missing/file", "charts/../charts/app", "app/values.toml", "./app/../app"] {
            assert_eq!(how(&confine, inside), None, "{inside}");
        }
        let real = confine.resolve(Path::new("app/values.toml")).unwrap();
        assert!(real.ends_with("project/charts/app/values.toml"), "{}", real.display());
    }

    #[test]
    fn absolute_paths_climbs_and_links_out_are_told_apart() {
        let (tmp, confine) = project();
        symlink(tmp.path().join("outside"), confine.root().join("charts/out")).unwrap();
        symlink("../../../outside/secret", confine.root().join("charts/app/values.toml")).unwrap();
        assert_eq!(how(&confine, "/etc/passwd"), Some(How::Absolute));
        assert_eq!(how(&confine, "../outside/x"), Some(How::Climbs));
        assert_eq!(how(&confine, "charts/../../x"), Some(How::Climbs));
        assert_eq!(how(&confine, "charts/out/x"), Some(How::Link(confine.root().join("charts/out"))));
        // A dangling link is followed too: writing through it would create its target.
        let values = confine.root().join("charts/app/values.toml");
        assert_eq!(how(&confine, "charts/app/values.toml"), Some(How::Link(values)));
    }

    #[test]
    fn a_link_into_the_folder_then_dot_dot_out_is_caught() {
        let (_tmp, confine) = project();
        symlink("charts/app", confine.root().join("deep")).unwrap();
        // deep/../.. is charts/app/../.., the project root, then one more `..` leaves it.
        assert_eq!(how(&confine, "deep/../../x"), None);
        assert_eq!(how(&confine, "deep/../../../x"), Some(How::Climbs));
    }

    #[test]
    fn a_loop_of_links_is_an_error_not_a_hang() {
        let (_tmp, confine) = project();
        symlink("b", confine.root().join("a")).unwrap();
        symlink("a", confine.root().join("b")).unwrap();
        assert!(matches!(confine.resolve(Path::new("a")), Err(Error::Io { .. })));
    }

    #[test]
    fn listing_follows_inner_links_and_refuses_outer_ones() {
        let (tmp, confine) = project();
        let templates = confine.root().join("charts/app/templates");
        std::fs::create_dir_all(templates.join("1-a")).unwrap();
        std::fs::write(templates.join("1-a/x.j2"), "x").unwrap();
        std::fs::write(templates.join("1-a/.x.j2.swp"), "x").unwrap();
        symlink("1-a", templates.join("2-b")).unwrap();
        symlink("user@host.1234:1", templates.join("1-a/.#x.j2")).unwrap();
        symlink("/etc/passwd", templates.join(".hidden-link")).unwrap();
        let files = confine.list_files(Path::new("charts/app/templates")).unwrap();
        assert_eq!(files.into_iter().collect::<Vec<_>>(), ["1-a/x.j2", "2-b/x.j2"]);
        std::fs::write(tmp.path().join("outside/secret"), "s").unwrap();
        symlink(tmp.path().join("outside"), templates.join("3-c")).unwrap();
        let err = confine.list_files(Path::new("charts/app/templates")).unwrap_err();
        assert!(matches!(&err, Error::Outside(e) if e.how == How::Link(templates.join("3-c"))), "{err:?}");
    }
}
