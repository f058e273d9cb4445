//! Command-line arguments as typed (clap derive), and `main`: parse, turn
//! the raw arguments into a validated [`Action`], run it, map the result to
//! an exit code (0 ok, 1 failed, 2 usage error).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Action;
use crate::diagnostic;
use crate::error::Error;

const EXAMPLES: &str = "\
Examples:
  pgrender --env local                      render environments/local.toml into k8s-manifests/local/
  pgrender --all                            render every environment
  pgrender --env eks --stdout | kubectl apply -f -
  pgrender --env eks --set postgres.image.tag=16.4 -f hotfix.toml
  pgrender values --env eks --explain       show merged values and where each came from";

/// Render per-environment Kubernetes manifests from TOML values, a JSON Schema and Jinja templates.
#[derive(Debug, Parser)]
#[command(name = "pgrender", version, after_help = EXAMPLES, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; rendering when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Render arguments when no subcommand is given.
    #[command(flatten)]
    pub render: RenderArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render environments to the output folder (the default command).
    #[command(after_help = EXAMPLES)]
    Render(RenderArgs),
    /// Print the merged values of an environment.
    #[command(after_help = "\
Examples:
  pgrender values --env eks                 merged values as TOML
  pgrender values --env eks --format json
  pgrender values --env eks --explain       every key with the file and line that set it")]
    Values(ValuesArgs),
}

/// Which project, environments and extra value layers.
#[derive(Debug, Args, Clone, Default)]
pub struct Selection {
    /// Environment to render (repeatable): environments/ENV.toml.
    #[arg(long = "env", short = 'e', value_name = "ENV")]
    pub envs: Vec<String>,
    /// Render every environment in environments/.
    #[arg(long, conflicts_with = "envs")]
    pub all: bool,
    /// Extra values file layered above the environment file (repeatable).
    #[arg(long = "values", short = 'f', value_name = "FILE.toml")]
    pub files: Vec<PathBuf>,
    /// Set one value, above every file (repeatable). VALUE is read as TOML, else as a string.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Project folder (default: the nearest folder upwards with pgrender.toml).
    #[arg(long, short = 'C', value_name = "DIR")]
    pub project: Option<PathBuf>,
}

/// Arguments of `render`.
#[derive(Debug, Args, Clone, Default)]
pub struct RenderArgs {
    /// Environments and value layers.
    #[command(flatten)]
    pub selection: Selection,
    /// Output folder (default: `output` in pgrender.toml).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print one YAML stream to stdout instead of writing files.
    #[arg(long)]
    pub stdout: bool,
    /// Write even into `/`, the home folder, the project folder or a non-empty folder pgrender did not create.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `values`.
#[derive(Debug, Args, Clone)]
pub struct ValuesArgs {
    /// Environment and value layers.
    #[command(flatten)]
    pub selection: Selection,
    /// Show, for every key, which layer set it.
    #[arg(long)]
    pub explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Toml)]
    pub format: Format,
}

/// Formats for `values`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// TOML tables.
    Toml,
    /// Pretty-printed JSON.
    Json,
}

/// Runs pgrender with the process's arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match Action::from_cli(cli).and_then(crate::commands::run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err);
            ExitCode::from(err.exit_code())
        }
    }
}

/// At most this many diagnostics are printed, so a file with a million bad
/// keys fails fast with a readable report instead of flooding the terminal.
const MAX_SHOWN: usize = 50;

/// Prints an error's diagnostics once each, even when several environments hit the same one.
pub fn report(err: &Error) {
    let mut seen = std::collections::HashSet::new();
    let all = err.diagnostics();
    let total = all.len();
    let unique: Vec<_> =
        all.into_iter().filter(|d| seen.insert((d.message.clone(), d.location()))).take(MAX_SHOWN).collect();
    diagnostic::emit(&unique);
    if unique.len() == MAX_SHOWN && total > MAX_SHOWN {
        eprintln!("error: {total} problems found (the first {MAX_SHOWN} are shown); nothing was written");
    } else if unique.len() > 1 {
        eprintln!("error: {} problems found; nothing was written", unique.len());
    }
}
