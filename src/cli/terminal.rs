//! Everything the commands print, in one place: cargo-style status lines
//! (a right-aligned verb and a message on stderr), diagnostics and output
//! check findings, the JSON and SARIF documents of `check`, and stdout
//! writes that treat a closed pipe as success. Nothing here panics when
//! stdout or stderr is closed (`pgrender check --format sarif | true`,
//! `pgrender --all 2>&1 | head -1`), as `print!` and `eprint!` would.

use std::collections::HashSet;
use std::io::{IsTerminal as _, Write as _};

use super::args::FindingsFormat;
use crate::check::EnvReport;
use crate::check::report::{self, Entry};
use crate::diagnostic::{Diagnostic, MAX_SHOWN};
use crate::error::Error;

/// The width the status verbs are right-aligned to, as cargo does.
const VERB_WIDTH: usize = 10;

/// Prints `verb message` on stderr, the verb right-aligned: `  rendered eks → …`.
pub fn status(verb: &str, message: impl std::fmt::Display) {
    to_stderr(format_args!("{verb:>VERB_WIDTH$} {message}\n"));
}

/// Prints a warning that does not stop the command.
pub fn warning(message: impl std::fmt::Display) {
    to_stderr(format_args!("warning: {message}\n"));
}

/// Prints an error that does not end the command, or that comes before the one that does.
pub fn error(message: impl std::fmt::Display) {
    to_stderr(format_args!("error: {message}\n"));
}

/// Prints a line of its own on stderr, e.g. watch's "still watching".
pub fn line(message: impl std::fmt::Display) {
    to_stderr(format_args!("{message}\n"));
}

/// Prints what to run next after a generator: each command, and what it
/// does aligned after it.
pub fn next_steps(steps: &[(&str, &str)]) {
    let mut text = String::from("\nNext:\n");
    for (command, what) in steps {
        let step = format!("  {command:<26}{what}");
        text.push_str(step.trim_end());
        text.push('\n');
    }
    to_stderr(format_args!("{text}"));
}

/// Prints an error's diagnostics once each, even when several environments hit the same one.
pub fn report(err: &Error) {
    let mut seen = HashSet::new();
    let all = err.diagnostics();
    let total = all.len() + err.omitted();
    let unique: Vec<_> =
        all.into_iter().filter(|d| seen.insert((d.message.clone(), d.location()))).take(MAX_SHOWN).collect();
    emit(&unique);
    if unique.len() == MAX_SHOWN && total > MAX_SHOWN {
        error(format_args!("{total} problems found (the first {MAX_SHOWN} are shown); nothing was written"));
    } else if unique.len() > 1 {
        error(format_args!("{} problems found; nothing was written", unique.len()));
    }
}

/// Prints every finding as a diagnostic on stderr (and annotations on stdout).
pub fn print_findings(reports: &[EnvReport], annotations: bool) -> Result<(), Error> {
    let diagnostics: Vec<_> = reports.iter().flat_map(EnvReport::diagnostics).collect();
    emit(&diagnostics);
    if annotations {
        write_stdout(&report::annotations(reports))?;
    }
    Ok(())
}

/// Prints `entries` as one JSON or SARIF document on stdout.
pub fn print_document(format: FindingsFormat, entries: &[Entry]) -> Result<(), Error> {
    match format {
        FindingsFormat::Text => Ok(()),
        FindingsFormat::Json => write_stdout(&report::json(entries)),
        FindingsFormat::Sarif => write_stdout(&report::sarif(entries)),
    }
}

/// For the machine formats, prints a document holding `err`'s diagnostics
/// before the error itself is reported: a failed check still leaves valid
/// JSON or SARIF on stdout.
pub fn document_error(format: FindingsFormat, err: Error) -> Error {
    if format != FindingsFormat::Text {
        // The error itself is what the command ends with, written or not.
        let _ = print_document(format, &report::errors(None, &err));
    }
    err
}

/// Prints diagnostics to stderr, separated by blank lines.
fn emit(diagnostics: &[Diagnostic]) {
    let styled = styled(std::io::stderr().is_terminal());
    for diagnostic in diagnostics {
        to_stderr(format_args!("{}\n\n", diagnostic.render(styled)));
    }
}

/// Whether stdout should get colour: a terminal, and `NO_COLOR` unset.
pub fn stdout_styled() -> bool {
    styled(std::io::stdout().is_terminal())
}

/// Colour on a terminal, unless `NO_COLOR` is set to something.
fn styled(terminal: bool) -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal
}

/// Writes to stdout, treating a closed pipe (`| head`) as success.
pub fn write_stdout(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Write { path: "<stdout>".into(), source: err })
        }
        _ => Ok(()),
    }
}

/// Writes to stderr and ignores failure: a closed stderr must not end a
/// command that has nothing left to tell it.
pub fn to_stderr(text: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(text);
}

/// Prints to stdout and ignores failure: a closed pipe must not end a watch.
pub fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
