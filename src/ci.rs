//! The CI-facing commands: `check` (output checks plus drift against the
//! committed tree), `diff` and `rules`, and how findings are printed and
//! turned into a failing exit code.

use std::fmt::Write as _;

use crate::check::EnvReport;
use crate::check::report::{self, Entry};
use crate::check::rules::ALL;
use crate::cli::FindingsFormat;
use crate::commands::write_stdout;
use crate::config::{CheckConfig, DiffConfig};
use crate::diagnostic::{self, Severity};
use crate::error::Error;
use crate::output::drift;
use crate::output::{RECORD, RenderedEnv};
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
///
/// The machine formats always print one whole document, whatever fails:
/// every environment's invalid values or failed templates, every finding and
/// every stale file, each with its file and line.
pub fn check(config: CheckConfig) -> Result<(), Error> {
    let format = config.format;
    let pipeline = Pipeline::compile(config.project).map_err(|err| document_error(format, err))?;
    let results =
        crate::parallel::map(&config.envs, |env| pipeline.render_checked(env, &config.overrides, &config.out));
    let mut checked = Vec::new();
    let mut failed = Vec::new();
    for (env, result) in config.envs.iter().zip(results) {
        match result {
            Ok(pair) => checked.push(pair),
            Err(err) => failed.push((env.clone(), err)),
        }
    }
    if format == FindingsFormat::Text && !failed.is_empty() {
        return Err(Error::collect(failed.into_iter().map(|(_, err)| err).collect()).expect("some environment failed"));
    }
    let (rendered, reports): (Vec<_>, Vec<_>) = checked.into_iter().unzip();
    let mut drifts = Vec::new();
    for env in &rendered {
        let dir = config.out.join(&env.name);
        let changes = drift::against_disk(&dir, env)?;
        if !changes.is_empty() {
            let unrendered = !dir.join(RECORD).is_file() && changes.iter().all(|c| c.old.is_none());
            drifts.push(Drift { env: env.name.clone(), root: display_path(&dir), changes, unrendered });
        }
    }
    if format == FindingsFormat::Text {
        print_findings(&reports, config.annotations);
    } else {
        let mut entries: Vec<Entry> = failed.iter().flat_map(|(env, err)| report::errors(Some(env), err)).collect();
        entries.extend(report::findings(&reports));
        entries.extend(drifts.iter().flat_map(Drift::entries));
        print_document(format, &entries);
    }
    for (drift, env) in drifts.iter().filter(|d| !d.unrendered).map(|d| (d, &rendered[index_of(&rendered, &d.env)])) {
        let diff = env.redactor.text(&drift::unified(&drift.changes, &drift.env, &drift.env));
        // Machine formats own stdout; the diff goes to the log instead.
        if format == FindingsFormat::Text {
            print!("{diff}");
        } else {
            eprint!("{diff}");
        }
        let summary = drift::summary(&drift.changes);
        eprintln!("{:>10} {} is stale: {summary} (run `pgrender --env {}`)", "drift", drift.root, drift.env);
    }
    let unrendered: Vec<&str> = drifts.iter().filter(|d| d.unrendered).map(|d| d.env.as_str()).collect();
    let stale: Vec<&str> = drifts.iter().filter(|d| !d.unrendered).map(|d| d.env.as_str()).collect();
    if !unrendered.is_empty() {
        let all = pipeline.project.environment_names().is_ok_and(|names| names.len() == unrendered.len());
        let fix = if all { "--all".to_string() } else { format!("--env {}", unrendered.join(" --env ")) };
        eprintln!(
            "{:>10} {}: nothing rendered yet for {} (run `pgrender {fix}`)",
            "missing",
            display_path(&config.out),
            unrendered.join(", ")
        );
    }
    let verdict = fail_on_findings(&reports, config.strict, "fix them before committing");
    if !failed.is_empty() {
        if let Err(err) = &verdict {
            eprintln!("error: {err}\n");
        }
        return Err(Error::collect(failed.into_iter().map(|(_, err)| err).collect()).expect("some environment failed"));
    }
    if !stale.is_empty() || !unrendered.is_empty() {
        if let Err(err) = &verdict {
            eprintln!("error: {err}\n");
        }
        let mut problems = Vec::new();
        if !stale.is_empty() {
            problems.push(Error::StaleManifests { envs: stale.iter().map(|env| (*env).to_string()).collect() });
        }
        if !unrendered.is_empty() {
            problems.push(Error::NotRendered { envs: unrendered.iter().map(|env| (*env).to_string()).collect() });
        }
        return Err(Error::collect(problems).expect("stale or unrendered environments"));
    }
    verdict?;
    for report in &reports {
        eprintln!("{:>10} {} ({} warning(s), output up to date)", "checked", report.env, report.findings.len());
    }
    Ok(())
}

