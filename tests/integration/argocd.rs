//! The Argo CD plugin's generate command, run as the CMP server runs it: in
//! the application folder, with `ARGOCD_*` variables and parameters set, no
//! TTY, stdin closed, and pgrender on PATH.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize as _;
use serde_yaml::Value;

use crate::harness::{TestProject, repo_root};

struct Generated {
    code: i32,
    stdout: String,
    stderr: String,
}

fn plugin() -> Value {
    let text = std::fs::read_to_string(repo_root().join("integrations/argocd/plugin.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// The folder holding the built binary, so a bare `pgrender` resolves to it.
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_pgrender")).parent().unwrap().to_path_buf()
}

fn generate(app_dir: &Path, vars: &[(&str, &str)]) -> Generated {
    let spec = &plugin()["spec"]["generate"];
    let command: Vec<&str> = spec["command"].as_sequence().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let args: Vec<&str> =
        spec["args"].as_sequence().map(|a| a.iter().map(|v| v.as_str().unwrap()).collect()).unwrap_or_default();
    let path = format!("{}:/usr/bin:/bin", bin_dir().display());
    let output = Command::new(command[0])
        .args(&command[1..])
        .args(&args)
        .current_dir(app_dir)
        .env_clear()
        .env("PATH", path)
        .env("ARGOCD_APP_NAME", "postgres-eks")
        .env("ARGOCD_APP_NAMESPACE", "argocd")
        .env("ARGOCD_APP_REVISION", "0123456789abcdef")
        .env("ARGOCD_APP_SOURCE_PATH", ".")
        .env("KUBE_VERSION", "1.31.0")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run the generate command");
    Generated {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Kinds of the stream's objects, in order; panics unless each document is a Kubernetes object.
fn kinds(stream: &str) -> Vec<String> {
    serde_yaml::Deserializer::from_str(stream)
        .map(|doc| {
            let value = Value::deserialize(doc).expect("valid YAML");
            assert!(
                value["apiVersion"].is_string() && value["metadata"]["name"].is_string(),
                "not an object: {value:?}"
            );
            value["kind"].as_str().expect("kind").to_string()
        })
        .collect()
}

#[test]
fn plugin_discovers_projects_by_their_project_file() {
    let plugin = plugin();
    assert_eq!(plugin["apiVersion"].as_str(), Some("argoproj.io/v1alpha1"));
    assert_eq!(plugin["kind"].as_str(), Some("ConfigManagementPlugin"));
    let file = plugin["spec"]["discover"]["fileName"].as_str().unwrap();
    assert!(repo_root().join(file).is_file(), "{file}");
}

#[test]
fn generate_prints_the_environment_stream_from_the_plugin_env() {
    let project = TestProject::default_project();
    let committed = project.tree("k8s-manifests");
    let out = generate(project.path(), &[("ARGOCD_ENV_PGRENDER_ENV", "eks")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let expected = project.run(&["--env", "eks", "--stdout"]);
    expected.code(0);
    assert_eq!(out.stdout, expected.stdout);
    let kinds = kinds(&out.stdout);
    assert_eq!(kinds.first().map(String::as_str), Some("Namespace"), "namespaces are applied first: {kinds:?}");
    let position = |kind: &str| kinds.iter().position(|k| k == kind).unwrap_or_else(|| panic!("{kind} in {kinds:?}"));
    assert!(position("Service") < position("StatefulSet"), "apply order: {kinds:?}");
    assert!(out.stdout.contains("storageClassName: gp3"));
    assert_eq!(project.tree("k8s-manifests"), committed, "generate must not write files");
}

#[test]
fn generate_takes_the_environment_from_a_plugin_parameter() {
    let project = TestProject::default_project();
    let out = generate(
        project.path(),
        &[("ARGOCD_APP_PARAMETERS", r#"[{"name":"env","string":"gke"}]"#), ("PARAM_ENV", "gke")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("storageClassName: standard-rwo"), "{}", out.stdout);
}

#[test]
fn broken_values_exit_non_zero_with_nothing_on_stdout() {
    let project = TestProject::default_project();
    let broken = project.read("environments/eks.toml").replace("className = \"gp3\"", "className = 3");
    let line = broken.lines().position(|l| l == "className = 3").expect("className line") + 1;
    project.write("environments/eks.toml", &broken);
    let out = generate(project.path(), &[("ARGOCD_ENV_PGRENDER_ENV", "eks")]);
    assert_ne!(out.code, 0);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains(&format!("environments/eks.toml:{line}:13")), "{}", out.stderr);
}

#[test]
fn missing_or_unknown_environment_fails_with_nothing_on_stdout() {
    let project = TestProject::default_project();
    for vars in [&[][..], &[("ARGOCD_ENV_PGRENDER_ENV", "prod")][..], &[("ARGOCD_ENV_PGRENDER_ENV", "--all")][..]] {
        let out = generate(project.path(), vars);
        assert_ne!(out.code, 0, "{vars:?}");
        assert_eq!(out.stdout, "", "{vars:?}");
        assert!(!out.stderr.is_empty(), "{vars:?}");
    }
}

#[test]
fn an_environment_that_renders_no_objects_is_refused() {
    let project = TestProject::default_project();
    for template in project.tree("charts/postgres/templates").into_keys().filter(|t| !t.starts_with('_')) {
        project.write(&format!("charts/postgres/templates/{template}"), "{# nothing for this environment #}\n");
    }
    let out = generate(project.path(), &[("ARGOCD_ENV_PGRENDER_ENV", "eks")]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("rendered no objects"), "{}", out.stderr);
}

#[test]
fn application_set_fans_every_environment_out_through_the_plugin() {
    let text = std::fs::read_to_string(repo_root().join("integrations/argocd/applicationset.yaml")).unwrap();
    let set: Value = serde_yaml::from_str(&text).unwrap();
    let elements = set["spec"]["generators"][0]["list"]["elements"].as_sequence().unwrap();
    let envs: Vec<&str> = elements.iter().map(|e| e["env"].as_str().unwrap()).collect();
    let project = TestProject::default_project();
    let run = project.run(&["--all"]);
    run.code(0);
    let mut known: Vec<String> = std::fs::read_dir(project.path().join("environments"))
        .unwrap()
        .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    known.sort();
    let mut sorted = envs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, known);
    let plugin = &set["spec"]["template"]["spec"]["source"]["plugin"];
    let meta = plugin_name();
    assert_eq!(plugin["name"].as_str(), Some(meta.as_str()));
    assert_eq!(plugin["env"][0]["name"].as_str(), Some("PGRENDER_ENV"));
}

/// `<metadata.name>-<spec.version>`, the name Argo CD gives a versioned plugin.
fn plugin_name() -> String {
    let plugin = plugin();
    format!("{}-{}", plugin["metadata"]["name"].as_str().unwrap(), plugin["spec"]["version"].as_str().unwrap())
}

#[test]
fn sidecar_patch_mounts_the_plugin_config_where_argo_cd_reads_it() {
    let text = std::fs::read_to_string(repo_root().join("integrations/argocd/repo-server-patch.yaml")).unwrap();
    let patch: Value = serde_yaml::from_str(&text).unwrap();
    let container = &patch["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["command"][0].as_str(), Some("/var/run/argocd/argocd-cmp-server"));
    assert_eq!(container["securityContext"]["runAsUser"].as_i64(), Some(999));
    let mounts: Vec<&str> =
        container["volumeMounts"].as_sequence().unwrap().iter().map(|m| m["mountPath"].as_str().unwrap()).collect();
    assert!(mounts.contains(&"/home/argocd/cmp-server/config/plugin.yaml"), "{mounts:?}");
    assert!(mounts.contains(&"/home/argocd/cmp-server/plugins"), "{mounts:?}");
}

#[test]
fn a_repository_that_links_out_of_the_project_is_refused_with_nothing_on_stdout() {
    let project = TestProject::default_project();
    let outside = TestProject::empty();
    // A valid object of the chart: without confinement, the secret would be rendered into the stream.
    outside.write(
        "stolen.yaml.j2",
        &format!(
            "{{% import \"_helpers.j2\" as helpers %}}\napiVersion: v1\nkind: ConfigMap\n\
             {{{{ helpers.metadata(values, \"stolen\") | trim }}}}\ndata:\n  token: {}\n",
            crate::harness::SECRET
        ),
    );
    let template = project.path().join("charts/postgres/templates/3-security/stolen.yaml.j2");
    std::os::unix::fs::symlink(outside.path().join("stolen.yaml.j2"), &template).unwrap();
    let out = generate(project.path(), &[("ARGOCD_ENV_PGRENDER_ENV", "eks")]);
    assert_ne!(out.code, 0);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("stolen.yaml.j2 leads outside the project"), "{}", out.stderr);
    assert!(!out.stderr.contains(crate::harness::SECRET), "{}", out.stderr);
}
