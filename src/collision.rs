//! Output paths claimed twice. Every chart of a project writes into the same
//! numbered tree, so two templates (of one chart or of two) can map to the
//! same output file, and the later one would silently replace the earlier.
//! Found when the project compiles, before any environment renders or
//! anything is written, whatever each environment would render.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::error::Error;

/// One output template: the file it renders and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path in the environment's folder, e.g. `1-namespaces/namespaces.yaml`.
    pub path: String,
    /// The template, relative to the project root.
    pub template: String,
    /// The chart it belongs to.
    pub chart: String,
}

/// How two outputs clash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clash {
    /// Both render the same file.
    SamePath,
    /// Their paths differ only in case: one file on macOS and Windows checkouts.
    CaseOnly,
    /// The first renders a file where the second needs a folder.
    FileIsFolder,
}

/// Fails with one error per clash between `outputs` (in project order).
pub fn check(outputs: &[Output]) -> Result<(), Error> {
    let mut errors = Vec::new();
    // Keyed by the lower-cased path: case-insensitive file systems are common
    // where the committed tree is checked out.
    let mut seen: BTreeMap<String, &Output> = BTreeMap::new();
    for output in outputs {
        match seen.get(&output.path.to_lowercase()) {
            Some(first) => {
                let clash = if first.path == output.path { Clash::SamePath } else { Clash::CaseOnly };
                errors.push(collision(first, output, clash));
            }
            None => {
                seen.insert(output.path.to_lowercase(), output);
            }
        }
    }
    for output in outputs {
        let mut folder = String::new();
        for part in output.path.split('/').rev().skip(1).collect::<Vec<_>>().into_iter().rev() {
            if !folder.is_empty() {
                folder.push('/');
            }
            folder.push_str(&part.to_lowercase());
            if let Some(file) = seen.get(&folder) {
                errors.push(collision(file, output, Clash::FileIsFolder));
            }
        }
    }
    Error::collect(errors).map_or(Ok(()), Err)
}

/// Two outputs that cannot both be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// The template that claims the path first, in project order.
    pub first: Output,
    /// The template that claims it again.
    pub second: Output,
    /// How the two clash.
    pub clash: Clash,
}

fn collision(first: &Output, second: &Output, clash: Clash) -> Error {
    Error::PathCollision(Box::new(Collision { first: first.clone(), second: second.clone(), clash }))
}

impl Collision {
    /// The error's one-line summary.
    pub fn message(&self) -> String {
        let path = &self.second.path;
        match self.clash {
            Clash::SamePath => format!("two templates render the same output file `{path}`"),
            Clash::CaseOnly => format!("two templates render output files that differ only in case (`{path}`)"),
            Clash::FileIsFolder => format!("a template renders a file where another needs a folder (`{path}`)"),
        }
    }

    /// The error with both templates and a way out.
    pub fn diagnostic(&self) -> Diagnostic {
        let (first, second) = (&self.first, &self.second);
        let place = |o: &Output| format!("{} (chart `{}`)", o.template, o.chart);
        let diagnostic = Diagnostic::error(self.message());
        let diagnostic = match self.clash {
            Clash::SamePath => diagnostic.note(place(first)).note(place(second)),
            Clash::CaseOnly => diagnostic.note(format!("{} renders {}", place(first), first.path)).note(format!(
                "{} renders {}",
                place(second),
                second.path
            )),
            Clash::FileIsFolder => diagnostic
                .note(format!("{} renders the file {}", place(first), first.path))
                .note(format!("{} renders {}", place(second), second.path)),
        };
        if self.clash == Clash::FileIsFolder {
            return diagnostic.help(format!("rename {}: a file and a folder cannot share a name", first.template));
        }
        let (folder, file) = second.template.rsplit_once('/').unwrap_or(("", &second.template));
        diagnostic.help(format!(
            "rename one of them, keeping its numbered folder (the folder sets the apply order, the file name only has to be unique), e.g. {folder}/{}-{file}",
            second.chart
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(chart: &str, path: &str) -> Output {
        Output { path: path.into(), template: format!("charts/{chart}/templates/{path}.j2"), chart: chart.into() }
    }

    fn clashes(outputs: &[Output]) -> Vec<(String, String, Clash)> {
        let errors = match check(outputs) {
            Ok(()) => return Vec::new(),
            Err(Error::Many(errors)) => errors,
            Err(err) => vec![err],
        };
        errors
            .into_iter()
            .map(|e| match e {
                Error::PathCollision(c) => (c.first.template, c.second.template, c.clash),
                other => panic!("{other}"),
            })
            .collect()
    }

    #[test]
    fn distinct_paths_pass() {
        let outputs = [output("postgres", "1-namespaces/namespaces.yaml"), output("backend", "5-backend/app.yaml")];
        assert!(clashes(&outputs).is_empty());
    }

    #[test]
    fn two_charts_rendering_one_file_name_both_templates_in_order() {
        let outputs =
            [output("postgres", "1-namespaces/namespaces.yaml"), output("backend", "1-namespaces/namespaces.yaml")];
        assert_eq!(
            clashes(&outputs),
            [(
                "charts/postgres/templates/1-namespaces/namespaces.yaml.j2".to_string(),
                "charts/backend/templates/1-namespaces/namespaces.yaml.j2".to_string(),
                Clash::SamePath
            )]
        );
    }

    #[test]
    fn paths_that_differ_only_in_case_clash() {
        let outputs = [output("a", "4-db/Service.yaml"), output("b", "4-db/service.yaml")];
        assert_eq!(clashes(&outputs)[0].2, Clash::CaseOnly);
    }

    #[test]
    fn a_file_where_another_template_needs_a_folder_clashes() {
        let outputs = [output("a", "5-backend"), output("b", "5-backend/app.yaml")];
        assert_eq!(clashes(&outputs)[0].2, Clash::FileIsFolder);
    }

    #[test]
    fn every_clash_is_reported() {
        let outputs = [output("a", "x.yaml"), output("b", "x.yaml"), output("c", "x.yaml"), output("c", "y.yaml")];
        assert_eq!(clashes(&outputs).len(), 2);
    }
}
