//! Masking of sensitive values wherever pgrender shows values to a person:
//! `values` output, `--explain`, error messages and source snippets. A
//! schema marks a value sensitive with `writeOnly: true` or
//! `x-sensitive: true`; a [`Redactor`] built from the merged values then
//! replaces the values at those paths with `***` in trees and messages, and
//! masks them in snippets with `*` of the same byte length (so carets still
//! line up). Anything that prints rendered output (watch, diff) should pass
//! through one.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Label};
use crate::source::{Source, SourceRef};
use crate::values::{KeyPath, Seg, Values};

/// What a sensitive value is shown as.
pub const MASK: &str = "***";

/// One step of a sensitive-path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A named property.
    Key(String),
    /// Any property (`additionalProperties`).
    AnyKey,
    /// Any array item (`items`).
    AnyIndex,
}

/// The patterns of every value `schema` marks sensitive, below `prefix`.
pub fn sensitive_patterns(schema: &Value, prefix: &[Step]) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    walk(schema, schema, &mut prefix.to_vec(), &mut out, 0);
    out
}

fn walk(root: &Value, node: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>, depth: usize) {
    // Bounded: a recursive `$ref` must not loop.
    if depth > 32 {
        return;
    }
    let node = match node.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => root.pointer(pointer).unwrap_or(node),
        None => node,
    };
    let flag = |k: &str| node.get(k).and_then(Value::as_bool).unwrap_or(false);
    if flag("writeOnly") || flag("x-sensitive") {
        out.push(path.clone());
        return;
    }
    let mut child = |step: Step, sub: &Value| {
        path.push(step);
        walk(root, sub, path, out, depth + 1);
        path.pop();
    };
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (key, sub) in props {
            child(Step::Key(key.clone()), sub);
        }
    }
    if let Some(sub) = node.get("additionalProperties").filter(|v| v.is_object()) {
        child(Step::AnyKey, sub);
    }
    if let Some(sub) = node.get("items").filter(|v| v.is_object()) {
        child(Step::AnyIndex, sub);
    }
}

fn matches(pattern: &[Step], path: &[Seg]) -> bool {
    pattern.len() <= path.len()
        && pattern.iter().zip(path).all(|(step, seg)| match (step, seg) {
            (Step::Key(k), Seg::Key(s)) => k == s,
            (Step::AnyKey, Seg::Key(_)) | (Step::AnyIndex, Seg::Index(_)) => true,
            _ => false,
        })
}

/// Masks the sensitive values of one merged values tree.
///
/// Where a value's path is known — the values tree, the layer files and
/// `--set` flags it came from, schema messages about it — exactly the values
/// at sensitive paths are masked, whatever they equal. Rendered output
/// carries no paths, so there the sensitive values are found by their text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    patterns: Vec<Vec<Step>>,
    /// Each value layer with the spans of the sensitive values it sets.
    layers: Vec<(SourceRef, Vec<Range<usize>>)>,
    /// Texts to hide in rendered output, longest first, so a secret containing another is masked whole.
    secrets: Vec<String>,
    /// Finds every secret in one pass over a text, however many there are;
    /// built on first use, as most redactors never mask anything.
    matcher: OnceLock<AhoCorasick>,
}

impl PartialEq for Redactor {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns && self.layers == other.layers && self.secrets == other.secrets
    }
}

impl Eq for Redactor {}

impl Redactor {
    /// A redactor for `values`, hiding what `patterns` mark sensitive.
    pub fn new(values: &Values, patterns: Vec<Vec<Step>>) -> Redactor {
        let mut layers: Vec<(SourceRef, Vec<Range<usize>>)> =
            values.layers.iter().map(|l| (l.source.clone(), Vec::new())).collect();
        let mut secrets = Vec::new();
        for (path, origin) in values.origins.iter().filter(|(p, _)| patterns.iter().any(|pat| matches(pat, p))) {
            collect_texts(values.get(path), &mut secrets);
            if let Some((source, spans)) = layers.get_mut(origin.layer) {
                if !origin.value.is_empty() {
                    spans.push(origin.value.clone());
                }
                secrets.extend(source.text.get(origin.value.clone()).map(str::to_string));
            }
        }
        // An empty secret has nothing to hide, and masking every `""` would
        // hide unrelated empty strings instead.
        secrets.retain(|s| !matches!(s.as_str(), "" | "\"\"" | "''"));
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Redactor { patterns, layers, secrets, matcher: OnceLock::new() }
    }

