//! The generated files of a project: `pgrender docs` (each chart's values
//! reference in its README) and `pgrender schema` (the environment-file
//! schema for editors), printed, written or checked.

use std::fmt::Write as _;
use std::path::Path;

use crate::cli::terminal::{status, write_stdout};
use crate::docs;
use crate::editor_schema;
use crate::error::Error;
use crate::generated::{self, Mode, Outcome};
use crate::project::{Chart, Project};
use crate::schema::Schema;
use crate::source::{display_path, parse_toml};

/// `docs`: each chart's values reference, printed, written into its README, or checked.
pub fn docs(project: &Project, charts: &[Chart], mode: Mode) -> Result<(), Error> {
    let mut printed = String::new();
    let mut stale = Vec::new();
    for chart in charts {
        let schema = Schema::compile(chart.confine.read(&chart.schema)?)?;
        let section = docs::reference(&schema.doc, &chart_defaults(chart)?, &relative(project, &chart.schema));
        if mode == Mode::Print {
            if charts.len() > 1 {
                let _ = write!(printed, "## {}\n\n", chart.meta.name);
            }
            printed.push_str(&section);
            continue;
        }
        // Read and written where its links lead, which must be inside the project.
        let readme = chart.confine.resolve(&chart.dir.join("README.md"))?;
        let old = std::fs::read_to_string(&readme)
            .unwrap_or_else(|_| docs::new_readme(&chart.meta.name, &chart.meta.description));
        let text = docs::splice(&old, &section);
        let fix = format!("pgrender docs --write --chart {}", chart.meta.name);
        finish(mode, &readme, &text, &fix, &mut stale)?;
    }
    if mode == Mode::Print {
        return write_stdout(&printed);
    }
    Error::collect(stale).map_or(Ok(()), Err)
}

/// `schema`: the environment-file schema, printed, written or checked.
pub fn schema(project: &Project, mode: Mode) -> Result<(), Error> {
    let text = editor_schema::environment_file_schema(project)?;
    if mode == Mode::Print {
        return write_stdout(&text);
    }
    let mut stale = Vec::new();
    let path = project.confine.resolve(&project.root.join(editor_schema::PATH))?;
    finish(mode, &path, &text, "pgrender schema --write", &mut stale)?;
    Error::collect(stale).map_or(Ok(()), Err)
}

/// Writes or checks one generated file, reporting what happened on stderr.
fn finish(mode: Mode, path: &Path, text: &str, fix: &str, stale: &mut Vec<Error>) -> Result<(), Error> {
    match mode {
        Mode::Write => {
            let word = match generated::write(path, text)? {
                Outcome::Written => "wrote",
                Outcome::Unchanged => "unchanged",
            };
            status(word, display_path(path));
        }
        Mode::Check => match generated::check(path, text, fix) {
            Ok(()) => status("fresh", display_path(path)),
            Err(err) => stale.push(err),
        },
        Mode::Print => {}
    }
    Ok(())
}

/// The chart's `values.toml` as JSON, for the defaults column.
fn chart_defaults(chart: &Chart) -> Result<serde_json::Value, Error> {
    let source = chart.confine.read(&chart.dir.join("values.toml"))?;
    parse_toml(&source)
}

/// `path` relative to the project root with `/` separators, so generated text
/// does not depend on where the project is checked out.
fn relative(project: &Project, path: &Path) -> String {
    let rel = path.strip_prefix(&project.root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
