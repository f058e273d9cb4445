//! How YAML readers type a plain scalar. pgrender reads its output by the
//! YAML 1.2 core schema; kubectl, Argo CD, Helm and the API machinery read
//! it through `sigs.k8s.io/yaml`, whose resolver is go-yaml v2's and
//! follows YAML 1.1 (`yes` is a boolean, `1_000` an integer); other YAML
//! 1.1 readers (`PyYAML`, Ansible) also know base 60 and timestamps. A string
//! the auto-escape writes plain must mean itself to all of them.

use std::sync::LazyLock;

use regex_lite::Regex;

use super::{Value, resolve};

/// A plain scalar's type as a reader resolves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plain {
    /// `~`, `null`, nothing.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int,
    /// A floating point number (`.inf` and `.nan` included).
    Float,
    /// The scalar's own text.
    Str,
}

impl Plain {
    /// How a message names the type, e.g. "a boolean".
    pub fn describe(self) -> &'static str {
        match self {
            Plain::Null => "null",
            Plain::Bool(_) => "a boolean",
            Plain::Int => "an integer",
            Plain::Float => "a number",
            Plain::Str => "a string",
        }
    }
}

// go-yaml v2's number syntax, as `kubernetes` applies it.
static DOT_FLOAT: LazyLock<Regex> = LazyLock::new(|| regex(r"^\.[0-9]+([eE][-+]?[0-9]+)?$"));
// strconv.ParseInt(s, 0, 64) (or big.Int's SetString) after `_` is
// dropped: sign, then 0x/0o/0b prefixes, a leading 0 for octal, or decimal.
static GO_INT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^[-+]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$"));
static GO_FLOAT: LazyLock<Regex> = LazyLock::new(|| regex(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"));
// resolve.go's own `0b` branch parses the rest with a sign of its own.
static GO_BINARY: LazyLock<Regex> = LazyLock::new(|| regex(r"^0b[-+]?[01]+$"));
// parseTimestamp: such a value is a timestamp, which v2 hands to
// `interface{}` as the original string; and no number starts like this.
static YEAR: LazyLock<Regex> = LazyLock::new(|| regex(r"^[0-9]{4}-"));

/// Whether every reader — YAML 1.2 core, go-yaml v2 and the YAML 1.1 type
/// repository — reads the plain scalar `s` as the string `s` itself.
pub fn reads_as_itself(s: &str) -> bool {
    // Every type of every reader starts with one of these (or is empty): the
    // common case, a name or a word, is decided without a regex.
    let Some(first) = s.chars().next() else { return false };
    if !"0123456789+-.~<=yYnNtTfFoO".contains(first) {
        return true;
    }
    kubernetes(s) == Plain::Str && core(s) == Plain::Str && !yaml11_spec(s)
}

/// The type the YAML 1.2 core schema gives a plain scalar: pgrender's own reading.
pub fn core(s: &str) -> Plain {
    match resolve(s.to_string(), true, None) {
        Value::Null => Plain::Null,
        Value::Bool(b) => Plain::Bool(b),
        Value::Int(_) => Plain::Int,
        Value::Float(_) => Plain::Float,
        _ => Plain::Str,
    }
}

/// The type `sigs.k8s.io/yaml` gives a plain scalar, as go-yaml v2's
/// `resolve` decides it (resolve.go) for a value decoded into `interface{}`:
/// what `kubectl apply` sends to the API server.
pub fn kubernetes(s: &str) -> Plain {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => return Plain::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Plain::Bool(false);
        }
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf"
        | "-.INF" => return Plain::Float,
        _ => {}
    }
    match s.as_bytes()[0] {
        b'.' if DOT_FLOAT.is_match(s) => Plain::Float,
        b'0'..=b'9' | b'+' | b'-' if !YEAR.is_match(s) => {
            let digits = s.replace('_', "");
            if GO_INT.is_match(&digits) || GO_BINARY.is_match(&digits) {
                Plain::Int
            } else if GO_FLOAT.is_match(&digits) {
                Plain::Float
            } else {
                Plain::Str
            }
        }
        _ => Plain::Str,
    }
}

