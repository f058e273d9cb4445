//! Nothing written where it does not belong: symlinks in the output are
//! never written through, and `--out` refuses `/`, the home folder, the
//! project and folders pgrender did not create, unless `--force`.

use std::os::unix::fs::symlink;
use std::process::Command;

use crate::harness::TestProject;

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
