//! `pgrender graph`: the objects of an environment and their references, on
//! the default project and on the default project plus a backend chart
//! (`tests/fixtures/graph-two-charts`), as Mermaid, Markdown and SVG.

use std::path::Path;

use pgrender::graph::Graph;
use pgrender::pipeline::{Overrides, Pipeline};
use pgrender::project::Project;

use crate::harness::{TestProject, repo_root};

/// The default project with the backend chart of the fixture added.
fn two_charts() -> TestProject {
    let project = TestProject::default_project();
    overlay(&repo_root().join("tests/fixtures/graph-two-charts"), "", &project);
    project
}

fn overlay(dir: &Path, rel: &str, project: &TestProject) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        if entry.file_type().unwrap().is_dir() {
            overlay(&entry.path(), &rel, project);
        } else {
            project.write(&rel, &std::fs::read_to_string(entry.path()).unwrap());
        }
    }
}

/// The graph of `env`, built by the library as the command builds it.
fn graph_of(project: &TestProject, env: &str) -> Graph {
    let pipeline = Pipeline::compile(Project::load(project.path()).unwrap()).unwrap();
    let mut graphs = pgrender::graph::environments(&pipeline, &[env.to_string()], &Overrides::default()).unwrap();
    graphs.remove(0).0
}

/// `Kind ns/name [group]` per node, in order.
fn nodes(graph: &Graph) -> Vec<String> {
    graph.nodes.iter().map(|n| format!("{} [{}]", n.display(), n.group.as_deref().unwrap_or("outside"))).collect()
}

/// `from --label--> to` per edge, in order.
fn edges(graph: &Graph) -> Vec<String> {
    graph
        .edges
        .iter()
        .map(|e| format!("{} --{}--> {}", graph.nodes[e.from].display(), e.label(), graph.nodes[e.to].display()))
        .collect()
}

#[test]
fn default_eks_graph_has_every_object_and_reference() {
    let graph = graph_of(&TestProject::default_project(), "eks");
    assert_eq!(
        nodes(&graph),
        [
            "Namespace postgresql-prod [1-namespaces]",
            "StorageClass gp3 [2-storage]",
            "NetworkPolicy postgresql-prod/postgres [3-security]",
            "ServiceAccount postgresql-prod/postgres [3-security]",
            "PodDisruptionBudget postgresql-prod/postgres [4-database]",
            "Service postgresql-prod/postgres-service [4-database]",
            "StatefulSet postgresql-prod/postgres [4-database]",
            "Namespace wealist [outside]",
            "Secret postgresql-prod/db-secret [outside]",
        ]
    );
    assert_eq!(
        edges(&graph),
        [
            "Namespace postgresql-prod --holds--> NetworkPolicy postgresql-prod/postgres",
            "Namespace postgresql-prod --holds--> ServiceAccount postgresql-prod/postgres",
            "Namespace postgresql-prod --holds--> PodDisruptionBudget postgresql-prod/postgres",
            "Namespace postgresql-prod --holds--> Service postgresql-prod/postgres-service",
            "Namespace postgresql-prod --holds--> StatefulSet postgresql-prod/postgres",
            "NetworkPolicy postgresql-prod/postgres --guards--> StatefulSet postgresql-prod/postgres",
            "NetworkPolicy postgresql-prod/postgres --admits--> Namespace wealist",
            "PodDisruptionBudget postgresql-prod/postgres --covers--> StatefulSet postgresql-prod/postgres",
            "Service postgresql-prod/postgres-service --selects--> StatefulSet postgresql-prod/postgres",
            "StatefulSet postgresql-prod/postgres --mounts postgres-data--> StorageClass gp3",
            "StatefulSet postgresql-prod/postgres --uses--> ServiceAccount postgresql-prod/postgres",
            "StatefulSet postgresql-prod/postgres --mounts postgres-password--> Secret postgresql-prod/db-secret",
        ]
    );
}

#[test]
fn default_local_graph_mounts_the_rendered_secret_and_the_cluster_storage_class() {
    let graph = graph_of(&TestProject::default_project(), "local");
    let edges = edges(&graph);
    assert!(
        edges.contains(
            &"StatefulSet postgresql-prod/postgres --mounts postgres-password--> Secret postgresql-prod/db-secret"
                .to_string()
        ),
        "{edges:#?}"
    );
    assert!(
        edges.contains(
            &"StatefulSet postgresql-prod/postgres --mounts postgres-data--> StorageClass local-path".to_string()
        ),
        "{edges:#?}"
    );
    let nodes = nodes(&graph);
    assert!(nodes.contains(&"Secret postgresql-prod/db-secret [3-security]".to_string()), "{nodes:#?}");
    assert!(nodes.contains(&"StorageClass local-path [outside]".to_string()), "{nodes:#?}");
    assert!(!nodes.iter().any(|n| n.starts_with("NetworkPolicy")), "local renders no NetworkPolicy: {nodes:#?}");
}

