//! `init`, `docs`, `schema`, `completions` and `man`.

use crate::harness::{TestProject, repo_root};

#[test]
fn init_writes_a_project_that_renders_like_the_repository() {
    let project = TestProject::empty();
    project.run(&["init", "starter"]).code(0).stderr_has("created");
    let starter = project.path().join("starter");
    let run = project.run(&["--project", starter.to_str().unwrap(), "--all"]);
    run.code(0);

    let reference = TestProject::default_project();
    reference.run(&["--all"]).code(0);
    let rendered = project.tree("starter/k8s-manifests");
    assert!(rendered.keys().any(|p| p.starts_with("eks/")), "{:?}", rendered.keys());
    assert_eq!(rendered, reference.tree("k8s-manifests"));
}

#[test]
fn init_embeds_the_repository_files_byte_for_byte() {
    let project = TestProject::empty();
    project.run(&["init"]).code(0);
    for rel in ["pgrender.toml", ".taplo.toml", "schema/postgres.schema.json", "environments/eks.toml"] {
        assert_eq!(project.read(rel), std::fs::read_to_string(repo_root().join(rel)).unwrap(), "{rel}");
    }
    let ours = project.tree("charts");
    let repo = TestProject::default_project().tree("charts");
    assert_eq!(ours, repo);
}

#[test]
fn init_refuses_to_overwrite_anything_without_force() {
    let project = TestProject::empty();
    project.write("environments/eks.toml", "# mine\n");
    let run = project.run(&["init"]);
    run.code(1).stderr_has("environments/eks.toml").stderr_has("--force");
    assert!(!project.path().join("pgrender.toml").exists(), "nothing may be written");
    assert_eq!(project.read("environments/eks.toml"), "# mine\n");

    project.run(&["init", "--force"]).code(0);
    assert_ne!(project.read("environments/eks.toml"), "# mine\n");
}

#[test]
fn committed_chart_readme_is_fresh() {
    let project = TestProject::default_project();
    project.run(&["docs", "--check"]).code(0);
    let readme = project.read("charts/postgres/README.md");
    let printed = project.run(&["docs", "--chart", "postgres"]);
    printed.code(0);
    assert!(readme.contains(&printed.stdout), "README lacks the generated table");
}

#[test]
fn docs_check_detects_a_stale_readme_and_write_fixes_it() {
    let project = TestProject::default_project();
    let schema = project.read("schema/postgres.schema.json");
    project.write(
        "schema/postgres.schema.json",
        &schema.replace("Container image repository.", "Registry and name of the image."),
    );
    project
        .run(&["docs", "--check"])
        .code(1)
        .stderr_has("charts/postgres/README.md is out of date")
        .stderr_has("pgrender docs --write --chart postgres");
    project.run(&["docs", "--write"]).code(0).stderr_has("wrote");
    project.run(&["docs", "--check"]).code(0);
    let readme = project.read("charts/postgres/README.md");
    let row = readme.lines().find(|l| l.starts_with("| `image.repository` |")).expect("image.repository row");
    assert!(row.ends_with("| Registry and name of the image. |"), "{row}");
}

#[test]
fn docs_write_keeps_hand_written_text_and_adds_missing_markers() {
    let project = TestProject::default_project();
    project.write("charts/postgres/README.md", "# Postgres\n\nHand-written intro.\n");
    project.run(&["docs", "--write"]).code(0);
    let readme = project.read("charts/postgres/README.md");
    assert!(
        readme.starts_with("# Postgres\n\nHand-written intro.\n\n## Values\n\n<!-- values:begin -->\n"),
        "{readme}"
    );
    assert!(readme.ends_with("<!-- values:end -->\n"), "{readme}");
}

#[test]
fn docs_unknown_chart_is_a_usage_error() {
    TestProject::default_project()
        .run(&["docs", "--chart", "postgress"])
        .code(2)
        .stderr_has("did you mean `postgres`?");
}

#[test]
fn committed_environment_file_schema_is_fresh() {
    let project = TestProject::default_project();
    project.run(&["schema", "--check"]).code(0);
    let printed = project.run(&["schema"]);
    printed.code(0);
    assert_eq!(printed.stdout, project.read("schema/environment-file.schema.json"));
}

