//! The `pattern` keyword, matched with `regex-lite`.
//!
//! Helm checks `pattern` with Go's `regexp`: RE2 syntax, with `\d`, `\s` and
//! `\w` matching ASCII only. `regex-lite` has that syntax and those classes,
//! and compiles a pattern about seven times faster than the `regex` crate
//! behind jsonschema's own `pattern`, whose compile was the largest part of
//! compiling a chart's schema on every run. Values are short, so its
//! simpler matcher costs nothing that shows.

use jsonschema::paths::Location;
use jsonschema::{Keyword, ValidationError};
use serde_json::{Map, Value};

/// The keyword this module implements.
pub const KEYWORD: &str = "pattern";

/// Compiles one `pattern` value; the error quotes the pattern, which the
/// caller uses to point at it in the schema file.
pub fn compile<'a>(
    _schema: &'a Map<String, Value>,
    value: &'a Value,
    _path: Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    let regex = value
        .as_str()
        .and_then(|pattern| regex_lite::Regex::new(pattern).ok())
        .ok_or_else(|| ValidationError::schema(format!(r#"{value} is not a "regex""#)))?;
    Ok(Box::new(Pattern(regex)))
}

struct Pattern(regex_lite::Regex);

impl<'i> Keyword<'i> for Pattern {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        if self.is_valid(instance) {
            Ok(())
        } else {
            // The value may be megabytes long: only its start is quoted.
            let shown = crate::diagnostic::shortened(instance, 200);
            Err(ValidationError::custom(format!(r#"{shown} does not match "{}""#, self.0.as_str())))
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        instance.as_str().is_none_or(|text| self.0.is_match(text))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn validator(pattern: &str) -> Result<jsonschema::Validator, String> {
        jsonschema::options()
            .with_keyword(super::KEYWORD, super::compile)
            .build(&json!({"pattern": pattern}))
            .map_err(|err| err.to_string())
    }

    #[test]
    fn matches_like_go_regexp() {
        let digits = validator(r"^\d+$").unwrap();
        assert!(digits.is_valid(&json!("042")));
        // Go's `\d` is ASCII: Arabic-Indic digits are not digits.
        assert!(!digits.is_valid(&json!("٤٢")));
        let segments = validator("^/[^/]+(/[^/]+)*$").unwrap();
        assert!(segments.is_valid(&json!("/var/lib/données")));
        assert!(!segments.is_valid(&json!("/var//lib")));
        // `pattern` says nothing about values that are not strings.
        assert!(segments.is_valid(&json!(42)));
    }

    #[test]
    fn a_mismatch_names_the_value_and_the_pattern() {
        let errors: Vec<String> =
            validator("^[a-z]+$").unwrap().iter_errors(&json!("Db1")).map(|e| e.to_string()).collect();
        assert_eq!(errors, [r#""Db1" does not match "^[a-z]+$""#]);
    }

    #[test]
    fn look_around_is_rejected_at_compile_time() {
        assert_eq!(validator("^(?!kube-)[a-z]+$").unwrap_err(), r#""^(?!kube-)[a-z]+$" is not a "regex""#);
    }
}
