//! `pgrender values`: the merged values and where each came from.

use crate::harness::TestProject;

#[test]
fn prints_merged_values_as_toml() {
    let project = TestProject::fixture("minimal");
    let run = project.run(&["values", "--env", "prod"]);
    run.code(0);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn prints_json() {
    let project = TestProject::fixture("minimal");
    let run = project.run(&["values", "--env", "prod", "--format", "json"]);
    run.code(0);
    let parsed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(parsed["app"]["replicas"], 3);
    assert_eq!(parsed["environment"]["kubernetes"], "1.32");
}

#[test]
fn explain_names_the_layer_of_every_key() {
    let project = TestProject::fixture("minimal");
    project.write("extra.toml", "[app.image]\ntag = \"15\"\n");
    let run = project.run(&["values", "--env", "dev", "--explain", "-f", "extra.toml", "--set", "app.replicas=2"]);
    run.code(0);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn values_needs_exactly_one_environment() {
    let project = TestProject::fixture("minimal");
    project.run(&["values"]).code(2);
}
