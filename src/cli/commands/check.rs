//! `pgrender check`: render in memory, run every output check and compare
//! with the committed tree, for CI; findings as text, JSON or SARIF.

use crate::check::fail_on_findings;
use crate::check::report::{self, Entry};
use crate::cli::args::FindingsFormat;
use crate::cli::config::CheckConfig;
use crate::cli::terminal::{document_error, error, print_document, print_findings, status, to_stderr, write_stdout};
use crate::diagnostic::Severity;
use crate::error::Error;
use crate::output::drift;
use crate::output::{RECORD, RenderedEnv};
use crate::pipeline::Pipeline;
use crate::source::display_path;

/// `pgrender check`: render in memory, check, compare with the committed tree.
///
/// The machine formats always print one whole document, whatever fails:
/// every environment's invalid values or failed templates, every finding and
/// every stale file, each with its file and line.
pub fn run(config: CheckConfig) -> Result<(), Error> {
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
        print_findings(&reports, config.annotations)?;
    } else {
        let mut entries: Vec<Entry> = failed.iter().flat_map(|(env, err)| report::errors(Some(env), err)).collect();
        entries.extend(report::findings(&reports));
        entries.extend(drifts.iter().flat_map(Drift::entries));
        print_document(format, &entries)?;
    }
    for (drift, env) in drifts.iter().filter(|d| !d.unrendered).map(|d| (d, &rendered[index_of(&rendered, &d.env)])) {
        let diff = env.redactor.text(&drift::unified(&drift.changes, &drift.env, &drift.env));
        // Machine formats own stdout; the diff goes to the log instead.
        if format == FindingsFormat::Text {
            write_stdout(&diff)?;
        } else {
            to_stderr(format_args!("{diff}"));
        }
        let summary = drift::summary(&drift.changes);
        status("drift", format_args!("{} is stale: {summary} (run `pgrender --env {}`)", drift.root, drift.env));
    }
    let unrendered: Vec<&str> = drifts.iter().filter(|d| d.unrendered).map(|d| d.env.as_str()).collect();
    let stale: Vec<&str> = drifts.iter().filter(|d| !d.unrendered).map(|d| d.env.as_str()).collect();
    if !unrendered.is_empty() {
        let all = pipeline.project.environment_names().is_ok_and(|names| names.len() == unrendered.len());
        let fix = if all { "--all".to_string() } else { format!("--env {}", unrendered.join(" --env ")) };
        let out = display_path(&config.out);
        status(
            "missing",
            format_args!("{out}: nothing rendered yet for {} (run `pgrender {fix}`)", unrendered.join(", ")),
        );
    }
    let verdict = fail_on_findings(&reports, config.strict, "fix them before committing");
    if !failed.is_empty() {
        if let Err(err) = &verdict {
            error(format_args!("{err}\n"));
        }
        return Err(Error::collect(failed.into_iter().map(|(_, err)| err).collect()).expect("some environment failed"));
    }
    if !stale.is_empty() || !unrendered.is_empty() {
        if let Err(err) = &verdict {
            error(format_args!("{err}\n"));
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
        status("checked", format_args!("{} ({} warning(s), output up to date)", report.env, report.findings.len()));
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
