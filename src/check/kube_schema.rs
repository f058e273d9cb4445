//! Offline Kubernetes API validation: every rendered object against the
//! API schema of the environment's Kubernetes version, as strictly as
//! `kubeconform -strict`. The schemas are generated from the official
//! `OpenAPI` definitions by `scripts/gen-kube-schemas.py` and compiled in;
//! build.rs splits the bundle, and each piece is parsed on first use.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::rules::{K8S_MISSING, K8S_TYPE, K8S_UNKNOWN_FIELD, K8S_UNKNOWN_KIND, K8S_UNVALIDATED};
use super::{Finding, Object};
use crate::error::did_you_mean;
use crate::yaml::{Node, Value};

// `VERSIONS` and `SHAPES`: the bundle split by build.rs into one JSON text
// per version table and per shape, sorted by name.
include!(concat!(env!("OUT_DIR"), "/kube_schemas.rs"));

/// The compiled-in bundle, split at build time but not parsed: each
/// version's table and each shape are parsed on first use, once per process
/// (environments share them), so a run pays only for the definitions its
/// objects reach, and never for scanning the whole bundle.
struct Bundle {
    versions: BTreeMap<&'static str, LazyVersion>,
    shapes: HashMap<&'static str, LazyShape>,
}

struct LazyVersion {
    raw: &'static str,
    parsed: OnceLock<Option<KubeSchemas>>,
}

struct LazyShape {
    raw: &'static str,
    parsed: OnceLock<Json>,
}

static BUNDLE: OnceLock<Bundle> = OnceLock::new();

fn bundle() -> &'static Bundle {
    BUNDLE.get_or_init(|| Bundle {
        versions: VERSIONS.iter().map(|&(k, raw)| (k, LazyVersion { raw, parsed: OnceLock::new() })).collect(),
        shapes: SHAPES.iter().map(|&(k, raw)| (k, LazyShape { raw, parsed: OnceLock::new() })).collect(),
    })
}

/// Kubernetes versions whose schemas are compiled in, oldest first.
pub fn supported_versions() -> Vec<&'static str> {
    bundle().versions.keys().copied().collect()
}

/// One version's table: which kinds it validates and where their definitions are.
/// Its strings borrow from the compiled-in bundle (the generator writes no
/// escapes in names): copying them was most of the table's parse.
#[derive(Deserialize)]
struct VersionTable {
    #[serde(borrow)]
    kinds: BTreeMap<&'static str, &'static str>,
    #[serde(borrow)]
    builtin: Vec<&'static str>,
    #[serde(borrow)]
    defs: HashMap<&'static str, &'static str>,
}

/// The schemas of one Kubernetes version.
pub struct KubeSchemas {
    table: VersionTable,
}

