//! Violations said in the user's words where the validator's own sentence
//! is schema jargon: an `anyOf`/`oneOf` names what each alternative
//! accepts, an `enum` lists every candidate and the one probably meant.

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::Schema;
use crate::error::did_you_mean;

/// A violation's sentence, caret label and hint.
pub struct Words {
    /// The sentence; it holds the instance as JSON, so masking can find it.
    pub message: String,
    /// Short "expected …" text for the caret.
    pub expected: String,
    /// A suggestion, e.g. the candidate a misspelt value probably meant.
    pub help: Option<String>,
}

impl Schema {
    /// `kind`'s violation by `instance` in the user's words, when the
    /// validator's are not; `schema_path` points at the failing keyword.
    pub(super) fn words(&self, kind: &ValidationErrorKind, schema_path: &str, instance: &Value) -> Option<Words> {
        match kind {
            ValidationErrorKind::Enum { options } => {
                let candidates = options.as_array()?;
                let listed = list(candidates.iter().map(Value::to_string).collect(), "or");
                let help = instance.as_str().and_then(|s| closest(s, candidates)).map(|c| format!("did you mean {c}?"));
                Some(Words {
                    message: format!("{instance} is not one of {listed}"),
                    expected: format!("expected one of {listed}"),
                    help,
                })
            }
            ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
                let alternatives = self.doc.pointer(schema_path)?.as_array()?;
                let described = list(alternatives.iter().map(|a| self.describe(a)).collect(), "or");
                Some(Words {
                    message: format!("expected {described}, found {instance}"),
                    expected: format!("expected {described}"),
                    help: None,
                })
            }
            ValidationErrorKind::Constant { expected_value } => Some(Words {
                message: format!("expected {expected_value}, found {instance}"),
                expected: format!("expected {expected_value}"),
                help: None,
            }),
            _ => None,
        }
    }

    /// What a subschema accepts, in a few words: `""`, its own short
    /// description (`a DNS subdomain (…)`), `a string matching /…/`, `an integer`.
    fn describe(&self, node: &Value) -> String {
        let raw = node;
        let Some(node) = self.deref(node) else { return "a value matching the schema".to_string() };
        if let Some(value) = node.get("const") {
            return value.to_string();
        }
        let description = raw.get("description").or_else(|| node.get("description")).and_then(Value::as_str);
        if let Some(text) = description.filter(|d| d.len() <= 100 && !d.contains('\n')) {
            let mut chars = text.trim_end_matches('.').chars();
            let first = chars.next().map(|c| c.to_lowercase().to_string()).unwrap_or_default();
            return first + chars.as_str();
        }
        if let Some(options) = node.get("enum").and_then(Value::as_array) {
            return format!("one of {}", list(options.iter().map(Value::to_string).collect(), "or"));
        }
        let kind = match node.get("type") {
            Some(Value::String(t)) => article(t),
            Some(Value::Array(ts)) => list(ts.iter().filter_map(Value::as_str).map(article).collect(), "or"),
            _ => return "a value matching the schema".to_string(),
        };
        match node.get("pattern").and_then(Value::as_str) {
            Some(pattern) => format!("{kind} matching /{pattern}/"),
            None => kind,
        }
    }
}

/// A JSON Schema type with its article: `a string`, `an integer`, `null`.
fn article(kind: &str) -> String {
    match kind {
        "null" => "null".to_string(),
        "integer" | "array" | "object" => format!("an {kind}"),
        other => format!("a {other}"),
    }
}

/// `a, b or c`.
fn list(mut items: Vec<String>, last: &str) -> String {
    match items.len() {
        0 => String::new(),
        1 => items.remove(0),
        n => {
            let tail = items.remove(n - 1);
            format!("{} {last} {tail}", items.join(", "))
        }
    }
}

/// The candidate `value` probably meant: the same up to case, else a close spelling.
fn closest(value: &str, candidates: &[Value]) -> Option<String> {
    let names: Vec<&str> = candidates.iter().filter_map(Value::as_str).collect();
    let lower = value.to_lowercase();
    let found = names
        .iter()
        .find(|c| c.to_lowercase() == lower)
        .map(|c| (*c).to_string())
        .or_else(|| did_you_mean(&lower, names.iter().copied()))?;
    Some(Value::String(found).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ViolationKind;
    use crate::source::Source;
    use serde_json::json;

    fn violation(schema: &Value, instance: &Value) -> ViolationKind {
        let s = Schema::compile(Source::new("s.json", schema.to_string())).unwrap();
        s.violations(instance).unwrap().remove(0).kind
    }

    #[test]
    fn enums_list_every_candidate_and_the_one_meant() {
        let schema = json!({"properties": {"p": {"enum": ["k3d", "eks", "gke", "aks"]}}});
        let ViolationKind::Invalid { message, help, .. } = violation(&schema, &json!({"p": "EKS"})) else { panic!() };
        assert_eq!(message, r#""EKS" is not one of "k3d", "eks", "gke" or "aks""#);
        assert_eq!(help.as_deref(), Some(r#"did you mean "eks"?"#));
    }

    #[test]
    fn any_of_says_what_each_alternative_accepts() {
        let schema = json!({"properties": {"c": {"anyOf": [{"const": ""}, {"$ref": "#/$defs/name"}]}},
            "$defs": {"name": {"type": "string", "pattern": "^[a-z]+$"}}});
        let ViolationKind::Invalid { message, expected, .. } = violation(&schema, &json!({"c": 3})) else { panic!() };
        assert_eq!(message, r#"expected "" or a string matching /^[a-z]+$/, found 3"#);
        assert_eq!(expected, r#"expected "" or a string matching /^[a-z]+$/"#);
    }
}
