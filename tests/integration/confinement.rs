//! Nothing read or written where it does not belong: symlinks in the
//! output are never written through, `--out` refuses `/`, the home folder,
//! the project and folders pgrender did not create, unless `--force`, and
//! what the project names stays inside it (links that stay inside work;
//! paths on the command line go anywhere). The corpus holds one case per
//! kind of escape; these tests cover the commands around rendering.

use std::os::unix::fs::symlink;
use std::process::Command;

use crate::harness::{Run, SECRET, TestProject, outside_with_secrets};

#[test]
fn a_symlinked_environment_folder_is_refused() {
    let project = TestProject::fixture("minimal");
    let elsewhere = TestProject::empty();
    std::fs::create_dir_all(project.path().join("out")).unwrap();
    symlink(elsewhere.path(), project.path().join("out/dev")).unwrap();
    project.run(&["--env", "dev"]).code(1).stderr_has("out/dev is a symbolic link");
    assert!(elsewhere.tree("").is_empty(), "nothing may be written through the link");
}

#[test]
fn a_symlinked_subfolder_is_refused() {
    let project = TestProject::fixture("minimal");
    project.run(&["--env", "dev"]).code(0);
    let elsewhere = TestProject::empty();
    std::fs::remove_dir_all(project.path().join("out/dev/3-config")).unwrap();
    symlink(elsewhere.path(), project.path().join("out/dev/3-config")).unwrap();
    project
        .run(&["--env", "dev", "--set", "app.message=changed"])
        .code(1)
        .stderr_has("out/dev/3-config is a symbolic link");
    assert!(elsewhere.tree("").is_empty(), "nothing may be written through the link");
}

#[test]
fn environment_files_that_would_name_odd_folders_are_not_environments() {
    let project = TestProject::fixture("minimal");
    project.write("environments/..toml", "[environment]\nprovider = \"k3d\"\n");
    project.write("environments/.hidden.toml", "[environment]\nprovider = \"k3d\"\n");
    project.run(&["--all"]).code(0);
    let envs: std::collections::BTreeSet<String> =
        project.tree("out").into_keys().map(|p| p.split('/').next().unwrap().to_string()).collect();
    assert_eq!(envs.into_iter().collect::<Vec<_>>(), ["dev", "prod"]);
    project.run(&["--env", "."]).code(2).stderr_has("unknown environment `.`");
}

#[test]
fn out_refuses_the_root_the_project_and_foreign_folders() {
    let project = TestProject::fixture("minimal");
    project.run(&["--env", "dev", "--out", "/"]).code(2).stderr_has("it is the file system root");
    project
        .run(&["--env", "dev", "--out", "."])
        .code(2)
        .stderr_has("refusing to write into .: it holds the project itself");
    project.run(&["--env", "dev", "--out", ".."]).code(2).stderr_has("it holds the project itself");
    project.write("docs/notes.md", "mine\n");
    project
        .run(&["--env", "dev", "--out", "docs"])
        .code(2)
        .stderr_has("it is not empty and pgrender did not create it");
    assert_eq!(project.tree("docs").len(), 1);
    project.run(&["--env", "dev", "--out", "docs", "--force"]).code(0);
    assert_eq!(project.read("docs/notes.md"), "mine\n");
    assert!(project.path().join("docs/dev/3-config/configmap.yaml").is_file());
    // Its own files keep the folder foreign: every later render needs --force too.
    project.run(&["--env", "dev", "--out", "docs"]).code(2);
    project.run(&["--env", "dev", "--out", "fresh"]).code(0);
    project.run(&["--env", "dev", "--out", "fresh"]).code(0);
}

#[test]
fn out_refuses_the_home_folder() {
    let project = TestProject::fixture("minimal");
    let home = TestProject::empty();
    home.write(".bashrc", "# mine\n");
    let output = Command::new(env!("CARGO_BIN_EXE_pgrender"))
        .args(["--env", "dev", "--out"])
        .arg(home.path())
        .current_dir(project.path())
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("it is your home folder"), "{stderr}");
    assert_eq!(home.tree("").len(), 1);
}

/// Asserts that nothing of the secret beside the project was printed.
#[track_caller]
fn no_secret(run: &Run) {
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET), "leaked:\n{}\n{}", run.stdout, run.stderr);
}

