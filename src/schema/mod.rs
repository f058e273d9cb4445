//! JSON Schema handling: loading and compiling a schema (offline, no remote
//! or file references), validating values against it, and answering
//! questions about it (what type a path expects, which keys exist).

use std::ops::Range;

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use serde_json::Value;

use crate::diagnostic::shortened;
use crate::error::Error;
use crate::parallel::Background;
use crate::source::{Source, SourceRef};
use crate::values::{KeyPath, Seg};

mod pattern;
mod words;

/// A compiled JSON Schema with its source.
pub struct Schema {
    /// The schema file.
    pub source: SourceRef,
    /// The parsed schema document.
    pub doc: Value,
    validator: Validator,
}

/// Characters of a validator's sentence kept in a [`Violation`].
const MAX_MESSAGE: usize = 300;

/// What checks instances against a schema.
enum Validator {
    /// Compiled from a schema file (perhaps still on another thread, waited
    /// for on first use), or why it does not compile.
    Compiled(Background<Result<jsonschema::Validator, Problem>>),
    /// Generated at build time for a schema pgrender embeds: compiling a
    /// schema is a large share of a short run, and an embedded one never changes.
    Generated(for<'i> fn(&'i Value) -> jsonschema::ErrorIterator<'i>),
}

/// Why a schema does not compile: [`Error::InvalidSchema`] without the file.
#[derive(Debug, Clone)]
struct Problem {
    span: Option<Range<usize>>,
    message: String,
    help: Option<String>,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").field("source", &self.source.name).finish_non_exhaustive()
    }
}

/// One way the values break the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Path of the offending value, relative to the validated instance.
    pub path: KeyPath,
    /// What is wrong.
    pub kind: ViolationKind,
}

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq)]
pub enum ViolationKind {
    /// A key the schema does not allow; `path` ends with the key itself.
    UnknownKey,
    /// A required key is missing from the table at `path`.
    MissingKey(String),
    /// The value at `path` is not what the schema expects.
    Invalid {
        /// What is wrong, in the user's words where the validator's are jargon.
        message: String,
        /// Short "expected …" text for the caret.
        expected: String,
        /// A suggestion, e.g. the enum candidate a misspelt value probably meant.
        help: Option<String>,
    },
}

impl Schema {
    /// Compiles a schema from its source text.
    pub fn compile(source: SourceRef) -> Result<Schema, Error> {
        let doc = parse(&source)?;
        let validator = build(&source, &doc);
        let schema = Schema { source, doc, validator: Validator::Compiled(Background::done(validator)) };
        schema.ready()?;
        Ok(schema)
    }

    /// Starts compiling a schema file's text on another thread, so that
    /// what comes before validation (templates, merging, rendering)
    /// overlaps the compile. A schema that does not compile is reported by
    /// [`Schema::ready`] and [`Schema::violations`]; one that is not JSON, now.
    pub fn load_in_background(source: SourceRef) -> Result<Schema, Error> {
        let doc = parse(&source)?;
        let validator = {
            let (source, doc) = (source.clone(), doc.clone());
            Validator::Compiled(Background::spawn(move || build(&source, &doc)))
        };
        Ok(Schema { source, doc, validator })
    }

    /// Waits until the schema is compiled; fails if it does not compile.
    pub fn ready(&self) -> Result<(), Error> {
        match &self.validator {
            Validator::Compiled(result) => self.checked(result.get()).map(drop),
            Validator::Generated(_) => Ok(()),
        }
    }

    /// Whether the schema is compiled (or known not to compile), so that
    /// validating now waits for nothing.
    pub fn is_compiled(&self) -> bool {
        match &self.validator {
            Validator::Compiled(result) => result.is_ready(),
            Validator::Generated(_) => true,
        }
    }

