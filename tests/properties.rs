//! Property tests of the engine's pure parts: value merging, `--set`
//! parsing and rendering never panic on arbitrary input, rendering is
//! deterministic, any string value reaches the YAML as itself (it cannot
//! inject keys, items or documents, nor turn into a boolean or a number),
//! to `serde_yaml` (YAML 1.2) and to Go's YAML as kubectl reads it (YAML
//! 1.1, see `go_yaml`), and the output's YAML parse accepts exactly what
//! `serde_yaml` reads as a mapping. Case counts stay small so the suite
//! runs in seconds on a shared machine.

#[path = "oracle/go_yaml.rs"]
mod go_yaml;

use pgrender::render::{EnvContext, render_text};
use pgrender::source::Source;
use pgrender::values::{LayerKind, Seg, Values};
use pgrender::yaml::parse_object;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

fn config() -> ProptestConfig {
    ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() }
}

fn env() -> EnvContext {
    EnvContext { name: "dev".into(), provider: "k3d".into(), kubernetes: "1.31".into() }
}

/// Every spelling that YAML 1.1 or 1.2 reads as something other than
/// the string itself, and some that look alike but are strings.
const SPELLINGS: &str = "y Y yes Yes YES n N no No NO true True TRUE false False FALSE \
                         on On ON off Off OFF ~ null Null NULL 1_000 0b101 0o17 0x1F 012 08 \
                         1:20 190:20:30 1:20.5 .inf .Inf .INF -.inf +.inf .nan .NaN .NAN \
                         1e5 1.5E-3 1. .5 = << 2001-12-14 2001-12-14t21:59:43.10-05:00 16 -0b11 \
                         yesterday Norway 1.2.3 16-alpine 0x ._5";

/// [`SPELLINGS`] and the empty string.
fn spellings() -> Vec<String> {
    SPELLINGS.split_whitespace().chain([""]).map(String::from).collect()
}

/// Strings weighted toward what YAML readers take for another type:
/// spellings of booleans and nulls, numbers with signs, prefixes,
/// underscores, exponents and base 60, timestamps, and arbitrary text.
fn typed_looking() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(spellings()),
        3 => "[-+]?(0[xXoObB])?[0-9a-fA-F_]{1,5}(\\.[0-9_]{0,3})?([eE][-+]?[0-9]{1,3})?",
        1 => "[-+]?[0-9_]{1,3}(:[0-9]{1,2}){1,2}(\\.[0-9_]{0,2})?",
        1 => "[-+]?\\.?(inf|Inf|INF|nan|NaN|NAN)",
        1 => "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,3})?(Z|[-+][0-9]{1,2}(:[0-9]{2})?)?)?",
        1 => "[yYnNoOtTfFuUeEsSlL~<=]{1,5}",
        2 => any::<String>(),
    ]
}

/// Keys as TOML can hold them: any string, biased towards a few shared
/// names so that layers overlap and really merge.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![3 => prop::sample::select(vec!["a", "b", "image", "tag"]).prop_map(String::from), 1 => ".{0,8}"]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        (-1.0e9f64..1.0e9).prop_map(Value::from),
    ]
}

/// A TOML-representable table: nested tables, arrays of scalars.
fn table() -> impl Strategy<Value = Map<String, Value>> {
    let leaf = prop_oneof![scalar(), prop::collection::vec(scalar(), 0..3).prop_map(Value::Array)];
    let tree = leaf.prop_recursive(3, 24, 4, |inner| {
        prop::collection::btree_map(key(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect()))
    });
    prop::collection::btree_map(key(), tree, 0..4).prop_map(|m| m.into_iter().collect())
}

