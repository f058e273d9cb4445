//! File-system events for `watch`: which paths to watch, collecting a burst
//! of events into one batch (the debounce), and what a batch of changed
//! paths means for the render (which environments, whether to recompile).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{Event, RecursiveMode};

use crate::project::{PROJECT_FILE, Project};

/// What the watch loop receives.
#[derive(Debug)]
pub enum Msg {
    /// A raw file-system event (or a watcher error).
    Fs(notify::Result<Event>),
    /// Ctrl-C or SIGTERM.
    Stop,
}

/// Changed paths seen in one burst of events.
#[derive(Debug, Default)]
pub struct Batch {
    /// Paths that were created, written, renamed or removed.
    pub paths: BTreeSet<PathBuf>,
    /// Errors the watcher reported.
    pub errors: Vec<notify::Error>,
    /// A stop was asked for.
    pub stop: bool,
}

/// Blocks (without CPU) until a relevant event, then keeps collecting until
/// `quiet` passes without one or `max` has passed in all. Returns `None`
/// when every sender is gone.
pub fn next_batch(rx: &Receiver<Msg>, quiet: Duration, max: Duration) -> Option<Batch> {
    let mut batch = Batch::default();
    while batch.paths.is_empty() && batch.errors.is_empty() && !batch.stop {
        absorb(&mut batch, rx.recv().ok()?);
    }
    let end = Instant::now() + max;
    while !batch.stop {
        let wait = quiet.min(end.saturating_duration_since(Instant::now()));
        match rx.recv_timeout(wait) {
            Ok(msg) => absorb(&mut batch, msg),
            Err(RecvTimeoutError::Timeout) => break,
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
    Some(batch)
}

/// Waits up to `quiet` for more events, adding them to `batch`; whether any came.
pub fn more_within(rx: &Receiver<Msg>, quiet: Duration, batch: &mut Batch) -> bool {
    let before = batch.paths.len();
    let end = Instant::now() + quiet;
    while let Ok(msg) = rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
        absorb(batch, msg);
        if batch.stop {
            break;
        }
    }
    batch.paths.len() > before
}

fn absorb(batch: &mut Batch, msg: Msg) {
    match msg {
        Msg::Stop => batch.stop = true,
        Msg::Fs(Err(err)) => batch.errors.push(err),
        Msg::Fs(Ok(event)) if changes_content(event.kind) => batch.paths.extend(event.paths),
        Msg::Fs(Ok(_)) => {}
    }
}

/// Opening or reading a file (which rendering itself does) and metadata
/// changes are not edits; everything that can change content is.
fn changes_content(kind: EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
        _ => true,
    }
}

/// Where a project's inputs live, to watch them and to classify changes.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
    project_file: PathBuf,
    environments: PathBuf,
    base: Option<PathBuf>,
    charts: Vec<PathBuf>,
    schemas: Vec<PathBuf>,
    files: Vec<PathBuf>,
    output: PathBuf,
}

/// What a batch of changes asks the render to do.
// Independent needs that batches OR together, not states of one thing.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `pgrender.toml` changed: reload the project (implies recompile).
    pub reload: bool,
    /// Charts, schemas or the base changed: compile the pipeline again.
    pub recompile: bool,
    /// Every watched environment must render.
    pub all: bool,
    /// These environments' files changed.
    pub envs: BTreeSet<String>,
    /// Environment files may have come or gone.
    pub rescan: bool,
    /// A watched folder (or a parent of one) was created or removed.
    pub rewatch: bool,
}

impl Plan {
    /// Whether the changes affect nothing pgrender reads.
    pub fn is_empty(&self) -> bool {
        *self == Plan::default()
    }

    /// Merges another plan into this one.
    pub fn merge(&mut self, other: Plan) {
        self.reload |= other.reload;
        self.recompile |= other.recompile;
        self.all |= other.all;
        self.rescan |= other.rescan;
        self.rewatch |= other.rewatch;
        self.envs.extend(other.envs);
    }
}

