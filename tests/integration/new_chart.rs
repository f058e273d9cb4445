//! `pgrender new chart NAME`: the project renders and checks clean right
//! after; existing names, bad names and unsafe targets are refused with
//! nothing written; a failure part-way leaves the project as it was.

use crate::harness::{TestProject, repo_root};

const ENVS: [&str; 4] = ["aks", "eks", "gke", "local"];

#[test]
fn new_chart_renders_and_checks_clean_right_after() {
    let project = TestProject::default_project();
    let before_project_file = project.read("pgrender.toml");
    let before_envs: Vec<String> = ENVS.iter().map(|e| project.read(&format!("environments/{e}.toml"))).collect();

    let run = project.run(&["new", "chart", "backend"]);
    run.code(0)
        .stderr_has("created charts/backend/templates/5-backend/deployment.yaml.j2")
        .stderr_has("created schema/backend.schema.json")
        .stderr_has("updated pgrender.toml")
        .stderr_has("updated schema/environment-file.schema.json");

    // Comments and layout are kept; the entry and the tables are appended.
    assert_eq!(
        project.read("pgrender.toml"),
        format!(
            "{before_project_file}\n[[chart]]\npath = \"charts/backend\"\nschema = \"schema/backend.schema.json\"\n"
        )
    );
    for (env, before) in ENVS.iter().zip(&before_envs) {
        assert_eq!(
            project.read(&format!("environments/{env}.toml")),
            format!(
                "{before}\n# Values of the backend chart in this environment, over charts/backend/values.toml.\n[backend]\n"
            ),
            "{env}"
        );
    }

    project.run(&["--all"]).code(0);
    project.run(&["check", "--all", "--strict"]).code(0);
    project.run(&["docs", "--check"]).code(0);
    project.run(&["schema", "--check"]).code(0);
    for env in ENVS {
        let tree = project.tree(&format!("k8s-manifests/{env}"));
        for file in ["1-namespaces/backend.yaml", "5-backend/deployment.yaml", "5-backend/service.yaml"] {
            assert!(tree.contains_key(file), "{env}/{file} missing: {:?}", tree.keys());
        }
        assert!(tree.contains_key("4-database/postgres-statefulset.yaml"), "the database is still rendered");
    }
    let deployment = project.read("k8s-manifests/eks/5-backend/deployment.yaml");
    assert!(deployment.starts_with("# Source: charts/backend/templates/5-backend/deployment.yaml.j2\n"));
}

#[test]
fn values_set_in_an_environment_table_reach_the_chart() {
    let project = TestProject::default_project();
    project.run(&["new", "chart", "backend"]).code(0);
    let local = project.read("environments/local.toml");
    project.write(
        "environments/local.toml",
        &format!(
            "{local}replicas = 2\n\n[backend.env]\nDB_HOST = \"postgres-service.postgresql-prod.svc.cluster.local\"\n"
        ),
    );
    project.run(&["--all"]).code(0);
    project.run(&["check", "--all", "--strict"]).code(0);
    let deployment = project.read("k8s-manifests/local/5-backend/deployment.yaml");
    assert!(deployment.contains("  replicas: 2\n"), "{deployment}");
    assert!(
        deployment
            .contains("- name: DB_HOST\n          value: \"postgres-service.postgresql-prod.svc.cluster.local\"\n"),
        "{deployment}"
    );
    let graph = project.run(&["graph", "--env", "local"]);
    assert!(graph.code(0).stdout.contains("-->|\"reaches DB_HOST\"|"), "{}", graph.stdout);
}

#[test]
fn each_new_chart_takes_the_next_numbered_folder() {
    let project = TestProject::default_project();
    project.run(&["new", "chart", "backend"]).code(0);
    project.run(&["new", "chart", "frontend"]).code(0).stderr_has("6-frontend/deployment.yaml.j2");
    project.run(&["--all"]).code(0);
    project.run(&["check", "--all", "--strict"]).code(0);
    let stream = project.run(&["--env", "eks", "--stdout"]);
    let order: Vec<&str> = stream.stdout.lines().filter(|l| l.starts_with("# Source:")).collect();
    let position = |needle: &str| order.iter().position(|l| l.contains(needle)).unwrap();
    assert!(position("4-database/") < position("5-backend/") && position("5-backend/") < position("6-frontend/"));
}

