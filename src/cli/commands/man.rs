//! `pgrender completions` and `pgrender man`: what a shell and `man` need,
//! generated from the argument types themselves.

use std::path::Path;

use clap::CommandFactory as _;

use crate::cli::args::Cli;
use crate::cli::terminal::{status, write_stdout};
use crate::error::Error;
use crate::source::display_path;

/// `completions`: the completion script for `shell`.
///
/// The script asks `pgrender` itself for candidates on each Tab press
/// (clap's dynamic completion, `COMPLETE=<shell> pgrender -- …`), so `--env`
/// completes the environments of the project in the current folder, and the
/// script never goes stale when commands or flags change.
pub fn completions(shell: clap_complete::Shell) -> Result<(), Error> {
    let shells = clap_complete::env::Shells::builtins();
    let name = shell.to_string();
    let completer = shells.completer(&name).expect("every clap_complete shell has a dynamic completer");
    let mut script = Vec::new();
    completer
        .write_registration("COMPLETE", "pgrender", "pgrender", "pgrender", &mut script)
        .map_err(|source| Error::Write { path: "<stdout>".into(), source })?;
    write_stdout(&String::from_utf8_lossy(&script))
}

/// `man`: `pgrender.1` on stdout, or every page written into `out`.
pub fn man(out: Option<&Path>) -> Result<(), Error> {
    let Some(out) = out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut page)
            .map_err(|source| Error::Write { path: "<stdout>".into(), source })?;
        return write_stdout(&String::from_utf8_lossy(&page));
    };
    std::fs::create_dir_all(out).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    clap_mangen::generate_to(Cli::command(), out).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    status("wrote", format_args!("man pages in {}", display_path(out)));
    Ok(())
}
