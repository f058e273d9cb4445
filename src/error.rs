//! Every way a pgrender command can fail, as structured values. Each error
//! knows its exit code and how to present itself as [`Diagnostic`]s.

use std::ops::Range;
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, Problems};
use crate::source::{SourceRef, display_path};

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}: {source}", display_path(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not UTF-8 text.
    #[error("{}:{line}: not UTF-8 text (invalid byte at offset {offset})", display_path(path))]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// Output could not be written; nothing was replaced.
    #[error("cannot write {}: {source}", display_path(path))]
    Write {
        /// The file or folder being written.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Output would replace a file that pgrender did not write.
    #[error("{} exists and was not written by pgrender; refusing to overwrite it", display_path(path))]
    ForeignFile {
        /// The file.
        path: PathBuf,
        /// The environment folder, whose record lists what pgrender wrote.
        folder: PathBuf,
    },
    /// The file-system watcher could not start or watch a folder.
    #[error("cannot watch {}: {source}", display_path(path))]
    Watch {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        source: notify::Error,
    },
    /// A source failed to parse (TOML, JSON).
    #[error("{message}")]
    Syntax {
        /// The text.
        file: SourceRef,
        /// Where the parser stopped.
        span: Range<usize>,
        /// The parser's message.
        message: String,
    },
    /// A JSON Schema file is not a valid schema.
    #[error("{} is not a valid JSON Schema: {message}", file.name)]
    InvalidSchema {
        /// The schema file.
        file: SourceRef,
        /// The offending value in the file, when it can be found.
        span: Option<Range<usize>>,
        /// The schema compiler's message.
        message: String,
        /// How to fix it, when known.
        help: Option<String>,
    },
    /// Values broke the schema; one diagnostic per violation, the first few built.
    #[error("values do not match the schema")]
    Values(Problems),
    /// A template failed to compile or render.
    #[error("{message}")]
    Template {
        /// The template's source, when known.
        file: Option<SourceRef>,
        /// Span inside the template.
        span: Option<Range<usize>>,
        /// What went wrong.
        message: String,
        /// A suggestion, e.g. the key a misspelt name probably meant.
        help: Option<String>,
    },
    /// A template rendered something that is not valid output.
    #[error("{message}")]
    Output {
        /// The rendered text, named after the output file.
        rendered: SourceRef,
        /// Where in the rendered text.
        span: Range<usize>,
        /// What went wrong.
        message: String,
        /// The template that produced it.
        template: String,
    },
    /// Two templates map to the same output file; nothing was rendered.
    #[error("{}", .0.message())]
    PathCollision(Box<crate::collision::Collision>),
    /// `init` would overwrite files that already exist; nothing was written.
    #[error("{} already holds {} of the starter project's files; nothing was written", display_path(dir), existing.len())]
    InitConflict {
        /// The target folder.
        dir: PathBuf,
        /// The starter files that already exist there, relative to `dir`.
        existing: Vec<String>,
    },
    /// A generated file differs from what pgrender generates now.
    #[error("{} is out of date", display_path(path))]
    Stale {
        /// The committed file.
        path: PathBuf,
        /// The command that regenerates it.
        fix: String,
    },
    /// Another pgrender process holds the output folder's lock.
    #[error("another pgrender is writing to {}; try again when it has finished", display_path(path))]
    Locked {
        /// The output folder.
        path: PathBuf,
    },
    /// Writing would leave the output folder (a symlink points elsewhere).
    #[error("{} is a symbolic link; pgrender does not write through links in its output", display_path(path))]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// `new chart` would clash with what the project has; nothing was written.
    #[error("cannot add chart `{name}`: {reason}; nothing was written")]
    ChartConflict {
        /// The chart's name.
        name: String,
        /// What it clashes with.
        reason: String,
        /// What to do instead.
        help: String,
    },
    /// A path the project names leads outside it; nothing was read from or written to it.
    #[error("{} leads outside {}", display_path(&.0.path), .0.what)]
    Outside(Box<crate::confine::Escape>),
    /// A path the project file names does not exist.
    #[error("`{}` names {}, which does not exist", .named.key, display_path(path))]
    Missing {
        /// The path, joined to the project root.
        path: PathBuf,
        /// Where the project file names it.
        named: Box<crate::confine::Named>,
    },
    /// Diagnostics prepared in advance, e.g. with sensitive values masked.
    #[error("{} problems", .0.len())]
    Reported(Vec<Diagnostic>),
    /// The command was used wrongly.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// Output checks failed; their findings were printed already.
    #[error(
        "output checks failed with {errors} error(s){} in {}; {consequence}",
        strict_warnings.map(|n| format!(" and {n} warning(s) (--strict)")).unwrap_or_default(),
        envs.join(", ")
    )]
    ChecksFailed {
        /// The environments whose findings fail the command.
        envs: Vec<String>,
        /// How many errors they have.
        errors: usize,
        /// Under `--strict`, how many warnings (which fail the command too).
        strict_warnings: Option<usize>,
        /// What the failure means for the command's output, e.g. "nothing was written".
        consequence: &'static str,
    },
    /// Committed manifests differ from what pgrender renders now; the diff was printed already.
    #[error("committed manifests are stale for {}", envs.join(", "))]
    StaleManifests {
        /// The environments whose committed output is stale.
        envs: Vec<String>,
    },
    /// Nothing of these environments was ever written to the output folder.
    #[error("nothing is rendered yet for {}", envs.join(", "))]
    NotRendered {
        /// The environments with no rendered output.
        envs: Vec<String>,
    },
    /// `diff --exit-code` found differences in these environments; the diff is the report.
    #[error("{} differ", .0.join(", "))]
    Differences(Vec<String>),
    /// Several independent failures (e.g. one per environment).
    #[error("{} errors", .0.len())]
    Many(Vec<Error>),
}

