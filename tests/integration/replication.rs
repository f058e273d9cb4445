//! The chart's streaming replication, WAL archiving and point-in-time
//! recovery, proven against real `PostgreSQL` servers: the chart is rendered,
//! and its configuration, scripts, arguments and container environments are
//! taken from the rendered manifests and run on local servers (see `pg_pods`).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_yaml::Value as Yaml;

use crate::chart::{Manifests, yaml_str};
use crate::harness::TestProject;
use crate::pg_pods::{Container, Server, Tools, owned_dir, owned_file};

/// The replication password in the rendered development Secret.
const REPLICATION_PASSWORD: &str = "repl:pass\\word";
const WAIT: Duration = Duration::from_secs(60);

/// Renders `local` with replication and `file` archiving on, plus `extra` `--set`s.
fn render(extra: &[&str]) -> Manifests {
    let project = TestProject::default_project();
    let password = format!("postgres.replication.developmentPassword={}", toml_string(REPLICATION_PASSWORD));
    let mut args = vec![
        "--set",
        "postgres.replication.enabled=true",
        "--set",
        "postgres.archive.method=\"file\"",
        "--set",
        &password,
    ];
    for set in extra {
        args.extend(["--set", set]);
    }
    Manifests::render(&project, "local", &args)
}

fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A cluster of "pods" in one temp dir: the `ConfigMap`'s files, the shared
/// archive, the Secret's files and one folder per pod.
struct Cluster<'t> {
    tools: &'t Tools,
    manifests: Manifests,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

/// The folders a pod's volumes map onto.
struct Pod {
    name: String,
    mounts: BTreeMap<&'static str, PathBuf>,
}

impl Pod {
    fn dir(&self, volume: &str) -> &Path {
        &self.mounts[volume]
    }

    /// Writes the downward-API labels file the readiness check reads.
    fn label_role(&self, role: &str) {
        owned_file(&self.dir("podinfo").join("labels"), &format!("app=\"postgres\"\nrole=\"{role}\"\n"), 0o644);
    }
}

