//! Malformed input never panics: every case breaks one input of a project
//! that rendered fine, and asserts exit code 1 or 2, a diagnostic naming the
//! file (and line where there is one), no panic, and the earlier output
//! untouched. Values files in `tests/corpus/values/` (hand-written and fuzz
//! finds) are each layered with `-f` and must never crash pgrender. Every
//! way a project can name a file outside itself is refused before reading
//! it, and a secret kept beside the project never shows.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use crate::harness::{Run, SECRET, TestProject, outside_with_secrets, repo_root};

/// One way to break the `minimal` fixture.
struct Case {
    name: &'static str,
    /// Breaks the project.
    setup: fn(&TestProject),
    /// Extra arguments after `--env dev`.
    args: &'static [&'static str],
    /// Exit code: 1 (failed) or 2 (usage).
    code: i32,
    /// What stderr must name, typically `path:line`.
    names: &'static str,
}

fn write_text(project: &TestProject, rel: &str, text: &str) {
    write_bytes(project, rel, text.as_bytes());
}

fn write_bytes(project: &TestProject, rel: &str, bytes: &[u8]) {
    let path = project.path().join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

const TEMPLATE: &str = "charts/app/templates/3-config/extra.yaml.j2";

const CASES: &[Case] = &[
    Case {
        name: "truncated environment TOML",
        setup: |p| write_text(p, "environments/dev.toml", "[environment]\nprovider = \"k3d\"\n[app\nmessage = \"x"),
        args: &[],
        code: 1,
        names: "environments/dev.toml:3",
    },
    Case {
        name: "truncated string in chart values",
        setup: |p| write_text(p, "charts/app/values.toml", "name = \"demo"),
        args: &[],
        code: 1,
        names: "charts/app/values.toml:1",
    },
    Case {
        name: "truncated project file",
        setup: |p| write_text(p, "pgrender.toml", "output = \"out\"\n[[chart]\n"),
        args: &[],
        code: 1,
        names: "pgrender.toml:2",
    },
    Case {
        name: "empty project file",
        setup: |p| write_text(p, "pgrender.toml", ""),
        args: &[],
        code: 1,
        names: "pgrender.toml:1",
    },
    Case {
        name: "wrong type in chart.toml",
        setup: |p| write_text(p, "charts/app/chart.toml", "name = \"app\"\nversion = 3\n"),
        args: &[],
        code: 1,
        names: "charts/app/chart.toml:2",
    },
    Case {
        name: "string where the schema wants an integer",
        setup: |p| {
            write_text(p, "environments/dev.toml", "[environment]\nprovider = \"k3d\"\n[app]\nreplicas = \"two\"\n");
        },
        args: &[],
        code: 1,
        names: "environments/dev.toml:4:12",
    },
    Case {
        name: "integer where the schema wants a string",
        setup: |p| write_text(p, "environments/dev.toml", "[environment]\nprovider = \"k3d\"\n[app]\nmessage = 5\n"),
        args: &[],
        code: 1,
        names: "environments/dev.toml:4:11",
    },
    Case {
        name: "string where the schema wants an array",
        setup: |p| write_text(p, "environments/dev.toml", "[environment]\nprovider = \"k3d\"\n[app]\ntags = \"x\"\n"),
        args: &[],
        code: 1,
        names: "environments/dev.toml:4:8",
    },
    Case {
        name: "wrong item type in an array",
        setup: |p| {
            write_text(p, "environments/dev.toml", "[environment]\nprovider = \"k3d\"\n[app]\ntags = [\"a\", 2]\n");
        },
        args: &[],
        code: 1,
        names: "environments/dev.toml:4:14",
    },
    Case {
        name: "scalar where the schema wants a table",
        setup: |p| write_text(p, "environments/dev.toml", "[environment]\nprovider = \"k3d\"\n[app]\nimage = 1\n"),
        args: &[],
        code: 1,
        names: "environments/dev.toml:4:9",
    },
    Case {
        name: "wrong type in the environment table",
        setup: |p| write_text(p, "environments/dev.toml", "[environment]\nprovider = 3\n"),
        args: &[],
        code: 1,
        names: "environments/dev.toml:2:12",
    },
    Case {
        name: "environment table is a scalar",
        setup: |p| write_text(p, "environments/dev.toml", "environment = 1\n"),
        args: &[],
        code: 1,
        names: "environments/dev.toml:1",
    },
    Case {
        name: "schema that is not JSON",
        setup: |p| write_text(p, "schema/app.schema.json", "{\n  \"type\": \n"),
        args: &[],
        code: 1,
        names: "schema/app.schema.json:3",
    },
    Case {
        name: "schema that is JSON but not a schema",
        setup: |p| write_text(p, "schema/app.schema.json", "{\"type\": 12}"),
        args: &[],
        code: 1,
        names: "schema/app.schema.json",
    },
    Case {
        name: "schema with a remote reference",
        setup: |p| write_text(p, "schema/app.schema.json", "{\"$ref\": \"https://example.com/s.json\"}"),
        args: &[],
        code: 1,
        names: "schema/app.schema.json",
    },
    Case {
        name: "empty schema file",
        setup: |p| write_text(p, "schema/app.schema.json", ""),
        args: &[],
        code: 1,
        names: "schema/app.schema.json:1",
    },
    Case {
        name: "template syntax error",
        setup: |p| write_text(p, TEMPLATE, "a: 1\nb: {% if %}\n"),
        args: &[],
        code: 1,
        names: "charts/app/templates/3-config/extra.yaml.j2:2",
    },
    Case {
        name: "unclosed block",
        setup: |p| write_text(p, TEMPLATE, "{% for x in values.tags %}\na: 1\n"),
        args: &[],
        code: 1,
        names: "charts/app/templates/3-config/extra.yaml.j2",
    },
    Case {
        name: "macro calling itself forever",
        setup: |p| write_text(p, TEMPLATE, "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\na: {{ f(1) }}\n"),
        args: &[],
        code: 1,
        names: "charts/app/templates/3-config/extra.yaml.j2:1",
    },
    Case {
        name: "runaway loop stopped by fuel",
        setup: |p| {
            write_text(
                p,
                TEMPLATE,
                "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\na: 1\n",
            );
        },
        args: &[],
        code: 1,
        names: "charts/app/templates/3-config/extra.yaml.j2:1",
    },
    Case {
        name: "invalid UTF-8 in an environment file",
        setup: |p| write_bytes(p, "environments/dev.toml", b"[environment]\nprovider = \"k3d\"\nx = \"\xff\xfe\"\n"),
        args: &[],
        code: 1,
        names: "environments/dev.toml:3",
    },
    Case {
        name: "invalid UTF-8 in a template",
        setup: |p| write_bytes(p, TEMPLATE, b"a: \xc3\x28\n"),
        args: &[],
        code: 1,
        names: "charts/app/templates/3-config/extra.yaml.j2:1",
    },
    Case {
        name: "binary values file",
        setup: |p| write_bytes(p, "blob.toml", &(0..=255u8).cycle().take(4096).collect::<Vec<_>>()),
        args: &["-f", "blob.toml"],
        code: 1,
        names: "blob.toml",
    },
    Case {
        name: "binary template",
        setup: |p| write_bytes(p, TEMPLATE, &[0, 1, 2, 0x7f, 0, b'\n', 0x1b]),
        args: &[],
        code: 1,
        names: "extra.yaml",
    },
    Case {
        name: "empty environment file",
        setup: |p| write_text(p, "environments/dev.toml", ""),
        args: &[],
        code: 1,
        names: "provider",
    },
    Case { name: "missing values file", setup: |_| {}, args: &["-f", "nowhere.toml"], code: 1, names: "nowhere.toml" },
    Case {
        name: "missing templates folder",
        setup: |p| fs::remove_dir_all(p.path().join("charts/app/templates")).unwrap(),
        args: &[],
        code: 1,
        names: "charts/app/templates",
    },
    Case {
        name: "missing chart folder",
        setup: |p| fs::remove_dir_all(p.path().join("charts/app")).unwrap(),
        args: &[],
        code: 1,
        names: "charts/app/chart.toml",
    },
    Case {
        name: "missing environments folder",
        setup: |p| fs::remove_dir_all(p.path().join("environments")).unwrap(),
        args: &[],
        code: 1,
        names: "environments",
    },
    Case { name: "--set without a key", setup: |_| {}, args: &["--set", "=1"], code: 2, names: "--set" },
    Case {
        name: "--set with an unparsable value where the schema wants an integer",
        setup: |_| {},
        args: &["--set", "app.replicas=[1,"],
        code: 1,
        names: "--set",
    },
    Case {
        name: "output folder is a file",
        setup: |p| write_text(p, "blocker", "x"),
        args: &["--out", "blocker"],
        code: 2,
        names: "blocker",
    },
    Case {
        name: "output folder on a read-only file system",
        setup: |_| {},
        args: &["--out", "/proc/pgrender-out"],
        code: 1,
        names: "/proc/pgrender-out",
    },
];

#[test]
fn every_malformed_input_fails_cleanly_and_keeps_the_old_output() {
    for case in CASES {
        let project = TestProject::fixture("minimal");
        project.run(&["--env", "dev"]).code(0);
        let before = project.tree("out");
        (case.setup)(&project);
        let mut args = vec!["--env", "dev"];
        args.extend_from_slice(case.args);
        let run = project.run(&args);
        assert_eq!(run.code, case.code, "{}: exit code; stderr:\n{}", case.name, run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}: panic:\n{}", case.name, run.stderr);
        assert!(run.stderr.contains(case.names), "{}: stderr lacks {:?}:\n{}", case.name, case.names, run.stderr);
        assert_eq!(project.tree("out"), before, "{}: earlier output changed", case.name);
    }
}

#[test]
fn a_fifty_megabyte_values_file_is_read_and_checked() {
    let project = TestProject::fixture("minimal");
    project.run(&["--env", "dev"]).code(0);
    let before = project.tree("out");
    let item = format!("  \"{}\",\n", "y".repeat(200));
    let mut text = String::from("[app]\ntags = [\n");
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&item);
    }
    text.push_str("]\nreplicas = \"three\"\n");
    let lines = text.lines().count();
    project.write("big.toml", &text);
    let run = project.run(&["--env", "dev", "-f", "big.toml"]);
    run.code(1).stderr_has(&format!("big.toml:{lines}:12"));
    assert_eq!(project.tree("out"), before);
}

