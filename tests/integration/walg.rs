//! `archive.method = "wal-g"`: WAL and base backups in a cloud bucket with the
//! cloud's workload identity. wal-g cannot reach a cloud from here, so the
//! renders of eks/gke/aks are checked structurally: the identity wiring per
//! cloud, the environment, the commands, and that no cloud key is anywhere.

use serde_yaml::Value as Yaml;

use crate::chart::{Manifests, yaml_str};
use crate::harness::{TestProject, tree_text};

const EKS: &str = include_str!("../fixtures/replication/walg-eks.toml");
const GKE: &str = include_str!("../fixtures/replication/walg-gke.toml");
const AKS: &str = include_str!("../fixtures/replication/walg-aks.toml");

/// One cloud's wal-g render: its overlay and the identity and environment it must get.
struct Cloud {
    env: &'static str,
    overlay: &'static str,
    /// The `ServiceAccount` annotation of the cloud's workload identity, and its value.
    annotation: &'static str,
    identity: &'static str,
    /// The storage variables of every database container.
    storage_env: &'static [(&'static str, &'static str)],
}

const CLOUDS: [Cloud; 3] = [
    Cloud {
        env: "eks",
        overlay: EKS,
        annotation: "eks.amazonaws.com/role-arn",
        identity: "arn:aws:iam::123456789012:role/wealist-postgres-backup",
        storage_env: &[("WALG_S3_PREFIX", "s3://wealist-backups/postgres"), ("AWS_REGION", "eu-west-1")],
    },
    Cloud {
        env: "gke",
        overlay: GKE,
        annotation: "iam.gke.io/gcp-service-account",
        identity: "postgres-backup@wealist-prod.iam.gserviceaccount.com",
        storage_env: &[("WALG_GS_PREFIX", "gs://wealist-backups/postgres")],
    },
    Cloud {
        env: "aks",
        overlay: AKS,
        annotation: "azure.workload.identity/client-id",
        identity: "00000000-1111-2222-3333-444444444444",
        storage_env: &[
            ("WALG_AZ_PREFIX", "azure://postgres-backups/wealist"),
            ("AZURE_STORAGE_ACCOUNT", "wealistbackups"),
        ],
    },
];

/// Environment variables that would carry a static cloud credential.
const KEY_VARS: [&str; 8] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_CLIENT_SECRET",
    "GOOGLE_APPLICATION_CREDENTIALS",
];

fn render(env: &str, overlay: &str, extra: &[&str]) -> Manifests {
    let project = TestProject::default_project();
    project.write("walg.toml", overlay);
    let mut args = vec!["-f", "walg.toml"];
    args.extend_from_slice(extra);
    Manifests::render(&project, env, &args)
}

fn pod_spec<'m>(manifests: &'m Manifests, sts: &str) -> &'m Yaml {
    &manifests.get("StatefulSet", sts)["spec"]["template"]["spec"]
}

fn container<'p>(pod: &'p Yaml, list: &str, name: &str) -> &'p Yaml {
    pod[list]
        .as_sequence()
        .and_then(|all| all.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no {list} {name}"))
}

fn env_of(container: &Yaml, name: &str) -> Option<String> {
    container["env"]
        .as_sequence()?
        .iter()
        .find(|var| var["name"] == name)
        .map(|var| yaml_str(&var["value"]).to_string())
}

fn config(manifests: &Manifests, key: &str) -> String {
    yaml_str(&manifests.get("ConfigMap", "postgres-replication")["data"][key]).to_string()
}

