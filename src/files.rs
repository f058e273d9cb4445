//! Small file helpers shared by the template engine and the output writer:
//! listing a folder's files and hashing bytes. Neither side depends on the
//! other through them.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use sha2::Digest as _;

use crate::error::Error;

/// Every file and symlink below `dir`, relative and `/`-separated; empty if `dir` is missing.
pub(crate) fn list_files(dir: &Path) -> Result<BTreeSet<String>, Error> {
    let mut out = BTreeSet::new();
    if dir.is_dir() {
        walk(dir, "", &mut out)?;
    }
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) -> Result<(), Error> {
    let entries = fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&entry.path(), &rel, out)?,
            Ok(_) => {
                out.insert(rel);
            }
            Err(source) => return Err(Error::Io { path: entry.path(), source }),
        }
    }
    Ok(())
}

/// Lower-case hex SHA-256.
pub fn hex_sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
