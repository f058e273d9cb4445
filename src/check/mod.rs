//! Output checks: every rendered object validated against the Kubernetes
//! API of the environment's version, the objects checked against each
//! other, and the rules learnt the hard way running `PostgreSQL` on
//! Kubernetes. Each problem is a [`Finding`] of a `rules::Rule`, shown as
//! a diagnostic pointing into the rendered file.

pub(crate) mod cross;
mod dns;
mod identity;
pub(crate) mod kube_schema;
mod postgres;
pub(crate) mod replication;
pub(crate) mod report;
pub(crate) mod rules;
pub(crate) mod selectors;
mod workloads;

use std::ops::Range;
use std::path::Path;

use crate::diagnostic::{Diagnostic, Severity};
use crate::environment::Environment;
use crate::error::Error;
use crate::output::RenderedEnv;
use crate::source::{Source, SourceRef, display_path};
use crate::yaml::Node;
pub(crate) use dns::references;

use kube_schema::KubeSchemas;
use rules::Rule;

/// One problem found in an environment's output.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule it breaks.
    pub rule: &'static Rule,
    /// Effective severity (a rule may be milder on some providers).
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// Index of the output file in [`RenderedEnv::files`], when it points into one.
    pub file: Option<usize>,
    /// Byte range in that file's text.
    pub span: Range<usize>,
    /// The object, e.g. `StatefulSet postgresql-prod/postgres`.
    pub object: String,
    /// Field path inside the object, e.g. `spec.replicas`.
    pub field: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Another place the finding involves (file index and span), e.g. the
    /// first of two objects with one identity.
    pub related: Option<(usize, Range<usize>)>,
}

impl Finding {
    /// A finding of `rule` at `span` of `object`'s file, with the rule's default severity.
    pub fn new(rule: &'static Rule, object: &Object<'_>, span: Range<usize>, field: &str, message: String) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            message,
            file: Some(object.file),
            span,
            object: object.display(),
            field: field.to_string(),
            help: None,
            related: None,
        }
    }

    /// Sets the `help:` line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Names a second place the finding involves, at `span` of `object`'s file.
    #[must_use]
    pub fn related(mut self, object: &Object<'_>, span: Range<usize>) -> Self {
        self.related = Some((object.file, span));
        self
    }
}

/// One Kubernetes object of the output: a YAML document of a file.
#[derive(Debug)]
pub struct Object<'a> {
    /// Index of its file in the environment's files.
    pub file: usize,
    /// The file's path in the environment's folder, e.g. `4-database/postgres-service.yaml`.
    pub path: &'a str,
    /// The file's text, which the document's spans point into.
    pub text: &'a str,
    /// The document.
    pub doc: &'a Node,
    /// `apiVersion`.
    pub api_version: &'a str,
    /// `kind`.
    pub kind: &'a str,
    /// `metadata.name`.
    pub name: &'a str,
    /// `metadata.namespace`, if set.
    pub namespace: Option<&'a str>,
    /// The environment's Kubernetes version.
    pub version: &'a str,
}

/// Kinds that live outside namespaces.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "PriorityClass",
    "IngressClass",
    "CustomResourceDefinition",
    "ClusterSecretStore",
];

impl Object<'_> {
    /// `Kind namespace/name`, or `Kind name` for cluster-scoped objects.
    pub fn display(&self) -> String {
        match self.namespace {
            Some(ns) if self.is_namespaced() => format!("{} {ns}/{}", self.kind, self.name),
            _ => format!("{} {}", self.kind, self.name),
        }
    }

    /// Whether the kind lives in a namespace.
    pub fn is_namespaced(&self) -> bool {
        !CLUSTER_SCOPED.contains(&self.kind)
    }
}