#[test]
fn each_cloud_gets_its_identity_env_and_wal_g_commands() {
    for Cloud { env, overlay, annotation, identity, storage_env } in CLOUDS {
        let manifests = render(env, overlay, &[]);
        let account = manifests.get("ServiceAccount", "postgres");
        let annotations = account["metadata"]["annotations"].as_mapping().expect("ServiceAccount annotations");
        assert_eq!(annotations.len(), 1, "{env}: {annotations:?}");
        assert_eq!(yaml_str(&account["metadata"]["annotations"][annotation]), identity, "{env}");

        let conf = config(&manifests, "postgresql.conf");
        assert!(conf.contains("archive_command = '/opt/wal-g/wal-g wal-push \"%p\"'"), "{env}: {conf}");
        assert!(conf.contains("restore_command = '/opt/wal-g/wal-g wal-fetch \"%f\" \"%p\"'"), "{env}: {conf}");
        let backup = config(&manifests, "walg-backup.sh");
        assert!(backup.contains("\"$walg\" backup-push \"$PGDATA\""), "{backup}");
        assert!(backup.contains("\"$walg\" delete retain FULL \"$keep\" --confirm"), "{backup}");
        assert!(backup.contains("keep=${BACKUP_RETENTION:-7}"), "{backup}");
        // The file method's scripts and its CronJob belong to `file` only.
        let data = manifests.get("ConfigMap", "postgres-replication")["data"].as_mapping().unwrap();
        assert!(!data.contains_key("archive-wal.sh") && !data.contains_key("base-backup.sh"), "{env}");
        assert!(!manifests.has_kind("CronJob"), "{env}");

        for sts in ["postgres", "postgres-replica"] {
            let pod = pod_spec(&manifests, sts);
            let labels = &manifests.get("StatefulSet", sts)["spec"]["template"]["metadata"]["labels"];
            let azure_label = yaml_str(&labels["azure.workload.identity/use"]);
            assert_eq!(azure_label, if env == "aks" { "true" } else { "" }, "{env} {sts}");
            assert_eq!(pod["serviceAccountName"], "postgres", "{env} {sts}");

            // The binary comes from the wal-g image, first of the init containers, into an emptyDir.
            let copy = &pod["initContainers"][0];
            assert_eq!(copy["name"], "walg-binary", "{env} {sts}");
            assert_eq!(copy["image"], "registry.example.com/tools/wal-g:v3.0.5");
            assert_eq!(copy["command"], crate::chart::yaml("[cp, /usr/local/bin/wal-g, /opt/wal-g/wal-g]"));
            let bin = pod["volumes"].as_sequence().unwrap().iter().find(|v| v["name"] == "walg-bin").expect("walg-bin");
            assert!(bin["emptyDir"].is_mapping(), "{env} {sts}");

            // The official image runs the server and the backup sidecar, with the binary mounted.
            for name in ["postgres", "walg-backup"] {
                let c = container(pod, "containers", name);
                assert!(yaml_str(&c["image"]).starts_with("postgres:"), "{env} {sts} {name}");
                let mounts = c["volumeMounts"].as_sequence().unwrap();
                assert!(
                    mounts.iter().any(|m| m["name"] == "walg-bin" && m["mountPath"] == "/opt/wal-g"),
                    "{env} {name}"
                );
                for (var, value) in storage_env {
                    assert_eq!(env_of(c, var).as_deref(), Some(*value), "{env} {sts} {name} {var}");
                }
            }
            let sidecar = container(pod, "containers", "walg-backup");
            assert_eq!(sidecar["command"], crate::chart::yaml("[/bin/sh, /etc/postgresql/walg-backup.sh]"));
            // backup-push reads the data directory: the sidecar mounts the pod's own volume.
            let mounts = sidecar["volumeMounts"].as_sequence().unwrap();
            assert!(mounts.iter().any(|m| m["name"] == "postgres-data"), "{env} {sts}");
        }

        // No static key: no Secret is rendered for a cloud, and no key variable anywhere.
        assert!(!manifests.has_kind("Secret"), "{env}");
        let text = serde_yaml::to_string(&manifests.0).unwrap();
        for var in KEY_VARS {
            assert!(!text.contains(var), "{env}: {var} in the render");
        }
    }
}

#[test]
fn restore_with_wal_g_fetches_the_latest_base_backup() {
    let manifests = render(
        "eks",
        EKS,
        &["--set", "postgres.restore.enabled=true", "--set", "postgres.restore.targetTime=\"2026-11-29 21:30:00+00\""],
    );
    let pod = pod_spec(&manifests, "postgres");
    let names: Vec<&str> = pod["initContainers"].as_sequence().unwrap().iter().map(|c| yaml_str(&c["name"])).collect();
    assert_eq!(names, ["walg-binary", "restore"]);
    let restore = container(pod, "initContainers", "restore");
    assert_eq!(env_of(restore, "WALG_S3_PREFIX").as_deref(), Some("s3://wealist-backups/postgres"));
    assert_eq!(env_of(restore, "RESTORE_TARGET_TIME").as_deref(), Some("2026-11-29 21:30:00+00"));
    let script = config(&manifests, "restore.sh");
    assert!(script.contains("\"$walg\" backup-fetch \"$staging\" LATEST"), "{script}");
    assert!(script.contains("echo \"recovery_target_time = '$target'\""), "{script}");
    assert!(!script.contains("cp -R"), "{script}");
}

