//! A small builder that copies a project into a temp dir, runs the real
//! binary there and captures what a user would see.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root: the embedded default project.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Marks the content of every file outside a project: it must never appear
/// in what pgrender prints or writes.
pub const SECRET: &str = "SECRET-7f3a9c";

/// A folder beside a project, holding `secret.txt` (any text), `secret.toml`
/// (an environment file for the `minimal` fixture), `envs/dev.toml` (the
/// same), `secret.json` (a schema), `chart/` (a whole chart) and an empty
/// `empty/`, each file carrying [`SECRET`].
pub fn outside_with_secrets() -> TestProject {
    let outside = TestProject::empty();
    outside.write("secret.txt", &format!("{SECRET}: token\n"));
    let env = format!("[environment]\nprovider = \"k3d\"\n\n[app]\nmessage = \"{SECRET}\"\n");
    outside.write("secret.toml", &env);
    outside.write("envs/dev.toml", &env);
    outside.write("secret.json", &format!("{{\"type\": \"object\", \"required\": [\"{SECRET}\"]}}\n"));
    outside.write("chart/chart.toml", "name = \"app\"\nversion = \"6.6.6\"\n");
    outside.write("chart/values.toml", &format!("name = \"demo\"\nreplicas = 1\nmessage = \"{SECRET}\"\n[image]\n"));
    outside.write(
        "chart/templates/9-secret.yaml.j2",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\n  namespace: demo-dev\ndata:\n  s: {SECRET}\n"
        ),
    );
    std::fs::create_dir_all(outside.path().join("empty")).unwrap();
    outside
}

/// A project in a temp dir.
pub struct TestProject {
    dir: tempfile::TempDir,
}

/// What a run printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TestProject {
    /// A copy of the repository's own project (pgrender.toml, charts/, schema/, environments/)
    /// with its committed output (k8s-manifests/), as a checkout has it.
    pub fn default_project() -> TestProject {
        let project = TestProject::empty();
        for entry in ["pgrender.toml", "charts", "schema", "environments", "k8s-manifests"] {
            copy_tree(&repo_root().join(entry), &project.path().join(entry));
        }
        project
    }

    /// A copy of `tests/fixtures/<name>`.
    pub fn fixture(name: &str) -> TestProject {
        let project = TestProject::empty();
        copy_tree(&repo_root().join("tests/fixtures").join(name), project.path());
        project
    }

    /// An empty temp dir.
    pub fn empty() -> TestProject {
        TestProject { dir: tempfile::tempdir().expect("temp dir") }
    }

    /// The project folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes (or replaces) a file, creating folders.
    pub fn write(&self, rel: &str, content: &str) -> &Self {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    /// Reads a file of the project.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Runs pgrender in the project folder with colour off.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// Runs pgrender in the project folder with colour off and extra environment variables.
    pub fn run_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_pgrender"))
            .args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .envs(vars.iter().copied())
            .output()
            .expect("run pgrender");
        let clean = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            text.replace(&self.path().display().to_string(), "[PROJECT]")
        };
        Run { code: output.status.code().unwrap_or(-1), stdout: clean(&output.stdout), stderr: clean(&output.stderr) }
    }

    /// Every file below `rel` (relative path → content), for byte-for-byte comparisons.
    pub fn tree(&self, rel: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        collect(&self.path().join(rel), "", &mut out);
        out
    }
}

impl Run {
    /// Asserts the exit code, showing stderr when it differs.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, expected, "exit code; stderr:\n{}\nstdout:\n{}", self.stderr, self.stdout);
        assert!(!self.stderr.contains("panicked"), "panic:\n{}", self.stderr);
        self
    }

    /// Asserts stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(self.stderr.contains(needle), "stderr lacks {needle:?}:\n{}", self.stderr);
        self
    }
}

/// The whole tree as one text, for snapshots: `=== path` then content.
pub fn tree_text(tree: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (path, content) in tree {
        out.push_str("=== ");
        out.push_str(path);
        out.push('\n');
        out.push_str(content);
    }
    out
}

fn collect(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        if entry.file_type().unwrap().is_dir() {
            collect(&entry.path(), &rel, out);
        } else {
            out.insert(rel, std::fs::read_to_string(entry.path()).unwrap_or_else(|_| "<binary>".into()));
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}
