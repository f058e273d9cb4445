//! What templates can call beyond minijinja's builtins, and the YAML
//! auto-escape that keeps values from injecting keys or documents.

use base64::Engine as _;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Error, ErrorKind, Output, State};

use crate::yaml::{readers, standalone};

/// The auto-escape mode name used for YAML templates.
pub const YAML_ESCAPE: &str = "yaml";

/// Registers every pgrender filter and function on `env`.
pub fn register(env: &mut minijinja::Environment<'_>) {
    env.add_filter("toyaml", toyaml);
    env.add_filter("b64encode", b64encode);
    env.add_filter("sha256", sha256);
    env.add_filter("quote", quote);
    env.add_filter("required", required);
    env.add_function("required", required);
    env.set_formatter(format_value);
}

/// Writes `{{ value }}` so it is exactly one YAML scalar or flow node.
///
/// Strings that are safe as plain YAML (no newline, `: `, ` #`, flow
/// indicator, leading indicator, surrounding space) are written as-is, so `image: {{ repo }}:{{ tag }}`
/// still works; anything else becomes a double-quoted JSON string, which
/// YAML reads back unchanged. A safe string that a YAML 1.1 or 1.2 reader
/// would take for another type (`yes`, `1_000`) is quoted where it is a
/// whole scalar (see [`standalone`]). Lists and maps become JSON flow collections.
/// `|safe` (and the output of `toyaml`/`quote`) bypasses this.
pub fn format_value(out: &mut Output<'_>, state: &mut State<'_, '_>, value: &Value) -> Result<(), Error> {
    let yaml = matches!(state.auto_escape(), minijinja::AutoEscape::Custom(name) if name == YAML_ESCAPE);
    if !yaml || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = match value.kind() {
        ValueKind::Undefined => {
            return Err(Error::new(ErrorKind::UndefinedError, "cannot print an undefined value"));
        }
        ValueKind::None => "null".to_string(),
        // minijinja prints booleans Python-style (`True`); YAML spells them `true`.
        ValueKind::Bool => value.is_true().to_string(),
        ValueKind::Number => value.to_string(),
        ValueKind::String => {
            // Captured text (a macro's output) that a filter made a new string
            // still has its marks: this string is decided as a whole.
            let s = standalone::strip(value.as_str().unwrap_or_default());
            if !is_plain_safe(&s) {
                json(&Value::from(s.as_ref()))?
            } else if readers::reads_as_itself(&s) {
                s.into_owned()
            } else {
                // Quoted once rendering shows whether it is a whole scalar.
                standalone::mark(&s)
            }
        }
        _ => json(value)?,
    };
    out.write_str(&text).map_err(Error::from)
}

/// Whether `s` can sit in a YAML plain scalar without changing its structure.
pub fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    let indicator = "-?:,[]{}#&*!|>'\"%@`";
    s.trim() == s
        && !indicator.contains(first)
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        // Flow indicators end a plain scalar inside `[...]`/`{...}`, where a
        // template may place the value, so `a, b` there would become two items.
        // Go's YAML (kubectl's, a port of an older libyaml) also ends one at
        // `?` there, and libyaml rejects `:?` ("found unexpected ':'").
        && !s.contains([',', '[', ']', '{', '}', '?'])
        && !s.chars().any(|c| c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}')
}

fn json(value: &Value) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|err| Error::new(ErrorKind::InvalidOperation, err.to_string()))
}

