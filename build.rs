//! Rebuilds when the starter project that `pgrender init` embeds changes
//! (the files are compiled in, so a new or removed file must trigger a
//! build), and splits the Kubernetes schema bundle into one JSON text per
//! version and per shape: a run then parses only what its objects reach,
//! instead of scanning the whole bundle at start-up.

use std::fmt::Write as _;
use std::path::Path;

const BUNDLE: &str = "src/check/kube-schemas.json";

fn main() {
    for path in ["pgrender.toml", ".taplo.toml", "charts", "schema", "environments", BUNDLE] {
        println!("cargo:rerun-if-changed={path}");
    }
    let text = std::fs::read_to_string(BUNDLE).expect("the Kubernetes schema bundle is readable");
    let bundle: serde_json::Value = serde_json::from_str(&text).expect("the Kubernetes schema bundle is JSON");
    let mut out = String::new();
    for (name, key) in [("VERSIONS", "versions"), ("SHAPES", "shapes")] {
        let table = bundle[key].as_object().expect("the bundle has `versions` and `shapes` objects");
        let mut entries: Vec<_> = table.iter().collect();
        entries.sort_by_key(|(k, _)| k.as_str());
        writeln!(out, "static {name}: &[(&str, &str)] = &[").unwrap();
        for (k, v) in entries {
            writeln!(out, "    ({k:?}, {:?}),", v.to_string()).unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("kube_schemas.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
