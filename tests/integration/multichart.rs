//! Several charts in one numbered tree (`tests/fixtures/app-with-backend`:
//! the default postgres chart and a backend chart): nothing is lost when
//! two templates claim one file or two documents one object, the checks
//! speak of any workload, and Service DNS names are checked across charts.

use std::fmt::Write as _;

use sha2::Digest as _;

use crate::harness::TestProject;

const FIXTURE: &str = "app-with-backend";

fn project() -> TestProject {
    TestProject::fixture(FIXTURE)
}

#[test]
fn the_two_chart_project_renders_into_one_tree_in_apply_order_and_passes_strictly() {
    let project = project();
    project.run(&["--all", "--strict"]).code(0);
    let stream = project.run(&["--env", "local", "--stdout"]);
    stream.code(0);
    let sources: Vec<&str> = stream.stdout.lines().filter_map(|l| l.strip_prefix("# Source: ")).collect();
    assert_eq!(
        sources,
        [
            "charts/backend/templates/1-namespaces/backend-namespace.yaml.j2",
            "charts/postgres/templates/1-namespaces/namespaces.yaml.j2",
            "charts/postgres/templates/3-security/db-secret.yaml.j2",
            "charts/postgres/templates/3-security/serviceaccount.yaml.j2",
            "charts/postgres/templates/4-database/postgres-service.yaml.j2",
            "charts/postgres/templates/4-database/postgres-statefulset.yaml.j2",
            "charts/backend/templates/5-backend/backend-config.yaml.j2",
            "charts/backend/templates/5-backend/backend-deployment.yaml.j2",
            "charts/backend/templates/5-backend/backend-service.yaml.j2",
        ]
    );
}

#[test]
fn two_charts_rendering_one_file_fail_before_anything_is_written() {
    let project = project();
    let backend_namespace = project.read("charts/backend/templates/1-namespaces/backend-namespace.yaml.j2");
    project.write("charts/backend/templates/1-namespaces/namespaces.yaml.j2", &backend_namespace);
    let render = project.run(&["--env", "local"]);
    render.code(1);
    insta::assert_snapshot!(render.stderr);
    assert!(!project.path().join("k8s-manifests").exists(), "a failed render wrote files");
    for args in [&["--env", "local", "--stdout"][..], &["check", "--all"]] {
        let run = project.run(args);
        run.code(1)
            .stderr_has("two templates render the same output file `1-namespaces/namespaces.yaml`")
            .stderr_has("charts/postgres/templates/1-namespaces/namespaces.yaml.j2 (chart `postgres`)")
            .stderr_has("charts/backend/templates/1-namespaces/namespaces.yaml.j2 (chart `backend`)");
        assert!(run.stdout.is_empty(), "{args:?} printed {}", run.stdout);
    }
}

#[test]
fn a_clash_leaves_an_earlier_tree_untouched() {
    let project = project();
    project.run(&["--env", "local"]).code(0);
    let before = project.tree("k8s-manifests");
    project.write("charts/backend/templates/4-database/postgres-service.yaml.j2", "kind: Service\n");
    project.run(&["--env", "local"]).code(1).stderr_has("`4-database/postgres-service.yaml`");
    assert_eq!(project.tree("k8s-manifests"), before);
}

#[test]
fn the_record_lists_every_written_file_once_with_its_hash() {
    let project = project();
    project.run(&["--all"]).code(0);
    for env in ["local", "eks"] {
        let record = project.read(&format!("k8s-manifests/{env}/.pgrender-manifest"));
        let mut paths: Vec<&str> = Vec::new();
        for line in record.lines() {
            let (hash, path) = line.split_once("  ").expect("sha256sum format");
            let content = project.read(&format!("k8s-manifests/{env}/{path}"));
            let actual = sha2::Sha256::digest(content.as_bytes()).iter().fold(String::new(), |mut hex, b| {
                let _ = write!(hex, "{b:02x}");
                hex
            });
            assert_eq!(hash, actual, "{env}/{path}");
            paths.push(path);
        }
        let files = project.tree(&format!("k8s-manifests/{env}"));
        assert_eq!(paths.len(), files.len() - 1, "every file but the record is listed");
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), files.len() - 1, "{env}: a path is listed twice:\n{record}");
    }
    // A second template for a path already written cannot get into the record.
    let record = project.read("k8s-manifests/local/.pgrender-manifest");
    project.write(
        "charts/backend/templates/4-database/postgres-statefulset.yaml.j2",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: wealist\ndata:\n  a: b\n",
    );
    project.run(&["--all"]).code(1);
    assert_eq!(project.read("k8s-manifests/local/.pgrender-manifest"), record);
}

