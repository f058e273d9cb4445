//! Errors in the user's words: what was expected, which value was
//! undefined, the chart author's own message — never schema jargon or a
//! caret under a whole expression.

use crate::harness::{Run, TestProject};

/// The default project with `from` replaced by `to` in `environments/eks.toml`, rendered.
fn render_eks_with(from: &str, to: &str) -> Run {
    let project = TestProject::default_project();
    let eks = project.read("environments/eks.toml");
    assert!(eks.contains(from), "{from}");
    project.write("environments/eks.toml", &eks.replace(from, to));
    let run = project.run(&["--env", "eks"]);
    run.code(1);
    run
}

/// The longest run of `^` in any line: how wide a caret is.
fn widest_caret(stderr: &str) -> usize {
    stderr.lines().map(|l| l.split(|c| c != '^').map(str::len).max().unwrap_or(0)).max().unwrap_or(0)
}

#[test]
fn any_of_says_what_each_alternative_accepts() {
    let run = render_eks_with("className = \"gp3\"", "className = 3");
    run.stderr_has("`postgres.storage.className`: expected \"\" or a DNS subdomain (RFC 1123)")
        .stderr_has(", found 3\n");
    assert!(!run.stderr.contains("anyOf"), "{}", run.stderr);
}

#[test]
fn an_enum_lists_every_candidate_and_the_one_probably_meant() {
    let run = render_eks_with("provider = \"eks\"", "provider = \"EKS\"");
    run.stderr_has("`environment.provider`: \"EKS\" is not one of \"k3d\", \"eks\", \"gke\" or \"aks\"")
        .stderr_has("help: did you mean \"eks\"?");
    assert!(!run.stderr.contains("other candidates"), "{}", run.stderr);
}

#[test]
fn a_failed_required_shows_the_chart_message_under_a_short_caret() {
    let project = TestProject::default_project();
    let run = project.run(&["--env", "eks", "--set", "postgres.auth.developmentPassword=x"]);
    run.code(1).stderr_has("error: auth.developmentPassword is for k3d only: on eks the Secret must exist");
    assert!(!run.stderr.contains("invalid operation"), "{}", run.stderr);
    assert_eq!(widest_caret(&run.stderr), "required".len(), "{}", run.stderr);
}

#[test]
fn an_undefined_value_piped_into_a_filter_is_named_and_never_rendered_empty() {
    let project = TestProject::default_project();
    project.run(&["--env", "local"]).code(0);
    let before = project.tree("k8s-manifests");
    let helpers = project.read("charts/postgres/templates/_helpers.j2");
    assert!(helpers.contains("values.image.tag | quote"));
    project.write(
        "charts/postgres/templates/_helpers.j2",
        &helpers.replace("values.image.tag | quote", "values.image.tga | quote"),
    );
    let run = project.run(&["--env", "local"]);
    run.code(1)
        .stderr_has("error: undefined value: `values.image.tga` is undefined (piped into `quote`)")
        .stderr_has("charts/postgres/templates/_helpers.j2:7:31");
    assert_eq!(widest_caret(&run.stderr), "values.image.tga".len(), "{}", run.stderr);
    assert_eq!(project.tree("k8s-manifests"), before);
}
