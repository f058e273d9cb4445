//! Real `PostgreSQL` servers standing in for the chart's pods: each "pod" is a
//! server with its own data volume, socket directory and port on 127.0.0.1,
//! and the chart's scripts run with the environment and mounts of the
//! rendered container, mount paths mapped onto temp dirs.
//!
//! The server refuses to run as root, so as root (CI) every server and script
//! runs as the unprivileged `postgres` user through `setpriv`.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_yaml::Value as Yaml;

use crate::chart::yaml_str;

/// Servers are heavy on a shared 2-core machine: one test at a time runs them.
static SERVERS: Mutex<()> = Mutex::new(());

/// The `PostgreSQL` binaries (`initdb`, `postgres`, `pg_basebackup`, …), or why the tests cannot run.
pub struct Tools {
    bin: PathBuf,
    /// Held for the test's lifetime: no two tests start servers at once.
    _turn: MutexGuard<'static, ()>,
}

impl Tools {
    /// The newest `/usr/lib/postgresql/<major>/bin` with a server. Missing: a
    /// failure under `CI=true`, otherwise `None` after printing why.
    pub fn find() -> Option<Tools> {
        let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|bin| bin.join("postgres").is_file())
            .collect();
        bins.sort_by_key(|bin| {
            bin.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).and_then(|n| n.parse::<u32>().ok())
        });
        let Some(bin) = bins.pop() else {
            let reason = "no PostgreSQL server in /usr/lib/postgresql/*/bin (apt-get install postgresql)";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}: required under CI=true");
            eprintln!("skipped: {reason}");
            return None;
        };
        let turn = SERVERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(Tools { bin, _turn: turn })
    }

    /// A command for `program` (a `PostgreSQL` binary name or a path) with exactly `env`
    /// (plus PATH), as the `postgres` user when this process is root.
    pub fn command(&self, program: &str, args: &[&str], env: &BTreeMap<String, String>) -> Command {
        let path = format!("{}:/usr/bin:/bin", self.bin.display());
        let mut cmd = if is_root() {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=postgres", "--regid=postgres", "--clear-groups", "--"]);
            c.arg("env");
            c
        } else {
            Command::new("env")
        };
        cmd.arg("-i").arg(format!("PATH={path}")).arg("LC_ALL=C");
        for (key, value) in env {
            cmd.arg(format!("{key}={value}"));
        }
        cmd.arg(program).args(args);
        cmd
    }

    /// Runs a command to completion.
    pub fn run(&self, program: &str, args: &[&str], env: &BTreeMap<String, String>) -> Output {
        self.command(program, args, env).stdin(Stdio::null()).output().expect("run a PostgreSQL command")
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A directory the servers' user owns (temp dirs are created by the test's user).
pub fn owned_dir(path: &Path) -> PathBuf {
    std::fs::create_dir_all(path).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    if is_root() {
        let status = Command::new("chown").args(["postgres:postgres"]).arg(path).status().unwrap();
        assert!(status.success(), "chown {}", path.display());
    }
    path.to_path_buf()
}

/// Writes a file the servers' user can read (and own).
pub fn owned_file(path: &Path, content: &str, mode: u32) {
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    if is_root() {
        let status = Command::new("chown").args(["postgres:postgres"]).arg(path).status().unwrap();
        assert!(status.success(), "chown {}", path.display());
    }
}

/// A free TCP port on 127.0.0.1 (the OS picks it, so parallel runs do not collide).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A rendered container, seen from the test: its environment and mounts, with
/// each mount path mapped onto a directory of the test.
pub struct Container {
    /// Environment variables with literal values, paths mapped.
    pub env: BTreeMap<String, String>,
    /// The command or arguments, paths mapped.
    pub argv: Vec<String>,
    /// Mount path → test directory, longest first.
    map: Vec<(String, String)>,
}

impl Container {
    /// Reads `container` (a rendered container object) and maps every path below a
    /// mount of volume `v` to `mounts[v]`. `field_refs` gives downward-API values.
    pub fn from_manifest(
        container: &Yaml,
        mounts: &BTreeMap<&str, PathBuf>,
        field_refs: &BTreeMap<&str, String>,
    ) -> Container {
        let mut map: Vec<(String, String)> = Vec::new();
        for mount in container["volumeMounts"].as_sequence().into_iter().flatten() {
            let name = yaml_str(&mount["name"]);
            let target = mounts.get(name).unwrap_or_else(|| panic!("the test maps no directory for volume {name}"));
            map.push((yaml_str(&mount["mountPath"]).to_string(), target.display().to_string()));
        }
        // Longest mount path first: /var/lib/postgresql/archive before /var/lib/postgresql/data.
        map.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        let remap = |text: &str| remap(&map, text);
        let mut env = BTreeMap::new();
        for var in container["env"].as_sequence().into_iter().flatten() {
            let name = yaml_str(&var["name"]).to_string();
            let value = if let Some(value) = var["value"].as_str() {
                let mapped = remap(value);
                // A path on no mounted volume would reach this machine's own directories.
                assert!(
                    !value.starts_with('/') || mapped != value,
                    "env {name}={value} is on no volume the container mounts"
                );
                mapped
            } else {
                let field = yaml_str(&var["valueFrom"]["fieldRef"]["fieldPath"]);
                field_refs.get(field).unwrap_or_else(|| panic!("no value for fieldRef {field}")).clone()
            };
            env.insert(name, value);
        }
        let argv = ["command", "args"]
            .iter()
            .flat_map(|k| container[*k].as_sequence().cloned().unwrap_or_default())
            .map(|a| remap(yaml_str(&a)))
            .collect();
        Container { env, argv, map }
    }

