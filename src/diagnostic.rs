//! The one printer for every located problem: TOML, schema, template and
//! output errors all become a [`Diagnostic`] and print the same way —
//! `path:line:col`, the source line, a caret and what was expected.

use std::io::IsTerminal;
use std::ops::Range;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::source::SourceRef;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Printed, but fails nothing on its own.
    Warning,
    /// Fails the command.
    Error,
}

/// A place in a source text, with what to say about it.
#[derive(Debug, Clone)]
pub struct Label {
    /// The text the span points into.
    pub source: SourceRef,
    /// Byte range in `source.text`.
    pub span: Range<usize>,
    /// Shown under the caret.
    pub text: String,
}

/// A problem to show the user, optionally pointing into a source.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One-line summary.
    pub message: String,
    /// Where it happened; `None` for problems with no source position.
    pub label: Option<Label>,
    /// Extra lines printed after the snippet (`note:`).
    pub notes: Vec<String>,
    /// A suggestion (`help:`).
    pub help: Option<String>,
    /// A stable code shown as `error[CODE]`, e.g. the ID of an output check.
    pub code: Option<String>,
}

impl Diagnostic {
    /// An error with no source position.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            label: None,
            notes: Vec::new(),
            help: None,
            code: None,
        }
    }

    /// A warning with no source position.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(message) }
    }

    /// Sets the code shown as `error[CODE]`.
    #[must_use]
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Points the diagnostic at `span` of `source`.
    #[must_use]
    pub fn at(mut self, source: &SourceRef, span: Range<usize>, text: impl Into<String>) -> Self {
        self.label = Some(Label { source: source.clone(), span, text: text.into() });
        self
    }

    /// Adds a `note:` line.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the `help:` line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `path:line:col` of the primary label, if any.
    pub fn location(&self) -> Option<String> {
        self.label.as_ref().map(|label| {
            let (line, col) = label.source.line_col(label.span.start);
            format!("{}:{line}:{col}", label.source.name)
        })
    }

    /// Renders the diagnostic, with colour when `styled`.
    pub fn render(&self, styled: bool) -> String {
        if self.label.is_none() && !styled {
            return self.render_plain_text();
        }
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut title = level.primary_title(&self.message);
        if let Some(code) = &self.code {
            title = title.id(code);
        }
        let group = match &self.label {
            Some(label) => {
                let text = &label.source.text;
                let span = clamp_span(text, &label.span);
                // Only the lines the span covers go to the printer, so a
                // diagnostic in a huge file costs no more than in a small one.
                let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
                let end = text[span.end..].find('\n').map_or(text.len(), |i| span.end + i);
                let first_line = label.source.line_col(start).0;
                title.element(
                    Snippet::source(&text[start..end])
                        .line_start(first_line)
                        .path(&label.source.name)
                        .fold(true)
                        .annotation(
                            AnnotationKind::Primary.span(span.start - start..span.end - start).label(&label.text),
                        ),
                )
            }
            None => Group::with_title(title),
        };
        let mut report = vec![group];
        for note in &self.notes {
            report.push(Group::with_title(Level::NOTE.secondary_title(note)));
        }
        if let Some(help) = &self.help {
            report.push(Group::with_title(Level::HELP.secondary_title(help)));
        }
        let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
        renderer.decor_style(DecorStyle::Ascii).render(&report)
    }
}

impl Diagnostic {
    /// A diagnostic with no snippet, as plain lines (no empty gutter).
    fn render_plain_text(&self) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!("{severity}: {}", self.message);
        for note in &self.notes {
            out.push_str("\nnote: ");
            out.push_str(note);
        }
        if let Some(help) = &self.help {
            out.push_str("\nhelp: ");
            out.push_str(help);
        }
        out
    }
}

/// Keeps a span inside the text and on character boundaries, so a bad
/// offset can never make the printer panic.
fn clamp_span(text: &str, span: &Range<usize>) -> Range<usize> {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Whether stderr should get colour: a terminal, and `NO_COLOR` unset.
pub fn stderr_styled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Prints diagnostics to stderr, separated by blank lines.
pub fn emit(diagnostics: &[Diagnostic]) {
    let styled = stderr_styled();
    for diagnostic in diagnostics {
        eprintln!("{}\n", diagnostic.render(styled));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    #[test]
    fn renders_path_line_col_and_caret() {
        let src = Source::new("environments/eks.toml", "[postgres]\nreplicas = \"two\"\n");
        let d = Diagnostic::error("wrong type").at(&src, 22..27, "expected an integer").help("write replicas = 2");
        let out = d.render(false);
        assert!(out.contains("environments/eks.toml:2:12"), "{out}");
        assert!(out.contains("^^^^^ expected an integer"), "{out}");
        assert!(out.contains("help: write replicas = 2"), "{out}");
        assert_eq!(d.location().as_deref(), Some("environments/eks.toml:2:12"));
    }

    #[test]
    fn diagnostics_without_a_source_are_plain_lines() {
        let d = Diagnostic::error("unknown environment `x`").note("known environments: a").help("did you mean `a`?");
        assert_eq!(
            d.render(false),
            "error: unknown environment `x`\nnote: known environments: a\nhelp: did you mean `a`?"
        );
    }

    #[test]
    fn out_of_range_spans_do_not_panic() {
        let src = Source::new("x", "é");
        let d = Diagnostic::error("e").at(&src, 1..99, "here");
        assert!(d.render(false).contains('x'));
    }
}
