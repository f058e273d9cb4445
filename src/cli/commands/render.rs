//! `pgrender` and `pgrender render`: render environments, run the output
//! checks, and write the tree (or print one stream) only when they pass.

use crate::check::fail_on_findings;
use crate::cli::config::{Destination, RenderConfig};
use crate::cli::terminal::{print_findings, status, write_stdout};
use crate::error::Error;
use crate::output::{Changes, SUMS, write_tree};
use crate::pipeline::Pipeline;
use crate::source::display_path;

/// Renders, checks and writes (or prints) every environment of `config`.
pub fn run(config: RenderConfig) -> Result<(), Error> {
    let pipeline = Pipeline::compile(config.project)?;
    let checked = pipeline.render_checked_all(&config.envs, &config.overrides, &config.out)?;
    // The process ends after this command: freeing the compiled schemas and
    // templates one allocation at a time would only delay the exit.
    std::mem::forget(pipeline);
    let (rendered, reports): (Vec<_>, Vec<_>) = checked.into_iter().unzip();
    print_findings(&reports, config.annotations)?;
    fail_on_findings(&reports, config.strict, "nothing was written")?;
    if config.destination == Destination::Stdout {
        // Everything is rendered before the first byte is printed: a failure
        // leaves stdout empty, which the Argo CD plugin relies on.
        return write_stdout(&rendered[0].stream());
    }
    let sums = config.destination == (Destination::Files { sums: true });
    let sums_path = config.out.join(SUMS);
    let had_sums = sums_path.is_file();
    let changes = write_tree(&config.out, &rendered, sums, config.lock_wait)?;
    for (env, changes) in rendered.iter().zip(changes) {
        let folder = display_path(&config.out.join(&env.name));
        status("rendered", format_args!("{} → {folder} ({} files{})", env.name, env.files.len(), summary(&changes)));
    }
    if sums || had_sums {
        status(if sums { "wrote" } else { "updated" }, display_path(&sums_path));
    }
    Ok(())
}

fn summary(changes: &Changes) -> String {
    if changes.is_empty() {
        return ", unchanged".to_string();
    }
    let parts: Vec<String> =
        [("added", changes.added.len()), ("changed", changes.changed.len()), ("removed", changes.removed.len())]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(what, n)| format!("{n} {what}"))
            .collect();
    format!(": {}", parts.join(", "))
}