    fn matcher(&self) -> &AhoCorasick {
        self.matcher.get_or_init(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&self.secrets)
                .expect("a handful of literal secrets always builds")
        })
    }

    /// Whether the value at `path` is sensitive.
    pub fn is_sensitive(&self, path: &[Seg]) -> bool {
        self.patterns.iter().any(|p| matches(p, path))
    }

    /// Rendered `text` with every sensitive value's text replaced by `***`.
    pub fn text(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_string();
        }
        replace_whole(text, self.matcher(), |_| MASK.to_string())
    }

    /// A copy of `tree` with every sensitive value replaced by `"***"`.
    pub fn tree(&self, tree: &Map<String, Value>) -> Map<String, Value> {
        let mut out = tree.clone();
        let mut path = Vec::new();
        for (key, value) in &mut out {
            path.push(Seg::Key(key.clone()));
            self.mask_value(value, &mut path);
            path.pop();
        }
        out
    }

    fn mask_value(&self, value: &mut Value, path: &mut KeyPath) {
        if self.is_sensitive(path) {
            *value = Value::from(MASK);
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    path.push(Seg::Key(key.clone()));
                    self.mask_value(v, path);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    path.push(Seg::Index(i));
                    self.mask_value(v, path);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// `values` as it may be shown: sensitive values masked in the tree and,
    /// with `*` of the same width, in every layer's text, so spans still point
    /// at the same place.
    pub fn values(&self, values: &Values) -> Values {
        let mut shown = values.clone();
        shown.tree = self.tree(&values.tree);
        for layer in &mut shown.layers {
            layer.source = self.source(&layer.source);
        }
        shown
    }

    /// A validator's `message` about the value at `path` of `values`, with the
    /// sensitive values in it (the value itself or any below it) masked.
    pub fn message(&self, values: &Values, path: &[Seg], message: &str) -> String {
        let Some(value) = values.get(path) else { return message.to_string() };
        let mut masked = value.clone();
        self.mask_value(&mut masked, &mut path.to_vec());
        if masked == *value {
            return message.to_string();
        }
        let shown = message.replace(&value.to_string(), &masked.to_string());
        if shown == message {
            // The validator wrote the value some other way: say nothing of it.
            return format!(
                "{} value does not match the schema",
                if self.is_sensitive(path) { "the sensitive" } else { "the" }
            );
        }
        shown
    }

    /// A diagnostic with sensitive values masked in its texts and snippet.
    pub fn diagnostic(&self, d: Diagnostic) -> Diagnostic {
        self.diagnostics(vec![d]).pop().expect("one in, one out")
    }

    /// Diagnostics with sensitive values masked; each source they point
    /// into is masked once, however many of them point into it.
    pub fn diagnostics(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        if self.secrets.is_empty() {
            return diagnostics;
        }
        let mut masked: HashMap<*const Source, SourceRef> = HashMap::new();
        diagnostics
            .into_iter()
            .map(|mut d| {
                d.message = self.text(&d.message);
                d.notes = d.notes.iter().map(|n| self.text(n)).collect();
                d.help = d.help.map(|h| self.text(&h));
                d.label = d.label.map(|label| Label {
                    source: masked
                        .entry(Arc::as_ptr(&label.source))
                        .or_insert_with(|| self.source(&label.source))
                        .clone(),
                    span: label.span,
                    text: self.text(&label.text),
                });
                d
            })
            .collect()
    }

    /// `source` with sensitive values masked by as many `*`, so every offset
    /// into it still points at the same place: exactly the sensitive spans
    /// of a value layer, the sensitive values' texts in anything else.
    pub fn source(&self, source: &SourceRef) -> SourceRef {
        if let Some(spans) = self.layer_spans(source) {
            if spans.is_empty() {
                return source.clone();
            }
            // One copy however many spans; a sensitive table's span holds its values' spans.
            let mut spans = spans.to_vec();
            spans.sort_by_key(|s| s.start);
            let mut text = String::with_capacity(source.text.len());
            let mut rest = 0;
            for span in spans {
                let start = span.start.max(rest);
                let Some(secret) = source.text.get(start..span.end).filter(|s| !s.is_empty()) else { continue };
                text.push_str(&source.text[rest..start]);
                text.extend(std::iter::repeat_n('*', secret.len()));
                rest = span.end;
            }
            text.push_str(&source.text[rest..]);
            return Source::new(source.name.clone(), text);
        }
        if self.secrets.is_empty() {
            return source.clone();
        }
        Source::new(source.name.clone(), self.mask_same_width(&source.text))
    }

    /// A value layer's text (a `--set` flag, above all) with its sensitive values replaced by `***`.
    pub fn layer_text(&self, source: &SourceRef) -> String {
        let Some(spans) = self.layer_spans(source) else { return source.text.clone() };
        let mut spans = spans.to_vec();
        spans.sort_by_key(|s| std::cmp::Reverse(s.start));
        let mut text = source.text.clone();
        for span in spans {
            if text.get(span.clone()).is_some() {
                text.replace_range(span, MASK);
            }
        }
        text
    }

    /// The sensitive spans of `source` if it is one of the value layers.
    fn layer_spans(&self, source: &SourceRef) -> Option<&[Range<usize>]> {
        self.layers
            .iter()
            .find(|(layer, _)| Arc::ptr_eq(layer, source) || layer == source)
            .map(|(_, spans)| spans.as_slice())
    }

    /// An error from rendering (templates, output), its diagnostics masked.
    pub fn error(&self, err: crate::error::Error) -> crate::error::Error {
        if self.secrets.is_empty() {
            return err;
        }
        match err {
            crate::error::Error::Values(mut problems) => {
                problems.shown = self.diagnostics(problems.shown);
                crate::error::Error::Values(problems)
            }
            err => crate::error::Error::Reported(self.diagnostics(err.diagnostics())),
        }
    }

    /// Masks with `*` of the same byte length, so spans into `text` stay valid.
    fn mask_same_width(&self, text: &str) -> String {
        replace_whole(text, self.matcher(), |secret| "*".repeat(secret.len()))
    }
}

/// `text` with each secret `matcher` finds that is not part of a longer
/// word replaced by `with(secret)`: a secret `x` is masked where it stands
/// alone, never inside `exist`. One pass over `text`, however many secrets.
fn replace_whole(text: &str, matcher: &AhoCorasick, with: impl Fn(&str) -> String) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for found in matcher.find_iter(text) {
        let (at, end) = (found.start(), found.end());
        let secret = &text[at..end];
        if (word(secret.chars().next()) && word(text[..at].chars().next_back()))
            || (word(secret.chars().next_back()) && word(text[end..].chars().next()))
        {
            continue;
        }
        out.push_str(&text[rest..at]);
        out.push_str(&with(secret));
        rest = end;
    }
    out.push_str(&text[rest..]);
    out
}

