//! Fuzzes the TOML → values → render path: the input is a values layer and
//! a template separated by a NUL byte (a `--set` argument after a second
//! one). Whatever the bytes, pgrender must return an error or output, and
//! every error must print, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pgrender::render::{EnvContext, render_text};
use pgrender::source::Source;
use pgrender::values::{LayerKind, Values};

const DEFAULTS: &str = "name = \"demo\"\nreplicas = 1\ntags = [\"a\", \"b\"]\n[image]\ntag = \"16\"\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(3, '\0');
    let layer = parts.next().unwrap_or_default();
    let template = parts.next().unwrap_or("kind: X\nv: {{ values }}\n");
    let set = parts.next();
    let mut values = Values::default();
    values.apply_toml(LayerKind::Chart("app".into()), Source::new("values.toml", DEFAULTS), &["app"]).unwrap();
    let mut result = values.apply_toml(LayerKind::Environment, Source::new("env.toml", layer), &[]);
    if let (Ok(()), Some(set)) = (&result, set) {
        result = values.apply_set(set, |path| path.len() % 2 == 0);
    }
    let env = EnvContext { name: "dev".into(), provider: "k3d".into(), kubernetes: "1.31".into() };
    let outcome = result.and_then(|()| {
        let app = values.tree.get("app").cloned().unwrap_or_default();
        render_text(template, &app, &env).map(drop)
    });
    if let Err(err) = outcome {
        for diagnostic in err.diagnostics() {
            let _ = diagnostic.render(false);
        }
    }
    for (path, _, _, _) in values.leaves() {
        let _ = pgrender::values::DottedPath(path).to_string();
    }
});
