//! `pgrender new chart`: add a chart to the project.

use crate::cli::terminal::{next_steps, status};
use crate::error::Error;
use crate::project::Project;
use crate::source::display_path;

/// `new chart`: adds the chart and says what changed and what to run next.
pub fn chart(project: &Project, name: &str) -> Result<(), Error> {
    let added = crate::scaffold::new_chart(project, name)?;
    for file in &added.created {
        status("created", file);
    }
    for file in &added.updated {
        status("updated", file);
    }
    let graph = format!("pgrender graph --env {}", project.environment_names()?.first().map_or("ENV", String::as_str));
    let into = format!("render it into {}/<env>/{}/", display_path(&project.output), added.folder);
    next_steps(&[("pgrender --all", &into), (&graph, "see how it hangs together with the other charts")]);
    Ok(())
}
