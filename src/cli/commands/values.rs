//! `pgrender values`: one environment's merged values as TOML or JSON, or
//! with `--explain` every key with the file and line that set it;
//! sensitive values masked.

use std::fmt::Write as _;

use crate::cli::args::Format;
use crate::cli::config::ValuesConfig;
use crate::cli::terminal::write_stdout;
use crate::error::Error;
use crate::pipeline::Pipeline;
use crate::redact::Redactor;
use crate::values::{DottedPath, LayerKind};

/// Prints the merged values as `config` asks.
pub fn run(config: &ValuesConfig) -> Result<(), Error> {
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
