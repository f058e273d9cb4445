//! Save→output latency of `pgrender watch`, measured from the outside: a
//! copy of the default project is watched, `environments/local.toml` is
//! saved N times (`PGRENDER_BENCH_SAVES`, default 50), and after each save
//! the rendered `StatefulSet` is polled until it holds the new value.
//!
//! Run with `cargo bench --bench watch-latency`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// The integration tests' project builder; the bench uses only part of it.
#[allow(dead_code)]
#[path = "../tests/integration/harness.rs"]
mod harness;

const OUTPUT: &str = "k8s-manifests/local/4-database/postgres-statefulset.yaml";

fn main() {
    let saves: usize = std::env::var("PGRENDER_BENCH_SAVES").ok().and_then(|n| n.parse().ok()).unwrap_or(50);
    let project = harness::TestProject::default_project();
    let env_file = project.path().join("environments/local.toml");
    let base = std::fs::read_to_string(&env_file).expect("local.toml");
    // Each save changes the volume size in place, in its own table.
    let size_line = "size = \"5Gi\"";
    assert!(base.contains(size_line), "environments/local.toml no longer sets {size_line}");
    let output = project.path().join(OUTPUT);

    let watch = Watch(
        Command::new(env!("CARGO_BIN_EXE_pgrender"))
            .args(["watch", "--env", "local"])
            .current_dir(project.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start pgrender watch"),
    );
    wait_until(|| output.is_file(), Duration::from_secs(20)).expect("initial render");

    let mut latencies = Vec::with_capacity(saves);
    for i in 0..saves {
        // Real saves are seconds apart; leave the watch idle between them.
        std::thread::sleep(Duration::from_millis(150));
        let size = 1000 + i;
        let marker = format!("storage: {size}Gi\n");
        let started = Instant::now();
        let text = base.replacen(size_line, &format!("size = \"{size}Gi\""), 1);
        std::fs::write(&env_file, text).expect("save local.toml");
        let seen =
            wait_until(|| std::fs::read_to_string(&output).is_ok_and(|t| t.contains(&marker)), Duration::from_secs(10));
        latencies.push(seen.unwrap_or_else(|| panic!("save {i} never reached the output")) - started);
    }
    drop(watch);

    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |percent: usize| latencies[((latencies.len() - 1) * percent + 50) / 100];
    println!("pgrender watch --env local, default project, {saves} saves of environments/local.toml");
    println!("debounce window: {} ms", pgrender::watch::QUIET.as_millis());
    println!(
        "save→output latency: median {:.1} ms, p95 {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(at(50)),
        ms(at(95)),
        ms(latencies[0]),
        ms(latencies[latencies.len() - 1])
    );
}

/// The running watch, stopped as Ctrl-C would when the bench ends or fails,
/// so a failed run leaves no watcher behind.
struct Watch(Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

/// Polls `done` every 200 µs; the instant it first held, or `None` after `limit`.
fn wait_until(mut done: impl FnMut() -> bool, limit: Duration) -> Option<Instant> {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    None
}
