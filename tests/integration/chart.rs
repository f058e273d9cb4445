//! The default postgres chart: the SEED.md baseline on `local`, what each
//! cloud adds, what the schema and templates refuse, and schema defaults
//! that cannot drift from `values.toml`. `chart_values` flips every value.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use crate::harness::{TestProject, repo_root};

/// The rendered objects of one environment, parsed.
pub struct Manifests(pub Vec<Yaml>);

impl Manifests {
    /// Renders `env` of `project` with extra arguments and parses the stream.
    pub fn render(project: &TestProject, env: &str, extra: &[&str]) -> Manifests {
        let mut args = vec!["--env", env, "--stdout"];
        args.extend_from_slice(extra);
        let run = project.run(&args);
        run.code(0);
        let docs = serde_yaml::Deserializer::from_str(&run.stdout)
            .map(|doc| serde::Deserialize::deserialize(doc).expect("rendered YAML parses"))
            .filter(|doc: &Yaml| !doc.is_null())
            .collect();
        Manifests(docs)
    }

    /// The object of `kind` named `name`, if rendered.
    pub fn find(&self, kind: &str, name: &str) -> Option<&Yaml> {
        self.0.iter().find(|doc| doc["kind"] == kind && doc["metadata"]["name"] == name)
    }

    /// The object of `kind` named `name`; panics with the kinds rendered when missing.
    #[track_caller]
    pub fn get(&self, kind: &str, name: &str) -> &Yaml {
        self.find(kind, name).unwrap_or_else(|| panic!("no {kind} {name} in {:?}", self.kinds()))
    }

    fn kinds(&self) -> Vec<String> {
        self.0.iter().map(|doc| format!("{}/{}", yaml_str(&doc["kind"]), yaml_str(&doc["metadata"]["name"]))).collect()
    }

    pub fn has_kind(&self, kind: &str) -> bool {
        self.0.iter().any(|doc| doc["kind"] == kind)
    }

    pub fn sts(&self) -> &Yaml {
        self.get("StatefulSet", "postgres")
    }

    pub fn pod(&self) -> &Yaml {
        &self.sts()["spec"]["template"]["spec"]
    }

    pub fn container(&self) -> &Yaml {
        &self.pod()["containers"][0]
    }

    /// The value of env var `name` of the container.
    pub fn env(&self, name: &str) -> &Yaml {
        let vars = self.container()["env"].as_sequence().expect("env list");
        &vars.iter().find(|var| var["name"] == name).unwrap_or_else(|| panic!("no env {name}"))["value"]
    }
}

pub fn yaml_str(value: &Yaml) -> &str {
    value.as_str().unwrap_or("")
}

/// YAML of a small inline literal, for comparing passthrough maps.
pub fn yaml(text: &str) -> Yaml {
    serde_yaml::from_str(text).unwrap()
}