/// The documented merge: tables merge key by key, anything else replaces.
fn reference_merge(base: &mut Map<String, Value>, top: &Map<String, Value>) {
    for (k, v) in top {
        match (base.get_mut(k), v) {
            (Some(Value::Object(b)), Value::Object(t)) => reference_merge(b, t),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A YAML mapping as `serde_yaml` reads one, without building it: what
/// rendering accepted as a Kubernetes object before it parsed the output
/// once for both rendering and checks.
struct Mapping;

impl<'de> Deserialize<'de> for Mapping {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MappingVisitor;
        impl<'de> Visitor<'de> for MappingVisitor {
            type Value = Mapping;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a YAML mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Mapping, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Mapping)
            }
        }
        deserializer.deserialize_any(MappingVisitor)
    }
}

/// Text made of YAML's significant pieces, so that random input reaches
/// anchors, tags, flow and block collections, documents and their errors.
fn yaml_like() -> impl Strategy<Value = String> {
    let pieces = [
        vec!["a", "1", "~", "é", "b: ", ": ", ":", "? ", "- ", ", ", " ", "  ", "\t", "\n", "\n  ", " # c"],
        vec!["[", "]", "{", "}", "'", "\"", "\\", "|", ">-", "&x ", "*x", "!t ", "!!str ", "!!int "],
        vec!["---", "...", "%YAML 1.2\n"],
    ];
    let piece = prop::sample::select(pieces.concat());
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..config() })]

    #[test]
    fn output_documents_are_objects_exactly_when_serde_yaml_reads_a_mapping(text in yaml_like()) {
        let expected = serde_yaml::from_str::<Mapping>(&text).is_ok();
        prop_assert_eq!(parse_object(&text, 0).is_ok(), expected, "{:?}", text);
        // Rendering parses each document with its line end, as the file holds it.
        prop_assert_eq!(parse_object(&format!("{text}\n"), 0).is_ok(), expected, "{:?}", text);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn merging_two_layers_is_the_documented_deep_merge(lower in table(), upper in table()) {
        let mut values = Values::default();
        let lower_text = toml::to_string(&lower).unwrap();
        let upper_text = toml::to_string(&upper).unwrap();
        values.apply_toml(LayerKind::Base, Source::new("base.toml", lower_text), &[]).unwrap();
        values.apply_toml(LayerKind::Environment, Source::new("env.toml", upper_text), &[]).unwrap();
        let mut expected = lower.clone();
        reference_merge(&mut expected, &upper);
        // Floats go through TOML text; compare through the same round trip.
        let expected: Map<String, Value> = toml::from_str(&toml::to_string(&expected).unwrap()).unwrap();
        prop_assert_eq!(&values.tree, &expected);
        for (path, _, layer, _) in values.leaves() {
            prop_assert!(values.get(path).is_some());
            prop_assert!(layer.source.name == "base.toml" || layer.source.name == "env.toml");
        }
    }

    #[test]
    fn arbitrary_toml_text_never_panics(text in "\\PC{0,200}") {
        let mut values = Values::default();
        let _ = values.apply_toml(LayerKind::File, Source::new("x.toml", text), &[]);
    }

    #[test]
    fn arbitrary_set_arguments_never_panic(arg in "\\PC{0,60}", wants_string in any::<bool>()) {
        let mut values = Values::default();
        let _ = values.apply_set(&arg, |_| wants_string);
    }

    #[test]
    fn set_keeps_any_string_the_schema_wants(value in "\\PC{0,40}") {
        let mut values = Values::default();
        values.apply_set(&format!("app.message={value}"), |_| true).unwrap();
        let path = [Seg::Key("app".into()), Seg::Key("message".into())];
        // VALUE is read as TOML first, so a quoted TOML string (`"16"`) gives
        // its contents; any other text is kept as written.
        let quoted = toml::de::DeValue::parse(&value).ok().and_then(|v| v.get_ref().as_str().map(String::from));
        prop_assert_eq!(values.get(&path), Some(&Value::from(quoted.unwrap_or(value))));
    }

    #[test]
    fn any_string_value_reaches_the_yaml_unchanged(s in prop_oneof![any::<String>(), typed_looking()]) {
        let values = serde_json::json!({ "s": s });
        let out = render_text("kind: ConfigMap\ndata:\n  s: {{ values.s }}\n  t: [{{ values.s }}]\n", &values, &env())
            .unwrap()
            .unwrap();
        let parsed: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
        prop_assert_eq!(&parsed["data"]["s"], &serde_yaml::Value::from(s.clone()), "{}", out);
        prop_assert_eq!(&parsed["data"]["t"], &serde_yaml::Value::from(vec![s.clone()]), "{}", out);
        prop_assert_eq!(parsed.as_mapping().unwrap().len(), 2);
        prop_assert_eq!(parsed["data"].as_mapping().unwrap().len(), 2);
    }

    #[test]
    fn yaml_like_strings_reach_the_yaml_unchanged(s in "[a-z0-9 :?#,\\[\\]{}&*!|>'\"%@`=~.\\-]{0,10}") {
        // Indicator-heavy strings: random Unicode rarely hits YAML's special combinations.
        let values = serde_json::json!({ "s": s });
        let template = "kind: ConfigMap\ndata:\n  s: {{ values.s }}\n  t: [{{ values.s }}]\n  m: {k: {{ values.s }}}\n";
        let out = render_text(template, &values, &env()).unwrap().unwrap();
        let parsed: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
        prop_assert_eq!(&parsed["data"]["s"], &serde_yaml::Value::from(s.clone()), "{}", out);
        prop_assert_eq!(&parsed["data"]["t"], &serde_yaml::Value::from(vec![s.clone()]), "{}", out);
        prop_assert_eq!(parsed["data"]["m"].as_mapping().unwrap().len(), 1, "{}", out);
        prop_assert_eq!(&parsed["data"]["m"]["k"], &serde_yaml::Value::from(s.clone()), "{}", out);
        prop_assert_eq!(parsed["data"].as_mapping().unwrap().len(), 3, "{}", out);
    }

    #[test]
    fn rendering_arbitrary_values_is_deterministic_and_never_panics(tree in table()) {
        let values = Value::Object(tree);
        let template = "kind: X\nall: {{ values }}\nyaml:{{ values | toyaml(indent=2) }}\n\
                        {% for k, v in values | items %}k{{ loop.index }}: {{ v }}\n{% endfor %}";
        let first = render_text(template, &values, &env());
        let second = render_text(template, &values, &env());
        prop_assert_eq!(format!("{first:?}"), format!("{second:?}"));
    }
}

