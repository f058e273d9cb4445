//! Value layers and their merge: chart defaults, shared base, environment
//! file, `-f` files and `--set` flags, lowest first. Every value remembers
//! which layer set it and where, so errors and `--explain` can point there.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde_json::{Map, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{Error, UsageError};
use crate::source::{Source, SourceRef};

/// One step of a path into the values tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A path into the values tree, e.g. `postgres.image.tag`.
pub type KeyPath = Vec<Seg>;

/// Formats a path the way users write it in TOML and `--set`.
pub struct DottedPath<'a>(pub &'a [Seg]);

impl fmt::Display for DottedPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{}", Value::String(k.clone()))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Where a layer came from; lowest precedence first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerKind {
    /// A chart's `values.toml`, mounted under the chart's name.
    Chart(String),
    /// The project's shared base file.
    Base,
    /// `environments/<env>.toml`.
    Environment,
    /// A `-f FILE` given on the command line.
    File,
    /// A `--set KEY=VALUE` flag.
    Set,
}

/// A source that contributed values.
#[derive(Debug, Clone)]
pub struct Layer {
    /// What kind of layer.
    pub kind: LayerKind,
    /// Its text.
    pub source: SourceRef,
}

/// Where one value was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Index into [`Values::layers`].
    pub layer: usize,
    /// Span of the key (or table header) in the layer's source.
    pub key: Range<usize>,
    /// Span of the value.
    pub value: Range<usize>,
}

/// The merged values tree with provenance.
#[derive(Debug, Clone, Default)]
pub struct Values {
    /// The merged tree (always an object).
    pub tree: Map<String, Value>,
    /// Every layer applied, in order.
    pub layers: Vec<Layer>,
    /// For each path, the layer that last set it.
    pub origins: BTreeMap<KeyPath, Origin>,
}

impl Values {
    /// Parses a TOML layer and merges it on top, under `prefix`.
    pub fn apply_toml(&mut self, kind: LayerKind, source: SourceRef, prefix: &[&str]) -> Result<(), Error> {
        let table = DeTable::parse(&source.text).map_err(|err| Error::toml(&source, &err))?;
        let layer = self.layers.len();
        let mut entries = Vec::new();
        let mut path: KeyPath = prefix.iter().map(|k| Seg::Key((*k).to_string())).collect();
        for depth in 1..=path.len() {
            entries.push((path[..depth].to_vec(), Origin { layer, key: 0..0, value: 0..0 }));
        }
        let value = convert_table(table.get_ref(), &mut path, layer, &source, &mut entries)?;
        self.layers.push(Layer { kind, source });
        self.merge_at(&prefix.iter().map(|k| Seg::Key((*k).to_string())).collect::<Vec<_>>(), value);
        self.record(entries);
        Ok(())
    }

    /// Applies one `--set KEY=VALUE` flag. `expects_string` says whether the
    /// schema wants a string at a path, so `tag=16` stays the string "16".
    pub fn apply_set(&mut self, arg: &str, expects_string: impl Fn(&[Seg]) -> bool) -> Result<(), Error> {
        let (key, raw) = arg.split_once('=').ok_or_else(|| UsageError::BadSet(arg.to_string()))?;
        let path: KeyPath = key.split('.').map(|k| Seg::Key(k.trim().to_string())).collect();
        if path.iter().any(|s| matches!(s, Seg::Key(k) if k.is_empty())) {
            return Err(UsageError::BadSet(arg.to_string()).into());
        }
        let source = Source::new("--set", arg);
        let value_span = key.len() + 1..arg.len();
        let layer = self.layers.len();
        let mut entries: Vec<(KeyPath, Origin)> = Vec::new();
        let parsed = DeValue::parse(raw).ok().and_then(|v| {
            let mut p = path.clone();
            let mut scratch = Vec::new();
            convert(&v, &mut p, 0..0, layer, &source, &mut scratch).ok()
        });
        let value = match parsed {
            Some(v) if v.is_string() || !expects_string(&path) => v,
            _ => Value::String(raw.to_string()),
        };
        for depth in 1..=path.len() {
            entries.push((path[..depth].to_vec(), Origin { layer, key: 0..key.len(), value: value_span.clone() }));
        }
        self.layers.push(Layer { kind: LayerKind::Set, source });
        self.merge_at(&path, value);
        self.record(entries);
        Ok(())
    }

