//! The render pipeline: compile a project's schemas and templates once,
//! then for each environment merge its value layers, validate them, and
//! render its manifests. Environments render in parallel.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::check::EnvReport;
use crate::collision::{self, Output};
use crate::diagnostic::{Diagnostic, Problems};
use crate::environment::{self, Environment, KEY as ENVIRONMENT_KEY};
use crate::error::{Error, did_you_mean};
use crate::locate::violation_diagnostic;
use crate::output::RenderedEnv;
use crate::parallel;
use crate::project::{Chart, Project};
use crate::redact::{Redactor, Step, sensitive_patterns};
use crate::render::ChartTemplates;
use crate::schema::{Schema, Violation, ViolationKind};
use crate::source::{Source, SourceRef};
use crate::values::{LayerKind, Seg, Values};

/// Value layers given on the command line, above the environment file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `-f FILE` layers, in order.
    pub files: Vec<SourceRef>,
    /// `--set KEY=VALUE` flags, in order.
    pub sets: Vec<String>,
}

impl Overrides {
    /// Reads the `-f` files.
    pub fn read(files: &[PathBuf], sets: Vec<String>) -> Result<Overrides, Error> {
        let files = files.iter().map(|p| Source::read(p)).collect::<Result<_, _>>()?;
        Ok(Overrides { files, sets })
    }
}

struct CompiledChart {
    chart: Chart,
    defaults: SourceRef,
    schema: Schema,
    templates: ChartTemplates,
}

/// Compiles one chart. Its schema compiles in the background, overlapping
/// the templates' compile and everything up to validation; a schema that
/// does not compile is still reported before a template that does not.
fn compile_chart(chart: &Chart) -> Result<CompiledChart, Error> {
    let defaults = chart.confine.read(&chart.dir.join("values.toml"))?;
    let schema = Schema::load_in_background(chart.confine.read(&chart.schema)?)?;
    let templates = ChartTemplates::load(chart).map_err(|err| schema.ready().err().unwrap_or(err))?;
    Ok(CompiledChart { defaults, schema, templates, chart: chart.clone() })
}

/// A project with every schema and template compiled, ready to render.
pub struct Pipeline {
    /// The project.
    pub project: Project,
    charts: Vec<CompiledChart>,
    environment_schema: Schema,
    /// Chart defaults and the shared base, merged once: every environment starts from a copy.
    shared: Values,
    /// Paths the charts' schemas mark sensitive, found once for every environment's redactor.
    sensitive: Vec<Vec<Step>>,
}

impl Pipeline {
    /// Compiles the project's schemas and templates; reports every error
    /// found. Compiling a chart's schema is the largest part of a whole run's
    /// start-up, so it goes on in the background: see [`Schema::load_in_background`].
    pub fn compile(project: Project) -> Result<Pipeline, Error> {
        let compiled: Vec<_> = project.charts.iter().map(compile_chart).collect();
        let environment_schema = environment::schema();
        let mut charts = Vec::new();
        let mut errors = Vec::new();
        for compiled in compiled {
            match compiled {
                Ok(c) => charts.push(c),
                Err(e) => errors.push(e),
            }
        }
        if let Some(err) = Error::collect(errors) {
            return Err(err);
        }
        let outputs: Vec<Output> = charts
            .iter()
            .flat_map(|c| {
                c.templates.output_paths().map(|(path, template)| Output {
                    path,
                    template,
                    chart: c.templates.chart_name().to_string(),
                })
            })
            .collect();
        collision::check(&outputs)?;
        let base = project.base.as_deref().map(|path| project.confine.read(path)).transpose()?;
        let shared = shared_values(&charts, base)?;
        let sensitive = charts
            .iter()
            .flat_map(|c| sensitive_patterns(&c.schema.doc, &[Step::Key(c.chart.meta.name.clone())]))
            .collect();
        Ok(Pipeline { project, charts, environment_schema, shared, sensitive })
    }

    /// Merges and validates the values of environment `env`; with them, its typed `[environment]` table.
    pub fn values(&self, env: &str, overrides: &Overrides) -> Result<(Values, Environment), Error> {
        let values = self.merge(env, overrides)?;
        self.check_values(&values, env)?;
        let environment = self.environment(&values)?;
        Ok((values, environment))
    }