impl KubeSchemas {
    /// The schemas for Kubernetes `version` (`"1.31"`), if compiled in.
    pub fn for_version(version: &str) -> Option<&'static KubeSchemas> {
        let lazy = bundle().versions.get(version)?;
        lazy.parsed.get_or_init(|| Some(KubeSchemas { table: serde_json::from_str(lazy.raw).ok()? })).as_ref()
    }

    /// The shape that definition `name` stands for.
    fn definition(&self, name: &str) -> Option<&'static Json> {
        let lazy = bundle().shapes.get(self.table.defs.get(name)?)?;
        Some(lazy.parsed.get_or_init(|| serde_json::from_str(lazy.raw).unwrap_or(Json::Null)))
    }

    /// Validates one object, adding a finding per problem.
    pub fn validate(&self, object: &Object<'_>, out: &mut Vec<Finding>) {
        let first_line = object.doc.entries().first().map_or(object.doc.span.clone(), |e| e.key_span.clone());
        let missing: Vec<&str> = [("apiVersion", object.api_version), ("kind", object.kind)]
            .into_iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(k, _)| k)
            .collect();
        for field in &missing {
            let message = format!("missing required field `{field}`");
            out.push(Finding::new(&K8S_MISSING, object, first_line.clone(), field, message));
        }
        if !missing.is_empty() {
            return;
        }
        if object.name.is_empty() && object.doc.at(&["metadata", "generateName"]).is_none() {
            let span = object.doc.entry("metadata").map_or(first_line, |e| e.key_span.clone());
            let message = "missing required field `metadata.name`".to_string();
            out.push(Finding::new(&K8S_MISSING, object, span, "metadata.name", message));
        }
        let gvk = format!("{} {}", object.api_version, object.kind);
        let Some(def) = self.table.kinds.get(gvk.as_str()) else {
            out.push(self.unknown_kind(object, &gvk));
            return;
        };
        let mut walk = Walk { schemas: self, object, out, path: Vec::new() };
        let anchor = object.doc.entry("kind").map_or(object.doc.span.clone(), |e| e.key_span.clone());
        walk.shape(&Json::String(format!("#{def}")), object.doc, &anchor);
    }

    fn unknown_kind(&self, object: &Object<'_>, gvk: &str) -> Finding {
        let span = object.doc.get("apiVersion").map_or(object.doc.span.clone(), |n| n.span.clone());
        let group = object.api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let builtin_group = !group.contains('.') || group.ends_with(".k8s.io");
        if self.table.builtin.contains(&gvk) || !builtin_group {
            let why = if builtin_group {
                "pgrender carries schemas only for the kinds a database deployment uses"
            } else {
                "a custom resource: its schema comes from a CRD that pgrender does not have"
            };
            return Finding::new(&K8S_UNVALIDATED, object, span, "", format!("{gvk} was not validated ({why})"));
        }
        let mut finding = Finding::new(
            &K8S_UNKNOWN_KIND,
            object,
            span,
            "apiVersion",
            format!("Kubernetes {} has no `{}` of apiVersion `{}`", object.version, object.kind, object.api_version),
        );
        if let Some(s) = did_you_mean(gvk, self.table.builtin.iter().copied()) {
            let (api, kind) = s.split_once(' ').unwrap_or((&s, ""));
            finding.help = Some(format!("did you mean apiVersion: {api}, kind: {kind}?"));
        }
        finding
    }
}

struct Walk<'s, 'o, 'f> {
    schemas: &'s KubeSchemas,
    object: &'o Object<'o>,
    out: &'f mut Vec<Finding>,
    path: Vec<String>,
}