#[test]
fn wal_g_renders_of_every_cloud() {
    let project = TestProject::default_project();
    for Cloud { env, overlay, .. } in CLOUDS {
        project.write("walg.toml", overlay);
        let out = format!("walg/{env}");
        project.run(&["--env", env, "-f", "walg.toml", "--out", &out]).code(0);
        insta::assert_snapshot!(format!("walg_{env}"), tree_text(&project.tree(&out)));
    }
}

#[test]
fn wal_g_renders_pass_every_check_strictly() {
    let project = TestProject::default_project();
    for Cloud { env, overlay, .. } in CLOUDS {
        project.write("walg.toml", overlay);
        let run = project.run(&["--env", env, "-f", "walg.toml", "--strict", "--stdout"]);
        run.code(0);
        assert!(!run.stderr.contains("warning"), "{env}: {}", run.stderr);
    }
}

#[test]
fn the_schema_refuses_wal_g_without_prefix_identity_or_pinned_image() {
    let project = TestProject::default_project();
    project.write("walg.toml", EKS);
    let cases: [(&[&str], &str); 6] = [
        (&["postgres.archive.walg.prefix=\"\""], "postgres.archive.walg.prefix"),
        (&["postgres.archive.walg.identity.awsRoleArn=\"\""], "postgres.archive.walg.identity.awsRoleArn"),
        (&["postgres.archive.walg.region=\"\""], "postgres.archive.walg.region"),
        (&["postgres.archive.walg.prefix=\"gs://wealist-backups/postgres\""], "postgres.archive.walg.prefix"),
        (&["postgres.archive.walg.image=\"\""], "postgres.archive.walg.image"),
        (&["postgres.archive.walg.image=\"registry.example.com/tools/wal-g:latest\""], "postgres.archive.walg.image"),
    ];
    for (sets, field) in cases {
        let mut args = vec!["--env", "eks", "-f", "walg.toml", "--stdout"];
        for set in sets {
            args.extend(["--set", set]);
        }
        project.run(&args).code(1).stderr_has(field);
    }
    // gcs and azure need their own identity.
    project.write("gke.toml", GKE);
    project
        .run(&[
            "--env",
            "gke",
            "-f",
            "gke.toml",
            "--set",
            "postgres.archive.walg.identity.gcpServiceAccount=\"\"",
            "--stdout",
        ])
        .code(1)
        .stderr_has("postgres.archive.walg.identity.gcpServiceAccount");
    project.write("aks.toml", AKS);
    project
        .run(&["--env", "aks", "-f", "aks.toml", "--set", "postgres.archive.walg.storageAccount=\"\"", "--stdout"])
        .code(1)
        .stderr_has("postgres.archive.walg.storageAccount");
}

#[test]
fn the_schema_refuses_cloud_keys() {
    let project = TestProject::default_project();
    project.write("walg.toml", EKS);
    let cases = [
        // An access key where the role ARN goes.
        "postgres.archive.walg.identity.awsRoleArn=\"AKIAIOSFODNN7EXAMPLE\"",
        // Credentials or a SAS token in the prefix.
        "postgres.archive.walg.prefix=\"s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI@wealist-backups/postgres\"",
        "postgres.archive.walg.prefix=\"s3://wealist-backups/postgres?sig=abc\"",
        // A place for a key does not exist.
        "postgres.archive.walg.secretAccessKey=\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"",
        "postgres.archive.walg.identity.accountKey=\"c2VjcmV0\"",
        "postgres.archive.walg.identity.azureClientId=\"c2VjcmV0a2V5\"",
    ];
    for set in cases {
        let run = project.run(&["--env", "eks", "-f", "walg.toml", "--set", set, "--stdout"]);
        run.code(1).stderr_has("postgres.archive.walg");
    }
}
