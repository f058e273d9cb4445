//! Validated configuration: the raw command line checked against the
//! project (environments exist, flags combine) before any work is done.
//! Nothing downstream reads flags.

use std::path::PathBuf;
use std::time::Duration;

use super::args::{
    CheckArgs, Cli, Command, DiffArgs, DocsArgs, FindingsFormat, Format, GenerateArgs, GraphArgs, GraphFormat,
    NewCommand, RenderArgs, Selection, WatchArgs,
};
use crate::error::{Error, UsageError, did_you_mean};
use crate::generated::Mode;
use crate::output::{LOCK_WAIT, LOCK_WAIT_VAR};
use crate::pipeline::Overrides;
use crate::project::Chart;
use crate::project::Project;
use crate::source::resolve;

/// What the command line asks for.
pub enum Action {
    /// Render environments to files or stdout.
    Render(RenderConfig),
    /// Print one environment's merged values.
    Values(ValuesConfig),
    /// Write the starter project into a folder.
    Init {
        /// The target folder.
        dir: PathBuf,
        /// Overwrite existing starter files.
        force: bool,
    },
    /// Print, write or check charts' values references.
    Docs {
        /// The project.
        project: Project,
        /// The charts to document.
        charts: Vec<Chart>,
        /// Print, write or check.
        mode: Mode,
    },
    /// Print, write or check the environment-file schema.
    Schema {
        /// The project.
        project: Project,
        /// Print, write or check.
        mode: Mode,
    },
    /// Print a completion script.
    Completions(clap_complete::Shell),
    /// Print the man page, or write all pages into a folder.
    Man {
        /// Folder for the pages; stdout when absent.
        out: Option<PathBuf>,
    },
    /// Render, then re-render on every change.
    Watch(WatchConfig),
    /// Check environments and compare them with the files on disk.
    Check(CheckConfig),
    /// Show how an environment's output differs.
    Diff(DiffConfig),
    /// List the output-check rules.
    Rules,
    /// Add a chart to the project.
    NewChart {
        /// The project.
        project: Project,
        /// The chart's name.
        name: String,
    },
    /// Draw environments' objects and references.
    Graph(GraphConfig),
}

/// A validated `graph` request.
pub struct GraphConfig {
    /// The project.
    pub project: Project,
    /// The environments: exactly one unless the format is Markdown.
    pub envs: Vec<String>,
    /// `-f` and `--set` layers.
    pub overrides: Overrides,
    /// What to draw.
    pub format: GraphFormat,
    /// The file to write, relative to the working directory; stdout when `None`.
    pub output: Option<PathBuf>,
}

/// A validated render request.
pub struct RenderConfig {
    /// The project.
    pub project: Project,
    /// Environments, in the order given (all of them for `--all`).
    pub envs: Vec<String>,
    /// `-f` and `--set` layers.
    pub overrides: Overrides,
    /// Output folder.
    pub out: PathBuf,
    /// Where the rendered manifests go.
    pub destination: Destination,
    /// Warnings of the output checks fail too.
    pub strict: bool,
    /// Also print GitHub Actions annotations (`GITHUB_ACTIONS=true`).
    pub annotations: bool,
    /// How long to wait for another writer of the output folder.
    pub lock_wait: Duration,
}

/// Where `render` puts its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// One YAML stream on stdout; nothing written.
    Stdout,
    /// Files under the output folder.
    Files {
        /// Also write `SHA256SUMS` for the whole tree.
        sums: bool,
    },
}

/// A validated `check` request.
pub struct CheckConfig {
    /// The project.
    pub project: Project,
    /// Environments to check.
    pub envs: Vec<String>,
    /// `-f` and `--set` layers.
    pub overrides: Overrides,
    /// Folder with the committed output.
    pub out: PathBuf,
    /// Warnings fail too.
    pub strict: bool,
    /// How findings are printed.
    pub format: FindingsFormat,
    /// Also print GitHub Actions annotations.
    pub annotations: bool,
}

/// A validated `diff` request.
pub struct DiffConfig {
    /// The project.
    pub project: Project,
    /// The environments shown as the new side; exactly one with `against`.
    pub envs: Vec<String>,
    /// The environment on the old side; the files on disk when `None`.
    pub against: Option<String>,
    /// `-f` and `--set` layers.
    pub overrides: Overrides,
    /// Folder with the written output.
    pub out: PathBuf,
    /// Differences fail the command (exit 1).
    pub exit_code: bool,
}

