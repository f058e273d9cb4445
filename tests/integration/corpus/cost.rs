//! What hostile inputs cost: a hundred thousand problems, or one 50 MB line,
//! fail within the memory and processor-time budgets, and ten times the input
//! costs about ten times as much. These inputs are generated, not kept as
//! files: they are megabytes each, and the cost check needs each at two sizes.

use std::time::Duration;

use crate::harness::{Run, TestProject};

/// Peak memory of a run with a hostile input.
const MEMORY_BUDGET: u64 = 300 * 1024 * 1024;

/// Processor time of such a run: 5 s for an optimised build, as the README
/// promises; an unoptimised build parses TOML about ten times slower.
const CPU_BUDGET: Duration = Duration::from_secs(if cfg!(debug_assertions) { 20 } else { 5 });

/// How much more processor time ten times the input may take: ten when the
/// cost is linear (less, with the cost of starting), a hundred for a square.
const MAX_GROWTH: f64 = 25.0;

/// Runs the default project with `-f big.toml` holding `values(size)` at
/// `n / 10` and `n`: each fails with exit 1 pointing into the file, within
/// the memory and time budgets, and ten times the input costs at most
/// [`MAX_GROWTH`] times the processor time. Returns the larger run's stderr,
/// or `None` where the measuring tools are missing (see [`measuring_tools`]).
fn fails_in_linear_time_and_memory(values: fn(usize) -> String, n: usize) -> Option<String> {
    let project = TestProject::default_project();
    let run = costs_grow_linearly(&project, &["--env", "eks", "-f", "big.toml", "--stdout"], values, n, MEMORY_BUDGET)?;
    run.code(1).stderr_has("big.toml:");
    let longest = run.stderr.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 2500, "a line of {longest} bytes in the report");
    Some(run.stderr)
}

/// Runs `args` in `project` with `big.toml` holding `values(size)` at
/// `n / 10` and `n`: each run stays within the memory and time budgets, and ten times the input
/// costs at most [`MAX_GROWTH`] times the processor time. Returns the larger
/// run, or `None` where the measuring tools are missing.
fn costs_grow_linearly(
    project: &TestProject,
    args: &[&str],
    values: impl Fn(usize) -> String,
    n: usize,
    memory_budget: u64,
) -> Option<Run> {
    costs_grow_linearly_with(
        project,
        args,
        |size| {
            project.write("big.toml", &values(size));
        },
        n,
        memory_budget,
    )
}

/// [`costs_grow_linearly`] with the input of each size made by `prepare(size)`.
fn costs_grow_linearly_with(
    project: &TestProject,
    args: &[&str],
    prepare: impl Fn(usize),
    n: usize,
    memory_budget: u64,
) -> Option<Run> {
    if !measuring_tools() {
        return None;
    }
    let mut costs = Vec::new();
    let mut last = None;
    for size in [n / 10, n] {
        prepare(size);
        let (run, usage) = project.run_measured(args);
        assert!(!run.stderr.contains("panicked"), "size {size}: {}", run.stderr);
        assert!(usage.peak_memory < memory_budget, "size {size}: peak memory {} MiB", usage.peak_memory >> 20);
        assert!(usage.cpu < CPU_BUDGET, "size {size}: processor time {:?}", usage.cpu);
        costs.push(usage.cpu.as_secs_f64());
        last = Some(run);
    }
    // GNU time counts in hundredths of a second.
    let growth = costs[1] / costs[0].max(0.01);
    assert!(growth < MAX_GROWTH, "ten times the input took {growth:.1} times the processor time: {costs:?} s");
    Some(last.expect("two runs"))
}

/// Whether GNU `time` and `prlimit` are here to measure a run. `.ci/run`
/// installs them, so under `CI=true` their absence fails the test; a machine
/// with only the Rust toolchain skips the cost cases, saying why.
fn measuring_tools() -> bool {
    let present = |tool: &str| std::path::Path::new(tool).exists();
    let Some(missing) = ["/usr/bin/time", "/usr/bin/prlimit"].into_iter().find(|t| !present(t)) else { return true };
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{missing} is missing: required under CI=true");
    println!("skipped: {missing} is missing (Debian: apt-get install time util-linux)");
    false
}

