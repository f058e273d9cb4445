//! One case per value of the postgres chart's schema: flip it with `--set`
//! and check what it changes in the rendered objects; a test makes sure no
//! schema value is left without a case.

use std::collections::BTreeSet;

use crate::chart::{Manifests, schema_values, yaml, yaml_str};
use crate::harness::TestProject;

/// One value flipped (as `--set` arguments on an environment) and what it must change.
struct Case {
    env: &'static str,
    sets: &'static [&'static str],
    check: fn(&Manifests),
}

#[allow(clippy::too_many_lines)] // one entry per schema value: a table, not logic
fn cases() -> Vec<Case> {
    vec![
        Case {
            env: "local",
            sets: &["name=pg"],
            check: |m| {
                let sts = m.get("StatefulSet", "pg");
                assert_eq!(sts["spec"]["selector"]["matchLabels"]["app"], "pg");
                assert_eq!(m.get("Service", "postgres-service")["spec"]["selector"]["app"], "pg");
            },
        },
        Case { env: "local", sets: &["replicas=0"], check: |m| assert_eq!(m.sts()["spec"]["replicas"], 0) },
        Case {
            env: "local",
            sets: &["podManagementPolicy=\"Parallel\""],
            check: |m| assert_eq!(m.sts()["spec"]["podManagementPolicy"], "Parallel"),
        },
        Case {
            env: "local",
            sets: &["terminationGracePeriodSeconds=300"],
            check: |m| assert_eq!(m.pod()["terminationGracePeriodSeconds"], 300),
        },
        Case {
            env: "local",
            sets: &["priorityClassName=\"db-critical\""],
            check: |m| assert_eq!(m.pod()["priorityClassName"], "db-critical"),
        },
        Case {
            env: "eks",
            sets: &["labels={team = \"data\", tier = \"1\"}"],
            check: |m| {
                for doc in &m.0 {
                    assert_eq!(doc["metadata"]["labels"]["team"], "data", "{doc:?}");
                    // A number-like label value stays a string.
                    assert_eq!(doc["metadata"]["labels"]["tier"], "1", "{doc:?}");
                }
                assert_eq!(m.sts()["spec"]["template"]["metadata"]["labels"]["team"], "data");
                assert_eq!(m.sts()["spec"]["selector"]["matchLabels"], yaml("app: postgres"));
            },
        },
        Case {
            env: "local",
            sets: &["nodeSelector={\"kubernetes.io/os\" = \"linux\"}"],
            check: |m| assert_eq!(m.pod()["nodeSelector"], yaml("kubernetes.io/os: linux")),
        },
        Case {
            env: "local",
            sets: &["tolerations=[{key = \"db\", operator = \"Exists\", effect = \"NoSchedule\"}]"],
            check: |m| assert_eq!(m.pod()["tolerations"], yaml("[{key: db, operator: Exists, effect: NoSchedule}]")),
        },
        Case {
            env: "local",
            sets: &[
                "affinity={podAntiAffinity = {requiredDuringSchedulingIgnoredDuringExecution = [{topologyKey = \"kubernetes.io/hostname\", labelSelector = {matchLabels = {app = \"postgres\"}}}]}}",
            ],
            check: |m| {
                let term = &m.pod()["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0];
                assert_eq!(term["topologyKey"], "kubernetes.io/hostname");
            },
        },
        Case {
            env: "eks",
            sets: &[
                "namespace.name=\"db\"",
                "namespace.labels={environment = \"staging\"}",
                "namespace.podSecurity=\"baseline\"",
            ],
            check: |m| {
                let ns = m.get("Namespace", "db");
                assert_eq!(
                    ns["metadata"]["labels"],
                    yaml("{environment: staging, project: wealist-db, pod-security.kubernetes.io/enforce: baseline}")
                );
                assert!(
                    m.0.iter()
                        .filter(|d| d["kind"] != "Namespace" && d["kind"] != "StorageClass")
                        .all(|d| d["metadata"]["namespace"] == "db")
                );
            },
        },
        Case {
            env: "local",
            sets: &["namespace.podSecurity=\"\""],
            check: |m| {
                let labels = &m.get("Namespace", "postgresql-prod")["metadata"]["labels"];
                assert!(labels.get("pod-security.kubernetes.io/enforce").is_none(), "{labels:?}");
            },
        },
        Case {
            env: "local",
            sets: &[
                "image.repository=\"registry.example.com/postgres\"",
                "image.tag=\"17\"",
                "image.pullPolicy=\"Always\"",
            ],
            check: |m| {
                assert_eq!(m.container()["image"], "registry.example.com/postgres:17");
                assert_eq!(m.container()["imagePullPolicy"], "Always");
                assert_eq!(m.sts()["metadata"]["labels"]["app.kubernetes.io/version"], "17");
                // A debian tag runs as the debian image's postgres user.
                assert_eq!(m.pod()["securityContext"]["runAsUser"], 999);
                assert_eq!(m.pod()["securityContext"]["fsGroup"], 999);
            },
        },
        Case {
            env: "local",
            sets: &["image.digest=\"sha256:0000000000000000000000000000000000000000000000000000000000000000\""],
            check: |m| assert!(yaml_str(&m.container()["image"]).starts_with("postgres:16-alpine@sha256:0000")),
        },
        Case {
            env: "local",
            sets: &["database.name=\"app\"", "database.user=\"owner\""],
            check: |m| {
                assert_eq!(*m.env("POSTGRES_DB"), "app");
                assert_eq!(*m.env("POSTGRES_USER"), "owner");
                for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
                    let command = &m.container()[probe]["exec"]["command"];
                    assert_eq!(
                        command,
                        &yaml("[pg_isready, --host=127.0.0.1, --port=5432, --username=owner, --dbname=app]")
                    );
                }
            },
        },
        Case {
            env: "local",
            sets: &[
                "auth.secretName=\"pg-auth\"",
                "auth.passwordKey=\"password\"",
                "auth.developmentPassword=\"s3cret: x\"",
            ],
            check: |m| {
                let secret = m.get("Secret", "pg-auth");
                assert_eq!(secret["stringData"], yaml("{password: \"s3cret: x\"}"));
                assert_eq!(m.pod()["volumes"][0]["secret"]["secretName"], "pg-auth");
                assert_eq!(*m.env("POSTGRES_PASSWORD_FILE"), "/run/secrets/postgres/password");
            },
        },
        Case { env: "local", sets: &["auth.developmentPassword=\"\""], check: |m| assert!(!m.has_kind("Secret")) },
        Case {
            env: "aks",
            sets: &[
                "auth.externalSecret.enabled=true",
                "auth.externalSecret.storeName=\"azure-key-vault\"",
                "auth.externalSecret.storeKind=\"SecretStore\"",
                "auth.externalSecret.remoteKey=\"wealist-postgres\"",
                "auth.externalSecret.remoteProperty=\"password\"",
                "auth.externalSecret.refreshInterval=\"15m\"",
            ],
            check: |m| {
                let es = m.get("ExternalSecret", "db-secret");
                assert_eq!(es["apiVersion"], "external-secrets.io/v1");
                assert_eq!(es["spec"]["refreshInterval"], "15m");
                assert_eq!(es["spec"]["secretStoreRef"], yaml("{kind: SecretStore, name: azure-key-vault}"));
                assert_eq!(es["spec"]["target"]["name"], "db-secret");
                assert_eq!(
                    es["spec"]["data"][0],
                    yaml("{secretKey: POSTGRES_PASSWORD, remoteRef: {key: wealist-postgres, property: password}}")
                );
                assert!(!m.has_kind("Secret"));
            },
        },
        Case {
            env: "local",
            sets: &["serviceAccount.name=\"db\""],
            check: |m| {
                assert_eq!(m.get("ServiceAccount", "db")["automountServiceAccountToken"], false);
                assert_eq!(m.pod()["serviceAccountName"], "db");
                assert_eq!(m.pod()["automountServiceAccountToken"], false);
            },
        },
        Case {
            env: "local",
            sets: &["serviceAccount.create=false"],
            check: |m| {
                assert!(!m.has_kind("ServiceAccount"));
                assert_eq!(m.pod()["serviceAccountName"], "postgres");
            },
        },
        Case {
            env: "local",
            sets: &["securityContext.uid=1001", "securityContext.readOnlyRootFilesystem=false"],
            check: |m| {
                let pod = &m.pod()["securityContext"];
                assert_eq!(pod["runAsUser"], 1001);
                assert_eq!(pod["runAsGroup"], 1001);
                assert_eq!(pod["fsGroup"], 1001);
                assert_eq!(m.container()["securityContext"]["readOnlyRootFilesystem"], false);
            },
        },
        Case {
            env: "local",
            sets: &["service.name=\"pg-headless\"", "service.port=6432"],
            check: |m| {
                let svc = m.get("Service", "pg-headless");
                assert_eq!(svc["spec"]["ports"][0]["port"], 6432);
                assert_eq!(m.sts()["spec"]["serviceName"], "pg-headless");
            },
        },
        Case {
            env: "eks",
            sets: &["clientService.enabled=true", "clientService.name=\"db\"", "clientService.type=\"LoadBalancer\""],
            check: |m| {
                let svc = m.get("Service", "db");
                assert_eq!(svc["spec"]["type"], "LoadBalancer");
                assert_eq!(svc["spec"]["selector"], yaml("app: postgres"));
                assert!(svc["spec"].get("clusterIP").is_none());
            },
        },
        Case {
            env: "local",
            sets: &[
                "storage.size=\"20Gi\"",
                "storage.className=\"\"",
                "storage.accessMode=\"ReadWriteOncePod\"",
                "storage.mountPath=\"/data\"",
                "storage.pgdataSubdir=\"pg16\"",
            ],
            check: |m| {
                let claim = &m.sts()["spec"]["volumeClaimTemplates"][0]["spec"];
                assert_eq!(claim["resources"]["requests"]["storage"], "20Gi");
                assert_eq!(claim["accessModes"], yaml("[ReadWriteOncePod]"));
                assert!(claim.get("storageClassName").is_none(), "empty class: the cluster default");
                assert_eq!(m.container()["volumeMounts"][0]["mountPath"], "/data");
                assert_eq!(*m.env("PGDATA"), "/data/pg16");
            },
        },
        Case {
            env: "local",
            sets: &["storage.retention.whenDeleted=\"Delete\"", "storage.retention.whenScaled=\"Delete\""],
            check: |m| {
                let policy = &m.sts()["spec"]["persistentVolumeClaimRetentionPolicy"];
                assert_eq!(policy, &yaml("{whenDeleted: Delete, whenScaled: Delete}"));
            },
        },
        Case {
            env: "gke",
            sets: &[
                "storage.className=\"fast\"",
                "storage.storageClass.create=true",
                "storage.storageClass.provisioner=\"pd.csi.storage.gke.io\"",
                "storage.storageClass.parameters={type = \"pd-ssd\"}",
                "storage.storageClass.reclaimPolicy=\"Delete\"",
                "storage.storageClass.allowVolumeExpansion=false",
                "storage.storageClass.volumeBindingMode=\"Immediate\"",
            ],
            check: |m| {
                let class = m.get("StorageClass", "fast");
                assert_eq!(class["provisioner"], "pd.csi.storage.gke.io");
                assert_eq!(class["parameters"], yaml("{type: pd-ssd}"));
                assert_eq!(class["reclaimPolicy"], "Delete");
                assert_eq!(class["allowVolumeExpansion"], false);
                assert_eq!(class["volumeBindingMode"], "Immediate");
                assert_eq!(m.sts()["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"], "fast");
            },
        },
        Case {
            env: "local",
            sets: &["updateStrategy.type=\"OnDelete\""],
            check: |m| assert_eq!(m.sts()["spec"]["updateStrategy"], yaml("type: OnDelete")),
        },
        Case {
            env: "local",
            sets: &[
                "probes.startup.periodSeconds=5",
                "probes.startup.failureThreshold=60",
                "probes.readiness.periodSeconds=7",
                "probes.readiness.timeoutSeconds=2",
                "probes.readiness.failureThreshold=4",
                "probes.liveness.periodSeconds=30",
                "probes.liveness.timeoutSeconds=9",
                "probes.liveness.failureThreshold=8",
            ],
            check: |m| {
                let c = m.container();
                assert_eq!(
                    (&c["startupProbe"]["periodSeconds"], &c["startupProbe"]["failureThreshold"]),
                    (&yaml("5"), &yaml("60"))
                );
                let readiness = &c["readinessProbe"];
                assert_eq!(
                    [&readiness["periodSeconds"], &readiness["timeoutSeconds"], &readiness["failureThreshold"]],
                    [&yaml("7"), &yaml("2"), &yaml("4")]
                );
                let liveness = &c["livenessProbe"];
                assert_eq!(
                    [&liveness["periodSeconds"], &liveness["timeoutSeconds"], &liveness["failureThreshold"]],
                    [&yaml("30"), &yaml("9"), &yaml("8")]
                );
            },
        },
        Case {
            env: "local",
            sets: &["podDisruptionBudget.enabled=true", "podDisruptionBudget.minAvailable=0"],
            check: |m| {
                let pdb = m.get("PodDisruptionBudget", "postgres");
                assert_eq!(pdb["spec"], yaml("{minAvailable: 0, selector: {matchLabels: {app: postgres}}}"));
            },
        },
        Case {
            env: "eks",
            sets: &["podDisruptionBudget.enabled=false"],
            check: |m| assert!(!m.has_kind("PodDisruptionBudget")),
        },
        Case {
            env: "local",
            sets: &[
                "networkPolicy.enabled=true",
                "networkPolicy.allowedNamespaces=[\"wealist\", \"jobs\"]",
                "networkPolicy.allowedPodLabels={role = \"db-client\"}",
            ],
            check: |m| {
                let spec = &m.get("NetworkPolicy", "postgres")["spec"];
                assert_eq!(spec["podSelector"], yaml("matchLabels: {app: postgres}"));
                assert_eq!(spec["ingress"][0]["ports"], yaml("[{protocol: TCP, port: 5432}]"));
                assert_eq!(
                    spec["ingress"][0]["from"],
                    yaml(
                        "[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: wealist}}},
                          {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: jobs}}},
                          {podSelector: {matchLabels: {role: db-client}}}]"
                    )
                );
            },
        },
        Case {
            env: "eks",
            sets: &["networkPolicy.allowedNamespaces=[]"],
            check: |m| assert_eq!(m.get("NetworkPolicy", "postgres")["spec"]["ingress"], yaml("[]")),
        },
        Case {
            env: "local",
            sets: &[
                "resources.requests.cpu=\"250m\"",
                "resources.requests.memory=\"1Gi\"",
                "resources.limits.cpu=\"1\"",
                "resources.limits.memory=\"1Gi\"",
            ],
            check: |m| {
                assert_eq!(
                    m.container()["resources"],
                    yaml("{requests: {cpu: 250m, memory: 1Gi}, limits: {cpu: '1', memory: 1Gi}}")
                );
            },
        },
        // Replication, archiving and restore (the replicated layout on k3d needs its development password).
        Case {
            env: "local",
            sets: &["replication.enabled=true", "replication.developmentPassword=\"repl-dev\""],
            check: |m| {
                assert_eq!(m.get("Secret", "db-secret")["stringData"]["REPLICATION_PASSWORD"], "repl-dev");
                assert_eq!(m.get("StatefulSet", "postgres-replica")["spec"]["replicas"], 1);
                assert_eq!(m.sts()["spec"]["template"]["metadata"]["labels"]["role"], "primary");
                assert_eq!(m.get("Service", "postgres-primary")["spec"]["selector"]["role"], "primary");
                assert_eq!(m.get("Service", "postgres-replicas")["spec"]["selector"]["role"], "replica");
                assert!(!conf(m).contains("archive_mode"), "{}", conf(m));
            },
        },
        Case {
            env: "local",
            sets: &["replication.enabled=true", "replication.developmentPassword=\"r\"", "replication.readReplicas=3"],
            check: |m| {
                assert_eq!(m.get("StatefulSet", "postgres-replica")["spec"]["replicas"], 3);
                assert!(conf(m).contains("max_wal_senders = 5\n"), "{}", conf(m));
            },
        },
        Case {
            env: "local",
            sets: &[
                "replication.enabled=true",
                "replication.developmentPassword=\"r\"",
                "replication.user=\"standby\"",
            ],
            check: |m| {
                assert!(config(m, "pg_hba.conf").contains("replication  standby"));
                let init = &m.get("StatefulSet", "postgres-replica")["spec"]["template"]["spec"]["initContainers"][0];
                assert!(init["env"].as_sequence().unwrap().iter().any(|e| e["value"] == "standby"));
            },
        },
        Case {
            env: "local",
            sets: &[
                "replication.enabled=true",
                "replication.developmentPassword=\"r\"",
                "replication.passwordKey=\"REPL\"",
            ],
            check: |m| {
                assert_eq!(m.get("Secret", "db-secret")["stringData"]["REPL"], "r");
                assert_eq!(m.pod()["volumes"][0]["secret"]["items"][1]["key"], "REPL");
            },
        },
        Case {
            env: "eks",
            sets: &[
                "replication.enabled=true",
                "replication.remoteProperty=\"replication\"",
                "auth.externalSecret.enabled=true",
                "auth.externalSecret.storeName=\"aws\"",
                "auth.externalSecret.remoteKey=\"wealist/postgres\"",
            ],
            check: |m| {
                let data = &m.get("ExternalSecret", "db-secret")["spec"]["data"][1];
                assert_eq!(data["secretKey"], "REPLICATION_PASSWORD");
                assert_eq!(data["remoteRef"], yaml("{key: wealist/postgres, property: replication}"));
            },
        },
        Case {
            env: "eks",
            sets: &[
                "replication.enabled=true",
                "replication.maxSlotWalKeepSize=\"10GB\"",
                "replication.bootstrapTimeoutSeconds=30",
            ],
            check: |m| {
                assert!(conf(m).contains("max_slot_wal_keep_size = '10GB'"), "{}", conf(m));
                assert!(config(m, "bootstrap-replica.sh").contains("timeout=${BOOTSTRAP_TIMEOUT:-30}"));
            },
        },
        Case {
            env: "eks",
            sets: &[
                "replication.enabled=true",
                "replication.readReplicas=2",
                "replication.synchronous.enabled=true",
                "replication.synchronous.quorum=2",
            ],
            check: |m| {
                assert!(
                    conf(m).contains(
                        "synchronous_standby_names = 'ANY 2 (\"postgres-replica-0\", \"postgres-replica-1\")'"
                    ),
                    "{}",
                    conf(m)
                );
            },
        },
        Case {
            env: "eks",
            sets: &[
                "replication.enabled=true",
                "archive.method=\"file\"",
                "archive.baseBackupSchedule=\"15 2 * * *\"",
                "archive.retention=3",
                "archive.timeoutSeconds=300",
                "archive.file.claimName=\"wal-archive\"",
            ],
            check: |m| {
                assert!(conf(m).contains("archive_mode = on\narchive_timeout = 300\n"), "{}", conf(m));
                let cron = m.get("CronJob", "postgres-base-backup");
                assert_eq!(cron["spec"]["schedule"], "15 2 * * *");
                assert!(config(m, "base-backup.sh").contains("keep=${BACKUP_RETENTION:-3}"));
                let archive =
                    m.pod()["volumes"].as_sequence().unwrap().iter().find(|v| v["name"] == "archive").unwrap();
                assert_eq!(archive["persistentVolumeClaim"]["claimName"], "wal-archive");
            },
        },
        Case {
            env: "eks",
            sets: &["replication.enabled=true", "archive.method=\"file\"", "restore.enabled=true"],
            check: |m| {
                let init = &m.pod()["initContainers"][0];
                assert_eq!(init["name"], "restore");
                assert!(!init["env"].as_sequence().unwrap().iter().any(|e| e["name"] == "RESTORE_TARGET_TIME"));
            },
        },
        Case {
            env: "eks",
            sets: &[
                "replication.enabled=true",
                "archive.method=\"file\"",
                "restore.enabled=true",
                "restore.targetTime=\"2026-11-29 21:30:00+00\"",
            ],
            check: |m| {
                let env = &m.pod()["initContainers"][0]["env"];
                let target = env.as_sequence().unwrap().iter().find(|e| e["name"] == "RESTORE_TARGET_TIME").unwrap();
                assert_eq!(target["value"], "2026-11-29 21:30:00+00");
            },
        },
        Case {
            env: "eks",
            sets: &[
                "replication.enabled=true",
                "archive.method=\"wal-g\"",
                "archive.walg.image=\"registry.example.com/wal-g:v3.0.5\"",
                "archive.walg.binaryPath=\"/wal-g\"",
                "archive.walg.storage=\"s3\"",
                "archive.walg.prefix=\"s3://backups/pg\"",
                "archive.walg.region=\"us-east-2\"",
                "archive.walg.backupIntervalHours=6",
                "archive.walg.identity.awsRoleArn=\"arn:aws:iam::123456789012:role/pg\"",
                "archive.walg.resources.requests.cpu=\"50m\"",
                "archive.walg.resources.requests.memory=\"300Mi\"",
                "archive.walg.resources.limits.cpu=\"3\"",
                "archive.walg.resources.limits.memory=\"700Mi\"",
            ],
            check: |m| {
                assert!(conf(m).contains("archive_command = '/opt/wal-g/wal-g wal-push \"%p\"'"), "{}", conf(m));
                let init = &m.pod()["initContainers"][0];
                assert_eq!(init["image"], "registry.example.com/wal-g:v3.0.5");
                assert_eq!(init["command"][1], "/wal-g");
                assert_eq!(m.env("WALG_S3_PREFIX"), "s3://backups/pg");
                assert_eq!(m.env("AWS_REGION"), "us-east-2");
                assert!(config(m, "walg-backup.sh").contains("${BACKUP_INTERVAL_HOURS:-6}"));
                let sidecar = &m.pod()["containers"][1];
                assert_eq!(sidecar["name"], "walg-backup");
                assert_eq!(
                    sidecar["resources"],
                    crate::chart::yaml("{requests: {cpu: 50m, memory: 300Mi}, limits: {cpu: '3', memory: 700Mi}}")
                );
                let account = m.get("ServiceAccount", "postgres");
                assert_eq!(
                    account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
                    "arn:aws:iam::123456789012:role/pg"
                );
            },
        },
        Case {
            env: "gke",
            sets: &[
                "replication.enabled=true",
                "archive.method=\"wal-g\"",
                "archive.walg.image=\"registry.example.com/wal-g:v3.0.5\"",
                "archive.walg.storage=\"gcs\"",
                "archive.walg.prefix=\"gs://backups/pg\"",
                "archive.walg.identity.gcpServiceAccount=\"pg-backup@project-1.iam.gserviceaccount.com\"",
            ],
            check: |m| {
                assert_eq!(m.env("WALG_GS_PREFIX"), "gs://backups/pg");
                let account = m.get("ServiceAccount", "postgres");
                assert_eq!(
                    account["metadata"]["annotations"]["iam.gke.io/gcp-service-account"],
                    "pg-backup@project-1.iam.gserviceaccount.com"
                );
            },
        },
        Case {
            env: "aks",
            sets: &[
                "replication.enabled=true",
                "archive.method=\"wal-g\"",
                "archive.walg.image=\"registry.example.com/wal-g:v3.0.5\"",
                "archive.walg.storage=\"azure\"",
                "archive.walg.prefix=\"azure://backups/pg\"",
                "archive.walg.storageAccount=\"pgbackups\"",
                "archive.walg.identity.azureClientId=\"12345678-90ab-cdef-1234-567890abcdef\"",
            ],
            check: |m| {
                assert_eq!(m.env("WALG_AZ_PREFIX"), "azure://backups/pg");
                assert_eq!(m.env("AZURE_STORAGE_ACCOUNT"), "pgbackups");
                assert_eq!(m.sts()["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"], "true");
                let account = m.get("ServiceAccount", "postgres");
                assert_eq!(
                    account["metadata"]["annotations"]["azure.workload.identity/client-id"],
                    "12345678-90ab-cdef-1234-567890abcdef"
                );
            },
        },
    ]
}