#[test]
fn links_that_stay_inside_the_project_keep_working() {
    let project = TestProject::fixture("minimal");
    let extra = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ name }}\n  namespace: demo-dev\n";
    project.write("shared/extra.yaml.j2", &extra.replace("{{ name }}", "linked-file"));
    project.write("shared/more/more.yaml.j2", &extra.replace("{{ name }}", "linked-folder"));
    project.write("shared/dev.toml", &project.read("environments/dev.toml").replace("hello from dev", "linked env"));
    std::fs::remove_file(project.path().join("environments/dev.toml")).unwrap();
    symlink("../shared/dev.toml", project.path().join("environments/dev.toml")).unwrap();
    symlink("../../../../shared/extra.yaml.j2", project.path().join("charts/app/templates/3-config/extra.yaml.j2"))
        .unwrap();
    symlink("../../../shared/more", project.path().join("charts/app/templates/4-more")).unwrap();
    std::fs::rename(project.path().join("schema"), project.path().join("vendored-schema")).unwrap();
    symlink("vendored-schema", project.path().join("schema")).unwrap();
    project.run(&["--env", "dev"]).code(0);
    assert!(project.read("out/dev/3-config/configmap.yaml").contains("message: linked env"));
    assert!(project.read("out/dev/3-config/extra.yaml").contains("name: linked-file"));
    assert!(project.read("out/dev/4-more/more.yaml").contains("name: linked-folder"));
    assert!(project.read("out/dev/3-config/extra.yaml").starts_with("# Source: charts/app/templates/3-config/extra"));
}

#[test]
fn paths_on_the_command_line_go_anywhere() {
    let project = TestProject::fixture("minimal");
    let elsewhere = TestProject::empty();
    elsewhere.write("extra.toml", "[app]\nmessage = \"from elsewhere\"\n");
    let values = elsewhere.path().join("extra.toml").display().to_string();
    let out = elsewhere.path().join("out").display().to_string();
    project.run(&["--env", "dev", "-f", &values, "--out", &out]).code(0);
    assert!(elsewhere.read("out/dev/3-config/configmap.yaml").contains("message: from elsewhere"));
    // -C through a link to the project: the user's choice, like any path they type.
    symlink(project.path(), elsewhere.path().join("project-link")).unwrap();
    elsewhere.run(&["--env", "dev", "-C", "project-link", "--stdout"]).code(0);
}

#[test]
fn check_and_diff_never_show_a_committed_manifest_that_links_out() {
    let project = TestProject::fixture("minimal");
    project.run(&["--env", "dev"]).code(0);
    let outside = outside_with_secrets();
    let manifest = project.path().join("out/dev/3-config/configmap.yaml");
    std::fs::remove_file(&manifest).unwrap();
    symlink(outside.path().join("secret.txt"), &manifest).unwrap();
    for args in [&["check", "--env", "dev"][..], &["diff", "--env", "dev"]] {
        let run = project.run(args);
        run.code(1).stderr_has("out/dev/3-config/configmap.yaml leads outside the output folder");
        no_secret(&run);
    }
    // A render replaces the link with the rendered file and leaves its target alone.
    let run = project.run(&["--env", "dev"]);
    run.code(0);
    no_secret(&run);
    assert!(!manifest.is_symlink());
    assert_eq!(outside.read("secret.txt"), format!("{SECRET}: token\n"));
}

#[test]
fn docs_write_refuses_a_readme_that_links_out() {
    let project = TestProject::fixture("minimal");
    let outside = outside_with_secrets();
    symlink(outside.path().join("secret.txt"), project.path().join("charts/app/README.md")).unwrap();
    for args in [&["docs", "--write"][..], &["docs", "--check"]] {
        let run = project.run(args);
        run.code(1).stderr_has("charts/app/README.md leads outside the project");
        no_secret(&run);
    }
    assert_eq!(outside.read("secret.txt"), format!("{SECRET}: token\n"));
}

#[test]
fn schema_write_refuses_a_schema_file_that_links_out() {
    let project = TestProject::fixture("minimal");
    let outside = outside_with_secrets();
    symlink(outside.path().join("secret.txt"), project.path().join("schema/environment-file.schema.json")).unwrap();
    let run = project.run(&["schema", "--write"]);
    run.code(1).stderr_has("schema/environment-file.schema.json leads outside the project");
    no_secret(&run);
    assert_eq!(outside.read("secret.txt"), format!("{SECRET}: token\n"));
}

#[test]
fn init_writes_nothing_through_a_link_out_of_the_folder() {
    let target = TestProject::empty();
    let outside = TestProject::empty();
    symlink(outside.path(), target.path().join("charts")).unwrap();
    for args in [&["init", "."][..], &["init", ".", "--force"]] {
        target.run(args).code(1).stderr_has("charts is a symbolic link to a place outside the project");
        assert!(outside.tree("").is_empty(), "written through the link");
        assert!(!target.path().join("pgrender.toml").exists(), "init must write all or nothing");
    }
}