/// Runs every check on one rendered environment; findings of disabled rules are dropped.
pub fn check_env(env: &RenderedEnv, settings: &Environment) -> Vec<Finding> {
    let objects = objects(env, &settings.kubernetes);
    let mut findings = Vec::new();
    match KubeSchemas::for_version(&settings.kubernetes) {
        Some(schemas) => objects.iter().for_each(|o| schemas.validate(o, &mut findings)),
        None => findings.push(Finding {
            rule: &rules::K8S_UNVALIDATED,
            severity: Severity::Warning,
            message: format!(
                "no objects were validated: pgrender has no API schemas for Kubernetes {} (it has {})",
                settings.kubernetes,
                kube_schema::supported_versions().join(", ")
            ),
            file: None,
            span: 0..0,
            object: String::new(),
            field: String::new(),
            help: Some("set `kubernetes` in the [environment] table to a supported version".to_string()),
            related: None,
        }),
    }
    cross::check(&objects, settings, &mut findings);
    identity::check(&objects, &mut findings);
    dns::check(&objects, settings, &mut findings);
    workloads::check(&objects, settings, &mut findings);
    replication::check(&objects, &mut findings);
    findings.retain(|f| !settings.disabled.contains_key(f.rule.id));
    findings.sort_by(|a, b| (a.file, a.span.start, a.rule.id).cmp(&(b.file, b.span.start, b.rule.id)));
    findings
}

/// Every document of the environment's files, in apply order.
/// Every object of an environment's files, in apply order; `version` is
/// the Kubernetes version the objects are meant for.
pub fn objects<'a>(env: &'a RenderedEnv, version: &'a str) -> Vec<Object<'a>> {
    let mut objects = Vec::new();
    for (file, rendered) in env.files.iter().enumerate() {
        for doc in &rendered.documents {
            let text = |path: &[&str]| doc.at(path).and_then(Node::as_str).unwrap_or("");
            objects.push(Object {
                file,
                path: &rendered.path,
                text: &rendered.content,
                doc,
                api_version: text(&["apiVersion"]),
                kind: text(&["kind"]),
                name: text(&["metadata", "name"]),
                namespace: doc.at(&["metadata", "namespace"]).and_then(Node::as_str),
                version,
            });
        }
    }
    objects
}