impl Layout {
    /// The inputs of `project` plus the `-f` files; `output` is where renders go.
    pub fn new(project: &Project, files: &[PathBuf], output: &Path) -> Layout {
        Layout {
            root: project.root.clone(),
            project_file: project.root.join(PROJECT_FILE),
            environments: project.environments.clone(),
            base: project.base.clone(),
            charts: project.charts.iter().map(|c| c.dir.clone()).collect(),
            schemas: project.charts.iter().map(|c| c.schema.clone()).collect(),
            files: files.to_vec(),
            output: output.to_path_buf(),
        }
    }

    /// The paths pgrender reads and how deep to watch each; files are
    /// watched through their folder, since editors replace files by rename.
    pub fn wanted(&self) -> BTreeMap<PathBuf, RecursiveMode> {
        let mut wanted = BTreeMap::new();
        let folder_of = |p: &Path| p.parent().map_or_else(|| p.to_path_buf(), Path::to_path_buf);
        wanted.insert(self.root.clone(), RecursiveMode::NonRecursive);
        wanted.insert(self.environments.clone(), RecursiveMode::NonRecursive);
        for file in self.schemas.iter().chain(&self.files).chain(&self.base) {
            wanted.entry(folder_of(file)).or_insert(RecursiveMode::NonRecursive);
        }
        for chart in &self.charts {
            wanted.insert(chart.clone(), RecursiveMode::Recursive);
        }
        wanted
    }

    /// What a change of `path` means.
    pub fn classify(&self, path: &Path) -> Plan {
        let mut plan = Plan::default();
        if self.wanted().keys().any(|w| w.starts_with(path)) {
            // A watched folder or one of its parents came or went.
            return Plan { recompile: true, all: true, rescan: true, rewatch: true, ..plan };
        }
        // Our own writes must not trigger a render, wherever the output lives.
        if is_editor_noise(path) || path.starts_with(&self.output) {
            return plan;
        }
        if path == self.project_file {
            plan.reload = true;
            plan.all = true;
        } else if self.base.as_deref() == Some(path) {
            plan.recompile = true;
            plan.all = true;
        } else if self.files.iter().any(|f| f == path) {
            plan.all = true;
        } else if self.charts.iter().any(|c| path.starts_with(c)) || self.schemas.iter().any(|s| s == path) {
            plan.recompile = true;
            plan.all = true;
        } else if let Some(name) = self.environment_of(path) {
            plan.envs.insert(name);
            plan.rescan = true;
        }
        plan
    }

    /// The environment whose file `path` is, if it is one.
    fn environment_of(&self, path: &Path) -> Option<String> {
        if path.parent() != Some(self.environments.as_path()) || path.extension().is_none_or(|e| e != "toml") {
            return None;
        }
        path.file_stem().and_then(|s| s.to_str()).map(str::to_string)
    }

    /// What a batch of changed paths means.
    pub fn plan(&self, paths: &BTreeSet<PathBuf>) -> Plan {
        let mut plan = Plan::default();
        for path in paths {
            plan.merge(self.classify(path));
        }
        plan
    }
}

/// Swap, backup and probe files editors write beside the real one; the
/// real file's own event (often a rename onto it) is what counts.
fn is_editor_noise(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.contains("___jb_")
        || name == "4913"
}

