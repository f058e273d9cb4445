//! Watch mode: the real binary watching a temp copy of the `minimal`
//! fixture while the test edits it. Every wait polls for a condition with
//! a generous deadline, so a loaded machine slows the tests down without
//! failing them.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::harness::TestProject;

const DEADLINE: Duration = Duration::from_secs(20);
const CONFIGMAP: &str = "out/dev/3-config/configmap.yaml";
/// The template that `CONFIGMAP` is rendered from.
const TEMPLATE: &str = "charts/app/templates/3-config/configmap.yaml.j2";

/// A running `pgrender watch`, killed when dropped.
struct Watcher {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl Watcher {
    fn start(project: &TestProject, args: &[&str]) -> Watcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pgrender"))
            .arg("watch")
            .args(args)
            .current_dir(project.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pgrender watch");
        let (stdout, out_reader) = capture(child.stdout.take().unwrap());
        let (stderr, err_reader) = capture(child.stderr.take().unwrap());
        Watcher { child, stdout, stderr, readers: vec![out_reader, err_reader] }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Polls until `done` holds; fails with what the watcher printed otherwise.
    #[track_caller]
    fn wait_for(&mut self, what: &str, mut done: impl FnMut(&Watcher) -> bool) {
        let end = Instant::now() + DEADLINE;
        while !done(self) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "watcher exited ({status}) waiting for {what}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}\nstdout:\n{}\nstderr:\n{}",
                self.stdout(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Sends SIGTERM and returns the exit code, once all output is read.
    fn terminate(&mut self) -> Option<i32> {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -TERM failed");
        let end = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The pipes close when every process holding them is gone.
                while !self.readers.iter().all(JoinHandle::is_finished) {
                    assert!(Instant::now() < end, "something still holds the watcher's output open");
                    std::thread::sleep(Duration::from_millis(20));
                }
                return status.code();
            }
            assert!(Instant::now() < end, "watcher did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Collects a pipe's text on a thread, so polling never blocks on it.
fn capture(mut stream: impl std::io::Read + Send + 'static) -> (Arc<Mutex<String>>, JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    let reader = std::thread::spawn(move || {
        let mut buf = [0; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (text, reader)
}

fn read(project: &TestProject, rel: &str) -> String {
    std::fs::read_to_string(project.path().join(rel)).unwrap_or_default()
}

fn dev_values(message: &str) -> String {
    format!("[environment]\nprovider = \"k3d\"\n\n[app]\nmessage = \"{message}\"\n")
}

/// Starts watching `dev` and waits for the first render.
fn watching_dev(project: &TestProject, extra: &[&str]) -> Watcher {
    let mut args = vec!["--env", "dev"];
    args.extend_from_slice(extra);
    let mut watcher = Watcher::start(project, &args);
    watcher.wait_for("the initial render", |_| read(project, CONFIGMAP).contains("message: "));
    watcher
}

#[test]
fn renders_at_start_and_again_when_a_value_changes() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &[]);
    watcher.wait_for("the first summary", |w| w.stdout().contains("dev  3-config/configmap.yaml added"));
    project.write("environments/dev.toml", &dev_values("changed while watching"));
    watcher.wait_for("the new value", |_| read(&project, CONFIGMAP).contains("message: changed while watching"));
    watcher
        .wait_for("a change summary", |w| w.stdout().contains("dev  3-config/configmap.yaml changed (+2 \u{2212}2)"));
}

#[test]
fn diff_prints_the_changed_lines() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &["--diff"]);
    project.write("environments/dev.toml", &dev_values("diffed"));
    watcher.wait_for("the diff", |w| w.stdout().contains("+  message: diffed\n"));
    let stdout = watcher.stdout();
    assert!(stdout.contains("--- a/dev/3-config/configmap.yaml\n+++ b/dev/3-config/configmap.yaml\n"), "{stdout}");
    assert!(stdout.contains("-  message: hello from dev\n"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "colour without a terminal:\n{stdout}");
}

#[test]
fn an_extra_values_file_is_watched_too() {
    let project = TestProject::fixture("minimal");
    project.write("extra.toml", "[app]\nmessage = \"from extra\"\n");
    let mut watcher = watching_dev(&project, &["-f", "extra.toml"]);
    watcher.wait_for("the extra layer", |_| read(&project, CONFIGMAP).contains("message: from extra"));
    project.write("extra.toml", "[app]\nmessage = \"extra edited\"\n");
    watcher.wait_for("the edited layer", |_| read(&project, CONFIGMAP).contains("message: extra edited"));
}

#[test]
fn a_broken_edit_keeps_the_output_and_the_watch_then_recovers() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &[]);
    let before = project.tree("out");
    project.write("environments/dev.toml", "[environment]\nprovider = \"k3d\"\n[app]\nmessage = \n");
    watcher.wait_for("the diagnostic", |w| w.stderr().contains("environments/dev.toml:4:11"));
    assert!(watcher.stderr().contains("invalid TOML"), "{}", watcher.stderr());
    assert!(watcher.alive(), "the watch ended on a render error");
    assert_eq!(project.tree("out"), before, "a failed render touched the output");

    project.write("environments/dev.toml", "[environment]\nprovider = \"k3d\"\n[app]\nreplicas = \"many\"\n");
    watcher.wait_for("the schema diagnostic", |w| w.stderr().contains("environments/dev.toml:4:12"));
    assert_eq!(project.tree("out"), before, "a failed render touched the output");

    project.write("environments/dev.toml", &dev_values("fixed"));
    watcher.wait_for("recovery", |w| w.stdout().contains("recovered"));
    watcher.wait_for("the fixed value", |_| read(&project, CONFIGMAP).contains("message: fixed"));
}

#[test]
fn an_edit_that_fails_an_output_check_keeps_the_last_good_output() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &[]);
    let before = project.tree("out");
    // A plain `yes` that kubectl reads as a boolean where the ConfigMap wants a string (YML001).
    let template = project.read(TEMPLATE);
    project.write(TEMPLATE, &template.replace("message: {{ values.message }}", "message: yes"));
    watcher.wait_for("the check finding", |w| w.stderr().contains("YML001"));
    assert!(watcher.alive(), "the watch ended on a failed check");
    assert_eq!(project.tree("out"), before, "a failed check touched the output");
    project.write(TEMPLATE, &template);
    watcher.wait_for("recovery", |w| w.stdout().contains("recovered"));
}