impl<'t> Cluster<'t> {
    fn new(tools: &'t Tools, manifests: Manifests) -> Cluster<'t> {
        let dir = tempfile::tempdir().unwrap();
        let root = owned_dir(dir.path());
        let config = owned_dir(&root.join("config"));
        let data = manifests.get("ConfigMap", "postgres-replication")["data"].as_mapping().unwrap().clone();
        for (key, value) in &data {
            owned_file(&config.join(yaml_str(key)), yaml_str(value), 0o755);
        }
        owned_dir(&root.join("archive"));
        let secrets = owned_dir(&root.join("secrets"));
        let secret = manifests.get("Secret", "db-secret");
        for (key, value) in secret["stringData"].as_mapping().unwrap() {
            // 0400 to the server's user: what the 0440 Secret volume gives the pod.
            owned_file(&secrets.join(yaml_str(key)), yaml_str(value), 0o400);
        }
        Cluster { tools, manifests, root, _dir: dir }
    }

    fn sts(&self, name: &str) -> &Yaml {
        self.manifests.get("StatefulSet", name)
    }

    /// A pod's folders: its own data volume, socket dir, /tmp and labels; the shared ones.
    fn pod(&self, name: &str) -> Pod {
        let base = owned_dir(&self.root.join("pods").join(name));
        let initdb = owned_dir(&base.join("initdb"));
        // The primary's initdb volume holds the ConfigMap items it lists.
        if let Some(volumes) = self.sts("postgres")["spec"]["template"]["spec"]["volumes"].as_sequence() {
            for volume in volumes.iter().filter(|v| v["name"] == "initdb") {
                for item in volume["configMap"]["items"].as_sequence().unwrap() {
                    let from = self.root.join("config").join(yaml_str(&item["key"]));
                    owned_file(&initdb.join(yaml_str(&item["path"])), &std::fs::read_to_string(from).unwrap(), 0o555);
                }
            }
        }
        let mounts = BTreeMap::from([
            ("postgres-data", owned_dir(&base.join("volume"))),
            ("run", owned_dir(&base.join("run"))),
            ("tmp", owned_dir(&base.join("tmp"))),
            ("podinfo", owned_dir(&base.join("podinfo"))),
            ("initdb", initdb),
            ("replication-config", self.root.join("config")),
            ("postgres-password", self.root.join("secrets")),
            ("archive", self.root.join("archive")),
        ]);
        Pod { name: name.to_string(), mounts }
    }

    /// Container `index` of `list` (`containers`, `initContainers`) of `StatefulSet` `sts`, as `pod` sees it.
    fn container(&self, sts: &str, list: &str, pod: &Pod) -> (Yaml, Container) {
        let yaml = self.sts(sts)["spec"]["template"]["spec"][list][0].clone();
        let refs = BTreeMap::from([("metadata.name", pod.name.clone())]);
        let container = Container::from_manifest(&yaml, &pod.mounts, &refs);
        (yaml, container)
    }

    /// A server for `pod` running the main container of `sts`.
    fn server(&self, sts: &str, pod: &Pod) -> (Server<'t>, Container) {
        let (_, main) = self.container(sts, "containers", pod);
        let data = PathBuf::from(&main.env["PGDATA"]);
        let log = pod.dir("tmp").join("postgres.log");
        (Server::new(self.tools, &pod.name, data, pod.dir("run").to_path_buf(), log), main)
    }

    /// What the image's entrypoint does on an empty volume: initdb with the
    /// password file, start, create `POSTGRES_DB`, run `/docker-entrypoint-initdb.d`.
    fn init_primary(&self, pod: &Pod) -> Server<'t> {
        let (mut server, main) = self.server("postgres", pod);
        let data = server.data.display().to_string();
        let out = self.tools.run(
            "initdb",
            // --no-sync: flushing a throw-away cluster to disk takes seconds and proves nothing here.
            &[
                "-D",
                &data,
                "--username",
                &main.env["POSTGRES_USER"],
                "--pwfile",
                &main.env["POSTGRES_PASSWORD_FILE"],
                "--no-sync",
            ],
            &BTreeMap::new(),
        );
        assert_ok("initdb", &out);
        server.start(&main.argv, &main.env);
        // The entrypoint's psql runs with the container's environment.
        let mut env = main.env.clone();
        env.extend(server.libpq_env());
        let create = format!("CREATE DATABASE {}", main.env["POSTGRES_DB"]);
        let out = self.tools.run(
            "psql",
            &["-X", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", "postgres", "-c", &create],
            &env,
        );
        assert_ok("CREATE DATABASE", &out);
        for entry in std::fs::read_dir(pod.dir("initdb")).unwrap() {
            let script = entry.unwrap().path();
            assert_ok(&script.display().to_string(), &self.tools.run(&script.display().to_string(), &[], &env));
        }
        pod.label_role("primary");
        server
    }

    /// Runs the replica's bootstrap init container against `primary`.
    fn bootstrap(&self, pod: &Pod, primary_port: u16, extra: &[(&str, &str)]) -> Output {
        let (_, init) = self.container("postgres-replica", "initContainers", pod);
        let mut env = init.env.clone();
        // The primary's Service name resolves to this machine.
        env.insert("PRIMARY_HOST".into(), "127.0.0.1".into());
        env.insert("PRIMARY_PORT".into(), primary_port.to_string());
        for (key, value) in extra {
            env.insert((*key).to_string(), (*value).to_string());
        }
        let args: Vec<&str> = init.argv[1..].iter().map(String::as_str).collect();
        self.tools.run(&init.argv[0], &args, &env)
    }

    /// Starts the replica pod's main container (after its bootstrap).
    fn start_replica(&self, pod: &Pod) -> Server<'t> {
        let (mut server, main) = self.server("postgres-replica", pod);
        server.start(&main.argv, &main.env);
        pod.label_role("replica");
        server
    }

    /// `n` replica pods, each bootstrapped against `primary_port` and started.
    fn bootstrap_replicas(&self, n: usize, primary_port: u16) -> (Vec<Pod>, Vec<Server<'t>>) {
        let pods: Vec<Pod> = (0..n).map(|i| self.pod(&format!("postgres-replica-{i}"))).collect();
        let servers = pods
            .iter()
            .map(|pod| {
                assert_ok("bootstrap", &self.bootstrap(pod, primary_port, &[]));
                self.start_replica(pod)
            })
            .collect();
        (pods, servers)
    }