    fn checked<'a>(
        &self,
        result: &'a Result<jsonschema::Validator, Problem>,
    ) -> Result<&'a jsonschema::Validator, Error> {
        result.as_ref().map_err(|problem| Error::InvalidSchema {
            file: self.source.clone(),
            span: problem.span.clone(),
            message: problem.message.clone(),
            help: problem.help.clone(),
        })
    }

    /// A schema compiled into pgrender, with its build-time generated validator.
    ///
    /// # Panics
    /// If `text` is not JSON: it is checked at build time by the generator.
    pub fn embedded(
        name: &str,
        text: &'static str,
        iter_errors: for<'i> fn(&'i Value) -> jsonschema::ErrorIterator<'i>,
    ) -> Schema {
        let doc = serde_json::from_str(text).expect("an embedded schema is JSON");
        Schema { source: Source::new(name, text), doc, validator: Validator::Generated(iter_errors) }
    }

    /// Every violation of the schema by `instance`, in a stable order; fails
    /// if the schema does not compile.
    pub fn violations(&self, instance: &Value) -> Result<Vec<Violation>, Error> {
        let mut out = Vec::new();
        let errors = match &self.validator {
            Validator::Compiled(result) => self.checked(result.get())?.iter_errors(instance),
            Validator::Generated(iter_errors) => iter_errors(instance),
        };
        for err in errors {
            let path: KeyPath = err
                .instance_path()
                .iter()
                .map(|seg| match seg {
                    LocationSegment::Property(k) => Seg::Key(k.to_string()),
                    LocationSegment::Index(i) => Seg::Index(i),
                })
                .collect();
            match err.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected }
                | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                    for key in unexpected {
                        let mut key_path = path.clone();
                        key_path.push(Seg::Key(key.clone()));
                        out.push(Violation { path: key_path, kind: ViolationKind::UnknownKey });
                    }
                }
                ValidationErrorKind::Required { property } => out.push(Violation {
                    path,
                    kind: ViolationKind::MissingKey(property.as_str().unwrap_or_default().to_string()),
                }),
                kind => {
                    let expected = match kind {
                        // Custom errors carry no pattern: it is read where the error points.
                        ValidationErrorKind::Custom { keyword, .. } if keyword == pattern::KEYWORD => {
                            self.doc.pointer(err.schema_path().as_str()).and_then(Value::as_str).map(expected_match)
                        }
                        _ => None,
                    };
                    let expected = expected.unwrap_or_else(|| self::expected(kind));
                    // The message quotes the value, which may be the whole of a huge table.
                    let invalid = match self.words(kind, err.schema_path().as_str(), err.instance()) {
                        Some(words) => ViolationKind::Invalid {
                            message: shortened(&words.message, MAX_MESSAGE),
                            expected: words.expected,
                            help: words.help,
                        },
                        None => ViolationKind::Invalid { message: shortened(&err, MAX_MESSAGE), expected, help: None },
                    };
                    out.push(Violation { path, kind: invalid });
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out.dedup();
        Ok(out)
    }

    /// The subschema describing the value at `path`, following `properties`,
    /// `items` and local `$ref`s.
    pub fn subschema(&self, path: &[Seg]) -> Option<&Value> {
        self.deref(self.raw_subschema(path)?)
    }

    /// Like [`Schema::subschema`] but without resolving a final `$ref`, so
    /// keywords written beside it (`description`) stay visible.
    fn raw_subschema(&self, path: &[Seg]) -> Option<&Value> {
        let mut node = &self.doc;
        for seg in path {
            let resolved = self.deref(node)?;
            node = match seg {
                Seg::Key(k) => resolved
                    .get("properties")
                    .and_then(|p| p.get(k))
                    .or_else(|| resolved.get("additionalProperties").filter(|v| v.is_object()))?,
                Seg::Index(_) => resolved.get("items")?,
            };
        }
        Some(node)
    }

    /// Whether the schema wants a string (and only a string) at `path`.
    pub fn expects_string(&self, path: &[Seg]) -> bool {
        self.subschema(path).and_then(|s| s.get("type")).is_some_and(|t| t == "string")
    }

    /// The keys the schema names for the table at `path`.
    pub fn property_names(&self, path: &[Seg]) -> Vec<String> {
        self.subschema(path)
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The `description` of the value at `path`, if the schema gives one.
    pub fn description(&self, path: &[Seg]) -> Option<&str> {
        let raw = self.raw_subschema(path)?;
        raw.get("description").or_else(|| self.deref(raw)?.get("description"))?.as_str()
    }

    fn deref<'a>(&'a self, mut node: &'a Value) -> Option<&'a Value> {
        // Bounded so a self-referencing schema cannot loop forever.
        for _ in 0..32 {
            match node.get("$ref").and_then(Value::as_str) {
                Some(reference) => node = self.doc.pointer(reference.strip_prefix('#')?)?,
                None => return Some(node),
            }
        }
        None
    }
}