#[test]
fn two_chart_graph_shows_the_backend_reaching_the_database() {
    let graph = graph_of(&two_charts(), "eks");
    let nodes = nodes(&graph);
    for node in [
        "Namespace wealist [1-namespaces]",
        "ConfigMap wealist/backend-config [5-backend]",
        "Deployment wealist/backend [5-backend]",
        "Service wealist/backend [5-backend]",
    ] {
        assert!(nodes.contains(&node.to_string()), "{node} missing: {nodes:#?}");
    }
    assert!(!nodes.contains(&"Namespace wealist [outside]".to_string()), "{nodes:#?}");
    let edges = edges(&graph);
    for edge in [
        "Namespace wealist --holds--> Deployment wealist/backend",
        "NetworkPolicy postgresql-prod/postgres --admits--> Namespace wealist",
        "ConfigMap wealist/backend-config --reaches DATABASE_URL :5432--> Service postgresql-prod/postgres-service",
        "Deployment wealist/backend --reaches DB_HOST--> Service postgresql-prod/postgres-service",
        "Deployment wealist/backend --reads--> ConfigMap wealist/backend-config",
        "Service wealist/backend --selects--> Deployment wealist/backend",
        "Service postgresql-prod/postgres-service --selects--> StatefulSet postgresql-prod/postgres",
    ] {
        assert!(edges.contains(&edge.to_string()), "{edge} missing: {edges:#?}");
    }
    // `cache.example.com` names no Service of the tree: no edge, no node.
    assert!(!edges.iter().any(|e| e.contains("CACHE_HOST")), "{edges:#?}");
    assert_eq!(edges.len(), 19, "{edges:#?}");
}

