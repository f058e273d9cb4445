//! The CI-facing commands: `check` (output checks plus drift against the
//! committed tree), `diff` and `rules`, and how findings are printed and
//! turned into a failing exit code.

use std::fmt::Write as _;

use crate::check::EnvReport;
use crate::check::report;
use crate::check::rules::ALL;
use crate::cli::FindingsFormat;
use crate::commands::write_stdout;
use crate::config::{CheckConfig, DiffConfig};
use crate::diagnostic::{self, Severity};
use crate::drift;
use crate::error::Error;
use crate::pipeline::Pipeline;
use crate::source::display_path;

/// Prints every finding as a diagnostic on stderr (and annotations on stdout).
pub fn print_findings(reports: &[EnvReport], annotations: bool) {
    let diagnostics: Vec<_> = reports.iter().flat_map(EnvReport::diagnostics).collect();
    diagnostic::emit(&diagnostics);
    if annotations {
        print!("{}", report::annotations(reports));
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

/// `pgrender check`: render in memory, check, compare with the committed tree.
pub fn check(config: CheckConfig) -> Result<(), Error> {
    let pipeline = Pipeline::compile(config.project)?;
    let checked = pipeline.render_checked_all(&config.envs, &config.overrides, &config.out)?;
    let (rendered, reports): (Vec<_>, Vec<_>) = checked.into_iter().unzip();
    match config.format {
        FindingsFormat::Text => print_findings(&reports, config.annotations),
        FindingsFormat::Json => print!("{}", report::json(&reports)),
        FindingsFormat::Sarif => print!("{}", report::sarif(&reports)),
    }
    let mut stale = Vec::new();
    for env in &rendered {
        let dir = config.out.join(&env.name);
        let changes = drift::against_disk(&dir, env)?;
        if changes.is_empty() {
            continue;
        }
        let root = display_path(&dir);
        let diff = env.redactor.text(&drift::unified(&changes, &root, &root));
        // Machine formats own stdout; the diff goes to the log instead.
        if config.format == FindingsFormat::Text {
            print!("{diff}");
        } else {
            eprint!("{diff}");
        }
        eprintln!("{:>10} {root} is stale: {} (run `pgrender --env {}`)", "drift", drift::summary(&changes), env.name);
        stale.push(env.name.clone());
    }
    let verdict = fail_on_findings(&reports, config.strict, "fix them before committing");
    if !stale.is_empty() {
        if let Err(err) = &verdict {
            eprintln!("error: {err}\n");
        }
        return Err(Error::StaleManifests { envs: stale });
    }
    verdict?;
    for report in &reports {
        eprintln!("{:>10} {} ({} warning(s), output up to date)", "checked", report.env, report.findings.len());
    }
    Ok(())
}

/// `pgrender diff`: unified diff against the files on disk or another environment.
pub fn diff(config: DiffConfig) -> Result<(), Error> {
    let pipeline = Pipeline::compile(config.project)?;
    // The same render as every command; `diff` shows changes, not findings.
    let (new, _) = pipeline.render_checked(&config.env, &config.overrides, &config.out)?;
    #[allow(clippy::single_match_else)] // two equal alternatives read better as a match
    let text = match &config.against {
        Some(other) => {
            let (old, _) = pipeline.render_checked(other, &config.overrides, &config.out)?;
            let changes = drift::between(&old, &new);
            eprintln!("{:>10} {other} → {}: {}", "diff", config.env, describe(&changes));
            old.redactor.text(&new.redactor.text(&drift::unified(&changes, other, &config.env)))
        }
        None => {
            let dir = config.out.join(&config.env);
            let changes = drift::against_disk(&dir, &new)?;
            let root = display_path(&dir);
            eprintln!("{:>10} {root} → rendered: {}", "diff", describe(&changes));
            new.redactor.text(&drift::unified(&changes, &root, &root))
        }
    };
    write_stdout(&text)
}

fn describe(changes: &[drift::FileChange]) -> String {
    if changes.is_empty() { "no differences".to_string() } else { drift::summary(changes) }
}

/// `pgrender rules`: every rule with its severity and rationale.
pub fn rules() -> Result<(), Error> {
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
