//! Rendering: the default project's four environments, the output tree,
//! stdout streams, value layers and what writing leaves on disk.

use crate::harness::{TestProject, replication_overlay, tree_text};

#[test]
fn default_project_renders_every_environment() {
    let project = TestProject::default_project();
    project.run(&["--all"]).code(0);
    for env in ["local", "eks", "gke", "aks"] {
        let tree = project.tree(&format!("k8s-manifests/{env}"));
        insta::assert_snapshot!(format!("default_{env}"), tree_text(&tree));
    }
}

#[test]
fn render_subcommand_and_bare_flags_are_the_same() {
    let a = TestProject::default_project();
    let b = TestProject::default_project();
    a.run(&["--env", "eks"]).code(0);
    b.run(&["render", "--env", "eks"]).code(0);
    assert_eq!(a.tree("k8s-manifests"), b.tree("k8s-manifests"));
}

#[test]
fn same_inputs_give_the_same_bytes() {
    let a = TestProject::fixture("minimal");
    let b = TestProject::fixture("minimal");
    a.run(&["--all"]).code(0);
    b.run(&["--all", "--out", "elsewhere"]).code(0);
    assert_eq!(a.tree("out"), b.tree("elsewhere"));
    a.run(&["--all"]).code(0).stderr_has("unchanged");
}

#[test]
fn output_mirrors_templates_without_partials() {
    let project = TestProject::fixture("minimal");
    let run = project.run(&["--env", "dev"]);
    run.code(0).stderr_has("rendered dev → out/dev (2 files: 2 added)");
    let paths: Vec<String> = project.tree("out/dev").into_keys().collect();
    assert_eq!(paths, [".pgrender-manifest", "1-namespaces/namespace.yaml", "3-config/configmap.yaml"]);
    insta::assert_snapshot!(tree_text(&project.tree("out")));
}

#[test]
fn stdout_is_one_ordered_stream() {
    let project = TestProject::fixture("minimal");
    let run = project.run(&["--env", "prod", "--stdout"]);
    run.code(0);
    insta::assert_snapshot!(run.stdout);
    assert!(!project.path().join("out").exists(), "--stdout must not write files");
}

#[test]
fn stdout_with_several_environments_is_a_usage_error() {
    let project = TestProject::fixture("minimal");
    project.run(&["--all", "--stdout"]).code(2).stderr_has("--stdout takes one environment");
}

#[test]
fn layers_apply_in_order_files_then_sets() {
    let project = TestProject::fixture("minimal");
    project.write("extra.toml", "[app]\nmessage = \"from -f\"\nreplicas = 2\n");
    let run = project.run(&["--env", "dev", "-f", "extra.toml", "--set", "app.replicas=5", "--stdout"]);
    run.code(0);
    assert!(run.stdout.contains("message: from -f"), "{}", run.stdout);
    assert!(run.stdout.contains("replicas: \"5\""), "{}", run.stdout);
}

#[test]
fn set_keeps_strings_where_the_schema_wants_strings() {
    let project = TestProject::fixture("minimal");
    let run = project.run(&["--env", "dev", "--set", "app.image.tag=17", "--stdout"]);
    run.code(0);
    assert!(run.stdout.contains("tag: \"17\""), "{}", run.stdout);
    // "true" stays a string in the values because the schema says string, and
    // `{{ values.message }}` quotes it, so YAML reads it back as that string (#18:
    // also the YAML 1.1 spellings kubectl reads as booleans and numbers).
    for value in ["true", "yes", "off", "1_000"] {
        let run = project.run(&["--env", "dev", "--set", &format!("app.message={value}"), "--stdout"]);
        run.code(0);
        assert!(run.stdout.contains(&format!("message: \"{value}\"\n")), "{}", run.stdout);
    }
}

#[test]
fn stale_files_go_and_foreign_files_stay() {
    let project = TestProject::fixture("minimal");
    project.run(&["--env", "dev"]).code(0);
    project.write("out/dev/notes/README.md", "mine\n");
    std::fs::remove_file(project.path().join("charts/app/templates/3-config/configmap.yaml.j2")).unwrap();
    project.run(&["--env", "dev"]).code(0).stderr_has("1 removed");
    let paths: Vec<String> = project.tree("out/dev").into_keys().collect();
    assert_eq!(paths, [".pgrender-manifest", "1-namespaces/namespace.yaml", "notes/README.md"]);
    assert_eq!(project.read("out/dev/notes/README.md"), "mine\n");
}

#[test]
fn a_file_pgrender_did_not_write_is_never_overwritten() {
    let project = TestProject::fixture("minimal");
    project.write("out/dev/3-config/configmap.yaml", "hand-written\n");
    project.run(&["--env", "dev"]).code(1).stderr_has("was not written by pgrender");
    assert_eq!(project.read("out/dev/3-config/configmap.yaml"), "hand-written\n");
}

#[test]
fn help_shows_examples() {
    let project = TestProject::fixture("minimal");
    let run = project.run(&["--help"]);
    run.code(0);
    assert!(run.stdout.contains("Examples:"), "{}", run.stdout);
    let commands =
        ["render", "values", "watch", "check", "diff", "rules", "init", "docs", "schema", "completions", "man"];
    for command in commands {
        let run = project.run(&[command, "--help"]);
        run.code(0);
        assert!(run.stdout.contains("Examples:"), "`{command} --help` has no examples:\n{}", run.stdout);
    }
}

#[test]
fn committed_manifests_match_the_chart() {
    // The repository commits k8s-manifests/: after a chart or environment
    // change, run `pgrender --all` and commit the result.
    let project = TestProject::default_project();
    let run = project.run(&["check", "--all"]);
    assert_eq!(run.code, 0, "k8s-manifests/ is stale; run `pgrender --all`:\n{}{}", run.stdout, run.stderr);
}

#[test]
fn replicated_layout_of_every_environment() {
    let project = TestProject::default_project();
    project.write_replication_overlays();
    for env in ["local", "eks", "gke", "aks"] {
        let overlay = replication_overlay(env);
        let out = format!("replicated/{env}");
        project.run(&["--env", env, "-f", overlay, "--out", &out]).code(0);
        insta::assert_snapshot!(format!("replicated_{env}"), tree_text(&project.tree(&out)));
    }
}