    /// Runs the readiness probe of `sts`'s container for `pod`: its exit code and stderr.
    fn ready(&self, sts: &str, pod: &Pod, server: &Server<'_>) -> (bool, String) {
        let (yaml, main) = self.container(sts, "containers", pod);
        let command = main.probe(&yaml, "readinessProbe");
        let mut env = main.env.clone();
        env.extend(server.libpq_env());
        let args: Vec<&str> = command[1..].iter().map(String::as_str).collect();
        let out = self.tools.run(&command[0], &args, &env);
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[track_caller]
fn assert_ok(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Waits until `replica` has replayed up to `lsn`.
fn wait_replayed(replica: &mut Server<'_>, lsn: &str) {
    let query = format!("SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn");
    replica.wait_until(WAIT, &format!("replayed {lsn}"), |s| s.try_sql(&query).as_deref() == Ok("t"));
}

/// The names of the files below `dir` with their sizes and modification times: a
/// data directory's fingerprint for "changes nothing".
fn fingerprint(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        if meta.is_file() {
            out.push((entry.file_name().to_string_lossy().into_owned(), meta.len(), meta.modified().unwrap()));
        }
    }
    out.sort();
    out
}

/// Scenarios 1–5, 7 and a refused promoted data directory, on one primary and two replicas.
#[test]
#[allow(clippy::too_many_lines)] // one cluster, the scenarios in the order a reader checks them
fn replicas_bootstrap_stream_and_report_against_real_servers() {
    let Some(tools) = Tools::find() else { return };
    let cluster = Cluster::new(&tools, render(&["postgres.replication.readReplicas=2"]));
    let primary_pod = cluster.pod("postgres-0");
    let mut primary = cluster.init_primary(&primary_pod);

    // 1. Two replicas bootstrapped by the rendered init container.
    let (pods, mut replicas) = cluster.bootstrap_replicas(2, primary.port);
    // The password reaches libpq through a 0600 file, never into the data directory.
    let auto_conf = std::fs::read_to_string(replicas[0].data.join("postgresql.auto.conf")).unwrap();
    assert!(auto_conf.contains("passfile="), "{auto_conf}");
    assert!(!auto_conf.contains("password="), "{auto_conf}");
    let passfile = pods[0].dir("run").join("replication.pgpass");
    assert_eq!(std::fs::metadata(&passfile).unwrap().permissions().mode() & 0o777, 0o600);

    // Running the bootstrap again (a pod restart) changes nothing.
    replicas[0].stop();
    let before = fingerprint(&replicas[0].data);
    let again = cluster.bootstrap(&pods[0], primary.port, &[]);
    assert_ok("second bootstrap", &again);
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to do"), "{again:?}");
    assert_eq!(fingerprint(&replicas[0].data), before);
    replicas[0] = cluster.start_replica(&pods[0]);

    // 2. Roles, and the readiness check agrees with them and with the labels.
    assert_eq!(primary.sql("SELECT pg_is_in_recovery()"), "f");
    assert_eq!(cluster.ready("postgres", &primary_pod, &primary), (true, String::new()));
    for (pod, replica) in pods.iter().zip(&mut replicas) {
        assert_eq!(replica.sql("SELECT pg_is_in_recovery()"), "t");
        replica.wait_until(WAIT, "streaming", |s| {
            s.try_sql("SELECT status FROM pg_stat_wal_receiver").as_deref() == Ok("streaming")
        });
        assert_eq!(cluster.ready("postgres-replica", pod, replica), (true, String::new()));
    }
    pods[0].label_role("primary");
    let (ready, why) = cluster.ready("postgres-replica", &pods[0], &replicas[0]);
    assert!(!ready && why.contains("labelled primary but in recovery"), "{why}");
    pods[0].label_role("replica");
    primary_pod.label_role("replica");
    let (ready, why) = cluster.ready("postgres", &primary_pod, &primary);
    assert!(!ready && why.contains("not in recovery"), "{why}");
    primary_pod.label_role("primary");

    // 3. Rows written on the primary are read on each replica; replicas refuse writes.
    primary.sql("CREATE TABLE orders (id int PRIMARY KEY, item text)");
    primary.sql("INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 100) g");
    let lsn = primary.sql("SELECT pg_current_wal_lsn()");
    for replica in &mut replicas {
        wait_replayed(replica, &lsn);
        assert_eq!(replica.sql("SELECT count(*), max(item) FROM orders"), "100|item 99");
        let refused = replica.try_sql("INSERT INTO orders VALUES (1000, 'x')").unwrap_err();
        assert!(refused.contains("read-only transaction"), "{refused}");
    }

    // 4. Each replica streams under its own application name, through its own active slot.
    assert_eq!(
        primary.sql("SELECT application_name, state FROM pg_stat_replication ORDER BY 1"),
        "postgres-replica-0|streaming\npostgres-replica-1|streaming"
    );
    assert_eq!(
        primary.sql("SELECT slot_name, active FROM pg_replication_slots ORDER BY 1"),
        "replica_0|t\nreplica_1|t"
    );

    // 5. A stopped replica's slot keeps its WAL; restarted, it catches up.
    replicas[1].stop();
    let held = primary.sql("SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'replica_1'");
    primary.sql("INSERT INTO orders SELECT g, 'late ' || g FROM generate_series(101, 200) g");
    primary.sql("SELECT pg_switch_wal()");
    primary.sql("CHECKPOINT");
    assert_eq!(
        primary.sql("SELECT restart_lsn, wal_status FROM pg_replication_slots WHERE slot_name = 'replica_1'"),
        format!("{held}|reserved")
    );
    let lsn = primary.sql("SELECT pg_current_wal_lsn()");
    replicas[1] = cluster.start_replica(&pods[1]);
    wait_replayed(&mut replicas[1], &lsn);
    assert_eq!(replicas[1].sql("SELECT count(*) FROM orders"), "200");

    // A primary restart: the replicas reconnect by themselves.
    primary.stop();
    let (_, main) = cluster.server("postgres", &primary_pod);
    primary.start(&main.argv, &main.env);
    primary.wait_until(WAIT, "streaming to both replicas again", |s| {
        s.try_sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'").as_deref() == Ok("2")
    });

    // 7. Archiving: after a WAL switch the archiver has archived it, without failures.
    let segment = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
    primary.sql("INSERT INTO orders VALUES (201, 'archived')");
    primary.sql("SELECT pg_switch_wal()");
    primary.wait_until(WAIT, &format!("archived {segment}"), |s| {
        s.try_sql("SELECT last_archived_wal >= pg_walfile_name(pg_current_wal_lsn() - 1) FROM pg_stat_archiver")
            .as_deref()
            == Ok("t")
    });
    assert_eq!(primary.sql("SELECT failed_count FROM pg_stat_archiver"), "0");
    assert!(cluster.root.join("archive/wal").join(&segment).is_file(), "{segment} not in the archive");

    // 10. A promoted replica's data directory is refused by the bootstrap.
    replicas[1].sql("SELECT pg_promote()");
    replicas[1].wait_until(WAIT, "promoted", |s| s.try_sql("SELECT pg_is_in_recovery()").as_deref() == Ok("f"));
    let (ready, why) = cluster.ready("postgres-replica", &pods[1], &replicas[1]);
    assert!(!ready && why.contains("not in recovery"), "{why}");
    replicas[1].stop();
    let refused = cluster.bootstrap(&pods[1], primary.port, &[]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("is not a standby (promoted or a former primary)"), "{}", stderr(&refused));
}

/// Scenario 8: base backup, rows before and after a recorded time, and a restore
/// to that time through the rendered restore init container.
#[test]
fn point_in_time_recovery_restores_exactly_the_earlier_rows() {
    let Some(tools) = Tools::find() else { return };
    let cluster = Cluster::new(&tools, render(&["postgres.replication.readReplicas=0"]));
    let old_pod = cluster.pod("postgres-0");
    let mut primary = cluster.init_primary(&old_pod);
    primary.sql("CREATE TABLE events (id int, phase text)");
    primary.sql("INSERT INTO events SELECT g, 'before backup' FROM generate_series(1, 10) g");

    // The rendered CronJob's base backup, connecting to this primary instead of its Service.
    let job = &cluster.manifests.get("CronJob", "postgres-base-backup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        ["containers"][0];
    let backup = Container::from_manifest(job, &old_pod.mounts, &BTreeMap::new());
    let mut env = backup.env.clone();
    env.insert("PGHOST".into(), "127.0.0.1".into());
    env.insert("PGPORT".into(), primary.port.to_string());
    let args: Vec<&str> = backup.argv[1..].iter().map(String::as_str).collect();
    assert_ok("base-backup.sh", &tools.run(&backup.argv[0], &args, &env));

    primary.sql("INSERT INTO events SELECT g, 'after backup' FROM generate_series(11, 20) g");
    let target =
        primary.sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
    primary.wait_until(WAIT, "past the target time", |s| {
        s.try_sql(&format!("SELECT clock_timestamp() > '{target}'::timestamptz")).as_deref() == Ok("t")
    });
    primary.sql("INSERT INTO events SELECT g, 'after target' FROM generate_series(21, 30) g");
    primary.sql("SELECT pg_switch_wal()");
    primary.wait_until(WAIT, "archived the last segment", |s| {
        s.try_sql("SELECT last_archived_wal >= pg_walfile_name(pg_current_wal_lsn() - 1) FROM pg_stat_archiver")
            .as_deref()
            == Ok("t")
    });
    primary.stop();

    // The chart rendered again with restore on and the recorded time.
    let target_set = format!("postgres.restore.targetTime={}", toml_string(&target));
    let restoring = Cluster {
        tools: &tools,
        manifests: render(&["postgres.replication.readReplicas=0", "postgres.restore.enabled=true", &target_set]),
        root: cluster.root.clone(),
        _dir: tempfile::tempdir().unwrap(),
    };
    let pod = restoring.pod("postgres-restored-0");
    let (_, init) = restoring.container("postgres", "initContainers", &pod);
    assert_eq!(init.env["RESTORE_TARGET_TIME"], target);
    assert!(init.env["PGDATA"].starts_with(&pod.dir("postgres-data").display().to_string()), "{:?}", init.env);
    let args: Vec<&str> = init.argv[1..].iter().map(String::as_str).collect();
    assert_ok("restore.sh", &tools.run(&init.argv[0], &args, &init.env));
    let (mut restored, main) = restoring.server("postgres", &pod);
    restored.start(&main.argv, &main.env);
    restored
        .wait_until(WAIT, "promoted at the target", |s| s.try_sql("SELECT pg_is_in_recovery()").as_deref() == Ok("f"));
    assert_eq!(
        restored.sql("SELECT phase, count(*) FROM events GROUP BY phase ORDER BY phase"),
        "after backup|10\nbefore backup|10"
    );
    restored.sql("INSERT INTO events VALUES (31, 'after restore')");
    assert_eq!(restored.sql("SELECT count(*) FROM events"), "21");

    // A second run of the init container (a pod restart) leaves the restored database alone.
    restored.stop();
    let again = tools.run(&init.argv[0], &args, &init.env);
    assert_ok("restore.sh again", &again);
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to do"), "{again:?}");
}

/// Scenario 10: a wrong replication password, a missing primary and an archive that
/// is not writable each fail with the script's message, and nothing starts.
#[test]
fn bad_input_fails_clearly_and_builds_no_data_directory() {
    let Some(tools) = Tools::find() else { return };
    let cluster = Cluster::new(&tools, render(&["postgres.replication.readReplicas=1"]));
    let primary_pod = cluster.pod("postgres-0");
    let primary = cluster.init_primary(&primary_pod);

    let pod = cluster.pod("postgres-replica-0");
    let wrong = pod.dir("tmp").join("wrong-password");
    owned_file(&wrong, "not-the-password", 0o400);
    let wrong = wrong.display().to_string();
    let out = cluster.bootstrap(&pod, primary.port, &[("REPLICATION_PASSWORD_FILE", &wrong)]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("password authentication failed"), "{}", stderr(&out));
    assert!(stderr(&out).contains("bootstrap-replica: cannot query the primary"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(pod.dir("postgres-data")).unwrap().count(), 0, "the volume stays empty");

    let nobody = crate::pg_pods::free_port().to_string();
    let out = cluster.bootstrap(&pod, primary.port, &[("PRIMARY_PORT", &nobody), ("BOOTSTRAP_TIMEOUT", "2")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&format!("primary 127.0.0.1:{nobody} not reachable after 2s")), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(pod.dir("postgres-data")).unwrap().count(), 0, "the volume stays empty");

    // An archive the server's user cannot write: the archiver fails and says why.
    let (_, main) = cluster.server("postgres", &primary_pod);
    let locked = cluster.root.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut env = main.env.clone();
    env.insert("ARCHIVE_DIR".into(), locked.display().to_string());
    let archive = cluster.root.join("config/archive-wal.sh").display().to_string();
    let segment = primary_pod.dir("postgres-data").join("pgdata/pg_wal").display().to_string();
    let out = tools.run("/bin/sh", &[&archive, &format!("{segment}/missing"), "000000010000000000000001"], &env);
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&format!("archive-wal: cannot create {}/wal", locked.display())), "{}", stderr(&out));
    drop(primary);
}

/// Scenario 6: with `ANY 1` over two replicas and both down, a commit waits;
/// it completes when one replica returns.
#[test]
fn synchronous_quorum_holds_commits_until_a_replica_returns() {
    let Some(tools) = Tools::find() else { return };
    let cluster = Cluster::new(
        &tools,
        render(&[
            "postgres.replication.readReplicas=2",
            "postgres.replication.synchronous.enabled=true",
            "postgres.replication.synchronous.quorum=1",
        ]),
    );
    let primary_pod = cluster.pod("postgres-0");
    let mut primary = cluster.init_primary(&primary_pod);
    let (pods, mut replicas) = cluster.bootstrap_replicas(2, primary.port);
    primary.wait_until(WAIT, "two quorum standbys", |s| {
        s.try_sql("SELECT string_agg(application_name || ':' || sync_state, ',' ORDER BY 1) FROM pg_stat_replication")
            .as_deref()
            == Ok("postgres-replica-0:quorum,postgres-replica-1:quorum")
    });
    primary.sql("CREATE TABLE ledger (id int)");

    for replica in &mut replicas {
        replica.stop();
    }
    // With both down a commit waits (the test's deadline bounds it) until one replica is back.
    let env = primary.libpq_env();
    let mut waiting = tools
        .command("psql", &["-X", "-U", "postgres", "-d", "postgres", "-c", "INSERT INTO ledger VALUES (2)"], &env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    primary.wait_until(WAIT, "a commit waiting for its standby", |s| {
        s.try_sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'").as_deref() == Ok("1")
    });
    assert!(waiting.try_wait().unwrap().is_none(), "the commit returned without a standby");
    replicas[0] = cluster.start_replica(&pods[0]);
    primary.wait_until(WAIT, "the waiting commit done", |_| waiting.try_wait().unwrap().is_some());
    assert!(waiting.wait().unwrap().success());
    // Flushed on the replica (synchronous_commit = on); replayed a moment later.
    wait_replayed(&mut replicas[0], &primary.sql("SELECT pg_current_wal_lsn()"));
    assert_eq!(replicas[0].sql("SELECT count(*) FROM ledger WHERE id = 2"), "1");
}

/// Scenario 9, the chart README's failover runbook: fence the primary, promote a
/// replica, write to it, rejoin the old primary with `pg_rewind` as its standby.
#[test]
fn failover_drill_promotes_a_replica_and_rewinds_the_old_primary() {
    let Some(tools) = Tools::find() else { return };
    let cluster = Cluster::new(&tools, render(&["postgres.replication.readReplicas=1"]));
    let old_pod = cluster.pod("postgres-0");
    let mut old = cluster.init_primary(&old_pod);
    old.sql("CREATE TABLE accounts (id int, owner text)");
    old.sql("INSERT INTO accounts VALUES (1, 'before failover')");
    let pod = cluster.pod("postgres-replica-0");
    assert_ok("bootstrap", &cluster.bootstrap(&pod, old.port, &[]));
    let mut new = cluster.start_replica(&pod);
    wait_replayed(&mut new, &old.sql("SELECT pg_current_wal_lsn()"));
    // A write the replica never sees (it is cut off): the old primary diverges from here.
    new.stop();
    old.sql("INSERT INTO accounts VALUES (2, 'lost in failover')");

    // 1. The old primary fails (a clean stop would archive its last WAL for the replica).
    old.crash();
    new = cluster.start_replica(&pod);
    // 2. Promote the replica and label it primary: its readiness follows.
    new.sql("SELECT pg_promote()");
    new.wait_until(WAIT, "promoted", |s| s.try_sql("SELECT pg_is_in_recovery()").as_deref() == Ok("f"));
    pod.label_role("primary");
    assert_eq!(cluster.ready("postgres-replica", &pod, &new), (true, String::new()));
    assert_eq!(new.sql("SELECT string_agg(owner, ',' ORDER BY id) FROM accounts"), "before failover");
    new.sql("INSERT INTO accounts VALUES (3, 'after failover')");

    // 3. Rejoin the old primary: pg_rewind from the new one, then start it as its standby.
    // A checkpoint first: until then the new primary's control file still shows the old
    // timeline, and pg_rewind would find "no rewind required".
    new.sql("CHECKPOINT");
    // The WAL back to the last common checkpoint may be archived only: pg_rewind fetches it
    // with the restore_command of the chart's configuration, in the pod's environment.
    let (_, main) = cluster.server("postgres", &old_pod);
    let data = old.data.display().to_string();
    let source = format!("host={} port={} user=postgres dbname=postgres", new.socket.display(), new.port);
    let config = main.argv.iter().find_map(|a| a.strip_prefix("config_file=")).expect("config_file argument");
    let rewind = tools.run(
        "pg_rewind",
        &[
            "--target-pgdata",
            &data,
            "--source-server",
            &source,
            "--restore-target-wal",
            &format!("--config-file={config}"),
        ],
        &main.env,
    );
    assert_ok("pg_rewind", &rewind);
    let passfile = &main.env["PGPASSFILE"];
    let password = REPLICATION_PASSWORD.replace('\\', "\\\\").replace(':', "\\:");
    owned_file(Path::new(passfile), &format!("*:*:*:replicator:{password}\n"), 0o600);
    let conninfo =
        format!("host=127.0.0.1 port={} user=replicator passfile={passfile} application_name=postgres-0", new.port);
    let auto_conf = old.data.join("postgresql.auto.conf");
    let text = std::fs::read_to_string(&auto_conf).unwrap()
        + &format!("primary_conninfo = '{conninfo}'\nprimary_slot_name = ''\n");
    owned_file(&auto_conf, &text, 0o600);
    owned_file(&old.data.join("standby.signal"), "", 0o600);
    old.start(&main.argv, &main.env);
    old_pod.label_role("replica");

    wait_replayed(&mut old, &new.sql("SELECT pg_current_wal_lsn()"));
    assert_eq!(old.sql("SELECT string_agg(owner, ',' ORDER BY id) FROM accounts"), "before failover,after failover");
    assert_eq!(new.sql("SELECT application_name, state FROM pg_stat_replication"), "postgres-0|streaming");
    // Relabelled replica, the old primary serves reads.
    assert_eq!(cluster.ready("postgres", &old_pod, &old), (true, String::new()));
}

/// Scenario 7, second half: a replica down for longer than its slot may hold
/// WAL (`maxSlotWalKeepSize`) loses the slot and catches up from the archive.
#[test]
fn a_replica_past_its_slot_limit_recovers_from_the_archive() {
    let Some(tools) = Tools::find() else { return };
    let cluster = Cluster::new(
        &tools,
        render(&["postgres.replication.readReplicas=1", "postgres.replication.maxSlotWalKeepSize=\"1MB\""]),
    );
    let primary_pod = cluster.pod("postgres-0");
    let mut primary = cluster.init_primary(&primary_pod);
    let pod = cluster.pod("postgres-replica-0");
    assert_ok("bootstrap", &cluster.bootstrap(&pod, primary.port, &[]));
    let mut replica = cluster.start_replica(&pod);
    primary.sql("CREATE TABLE readings (id int, pad text)");
    wait_replayed(&mut replica, &primary.sql("SELECT pg_current_wal_lsn()"));

    replica.stop();
    let mut lsn = String::new();
    for round in 0..3 {
        primary.sql(&format!(
            "INSERT INTO readings SELECT g, repeat('x', 200) FROM generate_series({}, {}) g",
            round * 1000 + 1,
            round * 1000 + 1000
        ));
        // The rows' end, in a segment the switch closes and the archiver takes.
        lsn = primary.sql("SELECT pg_current_wal_lsn()");
        primary.sql("SELECT pg_switch_wal()");
    }
    primary.sql("CHECKPOINT");
    assert_eq!(primary.sql("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'replica_0'"), "lost");
    let archived = format!("SELECT last_archived_wal >= pg_walfile_name('{lsn}') FROM pg_stat_archiver");
    primary.wait_until(WAIT, "archived the rows' segment", |s| s.try_sql(&archived).as_deref() == Ok("t"));

    let mut replica = cluster.start_replica(&pod);
    wait_replayed(&mut replica, &lsn);
    assert_eq!(replica.sql("SELECT count(*) FROM readings"), "3000");
}
