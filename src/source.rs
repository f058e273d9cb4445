//! Source texts that diagnostics point into: files read from disk and
//! synthetic sources such as a `--set` argument.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;

/// A text that values, schemas or templates came from, with a display name.
#[derive(Debug, PartialEq, Eq)]
pub struct Source {
    /// Name shown in diagnostics (a path relative to the working directory, or `--set`).
    pub name: String,
    /// The full text.
    pub text: String,
}

/// A shared handle to a [`Source`].
pub type SourceRef = Arc<Source>;

impl Source {
    /// Wraps a text with the name diagnostics show for it.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceRef {
        Arc::new(Source { name: name.into(), text: text.into() })
    }

    /// Reads a UTF-8 file; the name shown is `path` relative to the working directory.
    pub fn read(path: &Path) -> Result<SourceRef, Error> {
        Source::read_as(path, path)
    }

    /// Reads the UTF-8 file at `open`; diagnostics name it `shown` (the path
    /// as the project names it, when `open` is where its links lead).
    pub fn read_as(open: &Path, shown: &Path) -> Result<SourceRef, Error> {
        let bytes = std::fs::read(open).map_err(|source| Error::Io { path: shown.to_path_buf(), source })?;
        let text = String::from_utf8(bytes).map_err(|err| {
            let offset = err.utf8_error().valid_up_to();
            let line = err.as_bytes()[..offset].split(|b| *b == b'\n').count();
            Error::NotUtf8 { path: shown.to_path_buf(), line, offset }
        })?;
        Ok(Source::new(display_path(shown), text))
    }

    /// The 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Deserialises a TOML text; a syntax or type error points at its span.
pub fn parse_toml<T: serde::de::DeserializeOwned>(source: &SourceRef) -> Result<T, Error> {
    toml::from_str(&source.text).map_err(|err| Error::toml(source, &err))
}

/// A path as users should see it: relative to the working directory when it
/// lies below it, unchanged otherwise.
pub fn display_path(path: &Path) -> String {
    let relative = std::env::current_dir().ok().and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    let shown = relative.unwrap_or_else(|| path.to_path_buf()).to_string_lossy().replace('\\', "/");
    if shown.is_empty() { ".".to_string() } else { shown }
}

/// Joins `rel` to `base` unless it is absolute.
pub fn resolve(base: &Path, rel: &Path) -> PathBuf {
    if rel.is_absolute() { rel.to_path_buf() } else { base.join(rel) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let src = Source::new("x", "ab\nçd = 1\n");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(3), (2, 1));
        // 'ç' is two bytes but one column.
        assert_eq!(src.line_col(6), (2, 3));
    }
}
