//! Command-line arguments as typed (clap derive), and `main`: parse, turn
//! the raw arguments into a validated [`Action`], run it, map the result to
//! an exit code (0 ok, 1 failed, 2 usage error).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Action;
use crate::diagnostic::{self, MAX_SHOWN};
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
    /// Render, then re-render on every save of values, schemas, templates or the project file.
    #[command(after_help = "\
Examples:
  pgrender watch --env local                re-render k8s-manifests/local/ on every save
  pgrender watch --all --diff               every environment, with a diff of each change
  pgrender watch --env local --exec 'kubectl apply -R -f \"$PGRENDER_OUT/$PGRENDER_ENV\"'

--exec runs CMD through the shell after each successful render, never two at a time, with
PGRENDER_ENVS (space-separated names rendered), PGRENDER_ENV (set when exactly one was
rendered) and PGRENDER_OUT (the output folder) in its environment.")]
    Watch(WatchArgs),
    /// Render in memory, run every output check and compare with the files on disk (for CI).
    #[command(after_help = "\
Examples:
  pgrender check --all                      exit 1 on a failed check or on stale committed manifests
  pgrender check --all --format sarif > pgrender.sarif
  pgrender check --env eks --strict         warnings fail too")]
    Check(CheckArgs),
    /// Show how an environment's output differs from the files on disk or from another environment.
    #[command(after_help = "\
Examples:
  pgrender diff --env eks                   what a render would change in k8s-manifests/eks/
  pgrender diff --env eks --against gke     how eks's manifests differ from gke's")]
    Diff(DiffArgs),
    /// List the output checks: ID, severity, what each catches and why.
    #[command(after_help = "\
Examples:
  pgrender rules                            every rule with its severity and rationale
  pgrender rules | grep PG                  the PostgreSQL rules")]
    Rules,
    /// Write a starter project (pgrender.toml, chart, schema, environments) into a folder.
    #[command(after_help = "\
Examples:
  pgrender init my-db                       create my-db/ with a project that renders as is
  pgrender init . --force                   overwrite the starter files in this folder")]
    Init(InitArgs),
    /// Generate a chart's Markdown values reference from its schema.
    #[command(after_help = "\
Examples:
  pgrender docs                             print the values table
  pgrender docs --write                     update charts/postgres/README.md between its markers
  pgrender docs --check                     exit 1 when a README is out of date")]
    Docs(DocsArgs),
    /// Generate the JSON Schema of environment files, for editor completion and validation.
    #[command(after_help = "\
Examples:
  pgrender schema                           print the schema
  pgrender schema --write                   update schema/environment-file.schema.json
  pgrender schema --check                   exit 1 when the committed schema is out of date")]
    Schema(GenerateArgs),
    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  pgrender completions bash > ~/.local/share/bash-completion/completions/pgrender
  pgrender completions zsh > ~/.zfunc/_pgrender
  pgrender completions fish > ~/.config/fish/completions/pgrender.fish")]
    Completions(CompletionsArgs),
    /// Print the man page, or write one page per command into a folder.
    #[command(after_help = "\
Examples:
  pgrender man | man -l -
  pgrender man --out /usr/local/share/man/man1")]
    Man(ManArgs),
}

/// Arguments of `init`.
#[derive(Debug, Args, Clone)]
pub struct InitArgs {
    /// Folder to write the project into (created when missing).
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Overwrite starter files that already exist.
    #[arg(long)]
    pub force: bool,
}

/// Print, write or check a generated file.
#[derive(Debug, Args, Clone, Default)]
pub struct GenerateArgs {
    /// Write the generated file instead of printing it.
    #[arg(long, conflicts_with = "check")]
    pub write: bool,
    /// Exit 1 when the committed file differs from what would be generated.
    #[arg(long)]
    pub check: bool,
    /// Project folder (default: the nearest folder upwards with pgrender.toml).
    #[arg(long, short = 'C', value_name = "DIR")]
    pub project: Option<PathBuf>,
}

/// Arguments of `docs`.
#[derive(Debug, Args, Clone)]
pub struct DocsArgs {
    /// Chart to document (default: every chart of the project).
    #[arg(long, value_name = "NAME")]
    pub chart: Option<String>,
    /// Print, write or check.
    #[command(flatten)]
    pub generate: GenerateArgs,
}

/// Arguments of `completions`.
#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `man`.
#[derive(Debug, Args, Clone)]
pub struct ManArgs {
    /// Folder to write `pgrender.1` and one page per subcommand into (default: print `pgrender.1`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
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
#[allow(clippy::struct_excessive_bools)] // independent command-line switches, validated in config.rs
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
    /// Also write `SHA256SUMS` (for `sha256sum -c`) covering every rendered file into the output folder.
    #[arg(long, conflicts_with = "stdout")]
    pub manifest: bool,
    /// Fail on warnings of the output checks too.
    #[arg(long)]
    pub strict: bool,
    /// Write even into `/`, the home folder, the project folder or a non-empty folder pgrender did not create.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `check`.
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// Environments and value layers.
    #[command(flatten)]
    pub selection: Selection,
    /// Folder holding the committed output (default: `output` in pgrender.toml).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// How to print findings.
    #[arg(long, value_enum, default_value_t = FindingsFormat::Text)]
    pub format: FindingsFormat,
}

/// Arguments of `diff`.
#[derive(Debug, Args, Clone)]
pub struct DiffArgs {
    /// The environment and value layers.
    #[command(flatten)]
    pub selection: Selection,
    /// Compare with this environment's output instead of the files on disk.
    #[arg(long, value_name = "ENV")]
    pub against: Option<String>,
    /// Folder holding the written output (default: `output` in pgrender.toml).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Formats for output-check findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingsFormat {
    /// Diagnostics with the offending line (and GitHub annotations under `GITHUB_ACTIONS=true`).
    Text,
    /// A JSON array of findings.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
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

/// Arguments of `watch`.
#[derive(Debug, Args, Clone)]
pub struct WatchArgs {
    /// Environments and value layers.
    #[command(flatten)]
    pub selection: Selection,
    /// Output folder (default: `output` in pgrender.toml).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also print the unified diff of every changed file.
    #[arg(long)]
    pub diff: bool,
    /// Run CMD through the shell after each successful render.
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
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

/// Prints an error's diagnostics once each, even when several environments hit the same one.
pub fn report(err: &Error) {
    let mut seen = std::collections::HashSet::new();
    let all = err.diagnostics();
    let total = all.len() + err.omitted();
    let unique: Vec<_> =
        all.into_iter().filter(|d| seen.insert((d.message.clone(), d.location()))).take(MAX_SHOWN).collect();
    diagnostic::emit(&unique);
    if unique.len() == MAX_SHOWN && total > MAX_SHOWN {
        eprintln!("error: {total} problems found (the first {MAX_SHOWN} are shown); nothing was written");
    } else if unique.len() > 1 {
        eprintln!("error: {} problems found; nothing was written", unique.len());
    }
}
