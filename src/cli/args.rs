//! Command-line arguments as typed (clap derive): the raw command line,
//! before [`super::config`] checks it against the project.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCandidates;

const EXAMPLES: &str = "\
Examples:
  pgrender --env local                      render environments/local.toml into k8s-manifests/local/
  pgrender --all                            render every environment
  pgrender --env eks --stdout | kubectl apply -f -
  pgrender --env eks --set postgres.image.tag=16.4 -f hotfix.toml
  pgrender values --env eks --explain       show merged values and where each came from";

/// Render per-environment Kubernetes manifests from TOML values, a JSON Schema and Jinja templates.
#[derive(Debug, Parser)]
#[command(name = "pgrender", version, after_help = EXAMPLES)]
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
  pgrender values --env eks --explain       every key with the file and line that set it
  pgrender values --env eks --explain --format json")]
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
  pgrender diff --all --exit-code           exit 1 when a render would change anything
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
    /// Add to the project: `new chart NAME` writes a chart, its schema and its values tables.
    #[command(after_help = "\
Examples:
  pgrender new chart backend                a Deployment and a Service in charts/backend/, registered
                                            in pgrender.toml, with a [backend] table in each environment")]
    New(NewArgs),
    /// Draw the objects of an environment and how they refer to each other (Mermaid or SVG).
    #[command(after_help = "\
Examples:
  pgrender graph --env eks                  Mermaid flowchart text (GitHub renders it in Markdown)
  pgrender graph --env eks --format svg -o eks.svg
  pgrender graph --all --format markdown >> \"$GITHUB_STEP_SUMMARY\"")]
    Graph(GraphArgs),
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
  source <(pgrender completions zsh)          # in ~/.zshrc
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

/// Arguments of `new`.
#[derive(Debug, Args, Clone)]
pub struct NewArgs {
    /// What to add.
    #[command(subcommand)]
    pub what: NewCommand,
}

/// What `new` adds.
#[derive(Debug, Subcommand, Clone)]
pub enum NewCommand {
    /// Add a chart: charts/NAME/ (a Namespace, a Deployment and a Service), schema/NAME.schema.json,
    /// a [[chart]] entry in pgrender.toml and a [NAME] table in each environment file.
    #[command(after_help = "\
Examples:
  pgrender new chart backend                then `pgrender --all` renders it into k8s-manifests/<env>/5-backend/
  pgrender new chart backend -C infra/app   in the project in infra/app")]
    Chart(NewChartArgs),
}

/// Arguments of `new chart`.
#[derive(Debug, Args, Clone)]
pub struct NewChartArgs {
    /// The chart's name: a DNS label such as `backend`; also its values key and default namespace.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Project folder (default: the nearest folder upwards with pgrender.toml).
    #[arg(long, short = 'C', value_name = "DIR")]
    pub project: Option<PathBuf>,
}

/// Arguments of `graph`.
#[derive(Debug, Args, Clone)]
pub struct GraphArgs {
    /// The environment (several, or --all, with --format markdown) and value layers.
    #[command(flatten)]
    pub selection: Selection,
    /// What to draw.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
    /// Write to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Formats of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Mermaid flowchart text.
    Mermaid,
    /// A Markdown section per environment with a `mermaid` block (for READMEs and job summaries).
    Markdown,
    /// A self-contained SVG picture.
    Svg,
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

/// Extra value layers above the environment file, and the project folder:
/// what every command that renders takes besides its environments.
#[derive(Debug, Args, Clone, Default, PartialEq, Eq)]
pub struct Layers {
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

/// Which project, environments and extra value layers.
#[derive(Debug, Args, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Environment to render (repeatable): environments/ENV.toml.
    #[arg(long = "env", short = 'e', value_name = "ENV", add = ArgValueCandidates::new(environments))]
    pub envs: Vec<String>,
    /// Render every environment in environments/.
    #[arg(long, conflicts_with = "envs")]
    pub all: bool,
    /// Extra value layers and the project.
    #[command(flatten)]
    pub layers: Layers,
}

/// Arguments of `render`.
#[derive(Debug, Args, Clone, Default, PartialEq, Eq)]
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
    /// Compare with this environment's output instead of the files on disk (one `--env`).
    #[arg(long, value_name = "ENV", conflicts_with = "all", add = ArgValueCandidates::new(environments))]
    pub against: Option<String>,
    /// Folder holding the written output (default: `output` in pgrender.toml).
    #[arg(long, value_name = "DIR", conflicts_with = "against")]
    pub out: Option<PathBuf>,
    /// Exit 1 when there are differences, like `git diff --exit-code` and `kubectl diff`.
    #[arg(long)]
    pub exit_code: bool,
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

/// One environment and its extra value layers.
#[derive(Debug, Args, Clone)]
pub struct OneEnv {
    /// Environment: environments/ENV.toml.
    #[arg(long = "env", short = 'e', value_name = "ENV", add = ArgValueCandidates::new(environments))]
    pub env: String,
    /// Extra value layers and the project.
    #[command(flatten)]
    pub layers: Layers,
}

impl OneEnv {
    /// The same choice as a [`Selection`] of one environment.
    pub fn selection(&self) -> Selection {
        Selection { envs: vec![self.env.clone()], all: false, layers: self.layers.clone() }
    }
}

/// Arguments of `values`.
#[derive(Debug, Args, Clone)]
pub struct ValuesArgs {
    /// Environment and value layers.
    #[command(flatten)]
    pub selection: OneEnv,
    /// Show, for every key, which layer set it (with `--format json`: a `source` per key).
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

/// The project's environment names, for shell completion of `--env`: the
/// project found from the current folder, as a command run there would.
fn environments() -> Vec<clap_complete::CompletionCandidate> {
    let project = std::env::current_dir().ok().and_then(|cwd| crate::project::Project::discover(&cwd).ok());
    let names = project.and_then(|p| p.environment_names().ok()).unwrap_or_default();
    names.into_iter().map(clap_complete::CompletionCandidate::new).collect()
}