    /// The merged value at `path`, if present.
    pub fn get(&self, path: &[Seg]) -> Option<&Value> {
        let (Seg::Key(first), rest) = path.split_first()? else { return None };
        rest.iter().try_fold(self.tree.get(first)?, |v, seg| match seg {
            Seg::Key(k) => v.get(k),
            Seg::Index(i) => v.get(i),
        })
    }

    /// The layer and position that set `path`, or its nearest ancestor.
    pub fn origin(&self, path: &[Seg]) -> Option<(&Layer, &Origin)> {
        (0..=path.len())
            .rev()
            .find_map(|len| self.origins.get(&path[..len]))
            .map(|origin| (&self.layers[origin.layer], origin))
    }

    /// Leaf paths (scalars and whole arrays) in sorted order, with their origin.
    pub fn leaves(&self) -> impl Iterator<Item = (&KeyPath, &Value, &Layer, &Origin)> {
        self.origins.iter().filter_map(|(path, origin)| {
            let value = self.get(path)?;
            let inside_array = path.iter().any(|s| matches!(s, Seg::Index(_)));
            (!value.is_object() && !inside_array).then(|| (path, value, &self.layers[origin.layer], origin))
        })
    }

    fn merge_at(&mut self, path: &[Seg], value: Value) {
        let Some((Seg::Key(first), rest)) = path.split_first() else {
            if let Value::Object(map) = value {
                deep_merge(&mut self.tree, map);
            }
            return;
        };
        let mut slot = self.tree.entry(first.clone()).or_insert(Value::Null);
        for seg in rest {
            let Seg::Key(k) = seg else { unreachable!("set paths contain only keys") };
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            slot = slot.as_object_mut().expect("just made an object").entry(k.clone()).or_insert(Value::Null);
        }
        match (slot, value) {
            (Value::Object(existing), Value::Object(new)) => deep_merge(existing, new),
            (slot, value) => *slot = value,
        }
    }

    /// Records origins; a path set to a non-table forgets what was below it.
    fn record(&mut self, entries: Vec<(KeyPath, Origin)>) {
        for (path, origin) in entries {
            if !self.get(&path).is_some_and(Value::is_object) {
                // Descendants sort right after their ancestor, so a range scan
                // finds them without walking every origin (a quadratic trap
                // for values files with hundreds of thousands of keys).
                let below: Vec<KeyPath> = self
                    .origins
                    .range(path.clone()..)
                    .map(|(p, _)| p)
                    .skip_while(|p| **p == path)
                    .take_while(|p| p.starts_with(&path))
                    .cloned()
                    .collect();
                for p in below {
                    self.origins.remove(&p);
                }
            }
            self.origins.insert(path, origin);
        }
    }
}

