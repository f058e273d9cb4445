//! `pgrender watch`: render once, then re-render whenever the project's
//! inputs change, printing what changed. A failed render prints the same
//! diagnostics as `render` and leaves the last good output in place; the
//! watch only ends on Ctrl-C or SIGTERM. It blocks on native file-system
//! events, so an idle watch costs no CPU.

mod exec;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::mpsc;

use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::check::fail_on_findings;
use crate::cli::config::WatchConfig;
use crate::cli::terminal::{line, print_findings, report, say, stdout_styled, warning};
use crate::error::Error;
use crate::output::write_all;
use crate::pipeline::{Overrides, Pipeline};
use crate::project::Project;
use crate::source::display_path;
use crate::watch::events::{self, Layout, Plan};
use crate::watch::{MAX_WAIT, QUIET, summary};

/// Runs the watch until Ctrl-C or SIGTERM.
pub fn run(config: WatchConfig) -> Result<(), Error> {
    let (tx, rx) = mpsc::channel();
    let stop = tx.clone();
    ctrlc::set_handler(move || {
        let _ = stop.send(events::Msg::Stop);
    })
    .map_err(|err| Error::Watch {
        path: config.project.root.clone(),
        source: notify::Error::generic(&format!("cannot handle Ctrl-C: {err}")),
    })?;
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(events::Msg::Fs(event));
    })
    .map_err(|source| Error::Watch { path: config.project.root.clone(), source })?;

    let mut watch = Watch::new(config);
    watch.rewatch(&mut watcher, true);
    let names = watch.envs.join(", ");
    say(&format!("watching {names}: rendering into {} on every save (Ctrl-C to stop)\n", display_path(&watch.out())));
    let mut stopped = watch.attempt(Plan { recompile: true, all: true, ..Plan::default() }, &rx);
    while !stopped {
        let Some(batch) = events::next_batch(&rx, QUIET, MAX_WAIT) else { break };
        if batch.stop {
            break;
        }
        for err in &batch.errors {
            warning(format_args!("file watcher: {err}"));
        }
        let plan = watch.layout.plan(&batch.paths);
        if plan.is_empty() {
            continue;
        }
        if plan.rewatch {
            watch.rewatch(&mut watcher, true);
        }
        let reloaded = plan.reload;
        stopped = watch.attempt(plan, &rx);
        if reloaded {
            watch.rewatch(&mut watcher, false);
        }
    }
    if let Some(exec) = &watch.exec {
        exec.stop();
    }
    Ok(())
}

/// The watch's state between renders.
struct Watch {
    config: WatchConfig,
    layout: Layout,
    pipeline: Option<Pipeline>,
    /// The environments being rendered.
    envs: Vec<String>,
    /// Environments whose last render failed; they render again with the next change.
    broken: BTreeSet<String>,
    /// The project file failed to load; reload it on the next change.
    project_broken: bool,
    /// The last render failed: say so when one succeeds.
    failed: bool,
    /// A render has succeeded (later diffs include added files).
    rendered_once: bool,
    watched: BTreeMap<PathBuf, RecursiveMode>,
    exec: Option<exec::Exec>,
}

impl Watch {
    fn new(config: WatchConfig) -> Watch {
        let out = config.out.clone().unwrap_or_else(|| config.project.output.clone());
        let layout = Layout::new(&config.project, &config.files, &out);
        let envs = match &config.envs {
            Some(envs) => envs.clone(),
            None => config.project.environment_names().unwrap_or_default(),
        };
        let exec = config.exec.clone().map(|cmd| exec::Exec::start(cmd, &config.project.root));
        Watch {
            config,
            layout,
            pipeline: None,
            envs,
            broken: BTreeSet::new(),
            project_broken: false,
            failed: false,
            rendered_once: false,
            watched: BTreeMap::new(),
            exec,
        }
    }

    fn out(&self) -> PathBuf {
        self.config.out.clone().unwrap_or_else(|| self.config.project.output.clone())
    }

    /// Renders `plan`. A failure is reported only if no further change
    /// arrives within the quiet window (a file caught mid-write is simply
    /// rendered again). Returns whether a stop was asked for meanwhile.
    fn attempt(&mut self, mut plan: Plan, rx: &mpsc::Receiver<events::Msg>) -> bool {
        loop {
            let Err(err) = self.render(&plan) else { return false };
            self.failed = true;
            let mut more = events::Batch::default();
            let changed = events::more_within(rx, QUIET, &mut more);
            if more.stop {
                return true;
            }
            let next = self.layout.plan(&more.paths);
            if !changed || next.is_empty() {
                report(&err);
                line("still watching; the last good output is unchanged");
                return false;
            }
            plan.merge(next);
        }
    }

