//! Problems for machines: JSON, SARIF 2.1.0 (GitHub code scanning) and
//! GitHub Actions workflow annotations. JSON and SARIF carry every problem a
//! check can report — findings, invalid values, failed templates, stale
//! files — each with its file and line.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::rules::{ALL, Rule};
use super::{EnvReport, Finding};
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Error;

struct Located<'a> {
    env: &'a str,
    finding: &'a Finding,
    file: Option<&'a str>,
    line: usize,
    column: usize,
    template: Option<String>,
    /// The finding's second place: file, line and column.
    related: Option<(&'a str, usize, usize)>,
}

fn located(reports: &[EnvReport]) -> Vec<Located<'_>> {
    reports
        .iter()
        .flat_map(|r| {
            r.findings.iter().map(move |f| {
                let (line, column) = f.file.map_or((1, 1), |i| r.sources[i].line_col(f.span.start));
                let template = f.file.map(|i| {
                    let line = r.template_line(f).map(|l| format!(":{l}")).unwrap_or_default();
                    format!("{}{line}", r.templates[i].0)
                });
                let related = f.related.as_ref().map(|(file, span)| {
                    let (line, column) = r.sources[*file].line_col(span.start);
                    (r.sources[*file].name.as_str(), line, column)
                });
                Located {
                    related,
                    env: &r.env,
                    finding: f,
                    file: f.file.map(|i| r.sources[i].name.as_str()),
                    line,
                    column,
                    template,
                }
            })
        })
        .collect()
}

/// One problem for the machine formats: an output-check finding, a failure
/// to validate or render an environment, or a stale committed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The environment it belongs to, when it belongs to one.
    pub environment: Option<String>,
    /// A rule ID (`PG003`) or one of [`PROBLEMS`].
    pub rule: String,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// The file it points into, as shown to the user.
    pub file: Option<String>,
    /// 1-based line in `file`.
    pub line: usize,
    /// 1-based column in `file`.
    pub column: usize,
    /// The Kubernetes object of a finding.
    pub object: Option<String>,
    /// The field of a finding.
    pub field: Option<String>,
    /// The template (and line) that rendered the file.
    pub template: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// A second place the problem involves (file, line, column), e.g. the
    /// first copy of an object rendered twice.
    pub related: Option<(String, usize, usize)>,
}

/// The kinds of problem that are not output-check findings: `(id, title, rationale)`.
pub const PROBLEMS: [(&str, &str, &str); 4] = [
    (
        INVALID_VALUES,
        "Values do not match the schema",
        "An environment's merged values are validated against the chart's JSON Schema before any template runs.",
    ),
    (
        TEMPLATE_ERROR,
        "A template failed to render",
        "A template failed to compile or render, or rendered invalid YAML.",
    ),
    (
        STALE_OUTPUT,
        "Committed manifests are stale",
        "The files on disk differ from what pgrender renders now; render and commit them.",
    ),
    (PROJECT_ERROR, "The project cannot be checked", "A project file, schema or option is invalid."),
];

/// [`Entry::rule`] of values that do not match the schema.
pub const INVALID_VALUES: &str = "invalid-values";
/// [`Entry::rule`] of a template that failed.
pub const TEMPLATE_ERROR: &str = "template-error";
/// [`Entry::rule`] of a committed file that differs from a fresh render.
pub const STALE_OUTPUT: &str = "stale-output";
/// [`Entry::rule`] of anything else that stops a check.
pub const PROJECT_ERROR: &str = "project-error";

/// Every finding of `reports` as an entry.
pub fn findings(reports: &[EnvReport]) -> Vec<Entry> {
    located(reports)
        .into_iter()
        .map(|l| Entry {
            environment: Some(l.env.to_string()),
            rule: l.finding.rule.id.to_string(),
            severity: l.finding.severity,
            message: l.finding.message.clone(),
            file: l.file.map(str::to_string),
            line: l.line,
            column: l.column,
            object: Some(l.finding.object.clone()),
            field: Some(l.finding.field.clone()),
            template: l.template,
            help: l.finding.help.clone(),
            related: l.related.map(|(file, line, column)| (file.to_string(), line, column)),
        })
        .collect()
}

/// Every diagnostic of a failed command (for `env`, when known) as an entry.
pub fn errors(env: Option<&str>, err: &Error) -> Vec<Entry> {
    if let Error::Many(all) = err {
        return all.iter().flat_map(|e| errors(env, e)).collect();
    }
    let rule = match err {
        Error::Values(_) => INVALID_VALUES,
        // Render errors reach here masked, as `Reported`.
        Error::Template { .. } | Error::Output { .. } | Error::Reported(_) => TEMPLATE_ERROR,
        _ => PROJECT_ERROR,
    };
    err.diagnostics().into_iter().map(|d| diagnostic_entry(env, rule, &d)).collect()
}

