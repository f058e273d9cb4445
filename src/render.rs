//! Templates of one chart: loaded and compiled once, rendered per
//! environment into output files that are checked to be valid YAML.
//! Files and folders starting with `_` are partials, never output.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use crate::error::Error;
use crate::filters::{self, YAML_ESCAPE};
use crate::project::{Chart, ChartMeta};
use crate::source::{Source, SourceRef};
use crate::yaml::{self, Node};

/// Upper bound on template instructions per render, so a runaway loop in a
/// chart ends with an error instead of hanging CI.
const FUEL: u64 = 20_000_000;

/// What templates see besides `values`: the environment being rendered.
#[derive(Debug, Clone, Serialize)]
pub struct EnvContext {
    /// The environment's name (its file stem).
    pub name: String,
    /// `k3d`, `eks`, `gke` or `aks`.
    pub provider: String,
    /// Kubernetes minor version, e.g. `1.31`.
    pub kubernetes: String,
}

/// One rendered output file.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedFile {
    /// Path relative to the environment's output folder, `/`-separated.
    pub path: String,
    /// The template it came from, relative to the project root.
    pub template: String,
    /// The file's full text, starting with the `# Source:` line.
    pub content: String,
    /// Its YAML documents, each a mapping, with spans into `content`.
    pub documents: Vec<Node>,
}

/// A chart's compiled templates.
pub struct ChartTemplates {
    meta: ChartMeta,
    env: Environment<'static>,
    /// Template names that produce output, in name order.
    outputs: Vec<String>,
    sources: BTreeMap<String, SourceRef>,
    rel_templates: String,
}

impl ChartTemplates {
    /// Reads and compiles every template under the chart's `templates/`.
    pub fn load(chart: &Chart) -> Result<ChartTemplates, Error> {
        let dir = chart.dir.join("templates");
        if let Err(source) = std::fs::read_dir(chart.confine.resolve(&dir)?) {
            return Err(Error::Io { path: dir, source });
        }
        // Sorted: templates compile and render in a fixed order. Listed and
        // read through the project's confinement: a template that is a link
        // out of the project is refused, not rendered.
        let names: Vec<String> = chart
            .confine
            .list_files(&dir)?
            .into_iter()
            .filter(|name| !name.rsplit('/').next().unwrap_or(name).starts_with('.'))
            .collect();
        let mut env = template_env();
        let rel_templates = format!("{}/templates", chart.rel_dir.trim_end_matches('/'));
        let mut sources = BTreeMap::new();
        let mut errors = Vec::new();
        for name in &names {
            let mut source = chart.confine.read(&dir.join(name))?;
            Arc::get_mut(&mut source).expect("fresh").name = format!("{rel_templates}/{name}");
            if let Err(err) = env.add_template_owned(name.clone(), source.text.clone()) {
                errors.push(template_error(&err, &source));
            }
            sources.insert(name.clone(), source);
        }
        if let Some(err) = Error::collect(errors) {
            return Err(err);
        }
        let outputs = names
            .into_iter()
            .filter(|n| !is_partial(n) && Path::new(n).extension().is_some_and(|e| e == "j2"))
            .collect();
        Ok(ChartTemplates { meta: chart.meta.clone(), env, outputs, sources, rel_templates })
    }

    /// Renders every output template for one environment.
    pub fn render(&self, values: &serde_json::Value, env: &EnvContext) -> Result<Vec<RenderedFile>, Error> {
        let ctx = context(values, env, &self.meta);
        let mut files = Vec::with_capacity(self.outputs.len());
        let mut errors = Vec::new();
        for name in &self.outputs {
            let template_path = format!("{}/{name}", self.rel_templates);
            let rendered = self
                .env
                .get_template(name)
                .and_then(|t| t.render(&ctx))
                .map_err(|err| self.with_suggestion(template_error(&err, &self.sources[name]), values, env));
            let output_path = output_file(name).to_string();
            match rendered.and_then(|text| finish(&env.name, &output_path, &template_path, &self.sources[name], &text))
            {
                Ok(Some((content, documents))) => {
                    files.push(RenderedFile { path: output_path, template: template_path, content, documents });
                }
                Ok(None) => {}
                Err(err) => errors.push(err),
            }
        }
        match Error::collect(errors) {
            Some(err) => Err(err),
            None => Ok(files),
        }
    }