/// A file of the replicated layout's `ConfigMap`.
fn config<'m>(m: &'m Manifests, key: &str) -> &'m str {
    yaml_str(&m.get("ConfigMap", "postgres-replication")["data"][key])
}

/// The server settings of the replicated layout.
fn conf(m: &Manifests) -> &str {
    config(m, "postgresql.conf")
}

#[test]
fn every_value_flips_what_it_says() {
    let project = TestProject::default_project();
    for case in cases() {
        let sets: Vec<String> = case.sets.iter().map(|s| format!("postgres.{s}")).collect();
        let mut args = Vec::new();
        for set in &sets {
            args.extend(["--set", set.as_str()]);
        }
        let m = Manifests::render(&project, case.env, &args);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (case.check)(&m)));
        assert!(result.is_ok(), "case {} {:?} failed", case.env, case.sets);
    }
}

#[test]
fn every_schema_value_has_a_case() {
    let covered: BTreeSet<String> =
        cases().iter().flat_map(|c| c.sets.iter().map(|s| s.split_once('=').unwrap().0.to_string())).collect();
    let missing: Vec<String> =
        schema_values().into_iter().map(|(path, _)| path).filter(|p| !covered.contains(p)).collect();
    assert!(missing.is_empty(), "values no case flips: {missing:?}");
}