/// One diagnostic as an entry of kind `rule`.
pub fn diagnostic_entry(env: Option<&str>, rule: &str, d: &Diagnostic) -> Entry {
    let (file, line, column) = match &d.label {
        Some(label) => {
            let (line, column) = label.source.line_col(label.span.start);
            (Some(label.source.name.clone()), line, column)
        }
        None => (None, 1, 1),
    };
    let notes = d.notes.iter().map(String::as_str);
    Entry {
        environment: env.map(str::to_string),
        rule: rule.to_string(),
        severity: d.severity,
        message: d.message.clone(),
        file,
        line,
        column,
        object: None,
        field: None,
        template: None,
        related: None,
        help: d.help.clone().or_else(|| Some(notes.collect::<Vec<_>>().join("; ")).filter(|n| !n.is_empty())),
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Entries as a JSON array, one object per entry.
pub fn json(entries: &[Entry]) -> String {
    let items: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "environment": e.environment,
                "rule": e.rule,
                "severity": severity_name(e.severity),
                "message": e.message,
                "file": e.file,
                "line": e.line,
                "column": e.column,
                "object": e.object,
                "field": e.field,
                "template": e.template,
                "help": e.help,
                "related": e.related.as_ref().map(|(file, line, column)| json!({ "file": file, "line": line, "column": column })),
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).expect("entries serialise") + "\n"
}

fn sarif_rule(id: &str, title: &str, rationale: &str, severity: Severity) -> Value {
    json!({
        "id": id,
        "name": title,
        "shortDescription": { "text": title },
        "fullDescription": { "text": rationale },
        "defaultConfiguration": { "level": severity_name(severity) },
    })
}

/// Entries as a SARIF 2.1.0 log, for GitHub code scanning.
pub fn sarif(entries: &[Entry]) -> String {
    let rules: Vec<Value> = ALL
        .iter()
        .map(|r: &&Rule| sarif_rule(r.id, r.title, r.rationale, r.severity))
        .chain(PROBLEMS.iter().map(|(id, title, why)| sarif_rule(id, title, why, Severity::Error)))
        .collect();
    let ids: Vec<&str> = ALL.iter().map(|r| r.id).chain(PROBLEMS.iter().map(|p| p.0)).collect();
    let results: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut text = e.message.clone();
            match (&e.object, &e.environment) {
                (Some(object), Some(env)) => text = format!("{text} ({object} in environment {env})"),
                (None, Some(env)) => text = format!("{text} (environment {env})"),
                _ => {}
            }
            if let Some(help) = &e.help {
                text = format!("{text}. {help}");
            }
            let mut result = json!({
                "ruleId": e.rule,
                "level": severity_name(e.severity),
                "message": { "text": text },
            });
            if let Some(index) = ids.iter().position(|id| *id == e.rule) {
                result["ruleIndex"] = json!(index);
            }
            if let Some(file) = &e.file {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file },
                        "region": { "startLine": e.line, "startColumn": e.column },
                    }
                }]);
            }
            if let Some((file, line, column)) = &e.related {
                result["relatedLocations"] = json!([{
                    "id": 0,
                    "physicalLocation": {
                        "artifactLocation": { "uri": file },
                        "region": { "startLine": line, "startColumn": column },
                    }
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "pgrender",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).expect("SARIF serialises") + "\n"
}

/// GitHub Actions workflow commands (`::error file=…,line=…::message`), one line per finding.
pub fn annotations(reports: &[EnvReport]) -> String {
    let mut out = String::new();
    for l in located(reports) {
        let mut props = Vec::new();
        if let Some(file) = l.file {
            props.push(format!("file={}", escape_property(file)));
            props.push(format!("line={}", l.line));
            props.push(format!("col={}", l.column));
        }
        props.push(format!("title={}", escape_property(&format!("{} {}", l.finding.rule.id, l.finding.rule.title))));
        let message = format!("{}: {} [{}]", l.finding.object, l.finding.message, l.env);
        let _ = writeln!(out, "::{} {}::{}", severity_name(l.finding.severity), props.join(","), escape_data(&message));
    }
    out
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_text_is_escaped() {
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(escape_data("50%: x\ny"), "50%25: x%0Ay");
    }
}
