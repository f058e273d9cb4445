//! Every error a user can hit while rendering: the exit code, the
//! `file:line:col` it points at, the full diagnostic, and the previous
//! output left byte-for-byte unchanged.

use crate::harness::{Run, TestProject};

/// Renders `dev` and `prod` once, applies `breakage`, renders again and
/// checks the failure left the earlier output untouched.
fn fails_after_good_render(breakage: impl FnOnce(&TestProject), args: &[&str], code: i32, location: &str) -> Run {
    let project = TestProject::fixture("minimal");
    project.run(&["--all"]).code(0);
    let before = project.tree("out");
    breakage(&project);
    let run = project.run(args);
    run.code(code).stderr_has(location);
    assert_eq!(project.tree("out"), before, "a failed render must leave earlier output untouched");
    run
}

#[test]
fn malformed_toml_gives_the_parser_position() {
    let run = fails_after_good_render(
        |p| {
            p.write("environments/dev.toml", "[environment]\nprovider = \"k3d\"\n[app\nmessage = 1\n");
        },
        &["--all"],
        1,
        "environments/dev.toml:3:5",
    );
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn wrong_type_points_at_the_value() {
    let run = fails_after_good_render(
        |p| {
            p.write("environments/prod.toml", "[environment]\nprovider = \"eks\"\n\n[app]\nreplicas = \"three\"\n");
        },
        &["--all"],
        1,
        "environments/prod.toml:5:12",
    );
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn unknown_key_points_at_the_key_and_suggests() {
    let run = fails_after_good_render(
        |p| {
            p.write("environments/prod.toml", "[environment]\nprovider = \"eks\"\n\n[app]\nreplcias = 3\n");
        },
        &["--env", "prod"],
        1,
        "environments/prod.toml:5:1",
    );
    run.stderr_has("did you mean `replicas`?");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn all_schema_errors_are_reported_at_once() {
    let run = fails_after_good_render(
        |p| {
            p.write(
                "environments/prod.toml",
                "[environment]\nprovider = \"aws\"\n\n[app]\nreplicas = 0\nname = \"Not_Valid\"\n[ap]\n",
            );
        },
        &["--env", "prod"],
        1,
        "environments/prod.toml:2:12",
    );
    run.stderr_has("environments/prod.toml:5:12").stderr_has("environments/prod.toml:6:8").stderr_has("4 problems");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn set_errors_name_the_flag() {
    let run = fails_after_good_render(|_| {}, &["--env", "dev", "--set", "app.replicas=many"], 1, "--set:1:14");
    run.stderr_has("set by --set app.replicas=many");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn set_without_equals_is_a_usage_error() {
    fails_after_good_render(|_| {}, &["--env", "dev", "--set", "app.replicas"], 2, "--set expects KEY=VALUE");
}

#[test]
fn undefined_template_variable_names_template_and_line() {
    let run = fails_after_good_render(
        |p| {
            p.write(
                "charts/app/templates/3-config/configmap.yaml.j2",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ values.nmae }}\n",
            );
        },
        &["--all"],
        1,
        "charts/app/templates/3-config/configmap.yaml.j2:4:",
    );
    run.stderr_has("undefined");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn errors_inside_partials_point_into_the_partial() {
    fails_after_good_render(
        |p| {
            p.write(
                "charts/app/templates/_partials/labels.j2",
                "{% macro labels(values, env) %}\napp: {{ values.missing }}\n{% endmacro %}\n",
            );
        },
        &["--env", "dev"],
        1,
        "charts/app/templates/_partials/labels.j2:2:",
    );
}

#[test]
fn template_syntax_errors_point_at_the_tag() {
    let run = fails_after_good_render(
        |p| {
            p.write(
                "charts/app/templates/3-config/configmap.yaml.j2",
                "apiVersion: v1\n{% if values.name %}\nkind: ConfigMap\n",
            );
        },
        &["--env", "dev"],
        1,
        "charts/app/templates/3-config/configmap.yaml.j2:",
    );
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn values_cannot_inject_keys_or_documents() {
    let project = TestProject::fixture("minimal");
    let evil = "hi\\nkind: Secret\\n---\\napiVersion: v1\\nkind: Secret\\nmetadata: {name: stolen}";
    project
        .write("environments/dev.toml", &format!("[environment]\nprovider = \"k3d\"\n\n[app]\nmessage = \"{evil}\"\n"));
    let run = project.run(&["--env", "dev", "--stdout"]);
    run.code(0);
    let documents: Vec<serde_yaml::Value> =
        serde_yaml::Deserializer::from_str(&run.stdout).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect();
    assert_eq!(documents.len(), 2, "{}", run.stdout);
    assert_eq!(documents[1]["kind"], "ConfigMap");
    assert_eq!(
        documents[1]["data"]["message"],
        "hi\nkind: Secret\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: stolen}"
    );
}

#[test]
fn unparsable_output_names_the_rendered_line_and_template() {
    let run = fails_after_good_render(
        |p| {
            p.write(
                "charts/app/templates/3-config/configmap.yaml.j2",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ values.name }}\n   bad: indent\n",
            );
        },
        &["--env", "dev"],
        1,
        "dev/3-config/configmap.yaml (rendered):",
    );
    run.stderr_has("rendered from charts/app/templates/3-config/configmap.yaml.j2:5");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn unknown_environment_lists_known_ones() {
    let run = fails_after_good_render(|_| {}, &["--env", "prd"], 2, "unknown environment `prd`");
    run.stderr_has("known environments: dev, prod").stderr_has("did you mean `prod`?");
}

#[test]
fn missing_environment_table_is_explained() {
    fails_after_good_render(
        |p| {
            p.write("environments/dev.toml", "[app]\nmessage = \"x\"\n");
            p.write("environments/_base.toml", "");
        },
        &["--env", "dev"],
        1,
        "environments/dev.toml:1:1",
    );
}

#[test]
fn invalid_schema_files_are_reported() {
    fails_after_good_render(
        |p| {
            p.write("schema/app.schema.json", "{\"type\": \"object\",\n \"properties\": {\"a\": {\"type\": 5}}}");
        },
        &["--env", "dev"],
        1,
        "schema/app.schema.json is not a valid JSON Schema",
    );
    fails_after_good_render(
        |p| {
            p.write("schema/app.schema.json", "{\"type\": \"object\",\n ");
        },
        &["--env", "dev"],
        1,
        "schema/app.schema.json:2:",
    );
}

#[test]
fn invalid_values_are_reported_not_what_templates_made_of_them() {
    let run = fails_after_good_render(
        |p| {
            // Templates render while the schema compiles; a template failing
            // on the invalid value must not hide (or join) the schema's verdict.
            let template = "charts/app/templates/3-config/configmap.yaml.j2";
            p.write(template, &format!("{}  next: {{{{ values.replicas + 1 }}}}\n", p.read(template)));
            p.write("environments/prod.toml", "[environment]\nprovider = \"eks\"\n\n[app]\nreplicas = \"three\"\n");
        },
        &["--all"],
        1,
        "environments/prod.toml:5:12",
    );
    assert!(!run.stderr.contains("configmap.yaml.j2"), "{}", run.stderr);
    assert_eq!(run.stderr.matches("error:").count(), 1, "{}", run.stderr);
}

#[test]
fn a_schema_that_does_not_compile_is_reported_before_a_broken_template() {
    let run = fails_after_good_render(
        |p| {
            p.write("schema/app.schema.json", "{\"type\": \"object\",\n \"properties\": {\"a\": {\"type\": 5}}}");
            p.write("charts/app/templates/3-config/configmap.yaml.j2", "{% if %}\n");
        },
        &["--env", "dev"],
        1,
        "schema/app.schema.json is not a valid JSON Schema",
    );
    assert!(!run.stderr.contains("configmap.yaml.j2"), "{}", run.stderr);
}

#[test]
fn unsupported_patterns_point_at_the_pattern_and_say_why() {
    let run = fails_after_good_render(
        |p| {
            let schema = p.read("schema/app.schema.json").replace("^[a-z0-9-]+$", "^(?!kube-)[a-z0-9-]+$");
            p.write("schema/app.schema.json", &schema);
        },
        &["--env", "dev"],
        1,
        "schema/app.schema.json:7:43",
    );
    run.stderr_has("no look-around or backreferences");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn no_project_found_is_a_usage_error() {
    let dir = TestProject::empty();
    dir.run(&["--env", "local"]).code(2).stderr_has("no pgrender.toml").stderr_has("pgrender init");
}

#[test]
fn no_environment_selected_is_a_usage_error() {
    TestProject::fixture("minimal").run(&[]).code(2).stderr_has("no environment selected");
}

#[test]
fn unknown_flags_are_usage_errors() {
    TestProject::fixture("minimal").run(&["--env", "dev", "--frobnicate"]).code(2);
}
