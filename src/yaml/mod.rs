//! Rendered YAML as trees that remember where every node is. Each output
//! document is parsed once, by libyaml (kubectl's YAML parser is a port of
//! it): the tree both tells rendering whether the document is a Kubernetes
//! object and serves the output checks, which point at the offending key or
//! value by its byte span in the rendered file.

mod libyaml;
pub(crate) mod readers;
pub(crate) mod standalone;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use saphyr::{Scalar, ScalarStyle, Tag};

use libyaml::{Event, Parser};

/// A YAML node with its byte span in the file's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Byte range of the node in the file's text.
    pub span: Range<usize>,
    /// The node's value.
    pub value: Value,
    /// Written as a plain scalar without a tag, so each reader types it by
    /// its own rules: kubectl's YAML 1.1 may not agree (see `readers`).
    pub plain: bool,
}

/// A YAML value; scalars keep their resolved YAML 1.2 core type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// A string (quoted, or plain but not another type).
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in document order: key, key span, value.
    Map(Vec<Entry>),
}

/// One key of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as text.
    pub key: String,
    /// Byte range of the key.
    pub key_span: Range<usize>,
    /// The value.
    pub value: Node,
}

impl Node {
    /// The value under `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry for `key`, when this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Follows a path of keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The string value, if a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer value, if an integer.
    pub fn as_int(&self) -> Option<i64> {
        match &self.value {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The items, if a list (an absent or null list is empty).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entries, if a mapping.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// String-valued entries of a mapping (labels, selectors), sorted by key.
    pub fn string_map(&self) -> BTreeMap<&str, &str> {
        self.entries().iter().filter_map(|e| Some((e.key.as_str(), e.value.as_str()?))).collect()
    }
}

/// Nesting deeper than this is kept as null: the checks walk the tree
/// recursively, and no Kubernetes object comes close.
const MAX_DEPTH: usize = 128;

/// How many nodes aliases may copy in one document, so that a few nested
/// anchors cannot expand into billions of nodes.
const ALIAS_BUDGET: usize = 100_000;

/// libyaml's spelling of a core-schema tag's handle (`!!`).
const CORE_TAG: &str = "tag:yaml.org,2002:";

/// The text is not one YAML document that is a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAnObject;

/// Parses `text`, one YAML document that starts at byte `offset` of its
/// file, into a tree whose spans are byte ranges of the file. It accepts
/// what `serde_yaml` accepts as a mapping: anything else (a syntax error, an
/// alias to an unknown anchor, a root that is not a mapping or is tagged
/// `!…`, no document or several) is [`NotAnObject`].
pub fn parse_object(text: &str, offset: usize) -> Result<Node, NotAnObject> {
    let mut builder = Builder { parser: Parser::new(text), offset, anchors: BTreeMap::new(), budget: ALIAS_BUDGET };
    let (Event::StreamStart, _) = builder.next()? else { return Err(NotAnObject) };
    let (Event::DocumentStart, _) = builder.next()? else { return Err(NotAnObject) };
    let (root, span) = builder.next()?;
    // serde_yaml reads a root tagged `!…` as an enum variant, not a mapping.
    let Event::MappingStart(properties) = &root else { return Err(NotAnObject) };
    if properties.tag.as_ref().is_some_and(|tag| tag.starts_with('!')) {
        return Err(NotAnObject);
    }
    let root = builder.node(root, span, 0)?;
    let (Event::DocumentEnd, _) = builder.next()? else { return Err(NotAnObject) };
    let (Event::StreamEnd, _) = builder.next()? else { return Err(NotAnObject) };
    Ok(root)
}

/// Builds nodes from the parser's events.
struct Builder<'a> {
    parser: Parser<'a>,
    offset: usize,
    /// Anchors declared so far, with their node once it is complete.
    anchors: BTreeMap<String, Option<Node>>,
    /// What is left of [`ALIAS_BUDGET`].
    budget: usize,
}

impl Builder<'_> {
    fn next(&mut self) -> Result<(Event, Range<usize>), NotAnObject> {
        self.parser.next_event().map_err(|_| NotAnObject)
    }