#[test]
fn local_matches_the_hand_written_baseline() {
    let project = TestProject::default_project();
    project.run(&["--env", "local"]).code(0);
    let files: Vec<String> = project.tree("k8s-manifests/local").into_keys().collect();
    assert_eq!(
        files,
        [
            ".pgrender-manifest",
            "1-namespaces/namespaces.yaml",
            "3-security/db-secret.yaml",
            "3-security/serviceaccount.yaml",
            "4-database/postgres-service.yaml",
            "4-database/postgres-statefulset.yaml",
        ]
    );
    let m = Manifests::render(&project, "local", &[]);
    let ns = m.get("Namespace", "postgresql-prod");
    assert_eq!(ns["metadata"]["labels"]["environment"], "production");
    assert_eq!(ns["metadata"]["labels"]["project"], "wealist-db");
    let svc = m.get("Service", "postgres-service");
    assert_eq!(svc["metadata"]["namespace"], "postgresql-prod");
    assert_eq!(svc["spec"]["clusterIP"], "None");
    assert_eq!(svc["spec"]["selector"], yaml("app: postgres"));
    assert_eq!(svc["spec"]["ports"][0]["port"], 5432);
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 5432);
    let sts = m.sts();
    assert_eq!(sts["metadata"]["namespace"], "postgresql-prod");
    assert_eq!(sts["spec"]["serviceName"], "postgres-service");
    assert_eq!(sts["spec"]["replicas"], 1);
    assert_eq!(sts["spec"]["selector"]["matchLabels"], yaml("app: postgres"));
    assert_eq!(sts["spec"]["template"]["metadata"]["labels"]["app"], "postgres");
    let c = m.container();
    assert_eq!(c["name"], "postgres");
    assert_eq!(c["image"], "postgres:16-alpine");
    assert_eq!(c["ports"][0], yaml("{containerPort: 5432, name: postgres, protocol: TCP}"));
    assert_eq!(*m.env("POSTGRES_DB"), "wealist");
    assert_eq!(*m.env("POSTGRES_USER"), "postgres");
    assert_eq!(*m.env("PGDATA"), "/var/lib/postgresql/data/pgdata");
    assert_eq!(c["volumeMounts"][0], yaml("{name: postgres-data, mountPath: /var/lib/postgresql/data}"));
    assert_eq!(c["resources"], yaml("{requests: {memory: 256Mi, cpu: 100m}, limits: {memory: 512Mi, cpu: 200m}}"));
    let claim = &sts["spec"]["volumeClaimTemplates"][0];
    assert_eq!(claim["metadata"]["name"], "postgres-data");
    assert_eq!(claim["spec"]["accessModes"], yaml("[ReadWriteOnce]"));
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "5Gi");
    assert_eq!(claim["spec"]["storageClassName"], "local-path");
}

#[test]
fn the_password_is_a_mounted_file_never_an_env_value() {
    let project = TestProject::default_project();
    for env in ["local", "eks", "gke", "aks"] {
        let m = Manifests::render(&project, env, &[]);
        let c = m.container();
        let names: Vec<&str> = c["env"].as_sequence().unwrap().iter().map(|v| yaml_str(&v["name"])).collect();
        assert!(!names.contains(&"POSTGRES_PASSWORD"), "{env}: {names:?}");
        assert_eq!(*m.env("POSTGRES_PASSWORD_FILE"), "/run/secrets/postgres/POSTGRES_PASSWORD", "{env}");
        let volume = &m.pod()["volumes"][0];
        assert_eq!(volume["secret"]["secretName"], "db-secret", "{env}");
        assert_eq!(volume["secret"]["items"][0]["key"], "POSTGRES_PASSWORD", "{env}");
        // Only k3d carries a password; clouds reference a Secret made elsewhere.
        assert_eq!(m.has_kind("Secret"), env == "local", "{env}");
    }
}

#[test]
fn clouds_get_their_storage_class_pdb_and_network_policy() {
    let project = TestProject::default_project();
    for (env, class) in [("eks", "gp3"), ("gke", "standard-rwo"), ("aks", "managed-csi-premium")] {
        let m = Manifests::render(&project, env, &[]);
        let claim = &m.sts()["spec"]["volumeClaimTemplates"][0]["spec"];
        assert_eq!(claim["storageClassName"], class, "{env}");
        assert_eq!(claim["resources"]["requests"]["storage"], "50Gi", "{env}");
        assert!(m.has_kind("PodDisruptionBudget") && m.has_kind("NetworkPolicy"), "{env}");
        assert_eq!(m.has_kind("StorageClass"), env == "eks", "{env}");
    }
    let eks = Manifests::render(&project, "eks", &[]);
    let class = eks.get("StorageClass", "gp3");
    assert_eq!(class["provisioner"], "ebs.csi.aws.com");
    assert_eq!(class["parameters"]["type"], "gp3");
    assert_eq!(class["volumeBindingMode"], "WaitForFirstConsumer");
}