/// Merges `new` into `base`: tables merge key by key, everything else replaces.
fn deep_merge(base: &mut Map<String, Value>, new: Map<String, Value>) {
    for (key, value) in new {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => deep_merge(existing, incoming),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn convert_table(
    table: &DeTable<'_>,
    path: &mut KeyPath,
    layer: usize,
    source: &SourceRef,
    entries: &mut Vec<(KeyPath, Origin)>,
) -> Result<Value, Error> {
    let mut map = Map::new();
    for (key, value) in table {
        path.push(Seg::Key(key.get_ref().to_string()));
        let converted = convert(value, path, key.span(), layer, source, entries)?;
        path.pop();
        map.insert(key.get_ref().to_string(), converted);
    }
    Ok(Value::Object(map))
}

fn convert(
    value: &Spanned<DeValue<'_>>,
    path: &mut KeyPath,
    key_span: Range<usize>,
    layer: usize,
    source: &SourceRef,
    entries: &mut Vec<(KeyPath, Origin)>,
) -> Result<Value, Error> {
    entries.push((path.clone(), Origin { layer, key: key_span, value: value.span() }));
    let invalid = |message: String| Error::Syntax { file: source.clone(), span: value.span(), message };
    Ok(match value.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(Value::from)
            .map_err(|_| invalid("integer does not fit in 64 bits".into()))?,
        DeValue::Float(f) => f
            .as_str()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| invalid("inf and nan cannot be used as values".into()))?,
        DeValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                path.push(Seg::Index(index));
                out.push(convert(item, path, item.span(), layer, source, entries)?);
                path.pop();
            }
            Value::Array(out)
        }
        DeValue::Table(table) => convert_table(table, path, layer, source, entries)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str) -> KeyPath {
        path.split('.').map(|k| Seg::Key(k.into())).collect()
    }

    fn layered() -> Values {
        let mut v = Values::default();
        v.apply_toml(
            LayerKind::Chart("pg".into()),
            Source::new("values.toml", "replicas = 1\n[image]\ntag = \"16\"\nname = \"postgres\"\n"),
            &["pg"],
        )
        .unwrap();
        v.apply_toml(LayerKind::Environment, Source::new("eks.toml", "[pg.image]\ntag = \"17\"\n"), &[]).unwrap();
        v
    }

    #[test]
    fn tables_merge_deeply_and_scalars_replace() {
        let v = layered();
        assert_eq!(v.get(&key("pg.image.tag")), Some(&Value::from("17")));
        assert_eq!(v.get(&key("pg.image.name")), Some(&Value::from("postgres")));
        assert_eq!(v.get(&key("pg.replicas")), Some(&Value::from(1)));
    }

    #[test]
    fn origins_point_at_the_layer_that_set_each_key() {
        let v = layered();
        let (layer, origin) = v.origin(&key("pg.image.tag")).unwrap();
        assert_eq!(layer.source.name, "eks.toml");
        assert_eq!(&layer.source.text[origin.value.clone()], "\"17\"");
        let (layer, _) = v.origin(&key("pg.image.name")).unwrap();
        assert_eq!(layer.source.name, "values.toml");
    }

    #[test]
    fn arrays_replace_and_forget_old_elements() {
        let mut v = Values::default();
        v.apply_toml(LayerKind::Base, Source::new("a", "xs = [1, 2, 3]\n"), &[]).unwrap();
        v.apply_toml(LayerKind::Environment, Source::new("b", "xs = [9]\n"), &[]).unwrap();
        assert_eq!(v.get(&key("xs")), Some(&serde_json::json!([9])));
        assert!(!v.origins.contains_key(&vec![Seg::Key("xs".into()), Seg::Index(2)]));
    }

    #[test]
    fn set_parses_toml_values_and_keeps_strings_the_schema_wants() {
        let mut v = layered();
        v.apply_set("pg.replicas=3", |_| false).unwrap();
        v.apply_set("pg.image.tag=16", |p| p.ends_with(&[Seg::Key("tag".into())])).unwrap();
        v.apply_set("pg.image.name=hello world", |_| false).unwrap();
        assert_eq!(v.get(&key("pg.replicas")), Some(&Value::from(3)));
        assert_eq!(v.get(&key("pg.image.tag")), Some(&Value::from("16")));
        assert_eq!(v.get(&key("pg.image.name")), Some(&Value::from("hello world")));
        let (layer, origin) = v.origin(&key("pg.replicas")).unwrap();
        assert_eq!(layer.kind, LayerKind::Set);
        assert_eq!(&layer.source.text[origin.value.clone()], "3");
    }

    #[test]
    fn bad_set_syntax_is_a_usage_error() {
        let mut v = Values::default();
        assert!(matches!(v.apply_set("novalue", |_| false), Err(Error::Usage(_))));
        assert!(matches!(v.apply_set("a..b=1", |_| false), Err(Error::Usage(_))));
    }

    #[test]
    fn toml_syntax_errors_carry_the_parser_span() {
        let mut v = Values::default();
        let err = v.apply_toml(LayerKind::Base, Source::new("a.toml", "x = \n"), &[]).unwrap_err();
        let Error::Syntax { span, .. } = err else { panic!("{err:?}") };
        assert!(span.start >= 3, "{span:?}");
    }

    #[test]
    fn dotted_path_quotes_odd_keys() {
        let path = vec![Seg::Key("a".into()), Seg::Key("b.c".into()), Seg::Index(0)];
        assert_eq!(DottedPath(&path).to_string(), "a.\"b.c\"[0]");
    }
}