/// `{{ x | toyaml }}` — YAML text of a value; `indent=N` starts a new line
/// and indents every line by N (Helm's `toYaml | nindent N`).
#[allow(clippy::needless_pass_by_value)] // minijinja passes keyword arguments by value
pub fn toyaml(value: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    defined(value, "toyaml")?;
    let indent: usize = kwargs.get::<Option<usize>>("indent")?.unwrap_or(0);
    kwargs.assert_all_used()?;
    let text = serde_yaml::to_string(value).map_err(|err| Error::new(ErrorKind::InvalidOperation, err.to_string()))?;
    let text = standalone::quote_strings(&text);
    let text = text.trim_end_matches('\n');
    if indent == 0 {
        return Ok(Value::from_safe_string(text.to_string()));
    }
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.lines() {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    Ok(Value::from_safe_string(out))
}

/// `{{ s | b64encode }}` — standard base64 of a string's UTF-8 bytes.
pub fn b64encode(value: &Value) -> Result<String, Error> {
    defined(value, "b64encode")?;
    let text = value.as_str().ok_or_else(|| {
        Error::new(ErrorKind::InvalidOperation, format!("`b64encode` encodes a string, not {}", value.kind()))
    })?;
    Ok(base64::engine::general_purpose::STANDARD.encode(standalone::strip(text).as_bytes()))
}

/// `{{ x | sha256 }}` — hex SHA-256 of a string, or of a value's JSON, for
/// checksum annotations that roll pods when configuration changes.
pub fn sha256(value: &Value) -> Result<String, Error> {
    defined(value, "sha256")?;
    let bytes = match value.as_str() {
        Some(s) => standalone::strip(s).as_bytes().to_vec(),
        None => json(value)?.into_bytes(),
    };
    Ok(crate::files::hex_sha256(&bytes))
}

/// `{{ x | quote }}` — always a double-quoted YAML string.
pub fn quote(value: &Value) -> Result<Value, Error> {
    defined(value, "quote")?;
    let text = match value.as_str() {
        Some(s) => standalone::strip(s).into_owned(),
        None => value.to_string(),
    };
    Ok(Value::from_safe_string(json(&Value::from(text))?))
}

/// Refuses an undefined value: a filter must not turn a misspelt name into
/// an empty string (Helm's silent `""`).
fn defined(value: &Value, filter: &str) -> Result<(), Error> {
    if value.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, format!("`{filter}` was given an undefined value")));
    }
    Ok(())
}

