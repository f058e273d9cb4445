//! Source texts that diagnostics point into: files read from disk and
//! synthetic sources such as a `--set` argument.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::error::Error;

/// A text that values, schemas or templates came from, with a display name.
#[derive(Debug)]
pub struct Source {
    /// Name shown in diagnostics (a path relative to the working directory, or `--set`).
    pub name: String,
    /// The full text.
    pub text: String,
    /// Where lines start, built on the first position asked for.
    index: OnceLock<LineIndex>,
}

impl PartialEq for Source {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.text == other.text
    }
}

impl Eq for Source {}

/// A shared handle to a [`Source`].
pub type SourceRef = Arc<Source>;

impl Source {
    /// Wraps a text with the name diagnostics show for it.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceRef {
        Arc::new(Source { name: name.into(), text: text.into(), index: OnceLock::new() })
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

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let position = self.position(offset);
        (position.line, position.column)
    }

    /// The line, column and line start of a byte offset. The cost is
    /// bounded by a block of the text, not by the text before the offset:
    /// reporting thousands of positions in a large file stays linear.
    pub fn position(&self, offset: usize) -> Position {
        let bytes = self.text.as_bytes();
        let offset = offset.min(bytes.len());
        let index = self.index.get_or_init(|| LineIndex::new(bytes));
        let block = offset / BLOCK;
        let at_block = index.blocks[block];
        let partial = &bytes[block * BLOCK..offset];
        let line = at_block.newlines + memchr::memchr_iter(b'\n', partial).count() + 1;
        let line_start = memchr::memrchr(b'\n', partial).map_or(at_block.line_start, |i| block * BLOCK + i + 1);
        // Counting from the line's start is shorter than from its block's
        // when the line starts in this block, the usual case.
        let column = if line_start >= block * BLOCK {
            char_count(&bytes[line_start..offset]) + 1
        } else {
            index.chars_before(bytes, offset) - index.chars_before(bytes, line_start) + 1
        };
        Position { line, column, line_start }
    }
}

/// A place in a [`Source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset where the line starts.
    pub line_start: usize,
}

/// Bytes per block of a [`LineIndex`].
const BLOCK: usize = 4096;

/// Counts at the start of every block of a text, so a position is found by
/// scanning one block (the index costs well under 1% of the text).
#[derive(Debug)]
struct LineIndex {
    blocks: Vec<BlockStart>,
}

#[derive(Debug, Clone, Copy)]
struct BlockStart {
    /// Line breaks before the block.
    newlines: usize,
    /// Offset of the line the block starts in.
    line_start: usize,
    /// Characters before the block.
    chars: usize,
}

impl LineIndex {
    fn new(bytes: &[u8]) -> LineIndex {
        let mut blocks = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let mut at = BlockStart { newlines: 0, line_start: 0, chars: 0 };
        blocks.push(at);
        for (i, chunk) in bytes.chunks(BLOCK).enumerate() {
            at.newlines += memchr::memchr_iter(b'\n', chunk).count();
            at.chars += char_count(chunk);
            if let Some(last) = memchr::memrchr(b'\n', chunk) {
                at.line_start = i * BLOCK + last + 1;
            }
            blocks.push(at);
        }
        LineIndex { blocks }
    }

    /// Characters in `bytes[..offset]`.
    fn chars_before(&self, bytes: &[u8], offset: usize) -> usize {
        let block = offset / BLOCK;
        self.blocks[block].chars + char_count(&bytes[block * BLOCK..offset])
    }
}

/// Characters in UTF-8 bytes that may start or end inside a character:
/// every byte that is not a continuation byte starts one.
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count()
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

    #[test]
    fn positions_agree_with_a_plain_count_across_blocks() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(&"é".repeat(i % 7));
            text.push_str(if i % 5 == 0 { "\n" } else { "x" });
        }
        let src = Source::new("x", text.clone());
        for offset in (0..=text.len()).filter(|o| text.is_char_boundary(*o)) {
            let before = &text[..offset];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let expected = Position {
                line: before.matches('\n').count() + 1,
                column: before[line_start..].chars().count() + 1,
                line_start,
            };
            assert_eq!(src.position(offset), expected, "offset {offset}");
        }
        assert_eq!(src.position(usize::MAX).line, text.matches('\n').count() + 1);
    }
}
