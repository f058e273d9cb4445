//! `pgrender new chart NAME`: a chart that renders and passes the checks as
//! soon as it is added (a Namespace, a Deployment and a Service in the next
//! numbered folder, its schema and values reference), registered in
//! `pgrender.toml` and given a table in each environment file. Edits keep
//! the files' comments and layout; the whole change is made or none of it.

mod write;

use std::path::Path;

use include_dir::{Dir, include_dir};

use crate::docs;
use crate::environment::KEY as ENVIRONMENT_KEY;
use crate::error::{Error, UsageError};
use crate::project::{PROJECT_FILE, Project};
use crate::source::SourceRef;

pub use write::Change;

/// The chart every `new chart` starts from; `__NAME__` and `__FOLDER__`
/// in paths and text become the chart's name and numbered folder.
static CHART: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/src/scaffold/chart");

/// Where new charts and their schemas go, relative to the project root.
const CHARTS_DIR: &str = "charts";
const SCHEMA_DIR: &str = "schema";

/// What `new chart` did, relative to the project root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// Files created.
    pub created: Vec<String>,
    /// Files edited.
    pub updated: Vec<String>,
    /// The chart's numbered folder, e.g. `5-backend`.
    pub folder: String,
}

/// Adds chart `name` to the project, all or nothing.
pub fn new_chart(project: &Project, name: &str) -> Result<Added, Error> {
    check_name(name)?;
    let folder = format!("{}-{name}", next_number(project)?);
    let mut changes = chart_files(project, name, &folder);
    check_conflicts(project, name, &changes)?;
    changes.push(register(project, name)?);
    for env in project.environment_names()? {
        changes.extend(environment_table(project, &project.environment_file(&env), name)?);
    }
    let root = &project.root;
    let rel = |c: &Change| c.path.strip_prefix(root).unwrap_or(&c.path).to_string_lossy().replace('\\', "/");
    let created = changes.iter().filter(|c| c.previous.is_none()).map(rel).collect();
    let mut updated: Vec<String> = changes.iter().filter(|c| c.previous.is_some()).map(rel).collect();
    let editor_schema = root.join(crate::editor_schema::PATH);
    write::apply(&project.confine, &changes, || {
        // The environment-file schema covers every chart: regenerated from
        // the project as it now is, or left alone when it does not use one.
        if !editor_schema.is_file() {
            return Ok(Vec::new());
        }
        let text = crate::editor_schema::environment_file_schema(&Project::load(root)?)?;
        let previous = std::fs::read_to_string(&editor_schema).ok();
        updated.push(crate::editor_schema::PATH.to_string());
        Ok(vec![Change { path: editor_schema.clone(), content: text, previous }])
    })?;
    Ok(Added { created, updated, folder })
}

/// A chart name becomes a folder, a values key, object names and a
/// namespace: an RFC 1035 label, which every one of them accepts.
fn check_name(name: &str) -> Result<(), Error> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > 63 {
        "it is longer than 63 characters"
    } else if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        "only lower-case letters, digits and `-` are allowed"
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        "it must start with a letter"
    } else if name.ends_with('-') {
        "it must not end with `-`"
    } else if name == ENVIRONMENT_KEY {
        "`environment` is the key of the [environment] table in environment files"
    } else {
        return Ok(());
    };
    Err(UsageError::BadChartName { name: name.to_string(), reason: reason.to_string() }.into())
}

/// The number after the highest numbered folder of the project's templates
/// (`4-database` → 5), so the new chart is applied after the existing ones.
fn next_number(project: &Project) -> Result<u64, Error> {
    let mut highest = 1;
    for chart in &project.charts {
        for file in chart.confine.list_files(&chart.dir.join("templates"))? {
            let top = file.split('/').next().unwrap_or_default();
            let digits = top.len() - top.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits > 0 && top.len() > digits && top[digits..].starts_with('-') {
                highest = highest.max(top[..digits].parse().unwrap_or(0));
            }
        }
    }
    Ok(highest + 1)
}