    /// The typed `[environment]` table of `values`. Its validator is built
    /// into the binary, so this never waits for a chart's schema to compile.
    fn environment(&self, values: &Values) -> Result<Environment, Error> {
        if let Some(table) = values.tree.get(ENVIRONMENT_KEY)
            && self.environment_schema.violations(table)?.is_empty()
        {
            return Environment::from_validated(table);
        }
        // What is missing or wrong is reported in full, with the charts' values, by `check_values`.
        Err(Error::Reported(vec![Diagnostic::error(format!("no valid [{ENVIRONMENT_KEY}] table"))]))
    }

    /// Fails with every schema violation of `values`.
    fn check_values(&self, values: &Values, env: &str) -> Result<(), Error> {
        let problems = self.validate(values, env)?;
        if problems.is_empty() {
            return Ok(());
        }
        Err(Error::Values(problems))
    }

    /// Merges the value layers of environment `env`, lowest first, without validating them.
    pub fn merge(&self, env: &str, overrides: &Overrides) -> Result<Values, Error> {
        let mut values = self.shared.clone();
        let file = self.project.confine.read(&self.project.environment_file(env))?;
        values.apply_toml(LayerKind::Environment, file, &[])?;
        for file in &overrides.files {
            values.apply_toml(LayerKind::File, file.clone(), &[])?;
        }
        for set in &overrides.sets {
            values.apply_set(set, |path| self.expects_string(path))?;
        }
        Ok(values)
    }

    /// Renders one environment and runs the output checks on it; the
    /// report names files as they are written under `out`. Every command
    /// that renders, and the benchmarks, go through here.
    pub fn render_checked(
        &self,
        env: &str,
        overrides: &Overrides,
        out: &Path,
    ) -> Result<(RenderedEnv, EnvReport), Error> {
        let values = self.merge(env, overrides)?;
        // Rendered and checked before validation when validation would wait
        // for a schema still compiling; none of it is used unless the values
        // are valid. Once the schemas are compiled, validating first spares
        // invalid values (a huge file of them, say) a render and its checks.
        let validate_first = self.charts.iter().all(|c| c.schema.is_compiled());
        if validate_first {
            self.check_values(&values, env)?;
        }
        let checked = self.environment(&values).and_then(|environment| {
            let rendered = self.render_values(env, &values, &environment)?;
            let report = EnvReport::new(&rendered, &environment, out, |template| self.template_source(template));
            Ok((rendered, report))
        });
        if !validate_first {
            self.check_values(&values, env)?;
        }
        checked
    }

    /// [`Pipeline::render_checked`] for several environments in parallel; fails if any fails to render.
    pub fn render_checked_all(
        &self,
        envs: &[String],
        overrides: &Overrides,
        out: &Path,
    ) -> Result<Vec<(RenderedEnv, EnvReport)>, Error> {
        all_or_errors(parallel::map(envs, |env| self.render_checked(env, overrides, out)))
    }

    /// The compiled template whose source is named `name` (e.g. `charts/postgres/templates/x.yaml.j2`).
    fn template_source(&self, name: &str) -> Option<SourceRef> {
        self.charts.iter().find_map(|c| c.templates.source_named(name)).cloned()
    }

    fn render_values(&self, env: &str, values: &Values, environment: &Environment) -> Result<RenderedEnv, Error> {
        let context = environment.context(env);
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for chart in &self.charts {
            let chart_values =
                values.tree.get(&chart.chart.meta.name).cloned().unwrap_or(Value::Object(serde_json::Map::new()));
            match chart.templates.render(&chart_values, &context) {
                Ok(rendered) => files.extend(rendered),
                Err(e) => errors.push(e),
            }
        }
        if let Some(err) = Error::collect(errors) {
            return Err(self.redactor(values).error(err));
        }
        let mut rendered = RenderedEnv::new(env.to_string(), files);
        rendered.redactor = self.redactor(values);
        Ok(rendered)
    }

    /// Masks what the charts' schemas mark sensitive in `values`.
    pub fn redactor(&self, values: &Values) -> Redactor {
        Redactor::new(values, self.sensitive.clone())
    }