    /// The node that `event` starts, read to its end.
    fn node(&mut self, event: Event, span: Range<usize>, depth: usize) -> Result<Node, NotAnObject> {
        let mut plain = false;
        let (properties, value, end) = match event {
            Event::Scalar(scalar) => {
                plain = scalar.plain && scalar.properties.tag.is_none();
                let value = resolve(scalar.value, scalar.plain, scalar.properties.tag.as_deref());
                (scalar.properties, value, span.end)
            }
            Event::Alias(name) => return self.alias(&name, span),
            Event::SequenceStart(properties) | Event::MappingStart(properties) if depth >= MAX_DEPTH => {
                self.declare(properties.anchor.as_deref());
                let end = self.skip()?;
                (properties, Value::Null, end)
            }
            Event::SequenceStart(properties) => {
                self.declare(properties.anchor.as_deref());
                let mut items = Vec::new();
                let end = loop {
                    match self.next()? {
                        (Event::SequenceEnd, end) => break end.end,
                        (event, span) => items.push(self.node(event, span, depth + 1)?),
                    }
                };
                (properties, Value::Seq(items), end)
            }
            Event::MappingStart(properties) => {
                self.declare(properties.anchor.as_deref());
                let mut entries = Vec::new();
                let end = loop {
                    let key = match self.next()? {
                        (Event::MappingEnd, end) => break end.end,
                        (event, span) => self.node(event, span, depth + 1)?,
                    };
                    let (event, span) = self.next()?;
                    let value = self.node(event, span, depth + 1)?;
                    entries.push(Entry { key: key_text(&key.value), key_span: key.span, value });
                };
                (properties, Value::Map(entries), end)
            }
            _ => return Err(NotAnObject),
        };
        let node = Node { span: self.offset + span.start..self.offset + end, value, plain };
        if let Some(anchor) = properties.anchor {
            self.anchors.insert(anchor, Some(node.clone()));
        }
        Ok(node)
    }

    /// An anchor is known from where it starts, as `serde_yaml` has it, so
    /// an alias inside the node it names is accepted; it reads as null, the
    /// node not being complete yet.
    fn declare(&mut self, anchor: Option<&str>) {
        if let Some(anchor) = anchor {
            self.anchors.insert(anchor.to_string(), None);
        }
    }

    /// A copy of the anchored node, as Kubernetes reads an alias; null once
    /// the document has used up its alias budget.
    fn alias(&mut self, name: &str, span: Range<usize>) -> Result<Node, NotAnObject> {
        let anchored = self.anchors.get(name).ok_or(NotAnObject)?;
        let (value, plain) = match anchored.as_ref().map(|node| (node, size(node))) {
            Some((node, size)) if size <= self.budget => {
                self.budget -= size;
                (node.value.clone(), node.plain)
            }
            _ => (Value::Null, false),
        };
        Ok(Node { span: self.offset + span.start..self.offset + span.end, value, plain })
    }

    /// Reads past a collection nested too deep, to where it ends, still
    /// checking its anchors and aliases.
    fn skip(&mut self) -> Result<usize, NotAnObject> {
        let mut open = 1_usize;
        loop {
            match self.next()? {
                (Event::SequenceStart(properties) | Event::MappingStart(properties), _) => {
                    open += 1;
                    self.declare(properties.anchor.as_deref());
                }
                (Event::Scalar(scalar), _) => self.declare(scalar.properties.anchor.as_deref()),
                (Event::Alias(name), _) if !self.anchors.contains_key(&name) => return Err(NotAnObject),
                (Event::Alias(_), _) => {}
                (Event::SequenceEnd | Event::MappingEnd, end) => {
                    open -= 1;
                    if open == 0 {
                        return Ok(end.end);
                    }
                }
                _ => return Err(NotAnObject),
            }
        }
    }
}

/// The number of nodes in a tree.
fn size(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(size).sum(),
        Value::Map(entries) => entries.iter().map(|e| 1 + size(&e.value)).sum(),
        _ => 0,
    }
}

/// A scalar's value as the YAML 1.2 core schema reads it: quoted and block
/// scalars are strings, plain ones are resolved (by saphyr's resolver), a
/// core tag (`!!str`) decides the type and a custom tag changes nothing.
fn resolve(value: String, plain: bool, tag: Option<&str>) -> Value {
    let core = tag
        .and_then(|tag| tag.strip_prefix(CORE_TAG))
        .map(|suffix| Cow::Owned(Tag { handle: CORE_TAG.to_string(), suffix: suffix.to_string() }));
    let style = if plain { ScalarStyle::Plain } else { ScalarStyle::DoubleQuoted };
    match Scalar::parse_from_cow_and_metadata(Cow::Owned(value), style, core.as_ref()) {
        Some(Scalar::Null) | None => Value::Null,
        Some(Scalar::Boolean(b)) => Value::Bool(b),
        Some(Scalar::Integer(i)) => Value::Int(i),
        Some(Scalar::FloatingPoint(f)) => Value::Float(f.into_inner()),
        Some(Scalar::String(s)) => Value::Str(s.into_owned()),
    }
}

