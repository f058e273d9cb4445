//! The command side of pgrender: raw arguments (`args`), checked against
//! the project into a validated `config::Action` (`config`), run by one
//! file per command (`commands`), with every line for the terminal going
//! through `terminal`. The engine below never imports this module.

mod args;
mod commands;
mod config;
mod project_flag;
mod terminal;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

use args::{Cli, Command, FindingsFormat};
use config::Action;

/// Runs pgrender with the process's arguments: parse, validate, run, and map
/// the result to an exit code (0 ok, 1 failed, 2 usage error).
pub fn main() -> ExitCode {
    // Under `COMPLETE=<shell>` the shell asks for completions: answer and exit.
    clap_complete::CompleteEnv::with_factory(Cli::command).complete();
    let cli = match Cli::try_parse().and_then(Cli::settle) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    let format = match &cli.command {
        Some(Command::Check(args)) => args.format,
        _ => FindingsFormat::Text,
    };
    let action = Action::from_cli(cli).map_err(|err| terminal::document_error(format, err));
    match action.and_then(commands::run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            terminal::report(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