#[test]
fn many_bad_keys_are_capped_not_flooded() {
    let project = TestProject::fixture("minimal");
    let mut text = String::from("[app]\n");
    for i in 0..20_000 {
        let _ = writeln!(text, "k{i} = {i}");
    }
    project.write("many.toml", &text);
    let run = project.run(&["--env", "dev", "-f", "many.toml"]);
    run.code(1).stderr_has("20000 problems found (the first 50 are shown)");
    assert_eq!(run.stderr.matches("unknown key").count(), 50);
}

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
    values: fn(usize) -> String,
    n: usize,
    memory_budget: u64,
) -> Option<Run> {
    if !measuring_tools() {
        return None;
    }
    let mut costs = Vec::new();
    let mut last = None;
    for size in [n / 10, n] {
        project.write("big.toml", &values(size));
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
    let values = |n| format!("[app]\ntags = [{}]\n", repeated(n, |i| format!("\"t{i}\", ")));
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
    let values = |n| format!("[app]\ntags = [{}]\n", repeated(n, |i| format!("\"t{i}\", ")));
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
fn an_unreadable_file_names_the_file() {
    let project = TestProject::fixture("minimal");
    let env = project.path().join("environments/dev.toml");
    fs::set_permissions(&env, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if fs::read(&env).is_ok() {
        println!("skipped: running as root, which reads files whatever their permissions");
        return;
    }
    project.run(&["--env", "dev"]).code(1).stderr_has("cannot read environments/dev.toml");
}

#[test]
fn corpus_values_files_never_crash() {
    let dir = repo_root().join("tests/corpus/values");
    let mut files: Vec<_> = fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let project = TestProject::fixture("minimal");
        fs::copy(&file, project.path().join("layer.toml")).unwrap();
        let run = project.run(&["--env", "dev", "-f", "layer.toml", "--stdout"]);
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(matches!(run.code, 0..=2), "{name}: exit {}:\n{}", run.code, run.stderr);
        assert!(!run.stderr.contains("panicked"), "{name}: panic:\n{}", run.stderr);
        if run.code != 0 {
            assert!(run.stderr.contains("layer.toml"), "{name}: the diagnostic must name the file:\n{}", run.stderr);
        }
    }
}

/// One way a project reaches for a file outside it. `setup` gets the project
/// and a folder beside it holding `secret.txt` (any text), `secret.toml` (an
/// environment file), `secret.json` (a schema) and `chart/` (a whole chart),
/// each carrying [`SECRET`].
struct Escape {
    name: &'static str,
    setup: fn(&TestProject, &Path),
    /// What stderr must name: the line that named the path, or the link.
    names: &'static [&'static str],
}

/// The outside folder as a `..` path from the project: both are temp dirs in one parent.
fn climb(outside: &Path, rel: &str) -> String {
    format!("../{}/{rel}", outside.file_name().unwrap().to_string_lossy())
}

fn outside_file(outside: &Path, rel: &str) -> String {
    outside.join(rel).display().to_string()
}

/// Replaces `old` (a whole `key = "value"` line) in the fixture's `pgrender.toml`.
fn project_file(project: &TestProject, old: &str, new: &str) {
    let text = project.read("pgrender.toml");
    assert!(text.contains(old), "{old}");
    project.write("pgrender.toml", &text.replace(old, new));
}

/// Puts a symbolic link at `rel` (replacing what is there) pointing at `target`.
fn link(project: &TestProject, rel: &str, target: &Path) {
    let path = project.path().join(rel);
    if path.is_dir() && !path.is_symlink() {
        fs::remove_dir_all(&path).unwrap();
    } else if path.symlink_metadata().is_ok() {
        fs::remove_file(&path).unwrap();
    }
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    symlink(target, path).unwrap();
}

const SCHEMA_LINE: &str = "schema = \"schema/app.schema.json\"";
const CHART_LINE: &str = "path = \"charts/app\"";
const BASE_LINE: &str = "base = \"environments/_base.toml\"";
const OUTPUT_LINE: &str = "output = \"out\"";

const ESCAPES: &[Escape] = &[
    Escape {
        name: "absolute schema path",
        setup: |p, o| project_file(p, SCHEMA_LINE, &format!("schema = {:?}", outside_file(o, "secret.json"))),
        names: &["pgrender.toml:6:10", "absolute path"],
    },
    Escape {
        name: "schema path climbing out with ..",
        setup: |p, o| project_file(p, SCHEMA_LINE, &format!("schema = {:?}", climb(o, "secret.json"))),
        names: &["pgrender.toml:6:10", "`..`"],
    },
    Escape {
        name: "symlinked schema",
        setup: |p, o| link(p, "schema/app.schema.json", &o.join("secret.json")),
        names: &["pgrender.toml:6:10", "schema/app.schema.json is a symbolic link"],
    },
    Escape {
        name: "schema $ref to a local file",
        setup: |p, o| {
            let reference = format!("file://{}", outside_file(o, "secret.json"));
            write_text(p, "schema/app.schema.json", &format!("{{\"$ref\": {reference:?}}}"));
        },
        names: &["schema/app.schema.json"],
    },
    Escape {
        name: "absolute environments folder",
        setup: |p, o| {
            let text = p.read("pgrender.toml");
            p.write("pgrender.toml", &format!("environments = {:?}\n{text}", outside_file(o, "envs")));
        },
        names: &["pgrender.toml:1:16", "absolute path"],
    },
    Escape {
        name: "environments folder climbing out with ..",
        setup: |p, o| {
            let text = p.read("pgrender.toml");
            p.write("pgrender.toml", &format!("environments = {:?}\n{text}", climb(o, "envs")));
        },
        names: &["pgrender.toml:1:16", "`..`"],
    },
    Escape {
        name: "symlinked environments folder",
        setup: |p, o| link(p, "environments", &o.join("envs")),
        names: &["environments is a symbolic link"],
    },
    Escape {
        name: "symlinked environment file",
        setup: |p, o| link(p, "environments/dev.toml", &o.join("secret.toml")),
        names: &["environments/dev.toml is a symbolic link"],
    },
    Escape {
        name: "absolute base file",
        setup: |p, o| project_file(p, BASE_LINE, &format!("base = {:?}", outside_file(o, "secret.txt"))),
        names: &["pgrender.toml:2:8", "absolute path"],
    },
    Escape {
        name: "symlinked base file",
        setup: |p, o| link(p, "environments/_base.toml", &o.join("secret.txt")),
        names: &["pgrender.toml:2:8", "environments/_base.toml is a symbolic link"],
    },
    Escape {
        name: "absolute chart path",
        setup: |p, o| project_file(p, CHART_LINE, &format!("path = {:?}", outside_file(o, "chart"))),
        names: &["pgrender.toml:5:8", "absolute path"],
    },
    Escape {
        name: "chart path climbing out with ..",
        setup: |p, o| project_file(p, CHART_LINE, &format!("path = {:?}", climb(o, "chart"))),
        names: &["pgrender.toml:5:8", "`..`"],
    },
    Escape {
        name: "symlinked chart folder",
        setup: |p, o| link(p, "charts/app", &o.join("chart")),
        names: &["pgrender.toml:5:8", "charts/app is a symbolic link"],
    },
    Escape {
        name: "symlinked chart.toml",
        setup: |p, o| link(p, "charts/app/chart.toml", &o.join("secret.txt")),
        names: &["charts/app/chart.toml is a symbolic link"],
    },
    Escape {
        name: "symlinked chart values",
        setup: |p, o| link(p, "charts/app/values.toml", &o.join("secret.txt")),
        names: &["charts/app/values.toml is a symbolic link"],
    },
    Escape {
        name: "symlinked templates folder",
        setup: |p, o| link(p, "charts/app/templates", &o.join("chart/templates")),
        names: &["charts/app/templates is a symbolic link"],
    },
    Escape {
        name: "symlinked template subfolder",
        setup: |p, o| link(p, "charts/app/templates/9-extra", &o.join("chart/templates")),
        names: &["charts/app/templates/9-extra is a symbolic link"],
    },
    Escape {
        name: "symlinked template",
        setup: |p, o| link(p, TEMPLATE, &o.join("secret.txt")),
        names: &["charts/app/templates/3-config/extra.yaml.j2 is a symbolic link"],
    },
    Escape {
        name: "symlinked partial",
        setup: |p, o| link(p, "charts/app/templates/_partials/labels.j2", &o.join("secret.txt")),
        names: &["charts/app/templates/_partials/labels.j2 is a symbolic link"],
    },
    Escape {
        name: "template include of ../../x",
        setup: |p, o| write_text(p, TEMPLATE, &format!("{{% include {:?} %}}\n", climb(o, "secret.txt"))),
        names: &["charts/app/templates/3-config/extra.yaml.j2:1", "not found"],
    },
    Escape {
        name: "template import of an absolute path",
        setup: |p, o| {
            write_text(p, TEMPLATE, &format!("{{% import {:?} as s %}}\na: 1\n", outside_file(o, "secret.txt")));
        },
        names: &["charts/app/templates/3-config/extra.yaml.j2:1", "not found"],
    },
    Escape {
        name: "symlinked project file",
        setup: |p, o| link(p, "pgrender.toml", &o.join("secret.txt")),
        names: &["pgrender.toml is a symbolic link"],
    },
    Escape {
        name: "absolute output folder",
        setup: |p, o| project_file(p, OUTPUT_LINE, &format!("output = {:?}", outside_file(o, "out"))),
        names: &["pgrender.toml:1:10", "absolute path"],
    },
    Escape {
        name: "output folder climbing out with ..",
        setup: |p, o| project_file(p, OUTPUT_LINE, &format!("output = {:?}", climb(o, "out"))),
        names: &["pgrender.toml:1:10", "`..`"],
    },
    Escape {
        name: "symlinked output folder",
        setup: |p, o| {
            project_file(p, OUTPUT_LINE, "output = \"out2\"");
            link(p, "out2", &o.join("empty"));
        },
        names: &["pgrender.toml:1:10", "out2 is a symbolic link"],
    },
];

#[test]
fn every_escape_from_the_project_is_refused_before_reading() {
    let mut failures = Vec::new();
    for case in ESCAPES {
        let project = TestProject::fixture("minimal");
        project.run(&["--env", "dev"]).code(0);
        let before = project.tree("out");
        let outside = outside_with_secrets();
        let outside_before = outside.tree("");
        (case.setup)(&project, outside.path());
        for args in [&["--env", "dev"][..], &["--env", "dev", "--stdout"], &["check", "--env", "dev"]] {
            let run = project.run(args);
            let what = format!("{} ({})", case.name, args.join(" "));
            let mut problems = Vec::new();
            if run.code != 1 {
                problems.push(format!("exit code {}", run.code));
            }
            if run.stderr.contains("panicked") {
                problems.push("panic".to_string());
            }
            problems.extend(case.names.iter().filter(|n| !run.stderr.contains(*n)).map(|n| format!("lacks {n:?}")));
            if run.stdout.contains(SECRET) || run.stderr.contains(SECRET) {
                problems.push("printed the secret".to_string());
            }
            if project.tree("out") != before {
                problems.push("earlier output changed".to_string());
            }
            if outside.tree("") != outside_before {
                problems.push("wrote outside the project".to_string());
            }
            if !problems.is_empty() {
                failures.push(format!("{what}: {}\n{}", problems.join(", "), run.stderr));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