fn key_text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null => "null".to_string(),
        Value::Seq(_) | Value::Map(_) => "<complex key>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn object(text: &str) -> Node {
        parse_object(text, 0).unwrap_or_else(|_| panic!("{text}"))
    }

    #[test]
    fn keeps_byte_spans_and_core_types() {
        let file = "# Source: x\na: 1\nb: \"1\"\nc:\n- é: true\n  f: 1.5\nd: ~\n";
        let start = file.find('a').unwrap();
        let doc = parse_object(&file[start..], start).unwrap();
        let a = doc.entry("a").unwrap();
        assert_eq!(&file[a.key_span.clone()], "a");
        assert_eq!(a.value.as_int(), Some(1));
        assert_eq!(doc.get("b").unwrap().as_str(), Some("1"));
        assert_eq!(&file[doc.get("b").unwrap().span.clone()], "\"1\"");
        let item = &doc.get("c").unwrap().items()[0];
        let e = item.entry("é").unwrap();
        assert_eq!(&file[e.key_span.clone()], "é");
        assert_eq!(&file[e.value.span.clone()], "true");
        assert_eq!(e.value.value, Value::Bool(true));
        assert_eq!(item.get("f").unwrap().value, Value::Float(1.5));
        assert_eq!(&file[item.get("f").unwrap().span.clone()], "1.5");
        assert_eq!(doc.get("d").unwrap().value, Value::Null);
    }

    #[test]
    fn resolves_scalars_by_the_core_schema() {
        let doc = object("a: 0x1F\nb: 0o17\nc: yes\nd: !!str 1\ne: !!int x\nf: !custom 2\ng: |\n  12\nh:\ni: .inf\n");
        let value = |key: &str| doc.get(key).unwrap().value.clone();
        assert_eq!(value("a"), Value::Int(31));
        assert_eq!(value("b"), Value::Int(15));
        assert_eq!(value("c"), Value::Str("yes".into()));
        assert_eq!(value("d"), Value::Str("1".into()));
        assert_eq!(value("e"), Value::Null);
        assert_eq!(value("f"), Value::Int(2));
        assert_eq!(value("g"), Value::Str("12\n".into()));
        assert_eq!(value("h"), Value::Null);
        assert_eq!(value("i"), Value::Float(f64::INFINITY));
    }

    #[test]
    fn knows_which_scalars_are_plain() {
        let doc = object("a: yes\nb: \"yes\"\nc: !!str yes\nd: |\n  yes\ne: &x yes\nf: *x\ng: [yes]\n");
        let plain = |key: &str| doc.get(key).unwrap().plain;
        assert!(plain("a") && plain("e") && plain("f") && doc.get("g").unwrap().items()[0].plain);
        assert!(!plain("b") && !plain("c") && !plain("d") && !plain("g"));
    }

    #[test]
    fn keys_are_text() {
        let doc = object("1.50: a\n~: b\n? [x]\n: c\ntrue: d\n");
        let keys: Vec<&str> = doc.entries().iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["1.5", "null", "<complex key>", "true"]);
    }

    #[test]
    fn aliases_copy_their_anchor() {
        let text = "a: &x {b: 1}\nc: *x\nd: &y [*y]\n";
        let doc = object(text);
        assert_eq!(doc.at(&["c", "b"]).unwrap().as_int(), Some(1));
        assert_eq!(&text[doc.get("c").unwrap().span.clone()], "*x");
        assert_eq!(doc.get("d").unwrap().items()[0].value, Value::Null);
    }

    #[test]
    fn only_one_mapping_document_is_an_object() {
        for not_an_object in [
            "",
            "# nothing\n",
            "just text\n",
            "- a\n- b\n",
            "a: [unclosed\n",
            "a: 1\n---\nb: 2\n",
            "a: 1\n...\nb: 2\n",
            "!tag {a: 1}\n",
            "a: *unknown\n",
            "a: 1\n  b: 2\n",
        ] {
            assert_eq!(parse_object(not_an_object, 0), Err(NotAnObject), "{not_an_object:?}");
        }
        for object in ["a: 1\n", "--- !!map\na: 1\n...\n", "&x {a: [1, *x]}\n", "a: !t {b: !t c}\n"] {
            assert!(parse_object(object, 0).is_ok(), "{object:?}");
        }
    }

    #[test]
    fn nesting_too_deep_is_null() {
        let deep = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        let mut node = object(&deep).get("a").unwrap().clone();
        let mut depth = 1;
        while let [inner] = node.items() {
            node = inner.clone();
            depth += 1;
        }
        assert_eq!(depth, MAX_DEPTH);
        assert_eq!(node.value, Value::Null);
    }

    #[test]
    fn aliases_cannot_expand_without_bound() {
        let mut text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for (name, prev) in ["b", "c", "d", "e", "f", "g"].iter().zip(["a", "b", "c", "d", "e", "f"]) {
            let aliases = vec![format!("*{prev}"); 10].join(", ");
            writeln!(text, "{name}: &{name} [{aliases}]").unwrap();
        }
        // Fully expanded, `g` alone would be a million nodes.
        assert!(size(&object(&text)) < 2 * ALIAS_BUDGET);
    }
}