/// Wrong use of the command line: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// `--env` names no environment file.
    #[error("unknown environment `{name}`")]
    UnknownEnv {
        /// What was asked for.
        name: String,
        /// The environments that exist.
        known: Vec<String>,
        /// The closest known name.
        suggestion: Option<String>,
    },
    /// `--chart` names no chart of the project.
    #[error("unknown chart `{name}`{}; the project's charts: {}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(), known.join(", "))]
    UnknownChart {
        /// What was asked for.
        name: String,
        /// The project's charts.
        known: Vec<String>,
        /// The closest known name.
        suggestion: Option<String>,
    },
    /// Neither `--env` nor `--all`.
    #[error("no environment selected: pass --env NAME (repeatable) or --all")]
    NoEnv,
    /// `--stdout` with several environments would mix their objects.
    #[error("--stdout takes one environment, but {0} were selected; write files (optionally with --out DIR) instead")]
    StdoutManyEnvs(usize),
    /// No `pgrender.toml` found.
    #[error("no pgrender.toml in {} or any parent folder", display_path(.0))]
    ProjectNotFound(PathBuf),
    /// `--out` names a folder that pgrender must not fill without `--force`.
    #[error("refusing to write into {}: {reason}", display_path(path))]
    UnsafeOut {
        /// The folder.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
    },
    /// `new chart` with a name that cannot name a chart.
    #[error("`{name}` cannot name a chart: {reason}")]
    BadChartName {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// `graph` draws one environment unless the format is Markdown.
    #[error("--format {format} draws one environment, but {count} were selected; use --format markdown for several")]
    GraphManyEnvs {
        /// The format asked for.
        format: &'static str,
        /// How many environments were selected.
        count: usize,
    },
    /// `diff --against` with several environments.
    #[error("--against compares one environment with another, but {0} were selected; pass one --env")]
    AgainstManyEnvs(usize),
    /// `--set` without `KEY=VALUE` form.
    #[error("--set expects KEY=VALUE with a dotted key, got `{0}`")]
    BadSet(String),
    /// An environment variable pgrender reads has a value it cannot use.
    #[error("{name} must be {expected}, got `{value}`")]
    BadEnvVar {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
}

impl Error {
    /// The process exit code: 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Many(errors) if errors.iter().all(|e| e.exit_code() == 2) => 2,
            _ => 1,
        }
    }

    /// A TOML file that does not parse or does not deserialise, pointing at the parser's span.
    pub fn toml(file: &SourceRef, err: &toml::de::Error) -> Error {
        Error::toml_at(file, err.span(), err.message())
    }

    /// A TOML file that `toml_edit` (which keeps comments for rewriting) cannot parse.
    pub fn toml_edit(file: &SourceRef, err: &toml_edit::TomlError) -> Error {
        Error::toml_at(file, err.span(), err.message())
    }

    /// The one mapping of a TOML parser's error to a diagnostic, for either parser.
    fn toml_at(file: &SourceRef, span: Option<Range<usize>>, message: &str) -> Error {
        Error::Syntax { file: file.clone(), span: span.unwrap_or(0..0), message: message.to_string() }
    }

    /// Collapses a list of errors into one, or `None` when it is empty.
    pub fn collect(mut errors: Vec<Error>) -> Option<Error> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(Error::Many(errors)),
        }
    }

    /// Problems found but left out of [`Error::diagnostics`].
    pub fn omitted(&self) -> usize {
        match self {
            Error::Values(problems) => problems.omitted,
            Error::Many(errors) => errors.iter().map(Error::omitted).sum(),
            _ => 0,
        }
    }

    /// The diagnostics to print for this error.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Error::Syntax { file, span, message } => {
                vec![Diagnostic::error(format!("invalid {}", kind_of(&file.name))).at(
                    file,
                    span.clone(),
                    message.trim(),
                )]
            }
            Error::Values(problems) => problems.shown.clone(),
            Error::Reported(diagnostics) => diagnostics.clone(),
            Error::InvalidSchema { file, span, message, help } => {
                let mut diagnostic = Diagnostic::error(format!("{} is not a valid JSON Schema", file.name));
                if let Some(help) = help {
                    diagnostic = diagnostic.help(help.clone());
                }
                match span {
                    Some(span) => vec![diagnostic.at(file, span.clone(), message.clone())],
                    None => vec![diagnostic.note(message.clone())],
                }
            }
            Error::Template { file, span, message, help } => {
                let mut diagnostic = Diagnostic::error(message.clone());
                if let Some(help) = help {
                    diagnostic = diagnostic.help(help.clone());
                }
                match (file, span) {
                    (Some(file), Some(span)) => {
                        vec![diagnostic.at(file, span.clone(), "here")]
                    }
                    _ => vec![diagnostic],
                }
            }
            Error::Output { rendered, span, message, template } => vec![
                Diagnostic::error("template rendered invalid YAML")
                    .at(rendered, span.clone(), message.clone())
                    .note(format!("rendered from {template}")),
            ],
            Error::Usage(UsageError::UnknownEnv { known, suggestion, .. }) => {
                let mut d = Diagnostic::error(self.to_string()).note(format!(
                    "known environments: {}",
                    if known.is_empty() { "(none)".to_string() } else { known.join(", ") }
                ));
                if let Some(s) = suggestion {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                vec![d]
            }
            Error::Usage(UsageError::UnsafeOut { .. }) => vec![Diagnostic::error(self.to_string()).help(
                "pick an empty or new folder with --out DIR, or pass --force if this folder really is meant for output",
            )],
            Error::Usage(UsageError::ProjectNotFound(_)) => vec![
                Diagnostic::error(self.to_string())
                    .help("run `pgrender init` to create a project, or pass --project DIR"),
            ],
            Error::InitConflict { existing, .. } => vec![
                Diagnostic::error(self.to_string())
                    .note(format!("existing: {}", abbreviated(existing, 4)))
                    .help("pass --force to overwrite them, or choose an empty folder"),
            ],
            Error::PathCollision(collision) => vec![collision.diagnostic()],
            Error::ChartConflict { help, .. } => vec![Diagnostic::error(self.to_string()).help(help.clone())],
            Error::Usage(UsageError::BadChartName { .. }) => vec![Diagnostic::error(self.to_string()).help(
                "a chart name is a DNS label: lower-case letters, digits and inner `-`, starting with a letter (e.g. `backend`)",
            )],
            Error::ForeignFile { path, folder } => {
                let record = display_path(&folder.join(crate::output::RECORD));
                vec![
                    Diagnostic::error(self.to_string())
                        .note(format!("{record} lists the files pgrender wrote, and this one is not among them"))
                        .help(format!(
                            "if pgrender wrote it before and its record was reset (e.g. by `git checkout`), delete \
                             it (`rm {}`) and render again; if it is yours, move it elsewhere",
                            display_path(path)
                        )),
                ]
            }
            Error::Stale { fix, .. } => {
                vec![Diagnostic::error(self.to_string()).help(format!("run `{fix}` and commit the result"))]
            }
            Error::Outside(escape) => vec![escape.diagnostic()],
            Error::Missing { named, .. } => vec![
                Diagnostic::error(self.to_string())
                    .at(&named.source, named.span.clone(), "no such file or folder")
                    .help("create it, or correct the path (relative to the folder of pgrender.toml)"),
            ],
            Error::Many(errors) => errors.iter().flat_map(Error::diagnostics).collect(),
            // Like `git diff --exit-code`: the exit code says it, the diff shows it.
            Error::Differences(_) => Vec::new(),
            _ => vec![Diagnostic::error(self.to_string())],
        }
    }
}

