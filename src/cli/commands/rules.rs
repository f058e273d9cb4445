//! `pgrender rules`: every output-check rule with its severity and rationale.

use std::fmt::Write as _;

use crate::check::rules::ALL;
use crate::cli::terminal::write_stdout;
use crate::diagnostic::Severity;
use crate::error::Error;

/// `pgrender rules`: every rule with its severity and rationale.
pub fn run() -> Result<(), Error> {
    let mut out = String::new();
    for rule in ALL {
        let severity = match rule.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{:<7} {severity:<8} {}\n        {}\n", rule.id, rule.title, rule.rationale);
    }
    out.push_str("Disable a rule for one environment in its file, with the reason:\n  [environment.rules]\n  PG003 = \"throw-away credentials on the laptop cluster\"\n");
    write_stdout(&out)
}
