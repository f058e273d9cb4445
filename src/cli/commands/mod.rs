//! One file per command: each takes its validated configuration and does
//! the work through the engine, printing through [`super::terminal`].

mod check;
mod diff;
mod docs;
mod graph;
mod init;
mod man;
mod new;
mod render;
mod rules;
mod values;
mod watch;

use super::config::Action;
use crate::error::Error;

/// Runs a validated action.
pub fn run(action: Action) -> Result<(), Error> {
    match action {
        Action::Render(config) => render::run(config),
        Action::Values(config) => values::run(&config),
        Action::Init { dir, force } => init::run(&dir, force),
        Action::Docs { project, charts, mode } => docs::docs(&project, &charts, mode),
        Action::Schema { project, mode } => docs::schema(&project, mode),
        Action::Completions(shell) => man::completions(shell),
        Action::Man { out } => man::man(out.as_deref()),
        Action::Watch(config) => watch::run(config),
        Action::Check(config) => check::run(config),
        Action::Diff(config) => diff::run(config),
        Action::Rules => rules::run(),
        Action::NewChart { project, name } => new::chart(&project, &name),
        Action::Graph(config) => graph::run(&config),
    }
}
