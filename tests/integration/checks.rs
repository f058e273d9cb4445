//! Output checks: one case per rule (`tests/fixtures/check-cases/`, each
//! naming its rule and marking the offending line with `# <-`, run through
//! `insta::glob!` into a snapshot per case), schema errors, drift, diff and
//! the machine-readable formats.

use std::path::Path;

use crate::harness::{Failures, Run, TestProject, replication_overlay, repo_root, transcript};

const CASES: &str = "tests/fixtures/check-cases";

/// A check case: a template that `# expect: RULE` on its first line says
/// which rule it breaks, and `# <-` marks the line it breaks it on.
struct CheckCase {
    text: String,
    rule: String,
    /// Where the finding must point: `out/prod/5-case/case.yaml:LINE:`.
    place: String,
}

impl CheckCase {
    /// Reads the case at `path`.
    fn read(path: &Path) -> CheckCase {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rule = text.lines().next().and_then(|l| l.strip_prefix("# expect: ")).expect("case names its rule");
        // The rendered file starts with the `# Source:` line, so template line N is output line N + 1.
        let marked = text.lines().position(|l| l.ends_with("# <-")).expect("case marks its line") + 2;
        CheckCase { rule: rule.to_string(), place: format!("out/prod/5-case/case.yaml:{marked}:"), text }
    }

    /// Reads the case named `name` in [`CASES`].
    fn named(name: &str) -> CheckCase {
        CheckCase::read(&repo_root().join(CASES).join(name))
    }

    /// The `checks` fixture with the case added as a template.
    fn project(&self) -> TestProject {
        let project = TestProject::fixture("checks");
        project.write("charts/db/templates/5-case/case.yaml.j2", &self.text);
        project
    }

    /// Renders the case's project for prod with `extra` arguments; returns
    /// the command line and the run, and whether the run left an `out/` folder.
    fn run(&self, extra: &[&str]) -> (String, Run, bool) {
        let project = self.project();
        let mut args = vec!["--env", "prod"];
        args.extend_from_slice(extra);
        let run = project.run(&args);
        (args.join(" "), run, project.path().join("out").exists())
    }
}

/// Renders the case named `name` (see [`CheckCase::run`]).
fn run_case(name: &str, extra: &[&str]) -> Run {
    CheckCase::named(name).run(extra).1
}

#[test]
fn the_fixture_passes_every_check_strictly() {
    let project = TestProject::fixture("checks");
    let run = project.run(&["--all", "--strict"]);
    run.code(0);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

/// An `err_` case fails the render at its line, naming its rule and the
/// template, and writes nothing; a `warn_` case renders, with a warning at
/// its line, unless `--strict`.
#[test]
fn every_check_case_reports_its_rule_at_its_line() {
    let mut failures = Failures::default();
    let (mut errors, mut warnings) = (0, 0);
    insta::glob!("../fixtures", "check-cases/*.yaml", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let case = CheckCase::read(path);
        let mut runs = Vec::new();
        if name.starts_with("err_") {
            errors += 1;
            let (command, run, wrote) = case.run(&[]);
            let error = format!("error[{}]", case.rule);
            let template = "rendered from charts/db/templates/5-case/case.yaml.j2";
            let mut problems = run.problems(1, &[&error, &case.place, "nothing was written", template]);
            if wrote {
                problems.push("a failed render wrote files".to_string());
            }
            failures.record(&name, &problems, &run);
            runs.push((command, run));
        } else if name.starts_with("warn_") {
            warnings += 1;
            let warning = format!("warning[{}]", case.rule);
            let (command, run, _) = case.run(&[]);
            failures.record(&name, &run.problems(0, &[&warning, &case.place]), &run);
            runs.push((command, run));
            let (command, run, _) = case.run(&["--strict"]);
            failures.record(&format!("{name} --strict"), &run.problems(1, &[&warning, "(--strict)"]), &run);
            runs.push((command, run));
        } else {
            panic!("{name}: a check case is named err_* or warn_*");
        }
        let seen = transcript(&runs);
        insta::with_settings!({ description => format!("{} at the line marked `# <-`", case.rule), omit_expression => true }, {
            insta::assert_snapshot!(seen);
        });
    });
    failures.assert_none();
    assert!(errors >= 14, "only {errors} error cases");
    assert!(warnings >= 5, "only {warnings} warning cases");
}

#[test]
fn errors_name_object_field_and_template_line() {
    let run = run_case("err_K8S001_unknown_field.yaml", &[]);
    run.code(1)
        .stderr_has("error[K8S001]: unknown field `spec.storageClasName`")
        .stderr_has("PersistentVolumeClaim db/extra: spec.storageClasName")
        .stderr_has("rendered from charts/db/templates/5-case/case.yaml.j2:9")
        .stderr_has("help: did you mean `storageClassName`?");
}