/// The texts a value can appear as: the string itself, its JSON form, and
/// the text of numbers and booleans; recursing into collections.
fn collect_texts(value: Option<&Value>, out: &mut Vec<String>) {
    match value {
        Some(Value::String(s)) => {
            out.push(s.clone());
            out.push(Value::String(s.clone()).to_string());
        }
        Some(Value::Array(items)) => items.iter().for_each(|v| collect_texts(Some(v), out)),
        Some(Value::Object(map)) => map.values().for_each(|v| collect_texts(Some(v), out)),
        Some(Value::Null) | None => {}
        Some(other) => out.push(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::LayerKind;
    use serde_json::json;

    fn setup() -> (Values, Redactor) {
        let schema = json!({"properties": {
            "password": {"type": "string", "writeOnly": true},
            "users": {"type": "array", "items": {"properties": {"token": {"x-sensitive": true}}}},
            "name": {"type": "string"}
        }});
        let mut values = Values::default();
        let text = "name = \"db\"\npassword = \"hunter2\"\n[[users]]\ntoken = \"tok-1\"\n";
        values.apply_toml(LayerKind::Chart("pg".into()), Source::new("values.toml", text), &["pg"]).unwrap();
        let patterns = sensitive_patterns(&schema, &[Step::Key("pg".into())]);
        let redactor = Redactor::new(&values, patterns);
        (values, redactor)
    }

    #[test]
    fn trees_show_stars_for_sensitive_values_only() {
        let (values, r) = setup();
        let masked = Value::Object(r.tree(&values.tree));
        assert_eq!(masked, json!({"pg": {"name": "db", "password": MASK, "users": [{"token": MASK}]}}));
    }

    #[test]
    fn messages_and_snippets_never_show_a_secret() {
        let (values, r) = setup();
        let (layer, origin) = values.origin(&[Seg::Key("pg".into()), Seg::Key("password".into())]).unwrap();
        let d = Diagnostic::error("\"hunter2\" is not of type integer").at(&layer.source, origin.value.clone(), "here");
        let shown = r.diagnostic(d).render(false);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("password = *********"), "{shown}");
        assert!(shown.contains("*** is not of type integer"), "{shown}");
        assert_eq!(r.text("token tok-1 and name db"), "token *** and name db");
    }

    #[test]
    fn rendered_text_masks_a_secret_only_where_it_stands_alone() {
        let whole = |text: &str, secret: &str, with: &str| {
            replace_whole(text, &AhoCorasick::new([secret]).unwrap(), |_| with.to_string())
        };
        assert_eq!(whole("x: exist x\n", "x", "*"), "*: exist *\n");
        assert_eq!(whole("a\"b\"a", "\"b\"", "***"), "a***a");
        assert_eq!(whole("aaa", "aa", "*"), "aaa");
    }

    #[test]
    fn layers_are_masked_by_path_not_by_equal_values() {
        let schema = json!({"properties": {"password": {"writeOnly": true}, "size": {"type": "string"}}});
        let mut values = Values::default();
        let text = "password = \"\"\nsize = \"\"\n";
        values.apply_toml(LayerKind::Environment, Source::new("eks.toml", text), &[]).unwrap();
        let r = Redactor::new(&values, sensitive_patterns(&schema, &[]));
        let shown = r.values(&values);
        assert_eq!(shown.layers[0].source.text, "password = **\nsize = \"\"\n");
        let size = [Seg::Key("size".into())];
        assert_eq!(r.message(&values, &size, "\"\" is too short"), "\"\" is too short");
        let password = [Seg::Key("password".into())];
        assert_eq!(r.message(&values, &password, "\"\" is too short"), "\"***\" is too short");
        assert_eq!(r.text("size: \"\""), "size: \"\"");
    }

    #[test]
    fn diagnostics_into_one_source_share_one_masked_copy() {
        let (values, r) = setup();
        let source = values.layers[0].source.clone();
        let d = |span| Diagnostic::error("e").at(&source, span, "here");
        let masked = r.diagnostics(vec![d(0..4), d(12..20), d(30..35)]);
        let labels: Vec<_> = masked.iter().map(|d| d.label.as_ref().unwrap().source.clone()).collect();
        assert!(!labels[0].text.contains("hunter2") && !labels[0].text.contains("tok-1"), "{}", labels[0].text);
        assert!(labels.iter().all(|l| Arc::ptr_eq(l, &labels[0])));
    }
}