/// A validated `values` request.
pub struct ValuesConfig {
    /// The project.
    pub project: Project,
    /// The environment.
    pub env: String,
    /// `-f` and `--set` layers.
    pub overrides: Overrides,
    /// Show where each key came from.
    pub explain: bool,
    /// Output format.
    pub format: Format,
}

/// A validated `watch` request.
pub struct WatchConfig {
    /// The project as it was at start; reloaded when `pgrender.toml` changes.
    pub project: Project,
    /// The environments named with `--env`, or `None` for `--all` (rescanned as files come and go).
    pub envs: Option<Vec<String>>,
    /// `-f` files, absolute, re-read on every render.
    pub files: Vec<PathBuf>,
    /// `--set` flags.
    pub sets: Vec<String>,
    /// `--out`, absolute; `None` follows `output` in pgrender.toml.
    pub out: Option<PathBuf>,
    /// Print unified diffs of changed files.
    pub diff: bool,
    /// Command to run after each successful render.
    pub exec: Option<String>,
    /// How long to wait for another writer of the output folder.
    pub lock_wait: Duration,
}

impl Action {
    /// Checks the command line against the project.
    pub fn from_cli(cli: Cli) -> Result<Action, Error> {
        match cli.command {
            None => RenderConfig::new(cli.render).map(Action::Render),
            Some(Command::Render(args)) => RenderConfig::new(args).map(Action::Render),
            Some(Command::Values(args)) => {
                let (project, mut envs, overrides) = select(&args.selection.selection())?;
                Ok(Action::Values(ValuesConfig {
                    project,
                    env: envs.remove(0),
                    overrides,
                    explain: args.explain,
                    format: args.format,
                }))
            }
            Some(Command::Init(args)) => {
                Ok(Action::Init { dir: resolve(&current_dir()?, &args.dir), force: args.force })
            }
            Some(Command::Docs(args)) => docs(&args),
            Some(Command::Schema(args)) => {
                Ok(Action::Schema { project: discover(args.project.as_deref())?, mode: mode(&args) })
            }
            Some(Command::Completions(args)) => Ok(Action::Completions(args.shell)),
            Some(Command::Man(args)) => {
                let cwd = current_dir()?;
                Ok(Action::Man { out: args.out.map(|dir| resolve(&cwd, &dir)) })
            }
            Some(Command::Watch(args)) => WatchConfig::new(args).map(Action::Watch),
            Some(Command::Check(args)) => CheckConfig::new(args).map(Action::Check),
            Some(Command::Diff(args)) => DiffConfig::new(args).map(Action::Diff),
            Some(Command::Rules) => Ok(Action::Rules),
            Some(Command::New(args)) => match args.what {
                NewCommand::Chart(args) => {
                    Ok(Action::NewChart { project: discover(args.project.as_deref())?, name: args.name })
                }
            },
            Some(Command::Graph(args)) => GraphConfig::new(args).map(Action::Graph),
        }
    }
}

impl RenderConfig {
    fn new(args: RenderArgs) -> Result<RenderConfig, Error> {
        let (project, envs, overrides) = select(&args.selection)?;
        if args.stdout && envs.len() > 1 {
            return Err(UsageError::StdoutManyEnvs(envs.len()).into());
        }
        let out = out_dir(&project, args.out)?;
        if !args.stdout {
            crate::output::check_out(&out, &project.root, &project.environment_names()?, args.force)?;
        }
        Ok(RenderConfig {
            project,
            envs,
            overrides,
            out,
            destination: if args.stdout { Destination::Stdout } else { Destination::Files { sums: args.manifest } },
            strict: args.strict,
            annotations: annotations(),
            lock_wait: lock_wait()?,
        })
    }
}

impl WatchConfig {
    fn new(args: WatchArgs) -> Result<WatchConfig, Error> {
        let (project, envs, _) = select(&args.selection)?;
        let cwd = std::env::current_dir().unwrap_or_default();
        Ok(WatchConfig {
            project,
            envs: (!args.selection.all).then_some(envs),
            files: args.selection.layers.files.iter().map(|f| resolve(&cwd, f)).collect(),
            sets: args.selection.layers.sets,
            out: args.out.map(|o| resolve(&cwd, &o)),
            diff: args.diff,
            exec: args.exec,
            lock_wait: lock_wait()?,
        })
    }
}

impl CheckConfig {
    fn new(args: CheckArgs) -> Result<CheckConfig, Error> {
        let (project, envs, overrides) = select(&args.selection)?;
        let out = out_dir(&project, args.out)?;
        Ok(CheckConfig {
            project,
            envs,
            overrides,
            out,
            strict: args.strict,
            format: args.format,
            annotations: annotations(),
        })
    }
}

