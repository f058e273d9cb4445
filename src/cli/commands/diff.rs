//! `pgrender diff`: how a render would change the files on disk, or how
//! one environment's output differs from another's, as unified diffs.

use crate::cli::config::DiffConfig;
use crate::cli::terminal::{status, write_stdout};
use crate::error::Error;
use crate::output::drift;
use crate::pipeline::Pipeline;
use crate::source::display_path;

/// `pgrender diff`: unified diffs against the files on disk or another
/// environment; with `--exit-code`, differences fail the command.
pub fn run(config: DiffConfig) -> Result<(), Error> {
    let pipeline = Pipeline::compile(config.project)?;
    let mut text = String::new();
    let mut differing = Vec::new();
    // The same render as every command; `diff` shows changes, not findings.
    if let Some(other) = &config.against {
        let env = &config.envs[0];
        let (new, _) = pipeline.render_checked(env, &config.overrides, &config.out)?;
        let (old, _) = pipeline.render_checked(other, &config.overrides, &config.out)?;
        let changes = drift::between(&old, &new);
        status("diff", format_args!("{other} → {env}: {}", describe(&changes)));
        text = old.redactor.text(&new.redactor.text(&drift::unified(&changes, other, env)));
        if !changes.is_empty() {
            differing.push(env.clone());
        }
    } else {
        for (new, _) in pipeline.render_checked_all(&config.envs, &config.overrides, &config.out)? {
            let dir = config.out.join(&new.name);
            let changes = drift::against_disk(&dir, &new)?;
            status("diff", format_args!("{} → rendered: {}", display_path(&dir), describe(&changes)));
            text.push_str(&new.redactor.text(&drift::unified(&changes, &new.name, &new.name)));
            if !changes.is_empty() {
                differing.push(new.name.clone());
            }
        }
    }
    write_stdout(&text)?;
    if config.exit_code && !differing.is_empty() {
        return Err(Error::Differences(differing));
    }
    Ok(())
}

fn describe(changes: &[drift::FileChange]) -> String {
    if changes.is_empty() { "no differences".to_string() } else { drift::summary(changes) }
}