/// The chart folder, its schema and its README with the values reference.
fn chart_files(project: &Project, name: &str, folder: &str) -> Vec<Change> {
    let chart_dir = format!("{CHARTS_DIR}/{name}");
    let fill = |text: &str| text.replace("__NAME__", name).replace("__FOLDER__", folder);
    let mut files = Vec::new();
    let mut pending = vec![&CHART];
    while let Some(dir) = pending.pop() {
        pending.extend(dir.dirs());
        for file in dir.files() {
            let rel = fill(&file.path().to_string_lossy().replace('\\', "/"));
            let text = fill(file.contents_utf8().expect("the chart scaffold is UTF-8 text"));
            files.push((rel, text));
        }
    }
    files.sort();
    let schema_rel = format!("{SCHEMA_DIR}/{name}.schema.json");
    let mut changes = Vec::new();
    let (mut schema, mut values, mut description) = (None, None, String::new());
    for (rel, text) in files {
        let path = match rel.as_str() {
            "schema.json" => {
                schema = Some(text.clone());
                project.root.join(&schema_rel)
            }
            other => {
                if other == "values.toml" {
                    values = Some(text.clone());
                }
                if other == "chart.toml" {
                    description = chart_description(&text);
                }
                project.root.join(&chart_dir).join(other)
            }
        };
        changes.push(Change { path, content: text, previous: None });
    }
    let schema: serde_json::Value =
        serde_json::from_str(&schema.expect("the scaffold has a schema")).expect("the scaffold's schema is JSON");
    let defaults: serde_json::Value =
        toml::from_str(&values.expect("the scaffold has values")).expect("the scaffold's values are TOML");
    let readme = docs::splice(&docs::new_readme(name, &description), &docs::reference(&schema, &defaults, &schema_rel));
    changes.push(Change { path: project.root.join(&chart_dir).join("README.md"), content: readme, previous: None });
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

fn chart_description(chart_toml: &str) -> String {
    let meta: crate::project::ChartMeta = toml::from_str(chart_toml).expect("the scaffold's chart.toml is valid");
    meta.description
}

/// Refuses a name the project uses, files that exist, and templates that
/// would render to a path another chart renders to.
fn check_conflicts(project: &Project, name: &str, changes: &[Change]) -> Result<(), Error> {
    let conflict = |reason: String, help: &str| {
        Err(Error::ChartConflict { name: name.to_string(), reason, help: help.to_string() })
    };
    if let Some(chart) = project.charts.iter().find(|c| c.meta.name == name) {
        return conflict(
            format!("the project has a chart `{name}` already ({})", chart.rel_dir),
            "choose another name, or edit the existing chart",
        );
    }
    let root = &project.root;
    for path in [root.join(CHARTS_DIR).join(name), root.join(SCHEMA_DIR).join(format!("{name}.schema.json"))] {
        if path.symlink_metadata().is_ok() {
            let rel = path.strip_prefix(root).unwrap_or(&path).display().to_string();
            return conflict(format!("{rel} exists already"), "choose another name, or move that file away first");
        }
    }
    let templates = format!("{CHARTS_DIR}/{name}/templates/");
    for change in changes {
        let rel = change.path.strip_prefix(root).unwrap_or(&change.path).to_string_lossy().replace('\\', "/");
        let Some(template) = rel.strip_prefix(&templates).and_then(|t| t.strip_suffix(".j2")) else { continue };
        // Partials render nothing, and each chart has its own.
        if template.split('/').any(|part| part.starts_with('_')) {
            continue;
        }
        for chart in &project.charts {
            let theirs = chart.confine.list_files(&chart.dir.join("templates"))?;
            if theirs.contains(&format!("{template}.j2")) {
                return conflict(
                    format!(
                        "its template {template}.j2 would render to the same file as {}/templates/{template}.j2",
                        chart.rel_dir
                    ),
                    "choose another name",
                );
            }
        }
    }
    Ok(())
}

/// `pgrender.toml` with a `[[chart]]` entry for the new chart appended.
fn register(project: &Project, name: &str) -> Result<Change, Error> {
    let path = project.root.join(PROJECT_FILE);
    let source = project.confine.read(Path::new(PROJECT_FILE))?;
    let mut doc = parse(&source)?;
    let mut entry = toml_edit::Table::new();
    entry.insert("path", toml_edit::value(format!("{CHARTS_DIR}/{name}")));
    entry.insert("schema", toml_edit::value(format!("{SCHEMA_DIR}/{name}.schema.json")));
    let charts = doc
        .entry("chart")
        .or_insert(toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or_else(|| Error::Syntax {
            file: source.clone(),
            span: 0..0,
            message: "`chart` must be an array of tables ([[chart]])".to_string(),
        })?;
    charts.push(entry);
    Ok(Change { path, content: doc.to_string(), previous: Some(source.text.clone()) })
}

/// An environment file with an empty `[NAME]` table, where the chart's
/// values for that environment go; `None` when it has one already.
fn environment_table(project: &Project, path: &Path, name: &str) -> Result<Option<Change>, Error> {
    let source = project.confine.read(path)?;
    let mut doc = parse(&source)?;
    if doc.contains_key(name) {
        return Ok(None);
    }
    let mut table = toml_edit::Table::new();
    table.set_implicit(false);
    // Comments at the end of the file stay where they are, above the new table.
    let trailing = doc.trailing().as_str().unwrap_or_default().trim_end_matches('\n').to_string();
    doc.set_trailing("");
    let gap = if trailing.is_empty() { "\n" } else { "\n\n" };
    table.decor_mut().set_prefix(format!(
        "{trailing}{gap}# Values of the {name} chart in this environment, over charts/{name}/values.toml.\n"
    ));
    doc.insert(name, toml_edit::Item::Table(table));
    Ok(Some(Change { path: path.to_path_buf(), content: doc.to_string(), previous: Some(source.text.clone()) }))
}

fn parse(source: &SourceRef) -> Result<toml_edit::DocumentMut, Error> {
    source.text.parse::<toml_edit::DocumentMut>().map_err(|err| Error::toml_edit(source, &err))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn scaffold(path: &str) -> &'static str {
        CHART.get_file(path).and_then(|f| f.contents_utf8()).expect(path)
    }

    /// Every leaf of the values with its dotted path.
    fn leaves(value: &Value, path: &str, out: &mut Vec<(String, Value)>) {
        match value.as_object() {
            Some(map) if !map.is_empty() && path != "env" => {
                for (key, value) in map {
                    let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    leaves(value, &path, out);
                }
            }
            _ => out.push((path.to_string(), value.clone())),
        }
    }

    #[test]
    fn every_value_has_a_schema_entry_with_description_default_and_constraint() {
        let schema: Value = serde_json::from_str(scaffold("schema.json")).unwrap();
        let values: Value = toml::from_str(scaffold("values.toml")).unwrap();
        let mut found = Vec::new();
        leaves(&values, "", &mut found);
        assert!(found.len() > 10, "{found:?}");
        for (path, value) in found {
            let mut node = &schema;
            for key in path.split('.') {
                node = &node["properties"][key];
            }
            assert!(node["description"].as_str().is_some_and(|d| !d.is_empty()), "{path}: no description");
            assert_eq!(node["default"], value, "{path}: the schema's default differs from values.toml");
            let constrained = ["type", "$ref", "enum", "pattern"].iter().any(|k| node.get(k).is_some());
            assert!(constrained, "{path}: no type or constraint");
        }
    }

    #[test]
    fn names_that_cannot_name_a_chart_are_refused() {
        for good in ["backend", "a", "web-2", &"a".repeat(63)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Backend", "2web", "web-", "we_b", "web.api", "environment", &"a".repeat(64)] {
            assert!(matches!(check_name(bad), Err(Error::Usage(UsageError::BadChartName { .. }))), "{bad}");
        }
    }
}