/// Parses `(path, text)` files (documents separated by `---` lines) and
/// hands their objects to `f`: for the checks' unit tests.
#[cfg(test)]
pub(crate) fn test_objects(files: &[(&str, &str)], f: impl FnOnce(&[Object<'_>])) {
    let files = files
        .iter()
        .map(|(path, text)| {
            let mut documents = Vec::new();
            let mut start = 0;
            for (offset, _) in text.match_indices("---\n").chain(std::iter::once((text.len(), ""))) {
                if offset == 0 || text[..offset].ends_with('\n') || offset == text.len() {
                    documents.push(crate::yaml::parse_object(&text[start..offset], start).expect("test YAML parses"));
                    start = offset + 4;
                }
            }
            crate::render::RenderedFile {
                path: (*path).to_string(),
                template: format!("charts/test/templates/{path}.j2"),
                content: (*text).to_string(),
                documents,
            }
        })
        .collect();
    let env = RenderedEnv::new("test".into(), files);
    f(&objects(&env, &test_environment().kubernetes));
}

/// The environment the checks' unit tests run against: EKS, Kubernetes 1.31, nothing outside the tree.
#[cfg(test)]
pub(crate) fn test_environment() -> Environment {
    Environment::from_validated(&serde_json::json!({"provider": "eks", "kubernetes": "1.31"}))
        .expect("a minimal [environment] table deserialises")
}

/// Findings of one environment, with the sources they point into.
#[derive(Debug, Clone)]
pub struct EnvReport {
    /// The environment.
    pub env: String,
    /// One source per output file, named like the file on disk (`k8s-manifests/eks/…`).
    pub sources: Vec<SourceRef>,
    /// The template of each output file: its path, and its text when known.
    pub templates: Vec<(String, Option<SourceRef>)>,
    /// The findings.
    pub findings: Vec<Finding>,
}

impl EnvReport {
    /// Checks `env`, naming its files as they are written under `out`;
    /// `template` finds a template's text by path, to name the template line.
    pub fn new(
        env: &RenderedEnv,
        settings: &Environment,
        out: &Path,
        template: impl Fn(&str) -> Option<SourceRef>,
    ) -> Self {
        let dir = display_path(&out.join(&env.name));
        EnvReport {
            env: env.name.clone(),
            sources: env
                .files
                .iter()
                .map(|f| env.redactor.source(&Source::new(format!("{dir}/{}", f.path), f.content.clone())))
                .collect(),
            templates: env.files.iter().map(|f| (f.template.clone(), template(&f.template))).collect(),
            findings: check_env(env, settings)
                .into_iter()
                .map(|mut f| {
                    f.message = env.redactor.text(&f.message);
                    f
                })
                .collect(),
        }
    }

    /// Whether any finding fails the command (`strict`: warnings too).
    pub fn fails(&self, strict: bool) -> bool {
        self.findings.iter().any(|f| strict || f.severity == Severity::Error)
    }

    /// The findings as diagnostics.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.findings.iter().map(|f| self.diagnostic(f)).collect()
    }

    fn diagnostic(&self, f: &Finding) -> Diagnostic {
        let mut d = match f.severity {
            Severity::Error => Diagnostic::error(f.message.clone()),
            Severity::Warning => Diagnostic::warning(f.message.clone()),
        }
        .code(f.rule.id);
        if let Some(file) = f.file {
            let label = if f.field.is_empty() { f.object.clone() } else { format!("{}: {}", f.object, f.field) };
            d = d.at(&self.sources[file], f.span.clone(), label);
            let template_line = self.template_line(f).map(|l| format!(":{l}")).unwrap_or_default();
            d = d.note(format!("rendered from {}{template_line}", self.templates[file].0));
            if let Some((other, span)) = &f.related {
                let source = &self.sources[*other];
                let (line, col) = source.line_col(span.start);
                let template_line =
                    self.line_in_template(*other, span.start).map(|l| format!(":{l}")).unwrap_or_default();
                d = d.note(format!(
                    "see also {}:{line}:{col}, rendered from {}{template_line}",
                    source.name, self.templates[*other].0
                ));
            }
        } else {
            d = d.note(format!("environment {}", self.env));
        }
        if let Some(help) = &f.help {
            d = d.help(help.clone());
        }
        d.note(format!("{} ({}): {}", f.rule.id, f.rule.title, f.rule.rationale))
    }

    /// The line of the template that most likely produced the finding's line.
    pub fn template_line(&self, f: &Finding) -> Option<usize> {
        self.line_in_template(f.file?, f.span.start)
    }

    /// The template line that most likely produced byte `offset` of output file `file`.
    fn line_in_template(&self, file: usize, offset: usize) -> Option<usize> {
        let text = &self.sources[file].text;
        let start = text[..offset.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
        let line = text[start..].lines().next().unwrap_or("");
        crate::render::guess_template_line(&self.templates[file].1.as_ref()?.text, line)
    }
}

/// Fails when findings fail the command: any error, or any finding under `strict`.
pub fn fail_on_findings(reports: &[EnvReport], strict: bool, consequence: &'static str) -> Result<(), Error> {
    let failing: Vec<&EnvReport> = reports.iter().filter(|r| r.fails(strict)).collect();
    if failing.is_empty() {
        return Ok(());
    }
    let count = |s: Severity| failing.iter().flat_map(|r| &r.findings).filter(|f| f.severity == s).count();
    Err(Error::ChecksFailed {
        envs: failing.iter().map(|r| r.env.clone()).collect(),
        errors: count(Severity::Error),
        strict_warnings: strict.then(|| count(Severity::Warning)),
        consequence,
    })
}

impl<'a> Object<'a> {
    /// The pod spec of a Pod or of a workload's pod template.
    pub fn pod_spec(&self) -> Option<&'a Node> {
        match self.kind {
            "Pod" => self.doc.get("spec"),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                self.doc.at(&["spec", "template", "spec"])
            }
            "CronJob" => self.doc.at(&["spec", "jobTemplate", "spec", "template", "spec"]),
            _ => None,
        }
    }

    /// Containers and init containers of the pod spec, with their field paths.
    pub fn containers(&self) -> Vec<(String, &'a Node)> {
        let Some(spec) = self.pod_spec() else { return Vec::new() };
        let prefix = match self.kind {
            "Pod" => "spec",
            "CronJob" => "spec.jobTemplate.spec.template.spec",
            _ => "spec.template.spec",
        };
        ["initContainers", "containers"]
            .into_iter()
            .flat_map(|list| {
                spec.get(list)
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .map(move |(i, c)| (format!("{prefix}.{list}[{i}]"), c))
            })
            .collect()
    }

    /// `metadata.namespace`, or `default` when unset.
    pub fn namespace_or_default(&self) -> &'a str {
        self.namespace.unwrap_or("default")
    }
}
