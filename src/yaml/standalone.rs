//! Strings that YAML would read as another type (`yes`, `1_000`, `null`)
//! are quoted only where they stand alone as a scalar. The auto-escape
//! cannot see where a value lands: `team: {{ t }}` makes `t` the whole
//! scalar, but `image: {{ repo }}:{{ tag }}`, a comment or a block scalar
//! (`|`) make it part of a longer text, where quotes would change that
//! text. So it writes such a string between two markers, and once the
//! template has rendered, [`settle`] parses the document and quotes the
//! marked strings that are a whole plain scalar. `toyaml`'s text, which
//! `serde_yaml` quotes by YAML 1.2 alone, gets its YAML 1.1 strings quoted
//! by [`quote_strings`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use super::libyaml::{Event, Parser};
use super::readers::{self, Plain};

/// Opens a marked string. A control character: the auto-escape, `quote`
/// and `toyaml` always escape those in values, so only [`mark`] writes it
/// (and [`settle`] drops any other, which YAML would reject anyway).
const OPEN: char = '\u{2}';
/// Closes a marked string.
const CLOSE: char = '\u{3}';

/// `s` marked for [`settle`] to decide; `s` itself must hold no control character.
pub fn mark(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(OPEN);
    out.push_str(s);
    out.push(CLOSE);
    out
}

/// One rendered YAML document with its marks resolved: a marked string
/// that is a whole plain scalar becomes a double-quoted string, any other
/// is written as it is.
pub fn settle(doc: &str) -> Cow<'_, str> {
    if !doc.contains([OPEN, CLOSE]) {
        return Cow::Borrowed(doc);
    }
    let (text, marks) = unmark(doc);
    let scalars = plain_scalars(&text);
    let mut out = String::with_capacity(text.len() + 2 * marks.len());
    let mut done = 0;
    for mark in marks {
        if mark.start >= done && scalars.get(&mark.end).is_some_and(|value| *value == text[mark.clone()]) {
            out.push_str(&text[done..mark.start]);
            out.push_str(&serde_json::Value::from(&text[mark.clone()]).to_string());
            done = mark.end;
        }
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

/// `s` without its marks: what a filter of captured text (a macro's
/// output) works on, and what a template would compare.
pub fn strip(s: &str) -> Cow<'_, str> {
    if s.contains([OPEN, CLOSE]) { Cow::Owned(unmark(s).0) } else { Cow::Borrowed(s) }
}

/// YAML text that `serde_yaml` wrote with every plain string that some
/// reader types otherwise (`yes`, `1_000`) double-quoted. `serde_yaml`
/// already quotes a string that YAML 1.2 would type, so a plain scalar
/// that YAML 1.2 reads as a string was a string.
pub fn quote_strings(yaml: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut done = 0;
    for (end, value) in plain_scalars(yaml) {
        let Some(start) = end.checked_sub(value.len()) else { continue };
        let misread = readers::core(&value) == Plain::Str && !readers::reads_as_itself(&value);
        if misread && yaml.get(start..end) == Some(value.as_str()) {
            out.push_str(&yaml[done..start]);
            out.push_str(&serde_json::Value::from(value).to_string());
            done = end;
        }
    }
    if done == 0 {
        return Cow::Borrowed(yaml);
    }
    out.push_str(&yaml[done..]);
    Cow::Owned(out)
}

/// The text without its markers, and the ranges that pairs of them
/// enclosed, outer before inner. Marks nest when a filter of marked text
/// marks its own argument (`replace('y', 'Y')`); a marker without its pair
/// is dropped.
fn unmark(doc: &str) -> (String, Vec<Range<usize>>) {
    let mut text = String::with_capacity(doc.len());
    let mut marks = Vec::new();
    let mut open = Vec::new();
    for c in doc.chars() {
        match c {
            OPEN => open.push(text.len()),
            CLOSE => {
                if let Some(start) = open.pop() {
                    marks.push(start..text.len());
                }
            }
            c => text.push(c),
        }
    }
    marks.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    (text, marks)
}