    /// The exec command of probe `probe` (e.g. `readinessProbe`) of `container`, paths mapped.
    pub fn probe(&self, container: &Yaml, probe: &str) -> Vec<String> {
        let command = container[probe]["exec"]["command"].as_sequence().unwrap_or_else(|| panic!("no exec {probe}"));
        command.iter().map(|a| remap(&self.map, yaml_str(a))).collect()
    }
}

/// `text` (a path, or `setting=path`) with a leading mount path replaced by its test directory.
fn remap(map: &[(String, String)], text: &str) -> String {
    if let Some((setting, path)) = text.split_once('=').filter(|(_, path)| path.starts_with('/')) {
        return format!("{setting}={}", remap(map, path));
    }
    for (from, to) in map {
        if text == from {
            return to.clone();
        }
        if let Some(rest) = text.strip_prefix(&format!("{from}/")) {
            return format!("{to}/{rest}");
        }
    }
    text.to_string()
}

/// A running `postgres` process with its own data directory, socket directory and port;
/// stopped when dropped, also when the test fails.
pub struct Server<'t> {
    tools: &'t Tools,
    /// Its name in messages, e.g. `postgres-replica-0`.
    pub name: String,
    /// Port on 127.0.0.1.
    pub port: u16,
    /// Socket directory.
    pub socket: PathBuf,
    /// PGDATA.
    pub data: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl<'t> Server<'t> {
    /// Describes a server; `start` runs it.
    pub fn new(tools: &'t Tools, name: &str, data: PathBuf, socket: PathBuf, log: PathBuf) -> Server<'t> {
        Server { tools, name: name.to_string(), port: free_port(), socket, data, log, child: None }
    }

    /// Starts `container_args` (the rendered container's `postgres -c …` arguments) on this
    /// server's data directory, port and socket, and waits until it accepts connections.
    pub fn start(&mut self, container_args: &[String], env: &BTreeMap<String, String>) {
        assert!(self.child.is_none(), "{} already runs", self.name);
        assert_eq!(container_args.first().map(String::as_str), Some("postgres"), "container args: {container_args:?}");
        let mut options: Vec<String> = container_args[1..].to_vec();
        options.extend(["-D".into(), self.data.display().to_string()]);
        for setting in [
            format!("port={}", self.port),
            "listen_addresses=127.0.0.1".into(),
            format!("unix_socket_directories={}", self.socket.display()),
        ] {
            options.extend(["-c".into(), setting]);
        }
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let child = self
            .tools
            .command("postgres", &options, env)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        self.wait_until(Duration::from_secs(60), "accepting connections", |s| {
            s.assert_running();
            s.is_ready()
        });
    }

    fn is_ready(&self) -> bool {
        let socket = self.socket.display().to_string();
        let port = self.port.to_string();
        self.tools.run("pg_isready", &["-q", "-h", &socket, "-p", &port], &BTreeMap::new()).status.success()
    }

    /// Panics with the server log when the process has exited.
    fn assert_running(&mut self) {
        let child = self.child.as_mut().expect("started");
        if let Some(status) = child.try_wait().unwrap() {
            self.child = None;
            panic!("{} exited ({status}):\n{}", self.name, self.log());
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls `done` every 100 ms until it holds, or panics after `limit` naming `what`.
    pub fn wait_until(&mut self, limit: Duration, what: &str, mut done: impl FnMut(&mut Self) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(self) {
            assert!(Instant::now() < deadline, "{}: not {what} after {limit:?}; log:\n{}", self.name, self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// libpq variables reaching this server over its socket.
    pub fn libpq_env(&self) -> BTreeMap<String, String> {
        BTreeMap::from([("PGHOST".into(), self.socket.display().to_string()), ("PGPORT".into(), self.port.to_string())])
    }

    /// Runs `query` as superuser `postgres` over the socket: stdout, or the error.
    pub fn try_sql(&self, query: &str) -> Result<String, String> {
        let env = self.libpq_env();
        let out = self.tools.run(
            "psql",
            &["-X", "-At", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", "postgres", "-c", query],
            &env,
        );
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Runs `query` and returns its output; panics with the error.
    #[track_caller]
    pub fn sql(&self, query: &str) -> String {
        self.try_sql(query).unwrap_or_else(|e| panic!("{}: {query}: {e}", self.name))
    }

    /// Stops the server with a fast shutdown (a clean checkpoint) and waits for it.
    pub fn stop(&mut self) {
        self.stop_with("fast");
    }

    /// Stops the server the way a crash does: no checkpoint, no last WAL archived.
    pub fn crash(&mut self) {
        self.stop_with("immediate");
    }

    fn stop_with(&mut self, mode: &str) {
        if let Some(mut child) = self.child.take() {
            let data = self.data.display().to_string();
            let out = self.tools.run("pg_ctl", &["stop", "-D", &data, "-m", mode, "-w", "-t", "60"], &BTreeMap::new());
            if !out.status.success() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

impl Drop for Server<'_> {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let data = self.data.display().to_string();
            let _ =
                self.tools.run("pg_ctl", &["stop", "-D", &data, "-m", "immediate", "-w", "-t", "20"], &BTreeMap::new());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
