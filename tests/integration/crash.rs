//! Nothing lost, nothing half-written: pgrender is killed (SIGKILL) at many points
//! while writing a large tree, and every environment folder must then hold
//! exactly its complete old or complete new files; the next run must leave
//! no staging folders behind. Two concurrent writers never interleave.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::TestProject;

/// The variable that sets how long a second writer waits for the output folder's lock.
const LOCK_WAIT_VAR: &str = "PGRENDER_LOCK_WAIT_MS";

const ENVS: &[&str] = &["e1", "e2", "e3", "e4", "e5", "e6"];
const OLD: &str = "app.message=old";
const NEW: &str = "app.message=new";

/// The minimal fixture grown to six environments of 41 files each.
fn large_project() -> TestProject {
    let project = TestProject::fixture("minimal");
    for env in ENVS {
        project.write(&format!("environments/{env}.toml"), "[environment]\nprovider = \"k3d\"\n");
    }
    for i in 0..40 {
        let mut template = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: {{{{ values.name }}}}-{{{{ env.name }}}}\ndata:\n"
        );
        for line in 0..20 {
            let _ = writeln!(template, "  k{line}: {{{{ values.message }}}}-{i}-{line}");
        }
        project.write(&format!("charts/app/templates/5-many/cm-{i}.yaml.j2"), &template);
    }
    project
}

fn render_args(set: &str) -> [&str; 3] {
    ["--all", "--set", set]
}

/// Each environment's files, by environment.
fn per_env(tree: &BTreeMap<String, String>) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (path, content) in tree {
        let (env, rest) = path.split_once('/').unwrap_or((path, ""));
        out.entry(env.to_string()).or_default().insert(rest.to_string(), content.clone());
    }
    out
}

/// How the killed runs ended.
#[derive(Debug, Default)]
struct Kills {
    /// Killed while staging: a staging folder was left behind.
    staging: u32,
    /// Killed between environment swaps: some environments old, some new.
    between_swaps: u32,
}

impl Kills {
    /// How many kills interrupted the write itself.
    fn during_write(&self) -> u32 {
        self.staging + self.between_swaps
    }
}

/// Waits until the render in `child` starts staging its output in `out`
/// (or has ended): the write phase, a few milliseconds at the end of a run.
fn wait_for_staging(out: &Path, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        let staging = std::fs::read_dir(out)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().ends_with(".pgrender-staging"));
        if staging {
            return;
        }
        std::thread::yield_now();
    }
}

/// Kills `iterations` renders at spread-out moments and checks each outcome.
fn kill_repeatedly(iterations: u32) -> Kills {
    let project = large_project();
    project.run(&render_args(NEW)).code(0);
    let new = per_env(&project.tree("out"));
    project.run(&render_args(OLD)).code(0);
    let old = per_env(&project.tree("out"));
    assert_eq!(old.len(), ENVS.len() + 2);
    let started = Instant::now();
    project.run(&render_args(NEW)).code(0);
    let full_run = started.elapsed();
    project.run(&render_args(OLD)).code(0);

    let mut kills = Kills::default();
    for i in 0..iterations {
        let (from, to) = if i % 2 == 0 { (&old, NEW) } else { (&new, OLD) };
        let target = if i % 2 == 0 { &new } else { &old };
        let mut child = Command::new(env!("CARGO_BIN_EXE_pgrender"))
            .args(render_args(to))
            .current_dir(project.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if (i / 2) % 2 == 0 {
            // Spread over the whole run: start-up, render, checks and write.
            std::thread::sleep(full_run.mul_f64(f64::from(i) / f64::from(iterations)));
        } else {
            // Into the write, which is too short a part of a run to hit by timing alone.
            wait_for_staging(&project.path().join("out"), &mut child);
            std::thread::sleep(Duration::from_micros(u64::from(i % 5) * 400));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let tree = project.tree("out");
        if tree.keys().any(|p| p.starts_with('.')) {
            kills.staging += 1;
        }
        let visible: BTreeMap<String, String> = tree.into_iter().filter(|(path, _)| !path.starts_with('.')).collect();
        let now = per_env(&visible);
        let (mut olds, mut news) = (0, 0);
        for (env, files) in &now {
            if Some(files) == from.get(env) {
                olds += 1;
            } else if Some(files) == target.get(env) {
                news += 1;
            } else {
                panic!("iteration {i}: {env} is neither the old nor the new tree: {:?}", files.keys());
            }
        }
        assert_eq!(now.len(), ENVS.len() + 2, "iteration {i}: an environment folder went missing");
        if olds > 0 && news > 0 {
            kills.between_swaps += 1;
        }
        // The next run finishes the job and cleans up.
        project.run(&render_args(to)).code(0);
        let after = project.tree("out");
        assert!(after.keys().all(|p| !p.starts_with('.')), "iteration {i}: leftovers {:?}", after.keys());
        assert_eq!(&per_env(&after), target, "iteration {i}");
    }
    kills
}

#[test]
fn a_killed_render_leaves_each_environment_old_or_new() {
    let kills = kill_repeatedly(8);
    println!("8 kills: {kills:?}");
    assert!(kills.during_write() > 0, "no kill interrupted a write, so none tested atomicity: {kills:?}");
}

/// The long version, for the figures in tests/README.md:
/// `cargo test --test integration crash -- --ignored --nocapture`.
#[test]
#[ignore = "long: hundreds of killed renders"]
fn many_killed_renders_leave_each_environment_old_or_new() {
    let kills = kill_repeatedly(200);
    println!("200 kills: {kills:?}");
    assert!(kills.during_write() > 0, "no kill interrupted a write, so none tested atomicity: {kills:?}");
}

#[test]
fn a_second_writer_waits_then_names_the_folder() {
    let project = TestProject::fixture("minimal");
    project.run(&["--env", "dev"]).code(0);
    let before = project.tree("out");
    let held = std::fs::File::open(project.path().join("out")).unwrap();
    held.lock().unwrap();
    let started = Instant::now();
    let run = project.run_with_env(&["--env", "dev", "--set", "app.message=other"], &[(LOCK_WAIT_VAR, "300")]);
    run.code(1).stderr_has("another pgrender is writing to out");
    assert!(started.elapsed() >= Duration::from_millis(300), "gave up before the wait was over");
    assert_eq!(project.tree("out"), before);
    held.unlock().unwrap();
    project.run(&["--env", "dev", "--set", "app.message=other"]).code(0);
}

#[test]
fn a_lock_wait_that_is_not_a_number_is_a_usage_error() {
    let project = TestProject::fixture("minimal");
    let run = project.run_with_env(&["--env", "dev"], &[(LOCK_WAIT_VAR, "2s")]);
    run.code(2).stderr_has("PGRENDER_LOCK_WAIT_MS must be a whole number of milliseconds, got `2s`");
    assert!(!project.path().join("out").exists(), "wrote output despite the usage error");
}

#[test]
fn concurrent_renders_never_interleave() {
    let project = large_project();
    project.run(&render_args(OLD)).code(0);
    let old = project.tree("out");
    project.run(&render_args(NEW)).code(0);
    let new = project.tree("out");
    for round in 0..2 {
        let spawn = |set: &str| {
            Command::new(env!("CARGO_BIN_EXE_pgrender"))
                .args(render_args(set))
                .current_dir(project.path())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(OLD), spawn(NEW));
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert!(out.status.success() || stderr.contains("another pgrender is writing"), "{stderr}");
        }
        let tree = project.tree("out");
        assert!(tree == old || tree == new, "round {round}: the output mixes two renders");
    }
}
