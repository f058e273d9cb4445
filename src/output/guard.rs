//! The output folder's safety rule, checked before anything is written:
//! which folders pgrender may fill at all (not `/`, the home folder, the
//! project itself or someone else's non-empty folder, unless `--force`).

use std::fs;
use std::path::{Path, PathBuf};

use super::record::{RECORD, SUMS, is_sums};
use super::write::is_staging_name;
use crate::error::{Error, UsageError};

/// Refuses output folders that pgrender must not fill without `--force`;
/// `envs` are the project's environment names (the folders output has).
pub fn check_out(out: &Path, project_root: &Path, envs: &[String], force: bool) -> Result<(), Error> {
    if force {
        return Ok(());
    }
    let refuse = |reason: &str| Err(UsageError::UnsafeOut { path: out.to_path_buf(), reason: reason.into() }.into());
    let Ok(real) = out.canonicalize() else {
        // Not there yet: pgrender creates it, so it is pgrender's.
        return Ok(());
    };
    if real.parent().is_none() {
        return refuse("it is the file system root");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).and_then(|h| h.canonicalize().ok());
    if home.as_deref() == Some(real.as_path()) {
        return refuse("it is your home folder");
    }
    if project_root.canonicalize().ok().is_some_and(|root| root.starts_with(&real)) {
        return refuse("it holds the project itself");
    }
    if !real.is_dir() {
        return refuse("it is not a folder");
    }
    if !is_ours(&real, envs) {
        return refuse("it is not empty and pgrender did not create it");
    }
    Ok(())
}

/// Whether a folder is empty or holds nothing but pgrender's output: every
/// entry is a folder named after an environment, a folder with a record, a
/// staging leftover, or the `SHA256SUMS` that `--manifest` writes.
fn is_ours(dir: &Path, envs: &[String]) -> bool {
    let Ok(entries) = fs::read_dir(dir) else { return false };
    entries.filter_map(Result::ok).all(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        // An environment's name counts whatever it is: writing refuses a
        // symlink there with its own, more precise error.
        envs.contains(&name)
            || (name == SUMS && fs::read_to_string(entry.path()).is_ok_and(|text| is_sums(&text)))
            || (entry.file_type().is_ok_and(|t| t.is_dir())
                && (entry.path().join(RECORD).is_file() || is_staging_name(&name)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_dangerous_folders_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        fs::create_dir_all(&project).unwrap();
        let envs = ["dev".to_string()];
        let refused = |out: &Path| matches!(check_out(out, &project, &envs, false), Err(Error::Usage(_)));
        assert!(refused(Path::new("/")));
        assert!(refused(&project));
        assert!(refused(tmp.path()), "an ancestor of the project");
        let foreign = tmp.path().join("docs");
        fs::create_dir_all(&foreign).unwrap();
        fs::write(foreign.join("notes.txt"), "mine").unwrap();
        assert!(refused(&foreign));
        assert!(check_out(&foreign, &project, &envs, true).is_ok());
        assert!(check_out(&tmp.path().join("new"), &project, &envs, false).is_ok());
        let ours = tmp.path().join("out");
        fs::create_dir_all(ours.join("dev")).unwrap();
        fs::create_dir_all(ours.join("old-env")).unwrap();
        fs::write(ours.join("old-env").join(RECORD), "").unwrap();
        assert!(check_out(&ours, &project, &envs, false).is_ok());
    }
}