/// Parses a schema's JSON.
fn parse(source: &SourceRef) -> Result<Value, Error> {
    serde_json::from_str(&source.text).map_err(|err| Error::Syntax {
        span: offset_of(&source.text, err.line(), err.column()),
        message: err.to_string(),
        file: source.clone(),
    })
}

/// Compiles a parsed schema, offline.
fn build(source: &SourceRef, doc: &Value) -> Result<jsonschema::Validator, Problem> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_keyword(pattern::KEYWORD, pattern::compile)
        // `patternProperties` keys: RE2 syntax, like `pattern`.
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(doc)
        .map_err(|err| problem(source, &err))
}

/// Why `source` does not compile, pointing at the offending value when it is
/// a string found in the text (a pattern, above all).
fn problem(source: &SourceRef, err: &jsonschema::ValidationError<'_>) -> Problem {
    let span = err.instance().as_str().and_then(|text| {
        let quoted = serde_json::to_string(text).ok()?;
        let start = source.text.find(&quoted)?;
        Some(start..start + quoted.len())
    });
    let help = is_bad_pattern(err.kind()).then(|| {
        "patterns use RE2 syntax, as Helm's schema validation does: no look-around or backreferences".to_string()
    });
    Problem { span, message: err.to_string(), help }
}

/// Whether a schema does not compile because of a regex: a `pattern`, or a
/// `patternProperties` key.
fn is_bad_pattern(kind: &ValidationErrorKind) -> bool {
    match kind {
        ValidationErrorKind::Format { format } => format == "regex",
        ValidationErrorKind::Custom { keyword, .. } => keyword == pattern::KEYWORD,
        _ => false,
    }
}

