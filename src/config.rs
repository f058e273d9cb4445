//! Validated configuration: the raw command line checked against the
//! project (environments exist, flags combine) before any work is done.
//! Nothing downstream reads flags.

use std::path::PathBuf;

use crate::cli::{Cli, Command, Format, RenderArgs, Selection};
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
        if !args.stdout {
            crate::outdir::check_out(&out, &project.root, &project.environment_names()?, args.force)?;
        }
        Ok(RenderConfig { project, envs, overrides, out, stdout: args.stdout })
    }
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
