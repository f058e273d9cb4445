//! Template errors said in the chart user's words: a failed `required`
//! shows the chart author's message alone, pointing at `required`; an
//! undefined value piped into a filter names the value, not the filter.

use std::ops::Range;

/// The message and span to show for a template error of `kind` with
/// `detail`, whose span (if any) points into `text`.
pub fn reword(
    kind: minijinja::ErrorKind,
    detail: Option<&str>,
    text: &str,
    span: Option<Range<usize>>,
) -> (String, Option<Range<usize>>) {
    let plain = match detail {
        Some(detail) => format!("{kind}: {detail}"),
        None => kind.to_string(),
    };
    let Some(span) = span.filter(|s| text.get(s.clone()).is_some()) else { return (plain, None) };
    let shown = &text[span.clone()];
    match kind {
        minijinja::ErrorKind::InvalidOperation => {
            if let (Some(at), Some(detail)) = (required_call(shown), detail) {
                let start = span.start + at;
                return (detail.to_string(), Some(start..start + "required".len()));
            }
        }
        minijinja::ErrorKind::UndefinedError => {
            if let Some((expr, filter)) = piped_into(text, &span) {
                let name = &text[expr.clone()];
                return (format!("{kind}: `{name}` is undefined (piped into `{filter}`)"), Some(expr));
            }
        }
        _ => {}
    }
    (plain, Some(span))
}

/// Where `required` is called in `shown` (`required(…)` or a bare `| required`).
fn required_call(shown: &str) -> Option<usize> {
    let at = shown.find("required")?;
    let rest = shown[at + "required".len()..].trim_start();
    (rest.is_empty() || rest.starts_with('(')).then_some(at)
}

/// When `span` is a filter's name after `|`, the span of the expression
/// piped into it (back to `{{`, `(`, `,` or the previous `|`) and the filter's name.
fn piped_into<'t>(text: &'t str, span: &Range<usize>) -> Option<(Range<usize>, &'t str)> {
    let filter = text[span.clone()].trim();
    if filter.is_empty() || !filter.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let before = text[..span.start].trim_end();
    let pipe = before.strip_suffix('|')?;
    let start = pipe.rfind(['{', '(', ',', '|', '\n']).map_or(0, |i| i + 1);
    let expr = &pipe[start..];
    let trimmed = expr.trim();
    if trimmed.is_empty() {
        return None;
    }
    let lead = expr.len() - expr.trim_start().len();
    let begin = start + lead;
    Some((begin..begin + trimmed.len(), filter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::ErrorKind;

    #[test]
    fn a_failed_required_shows_the_authors_message_at_required() {
        let text = "{{ none | required(\"set auth.password on k3d only\") }}";
        let span = text.find("required").unwrap()..text.len() - 3;
        let (message, span) =
            reword(ErrorKind::InvalidOperation, Some("set auth.password on k3d only"), text, Some(span));
        assert_eq!(message, "set auth.password on k3d only");
        assert_eq!(&text[span.unwrap()], "required");
    }

    #[test]
    fn an_undefined_value_piped_into_a_filter_is_named() {
        let text = "v: {{ values.image.tga | quote }}\n";
        let at = text.find("quote").unwrap();
        let (message, span) =
            reword(ErrorKind::UndefinedError, Some("`quote` was given an undefined value"), text, Some(at..at + 5));
        assert_eq!(message, "undefined value: `values.image.tga` is undefined (piped into `quote`)");
        assert_eq!(&text[span.unwrap()], "values.image.tga");
    }

    #[test]
    fn other_errors_keep_minijinja_s_words() {
        let (message, span) =
            reword(ErrorKind::UnknownFilter, Some("filter upperr is unknown"), "{{ x | upperr }}", Some(7..13));
        assert_eq!(message, "unknown filter: filter upperr is unknown");
        assert_eq!(span, Some(7..13));
    }
}
