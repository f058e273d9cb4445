//! `check --format json|sarif`: one valid document on stdout whatever
//! fails — invalid values, failed templates, stale files, unknown
//! environments — each problem with its file and line.

use serde_json::Value;

use crate::harness::{Run, TestProject};

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle:?}")) + 1
}

fn json(run: &Run) -> Vec<Value> {
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", run.stdout));
    doc.as_array().expect("a JSON array").clone()
}

/// The SARIF log's results, after checking the log deserialises as SARIF 2.1.0.
fn sarif_results(run: &Run) -> Vec<Value> {
    let log: serde_sarif::sarif::Sarif =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", run.stdout));
    let value = serde_json::to_value(&log).unwrap();
    let rules = value["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().clone();
    let results = value["runs"][0]["results"].as_array().unwrap().clone();
    for result in &results {
        if let Some(index) = result["ruleIndex"].as_u64() {
            assert_eq!(rules[usize::try_from(index).unwrap()]["id"], result["ruleId"], "{result}");
        }
    }
    results
}

#[test]
fn stale_committed_output_is_in_the_json_with_its_file_and_line() {
    let project = TestProject::default_project();
    let eks = project.read("environments/eks.toml").replace("size = \"50Gi\"", "size = \"60Gi\"");
    project.write("environments/eks.toml", &eks);
    let file = "k8s-manifests/eks/4-database/postgres-statefulset.yaml";
    let line = line_of(&project.read(file), "storage: 50Gi");
    let run = project.run(&["check", "--all", "--format", "json"]);
    run.code(1).stderr_has("committed manifests are stale for eks");
    let entries = json(&run);
    let stale = entries.iter().find(|e| e["rule"] == "stale-output").expect("a stale-output entry");
    assert_eq!((stale["file"].as_str(), stale["line"].as_u64()), (Some(file), Some(line as u64)), "{stale}");
    assert_eq!(stale["environment"], "eks");
}

#[test]
fn invalid_values_are_in_the_sarif_log_with_their_file_and_line() {
    let project = TestProject::default_project();
    let eks = project.read("environments/eks.toml").replace("size = \"50Gi\"", "size = \"lots\"");
    let line = line_of(&eks, "size = \"lots\"");
    project.write("environments/eks.toml", &eks);
    let run = project.run(&["check", "--all", "--format", "sarif"]);
    run.code(1).stderr_has("environments/eks.toml");
    let results = sarif_results(&run);
    let invalid = results.iter().find(|r| r["ruleId"] == "invalid-values").expect("an invalid-values result");
    let location = &invalid["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "environments/eks.toml");
    assert_eq!(location["region"]["startLine"], line);
}

#[test]
fn a_failing_template_is_in_the_json_and_other_environments_still_report() {
    let project = TestProject::fixture("checks");
    project.write(
        "charts/db/templates/5-case/broken.yaml.j2",
        "kind: ConfigMap\nx: {{ values.nope.deeper if env.name == \"prod\" else 1 }}\n",
    );
    let run = project.run(&["check", "--all", "--format", "json"]);
    run.code(1);
    let entries = json(&run);
    let template = entries.iter().find(|e| e["rule"] == "template-error").expect("a template-error entry");
    assert_eq!(template["file"], "charts/db/templates/5-case/broken.yaml.j2");
    assert_eq!(template["line"], 2);
    assert_eq!(template["environment"], "prod");
    // dev renders: its unrendered output is reported beside prod's failure.
    assert!(entries.iter().any(|e| e["rule"] == "stale-output" && e["environment"] == "dev"), "{entries:?}");
}

#[test]
fn a_project_error_still_leaves_a_valid_document() {
    let project = TestProject::default_project();
    let run = project.run(&["check", "--env", "nope", "--format", "sarif"]);
    run.code(2).stderr_has("unknown environment `nope`");
    let results = sarif_results(&run);
    assert_eq!(results[0]["ruleId"], "project-error");
    let run = project.run(&["check", "--all", "--format", "json"]);
    run.code(0);
    assert_eq!(json(&run), Vec::<Value>::new());
}