#[test]
fn refuses_existing_and_invalid_names_without_writing() {
    let project = TestProject::default_project();
    let before = project.tree("");
    project
        .run(&["new", "chart", "postgres"])
        .code(1)
        .stderr_has("error: cannot add chart `postgres`: the project has a chart `postgres` already (charts/postgres); nothing was written");
    for (name, reason) in [
        ("Backend", "only lower-case letters, digits and `-` are allowed"),
        ("back_end", "only lower-case letters, digits and `-` are allowed"),
        ("../x", "only lower-case letters, digits and `-` are allowed"),
        ("9lives", "it must start with a letter"),
        ("backend-", "it must not end with `-`"),
        ("environment", "`environment` is the key of the [environment] table"),
        ("", "it is empty"),
    ] {
        project.run(&["new", "chart", name]).code(2).stderr_has(&format!("`{name}` cannot name a chart: {reason}"));
    }
    project.run(&["new", "chart", &"a".repeat(64)]).code(2).stderr_has("longer than 63 characters");
    // Its template would land on the postgres chart's 1-namespaces/namespaces.yaml.
    project
        .run(&["new", "chart", "namespaces"])
        .code(1)
        .stderr_has("1-namespaces/namespaces.yaml.j2 would render to the same file as charts/postgres/templates/1-namespaces/namespaces.yaml.j2");
    project.write("schema/cache.schema.json", "{}\n");
    project.run(&["new", "chart", "cache"]).code(1).stderr_has("schema/cache.schema.json exists already");
    std::fs::remove_file(project.path().join("schema/cache.schema.json")).unwrap();
    assert_eq!(project.tree(""), before, "nothing may change");
}

#[test]
fn a_failure_part_way_leaves_the_project_as_it_was() {
    let project = TestProject::default_project();
    // The environment-file schema is regenerated last, from every chart's
    // schema: a broken one fails the command after the chart was written.
    let schema = project.read("schema/postgres.schema.json");
    project.write("schema/postgres.schema.json", &schema.replacen('{', "[", 1));
    let before = project.tree("");
    let run = project.run(&["new", "chart", "backend"]);
    run.code(1).stderr_has("schema/postgres.schema.json");
    assert_eq!(project.tree(""), before, "everything is put back");
    assert!(!project.path().join("charts/backend").exists());
}

#[test]
fn an_unparsable_environment_file_is_reported_before_anything_is_written() {
    let project = TestProject::default_project();
    let gke = project.read("environments/gke.toml");
    project.write("environments/gke.toml", &format!("{gke}\n[postgres\n"));
    let before = project.tree("");
    project.run(&["new", "chart", "backend"]).code(1).stderr_has("environments/gke.toml:");
    assert_eq!(project.tree(""), before);
}