// How many renders a burst takes depends on the machine's load against the
// quiet window; `watch::events` unit-tests the batching itself. What must
// hold under any load is the end state.
#[test]
fn a_burst_of_writes_ends_on_the_last_write() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &[]);
    for i in 0..20 {
        project.write("environments/dev.toml", &dev_values(&format!("burst {i}")));
    }
    watcher.wait_for("the last write", |_| read(&project, CONFIGMAP).contains("message: burst 19"));
    assert_eq!(watcher.terminate(), Some(0));

    project.run(&["--env", "dev", "--out", "fresh"]).code(0);
    assert_eq!(project.tree("out/dev"), project.tree("fresh/dev"), "the watch output is not the last write's");
}

#[test]
fn a_checkout_touching_chart_schema_and_values_renders_the_end_state() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &[]);
    let template = "charts/app/templates/3-config/configmap.yaml.j2";
    project.write(template, &read(&project, template).replace("  tags:", "  labels:"));
    project.write("charts/app/values.toml", &read(&project, "charts/app/values.toml").replace("\"16\"", "\"17\""));
    project.write("schema/app.schema.json", &format!("{}\n", read(&project, "schema/app.schema.json")));
    project.write("environments/dev.toml", &dev_values("checked out"));
    watcher.wait_for("the end state", |_| read(&project, CONFIGMAP).contains("message: checked out"));
    assert_eq!(watcher.terminate(), Some(0));

    project.run(&["--env", "dev", "--out", "fresh"]).code(0);
    assert_eq!(project.tree("out/dev"), project.tree("fresh/dev"));
    assert!(read(&project, CONFIGMAP).contains("labels: \"a,b\"") && read(&project, CONFIGMAP).contains("tag: \"17\""));
}

#[test]
fn an_atomic_rename_save_is_seen() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &[]);
    project.write("environments/.dev.toml.tmp", &dev_values("saved by rename"));
    std::fs::rename(project.path().join("environments/.dev.toml.tmp"), project.path().join("environments/dev.toml"))
        .unwrap();
    watcher.wait_for("the renamed file's value", |_| read(&project, CONFIGMAP).contains("message: saved by rename"));
    // The file was replaced, so the watch must still see the next save too.
    project.write("environments/dev.toml", &dev_values("and then written"));
    watcher.wait_for("the next save", |_| read(&project, CONFIGMAP).contains("message: and then written"));
}

#[test]
fn a_template_folder_removed_and_recreated_is_watched_again() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &[]);
    let templates = project.path().join("charts/app/templates");
    let saved = project.path().join("templates.saved");
    std::fs::rename(&templates, &saved).unwrap();
    watcher.wait_for("the missing-template render", |w| !w.stderr().is_empty() || w.stdout().contains("removed"));
    std::fs::rename(&saved, &templates).unwrap();
    let configmap = templates.join("3-config/configmap.yaml.j2");
    let text = std::fs::read_to_string(&configmap).unwrap();
    std::fs::write(&configmap, text.replace("message: {{", "greeting: {{")).unwrap();
    watcher.wait_for("the edited template", |_| read(&project, CONFIGMAP).contains("greeting: hello from dev"));
}

