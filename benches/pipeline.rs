//! Per-stage benchmarks of the render pipeline on the repository's default
//! project: values load+merge, schema compile and validate, template compile,
//! render, Kubernetes output checks (API schemas and rules), and write.
//! `cargo bench --bench pipeline` measures; `cargo test --bench pipeline`
//! runs each stage once (the CI smoke test).

use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pgrender::check::check_env;
use pgrender::environment::Environment;
use pgrender::output::LOCK_WAIT;
use pgrender::output::write_all;
use pgrender::pipeline::{Overrides, Pipeline};
use pgrender::project::Project;
use pgrender::render::ChartTemplates;
use pgrender::schema::Schema;

fn project() -> Project {
    Project::load(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("the default project loads")
}

fn stages(c: &mut Criterion) {
    let project = project();
    let envs = project.environment_names().expect("environments are listed");
    let chart = project.charts[0].clone();
    let pipeline = Pipeline::compile(project).expect("the default project compiles");
    let none = Overrides::default();
    let env = "eks";

    c.bench_function("values/load+merge", |b| b.iter(|| pipeline.merge(black_box(env), &none).unwrap()));

    c.bench_function("schema/compile", |b| {
        b.iter(|| Schema::compile(chart.confine.read(black_box(&chart.schema)).unwrap()).unwrap());
    });

    let merged = pipeline.merge(env, &none).unwrap();
    c.bench_function("schema/validate", |b| {
        b.iter(|| assert!(pipeline.validate(black_box(&merged), env).unwrap().is_empty()));
    });

    c.bench_function("templates/compile", |b| b.iter(|| ChartTemplates::load(black_box(&chart)).unwrap()));

    let templates = ChartTemplates::load(&chart).unwrap();
    let (values, environment) = pipeline.values(env, &none).unwrap();
    let context = environment.context(env);
    let chart_values = &values.tree[&chart.meta.name];
    c.bench_function("templates/render", |b| b.iter(|| templates.render(black_box(chart_values), &context).unwrap()));

    // What `pgrender --all` runs between compiling and writing: merge, validate, render, check.
    let out = pipeline.project.output.clone();
    c.bench_function("pipeline/render_checked_all", |b| {
        b.iter(|| pipeline.render_checked_all(black_box(&envs), &none, &out).unwrap());
    });

    let (rendered, _): (Vec<_>, Vec<_>) = pipeline.render_checked_all(&envs, &none, &out).unwrap().into_iter().unzip();
    let environments: Vec<Environment> = envs.iter().map(|env| pipeline.values(env, &none).unwrap().1).collect();
    c.bench_function("checks/all-environments", |b| {
        b.iter(|| {
            for (env, environment) in rendered.iter().zip(&environments) {
                assert!(check_env(black_box(env), environment).is_empty(), "the default project passes its checks");
            }
        });
    });

    c.bench_function("output/write_all", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                write_all(dir.path(), black_box(&rendered), LOCK_WAIT).unwrap();
                dir
            },
            BatchSize::PerIteration,
        );
    });
}

criterion_group!(benches, stages);
criterion_main!(benches);