/// The first `shown` items joined, then how many more there are.
fn abbreviated(items: &[String], shown: usize) -> String {
    let text = items.iter().take(shown).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > shown { format!("{text} and {} more", items.len() - shown) } else { text }
}

/// "TOML" or "JSON", from a file name, for syntax error titles.
fn kind_of(name: &str) -> &'static str {
    if std::path::Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) { "JSON" } else { "TOML" }
}

/// The closest candidate to `name`, if any is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        // A typo keeps about the length of the word, and comparing a
        // megabyte-long key with every candidate would cost megabytes each.
        .filter(|c| name.len().max(c.len()) <= 2 * name.len().min(c.len()) + 8)
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("ekss", ["eks", "gke"]).as_deref(), Some("eks"));
        assert_eq!(did_you_mean("replicsa", ["replicas", "image"]).as_deref(), Some("replicas"));
        assert_eq!(did_you_mean("zzz", ["eks", "gke"]), None);
        assert_eq!(did_you_mean(&format!("replicas{}", "x".repeat(1000)), ["replicas"]), None);
    }

    #[test]
    fn failed_checks_name_counts_environments_and_consequence() {
        let failed = |strict_warnings| Error::ChecksFailed {
            envs: vec!["dev".into(), "prod".into()],
            errors: 1,
            strict_warnings,
            consequence: "nothing was written",
        };
        assert_eq!(failed(None).to_string(), "output checks failed with 1 error(s) in dev, prod; nothing was written");
        assert_eq!(
            failed(Some(2)).to_string(),
            "output checks failed with 1 error(s) and 2 warning(s) (--strict) in dev, prod; nothing was written"
        );
        let stale = Error::StaleManifests { envs: vec!["dev".into(), "prod".into()] };
        assert_eq!(stale.to_string(), "committed manifests are stale for dev, prod");
        assert_eq!(stale.exit_code(), 1);
        let unrendered = Error::NotRendered { envs: vec!["dev".into()] };
        assert_eq!(unrendered.to_string(), "nothing is rendered yet for dev");
        assert_eq!(unrendered.exit_code(), 1);
    }

    #[test]
    fn usage_errors_exit_two_others_one() {
        assert_eq!(Error::Usage(UsageError::NoEnv).exit_code(), 2);
        assert_eq!(Error::Values(Problems::default()).exit_code(), 1);
        let mixed = Error::Many(vec![Error::Usage(UsageError::NoEnv), Error::Values(Problems::default())]);
        assert_eq!(mixed.exit_code(), 1);
    }
}
