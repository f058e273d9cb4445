//! The one printer for every located problem: TOML, schema, template and
//! output errors all become a [`Diagnostic`] and print the same way —
//! `path:line:col`, the source line, a caret and what was expected.

use std::ops::Range;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Origin, Padding, Renderer, Snippet};

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
        let message = clipped(&self.message);
        let mut title = level.clone().primary_title(message);
        if let Some(code) = &self.code {
            title = title.id(code);
        }
        let excerpt = self.label.as_ref().map(|label| (label, Excerpt::of(label)));
        let mut report = Vec::new();
        match &excerpt {
            Some((label, excerpt)) => {
                let snippet = Snippet::source(&excerpt.text)
                    .line_start(excerpt.line)
                    .fold(true)
                    .annotation(AnnotationKind::Primary.span(excerpt.span.clone()).label(clipped(&label.text)));
                if excerpt.starts_in_line {
                    // The printer would count the column from the cut, so the
                    // location is given on its own and the snippet follows.
                    let origin = Origin::path(&label.source.name).line(excerpt.line).char_column(excerpt.column);
                    report.push(title.element(origin));
                    let mut rest = Group::with_level(level).element(snippet);
                    if !self.notes.is_empty() || self.help.is_some() {
                        rest = rest.element(Padding);
                    }
                    report.push(rest);
                } else {
                    report.push(title.element(snippet.path(&label.source.name)));
                }
            }
            None => report.push(Group::with_title(title)),
        }
        for note in &self.notes {
            report.push(Group::with_title(Level::NOTE.secondary_title(clipped(note))));
        }
        if let Some(help) = &self.help {
            report.push(Group::with_title(Level::HELP.secondary_title(clipped(help))));
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
        let mut out = format!("{severity}: {}", clipped(&self.message));
        for note in &self.notes {
            out.push_str("\nnote: ");
            out.push_str(&clipped(note));
        }
        if let Some(help) = &self.help {
            out.push_str("\nhelp: ");
            out.push_str(&clipped(help));
        }
        out
    }
}

/// Bytes of the source line shown before the start of a span, and from
/// its start on: a snippet is a bounded slice of one line, however long
/// the line or the span.
const BEFORE_SPAN: usize = 80;
const FROM_SPAN: usize = 160;

/// What the printer shows of a label's source: part of the span's first line.
struct Excerpt {
    /// The slice, with `...` where the line goes on.
    text: String,
    /// Whether the slice starts after the start of its line.
    starts_in_line: bool,
    /// The span within `text`.
    span: Range<usize>,
    /// 1-based line and column of the span's start in the whole source.
    line: usize,
    column: usize,
}

impl Excerpt {
    fn of(label: &Label) -> Excerpt {
        let source = &label.source.text;
        let span = clamp_span(source, &label.span);
        let position = label.source.position(span.start);
        let start = floor_char_boundary(source, span.start.saturating_sub(BEFORE_SPAN).max(position.line_start));
        let limit = floor_char_boundary(source, (span.start + FROM_SPAN).min(source.len()));
        let (end, line_goes_on) = match source[span.start..limit].find('\n') {
            Some(i) => (span.start + i, false),
            None => (limit, limit < source.len() && !source[limit..].starts_with('\n')),
        };
        let starts_in_line = start > position.line_start;
        let mut text = String::new();
        if starts_in_line {
            text.push_str("...");
        }
        let shift = text.len();
        text.push_str(&source[start..end]);
        if line_goes_on {
            text.push_str("...");
        }
        let span = shift + span.start - start..shift + span.end.min(end) - start;
        Excerpt { text, starts_in_line, span, line: position.line, column: position.column }
    }
}

/// At most this many characters of a message, note or label are printed.
const MAX_TEXT: usize = 2000;

/// `text`, cut to [`MAX_TEXT`] characters.
fn clipped(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_TEXT) {
        Some((end, _)) => format!("{}... ({} more bytes)", &text[..end], text.len() - end).into(),
        None => text.into(),
    }
}

