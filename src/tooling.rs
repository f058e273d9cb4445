//! The commands that set a project up and keep it documented rather than
//! render it: `init`, `docs`, `schema`, `completions` and `man`.

use std::fmt::Write as _;
use std::path::Path;

use clap::CommandFactory as _;

use crate::cli::Cli;
use crate::docs;
use crate::editor_schema;
use crate::error::Error;
use crate::generated::{self, Mode, Outcome};
use crate::init;
use crate::project::{Chart, Project};
use crate::schema::Schema;
use crate::source::{display_path, parse_toml};

/// `init`: writes the starter project and says what to run next.
pub fn init(dir: &Path, force: bool) -> Result<(), Error> {
    let files = init::write_starter(dir, force)?;
    eprintln!("{:>10} {} files in {}", "created", files.len(), display_path(dir));
    eprintln!(
        "\nNext:\n  cd {}\n  pgrender --all            render every environment into k8s-manifests/",
        display_path(dir)
    );
    Ok(())
}

/// `new chart`: adds the chart and says what changed and what to run next.
pub fn new_chart(project: &Project, name: &str) -> Result<(), Error> {
    let added = crate::scaffold::new_chart(project, name)?;
    for file in &added.created {
        eprintln!("{:>10} {file}", "created");
    }
    for file in &added.updated {
        eprintln!("{:>10} {file}", "updated");
    }
    let graph = format!("pgrender graph --env {}", project.environment_names()?.first().map_or("ENV", String::as_str));
    eprintln!(
        "\nNext:\n  {:<26}render it into {}/<env>/{}/\n  {graph:<26}see how it hangs together with the other charts",
        "pgrender --all",
        display_path(&project.output),
        added.folder,
    );
    Ok(())
}

/// `docs`: each chart's values reference, printed, written into its README, or checked.
pub fn docs(project: &Project, charts: &[Chart], mode: Mode) -> Result<(), Error> {
    let mut printed = String::new();
    let mut stale = Vec::new();
    for chart in charts {
        let schema = Schema::compile(chart.confine.read(&chart.schema)?)?;
        let section = docs::reference(&schema.doc, &chart_defaults(chart)?, &relative(project, &chart.schema));
        if mode == Mode::Print {
            if charts.len() > 1 {
                let _ = write!(printed, "## {}\n\n", chart.meta.name);
            }
            printed.push_str(&section);
            continue;
        }
        // Read and written where its links lead, which must be inside the project.
        let readme = chart.confine.resolve(&chart.dir.join("README.md"))?;
        let old = std::fs::read_to_string(&readme)
            .unwrap_or_else(|_| docs::new_readme(&chart.meta.name, &chart.meta.description));
        let text = docs::splice(&old, &section);
        let fix = format!("pgrender docs --write --chart {}", chart.meta.name);
        finish(mode, &readme, &text, &fix, &mut stale)?;
    }
    if mode == Mode::Print {
        return crate::commands::write_stdout(&printed);
    }
    Error::collect(stale).map_or(Ok(()), Err)
}

/// `schema`: the environment-file schema, printed, written or checked.
pub fn schema(project: &Project, mode: Mode) -> Result<(), Error> {
    let text = editor_schema::environment_file_schema(project)?;
    if mode == Mode::Print {
        return crate::commands::write_stdout(&text);
    }
    let mut stale = Vec::new();
    let path = project.confine.resolve(&project.root.join(editor_schema::PATH))?;
    finish(mode, &path, &text, "pgrender schema --write", &mut stale)?;
    Error::collect(stale).map_or(Ok(()), Err)
}

/// Writes or checks one generated file, reporting what happened on stderr.
fn finish(mode: Mode, path: &Path, text: &str, fix: &str, stale: &mut Vec<Error>) -> Result<(), Error> {
    match mode {
        Mode::Write => {
            let word = match generated::write(path, text)? {
                Outcome::Written => "wrote",
                Outcome::Unchanged => "unchanged",
            };
            eprintln!("{word:>10} {}", display_path(path));
        }
        Mode::Check => match generated::check(path, text, fix) {
            Ok(()) => eprintln!("{:>10} {}", "fresh", display_path(path)),
            Err(err) => stale.push(err),
        },
        Mode::Print => {}
    }
    Ok(())
}

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
    crate::commands::write_stdout(&String::from_utf8_lossy(&script))
}

/// `man`: `pgrender.1` on stdout, or every page written into `out`.
pub fn man(out: Option<&Path>) -> Result<(), Error> {
    let Some(out) = out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut page)
            .map_err(|source| Error::Write { path: "<stdout>".into(), source })?;
        return crate::commands::write_stdout(&String::from_utf8_lossy(&page));
    };
    std::fs::create_dir_all(out).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    clap_mangen::generate_to(Cli::command(), out).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    eprintln!("{:>10} man pages in {}", "wrote", display_path(out));
    Ok(())
}

/// The chart's `values.toml` as JSON, for the defaults column.
fn chart_defaults(chart: &Chart) -> Result<serde_json::Value, Error> {
    let source = chart.confine.read(&chart.dir.join("values.toml"))?;
    parse_toml(&source)
}

/// `path` relative to the project root with `/` separators, so generated text
/// does not depend on where the project is checked out.
fn relative(project: &Project, path: &Path) -> String {
    let rel = path.strip_prefix(&project.root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