#[cfg(unix)]
#[test]
fn writes_only_inside_the_project() {
    let project = TestProject::default_project();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("eks.toml");
    std::fs::copy(repo_root().join("environments/eks.toml"), &target).unwrap();
    std::fs::remove_file(project.path().join("environments/eks.toml")).unwrap();
    std::os::unix::fs::symlink(&target, project.path().join("environments/eks.toml")).unwrap();
    let before = project.tree("");
    project.run(&["new", "chart", "backend"]).code(1).stderr_has("environments/eks.toml leads outside the project");
    assert_eq!(project.tree(""), before);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        std::fs::read_to_string(repo_root().join("environments/eks.toml")).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn an_environment_file_linked_inside_the_project_is_edited_where_it_leads() {
    let project = TestProject::default_project();
    std::fs::create_dir(project.path().join("shared")).unwrap();
    std::fs::rename(project.path().join("environments/eks.toml"), project.path().join("shared/eks.toml")).unwrap();
    std::os::unix::fs::symlink("../shared/eks.toml", project.path().join("environments/eks.toml")).unwrap();
    project.run(&["new", "chart", "backend"]).code(0);
    let link = project.path().join("environments/eks.toml");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert!(project.read("shared/eks.toml").contains("\n[backend]\n"));
    project.run(&["--env", "eks"]).code(0);
}

#[test]
fn init_still_writes_only_the_postgres_chart() {
    let project = TestProject::empty();
    project.run(&["init"]).code(0);
    assert_eq!(project.read("pgrender.toml"), std::fs::read_to_string(repo_root().join("pgrender.toml")).unwrap());
    assert!(project.tree("charts").keys().all(|p| p.starts_with("postgres/")));
}

#[test]
fn completions_and_man_pages_cover_the_new_commands() {
    let project = TestProject::empty();
    let complete = |words: &[&str]| crate::tooling::complete(&project, "fish", words);
    for (words, word) in [
        (&["pgrender", ""][..], "graph"),
        (&["pgrender", ""][..], "new"),
        (&["pgrender", "new", ""][..], "chart"),
        (&["pgrender", "graph", "--"][..], "--format"),
        (&["pgrender", "graph", "--format", ""][..], "markdown"),
        (&["pgrender", "graph", "--format", ""][..], "svg"),
    ] {
        assert!(complete(words).iter().any(|c| c == word), "{word} missing from the completions of {words:?}");
    }
    project.run(&["man", "--out", "man1"]).code(0);
    for page in ["pgrender-graph.1", "pgrender-new.1", "pgrender-new-chart.1"] {
        assert!(project.read(&format!("man1/{page}")).contains(".TH"), "{page}");
    }
}

/// The text of the README's fenced block that follows `after`, up to its closing fence.
fn readme_block(readme: &str, after: &str) -> String {
    let start = readme.find(after).unwrap_or_else(|| panic!("README lacks {after:?}")) + after.len();
    let end = readme[start..].find("```").unwrap() + start;
    readme[start..end].to_string()
}

/// `tests/fixtures/several-charts` is the default project after steps 1 and 2
/// of the README's "Several charts" (the new chart, and the edits the README
/// shows): the README's console sessions of the later steps run on it, and
/// its step 5 draws its graph.
#[test]
fn the_several_charts_fixture_is_the_readme_walkthrough_after_step_2() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = &readme[readme.find("## Several charts").unwrap()..];
    let project = TestProject::default_project();
    project.run(&["new", "chart", "backend"]).code(0);

    // Step 2, as the README says.
    let values = project.read("charts/backend/values.toml");
    let values = values
        .replace(
            "env = {}",
            "env = { DB_HOST = \"postgres-service.postgresql-prod.svc.cluster.local\", DB_PORT = \"5432\" }",
        )
        .replace("[namespace]\nname = \"backend\"", "[namespace]\nname = \"wealist\"");
    assert!(values.contains(readme_block(section, "```toml\n").trim_end().lines().next().unwrap()));
    project.write("charts/backend/values.toml", &values);
    let eks = project.read("environments/eks.toml");
    project.write("environments/eks.toml", &eks.replace("[backend]\n", "[backend]\nreplicas = 2\n"));
    assert!(
        project
            .read("environments/eks.toml")
            .ends_with(&readme_block(section, "`environments/eks.toml`:\n\n```toml\n"))
    );

    let fixture = TestProject::fixture("several-charts").tree("");
    assert!(fixture.contains_key("charts/backend/values.toml"));
    for (path, content) in &fixture {
        assert_eq!(
            &project.read(path),
            content,
            "tests/fixtures/several-charts/{path} is not what steps 1 and 2 of README.md's Several charts give: \
             copy it from a default project where they were run"
        );
    }

    let graph = project.run(&["graph", "--env", "eks"]);
    assert_eq!(graph.code(0).stdout, readme_block(section, "```mermaid\n"));
}