#[test]
fn scalars_are_typed_as_kubectl_reads_yaml() {
    // Issue #18: YAML 1.1 reads a plain `yes` as a boolean, `1_000` as a number.
    let run = run_case("err_YML001_yaml11_boolean_label.yaml", &[]);
    run.code(1)
        .stderr_has("error[YML001]: `metadata.labels.team` is the string `yes` to YAML 1.2 but a boolean to kubectl")
        .stderr_has("help: quote it: \"yes\"");
    let run = run_case("err_YML001_yaml11_number_env.yaml", &[]);
    run.code(1).stderr_has("`spec.containers[0].env[0].value` is the string `1_000` to YAML 1.2 but an integer");
    let run = run_case("warn_YML002_yaml11_boolean.yaml", &[]);
    run.code(0)
        .stderr_has("warning[YML002]: `spec.automountServiceAccountToken: no` is a boolean only to YAML 1.1 readers")
        .stderr_has("help: write `false`");
}

#[test]
fn postgres_replicas_need_replication() {
    let project = TestProject::fixture("checks");
    project
        .run(&["--env", "prod", "--set", "db.replicas=3"])
        .code(1)
        .stderr_has("error[PG005]")
        .stderr_has("out/prod/4-database/statefulset.yaml:9:13");
}

#[test]
fn plain_passwords_are_warnings_on_k3d() {
    let project = CheckCase::named("err_PG003_plain_password.yaml").project();
    project.run(&["--env", "dev"]).code(0).stderr_has("warning[PG003]");
}

#[test]
fn a_rule_is_disabled_per_environment_with_a_reason() {
    let project = CheckCase::named("err_XOB003_namespace.yaml").project();
    project.write("environments/prod.toml", "[environment]\nprovider = \"eks\"\nkubernetes = \"1.31\"\n\n[environment.rules]\nXOB003 = \"monitoring is created by the platform team\"\n");
    project.run(&["--env", "prod"]).code(0);
    project.write(
        "environments/prod.toml",
        "[environment]\nprovider = \"eks\"\nkubernetes = \"1.31\"\nexistingNamespaces = [\"monitoring\"]\n",
    );
    project.run(&["--env", "prod"]).code(0);
    project.write(
        "environments/prod.toml",
        "[environment]\nprovider = \"eks\"\nkubernetes = \"1.31\"\n\n[environment.rules]\nXOB003 = \"\"\n",
    );
    project.run(&["--env", "prod"]).code(1).stderr_has("environments/prod.toml:6:10");
    project.write(
        "environments/prod.toml",
        "[environment]\nprovider = \"eks\"\nkubernetes = \"1.31\"\n\n[environment.rules]\nXOB033 = \"typo\"\n",
    );
    project.run(&["--env", "prod"]).code(1).stderr_has("XOB003");
}

#[test]
fn storage_classes_can_be_overridden_per_environment() {
    let project = TestProject::fixture("checks");
    project.run(&["--env", "prod", "--set", "db.storageClass=fast-nvme"]).code(1).stderr_has("error[PG004]");
    project.write(
        "environments/prod.toml",
        "[environment]\nprovider = \"eks\"\nkubernetes = \"1.31\"\nstorageClasses = [\"fast-nvme\"]\n",
    );
    project.run(&["--env", "prod", "--set", "db.storageClass=fast-nvme"]).code(0);
}