#[test]
fn replicas_above_one_are_refused_until_replication_exists() {
    let project = TestProject::default_project();
    let committed = project.tree("k8s-manifests");
    let run = project.run(&["--env", "eks", "--set", "postgres.replicas=2"]);
    run.code(1).stderr_has("`postgres.replicas`: 2 is greater than the maximum of 1").stderr_has("replication");
    project.write(
        "environments/gke.toml",
        &format!("{}\n[postgres]\nreplicas = 3\n", project.read("environments/gke.toml")),
    );
    project.run(&["--env", "gke"]).code(1).stderr_has("environments/gke.toml:").stderr_has("maximum of 1");
    assert_eq!(project.tree("k8s-manifests"), committed, "a refused render writes nothing");
}

#[test]
fn refused_values_and_combinations() {
    let project = TestProject::default_project();
    let refused: &[(&str, &[&str], &str)] = &[
        ("eks", &["--set", "postgres.image.tag=latest"], "postgres.image.tag"),
        ("eks", &["--set", "postgres.storage.size=lots"], "postgres.storage.size"),
        ("eks", &["--set", "postgres.service.port=70000"], "postgres.service.port"),
        ("eks", &["--set", "postgres.name=Postgres_DB"], "postgres.name"),
        // A name YAML would read as a number never reaches a template.
        ("eks", &["--set", "postgres.service.name=\"5432\""], "postgres.service.name"),
        ("eks", &["--set", "postgres.securityContext.uid=0"], "postgres.securityContext.uid"),
        ("eks", &["--set", "postgres.auth.developmentPassword=hunter2"], "for k3d only"),
        ("eks", &["--set", "postgres.auth.externalSecret.enabled=true"], "needs auth.externalSecret.storeName"),
        ("gke", &["--set", "postgres.storage.storageClass.create=true"], "needs storage.storageClass.provisioner"),
        (
            "local",
            &[
                "--set",
                "postgres.auth.externalSecret.enabled=true",
                "--set",
                "postgres.auth.externalSecret.storeName=s",
            ],
            "keep one",
        ),
        ("local", &["--set", "postgres.replication.enabled=true"], "needs replication.developmentPassword"),
        (
            "eks",
            &["--set", "postgres.replication.developmentPassword=repl-secret"],
            "replication.developmentPassword is for k3d only",
        ),
        (
            "eks",
            &[
                "--set",
                "postgres.replication.enabled=true",
                "--set",
                "postgres.replication.synchronous.enabled=true",
                "--set",
                "postgres.replication.synchronous.quorum=2",
            ],
            "replication.synchronous.quorum is 2 but replication.readReplicas is 1",
        ),
        ("eks", &["--set", "postgres.archive.method=\"file\""], "archive.method needs replication.enabled"),
        (
            "eks",
            &["--set", "postgres.replication.enabled=true", "--set", "postgres.restore.enabled=true"],
            "restore.enabled needs archive.method",
        ),
        (
            "eks",
            &[
                "--set",
                "postgres.replication.enabled=true",
                "--set",
                "postgres.auth.externalSecret.enabled=true",
                "--set",
                "postgres.auth.externalSecret.storeName=s",
                "--set",
                "postgres.auth.externalSecret.remoteKey=k",
            ],
            "needs replication.remoteProperty",
        ),
        ("eks", &["--set", "postgres.restore.targetTime=\"yesterday\""], "postgres.restore.targetTime"),
    ];
    for (env, args, message) in refused {
        let mut all = vec!["--env", env];
        all.extend_from_slice(args);
        project.run(&all).code(1).stderr_has(message);
    }
}

