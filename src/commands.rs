//! What each command does once its configuration is validated.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::cli::Format;
use crate::cli::GraphFormat;
use crate::config::{Action, Destination, GraphConfig, RenderConfig, ValuesConfig};
use crate::error::Error;
use crate::output::{Changes, SUMS, write_tree};
use crate::pipeline::Pipeline;
use crate::redact::Redactor;
use crate::source::display_path;
use crate::tooling;
use crate::values::{DottedPath, LayerKind};

/// Runs a validated action.
pub fn run(action: Action) -> Result<(), Error> {
    match action {
        Action::Render(config) => render(config),
        Action::Values(config) => values(&config),
        Action::Init { dir, force } => tooling::init(&dir, force),
        Action::Docs { project, charts, mode } => tooling::docs(&project, &charts, mode),
        Action::Schema { project, mode } => tooling::schema(&project, mode),
        Action::Completions(shell) => tooling::completions(shell),
        Action::Man { out } => tooling::man(out.as_deref()),
        Action::Watch(config) => crate::watch::run(config),
        Action::Check(config) => crate::ci::check(config),
        Action::Diff(config) => crate::ci::diff(config),
        Action::Rules => crate::ci::rules(),
        Action::NewChart { project, name } => tooling::new_chart(&project, &name),
        Action::Graph(config) => graph(&config),
    }
}

fn render(config: RenderConfig) -> Result<(), Error> {
    let pipeline = Pipeline::compile(config.project)?;
    let checked = pipeline.render_checked_all(&config.envs, &config.overrides, &config.out)?;
    // The process ends after this command: freeing the compiled schemas and
    // templates one allocation at a time would only delay the exit.
    std::mem::forget(pipeline);
    let (rendered, reports): (Vec<_>, Vec<_>) = checked.into_iter().unzip();
    crate::ci::print_findings(&reports, config.annotations);
    crate::ci::fail_on_findings(&reports, config.strict, "nothing was written")?;
    if config.destination == Destination::Stdout {
        // Everything is rendered before the first byte is printed: a failure
        // leaves stdout empty, which the Argo CD plugin relies on.
        return write_stdout(&rendered[0].stream());
    }
    let sums = config.destination == (Destination::Files { sums: true });
    let sums_path = config.out.join(SUMS);
    let had_sums = sums_path.is_file();
    let changes = write_tree(&config.out, &rendered, sums, config.lock_wait)?;
    for (env, changes) in rendered.iter().zip(changes) {
        eprintln!(
            "{:>10} {} → {} ({} files{})",
            "rendered",
            env.name,
            display_path(&config.out.join(&env.name)),
            env.files.len(),
            summary(&changes)
        );
    }
    if sums || had_sums {
        eprintln!("{:>10} {}", if sums { "wrote" } else { "updated" }, display_path(&sums_path));
    }
    Ok(())
}

/// `graph`: each environment rendered, its objects and references drawn.
fn graph(config: &GraphConfig) -> Result<(), Error> {
    let pipeline = Pipeline::compile(config.project.clone())?;
    let mut text = String::new();
    for (graph, redactor) in crate::graph::environments(&pipeline, &config.envs, &config.overrides)? {
        let drawn = match config.format {
            GraphFormat::Mermaid => crate::graph::mermaid::render(&graph),
            GraphFormat::Markdown => crate::graph::mermaid::markdown(&graph),
            GraphFormat::Svg => crate::graph::svg::render(&graph),
        };
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&redactor.text(&drawn));
    }
    match &config.output {
        None => write_stdout(&text),
        Some(path) => {
            std::fs::write(path, &text).map_err(|source| Error::Write { path: path.clone(), source })?;
            eprintln!("{:>10} {}", "wrote", display_path(path));
            Ok(())
        }
    }
}

fn summary(changes: &Changes) -> String {
    if changes.is_empty() {
        return ", unchanged".to_string();
    }
    let parts: Vec<String> =
        [("added", changes.added.len()), ("changed", changes.changed.len()), ("removed", changes.removed.len())]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(what, n)| format!("{n} {what}"))
            .collect();
    format!(": {}", parts.join(", "))
}

fn values(config: &ValuesConfig) -> Result<(), Error> {
    let pipeline = Pipeline::compile(config.project.clone())?;
    let (values, _) = pipeline.values(&config.env, &config.overrides)?;
    let redactor = pipeline.redactor(&values);
    let text = if config.explain {
        match config.format {
            Format::Toml => explain(&values, &redactor),
            Format::Json => explain_json(&values, &redactor),
        }
    } else {
        let tree = redactor.tree(&values.tree);
        match config.format {
            Format::Json => serde_json::to_string_pretty(&tree).expect("JSON values serialise") + "\n",
            Format::Toml => toml::to_string(&tree).expect("values read from TOML serialise back"),
        }
    };
    write_stdout(&text)
}

/// `key = value  # file:line` for every leaf, aligned; sensitive values masked.
fn explain(values: &crate::values::Values, redactor: &Redactor) -> String {
    let masked = crate::values::Values { tree: redactor.tree(&values.tree), ..crate::values::Values::default() };
    let rows: Vec<(String, String)> = values
        .leaves()
        .map(|(path, value, layer, origin)| {
            let shown = masked.get(path).unwrap_or(value);
            let assignment = format!("{} = {}", DottedPath(path), serde_json::to_string(shown).unwrap_or_default());
            let from = if layer.kind == LayerKind::Set {
                format!("--set {}", redactor.layer_text(&layer.source))
            } else {
                format!("{}:{}", layer.source.name, layer.source.line_col(origin.key.start).0)
            };
            (assignment, from)
        })
        .collect();
    let width = rows.iter().map(|(a, _)| a.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (assignment, from) in rows {
        let _ = writeln!(out, "{assignment:<width$}  # {from}");
    }
    out
}

/// `--explain --format json`: an array of `{key, value, source}`, one per
/// leaf in key order, where `source` is `{file, line}` or `{set}`; sensitive values masked.
fn explain_json(values: &crate::values::Values, redactor: &Redactor) -> String {
    let masked = crate::values::Values { tree: redactor.tree(&values.tree), ..crate::values::Values::default() };
    let rows: Vec<serde_json::Value> = values
        .leaves()
        .map(|(path, value, layer, origin)| {
            let source = if layer.kind == LayerKind::Set {
                serde_json::json!({ "set": redactor.layer_text(&layer.source) })
            } else {
                serde_json::json!({
                    "file": layer.source.name,
                    "line": layer.source.line_col(origin.key.start).0,
                })
            };
            serde_json::json!({
                "key": DottedPath(path).to_string(),
                "value": masked.get(path).unwrap_or(value),
                "source": source,
            })
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("JSON values serialise") + "\n"
}

/// Writes to stdout, treating a closed pipe (`| head`) as success.
pub(crate) fn write_stdout(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Write { path: "<stdout>".into(), source: err })
        }
        _ => Ok(()),
    }
}
