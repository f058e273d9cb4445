//! The command line does what its help says: a command's help lists only
//! flags it takes, `-C DIR` works before or after the subcommand, and
//! `values --explain --format json` is JSON.

use serde_json::Value;

use crate::harness::TestProject;

#[test]
fn values_takes_one_environment_and_its_help_offers_no_all() {
    let project = TestProject::default_project();
    let help = project.run(&["values", "--help"]);
    help.code(0);
    assert!(!help.stdout.contains("--all"), "{}", help.stdout);
    assert!(!help.stdout.contains("repeatable): environments"), "{}", help.stdout);
    project.run(&["values", "--all"]).code(2).stderr_has("unexpected argument '--all'");
    project.run(&["values", "--env", "eks", "--env", "gke"]).code(2).stderr_has("cannot be used multiple times");
}

#[test]
fn diff_takes_all_and_repeated_env_as_its_help_says() {
    let project = TestProject::default_project();
    let help = project.run(&["diff", "--help"]);
    assert!(help.stdout.contains("--all") && help.stdout.contains("(repeatable)"), "{}", help.stdout);
    let run = project.run(&["diff", "--all"]);
    run.code(0);
    for env in ["aks", "eks", "gke", "local"] {
        run.stderr_has(&format!("diff k8s-manifests/{env} → rendered: no differences"));
    }
    let run = project.run(&["diff", "--env", "eks", "--env", "gke", "--set", "postgres.storage.size=1Gi"]);
    run.code(0);
    for env in ["eks", "gke"] {
        let header = format!("--- a/{env}/4-database/postgres-statefulset.yaml\n");
        assert!(run.stdout.contains(&header), "{}", run.stdout);
    }
    project.run(&["diff", "--env", "eks", "--env", "gke", "--against", "aks"]).code(2).stderr_has("one --env");
}

#[test]
fn project_flag_works_before_and_after_the_subcommand() {
    let project = TestProject::default_project();
    let elsewhere = TestProject::empty();
    let dir = project.path().to_str().unwrap();
    let before = elsewhere.run(&["-C", dir, "values", "--env", "eks"]);
    before.code(0);
    let after = elsewhere.run(&["values", "-C", dir, "--env", "eks"]);
    assert_eq!(before.stdout, after.stdout);
    elsewhere.run(&["--project", dir, "check", "--all"]).code(0);
    elsewhere.run(&["-C", dir, "--env", "local", "--stdout"]).code(0);
    elsewhere.run(&["-C", dir, "rules"]).code(2).stderr_has("`rules` does not read a project");
    elsewhere.run(&["--all", "-C", dir, "check"]).code(2).stderr_has("put them after `check`");
}

#[test]
fn explain_as_json_gives_each_key_its_value_and_source() {
    let project = TestProject::default_project();
    let run = project.run(&[
        "values",
        "--env",
        "local",
        "--explain",
        "--format",
        "json",
        "--set",
        "postgres.auth.developmentPassword=hunter2-new",
    ]);
    run.code(0);
    let rows: Vec<Value> = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    let row = |key: &str| rows.iter().find(|r| r["key"] == key).unwrap_or_else(|| panic!("no {key}")).clone();
    let provider = row("environment.provider");
    assert_eq!(provider["value"], "k3d");
    assert_eq!(provider["source"]["file"], "environments/local.toml");
    assert!(provider["source"]["line"].as_u64().is_some_and(|l| l > 0), "{provider}");
    let password = row("postgres.auth.developmentPassword");
    assert_eq!(password["value"], "***");
    assert_eq!(password["source"]["set"], "postgres.auth.developmentPassword=***");
    assert!(!run.stdout.contains("hunter2-new"), "{}", run.stdout);
}
