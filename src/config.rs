//! Validated configuration: the raw command line checked against the
//! project (environments exist, flags combine) before any work is done.
//! Nothing downstream reads flags.

use std::path::PathBuf;

use crate::cli::{CheckArgs, Cli, Command, DiffArgs, FindingsFormat, Format, RenderArgs, Selection};
use crate::error::{Error, UsageError};
use crate::pipeline::Overrides;
use crate::project::Project;
use crate::source::resolve;

/// What the command line asks for.
pub enum Action {
    /// Render environments to files or stdout.
    Render(RenderConfig),
    /// Print one environment's merged values.
    Values(ValuesConfig),
    /// Check environments and compare them with the files on disk.
    Check(CheckConfig),
    /// Show how an environment's output differs.
    Diff(DiffConfig),
    /// List the output-check rules.
    Rules,
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
    /// Print to stdout instead of writing.
    pub stdout: bool,
    /// Warnings of the output checks fail too.
    pub strict: bool,
    /// Also print GitHub Actions annotations (`GITHUB_ACTIONS=true`).
    pub annotations: bool,
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
    /// The environment shown as the new side.
    pub env: String,
    /// The environment on the old side; the files on disk when `None`.
    pub against: Option<String>,
    /// `-f` and `--set` layers.
    pub overrides: Overrides,
    /// Folder with the written output.
    pub out: PathBuf,
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

impl Action {
    /// Checks the command line against the project.
    pub fn from_cli(cli: Cli) -> Result<Action, Error> {
        match cli.command {
            None => RenderConfig::new(cli.render).map(Action::Render),
            Some(Command::Render(args)) => RenderConfig::new(args).map(Action::Render),
            Some(Command::Values(args)) => {
                let (project, mut envs, overrides) = select(&args.selection)?;
                if envs.len() != 1 {
                    return Err(UsageError::NoEnv.into());
                }
                Ok(Action::Values(ValuesConfig {
                    project,
                    env: envs.remove(0),
                    overrides,
                    explain: args.explain,
                    format: args.format,
                }))
            }
            Some(Command::Check(args)) => CheckConfig::new(args).map(Action::Check),
            Some(Command::Diff(args)) => DiffConfig::new(args).map(Action::Diff),
            Some(Command::Rules) => Ok(Action::Rules),
        }
    }
}

impl RenderConfig {
    fn new(args: RenderArgs) -> Result<RenderConfig, Error> {
        let (project, envs, overrides) = select(&args.selection)?;
        if args.stdout && envs.len() > 1 {
            return Err(UsageError::StdoutManyEnvs(envs.len()).into());
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        let out = args.out.map_or_else(|| project.output.clone(), |o| resolve(&cwd, &o));
        Ok(RenderConfig {
            project,
            envs,
            overrides,
            out,
            stdout: args.stdout,
            strict: args.strict,
            annotations: annotations(),
        })
    }
}

impl CheckConfig {
    fn new(args: CheckArgs) -> Result<CheckConfig, Error> {
        let (project, envs, overrides) = select(&args.selection)?;
        let out = out_dir(&project, args.out);
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

impl DiffConfig {
    fn new(args: DiffArgs) -> Result<DiffConfig, Error> {
        let (project, mut envs, overrides) = select(&args.selection)?;
        if envs.len() != 1 {
            return Err(UsageError::NoEnv.into());
        }
        if let Some(against) = &args.against {
            project.check_environments(std::slice::from_ref(against))?;
        }
        let out = out_dir(&project, args.out);
        Ok(DiffConfig { project, env: envs.remove(0), against: args.against, overrides, out })
    }
}

/// `--out DIR` relative to the working directory, else the project's output folder.
fn out_dir(project: &Project, out: Option<PathBuf>) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    out.map_or_else(|| project.output.clone(), |o| resolve(&cwd, &o))
}

/// Whether to print GitHub Actions annotations: running in GitHub Actions.
fn annotations() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Loads the project and resolves the environment selection.
fn select(selection: &Selection) -> Result<(Project, Vec<String>, Overrides), Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Io { path: ".".into(), source })?;
    let project = match &selection.project {
        Some(dir) => Project::discover(&resolve(&cwd, dir))?,
        None => Project::discover(&cwd)?,
    };
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
    for set in &selection.sets {
        if !set.contains('=') {
            return Err(UsageError::BadSet(set.clone()).into());
        }
    }
    let overrides = Overrides::read(&selection.files, selection.sets.clone())?;
    Ok((project, envs, overrides))
}
