//! Everything the commands print, in one place: cargo-style status lines
//! (a right-aligned verb and a message on stderr), diagnostics and output
//! check findings, the JSON and SARIF documents of `check`, and stdout
//! writes that treat a closed pipe as success.

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
    eprintln!("{verb:>VERB_WIDTH$} {message}");
}

/// Prints a warning that does not stop the command.
pub fn warning(message: impl std::fmt::Display) {
    eprintln!("warning: {message}");
}

/// Prints an error that does not end the command, or that comes before the one that does.
pub fn error(message: impl std::fmt::Display) {
    eprintln!("error: {message}");
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
        eprintln!("error: {total} problems found (the first {MAX_SHOWN} are shown); nothing was written");
    } else if unique.len() > 1 {
        eprintln!("error: {} problems found; nothing was written", unique.len());
    }
}

/// Prints every finding as a diagnostic on stderr (and annotations on stdout).
pub fn print_findings(reports: &[EnvReport], annotations: bool) {
    let diagnostics: Vec<_> = reports.iter().flat_map(EnvReport::diagnostics).collect();
    emit(&diagnostics);
    if annotations {
        print!("{}", report::annotations(reports));
    }
}

/// Prints `entries` as one JSON or SARIF document on stdout.
pub fn print_document(format: FindingsFormat, entries: &[Entry]) {
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

/// Prints diagnostics to stderr, separated by blank lines.
fn emit(diagnostics: &[Diagnostic]) {
    let styled = styled(std::io::stderr().is_terminal());
    for diagnostic in diagnostics {
        eprintln!("{}\n", diagnostic.render(styled));
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

/// Prints to stdout and ignores failure: a closed pipe must not end a watch.
pub fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