    fn render(&mut self, plan: &Plan) -> Result<(), Error> {
        let reload = plan.reload || self.project_broken;
        if reload {
            self.project_broken = true;
            self.config.project = Project::load(&self.config.project.root)?;
            self.project_broken = false;
            self.layout = Layout::new(&self.config.project, &self.config.files, &self.out());
            self.pipeline = None;
        }
        if self.config.envs.is_none() && (plan.rescan || reload) {
            self.rescan()?;
        }
        let targets: Vec<String> = self
            .envs
            .iter()
            .filter(|e| plan.all || reload || plan.envs.contains(*e) || self.broken.contains(*e))
            .cloned()
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        self.broken.extend(targets.iter().cloned());
        if plan.recompile || self.pipeline.is_none() {
            self.pipeline = None;
            self.pipeline = Some(Pipeline::compile(self.config.project.clone())?);
        }
        let pipeline = self.pipeline.as_ref().expect("compiled above");
        let overrides = Overrides::read(&self.config.files, self.config.sets.clone())?;
        // Checked on every render: a link may have replaced the project's output folder since.
        let out = match &self.config.out {
            Some(out) => out.clone(),
            None => self.config.project.output_dir()?,
        };
        // The same checks as `render`: an edit that breaks one keeps the last good output.
        let checked = pipeline.render_checked_all(&targets, &overrides, &out)?;
        let (rendered, reports): (Vec<_>, Vec<_>) = checked.into_iter().unzip();
        print_findings(&reports, false)?;
        fail_on_findings(&reports, false, "the last good output is kept")?;
        let old: Vec<_> = rendered.iter().map(|env| summary::snapshot(&out.join(&env.name))).collect();
        let changes = write_all(&out, &rendered, self.config.lock_wait)?;
        if self.failed {
            say("recovered: the render succeeds again\n");
            self.failed = false;
        }
        self.broken.clear();
        let width = targets.iter().map(String::len).max().unwrap_or(0);
        let styled = stdout_styled();
        let mut text = String::new();
        for ((env, changes), old) in rendered.iter().zip(&changes).zip(&old) {
            let new = env.files.iter().map(|f| (f.path.as_str(), f.content.as_str())).collect();
            let report = summary::EnvReport { env: &env.name, changes, old, new };
            text.push_str(&summary::summary(&report, width));
            if self.config.diff {
                text.push_str(&env.redactor.text(&summary::diffs(&report, self.rendered_once, styled)));
            }
        }
        say(&text);
        self.rendered_once = true;
        if let Some(exec) = &self.exec {
            exec.request(exec::Request { envs: targets, out });
        }
        Ok(())
    }

    /// Under `--all`: picks up new environment files and drops deleted ones.
    fn rescan(&mut self) -> Result<(), Error> {
        let now = self.config.project.environment_names()?;
        let out = self.out();
        for gone in self.envs.iter().filter(|e| !now.contains(e)) {
            say(&format!(
                "environment {gone} was removed; its output in {} is left in place\n",
                display_path(&out.join(gone))
            ));
        }
        for new in now.iter().filter(|e| !self.envs.contains(e)) {
            say(&format!("new environment {new}\n"));
        }
        self.broken.retain(|e| now.contains(e));
        self.envs = now;
        Ok(())
    }

    /// Watches what the layout wants; `force` re-adds every watch (after
    /// a folder was removed and created again, its old watch is dead).
    fn rewatch(&mut self, watcher: &mut RecommendedWatcher, force: bool) {
        let mut wanted = BTreeMap::new();
        for (path, mode) in self.layout.wanted() {
            if let Some((target, mode)) = events::watch_target(&path, mode) {
                let entry = wanted.entry(target).or_insert(mode);
                if mode == RecursiveMode::Recursive {
                    *entry = mode;
                }
            }
        }
        for (path, mode) in &self.watched {
            if force || wanted.get(path) != Some(mode) {
                let _ = watcher.unwatch(path);
            }
        }
        for (path, mode) in &wanted {
            if !force && self.watched.get(path) == Some(mode) {
                continue;
            }
            if let Err(err) = watcher.watch(path, *mode) {
                warning(format_args!("cannot watch {}: {err}", display_path(path)));
            }
        }
        self.watched = wanted;
    }
}