/// Values for the `minimal` fixture's templates to loop over: `n` tags,
/// `{prefix}0` to `{prefix}{n - 1}`.
fn tags(prefix: &'static str) -> impl Fn(usize) -> String {
    move |n| format!("[app]\ntags = [{}]\n", repeated(n, |i| format!("\"{prefix}{i}\", ")))
}

/// `item(i)` for `i` in `0..n`, concatenated.
fn repeated(n: usize, item: impl Fn(usize) -> String) -> String {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&item(i));
    }
    text
}

#[test]
fn a_hundred_thousand_unknown_keys_in_one_table_cost_linear_time_and_memory() {
    let values = |n| {
        "[postgres.storage]
"
        .to_string()
            + &repeated(n, |i| {
                format!(
                    "unknown{i} = {i}
"
                )
            })
    };
    let Some(stderr) = fails_in_linear_time_and_memory(values, 100_000) else { return };
    assert!(stderr.contains("100000 problems found (the first 50 are shown)"), "{stderr}");
    assert_eq!(stderr.matches("error: unknown key `postgres.storage.unknown").count(), 50);
}

#[test]
fn a_hundred_thousand_unknown_top_level_keys_cost_linear_time_and_memory() {
    let values = |n| repeated(n, |i| format!("unknown{i} = {i}\n"));
    let Some(stderr) = fails_in_linear_time_and_memory(values, 100_000) else { return };
    assert!(stderr.contains("100000 problems found (the first 50 are shown)"), "{stderr}");
}

#[test]
fn a_hundred_thousand_wrong_items_in_one_array_cost_linear_time_and_memory() {
    let values = |n| {
        let items = repeated(n, |i| format!("  {i},\n"));
        format!("[postgres.networkPolicy]\nallowedNamespaces = [\n{items}]\n")
    };
    let Some(stderr) = fails_in_linear_time_and_memory(values, 100_000) else { return };
    assert!(stderr.contains("100000 problems found (the first 50 are shown)"), "{stderr}");
    assert!(stderr.contains("big.toml:3:3"), "{stderr}");
}

#[test]
fn a_hundred_thousand_unknown_keys_on_one_line_point_into_it_in_linear_time() {
    let values = |n| {
        let keys: Vec<String> = (0..n).map(|i| format!("unknown{i} = {i}")).collect();
        format!("[postgres]\nstorage = {{ {} }}\n", keys.join(", "))
    };
    let Some(stderr) = fails_in_linear_time_and_memory(values, 100_000) else { return };
    assert!(stderr.contains("100000 problems found (the first 50 are shown)"), "{stderr}");
    // The keys before `unknown10000` take 10 × 14 + 90 × 16 + 900 × 18 + 9000 × 20 bytes.
    assert!(stderr.contains("big.toml:2:197793\n"), "{stderr}");
    assert!(stderr.contains("2 | ...unknown9996 = 9996, unknown9997 = 9997, unknown9998 = 9998, unknown9999 = 9999, unknown10000 = 10000, unknown10001 = 10001, unknow...\n"), "{stderr}");
}

#[test]
fn a_fifty_megabyte_line_is_shown_as_a_short_slice() {
    let values = |n| format!("[postgres]\nreplicas = \"{}\"\n", "x".repeat(n));
    let Some(stderr) = fails_in_linear_time_and_memory(values, 50 * 1024 * 1024) else { return };
    assert!(stderr.contains("big.toml:2:12"), "{stderr}");
    assert!(stderr.len() < 4000, "{stderr}");
}

#[test]
fn explaining_a_hundred_thousand_values_costs_linear_time() {
    let project = TestProject::default_project();
    let values = |n| "[postgres.nodeSelector]\n".to_string() + &repeated(n, |i| format!("key{i} = \"v\"\n"));
    let args = ["values", "--env", "eks", "-f", "big.toml", "--explain"];
    let Some(run) = costs_grow_linearly(&project, &args, values, 100_000, MEMORY_BUDGET) else { return };
    run.code(0);
    assert!(run.stdout.contains("postgres.nodeSelector.key99999 = \"v\""), "{}", &run.stdout[..2000]);
    assert!(run.stdout.contains("# big.toml:100001\n"), "{}", &run.stdout[..2000]);
}