    /// The schema governing top-level key `key`, if any.
    fn schema_for(&self, key: &str) -> Option<&Schema> {
        if key == ENVIRONMENT_KEY {
            return Some(&self.environment_schema);
        }
        self.charts.iter().find(|c| c.chart.meta.name == key).map(|c| &c.schema)
    }

    fn expects_string(&self, path: &[Seg]) -> bool {
        match path.split_first() {
            Some((Seg::Key(first), rest)) => self.schema_for(first).is_some_and(|s| s.expects_string(rest)),
            _ => false,
        }
    }

    /// Checks merged values against the environment and chart schemas; one
    /// problem per violation, the first few built into diagnostics with
    /// sensitive values masked. Fails if a schema does not compile.
    pub fn validate(&self, values: &Values, env: &str) -> Result<Problems, Error> {
        // Diagnostics show the values as they may be shown; violations are
        // found on the real ones. Masking is prepared only once a problem is
        // built: valid values, the common case, cost nothing extra.
        let redactor = std::cell::OnceCell::new();
        let redactor = || redactor.get_or_init(|| self.redactor(values));
        let shown = std::cell::OnceCell::new();
        let shown = || shown.get_or_init(|| redactor().values(values));
        let mut problems = Problems::default();
        let known: Vec<&str> =
            std::iter::once(ENVIRONMENT_KEY).chain(self.charts.iter().map(|c| c.chart.meta.name.as_str())).collect();
        for key in values.tree.keys() {
            let Some(schema) = self.schema_for(key) else {
                problems.push_with(|| {
                    let violation = Violation { path: vec![Seg::Key(key.clone())], kind: ViolationKind::UnknownKey };
                    let mut d = violation_diagnostic(shown(), None, &[], &violation)
                        .note(format!("top-level keys are `{ENVIRONMENT_KEY}` and chart names: {}", known.join(", ")));
                    if let Some(s) = did_you_mean(key, known.iter().copied()) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    d
                });
                continue;
            };
            let prefix = [Seg::Key(key.clone())];
            for mut violation in schema.violations(&values.tree[key])? {
                problems.push_with(|| {
                    if let ViolationKind::Invalid { message, help, .. } = &mut violation.kind {
                        let path: Vec<Seg> = prefix.iter().chain(&violation.path).cloned().collect();
                        *message = redactor().message(values, &path, message);
                        if redactor().is_sensitive(&path) {
                            // A "did you mean" would tell how close a secret is to a candidate.
                            *help = None;
                        }
                    }
                    violation_diagnostic(shown(), Some(schema), &prefix, &violation)
                });
            }
        }
        if !values.tree.contains_key(ENVIRONMENT_KEY) {
            problems.push_with(|| {
                let file = self.project.environment_file(env);
                let source =
                    shown().layers.iter().find(|l| l.kind == LayerKind::Environment).map(|l| l.source.clone());
                let d = Diagnostic::error(format!("environment `{env}` does not say what cluster it is for")).help(
                    "add an [environment] table with provider = \"k3d\"|\"eks\"|\"gke\"|\"aks\" and kubernetes = \"1.31\"",
                );
                match source {
                    Some(source) => d.at(&source, 0..0, "no [environment] table in this file"),
                    None => d.note(file.display().to_string()),
                }
            });
        }
        Ok(problems)
    }
}

/// Every value, or every error when any result failed.
fn all_or_errors<T>(results: Vec<Result<T, Error>>) -> Result<Vec<T>, Error> {
    let mut done = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(value) => done.push(value),
            Err(err) => errors.push(err),
        }
    }
    match Error::collect(errors) {
        Some(err) => Err(err),
        None => Ok(done),
    }
}

/// The layers every environment shares: each chart's defaults under its name, then the base file.
fn shared_values(charts: &[CompiledChart], base: Option<SourceRef>) -> Result<Values, Error> {
    let mut shared = Values::default();
    for chart in charts {
        let name = chart.chart.meta.name.as_str();
        shared.apply_toml(LayerKind::Chart(name.to_string()), chart.defaults.clone(), &[name])?;
    }
    if let Some(base) = base {
        shared.apply_toml(LayerKind::Base, base, &[])?;
    }
    Ok(shared)
}
