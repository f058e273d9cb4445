//! Go's YAML as a test oracle: `sigs.k8s.io/yaml`, the library kubectl,
//! Argo CD and Helm decode manifests with, reached through Helm's SDK
//! compiled as a Python extension (`PyPI` package `helm-python-sdk`, whose
//! `values_from_yaml` decodes through it). `.ci/yaml-oracle` installs it into
//! `target/ci-venv`; `PGRENDER_GO_YAML_PYTHON` names another interpreter.
//! Without it the tests that need it say so and pass, except under
//! `CI=true`, where a missing oracle fails them.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Decodes a JSON list of YAML documents, each into its JSON value or the error.
const DECODE: &str = r#"
import json, sys
import helm_python
out = []
for doc in json.load(sys.stdin):
    try:
        out.append({"ok": helm_python.values_from_yaml(doc)})
    except Exception as err:
        out.append({"error": str(err)})
json.dump(out, sys.stdout)
"#;

/// A Python interpreter that can import Helm's SDK.
pub struct Oracle {
    python: PathBuf,
}

impl Oracle {
    /// The oracle, or `None` (after saying why) when it is not installed
    /// outside CI; under `CI=true` a missing oracle panics.
    pub fn find() -> Option<Oracle> {
        let python = std::env::var_os("PGRENDER_GO_YAML_PYTHON")
            .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/python"), PathBuf::from);
        let works = Command::new(&python)
            .args(["-c", "import helm_python"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if works {
            return Some(Oracle { python });
        }
        let why = format!("Go's YAML oracle is missing: {} cannot import helm_python", python.display());
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why} (run .ci/yaml-oracle)");
        eprintln!("skipped: {why}; install it with .ci/yaml-oracle");
        None
    }

    /// What Go's YAML reads from each document (as JSON), or its error, in one process.
    pub fn decode(&self, documents: &[String]) -> Vec<Result<serde_json::Value, String>> {
        let mut child = Command::new(&self.python)
            .args(["-c", DECODE])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the oracle starts");
        let input = serde_json::to_vec(documents).unwrap();
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "the oracle failed: {}", output.status);
        let results: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).expect("the oracle's JSON");
        assert_eq!(results.len(), documents.len());
        results
            .into_iter()
            .map(|mut r| match r.get_mut("ok") {
                Some(value) => Ok(value.take()),
                None => Err(r["error"].as_str().unwrap_or_default().to_string()),
            })
            .collect()
    }
}
