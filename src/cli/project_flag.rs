//! `-C DIR` before or after the subcommand, as git and cargo take it: the
//! one normalisation of the raw command line before it is validated.

use clap::CommandFactory as _;

use super::args::{Cli, Command, NewArgs, NewCommand, RenderArgs};

impl Cli {
    /// Hands `-C DIR` given before a subcommand to the subcommand, as git and
    /// cargo do, and refuses other render flags there: `pgrender -C db
    /// values --env eks` works, `pgrender --env eks values` is a usage error.
    pub(super) fn settle(mut self) -> Result<Cli, clap::Error> {
        let Some(command) = &mut self.command else { return Ok(self) };
        let top = std::mem::take(&mut self.render.selection.layers.project);
        let name = command.name();
        if self.render != RenderArgs::default() {
            return Err(Cli::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("render options go after `pgrender` only when no subcommand is given; put them after `{name}`"),
            ));
        }
        let Some(top) = top else { return Ok(self) };
        let slot = match command {
            Command::Render(args) => &mut args.selection.layers.project,
            Command::Values(args) => &mut args.selection.layers.project,
            Command::Watch(args) => &mut args.selection.layers.project,
            Command::Check(args) => &mut args.selection.layers.project,
            Command::Diff(args) => &mut args.selection.layers.project,
            Command::Docs(args) => &mut args.generate.project,
            Command::Schema(args) => &mut args.project,
            Command::New(NewArgs { what: NewCommand::Chart(args) }) => &mut args.project,
            Command::Graph(args) => &mut args.selection.layers.project,
            Command::Rules | Command::Init(_) | Command::Completions(_) | Command::Man(_) => {
                return Err(Cli::command().error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("`{name}` does not read a project, so it takes no -C/--project"),
                ));
            }
        };
        // `-C a … -C b` means `a/b`, as in git.
        *slot = Some(slot.as_deref().map_or_else(|| top.clone(), |inner| crate::source::resolve(&top, inner)));
        Ok(self)
    }
}

impl Command {
    /// The subcommand's name, as typed.
    fn name(&self) -> &'static str {
        match self {
            Command::Render(_) => "render",
            Command::Values(_) => "values",
            Command::Watch(_) => "watch",
            Command::Check(_) => "check",
            Command::Diff(_) => "diff",
            Command::Rules => "rules",
            Command::Init(_) => "init",
            Command::Docs(_) => "docs",
            Command::Schema(_) => "schema",
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
            Command::New(_) => "new",
            Command::Graph(_) => "graph",
        }
    }
}
