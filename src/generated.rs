//! Files that pgrender generates and a repository commits (a chart README's
//! values section, the environment-file schema): print them, write them, or
//! check that the committed copy is fresh.

use std::path::Path;

use crate::error::Error;

/// What to do with a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Print the generated text to stdout.
    #[default]
    Print,
    /// Write the file when its content differs.
    Write,
    /// Fail when the committed file differs from the generated text.
    Check,
}

/// What happened to one file in `Write` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The file already held the generated text.
    Unchanged,
    /// The file was created or rewritten.
    Written,
}

/// Writes `text` to `path` unless it already holds it.
pub fn write(path: &Path, text: &str) -> Result<Outcome, Error> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(Outcome::Unchanged);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| Error::Write { path: parent.to_path_buf(), source })?;
    }
    std::fs::write(path, text).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
    Ok(Outcome::Written)
}

/// Fails with [`Error::Stale`] unless `path` holds exactly `text`.
pub fn check(path: &Path, text: &str, fix: &str) -> Result<(), Error> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        Ok(())
    } else {
        Err(Error::Stale { path: path.to_path_buf(), fix: fix.to_string() })
    }
}