/// Where a string can stand: a block value, a flow list item, a flow
/// mapping value, a macro's output, `toyaml`'s text.
const PLACES: &str = "{% macro m(v) %}{{ v }}{% endmacro %}kind: ConfigMap\ndata:\n  s: {{ values.s }}\n  \
                      t: [{{ values.s }}]\n  m: {k: {{ values.s }}}\n  c: {{ m(values.s) }}\n  \
                      d:{{ values | toyaml(indent=4) }}\n";

#[test]
fn go_yaml_reads_any_rendered_string_as_itself() {
    let Some(oracle) = go_yaml::Oracle::find() else { return };
    let mut runner = TestRunner::new(ProptestConfig { cases: 2048, ..config() });
    let strategy = typed_looking();
    let mut strings = spellings();
    strings.extend((0..2048).map(|_| strategy.new_tree(&mut runner).unwrap().current()));
    let rendered: Vec<String> =
        strings.iter().map(|s| render_text(PLACES, &serde_json::json!({ "s": s }), &env()).unwrap().unwrap()).collect();
    // One process decodes every document: Go's YAML once per test, not once per case.
    let decoded = oracle.decode(&rendered);
    let wrong: Vec<String> = strings
        .iter()
        .zip(&rendered)
        .zip(decoded)
        .filter_map(|((s, out), read)| {
            let data = serde_json::json!({ "s": s, "t": [s], "m": { "k": s }, "c": s, "d": { "s": s } });
            let expected = serde_json::json!({ "kind": "ConfigMap", "data": data });
            (read.as_ref() != Ok(&expected)).then(|| format!("{s:?} rendered as\n{out}Go's YAML read {read:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{} of {} strings changed:\n{}", wrong.len(), strings.len(), wrong.join("\n"));
}