#[test]
fn environment_file_schema_accepts_every_environment_and_rejects_mistakes() {
    let project = TestProject::default_project();
    let schema: serde_json::Value = serde_json::from_str(&project.read("schema/environment-file.schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("valid schema");
    for env in ["local", "eks", "gke", "aks"] {
        let doc: serde_json::Value = toml::from_str(&project.read(&format!("environments/{env}.toml"))).unwrap();
        assert!(
            validator.is_valid(&doc),
            "{env}: {:?}",
            validator.iter_errors(&doc).map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }
    for bad in [
        "[environment]\nprovider = \"openshift\"\nkubernetes = \"1.31\"\n",
        "[environment]\nprovider = \"eks\"\nkubernetes = \"1.31\"\n[postgres]\nreplicsa = 1\n",
        "[environment]\nprovider = \"eks\"\nkubernetes = \"1.31\"\n[postgres.service]\nport = 0\n",
        "[environment]\nprovider = \"eks\"\nkubernetes = \"1.31\"\n[postgres.storage]\nsize = \"lots\"\n",
    ] {
        let doc: serde_json::Value = toml::from_str(bad).unwrap();
        assert!(!validator.is_valid(&doc), "accepted:\n{bad}");
    }
}

#[test]
fn taplo_config_points_environment_files_at_the_committed_schema() {
    let config: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo_root().join(".taplo.toml")).unwrap()).unwrap();
    let rule = &config["rule"].as_array().unwrap()[0];
    assert_eq!(rule["include"].as_array().unwrap()[0].as_str(), Some("environments/*.toml"));
    let path = rule["schema"]["path"].as_str().unwrap();
    assert!(repo_root().join(path).is_file(), "{path}");
}

#[test]
fn a_schema_directive_line_is_accepted() {
    let project = TestProject::default_project();
    let eks = project.read("environments/eks.toml");
    project.write("environments/eks.toml", &format!("#:schema ../schema/environment-file.schema.json\n{eks}"));
    project.run(&["--env", "eks"]).code(0);
    let reference = TestProject::default_project();
    reference.run(&["--env", "eks"]).code(0);
    assert_eq!(project.tree("k8s-manifests"), reference.tree("k8s-manifests"));
}

#[test]
fn completions_cover_every_shell_and_subcommand() {
    let project = TestProject::empty();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = project.run(&["completions", shell]);
        run.code(0);
        assert!(run.stdout.contains("COMPLETE") && run.stdout.contains("pgrender"), "{shell}:\n{}", run.stdout);
    }
    project.run(&["completions", "tcsh"]).code(2);
    // What the scripts ask pgrender on Tab: subcommands and flags come from the CLI itself.
    let words = complete(&project, "fish", &["pgrender", ""]);
    for word in ["init", "docs", "values", "check"] {
        assert!(words.iter().any(|w| w.starts_with(word)), "{words:?}");
    }
    let words = complete(&project, "fish", &["pgrender", "render", "--man"]);
    assert!(words.iter().any(|w| w.starts_with("--manifest")), "{words:?}");
}

/// The candidates pgrender answers to `COMPLETE=<shell>` for the command line `words` (last: the word under the cursor).
/// What the shell's completion asks pgrender for `words` (the last one being typed).
pub(crate) fn complete(project: &TestProject, shell: &str, words: &[&str]) -> Vec<String> {
    let index = (words.len() - 1).to_string();
    let vars = [("COMPLETE", shell), ("_CLAP_COMPLETE_INDEX", index.as_str()), ("_CLAP_IFS", "\n")];
    let run = project.run_with_env(&[&["--"][..], words].concat(), &vars);
    run.code(0);
    run.stdout.lines().map(|l| l.split('\t').next().unwrap_or_default().to_string()).collect()
}

#[test]
fn env_completes_the_project_environment_names() {
    let project = TestProject::default_project();
    let envs = ["aks", "eks", "gke", "local"];
    for shell in ["fish", "zsh"] {
        assert_eq!(complete(&project, shell, &["pgrender", "--env", ""]), envs, "{shell}");
        assert_eq!(complete(&project, shell, &["pgrender", "values", "--env", "g"]), ["gke"], "{shell}");
        assert_eq!(complete(&project, shell, &["pgrender", "diff", "--env", "eks", "--against", "l"]), ["local"]);
    }
    // The real bash script, sourced into bash, completing with pgrender from PATH.
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_pgrender")).parent().unwrap().to_str().unwrap().to_string();
    let script = project.run(&["completions", "bash"]).stdout;
    project.write("pgrender.bash", &script);
    let bash = r#"source ./pgrender.bash
COMP_WORDS=(pgrender watch --env ""); COMP_CWORD=3; COMP_TYPE=9
_clap_complete_pgrender pgrender "" --env
printf '%s\n' "${COMPREPLY[@]}""#;
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    let output = std::process::Command::new("bash")
        .args(["-c", bash])
        .current_dir(project.path())
        .env("PATH", path)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().collect::<Vec<_>>(), envs, "stderr: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn man_prints_a_page_and_writes_one_per_command() {
    let project = TestProject::empty();
    let run = project.run(&["man"]);
    run.code(0);
    assert!(run.stdout.starts_with(".ie \\n(.g .ds Aq") || run.stdout.contains(".TH pgrender 1"), "{}", run.stdout);
    assert!(run.stdout.contains("pgrender\\-init"));
    project.run(&["man", "--out", "man1"]).code(0);
    for page in ["pgrender.1", "pgrender-render.1", "pgrender-init.1", "pgrender-docs.1"] {
        assert!(project.read(&format!("man1/{page}")).contains(".TH"), "{page}");
    }
}
