//! Rebuilds when the starter project that `pgrender init` embeds or the
//! chart that `pgrender new chart` starts from changes (the files are
//! compiled in, so a new or removed file must trigger a build), and turns
//! the Kubernetes schema bundle into Rust: each version's table as sorted
//! static slices, each shape as its own JSON text. A run
//! then parses only the shapes its objects reach, and no table at all.

use std::fmt::Write as _;
use std::path::Path;

const BUNDLE: &str = "src/check/kube-schemas.json";

fn main() {
    for path in ["pgrender.toml", ".taplo.toml", "charts", "schema", "environments", "src/scaffold/chart", BUNDLE] {
        println!("cargo:rerun-if-changed={path}");
    }
    let text = std::fs::read_to_string(BUNDLE).expect("the Kubernetes schema bundle is readable");
    let bundle: serde_json::Value = serde_json::from_str(&text).expect("the Kubernetes schema bundle is JSON");
    let mut out = String::new();
    let versions = bundle["versions"].as_object().expect("the bundle has a `versions` object");
    writeln!(out, "static VERSIONS: &[(&str, KubeSchemas)] = &[").unwrap();
    for (version, table) in sorted(versions) {
        let kinds = sorted(table["kinds"].as_object().expect("a version table has `kinds`"));
        let defs = sorted(table["defs"].as_object().expect("a version table has `defs`"));
        let mut builtin: Vec<&str> = table["builtin"]
            .as_array()
            .expect("a version table has `builtin`")
            .iter()
            .map(|v| v.as_str().expect("builtin kinds are strings"))
            .collect();
        builtin.sort_unstable();
        writeln!(out, "    ({version:?}, KubeSchemas {{").unwrap();
        writeln!(out, "        kinds: &{:?},", pairs(&kinds)).unwrap();
        writeln!(out, "        builtin: &{builtin:?},").unwrap();
        writeln!(out, "        defs: &{:?},", pairs(&defs)).unwrap();
        writeln!(out, "    }}),").unwrap();
    }
    writeln!(out, "];").unwrap();
    let shapes = bundle["shapes"].as_object().expect("the bundle has a `shapes` object");
    writeln!(out, "static SHAPES: &[(&str, &str)] = &[").unwrap();
    for (k, v) in sorted(shapes) {
        writeln!(out, "    ({k:?}, {:?}),", v.to_string()).unwrap();
    }
    writeln!(out, "];").unwrap();
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("kube_schemas.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// A JSON object's entries, sorted by key (for binary search at run time).
fn sorted(map: &serde_json::Map<String, serde_json::Value>) -> Vec<(&str, &serde_json::Value)> {
    let mut entries: Vec<_> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
    entries.sort_unstable_by_key(|(k, _)| *k);
    entries
}

/// String-valued entries as `(key, value)` pairs.
fn pairs<'a>(entries: &[(&'a str, &'a serde_json::Value)]) -> Vec<(&'a str, &'a str)> {
    entries.iter().map(|(k, v)| (*k, v.as_str().expect("table values are strings"))).collect()
}
