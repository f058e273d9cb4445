//! `pgrender graph`: each environment rendered, its objects and the
//! references between them drawn as Mermaid, Markdown or SVG.

use crate::cli::args::GraphFormat;
use crate::cli::config::GraphConfig;
use crate::cli::terminal::{status, write_stdout};
use crate::error::Error;
use crate::pipeline::Pipeline;
use crate::source::display_path;

/// `graph`: each environment rendered, its objects and references drawn.
pub fn run(config: &GraphConfig) -> Result<(), Error> {
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
            status("wrote", display_path(path));
            Ok(())
        }
    }
}
