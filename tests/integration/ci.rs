//! CI artifacts: the GitHub workflow, the composite action, the pre-commit
//! hooks and the problem matcher name real commands that work; renders are
//! reproducible and `--manifest` checksums verify.

use std::process::Command;

use serde_yaml::Value;

use crate::harness::{Run, TestProject, repo_root};

fn yaml(rel: &str) -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(repo_root().join(rel)).unwrap())
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Runs one `pgrender …` command line (words split on spaces) in the project.
fn run_line(project: &TestProject, line: &str) -> Run {
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[0], "pgrender", "{line}");
    project.run(&words[1..])
}

#[test]
fn workflow_steps_name_commands_that_succeed_on_the_default_project() {
    let workflow = yaml(".github/workflows/manifests.yml");
    let steps = workflow["jobs"]["manifests"]["steps"].as_sequence().expect("steps");
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    for action in ["actions/checkout@", "Swatinem/rust-cache@", "actions/upload-artifact@"] {
        assert!(uses.iter().any(|u| u.starts_with(action)), "{action} missing: {uses:?}");
    }
    let upload = steps.iter().find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")));
    assert_eq!(upload.unwrap()["with"]["path"].as_str(), Some("k8s-manifests/"));

    let project = TestProject::default_project();
    let lines: Vec<&str> = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .flat_map(str::lines)
        .map(str::trim)
        .filter(|l| l.starts_with("pgrender "))
        .collect();
    assert!(
        lines.contains(&"pgrender check --all") && lines.contains(&"pgrender render --all --manifest"),
        "{lines:?}"
    );
    for line in lines {
        run_line(&project, line).code(0);
    }
    let matcher = steps.iter().filter_map(|s| s["run"].as_str()).find(|r| r.contains("::add-matcher::")).unwrap();
    let path = matcher.split("::add-matcher::").nth(1).unwrap().trim().trim_matches('"');
    assert!(repo_root().join(path).is_file(), "{path}");
    verify_sums(&project, "k8s-manifests");
}

#[test]
fn composite_action_runs_pgrender_with_its_args() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let default = action["inputs"]["args"]["default"].as_str().unwrap();
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    assert!(steps.iter().any(|s| s["run"].as_str() == Some("pgrender ${{ inputs.args }}")));
    assert!(
        steps
            .iter()
            .filter_map(|s| s["run"].as_str())
            .any(|r| r.contains("cargo install --path \"$GITHUB_ACTION_PATH\""))
    );
    run_line(&TestProject::default_project(), &format!("pgrender {default}")).code(0);
}

#[test]
fn pre_commit_hooks_run_and_pass_on_the_default_project() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_sequence().expect("a list of hooks");
    let ids: Vec<&str> = hooks.iter().filter_map(|h| h["id"].as_str()).collect();
    assert!(ids.contains(&"pgrender-check"), "{ids:?}");
    let project = TestProject::default_project();
    for hook in hooks {
        assert_eq!(hook["language"].as_str(), Some("rust"));
        assert_eq!(hook["pass_filenames"].as_bool(), Some(false));
        regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
        run_line(&project, hook["entry"].as_str().unwrap()).code(0);
    }
}

#[test]
fn docs_hook_fails_on_a_stale_readme() {
    let project = TestProject::default_project();
    project.write("charts/postgres/README.md", "# postgres\n\n<!-- values:begin -->\nold\n<!-- values:end -->\n");
    let hooks = yaml(".pre-commit-hooks.yaml");
    let entry =
        hooks.as_sequence().unwrap().iter().find(|h| h["id"].as_str() == Some("pgrender-docs")).unwrap()["entry"]
            .as_str()
            .unwrap()
            .to_string();
    run_line(&project, &entry).code(1);
}

