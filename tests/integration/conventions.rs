//! Conventions a Helm, git or cargo user expects: `diff --exit-code`,
//! results on stdout and status on stderr, one line for a tree never
//! rendered, errors that say how to proceed, and no crash when the reader
//! of the output goes away.

use crate::harness::TestProject;

#[test]
fn diff_exit_code_is_one_exactly_when_something_differs() {
    let project = TestProject::default_project();
    project.run(&["diff", "--env", "eks", "--exit-code"]).code(0);
    let changed = ["diff", "--env", "eks", "--set", "postgres.storage.size=60Gi"];
    project.run(&changed).code(0);
    let run = project.run(&[&changed[..], &["--exit-code"]].concat());
    run.code(1);
    assert!(run.stdout.contains("+          storage: 60Gi"), "{}", run.stdout);
    assert!(!run.stderr.contains("error"), "the diff is the report:\n{}", run.stderr);
    let against = project.run(&["diff", "--env", "eks", "--against", "gke", "--exit-code"]);
    against.code(1);
}

#[test]
fn results_go_to_stdout_and_status_to_stderr() {
    let project = TestProject::default_project();
    let run = project.run(&["--all"]);
    run.code(0).stderr_has("rendered eks → k8s-manifests/eks");
    assert_eq!(run.stdout, "");
    let run = project.run(&["--env", "eks", "--stdout"]);
    run.code(0);
    assert!(run.stdout.starts_with("---\n# Source: "), "{}", run.stdout);
    assert_eq!(run.stderr, "");
    let run = project.run(&["diff", "--env", "eks", "--set", "postgres.storage.size=60Gi"]);
    assert!(run.stdout.starts_with("--- a/eks/"), "{}", run.stdout);
    run.stderr_has("diff k8s-manifests/eks → rendered: 1 changed");
}

#[test]
fn check_on_a_fresh_init_says_in_one_line_that_nothing_is_rendered() {
    let dir = TestProject::empty();
    dir.run(&["init", "db"]).code(0);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pgrender"))
        .args(["check", "--all"])
        .current_dir(dir.path().join("db"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "   missing k8s-manifests: nothing rendered yet for aks, eks, gke, local (run `pgrender --all`)\n\
         error: nothing is rendered yet for aks, eks, gke, local"
    );
}

#[test]
fn a_foreign_file_error_says_how_to_proceed() {
    let project = TestProject::default_project();
    // A file pgrender rendered whose record line was lost, as `git checkout .` of the record does.
    let record = project.read("k8s-manifests/eks/.pgrender-manifest");
    let kept: String =
        record.split_inclusive('\n').filter(|l| !l.trim_end().ends_with("postgres-service.yaml")).collect();
    project.write("k8s-manifests/eks/.pgrender-manifest", &kept);
    let run = project.run(&["--env", "eks"]);
    run.code(1)
        .stderr_has("k8s-manifests/eks/4-database/postgres-service.yaml exists and was not written by pgrender")
        .stderr_has("note: k8s-manifests/eks/.pgrender-manifest lists the files pgrender wrote")
        .stderr_has("delete it (`rm k8s-manifests/eks/4-database/postgres-service.yaml`) and render again");
    std::fs::remove_file(project.path().join("k8s-manifests/eks/4-database/postgres-service.yaml")).unwrap();
    project.run(&["--env", "eks"]).code(0);
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    // `pgrender check --format sarif | true`: the pipe's reader is gone
    // before anything is written, as with `| head` on a long output.
    let project = TestProject::default_project();
    let commands: [&[&str]; 4] = [
        &["check", "--all", "--format", "sarif"],
        &["check", "--all", "--format", "json"],
        &["--env", "eks", "--stdout"],
        &["values", "--env", "eks", "--explain"],
    ];
    for args in commands {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pgrender"))
            .args(args)
            .current_dir(project.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