    /// The source of the template named by its path from the project root
    /// (`charts/postgres/templates/x.yaml.j2`), if it is one of this chart's.
    pub fn source_named(&self, path: &str) -> Option<&SourceRef> {
        let name = path.strip_prefix(self.rel_templates.as_str())?.strip_prefix('/')?;
        self.sources.get(name)
    }

    /// The chart's name.
    pub fn chart_name(&self) -> &str {
        &self.meta.name
    }

    /// Every output template as (output path, template path), in name order.
    pub fn output_paths(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.outputs.iter().map(|name| (output_file(name).to_string(), format!("{}/{name}", self.rel_templates)))
    }
}

/// The sandboxed template engine every chart renders with: strict
/// undefined values, YAML auto-escape, pgrender's filters and a fuel limit
/// (minijinja also bounds recursion), and no loader, so templates reach
/// nothing but what they are given.
pub fn template_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("default delimiters are valid"),
    );
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(|_| AutoEscape::Custom(YAML_ESCAPE.into()));
    filters::register(&mut env);
    env
}

/// Renders one template text with `values` as a chart would, including the
/// output checks; `None` when it renders no object. For tests and fuzzing
/// of the engine without a project on disk.
pub fn render_text(template: &str, values: &serde_json::Value, env: &EnvContext) -> Result<Option<String>, Error> {
    let source = Source::new("template.yaml.j2", template);
    let mut engine = template_env();
    engine.add_template_owned("template.yaml.j2", template.to_string()).map_err(|e| template_error(&e, &source))?;
    let meta = ChartMeta { name: "chart".into(), version: "0.0.0".into(), description: String::new() };
    let ctx = context(values, env, &meta);
    let text = engine
        .get_template("template.yaml.j2")
        .and_then(|t| t.render(&ctx))
        .map_err(|e| template_error(&e, &source))?;
    Ok(finish(&env.name, "template.yaml", "template.yaml.j2", &source, &text)?.map(|(content, _)| content))
}

/// What templates see: `values`, `env` and `chart`.
fn context(values: &serde_json::Value, env: &EnvContext, meta: &ChartMeta) -> minijinja::Value {
    minijinja::context! {
        values => minijinja::Value::from(Serde(values)),
        env => minijinja::Value::from(Serde(env)),
        chart => minijinja::Value::from(Serde(meta)),
    }
}

/// The output file of template `name`: its path with `.j2` dropped.
fn output_file(name: &str) -> &str {
    name.strip_suffix(".j2").unwrap_or(name)
}

fn is_partial(name: &str) -> bool {
    name.split('/').any(|part| part.starts_with('_'))
}

/// A minijinja error as a diagnostic-carrying [`Error`], pointing into the
/// template where it happened (which may be a partial, not `fallback`).
fn template_error(err: &minijinja::Error, fallback: &SourceRef) -> Error {
    let file = match err.name() {
        Some(name) if !fallback.name.ends_with(name) => {
            let partial = fallback.name.rsplit_once("/templates/").map(|(dir, _)| format!("{dir}/templates/{name}"));
            err.template_source().map(|text| Source::new(partial.unwrap_or_else(|| name.to_string()), text))
        }
        _ => Some(fallback.clone()),
    };
    let span = err.range().or_else(|| {
        let line = err.line()?;
        let text = &file.as_ref()?.text;
        let start: usize = text.split_inclusive('\n').take(line - 1).map(str::len).sum();
        let len = text[start..].find('\n').unwrap_or(text.len() - start);
        Some(start..start + len)
    });
    let text = file.as_ref().map_or("", |f| f.text.as_str());
    let (message, span) = crate::template_words::reword(err.kind(), err.detail(), text, span);
    Error::Template { file, span, message, help: None }
}

impl ChartTemplates {
    /// For an undefined `values.a.b`, suggests the closest key that does
    /// exist; the context is turned into JSON only on this error path.
    fn with_suggestion(&self, mut err: Error, values: &serde_json::Value, env: &EnvContext) -> Error {
        if let Error::Template { file: Some(file), span: Some(span), message, help } = &mut err
            && message.starts_with("undefined")
            && let Some(expr) = file.text.get(span.clone())
        {
            let env_json = serde_json::to_value(env).unwrap_or_default();
            let chart_json = serde_json::to_value(&self.meta).unwrap_or_default();
            *help = suggest(expr.trim(), &[("values", values), ("env", &env_json), ("chart", &chart_json)]);
        }
        err
    }
}