#[test]
fn checking_twenty_thousand_objects_with_findings_costs_linear_time() {
    let project = TestProject::fixture("minimal");
    // One Pod per tag, each in a namespace the tree does not create and
    // mounting a ConfigMap that does not exist: two findings per object. The
    // rendered tree is 20 000 objects, hence a larger memory budget.
    project.write(
        "charts/app/templates/3-config/many.yaml.j2",
        "{% for tag in values.tags %}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p-{{ tag }}\n  namespace: elsewhere\n\
         spec:\n  containers:\n    - name: c\n      image: busybox:1\n  volumes:\n    - name: v\n      configMap:\n        name: none-{{ tag }}\n{% endfor %}\n",
    );
    let values = tags("t");
    let Some(run) = costs_grow_linearly(
        &project,
        &["check", "--env", "dev", "-f", "big.toml", "--format", "json"],
        values,
        20_000,
        1 << 30,
    ) else {
        return;
    };
    assert!(run.stdout.contains("\"object\": \"Pod elsewhere/p-t19999\""), "{}", run.stderr);
}

#[test]
fn objects_rendered_twice_cost_linear_time() {
    let project = TestProject::fixture("minimal");
    // Every ConfigMap twice in one file: each second copy is XOB006, naming
    // the line of the first one, deep into the same file.
    project.write(
        "charts/app/templates/3-config/twice.yaml.j2",
        "{% for tag in values.tags %}{% for copy in [1, 2] %}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c-{{ tag }}\n\
         data:\n  copy: \"{{ copy }}\"\n{% endfor %}{% endfor %}\n",
    );
    let values = tags("t");
    let Some(run) = costs_grow_linearly(
        &project,
        &["check", "--env", "dev", "-f", "big.toml", "--format", "json"],
        values,
        10_000,
        1 << 30,
    ) else {
        return;
    };
    assert!(
        run.stdout.contains("ConfigMap c-t9999 is rendered twice: first at 3-config/twice.yaml:"),
        "{}",
        run.stderr
    );
}

#[test]
fn checking_ten_thousand_templates_costs_linear_time() {
    let project = TestProject::fixture("minimal");
    // One template per ConfigMap: every file's template is looked up for
    // the report, and every file on disk is compared with the render.
    let prepare = |size: usize| {
        for i in 0..size {
            let template = format!("charts/app/templates/3-config/c{i}.yaml.j2");
            if !project.path().join(&template).exists() {
                project.write(
                    &template,
                    &format!(
                        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  namespace: {{{{ values.name }}}}-dev\n"
                    ),
                );
            }
        }
        project.run(&["--env", "dev"]).code(0);
    };
    let args = ["check", "--env", "dev"];
    let Some(run) = costs_grow_linearly_with(&project, &args, prepare, 10_000, 1 << 30) else { return };
    run.code(0).stderr_has("output up to date");
}