impl Walk<'_, '_, '_> {
    fn field(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            if !seg.starts_with('[') && !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
        out
    }

    fn report(&mut self, rule: &'static super::rules::Rule, span: Range<usize>, message: String) {
        let field = self.field();
        self.out.push(Finding::new(rule, self.object, span, &field, message));
    }

    /// Checks `node` against `shape`; `anchor` is where to point when the node itself is missing parts.
    fn shape(&mut self, shape: &Json, node: &Node, anchor: &Range<usize>) {
        if node.value == Value::Null {
            return;
        }
        match shape {
            Json::String(s) if s.starts_with('#') => {
                let resolved = self.schemas.definition(&s[1..]);
                if let Some(resolved) = resolved {
                    self.shape(resolved, node, anchor);
                }
            }
            Json::String(s) => self.scalar(s, node),
            Json::Object(o) => {
                if let Some(items) = o.get("items") {
                    let Value::Seq(nodes) = &node.value else {
                        return self.wrong(node, "a list");
                    };
                    for (i, item) in nodes.iter().enumerate() {
                        self.path.push(format!("[{i}]"));
                        self.shape(items, item, &item.span);
                        self.path.pop();
                    }
                } else if let Some(values) = o.get("values") {
                    let Value::Map(entries) = &node.value else {
                        return self.wrong(node, "a mapping");
                    };
                    for entry in entries {
                        self.path.push(entry.key.clone());
                        self.shape(values, &entry.value, &entry.key_span);
                        self.path.pop();
                    }
                } else if let Some(Json::Array(allowed)) = o.get("enum") {
                    let ok = node.as_str().is_some_and(|s| allowed.iter().any(|a| a.as_str() == Some(s)));
                    if !ok {
                        let list: Vec<&str> = allowed.iter().filter_map(Json::as_str).collect();
                        let message = format!("`{}` must be one of: {}", self.field(), list.join(", "));
                        self.report(&K8S_TYPE, node.span.clone(), message);
                    }
                } else if let Some(Json::Object(props)) = o.get("props") {
                    self.object(props, o.get("req"), node, anchor);
                }
            }
            _ => {}
        }
    }

    fn object(&mut self, props: &Map<String, Json>, required: Option<&Json>, node: &Node, anchor: &Range<usize>) {
        let Value::Map(entries) = &node.value else {
            return self.wrong(node, "a mapping");
        };
        for entry in entries {
            self.path.push(entry.key.clone());
            if let Some(shape) = props.get(&entry.key) {
                self.shape(shape, &entry.value, &entry.key_span);
            } else {
                {
                    let field = self.field();
                    let mut finding = Finding::new(
                        &K8S_UNKNOWN_FIELD,
                        self.object,
                        entry.key_span.clone(),
                        &field,
                        format!("unknown field `{field}`"),
                    );
                    if let Some(s) = did_you_mean(&entry.key, props.keys().map(String::as_str)) {
                        finding.help = Some(format!("did you mean `{s}`?"));
                    }
                    self.out.push(finding);
                }
            }
            self.path.pop();
        }
        for name in required.and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str) {
            if node.get(name).is_none() {
                self.path.push(name.to_string());
                let message = format!("missing required field `{}`", self.field());
                self.report(&K8S_MISSING, anchor.clone(), message);
                self.path.pop();
            }
        }
    }

    fn scalar(&mut self, kind: &str, node: &Node) {
        let ok = match (kind, &node.value) {
            ("any", _)
            | ("string" | "int-or-string", Value::Str(_))
            | ("integer" | "int-or-string" | "number" | "quantity", Value::Int(_))
            | ("number" | "quantity", Value::Float(_))
            | ("boolean", Value::Bool(_)) => true,
            ("quantity", Value::Str(s)) => is_quantity(s),
            _ => false,
        };
        if !ok {
            let expected = match kind {
                "string" => "a string",
                "integer" => "an integer",
                "number" => "a number",
                "boolean" => "true or false",
                "int-or-string" => "an integer or a string",
                _ => "a quantity such as 500m, 1.5, 512Mi or 5Gi",
            };
            self.wrong(node, expected);
        }
    }

    fn wrong(&mut self, node: &Node, expected: &str) {
        let found = match &node.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        };
        let message = format!("`{}` must be {expected}, found {found}", self.field());
        self.report(&K8S_TYPE, node.span.clone(), message);
    }
}

/// Kubernetes resource quantity: a signed decimal number with an optional
/// binary (Ki…Ei), decimal (n, u, m, k, M…E) or exponent suffix.
pub fn is_quantity(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_end = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let valid_number = number.chars().filter(|&c| c == '.').count() <= 1 && number.chars().any(|c| c.is_ascii_digit());
    let valid_suffix = matches!(
        suffix,
        "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
        .is_some_and(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_digit()));
    valid_number && valid_suffix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        for ok in ["5Gi", "500m", "1.5", "0.5Gi", "1e3", "100", "+1k"] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["5GB", "Gi", "1..5", "five", "", "1e"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn every_supported_version_has_the_core_kinds() {
        let versions = supported_versions();
        assert!(versions.contains(&"1.29") && versions.contains(&"1.33"), "{versions:?}");
        for v in versions {
            let s = KubeSchemas::for_version(v).unwrap();
            assert!(
                s.table.kinds.contains_key("apps/v1 StatefulSet") && s.table.kinds.contains_key("v1 Service"),
                "{v}"
            );
            assert!(
                s.definition("io.k8s.api.core.v1.PodSpec").is_some_and(|d| d["props"]["containers"].is_object()),
                "{v}"
            );
        }
    }
}