/// Dotted paths of every schema node that carries a `default` (the chart's values).
pub fn schema_values() -> Vec<(String, Json)> {
    fn walk(node: &Json, path: &str, out: &mut Vec<(String, Json)>) {
        if let Some(default) = node.get("default") {
            out.push((path.to_string(), default.clone()));
        }
        if let Some(props) = node.get("properties").and_then(Json::as_object) {
            for (key, child) in props {
                let child_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                walk(child, &child_path, out);
            }
        }
    }
    let text = std::fs::read_to_string(repo_root().join("schema/postgres.schema.json")).unwrap();
    let mut out = Vec::new();
    walk(&serde_json::from_str(&text).unwrap(), "", &mut out);
    out
}

#[test]
fn schema_defaults_equal_values_toml() {
    let text = std::fs::read_to_string(repo_root().join("charts/postgres/values.toml")).unwrap();
    let values: Json = serde_json::to_value(toml::from_str::<toml::Table>(&text).unwrap()).unwrap();
    let schema = schema_values();
    for (path, default) in &schema {
        let pointer = format!("/{}", path.replace('.', "/"));
        assert_eq!(values.pointer(&pointer), Some(default), "values.toml and the schema default differ at {path}");
    }
    // And the other way: values.toml holds nothing the schema does not document.
    let documented: BTreeSet<&str> = schema.iter().map(|(p, _)| p.as_str()).collect();
    let mut found = Vec::new();
    leaves(&values, "", &documented, &mut found);
    let undocumented: Vec<&String> = found.iter().filter(|p| !documented.contains(p.as_str())).collect();
    assert!(undocumented.is_empty(), "values.toml keys without a schema default: {undocumented:?}");
}

/// Dotted paths of the values in `value`: a table the schema documents as one value is a leaf.
fn leaves(value: &Json, path: &str, schema: &BTreeSet<&str>, out: &mut Vec<String>) {
    match value.as_object() {
        Some(map) if !schema.contains(path) => {
            for (key, child) in map {
                let child_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                leaves(child, &child_path, schema, out);
            }
        }
        _ => out.push(path.to_string()),
    }
}

#[test]
fn every_schema_value_is_described_and_closed() {
    fn walk(node: &Json, path: &str) {
        if node.get("default").is_some() {
            assert!(
                node.get("description").and_then(Json::as_str).is_some_and(|d| !d.is_empty()),
                "{path}: no description"
            );
        }
        if let Some(props) = node.get("properties").and_then(Json::as_object) {
            assert_eq!(node.get("additionalProperties"), Some(&Json::Bool(false)), "{path}: open object");
            for (key, child) in props {
                walk(child, &format!("{path}.{key}"));
            }
        }
    }
    let text = std::fs::read_to_string(repo_root().join("schema/postgres.schema.json")).unwrap();
    let schema: Json = serde_json::from_str(&text).unwrap();
    walk(&schema, "");
    let password = schema.pointer("/properties/auth/properties/developmentPassword").unwrap();
    assert_eq!(password["writeOnly"], true, "the development password is marked sensitive");
}

#[test]
fn the_chart_readme_documents_every_value() {
    let readme = std::fs::read_to_string(repo_root().join("charts/postgres/README.md")).unwrap();
    let table = readme
        .split_once("<!-- values:begin -->")
        .and_then(|(_, rest)| rest.split_once("<!-- values:end -->"))
        .map(|(table, _)| table)
        .expect("values markers in charts/postgres/README.md");
    let missing: Vec<String> =
        schema_values().into_iter().map(|(path, _)| path).filter(|p| !table.contains(&format!("| `{p}` |"))).collect();
    assert!(missing.is_empty(), "values missing from the README table: {missing:?}");
}

#[test]
fn a_number_like_password_key_stays_a_string() {
    let project = TestProject::default_project();
    let m = Manifests::render(&project, "local", &["--set", "postgres.auth.passwordKey=\"2024\""]);
    let secret = m.get("Secret", "db-secret");
    assert_eq!(secret["stringData"]["2024"], "local-dev-only", "{secret:?}");
    let item = &m.pod()["volumes"][0]["secret"]["items"][0];
    assert_eq!(item, &yaml("{key: '2024', path: '2024'}"));
}