#[test]
fn check_passes_on_a_fresh_tree_and_reports_drift() {
    let project = TestProject::fixture("checks");
    let run = project.run(&["check", "--all"]);
    run.code(1).stderr_has("missing out: nothing rendered yet for dev, prod (run `pgrender --all`)\n");
    assert_eq!(run.stdout, "", "a never-rendered tree is one line, not a diff");
    project.run(&["--all"]).code(0);
    project.run(&["check", "--all"]).code(0).stderr_has("checked prod");
    project.write("charts/db/values.toml", "replicas = 1\nstorageClass = \"gp2\"\n");
    let run = project.run(&["check", "--env", "prod"]);
    run.code(1).stderr_has("drift out/prod is stale: 1 changed");
    assert!(
        run.stdout.contains("--- a/prod/4-database/statefulset.yaml\n+++ b/prod/4-database/statefulset.yaml\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("-      storageClassName: gp3\n+      storageClassName: gp2\n"), "{}", run.stdout);
}

#[test]
fn check_fails_on_findings_even_without_drift() {
    let project = TestProject::fixture("checks");
    project.run(&["--all"]).code(0);
    project.run(&["check", "--env", "prod", "--set", "db.replicas=2"]).code(1).stderr_has("error[PG005]");
}

#[test]
fn diff_against_disk_and_against_another_environment() {
    let project = TestProject::fixture("checks");
    let run = project.run(&["diff", "--env", "prod", "--against", "dev"]);
    run.code(0).stderr_has("dev → prod: 1 changed");
    assert!(
        run.stdout.contains("--- a/dev/4-database/statefulset.yaml\n+++ b/prod/4-database/statefulset.yaml\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("-      storageClassName: local-path\n+      storageClassName: gp3\n"),
        "{}",
        run.stdout
    );
    project.run(&["--env", "prod"]).code(0);
    project.run(&["diff", "--env", "prod"]).code(0).stderr_has("no differences");
    let run = project.run(&["diff", "--env", "prod", "--set", "db.replicas=1", "--set", "db.storageClass=gp2"]);
    run.code(0).stderr_has("1 changed");
    assert!(run.stdout.contains("+      storageClassName: gp2"), "{}", run.stdout);
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let project = CheckCase::named("err_PG002_pgdata_root.yaml").project();
    let run = project.run(&["check", "--env", "prod", "--format", "sarif"]);
    run.code(1);
    let log: serde_sarif::sarif::Sarif = serde_json::from_str(&run.stdout).expect("SARIF deserialises");
    let value = serde_json::to_value(&log).unwrap();
    assert_eq!(value["version"], "2.1.0");
    let results = value["runs"][0]["results"].as_array().unwrap();
    let pg002 = results.iter().find(|r| r["ruleId"] == "PG002").expect("PG002 result");
    assert_eq!(pg002["level"], "error");
    let location = &pg002["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "out/prod/5-case/case.yaml");
    assert_eq!(location["region"]["startLine"], 14);
    let rules = value["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "PG002"));
}

#[test]
fn json_output_and_github_annotations() {
    let project = CheckCase::named("err_PG002_pgdata_root.yaml").project();
    let run = project.run(&["check", "--env", "prod", "--format", "json"]);
    let findings: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let first = &findings[0];
    assert_eq!(first["rule"], "PG002");
    assert_eq!(first["object"], "Pod db/pg");
    assert_eq!(first["line"], 14);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pgrender"))
        .args(["--env", "prod"])
        .current_dir(project.path())
        .env("GITHUB_ACTIONS", "true")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("::error file=out/prod/5-case/case.yaml,line=14,col=14,title=PG002 PGDATA is the volume root::Pod db/pg: PGDATA `/data/` is the root of a mounted volume [prod]"),
        "{stdout}"
    );
}

#[test]
fn rules_lists_every_rule() {
    let run = TestProject::empty().run(&["rules"]);
    run.code(0);
    for id in ["K8S001", "K8S005", "PG001", "PG009", "XOB001", "XOB005"] {
        assert!(run.stdout.contains(id), "{id}: {}", run.stdout);
    }
}

#[test]
fn every_supported_kubernetes_version_validates() {
    let project = TestProject::fixture("checks");
    let on = |version: &str| {
        project.write(
            "environments/prod.toml",
            &format!("[environment]\nprovider = \"eks\"\nkubernetes = \"{version}\"\n"),
        );
    };
    // A version without API schemas makes the binary list the ones it has.
    on("1.99");
    let unvalidated = project.run(&["--env", "prod", "--set", "db.replicas=1"]);
    unvalidated.code(0).stderr_has("K8S005");
    let (_, listed) = unvalidated.stderr.split_once("(it has ").expect("the warning lists the supported versions");
    let versions: Vec<&str> = listed.split_once(')').expect("the list is closed").0.split(", ").collect();
    assert!(versions.len() >= 3 && versions.contains(&"1.31"), "supported versions: {versions:?}");
    // --strict fails on any warning, the "not validated" one included.
    project.run(&["--env", "prod", "--set", "db.replicas=1", "--strict"]).code(1).stderr_has("K8S005");
    for version in versions {
        on(version);
        let run = project.run(&["--env", "prod", "--set", "db.replicas=1", "--strict"]);
        assert_eq!(run.code, 0, "Kubernetes {version}:\n{}", run.stderr);
    }
}

#[test]
fn the_default_project_passes_its_checks() {
    let project = TestProject::default_project();
    project.run(&["--all"]).code(0);
    project.run(&["check", "--all"]).code(0);
}

#[test]
fn the_replicated_chart_passes_every_check_strictly() {
    // Several PostgreSQL pods, but streaming replication: no PG005, and no PG010/PG011.
    let project = TestProject::default_project();
    project.write_replication_overlays();
    for env in ["local", "eks", "gke", "aks"] {
        let overlay = replication_overlay(env);
        let run =
            project.run(&["--env", env, "-f", overlay, "--set", "postgres.replication.readReplicas=3", "--strict"]);
        run.code(0);
        assert!(!run.stderr.contains("warning"), "{env}: {}", run.stderr);
    }
}