#[test]
fn the_same_object_from_two_charts_is_an_error_naming_both_files_and_lines() {
    let project = project();
    project.write(
        "charts/backend/templates/5-backend/database-alias.yaml.j2",
        "# The database's Service, rendered a second time by mistake.\napiVersion: v1\nkind: Service\nmetadata:\n  name: postgres-service\n  namespace: postgresql-prod\nspec:\n  clusterIP: None\n  selector:\n    app: postgres\n  ports:\n  - port: 5432\n",
    );
    let run = project.run(&["--env", "local"]);
    run.code(1);
    insta::assert_snapshot!(run.stderr);
    assert!(!project.path().join("k8s-manifests").exists());
    let json = project.run(&["check", "--env", "local", "--format", "json"]);
    let findings: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let finding = findings.as_array().unwrap().iter().find(|f| f["rule"] == "XOB006").expect("XOB006");
    assert_eq!(finding["file"], "k8s-manifests/local/5-backend/database-alias.yaml");
    assert_eq!(finding["line"], 6);
    assert_eq!(finding["related"]["file"], "k8s-manifests/local/4-database/postgres-service.yaml");
    assert_eq!(finding["related"]["line"], 5);
    let sarif = project.run(&["check", "--env", "local", "--format", "sarif"]);
    let log: serde_sarif::sarif::Sarif = serde_json::from_str(&sarif.stdout).expect("SARIF deserialises");
    let value = serde_json::to_value(&log).unwrap();
    let result = value["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "XOB006").unwrap();
    assert_eq!(
        result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k8s-manifests/local/4-database/postgres-service.yaml"
    );
}

#[test]
fn a_wrong_service_name_is_found_where_the_backend_names_it() {
    let project = project();
    let run = project.run(&["--env", "local", "--set", "backend.database.host=db.postgresql-prod"]);
    run.code(1)
        .stderr_has("error[XOB007]: `db.postgresql-prod:5432` names Service `db` in namespace `postgresql-prod`, which the tree does not render")
        .stderr_has("k8s-manifests/local/5-backend/backend-config.yaml:8:38")
        .stderr_has("error[XOB007]: `db.postgresql-prod` names Service `db`")
        .stderr_has("k8s-manifests/local/5-backend/backend-deployment.yaml:31:19")
        .stderr_has("help: Services in `postgresql-prod`: postgres-service");
    project
        .run(&["--env", "local", "--set", "backend.database.host=postgres-servic.postgresql-prod.svc"])
        .code(1)
        .stderr_has("help: did you mean `postgres-service`?");
}

#[test]
fn a_port_the_service_does_not_expose_is_found() {
    let project = project();
    project
        .run(&["--env", "eks", "--set", "backend.database.port=6432"])
        .code(1)
        .stderr_has("error[XOB007]: Service postgresql-prod/postgres-service does not expose port 6432 (named in `postgres-service.postgresql-prod.svc.cluster.local:6432`)")
        .stderr_has("help: it exposes 5432")
        .stderr_has("see also k8s-manifests/eks/4-database/postgres-service.yaml");
}

#[test]
fn services_of_namespaces_created_elsewhere_are_not_checked() {
    let project = project();
    let args = ["--env", "local", "--set", "backend.database.host=pg.shared-db.svc.cluster.local"];
    project.run(&args).code(1).stderr_has("the tree renders no Service in `shared-db`");
    let local = project.read("environments/local.toml");
    project.write(
        "environments/local.toml",
        &local.replace("[environment]\n", "[environment]\nexistingNamespaces = [\"shared-db\"]\n"),
    );
    project.run(&args).code(0);
}

#[test]
fn checks_on_a_backend_speak_of_any_workload() {
    let project = project();
    let deployment = project.read("charts/backend/templates/5-backend/backend-deployment.yaml.j2");
    let start = deployment.find("        readinessProbe:").unwrap();
    let end = deployment.find("        securityContext:\n          allowPrivilegeEscalation").unwrap();
    project.write(
        "charts/backend/templates/5-backend/backend-deployment.yaml.j2",
        &format!("{}{}", &deployment[..start], &deployment[end..]),
    );
    let run = project.run(&["--env", "local"]);
    run.code(0).stderr_has("warning[PG008]: container has no resource limits").stderr_has("warning[PG009]");
    for postgres_words in ["pg_isready", "PostgreSQL", "database"] {
        assert!(!run.stderr.contains(postgres_words), "{postgres_words}:\n{}", run.stderr);
    }
    let local = project.read("environments/local.toml");
    project.write(
        "environments/local.toml",
        &format!("{local}\n[environment.rules]\nPG009 = \"the mesh sidecar probes the API\"\n"),
    );
    let run = project.run(&["--env", "local"]);
    run.code(0).stderr_has("warning[PG008]");
    assert!(!run.stderr.contains("PG009"), "{}", run.stderr);
}