/// `{{ x | required("message") }}` — fails the render with `message` when
/// `x` is undefined, none or an empty string.
pub fn required(value: &Value, message: Option<&str>) -> Result<Value, Error> {
    if value.is_undefined() || value.is_none() || value.as_str().is_some_and(str::is_empty) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            message.unwrap_or("a required value is missing").to_string(),
        ));
    }
    Ok(value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::{AutoEscape, Environment, context};

    fn render(template: &str, ctx: minijinja::Value) -> Result<String, Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::Custom(YAML_ESCAPE.into()));
        register(&mut env);
        env.render_str(template, ctx)
    }

    #[test]
    fn plain_values_stay_plain() {
        let out = render(
            "image: {{ repo }}:{{ tag }}\nn: {{ n }}",
            context! { repo => "postgres", tag => "16-alpine", n => 5 },
        );
        assert_eq!(out.unwrap(), "image: postgres:16-alpine\nn: 5");
    }

    #[test]
    fn booleans_are_yaml_booleans() {
        let out = render("a: {{ t }}\nb: {{ f }}", context! { t => true, f => false });
        assert_eq!(out.unwrap(), "a: true\nb: false");
    }

    #[test]
    fn strings_yaml_reads_as_another_type_are_quoted_where_they_are_the_whole_scalar() {
        for value in ["yes", "Off", "y", "~", "1_000", "0b101", "012", "1:20", ".Inf", "1e5", "=", "<<", "16"] {
            let out = render("team: {{ v }}\nimage: postgres:{{ v }}\n# {{ v }}", context! { v => value }).unwrap();
            let quoted = serde_json::to_string(value).unwrap();
            let expected = format!("team: {quoted}\nimage: postgres:{value}\n# {value}");
            assert_eq!(crate::yaml::standalone::settle(&out), expected);
        }
        let out = render("a: {{ v }}", context! { v => "yesterday" }).unwrap();
        assert_eq!(out, "a: yesterday");
    }

    #[test]
    fn a_colon_before_a_question_mark_is_quoted_inside_brackets() {
        // Found by the property test `any_string_value_reaches_the_yaml_unchanged`.
        for value in ["a:?b", "\u{bf}\u{1e95e}\u{3146}\u{1f574}\u{fdcf}\u{ac3}*\"O\"=>:?\u{546}\u{1affe}^"] {
            let out = render("t: [{{ v }}]", context! { v => value }).unwrap();
            let parsed: serde_yaml::Value = serde_yaml::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"));
            assert_eq!(parsed["t"], serde_yaml::Value::from(vec![value]), "{out}");
        }
    }

    #[test]
    fn flow_indicators_cannot_split_a_value_inside_brackets() {
        let out = render("k: [{{ v }}]", context! { v => "a, b" }).unwrap();
        let parsed: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(parsed["k"], serde_yaml::Value::from(vec!["a, b"]), "{out}");
    }

    #[test]
    fn hostile_strings_are_quoted() {
        for evil in ["a\nb: c", "x: y", "--- \nkind: Secret", "a #b", "*alias", "- item", "", " pad", "{a: 1}"] {
            let out = render("k: {{ v }}", context! { v => evil }).unwrap();
            let parsed: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
            assert_eq!(parsed["k"], serde_yaml::Value::from(evil), "{out}");
        }
    }

    #[test]
    fn collections_render_as_flow_and_safe_bypasses() {
        let out = render("a: {{ xs }}\nb: {{ raw | safe }}", context! { xs => vec!["x", "y: z"], raw => "[1, 2]" });
        assert_eq!(out.unwrap(), "a: [\"x\",\"y: z\"]\nb: [1, 2]");
    }

    #[test]
    fn toyaml_nindents() {
        let out = render("r:{{ m | toyaml(indent=2) }}", context! { m => context! { cpu => "100m", memory => "1Gi" } });
        assert_eq!(out.unwrap(), "r:\n  cpu: 100m\n  memory: 1Gi");
    }

    #[test]
    fn filters_of_captured_text_see_it_without_marks() {
        let m = "{% macro m(v) %}{{ v }}{% endmacro %}";
        for (template, expected) in [
            ("a: {{ m('yes') | quote }}", "a: \"yes\""),
            ("a: {{ m('yes') | b64encode }}", "a: eWVz"),
            ("a: {{ m('16') | sha256 == '16' | sha256 }}", "a: true"),
            ("a: {{ m('yes') | upper }}", "a: \"YES\""),
            ("a: {{ m('yes') | replace('y', 'Y') }}", "a: \"Yes\""),
        ] {
            let out = render(&format!("{m}{template}"), context! {}).unwrap();
            assert_eq!(crate::yaml::standalone::settle(&out), expected, "{template}");
        }
    }

    #[test]
    fn toyaml_quotes_strings_yaml_1_1_types() {
        let out = render("{{ m | toyaml }}", context! { m => context! { team => "yes", n => 5, size => "1_000" } });
        // A key `n` is the boolean false to YAML 1.1.
        assert_eq!(out.unwrap(), "team: \"yes\"\n\"n\": 5\nsize: \"1_000\"");
    }

    #[test]
    fn helpers_compute_what_they_say() {
        assert_eq!(render("{{ 'abc' | b64encode }}", context! {}).unwrap(), "YWJj");
        assert_eq!(
            render("{{ 'abc' | sha256 }}", context! {}).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(render("t: {{ '16' | quote }}", context! {}).unwrap(), "t: \"16\"");
    }

    #[test]
    fn required_fails_with_the_message() {
        let err = render("{{ x | required('set x please') }}", context! { x => "" }).unwrap_err();
        assert!(err.to_string().contains("set x please"), "{err}");
        assert_eq!(render("{{ x | required('m') }}", context! { x => "ok" }).unwrap(), "ok");
    }

    #[test]
    fn undefined_is_an_error() {
        assert!(render("{{ missing }}", context! {}).is_err());
    }
}