fn suggest(expr: &str, roots: &[(&str, &serde_json::Value)]) -> Option<String> {
    let parts: Vec<&str> = expr.split('.').map(str::trim).collect();
    if parts.len() < 2 || parts.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_alphanumeric() || c == '_')) {
        return None;
    }
    let (_, root) = roots.iter().find(|(name, _)| *name == parts[0])?;
    let mut node = *root;
    for (depth, part) in parts.iter().enumerate().skip(1) {
        let Some(next) = node.get(part) else {
            let keys = node.as_object()?.keys().map(String::as_str);
            let best = crate::error::did_you_mean(part, keys)?;
            return Some(format!("did you mean `{}.{best}`?", parts[..depth].join(".")));
        };
        node = next;
    }
    None
}

/// Normalises a rendered template into the output file's text and its
/// parsed documents: the `# Source:` line, empty documents dropped, every
/// document a YAML mapping. `None` when nothing but whitespace and comments
/// remains.
fn finish(
    env: &str,
    path: &str,
    template: &str,
    template_source: &SourceRef,
    text: &str,
) -> Result<Option<(String, Vec<Node>)>, Error> {
    let mut documents: Vec<&str> = Vec::new();
    let mut current_start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if is_separator(line) {
            documents.push(&text[current_start..offset]);
            current_start = offset + line.len();
        }
        offset += line.len();
    }
    documents.push(&text[current_start..]);
    let kept: Vec<Cow<'_, str>> = documents
        .into_iter()
        .map(|d| d.trim_matches('\n'))
        .filter(|d| has_content(d))
        .map(yaml::standalone::settle)
        .collect();
    if kept.is_empty() {
        return Ok(None);
    }
    let mut content = format!("# Source: {template}\n");
    let mut starts = Vec::with_capacity(kept.len());
    for (i, doc) in kept.iter().enumerate() {
        if i > 0 {
            content.push_str("---\n");
        }
        starts.push(content.len());
        // YAML's white space only: a plain scalar may end in U+2002 (`toyaml` writes one).
        content.push_str(doc.trim_end_matches(YAML_SPACE));
        content.push('\n');
    }
    let mut nodes = Vec::with_capacity(kept.len());
    for (doc, start) in kept.iter().zip(starts) {
        // The document as the file holds it, its line end included.
        let end = start + doc.trim_end_matches(YAML_SPACE).len() + 1;
        if let Ok(node) = yaml::parse_object(&content[start..end], start) {
            nodes.push(node);
            continue;
        }
        let (at, message) = explain(doc);
        let rendered = Source::new(format!("{env}/{path} (rendered)"), content.clone());
        let offset = (start + at).min(content.len());
        let line_end = content[offset..].find('\n').map_or(content.len(), |n| offset + n);
        let mut template = template.to_string();
        if let Some(line) = guess_template_line(&template_source.text, content[..line_end].lines().last().unwrap_or(""))
        {
            template = format!("{template}:{line}");
        }
        return Err(Error::Output {
            rendered,
            span: offset..line_end.max(offset + 1).min(content.len()),
            message,
            template,
        });
    }
    Ok(Some((content, nodes)))
}

/// Why `doc` is not a Kubernetes object, and where in it, in `serde_yaml`'s
/// words: parsed a second time, on this error path only.
fn explain(doc: &str) -> (usize, String) {
    match serde_yaml::from_str::<serde_yaml::Value>(doc) {
        Err(err) => {
            let at = err.location().map_or(0, |l| l.index());
            // serde_yaml appends a position relative to the document; ours is the file's.
            let message = err.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            (at, message)
        }
        Ok(_) => (0, "expected a Kubernetes object (a YAML mapping)".to_string()),
    }
}

/// What YAML counts as white space and line breaks.
const YAML_SPACE: [char; 4] = [' ', '\t', '\n', '\r'];