/// The plain scalars of `text`, up to its first syntax error, by where
/// they end. (A scalar's span starts at its anchor or tag, if any: a
/// marked string is the whole scalar when it ends there and is its value.)
fn plain_scalars(text: &str) -> BTreeMap<usize, String> {
    let mut parser = Parser::new(text);
    let mut spans = BTreeMap::new();
    while let Ok((event, span)) = parser.next_event() {
        match event {
            Event::Scalar(scalar) if scalar.plain => {
                spans.insert(span.end, scalar.value);
            }
            Event::StreamEnd => break,
            _ => {}
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settled(template: &str, value: &str) -> String {
        settle(&template.replace("{}", &mark(value))).into_owned()
    }

    #[test]
    fn a_whole_scalar_is_quoted() {
        assert_eq!(settled("team: {}\n", "yes"), "team: \"yes\"\n");
        assert_eq!(settled("a: [{}, x]\n", "1_000"), "a: [\"1_000\", x]\n");
        assert_eq!(settled("a: {k: {}}\n", "on"), "a: {k: \"on\"}\n");
        assert_eq!(settled("- {}\n", "null"), "- \"null\"\n");
        assert_eq!(settled("{}: 1\n", "no"), "\"no\": 1\n");
        assert_eq!(settled("a: &x {}  # c\n", "~"), "a: &x \"~\"  # c\n");
        assert_eq!(settled("a: !!str {}\n", "~"), "a: !!str \"~\"\n");
        assert_eq!(settled("a: x\n  {}\n", "yes"), "a: x\n  yes\n");
    }

    #[test]
    fn part_of_a_longer_text_is_left_alone() {
        assert_eq!(settled("image: postgres:{}\n", "16"), "image: postgres:16\n");
        assert_eq!(settled("a: b {}\n", "yes"), "a: b yes\n");
        assert_eq!(settled("# say {}\na: 1\n", "yes"), "# say yes\na: 1\n");
        assert_eq!(settled("a: |\n  on = {}\n", "true"), "a: |\n  on = true\n");
        assert_eq!(settled("a: \"x {}\"\n", "1"), "a: \"x 1\"\n");
        assert_eq!(settled("a: {}{}\n", "1"), "a: 11\n");
    }

    #[test]
    fn unmarked_text_is_borrowed_and_stray_markers_go() {
        assert!(matches!(settle("a: yes\n"), Cow::Borrowed("a: yes\n")));
        assert_eq!(settle("a: \u{2}x\n"), "a: x\n");
        assert_eq!(settle("a: \u{3}x\u{2}\n"), "a: x\n");
        assert_eq!(settle("a: \u{2}\u{2}1\u{3}\n"), "a: \"1\"\n");
    }

    #[test]
    fn nested_marks_are_decided_from_the_outside() {
        assert_eq!(settle("a: \u{2}\u{2}Y\u{3}es\u{3}\n"), "a: \"Yes\"\n");
        assert_eq!(settle("a: x\u{2}\u{2}Y\u{3}es\u{3}\n"), "a: xYes\n");
        assert_eq!(strip("\u{2}\u{2}Y\u{3}es\u{3}"), "Yes");
    }

    #[test]
    fn serde_yaml_strings_that_yaml_1_1_types_are_quoted() {
        let text = "yes: 1_000\nb: true\nc: '012'\nd:\n- on\n- 16\n- 1.5\n- ~\n- yesterday\n";
        let expected = "\"yes\": \"1_000\"\nb: true\nc: '012'\nd:\n- \"on\"\n- 16\n- 1.5\n- ~\n- yesterday\n";
        assert_eq!(quote_strings(text), expected);
        assert!(matches!(quote_strings("a: b\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn after_a_syntax_error_nothing_is_quoted() {
        assert_eq!(settled("a: [}\nb: {}\n", "yes"), "a: [}\nb: yes\n");
    }
}
