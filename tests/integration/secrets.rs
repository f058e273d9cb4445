//! Sensitive values (`writeOnly: true` or `x-sensitive: true` in the
//! schema) never reach the terminal: `values`, `--explain` and error
//! messages show `***`, and snippets mask the value in the source line.

use crate::harness::TestProject;

/// The minimal fixture with a sensitive `password` and a sensitive item field.
fn project() -> TestProject {
    let project = TestProject::fixture("minimal");
    let schema = project.read("schema/app.schema.json").replace(
        "\"message\": {\"type\": \"string\"},",
        "\"message\": {\"type\": \"string\"},\n    \"password\": {\"type\": \"string\", \"minLength\": 12, \"writeOnly\": true},\n    \
         \"users\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {\"token\": {\"type\": \"string\", \"x-sensitive\": true}}}},",
    );
    project.write("schema/app.schema.json", &schema);
    project.write(
        "environments/dev.toml",
        "[environment]\nprovider = \"k3d\"\n\n[app]\npassword = \"hunter2-is-long\"\nusers = [{ token = \"tok-secret\" }]\n",
    );
    project
}

#[test]
fn values_and_explain_mask_sensitive_values() {
    let project = project();
    for args in [
        &["values", "--env", "dev"][..],
        &["values", "--env", "dev", "--format", "json"],
        &["values", "--env", "dev", "--explain"],
    ] {
        let run = project.run(args);
        run.code(0);
        assert!(!run.stdout.contains("hunter2") && !run.stdout.contains("tok-secret"), "{}", run.stdout);
        assert!(run.stdout.contains("***"), "{}", run.stdout);
    }
    let run = project.run(&["values", "--env", "dev", "--explain"]);
    assert!(run.stdout.contains("app.password = \"***\""), "{}", run.stdout);
    assert!(run.stdout.contains("app.message = \"hello\""), "{}", run.stdout);
}

#[test]
fn schema_errors_on_a_sensitive_value_do_not_echo_it() {
    let project = project();
    let run = project.run(&["--env", "dev", "--set", "app.password=pw-tiny"]);
    run.code(1).stderr_has("--set app.password=***");
    assert!(!run.stderr.contains("pw-tiny"), "{}", run.stderr);
    project.write("environments/dev.toml", "[environment]\nprovider = \"k3d\"\n\n[app]\npassword = \"tiny\"\n");
    let run = project.run(&["--env", "dev"]);
    run.code(1).stderr_has("environments/dev.toml:5:12").stderr_has("password = ******");
    assert!(!run.stderr.contains("tiny"), "{}", run.stderr);
}

#[test]
fn template_output_errors_mask_sensitive_values() {
    let project = project();
    project.write(
        "charts/app/templates/3-config/secret.yaml.j2",
        "kind: Secret\nstringData: {{ values.password | safe }}: x\n",
    );
    let run = project.run(&["--env", "dev"]);
    run.code(1);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
}

#[test]
fn diffs_mask_the_values_the_schema_marks_sensitive() {
    let project = TestProject::default_project();
    let set = "postgres.auth.developmentPassword=hunter2-rotated";
    let run = project.run(&["diff", "--env", "local", "--set", set]);
    run.code(0);
    assert!(run.stdout.contains("POSTGRES_PASSWORD"), "the Secret should differ:\n{}", run.stdout);
    assert!(!run.stdout.contains("hunter2-rotated"), "password in diff:\n{}", run.stdout);
    let run = project.run(&["diff", "--env", "local", "--against", "eks", "--set", set]);
    assert!(!run.stdout.contains("hunter2-rotated"), "password in diff:\n{}", run.stdout);
    let run = project.run(&["check", "--env", "local", "--set", set]);
    run.code(1);
    assert!(!run.stdout.contains("hunter2-rotated") && !run.stderr.contains("hunter2-rotated"), "{}", run.stdout);
}

#[test]
fn a_value_equal_to_a_secret_is_shown_and_only_the_secret_is_masked() {
    let project = project();
    project.write(
        "environments/dev.toml",
        "[environment]\nprovider = \"k3d\"\n\n[app]\npassword = \"hunter2-is-long\"\nname = \"hunter2-is-long!\"\n\
         replicas = \"hunter2-is-long\"\n",
    );
    let run = project.run(&["--env", "dev"]);
    run.code(1)
        .stderr_has("`app.replicas`: \"hunter2-is-long\" is not of type \"integer\"")
        .stderr_has("replicas = \"hunter2-is-long\"")
        .stderr_has("name = \"hunter2-is-long!\"");
}

#[test]
fn an_empty_value_is_shown_even_when_a_secret_is_empty_too() {
    // The default chart's developmentPassword is "" on eks.
    let project = TestProject::default_project();
    let eks = project.read("environments/eks.toml").replace("size = \"50Gi\"", "size = \"\"");
    project.write("environments/eks.toml", &format!("{eks}\n[environment.rules]\nPG009 = \"\"\n"));
    let run = project.run(&["--env", "eks"]);
    run.code(1).stderr_has("size = \"\"\n").stderr_has("PG009 = \"\"\n").stderr_has("`postgres.storage.size`: \"\"");
    assert!(!run.stderr.contains("**"), "{}", run.stderr);
}
