//! Rendered YAML as a tree that remembers where every node is: the output
//! checks point at the offending key or value, so each node keeps its byte
//! span in the rendered file's text (`serde_yaml` drops positions; saphyr's
//! marked nodes keep them).

use std::ops::Range;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// A YAML node with its byte span in the file's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Byte range of the node in the file's text.
    pub span: Range<usize>,
    /// The node's value.
    pub value: Value,
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
    pub fn string_map(&self) -> std::collections::BTreeMap<&str, &str> {
        self.entries().iter().filter_map(|e| Some((e.key.as_str(), e.value.as_str()?))).collect()
    }
}

/// Parses every document of a rendered file. Rendering already checked the
/// YAML, so a parse failure here yields no documents rather than an error.
pub fn parse(text: &str) -> Vec<Node> {
    let Ok(docs) = MarkedYaml::load_from_str(text) else { return Vec::new() };
    let offsets = ByteOffsets::new(text);
    docs.iter().filter(|d| !matches!(d.data, YamlData::Value(Scalar::Null))).map(|d| convert(d, &offsets)).collect()
}

fn convert(node: &MarkedYaml<'_>, offsets: &ByteOffsets) -> Node {
    let span = offsets.byte(node.span.start.index())..offsets.byte(node.span.end.index());
    let value = match &node.data {
        YamlData::Value(scalar) => scalar_value(scalar),
        YamlData::Representation(text, ..) => Value::Str(text.to_string()),
        YamlData::Tagged(_, inner) => return convert(inner, offsets),
        YamlData::Sequence(items) => Value::Seq(items.iter().map(|n| convert(n, offsets)).collect()),
        YamlData::Mapping(map) => Value::Map(
            map.iter()
                .map(|(k, v)| {
                    let key = convert(k, offsets);
                    Entry { key: key_text(&key.value), key_span: key.span, value: convert(v, offsets) }
                })
                .collect(),
        ),
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    };
    Node { span, value }
}

fn scalar_value(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Int(*i),
        Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
        Scalar::String(s) => Value::Str(s.to_string()),
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

/// Maps the parser's character indices to byte offsets.
struct ByteOffsets {
    /// Byte offset of each character; empty when the text is ASCII.
    table: Vec<usize>,
    len: usize,
}

impl ByteOffsets {
    fn new(text: &str) -> Self {
        let table = if text.is_ascii() { Vec::new() } else { text.char_indices().map(|(i, _)| i).collect() };
        ByteOffsets { table, len: text.len() }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_spans_and_core_types() {
        let text = "# Source: x\na: 1\nb: \"1\"\nc:\n- é: true\n---\nd: ~\n";
        let docs = parse(text);
        assert_eq!(docs.len(), 2);
        let a = docs[0].entry("a").unwrap();
        assert_eq!(&text[a.key_span.clone()], "a");
        assert_eq!(a.value.as_int(), Some(1));
        assert_eq!(docs[0].get("b").unwrap().as_str(), Some("1"));
        let item = &docs[0].get("c").unwrap().items()[0];
        assert_eq!(&text[item.entry("é").unwrap().key_span.clone()], "é");
        assert_eq!(docs[1].get("d").unwrap().value, Value::Null);
    }
}