#[test]
fn a_new_environment_file_is_rendered_under_all() {
    let project = TestProject::fixture("minimal");
    let mut watcher = Watcher::start(&project, &["--all"]);
    watcher.wait_for("the initial render", |_| Path::new(&project.path().join("out/prod")).is_dir());
    project.write("environments/qa.toml", "[environment]\nprovider = \"gke\"\n");
    watcher.wait_for("the new environment", |_| read(&project, "out/qa/3-config/configmap.yaml").contains("gke"));
    watcher.wait_for("the new-environment notice", |w| w.stdout().contains("new environment qa"));

    std::fs::remove_file(project.path().join("environments/qa.toml")).unwrap();
    watcher.wait_for("the removal notice", |w| w.stdout().contains("environment qa was removed"));
    assert!(project.path().join("out/qa/3-config/configmap.yaml").is_file(), "its output is left in place");
}

#[test]
fn exec_runs_after_a_render_with_the_environment_in_its_variables() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &["--exec", "echo \"$PGRENDER_ENV $PGRENDER_ENVS\" >> exec.log; exit 3"]);
    watcher.wait_for("the first run", |_| read(&project, "exec.log").contains("dev dev\n"));
    watcher.wait_for("the failure report", |w| w.stderr().contains("--exec"));
    project.write("environments/dev.toml", &dev_values("again"));
    watcher.wait_for("the second run", |_| read(&project, "exec.log").lines().count() >= 2);
    assert!(watcher.alive(), "a failing --exec ended the watch");
}

#[cfg(target_os = "linux")]
#[test]
fn sigterm_also_stops_a_running_exec_command() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &["--exec", "sleep 60 >/dev/null 2>&1 & echo $! > sleep.pid; wait"]);
    watcher.wait_for("the command", |_| read(&project, "sleep.pid").ends_with('\n'));
    let stat = format!("/proc/{}/stat", read(&project, "sleep.pid").trim());
    // Gone, or a zombie where nothing reaps orphans (some containers).
    let running = || std::fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z "));
    assert!(running());
    assert_eq!(watcher.terminate(), Some(0));
    let end = Instant::now() + DEADLINE;
    while running() {
        assert!(Instant::now() < end, "the --exec command outlived the watch");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_stops_the_watch_with_exit_0_and_no_temp_files() {
    let project = TestProject::fixture("minimal");
    let mut watcher = watching_dev(&project, &[]);
    assert_eq!(watcher.terminate(), Some(0), "stderr:\n{}", watcher.stderr());
    let leftovers: Vec<_> = project.tree("out").into_keys().filter(|p| p.contains("staging")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn links_out_of_the_project_made_while_watching_are_refused() {
    let project = TestProject::fixture("minimal");
    let outside = crate::harness::outside_with_secrets();
    let mut watcher = watching_dev(&project, &[]);
    let before = project.tree("out");
    let env_file = project.path().join("environments/dev.toml");
    std::fs::remove_file(&env_file).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.toml"), &env_file).unwrap();
    watcher.wait_for("the refused environment file", |w| {
        w.stderr().contains("environments/dev.toml leads outside the project")
    });
    std::fs::remove_file(&env_file).unwrap();
    project.write("environments/dev.toml", &dev_values("back inside"));
    watcher.wait_for("recovery", |_| read(&project, CONFIGMAP).contains("message: back inside"));
    let after_recovery = project.tree("out");
    let template = project.path().join("charts/app/templates/3-config/extra.yaml.j2");
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), &template).unwrap();
    watcher.wait_for("the refused template", |w| {
        w.stderr().contains("charts/app/templates/3-config/extra.yaml.j2 leads outside the project")
    });
    std::fs::remove_file(&template).unwrap();
    watcher.wait_for("the second recovery", |w| w.stdout().matches("recovered").count() == 2);
    // The output folder swapped for a link: refused on the next render, nothing written through it.
    std::fs::rename(project.path().join("out"), project.path().join("out-moved")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("empty"), project.path().join("out")).unwrap();
    project.write("environments/dev.toml", &dev_values("not through the link"));
    watcher.wait_for("the refused output folder", |w| w.stderr().contains("out leads outside the project"));
    assert!(watcher.alive(), "the watch ended on a refusal");
    assert!(outside.tree("empty").is_empty(), "written through the link");
    assert_eq!(project.tree("out-moved"), after_recovery);
    assert_ne!(before, after_recovery);
    assert!(!watcher.stdout().contains(crate::harness::SECRET) && !watcher.stderr().contains(crate::harness::SECRET));
}

#[test]
fn watch_keeps_the_sums_of_manifest_current() {
    let project = TestProject::fixture("minimal");
    project.run(&["--all", "--manifest"]).code(0);
    let mut watcher = watching_dev(&project, &[]);
    project.write("environments/dev.toml", &dev_values("summed again"));
    watcher.wait_for("the new value", |_| read(&project, CONFIGMAP).contains("message: summed again"));
    watcher.wait_for("current sums", |_| {
        read(&project, "out/SHA256SUMS").contains(&pgrender::files::hex_sha256(read(&project, CONFIGMAP).as_bytes()))
    });
    crate::manifest::assert_sums_current(&project, "out");
}