#[test]
fn two_chart_mermaid() {
    let run = two_charts().run(&["graph", "--env", "eks"]);
    run.code(0);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn svg_is_well_formed_deterministic_and_draws_every_node_and_edge() {
    let project = two_charts();
    project.run(&["graph", "--env", "eks", "--format", "svg", "-o", "eks.svg"]).code(0).stderr_has("wrote eks.svg");
    let svg = project.read("eks.svg");
    let again = project.run(&["graph", "--env", "eks", "--format", "svg"]);
    assert_eq!(again.code(0).stdout, svg, "the same graph gives the same bytes");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    let graph = graph_of(&project, "eks");
    let boxes = root.descendants().filter(|n| n.has_tag_name("rect") && n.attribute("rx").is_some()).count();
    assert_eq!(boxes, graph.nodes.len());
    let curves = root.descendants().filter(|n| n.has_tag_name("path") && n.attribute("marker-end").is_some()).count();
    assert_eq!(curves, graph.edges.len());
    let texts: Vec<&str> = root.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
    for expected in ["wealist/backend", "reaches DB_HOST", "5-backend", "not in the tree"] {
        assert!(texts.contains(&expected), "{expected} not drawn: {texts:?}");
    }
    // Nothing outside the picture: no scripts, links or external references.
    assert!(!svg.contains("<script") && !svg.contains("href") && !svg.contains("<image"));
}

#[test]
fn markdown_draws_every_environment_and_other_formats_one() {
    let project = TestProject::default_project();
    let run = project.run(&["graph", "--all", "--format", "markdown"]);
    run.code(0);
    for env in ["aks", "eks", "gke", "local"] {
        assert!(
            run.stdout.contains(&format!("### Environment `{env}`\n\n```mermaid\nflowchart LR\n")),
            "{env}:\n{}",
            run.stdout
        );
    }
    assert_eq!(run.stdout.matches("```\n").count(), 4, "{}", run.stdout);
    let mermaid = project.run(&["graph", "--env", "eks"]);
    assert!(run.stdout.contains(&mermaid.code(0).stdout));

    let many = project.run(&["graph", "--all"]);
    many.code(2).stderr_has("--format mermaid draws one environment, but 4 were selected");
    assert!(many.stdout.is_empty());
    project.run(&["graph", "--env", "eks", "--env", "gke", "--format", "svg"]).code(2);
    project.run(&["graph"]).code(2).stderr_has("no environment selected");
    project.run(&["graph", "--env", "ekss"]).code(2).stderr_has("did you mean `eks`?");
}

#[test]
fn invalid_values_fail_with_the_diagnostic_and_draw_nothing() {
    let project = TestProject::default_project();
    let run = project.run(&["graph", "--env", "eks", "--set", "postgres.replicas=two", "-o", "eks.mmd"]);
    run.code(1).stderr_has("`postgres.replicas`").stderr_has("--set");
    assert!(run.stdout.is_empty());
    assert!(!project.path().join("eks.mmd").exists());
}

#[test]
fn workflow_puts_each_environment_graph_into_the_job_summary() {
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(repo_root().join(".github/workflows/manifests.yml")).unwrap())
            .unwrap();
    let steps = workflow["jobs"]["manifests"]["steps"].as_sequence().unwrap();
    let script = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains("GITHUB_STEP_SUMMARY"))
        .expect("a step writes the job summary");
    let project = TestProject::default_project();
    let summary = project.path().join("summary.md");
    let bin = Path::new(env!("CARGO_BIN_EXE_pgrender")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let status = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(project.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("PATH", path)
        .status()
        .expect("bash");
    assert!(status.success(), "{script}");
    let text = std::fs::read_to_string(&summary).unwrap();
    for env in ["aks", "eks", "gke", "local"] {
        assert!(text.contains(&format!("### Environment `{env}`\n\n```mermaid\nflowchart LR\n")), "{env}:\n{text}");
    }
    assert!(text.contains("Service<br/>postgresql-prod/postgres-service"), "{text}");
}

#[test]
fn every_kind_of_reference_is_an_edge() {
    let project = TestProject::default_project();
    // One object of each kind that refers to another, in a numbered folder of its own.
    overlay(&repo_root().join("tests/fixtures/graph-every-edge"), "", &project);
    let graph = graph_of(&project, "local");
    let edges = edges(&graph);
    for edge in [
        "PersistentVolumeClaim postgresql-prod/scratch --mounts--> StorageClass fast",
        "ExternalSecret postgresql-prod/app-credentials --fills--> Secret postgresql-prod/app-secret",
        "Pod postgresql-prod/client --reads PASSWORD--> Secret postgresql-prod/app-secret",
        "Pod postgresql-prod/client --reads--> ConfigMap postgresql-prod/settings",
        "Pod postgresql-prod/client --mounts scratch--> PersistentVolumeClaim postgresql-prod/scratch",
        "Pod postgresql-prod/client --reaches CACHE :6379--> Service cache/redis",
        "Service postgresql-prod/client --selects--> Pod postgresql-prod/client",
        "NetworkPolicy postgresql-prod/from-client --guards--> StatefulSet postgresql-prod/postgres",
        "NetworkPolicy postgresql-prod/from-client --admits--> Pod postgresql-prod/client",
    ] {
        assert!(edges.contains(&edge.to_string()), "{edge} missing: {edges:#?}");
    }
    let nodes = nodes(&graph);
    for node in [
        "StorageClass fast [outside]",
        "Secret postgresql-prod/app-secret [outside]",
        "ConfigMap postgresql-prod/settings [outside]",
        "Service cache/redis [outside]",
        "Pod postgresql-prod/client [5-extra]",
    ] {
        assert!(nodes.contains(&node.to_string()), "{node} missing: {nodes:#?}");
    }
}

#[test]
fn reaches_edges_follow_the_names_the_dns_check_reads() {
    let project = TestProject::default_project();
    project.write(
        "charts/postgres/templates/5-extra/client.yaml.j2",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: client\n  namespace: postgresql-prod\ndata:\n  \
         POD: postgres-0.postgres-service.postgresql-prod:5432\n  \
         NOTE: my_postgres-service.postgresql-prod.svc\n",
    );
    let graph = graph_of(&project, "local");
    let reaches: Vec<String> = edges(&graph).into_iter().filter(|e| e.contains("--reaches")).collect();
    // A StatefulSet pod's short name reaches its Service; a word with `_` names no Service.
    assert_eq!(
        reaches,
        ["ConfigMap postgresql-prod/client --reaches POD :5432--> Service postgresql-prod/postgres-service"]
    );
    project.run(&["--env", "local"]).code(0);
}