/// A short "expected …" label for the caret.
fn expected(kind: &ValidationErrorKind) -> String {
    match kind {
        ValidationErrorKind::Type { kind } => format!("expected {}", type_names(kind)),
        ValidationErrorKind::Enum { options } => match options.as_array() {
            Some(items) => {
                let names: Vec<String> = items.iter().map(Value::to_string).collect();
                format!("expected one of {}", names.join(", "))
            }
            None => format!("expected one of {options}"),
        },
        ValidationErrorKind::Constant { expected_value } => format!("expected {expected_value}"),
        ValidationErrorKind::Pattern { pattern } => expected_match(pattern),
        ValidationErrorKind::Minimum { limit } => format!("expected at least {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("expected at most {limit}"),
        ValidationErrorKind::ExclusiveMinimum { limit } => format!("expected more than {limit}"),
        ValidationErrorKind::ExclusiveMaximum { limit } => format!("expected less than {limit}"),
        ValidationErrorKind::MinLength { limit } => format!("expected at least {limit} characters"),
        ValidationErrorKind::MaxLength { limit } => format!("expected at most {limit} characters"),
        ValidationErrorKind::MinItems { limit } => format!("expected at least {limit} items"),
        ValidationErrorKind::MaxItems { limit } => format!("expected at most {limit} items"),
        _ => "does not match the schema".to_string(),
    }
}

fn expected_match(pattern: &str) -> String {
    format!("expected a match for /{pattern}/")
}

fn type_names(kind: &jsonschema::error::TypeKind) -> String {
    match kind {
        jsonschema::error::TypeKind::Single(t) => format!("{t}"),
        jsonschema::error::TypeKind::Multiple(ts) => {
            let names: Vec<String> = ts.iter().map(|t| format!("{t}")).collect();
            names.join(" or ")
        }
    }
}

/// The byte offset of a 1-based line and column (as `serde_json` reports them).
fn offset_of(text: &str, line: usize, column: usize) -> Range<usize> {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let offset = (start + column.saturating_sub(1)).min(text.len());
    offset..offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Schema {
        let doc = json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "replicas": {"type": "integer", "minimum": 1},
                "image": {"$ref": "#/$defs/image"}
            },
            "$defs": {"image": {"type": "object", "additionalProperties": false,
                "required": ["tag"], "properties": {"tag": {"type": "string"}}}}
        });
        Schema::compile(Source::new("s.json", doc.to_string())).unwrap()
    }

    #[test]
    fn unknown_keys_get_their_own_path() {
        let v = schema().violations(&json!({"replicsa": 1, "image": {"tag": "16"}})).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].path, vec![Seg::Key("replicsa".into())]);
        assert_eq!(v[0].kind, ViolationKind::UnknownKey);
    }

    #[test]
    fn reports_every_violation() {
        let v = schema().violations(&json!({"replicas": "two", "image": {}})).unwrap();
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(matches!(&v[0].kind, ViolationKind::MissingKey(k) if k == "tag"));
        assert!(matches!(&v[1].kind, ViolationKind::Invalid { expected, .. } if expected == "expected integer"));
    }

    #[test]
    fn follows_refs_to_answer_type_questions() {
        let s = schema();
        assert!(s.expects_string(&[Seg::Key("image".into()), Seg::Key("tag".into())]));
        assert!(!s.expects_string(&[Seg::Key("replicas".into())]));
    }

    #[test]
    fn descriptions_beside_a_ref_are_found() {
        let doc = json!({"properties": {"port": {"description": "The port.", "$ref": "#/$defs/port"}},
            "$defs": {"port": {"type": "integer", "description": "Any port."}}});
        let s = Schema::compile(Source::new("s.json", doc.to_string())).unwrap();
        assert_eq!(s.description(&[Seg::Key("port".into())]), Some("The port."));
        assert!(!s.expects_string(&[Seg::Key("port".into())]));
    }

    #[test]
    fn a_pattern_behind_a_ref_is_named_in_the_label() {
        let doc = json!({"properties": {"size": {"$ref": "#/$defs/quantity"}},
            "$defs": {"quantity": {"type": "string", "pattern": "^[0-9]+Gi$"}}});
        let s = Schema::compile(Source::new("s.json", doc.to_string())).unwrap();
        let v = s.violations(&json!({"size": "ten"})).unwrap();
        let expected = ViolationKind::Invalid {
            message: r#""ten" does not match "^[0-9]+Gi$""#.into(),
            expected: "expected a match for /^[0-9]+Gi$/".into(),
            help: None,
        };
        assert_eq!(v, [Violation { path: vec![Seg::Key("size".into())], kind: expected }]);
    }

    #[test]
    fn json_syntax_errors_point_at_the_line() {
        let Err(Error::Syntax { span, .. }) = Schema::compile(Source::new("s.json", "{\n  \"a\": ,\n}")) else {
            panic!("expected a syntax error");
        };
        assert_eq!(span.start, 9);
    }

    #[test]
    fn invalid_schemas_are_errors() {
        let err = Schema::compile(Source::new("s.json", r#"{"type": 12}"#)).unwrap_err();
        assert!(matches!(err, Error::InvalidSchema { .. }));
    }
}
