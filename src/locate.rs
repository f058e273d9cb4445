//! Turns schema violations into diagnostics that point at the layer and
//! the key or value that caused them: the unknown key itself, the wrong
//! value, or the table a required key is missing from.

use crate::diagnostic::{Diagnostic, shortened};
use crate::error::did_you_mean;
use crate::schema::{Schema, Violation, ViolationKind};
use crate::values::{DottedPath, KeyPath, LayerKind, Seg, Values};

/// Characters of a key path quoted in a message.
const MAX_PATH: usize = 200;

/// A diagnostic for `violation`, found under `prefix` of the merged values.
/// `schema` answers which keys are allowed and what a key means; `None`
/// for keys no schema governs.
pub fn violation_diagnostic(
    values: &Values,
    schema: Option<&Schema>,
    prefix: &[Seg],
    violation: &Violation,
) -> Diagnostic {
    let mut path: KeyPath = prefix.to_vec();
    path.extend(violation.path.iter().cloned());
    // Keys and values come from the input: a key may be megabytes long.
    let dotted = shortened(&DottedPath(&path), MAX_PATH);
    let (mut diagnostic, on_key, label) = match &violation.kind {
        ViolationKind::UnknownKey => {
            let mut d = Diagnostic::error(format!("unknown key `{dotted}`"));
            let (parent, key) = violation.path.split_at(violation.path.len().saturating_sub(1));
            let allowed = schema.map(|s| s.property_names(parent)).unwrap_or_default();
            let suggestion = match key {
                [Seg::Key(key)] => did_you_mean(key, allowed.iter().map(String::as_str)),
                _ => None,
            };
            if let Some(s) = suggestion {
                d = d.help(format!("did you mean `{s}`?"));
            } else if !allowed.is_empty() {
                d = d.note(format!("allowed keys here: {}", allowed.join(", ")));
            }
            (d, true, "not in the schema".to_string())
        }
        ViolationKind::MissingKey(key) => (
            Diagnostic::error(format!(
                "missing required key `{key}` in {}",
                if path.is_empty() { "the values".to_string() } else { format!("`{dotted}`") }
            )),
            true,
            format!("`{key}` must be set here or in a lower layer"),
        ),
        ViolationKind::Invalid { message, expected, help } => {
            let mut d = Diagnostic::error(format!("`{dotted}`: {message}"));
            if let Some(help) = help {
                d = d.help(help.clone());
            }
            (d, false, expected.clone())
        }
    };
    if let Some(description) = schema.and_then(|s| s.description(&violation.path)) {
        diagnostic = diagnostic.note(format!("`{dotted}`: {description}"));
    }
    match values.origin(&path) {
        Some((layer, origin)) => {
            let span = if on_key || origin.value.is_empty() { origin.key.clone() } else { origin.value.clone() };
            if layer.kind == LayerKind::Set {
                diagnostic = diagnostic.note(format!("set by --set {}", layer.source.text));
            }
            diagnostic.at(&layer.source, span, label)
        }
        None => diagnostic.note(label),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    #[test]
    fn points_at_the_unknown_key_in_the_layer_that_wrote_it() {
        let schema = Schema::compile(Source::new(
            "s.json",
            r#"{"type":"object","additionalProperties":false,"properties":{"replicas":{"type":"integer"}}}"#,
        ))
        .unwrap();
        let mut values = Values::default();
        values
            .apply_toml(LayerKind::Chart("pg".into()), Source::new("values.toml", "replicas = 1\n"), &["pg"])
            .unwrap();
        values.apply_toml(LayerKind::Environment, Source::new("eks.toml", "[pg]\nreplicsa = 2\n"), &[]).unwrap();
        let instance = serde_json::Value::Object(values.tree["pg"].as_object().unwrap().clone());
        let violations = schema.violations(&instance).unwrap();
        let d = violation_diagnostic(&values, Some(&schema), &[Seg::Key("pg".into())], &violations[0]);
        assert_eq!(d.location().as_deref(), Some("eks.toml:2:1"));
        assert_eq!(d.help.as_deref(), Some("did you mean `replicas`?"));
    }
}