#[test]
fn problem_matcher_turns_a_diagnostic_into_an_annotation() {
    let matcher: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join(".github/pgrender-problem-matcher.json")).unwrap(),
    )
    .unwrap();
    let pattern = matcher["problemMatcher"][0]["pattern"].as_array().unwrap();
    let first = regex::Regex::new(pattern[0]["regexp"].as_str().unwrap()).unwrap();
    let second = regex::Regex::new(pattern[1]["regexp"].as_str().unwrap()).unwrap();

    let project = TestProject::default_project();
    let broken = project.read("environments/eks.toml").replace("className = \"gp3\"", "className = 3");
    let line = broken.lines().position(|l| l == "className = 3").expect("className line") + 1;
    project.write("environments/eks.toml", &broken);
    let run = project.run(&["--env", "eks"]);
    run.code(1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    let found = lines.windows(2).find_map(|w| Some((first.captures(w[0])?, second.captures(w[1])?)));
    let (message, location) = found.unwrap_or_else(|| panic!("no annotation in:\n{}", run.stderr));
    assert_eq!(&message[1], "error");
    assert_eq!((&location[1], &location[2], &location[3]), ("environments/eks.toml", line.to_string().as_str(), "13"));
}

#[test]
fn renders_are_byte_identical_across_folders_locales_and_time_zones() {
    let a = TestProject::default_project();
    let b = TestProject::default_project();
    a.run_with_env(
        &["render", "--all", "--manifest"],
        &[("LANG", "C"), ("LC_ALL", "C"), ("TZ", "UTC"), ("HOME", "/nonexistent")],
    )
    .code(0);
    b.run_with_env(
        &["render", "--all", "--manifest"],
        &[
            ("LANG", "ko_KR.UTF-8"),
            ("LC_ALL", "tr_TR.UTF-8"),
            ("TZ", "Asia/Seoul"),
            ("HOME", b.path().to_str().unwrap()),
        ],
    )
    .code(0);
    let tree = a.tree("k8s-manifests");
    assert_eq!(tree, b.tree("k8s-manifests"));
    assert!(tree.keys().any(|p| p.starts_with("aks/")) && tree.keys().any(|p| p.starts_with("local/")));
    for (path, content) in &tree {
        assert!(!content.contains('\r'), "{path} has CR line endings");
        assert!(!content.contains(a.path().to_str().unwrap()), "{path} names the project folder");
    }
    verify_sums(&a, "k8s-manifests");
}

#[test]
fn manifest_conflicts_with_stdout() {
    TestProject::default_project().run(&["--env", "eks", "--stdout", "--manifest"]).code(2);
}

/// Every line of `SHA256SUMS` matches its file, and every rendered file is listed.
fn verify_sums(project: &TestProject, out: &str) {
    let sums = project.read(&format!("{out}/SHA256SUMS"));
    let tree = project.tree(out);
    let listed: Vec<&str> = sums.lines().map(|l| l.split_once("  ").expect("sha256sum format").1).collect();
    for line in sums.lines() {
        let (hash, path) = line.split_once("  ").unwrap();
        let content = tree.get(path).unwrap_or_else(|| panic!("{path} listed but missing"));
        assert_eq!(hash, pgrender::files::hex_sha256(content.as_bytes()), "{path}");
    }
    let rendered: Vec<&String> =
        tree.keys().filter(|p| p.contains('/') && !p.contains("/.") && p.as_str() != "SHA256SUMS").collect();
    assert_eq!(listed.len(), rendered.len(), "SHA256SUMS lists {listed:?}, tree has {rendered:?}");
    if Command::new("sha256sum").arg("--version").output().is_ok() {
        let status = Command::new("sha256sum")
            .args(["-c", "--quiet", "SHA256SUMS"])
            .current_dir(project.path().join(out))
            .status()
            .unwrap();
        assert!(status.success(), "sha256sum -c failed");
    }
}

#[test]
fn flux_example_renders_then_pushes_each_environment_folder() {
    let workflow = yaml("integrations/flux/publish.yml");
    let steps = workflow["jobs"]["publish"]["steps"].as_sequence().unwrap();
    let scripts: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let render = scripts.iter().flat_map(|s| s.lines()).map(str::trim).find(|l| l.starts_with("pgrender ")).unwrap();
    let project = TestProject::default_project();
    run_line(&project, render).code(0);
    assert!(scripts.iter().any(|s| s.contains("for dir in k8s-manifests/*/") && s.contains("flux push artifact")));
    verify_sums(&project, "k8s-manifests");

    let objects: Vec<Value> = serde_yaml::Deserializer::from_str(
        &std::fs::read_to_string(repo_root().join("integrations/flux/flux-objects.yaml")).unwrap(),
    )
    .map(|doc| serde::Deserialize::deserialize(doc).unwrap())
    .collect();
    assert_eq!(objects[1]["spec"]["sourceRef"]["name"], objects[0]["metadata"]["name"]);
}
