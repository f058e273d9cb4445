//! A small builder that copies a project into a temp dir, runs the real
//! binary there and captures what a user would see.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

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
        copy_default_project(project.path());
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

    /// Writes the replication overlays of `tests/fixtures/replication/`;
    /// [`replication_overlay`] names the one for an environment.
    pub fn write_replication_overlays(&self) -> &Self {
        self.write("local-replication.toml", include_str!("../fixtures/replication/local.toml"));
        self.write("cloud-replication.toml", include_str!("../fixtures/replication/cloud.toml"))
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

    /// Runs pgrender like [`TestProject::run`] and measures it with GNU
    /// `time`: peak resident memory and processor time, which unlike wall
    /// time do not depend on how busy the machine is. `prlimit` (util-linux)
    /// caps its address space and processor time far above what a linear
    /// run needs, so that a regression fails at once instead of swapping.
    pub fn run_measured(&self, args: &[&str]) -> (Run, Usage) {
        let usage_file = self.path().join(".usage");
        let output = Command::new("prlimit")
            .args(["--as=4294967296", "--cpu=120", "--", "/usr/bin/time", "-f", "%M %U %S", "-o"])
            .arg(&usage_file)
            .arg(env!("CARGO_BIN_EXE_pgrender"))
            .args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .expect("run prlimit (util-linux) and /usr/bin/time (GNU time)");
        let clean =
            |bytes: &[u8]| String::from_utf8_lossy(bytes).replace(&self.path().display().to_string(), "[PROJECT]");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: clean(&output.stdout),
            stderr: clean(&output.stderr),
        };
        let report = std::fs::read_to_string(&usage_file).unwrap_or_default();
        std::fs::remove_file(&usage_file).ok();
        // The last line: GNU time puts "Command exited with non-zero status" first.
        let fields: Vec<f64> = report.lines().last().unwrap_or("").split(' ').filter_map(|f| f.parse().ok()).collect();
        let [kilobytes, user, system] = fields[..] else { panic!("unreadable GNU time report {report:?}; {run:?}") };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // kilobytes, a whole number
        let usage = Usage { peak_memory: kilobytes as u64 * 1024, cpu: Duration::from_secs_f64(user + system) };
        (run, usage)
    }

    /// Every file below `rel` (relative path → content), for byte-for-byte comparisons.
    pub fn tree(&self, rel: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        collect(&self.path().join(rel), "", &mut out);
        out
    }
}

/// What a run cost, as the kernel counted it.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// Peak resident memory, in bytes.
    pub peak_memory: u64,
    /// Processor time, user and system.
    pub cpu: Duration,
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

    /// What [`Run::code`] and [`Run::stderr_has`] assert, as a list of
    /// problems instead of a panic: a runner over many cases reports them all.
    pub fn problems(&self, expected: i32, needles: &[&str]) -> Vec<String> {
        let mut problems = Vec::new();
        if self.code != expected {
            problems.push(format!("exit code {}, not {expected}", self.code));
        }
        if self.stderr.contains("panicked") {
            problems.push("panic".to_string());
        }
        problems.extend(needles.iter().filter(|n| !self.stderr.contains(*n)).map(|n| format!("stderr lacks {n:?}")));
        problems
    }
}

/// What the user saw of each run (its command line and what it printed),
/// for snapshots: the command, its exit code, then stderr and stdout where
/// they are not empty.
pub fn transcript(runs: &[(String, Run)]) -> String {
    let mut out = String::new();
    for (command, run) in runs {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "$ pgrender {command}\nexit code: {}", run.code);
        for (stream, text) in [("stderr", &run.stderr), ("stdout", &run.stdout)] {
            if !text.is_empty() {
                let _ = write!(out, "--- {stream}\n{text}");
                if !text.ends_with('\n') {
                    out.push_str("\n[no newline at the end]\n");
                }
            }
        }
    }
    out
}

/// The failing cases of a runner over fixture files. Each is printed as soon
/// as it fails, so that it shows even when `insta::glob!` ends the test first
/// for a snapshot that differs; [`Failures::assert_none`] fails the test
/// after the last case.
#[derive(Default)]
pub struct Failures {
    cases: Vec<String>,
}

impl Failures {
    /// Records `case` as failing when `problems` is not empty.
    pub fn record(&mut self, case: &str, problems: &[String], run: &Run) {
        if problems.is_empty() {
            return;
        }
        let failure = format!("{case}: {}\nstderr:\n{}", problems.join(", "), run.stderr);
        println!("{failure}");
        self.cases.push(failure);
    }

    /// Fails the test if any case failed, listing them all.
    #[track_caller]
    pub fn assert_none(&self) {
        assert!(self.cases.is_empty(), "{} failing cases:\n{}", self.cases.len(), self.cases.join("\n"));
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

/// Copies the repository's own project, with its committed output, into `to`.
pub fn copy_default_project(to: &Path) {
    for entry in ["pgrender.toml", "charts", "schema", "environments", "k8s-manifests"] {
        copy_tree(&repo_root().join(entry), &to.join(entry));
    }
}

/// Copies a file or a folder with everything in it.
pub fn copy_tree(from: &Path, to: &Path) {
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

/// The replication overlay for `env`: k3d's for `local`, the clouds' otherwise.
pub fn replication_overlay(env: &str) -> &'static str {
    if env == "local" { "local-replication.toml" } else { "cloud-replication.toml" }
}
