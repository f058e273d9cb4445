//! `--manifest`: the `SHA256SUMS` it writes belongs to pgrender, so later
//! renders accept the folder and keep the checksums current.

use crate::harness::TestProject;

/// Asserts every line of `out/SHA256SUMS` matches its file and every rendered file is listed.
#[track_caller]
pub fn assert_sums_current(project: &TestProject, out: &str) {
    let sums = project.read(&format!("{out}/SHA256SUMS"));
    let tree = project.tree(out);
    for line in sums.lines() {
        let (hash, path) = line.split_once("  ").expect("sha256sum format");
        let content = tree.get(path).unwrap_or_else(|| panic!("{path} listed but missing"));
        assert_eq!(hash, pgrender::files::hex_sha256(content.as_bytes()), "stale checksum for {path}");
    }
    let listed = sums.lines().count();
    let rendered = tree.keys().filter(|p| p.contains('/') && !p.contains("/.")).count();
    assert_eq!(listed, rendered, "SHA256SUMS:\n{sums}");
}

#[test]
fn a_render_after_manifest_accepts_the_folder_and_updates_the_sums() {
    let project = TestProject::default_project();
    project.run(&["--all", "--manifest"]).code(0);
    let eks = project.read("environments/eks.toml").replace("size = \"50Gi\"", "size = \"60Gi\"");
    project.write("environments/eks.toml", &eks);
    let run = project.run(&["--env", "eks"]);
    run.code(0).stderr_has("updated k8s-manifests/SHA256SUMS");
    assert!(project.read("k8s-manifests/eks/4-database/postgres-statefulset.yaml").contains("60Gi"));
    assert_sums_current(&project, "k8s-manifests");
    project.run(&["--all", "--manifest"]).code(0);
    assert_sums_current(&project, "k8s-manifests");
}

#[test]
fn a_sums_file_pgrender_did_not_write_still_makes_the_folder_foreign() {
    let project = TestProject::default_project();
    project.write("k8s-manifests/SHA256SUMS", "my release notes\n");
    project.run(&["--all"]).code(2).stderr_has("pgrender did not create it");
    assert_eq!(project.read("k8s-manifests/SHA256SUMS"), "my release notes\n");
}