#[test]
fn five_thousand_wrong_service_names_cost_linear_time() {
    let project = TestProject::fixture("minimal");
    // A Service per tag, and two wrong names per tag pointing at them: one
    // in an env value, one in a ConfigMap's block scalar holding them all.
    project.write(
        "charts/app/templates/3-config/services.yaml.j2",
        r"{% for tag in values.tags %}
---
apiVersion: v1
kind: Service
metadata:
  name: s{{ tag }}
  namespace: x
spec:
  ports:
    - port: 80
{% endfor %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: refs
  namespace: x
data:
  block: |
    {% for tag in values.tags %}
    http://w{{ tag }}.x.svc:80/
    {% endfor %}
    end
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: x
spec:
  containers:
    - name: c
      image: busybox:1
      env:
{% for tag in values.tags %}
        - name: U{{ tag }}
          value: v{{ tag }}.x.svc
{% endfor %}
",
    );
    let values = tags("");
    let args = ["check", "--env", "dev", "-f", "big.toml", "--format", "json"];
    let Some(run) = costs_grow_linearly(&project, &args, values, 5_000, 1 << 30) else { return };
    assert_eq!(run.stdout.matches("\"rule\": \"XOB007\"").count(), 10_000, "{}", run.stderr);
    assert!(run.stdout.contains("Services in `x`: s0, s1, "), "{}", run.stderr);
}

#[test]
fn a_pod_with_ten_thousand_wrong_volume_mounts_costs_linear_time() {
    let project = TestProject::fixture("minimal");
    project.write(
        "charts/app/templates/3-config/pod.yaml.j2",
        r"apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: elsewhere
spec:
  containers:
    - name: c
      image: busybox:1
      volumeMounts:
{% for tag in values.tags %}
        - name: m{{ tag }}
          mountPath: /m{{ tag }}
{% endfor %}
  volumes:
{% for tag in values.tags %}
    - name: v{{ tag }}
      emptyDir: {}
{% endfor %}
",
    );
    let values = tags("");
    let args = ["check", "--env", "dev", "-f", "big.toml", "--format", "json"];
    let Some(run) = costs_grow_linearly(&project, &args, values, 10_000, MEMORY_BUDGET) else { return };
    assert_eq!(run.stdout.matches("names no volume or volumeClaimTemplate").count(), 10_000, "{}", run.stderr);
}

#[test]
fn diffing_a_rewritten_hundred_thousand_line_file_costs_linear_time() {
    let project = TestProject::fixture("minimal");
    // Every line of the committed file differs from the new render: the
    // diff's edit script is as long as the file, the worst case of Myers'.
    let prepare = |size: usize| {
        project.write(
            "charts/app/templates/3-config/big.yaml.j2",
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: {{{{ values.name }}}}-dev\ndata:\n\
                 {{% for i in range({size}) %}}\n  k{{{{ i }}}}: \"{{{{ values.message }}}}-{{{{ i }}}}\"\n{{% endfor %}}\n"
            ),
        );
        project.run(&["--env", "dev"]).code(0);
    };
    let args = ["diff", "--env", "dev", "--exit-code", "--set", "app.message=changed"];
    let Some(run) = costs_grow_linearly_with(&project, &args, prepare, 100_000, MEMORY_BUDGET) else { return };
    run.code(1);
    assert!(run.stdout.contains("+  k99999: \"changed-99999\"\n"), "{}", run.stderr);
}

#[test]
fn graphing_five_thousand_selectors_costs_linear_time() {
    let project = TestProject::fixture("minimal");
    // Per tag: a Service and a NetworkPolicy selecting one Pod, admitting
    // traffic from one labelled Namespace. Each selector must be resolved
    // by a lookup, not by trying every pod or namespace of the tree.
    project.write(
        "charts/app/templates/3-config/selectors.yaml.j2",
        r"{% for tag in values.tags %}
---
apiVersion: v1
kind: Namespace
metadata:
  name: n{{ tag }}
  labels:
    team: t{{ tag }}
---
apiVersion: v1
kind: Service
metadata:
  name: s{{ tag }}
  namespace: {{ values.name }}-dev
spec:
  selector:
    app: a{{ tag }}
  ports:
    - port: 80
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np{{ tag }}
  namespace: {{ values.name }}-dev
spec:
  podSelector:
    matchLabels:
      app: a{{ tag }}
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              team: t{{ tag }}
---
apiVersion: v1
kind: Pod
metadata:
  name: p{{ tag }}
  namespace: {{ values.name }}-dev
  labels:
    app: a{{ tag }}
spec:
  containers:
    - name: c
      image: busybox:1
{% endfor %}
",
    );
    let values = tags("");
    let args = ["graph", "--env", "dev", "-f", "big.toml"];
    let Some(run) = costs_grow_linearly(&project, &args, values, 5_000, MEMORY_BUDGET) else { return };
    run.code(0);
    for edge in ["selects", "guards", "admits"] {
        assert_eq!(run.stdout.matches(&format!("|\"{edge}\"|")).count(), 5_000, "{edge}: {}", &run.stdout[..2000]);
    }
}

#[test]
fn checking_twenty_five_thousand_claims_costs_linear_time() {
    let project = TestProject::fixture("minimal");
    // Per tag: a claim on a StorageClass of the tree, which PG004 must find
    // by lookup.
    project.write(
        "charts/app/templates/3-config/claims.yaml.j2",
        r"{% for tag in values.tags %}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: sc{{ tag }}
provisioner: example.com/disk
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: c{{ tag }}
  namespace: {{ values.name }}-dev
spec:
  storageClassName: sc{{ tag }}
{% endfor %}
",
    );
    let values = tags("");
    let args = ["check", "--env", "dev", "-f", "big.toml", "--format", "json"];
    let Some(run) = costs_grow_linearly(&project, &args, values, 25_000, 1 << 30) else { return };
    assert!(!run.stdout.contains("\"rule\": \"PG004\""), "every class is in the tree: {}", run.stderr);
}
