//! Findings for machines: JSON, SARIF 2.1.0 (GitHub code scanning) and
//! GitHub Actions workflow annotations.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::rules::{ALL, Rule};
use super::{EnvReport, Finding};
use crate::diagnostic::Severity;

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

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Findings as a JSON array, one object per finding.
pub fn json(reports: &[EnvReport]) -> String {
    let items: Vec<Value> = located(reports)
        .iter()
        .map(|l| {
            json!({
                "environment": l.env,
                "rule": l.finding.rule.id,
                "severity": severity_name(l.finding.severity),
                "message": l.finding.message,
                "file": l.file,
                "line": l.line,
                "column": l.column,
                "object": l.finding.object,
                "field": l.finding.field,
                "template": l.template,
                "help": l.finding.help,
                "related": l.related.map(|(file, line, column)| json!({ "file": file, "line": line, "column": column })),
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).expect("findings serialise") + "\n"
}

fn sarif_rule(rule: &Rule) -> Value {
    json!({
        "id": rule.id,
        "name": rule.title,
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": rule.rationale },
        "defaultConfiguration": { "level": severity_name(rule.severity) },
    })
}

/// Findings as a SARIF 2.1.0 log, for GitHub code scanning.
pub fn sarif(reports: &[EnvReport]) -> String {
    let results: Vec<Value> = located(reports)
        .iter()
        .map(|l| {
            let index = ALL.iter().position(|r| r.id == l.finding.rule.id).unwrap_or(0);
            let mut text = format!("{} ({} in environment {})", l.finding.message, l.finding.object, l.env);
            if let Some(help) = &l.finding.help {
                text = format!("{text}. {help}");
            }
            let mut result = json!({
                "ruleId": l.finding.rule.id,
                "ruleIndex": index,
                "level": severity_name(l.finding.severity),
                "message": { "text": text },
            });
            if let Some(file) = l.file {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file },
                        "region": { "startLine": l.line, "startColumn": l.column },
                    }
                }]);
            }
            if let Some((file, line, column)) = l.related {
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
                "rules": ALL.iter().map(|r| sarif_rule(r)).collect::<Vec<_>>(),
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
