//! The files that say what pgrender wrote: each environment folder's
//! record (`<sha256>  <path>` per file, what the next render may remove)
//! and the `SHA256SUMS` of the whole tree that `render --manifest` writes.

use std::collections::BTreeMap;
use std::path::Path;

use crate::confine::Confine;

/// The record of written files in each environment folder, in `sha256sum` format.
pub const RECORD: &str = ".pgrender-manifest";

/// The checksum file `render --manifest` writes at the top of the output folder.
pub const SUMS: &str = "SHA256SUMS";

/// Whether `text` is a `SHA256SUMS` as pgrender writes it: every line a
/// SHA-256 and a path inside an environment folder.
pub fn is_sums(text: &str) -> bool {
    text.lines().all(|line| {
        line.split_once("  ").is_some_and(|(hash, path)| {
            hash.len() == 64
                && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && path.contains('/')
                && is_confined(path)
        })
    })
}

/// Paths (relative, `/`-separated) that the record says pgrender wrote.
pub fn read_record(dir: &Path) -> BTreeMap<String, String> {
    let inside = Confine::new(dir, "the output folder").ok();
    let text = inside.and_then(|c| c.read_to_string(Path::new(RECORD)).ok()).unwrap_or_default();
    text.lines()
        .filter_map(|line| line.split_once("  "))
        .filter(|(_, path)| is_confined(path))
        .map(|(hash, path)| (path.to_string(), hash.to_string()))
        .collect()
}

/// A recorded path may only name something inside the folder.
pub(super) fn is_confined(path: &str) -> bool {
    !path.is_empty() && !path.starts_with('/') && path.split('/').all(|c| !c.is_empty() && c != ".." && c != ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_paths_cannot_escape_the_folder() {
        assert!(is_confined("4-db/a.yaml"));
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "a//b"] {
            assert!(!is_confined(bad), "{bad}");
        }
    }
}