/// `value` displayed, cut to `max` characters: values and keys quoted in
/// messages come from the input and may be megabytes long. Formatting
/// stops at the cut, so a huge value costs no more than a short one.
pub fn shortened(value: &impl std::fmt::Display, max: usize) -> String {
    struct Bounded {
        text: String,
        room: usize,
        cut: bool,
    }
    impl std::fmt::Write for Bounded {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = s.char_indices().nth(self.room).map(|(i, _)| i);
            let taken = &s[..end.unwrap_or(s.len())];
            self.text.push_str(taken);
            self.room -= taken.chars().count();
            if end.is_some() {
                self.cut = true;
                return Err(std::fmt::Error);
            }
            Ok(())
        }
    }
    let mut out = Bounded { text: String::new(), room: max, cut: false };
    let _ = std::fmt::write(&mut out, format_args!("{value}"));
    if out.cut {
        out.text.push_str("...");
    }
    out.text
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
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

/// At most this many problems of one failure are built into diagnostics
/// and printed; the rest are only counted, so a file with a million
/// problems costs about as much to report as a file with fifty.
pub const MAX_SHOWN: usize = 50;

/// The problems of one failure: the first [`MAX_SHOWN`] as diagnostics,
/// the rest counted.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    /// The problems built in full, in the order found.
    pub shown: Vec<Diagnostic>,
    /// How many more were found.
    pub omitted: usize,
}

impl Problems {
    /// Records a problem; `build` runs only while fewer than [`MAX_SHOWN`] are kept.
    pub fn push_with(&mut self, build: impl FnOnce() -> Diagnostic) {
        if self.shown.len() < MAX_SHOWN {
            self.shown.push(build());
        } else {
            self.omitted += 1;
        }
    }

    /// How many problems were found.
    pub fn total(&self) -> usize {
        self.shown.len() + self.omitted
    }

    /// Whether none were found.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
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
    fn a_snippet_is_a_bounded_slice_of_one_line_with_the_true_column() {
        let line = format!("{}key = 1{}", "x".repeat(5000), "y".repeat(5000));
        let src = Source::new("big.toml", format!("first\n{line}\nlast\n"));
        let out = Diagnostic::error("unknown key").at(&src, 6 + 5000..6 + 5003, "here").note("n").render(false);
        assert!(out.contains("big.toml:2:5001"), "{out}");
        assert!(out.contains(&format!("2 | ...{}key = 1yyy", "x".repeat(80))), "{out}");
        assert!(out.contains("yyy...\n"), "{out}");
        assert!(out.lines().all(|l| l.len() < 300), "{out}");
        let whole = Diagnostic::error("e").at(&src, 0..src.text.len(), "all").render(false);
        assert!(!whole.contains("last") && whole.lines().all(|l| l.len() < 300), "{whole}");
    }

    #[test]
    fn shortened_stops_formatting_at_the_cut() {
        assert_eq!(shortened(&"abcdef", 3), "abc...");
        assert_eq!(shortened(&"abc", 3), "abc");
        assert_eq!(shortened(&serde_json::json!(["é".repeat(10)]), 4), "[\"éé...");
    }

    #[test]
    fn only_the_first_problems_are_built() {
        let mut problems = Problems::default();
        let mut built = 0;
        for _ in 0..MAX_SHOWN + 7 {
            problems.push_with(|| {
                built += 1;
                Diagnostic::error("e")
            });
        }
        assert_eq!(
            (built, problems.shown.len(), problems.omitted, problems.total()),
            (MAX_SHOWN, MAX_SHOWN, 7, MAX_SHOWN + 7)
        );
    }

    #[test]
    fn out_of_range_spans_do_not_panic() {
        let src = Source::new("x", "é");
        let d = Diagnostic::error("e").at(&src, 1..99, "here");
        assert!(d.render(false).contains('x'));
    }
}