impl GraphConfig {
    fn new(args: GraphArgs) -> Result<GraphConfig, Error> {
        let (project, envs, overrides) = select(&args.selection)?;
        if envs.len() > 1 && args.format != GraphFormat::Markdown {
            let format = if args.format == GraphFormat::Svg { "svg" } else { "mermaid" };
            return Err(UsageError::GraphManyEnvs { format, count: envs.len() }.into());
        }
        let cwd = current_dir()?;
        Ok(GraphConfig {
            project,
            envs,
            overrides,
            format: args.format,
            output: args.output.map(|o| resolve(&cwd, &o)),
        })
    }
}

impl DiffConfig {
    fn new(args: DiffArgs) -> Result<DiffConfig, Error> {
        let (project, envs, overrides) = select(&args.selection)?;
        if let Some(against) = &args.against {
            if envs.len() != 1 {
                return Err(UsageError::AgainstManyEnvs(envs.len()).into());
            }
            project.check_environments(std::slice::from_ref(against))?;
        }
        let out = out_dir(&project, args.out)?;
        Ok(DiffConfig { project, envs, against: args.against, overrides, out, exit_code: args.exit_code })
    }
}

/// `--out DIR` relative to the working directory (the user's choice, wherever
/// it is), else the project's output folder (which must be inside the project).
fn out_dir(project: &Project, out: Option<PathBuf>) -> Result<PathBuf, Error> {
    let cwd = std::env::current_dir().unwrap_or_default();
    out.map_or_else(|| project.output_dir(), |o| Ok(resolve(&cwd, &o)))
}

/// Whether to print GitHub Actions annotations: running in GitHub Actions.
fn annotations() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// How long a writer waits for the output folder's lock: [`LOCK_WAIT`], or
/// `PGRENDER_LOCK_WAIT_MS` milliseconds (tests shorten it to stay fast).
fn lock_wait() -> Result<Duration, Error> {
    let Some(value) = std::env::var_os(LOCK_WAIT_VAR) else { return Ok(LOCK_WAIT) };
    let text = value.to_string_lossy();
    match text.trim().parse() {
        Ok(millis) => Ok(Duration::from_millis(millis)),
        Err(_) => Err(UsageError::BadEnvVar {
            name: LOCK_WAIT_VAR,
            value: text.into_owned(),
            expected: "a whole number of milliseconds",
        }
        .into()),
    }
}

/// Loads the project and resolves the environment selection.
fn select(selection: &Selection) -> Result<(Project, Vec<String>, Overrides), Error> {
    let project = discover(selection.layers.project.as_deref())?;
    let envs = if selection.all {
        project.environment_names()?
    } else if selection.envs.is_empty() {
        return Err(UsageError::NoEnv.into());
    } else {
        project.check_environments(&selection.envs)?;
        let mut envs = selection.envs.clone();
        envs.dedup();
        envs
    };
    for set in &selection.layers.sets {
        if !set.contains('=') {
            return Err(UsageError::BadSet(set.clone()).into());
        }
    }
    let overrides = Overrides::read(&selection.layers.files, selection.layers.sets.clone())?;
    Ok((project, envs, overrides))
}

fn current_dir() -> Result<PathBuf, Error> {
    std::env::current_dir().map_err(|source| Error::Io { path: ".".into(), source })
}

/// Loads the project in `dir`, or the nearest one upwards from the current folder.
fn discover(dir: Option<&std::path::Path>) -> Result<Project, Error> {
    let cwd = current_dir()?;
    match dir {
        Some(dir) => Project::discover(&resolve(&cwd, dir)),
        None => Project::discover(&cwd),
    }
}

fn mode(args: &GenerateArgs) -> Mode {
    if args.check {
        Mode::Check
    } else if args.write {
        Mode::Write
    } else {
        Mode::Print
    }
}

/// `docs`: every chart, or the one named by `--chart`.
fn docs(args: &DocsArgs) -> Result<Action, Error> {
    let project = discover(args.generate.project.as_deref())?;
    let charts = match &args.chart {
        None => project.charts.clone(),
        Some(name) => {
            let chart = project.charts.iter().find(|c| &c.meta.name == name).ok_or_else(|| {
                let known: Vec<String> = project.charts.iter().map(|c| c.meta.name.clone()).collect();
                UsageError::UnknownChart {
                    name: name.clone(),
                    suggestion: did_you_mean(name, known.iter().map(String::as_str)),
                    known,
                }
            })?;
            vec![chart.clone()]
        }
    };
    Ok(Action::Docs { project, charts, mode: mode(&args.generate) })
}
