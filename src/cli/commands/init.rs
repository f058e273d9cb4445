//! `pgrender init`: write the starter project into a folder.

use std::path::Path;

use crate::cli::terminal::{next_steps, status};
use crate::error::Error;
use crate::init;
use crate::source::display_path;

/// `init`: writes the starter project and says what to run next.
pub fn run(dir: &Path, force: bool) -> Result<(), Error> {
    let files = init::write_starter(dir, force)?;
    status("created", format_args!("{} files in {}", files.len(), display_path(dir)));
    let cd = format!("cd {}", display_path(dir));
    next_steps(&[(&cd, ""), ("pgrender --all", "render every environment into k8s-manifests/")]);
    Ok(())
}