fn is_separator(line: &str) -> bool {
    let rest = line.trim_end();
    rest == "---" || rest.starts_with("--- #")
}

fn has_content(doc: &str) -> bool {
    doc.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })
}

/// The template line that most likely produced `rendered_line`: the only
/// line whose literal text before the first tag starts it.
pub fn guess_template_line(template: &str, rendered_line: &str) -> Option<usize> {
    let wanted = rendered_line.trim();
    let mut hits = template.lines().enumerate().filter(|(_, line)| {
        let literal = line.split("{{").next().unwrap_or("").split("{%").next().unwrap_or("").trim();
        literal.len() >= 3 && wanted.starts_with(literal)
    });
    let first = hits.next()?;
    hits.next().is_none().then_some(first.0 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tpl() -> SourceRef {
        Source::new("t.yaml.j2", "a: 1\nbad: {{ x }}\n")
    }

    #[test]
    fn drops_empty_documents_and_adds_the_source_line() {
        let (content, _) =
            finish("local", "x.yaml", "t.yaml.j2", &tpl(), "\n---\n# only a comment\n---\na: 1\n\n\n---\nb: 2\n")
                .unwrap()
                .unwrap();
        assert_eq!(content, "# Source: t.yaml.j2\na: 1\n---\nb: 2\n");
    }

    #[test]
    fn documents_are_parsed_with_spans_into_the_file() {
        let (content, documents) =
            finish("local", "x.yaml", "t.yaml.j2", &tpl(), "a: 1\n---\nb: é\nc: [2]\n").unwrap().unwrap();
        assert_eq!(documents.len(), 2);
        let c = documents[1].entry("c").unwrap();
        assert_eq!(&content[c.key_span.clone()], "c");
        assert_eq!(&content[c.value.span.clone()], "[2]");
        assert_eq!(&content[documents[1].get("b").unwrap().span.clone()], "é");
    }

    #[test]
    fn unicode_space_that_ends_a_document_is_kept() {
        // Found by the property test `go_yaml_reads_any_rendered_string_as_itself`.
        let (content, documents) = finish("local", "x.yaml", "t.yaml.j2", &tpl(), "a: x\u{2002}\n").unwrap().unwrap();
        assert_eq!(content, "# Source: t.yaml.j2\na: x\u{2002}\n");
        assert_eq!(documents[0].get("a").unwrap().as_str(), Some("x\u{2002}"));
    }

    #[test]
    fn all_empty_output_means_no_file() {
        assert!(finish("local", "x.yaml", "t.yaml.j2", &tpl(), "\n  \n# nothing\n").unwrap().is_none());
    }

    #[test]
    fn invalid_yaml_names_the_rendered_line_and_template() {
        let err = finish("local", "x.yaml", "t.yaml.j2", &tpl(), "a: 1\nbad: [unclosed\n").unwrap_err();
        let Error::Output { rendered, span, template, message } = err else { panic!() };
        assert_eq!(rendered.name, "local/x.yaml (rendered)");
        assert!(rendered.line_col(span.start).0 >= 2);
        assert_eq!(template, "t.yaml.j2:2");
        assert_eq!(message, "did not find expected ',' or ']'");
    }

    #[test]
    fn a_later_document_that_is_no_object_is_named_at_its_line() {
        let err = finish("local", "x.yaml", "t.yaml.j2", &tpl(), "a: 1\n---\n- x\n").unwrap_err();
        let Error::Output { rendered, span, message, .. } = err else { panic!() };
        assert_eq!(rendered.line_col(span.start), (4, 1));
        assert_eq!(message, "expected a Kubernetes object (a YAML mapping)");
    }

    #[test]
    fn suggests_the_key_an_undefined_name_probably_meant() {
        let values = serde_json::json!({"storage": {"size": "5Gi", "className": "gp3"}});
        let roots = [("values", &values)];
        assert_eq!(
            suggest("values.storage.classNmae", &roots).as_deref(),
            Some("did you mean `values.storage.className`?")
        );
        assert_eq!(suggest("values.storage.zzz", &roots), None);
        assert_eq!(suggest("values.storage.size | quote", &roots), None);
    }

    #[test]
    fn scalars_are_not_objects() {
        assert!(finish("local", "x.yaml", "t", &tpl(), "just text\n").is_err());
    }
}