fn index_of(rendered: &[RenderedEnv], env: &str) -> usize {
    rendered.iter().position(|r| r.name == env).expect("drift of a rendered environment")
}

/// How one environment's committed files differ from a fresh render.
struct Drift {
    env: String,
    /// The environment's folder, as shown.
    root: String,
    changes: Vec<drift::FileChange>,
    /// Nothing of this environment was ever written: no folder or record.
    unrendered: bool,
}

impl Drift {
    /// One entry per stale file, pointing at its first changed line; one for
    /// the whole environment when it was never rendered.
    fn entries(&self) -> Vec<Entry> {
        let help = Some(format!("run `pgrender --env {}` and commit the result", self.env));
        let entry = |message: String, file: Option<String>, line: usize| Entry {
            environment: Some(self.env.clone()),
            rule: report::STALE_OUTPUT.to_string(),
            severity: Severity::Error,
            message,
            file,
            line,
            column: 1,
            object: None,
            field: None,
            template: None,
            help: help.clone(),
            related: None,
        };
        if self.unrendered {
            return vec![entry(format!("{} has not been rendered yet", self.root), None, 1)];
        }
        self.changes
            .iter()
            .map(|change| {
                let file = format!("{}/{}", self.root, change.path);
                let (message, line) = match (&change.old, &change.new) {
                    (None, _) => (format!("{file} is missing: a render adds it"), 1),
                    (_, None) => (format!("{file} is no longer rendered: a render removes it"), 1),
                    _ => {
                        let line = drift::first_changed_line(change);
                        (format!("{file} is stale from line {line}: a render changes it"), line)
                    }
                };
                entry(message, (change.old.is_some()).then_some(file), line)
            })
            .collect()
    }
}

/// Prints `entries` as one JSON or SARIF document on stdout.
fn print_document(format: FindingsFormat, entries: &[Entry]) {
    match format {
        FindingsFormat::Text => {}
        FindingsFormat::Json => print!("{}", report::json(entries)),
        FindingsFormat::Sarif => print!("{}", report::sarif(entries)),
    }
}

/// For the machine formats, prints a document holding `err`'s diagnostics
/// before the error itself is reported: a failed check still leaves valid
/// JSON or SARIF on stdout.
pub fn document_error(format: FindingsFormat, err: Error) -> Error {
    if format != FindingsFormat::Text {
        print_document(format, &report::errors(None, &err));
    }
    err
}

/// `pgrender diff`: unified diffs against the files on disk or another
/// environment; with `--exit-code`, differences fail the command.
pub fn diff(config: DiffConfig) -> Result<(), Error> {
    let pipeline = Pipeline::compile(config.project)?;
    let mut text = String::new();
    let mut differing = Vec::new();
    // The same render as every command; `diff` shows changes, not findings.
    if let Some(other) = &config.against {
        let env = &config.envs[0];
        let (new, _) = pipeline.render_checked(env, &config.overrides, &config.out)?;
        let (old, _) = pipeline.render_checked(other, &config.overrides, &config.out)?;
        let changes = drift::between(&old, &new);
        eprintln!("{:>10} {other} → {env}: {}", "diff", describe(&changes));
        text = old.redactor.text(&new.redactor.text(&drift::unified(&changes, other, env)));
        if !changes.is_empty() {
            differing.push(env.clone());
        }
    } else {
        for (new, _) in pipeline.render_checked_all(&config.envs, &config.overrides, &config.out)? {
            let dir = config.out.join(&new.name);
            let changes = drift::against_disk(&dir, &new)?;
            eprintln!("{:>10} {} → rendered: {}", "diff", display_path(&dir), describe(&changes));
            text.push_str(&new.redactor.text(&drift::unified(&changes, &new.name, &new.name)));
            if !changes.is_empty() {
                differing.push(new.name.clone());
            }
        }
    }
    write_stdout(&text)?;
    if config.exit_code && !differing.is_empty() {
        return Err(Error::Differences(differing));
    }
    Ok(())
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