/// Whether the YAML 1.1 type repository (yaml.org/type) resolves `s` to
/// something other than a string, as full YAML 1.1 readers do: what
/// go-yaml v2 leaves out (base 60, `=`, timestamps) included.
fn yaml11_spec(s: &str) -> bool {
    static TYPES: LazyLock<Regex> = LazyLock::new(|| {
        regex(concat!(
            "^(",
            // bool, null, merge and value keys
            "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|y|Y|n|N",
            "|~|null|Null|NULL|<<|=",
            // int: base 2, 8, 10, 16 and 60
            r"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+",
            r"|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+",
            // float: base 10 (a digit and one dot, as readers implement the spec's
            // regex, which also matches `.` and `1.2.3`), base 60, infinity, NaN
            r"|[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)?|[-+]?\.[0-9_]+([eE][-+]?[0-9]+)?",
            r"|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*",
            r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)",
            // timestamp
            r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?",
            ")$"
        ))
    });
    TYPES.is_match(s)
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid regex")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_reads_yaml_1_1_booleans_nulls_and_numbers() {
        for (s, plain) in [
            ("yes", Plain::Bool(true)),
            ("Y", Plain::Bool(true)),
            ("ON", Plain::Bool(true)),
            ("n", Plain::Bool(false)),
            ("Off", Plain::Bool(false)),
            ("~", Plain::Null),
            ("NULL", Plain::Null),
            ("1_000", Plain::Int),
            ("0b101", Plain::Int),
            ("-0b11", Plain::Int),
            ("0b-1", Plain::Int),
            ("0o17", Plain::Int),
            ("0X1F", Plain::Int),
            ("0x_1F", Plain::Int),
            ("012", Plain::Int),
            ("+_1", Plain::Int),
            ("1_", Plain::Int),
            ("99999999999999999999", Plain::Int),
            ("08", Plain::Float),
            ("1.", Plain::Float),
            (".5", Plain::Float),
            ("-.5e3", Plain::Float),
            ("1e5", Plain::Float),
            ("1_0.5", Plain::Float),
            (".NaN", Plain::Float),
            ("-.INF", Plain::Float),
        ] {
            assert_eq!(kubernetes(s), plain, "{s}");
        }
    }

    #[test]
    fn kubernetes_keeps_what_go_yaml_v2_does_not_resolve() {
        // Base 60 is "purposefully unsupported" by v2; timestamps reach `interface{}` as strings.
        let strings = "1:20 190:20:30 2024-01-01 2024-01-01T10:00:00Z << = yesterday 0b ._5 _1";
        for s in strings.split_whitespace() {
            assert_eq!(kubernetes(s), Plain::Str, "{s}");
        }
    }

    #[test]
    fn every_spelling_of_another_type_is_not_itself() {
        let spellings = "y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF \
                         ~ null Null NULL 1_000 0b101 0o17 0x1F 012 1:20 190:20:30 1:20.5 -1:20 \
                         .inf .Inf .INF -.inf +.inf .nan .NaN .NAN 1e5 1.5e-3 1. .5 = << \
                         2024-01-01 2001-12-14t21:59:43.10-05:00 0x-1 12 -3";
        for s in spellings.split_whitespace().chain([""]) {
            assert!(!reads_as_itself(s), "{s:?}");
        }
    }

    #[test]
    fn strings_that_only_look_alike_stay_plain() {
        let strings = "yesterday nope online o Norway tru nul 1.2.3 16-alpine 1Gi 500m 0b 0x 1:60 0:20 v1 1-2 \
                       < == <<< . .. + -x 1e 2024-1 ~x postgres";
        for s in strings.split_whitespace() {
            assert!(reads_as_itself(s), "{s:?}");
        }
    }
}