/// The folder to watch for `path`: itself if it exists, else its nearest
/// existing parent (not recursively), so its re-creation is seen.
pub fn watch_target(path: &Path, mode: RecursiveMode) -> Option<(PathBuf, RecursiveMode)> {
    if path.is_dir() {
        return Some((path.to_path_buf(), mode));
    }
    path.ancestors().skip(1).find(|a| a.is_dir()).map(|a| (a.to_path_buf(), RecursiveMode::NonRecursive))
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;

    use notify::event::{CreateKind, DataChange};

    use super::*;

    fn layout() -> Layout {
        Layout {
            root: "/p".into(),
            project_file: "/p/pgrender.toml".into(),
            environments: "/p/environments".into(),
            base: Some("/p/environments/_base.toml".into()),
            charts: vec!["/p/charts/postgres".into()],
            schemas: vec!["/p/schema/postgres.schema.json".into()],
            files: vec!["/p/hotfix.toml".into()],
            output: "/p/charts/postgres/out".into(),
        }
    }

    fn plan(path: &str) -> Plan {
        layout().classify(Path::new(path))
    }

    #[test]
    fn an_environment_file_affects_that_environment() {
        let p = plan("/p/environments/eks.toml");
        assert_eq!(p.envs.iter().collect::<Vec<_>>(), ["eks"]);
        assert!(!p.all && !p.recompile && p.rescan);
    }

    #[test]
    fn charts_schemas_and_the_base_recompile_everything() {
        for path in ["/p/charts/postgres/templates/4-database/s.yaml.j2", "/p/schema/postgres.schema.json"] {
            let p = plan(path);
            assert!(p.all && p.recompile && !p.reload, "{path}");
        }
        assert!(plan("/p/environments/_base.toml").recompile);
        let p = plan("/p/pgrender.toml");
        assert!(p.reload && p.all);
    }

    #[test]
    fn value_files_re_render_without_recompiling() {
        let p = plan("/p/hotfix.toml");
        assert!(p.all && !p.recompile);
    }

    #[test]
    fn unrelated_files_and_editor_noise_change_nothing() {
        for path in [
            "/p/README.md",
            "/p/schema/other.json",
            "/p/environments/notes.txt",
            "/p/environments/.eks.toml.swp",
            "/p/environments/eks.toml~",
            "/p/charts/postgres/4913",
            "/p/charts/postgres/values.toml___jb_tmp___",
            "/p/charts/postgres/out/local/a.yaml",
        ] {
            assert!(plan(path).is_empty(), "{path}");
        }
    }

    #[test]
    fn a_recreated_folder_is_watched_again() {
        for path in ["/p/charts", "/p/environments", "/p/charts/postgres"] {
            let p = plan(path);
            assert!(p.rewatch && p.all && p.recompile && p.rescan, "{path}");
        }
    }

    #[test]
    fn files_are_watched_through_their_folders() {
        let wanted = layout().wanted();
        assert_eq!(wanted[Path::new("/p")], RecursiveMode::NonRecursive);
        assert_eq!(wanted[Path::new("/p/schema")], RecursiveMode::NonRecursive);
        assert_eq!(wanted[Path::new("/p/charts/postgres")], RecursiveMode::Recursive);
        assert!(!wanted.contains_key(Path::new("/p/hotfix.toml")));
    }

    #[test]
    fn a_missing_folder_is_watched_through_its_parent() {
        let tmp = tempfile::tempdir().unwrap();
        let gone = tmp.path().join("charts/postgres");
        assert_eq!(
            watch_target(&gone, RecursiveMode::Recursive),
            Some((tmp.path().to_path_buf(), RecursiveMode::NonRecursive))
        );
        std::fs::create_dir_all(&gone).unwrap();
        assert_eq!(watch_target(&gone, RecursiveMode::Recursive), Some((gone, RecursiveMode::Recursive)));
    }

    fn event(kind: EventKind, path: &str) -> Msg {
        Msg::Fs(Ok(Event::new(kind).add_path(path.into())))
    }

    #[test]
    fn a_burst_becomes_one_batch_and_reads_are_ignored() {
        let (tx, rx) = channel();
        tx.send(event(EventKind::Access(AccessKind::Open(AccessMode::Any)), "/p/read")).unwrap();
        tx.send(event(EventKind::Create(CreateKind::File), "/p/a")).unwrap();
        tx.send(event(EventKind::Modify(ModifyKind::Data(DataChange::Any)), "/p/b")).unwrap();
        let batch = next_batch(&rx, Duration::from_millis(20), Duration::from_secs(1)).unwrap();
        assert_eq!(batch.paths.iter().collect::<Vec<_>>(), [Path::new("/p/a"), Path::new("/p/b")]);
        assert!(!batch.stop);
        tx.send(Msg::Stop).unwrap();
        assert!(next_batch(&rx, Duration::from_millis(20), Duration::from_secs(1)).unwrap().stop);
        drop(tx);
        assert!(next_batch(&rx, Duration::from_millis(20), Duration::from_secs(1)).is_none());
    }
}
