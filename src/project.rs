//! The project on disk: `pgrender.toml`, its charts (`chart.toml`,
//! `values.toml`, `templates/`), their schemas and the environment files.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::confine::{Confine, Named};
use crate::error::{Error, UsageError, did_you_mean};
use crate::source::{parse_toml, resolve};

/// The project file's name.
pub const PROJECT_FILE: &str = "pgrender.toml";

/// `pgrender.toml` as written, with the span of every path so that a path
/// leading outside the project is reported at its line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    output: Option<Spanned<PathBuf>>,
    environments: Option<Spanned<PathBuf>>,
    base: Option<Spanned<PathBuf>>,
    #[serde(rename = "chart")]
    charts: Vec<ChartEntry>,
}

const DEFAULT_OUTPUT: &str = "k8s-manifests";
const DEFAULT_ENVIRONMENTS: &str = "environments";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChartEntry {
    path: Spanned<PathBuf>,
    schema: Spanned<PathBuf>,
}

/// `chart.toml` as written.
#[derive(Debug, Deserialize, serde::Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ChartMeta {
    /// The chart's name; its values live under this key.
    pub name: String,
    /// The chart's version.
    pub version: String,
    /// One line on what it deploys.
    #[serde(default)]
    pub description: String,
}

/// A chart of the project.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Name, version, description.
    pub meta: ChartMeta,
    /// The chart folder.
    pub dir: PathBuf,
    /// The chart folder relative to the project root, with `/` separators.
    pub rel_dir: String,
    /// The chart's JSON Schema file.
    pub schema: PathBuf,
    /// The project folder that the chart's files must stay inside.
    pub confine: Confine,
}

/// A loaded project.
#[derive(Debug, Clone)]
pub struct Project {
    /// The folder holding `pgrender.toml`.
    pub root: PathBuf,
    /// Default output folder.
    pub output: PathBuf,
    /// Folder of environment files.
    pub environments: PathBuf,
    /// Optional shared base values file.
    pub base: Option<PathBuf>,
    /// The charts, in project-file order.
    pub charts: Vec<Chart>,
    /// Every file the project names is read through this: it stays inside `root`.
    pub confine: Confine,
}

impl Project {
    /// Finds `pgrender.toml` in `start` or the nearest parent and loads it.
    pub fn discover(start: &Path) -> Result<Project, Error> {
        let found = start.ancestors().find(|dir| dir.join(PROJECT_FILE).is_file());
        let root = found.ok_or_else(|| UsageError::ProjectNotFound(start.to_path_buf()))?;
        Project::load(root)
    }

    /// Loads the project whose `pgrender.toml` is in `root`. Every path it
    /// names must lead inside `root` (after symbolic links) and exist; all
    /// that do not are reported, each at its line, before any of them is read.
    pub fn load(root: &Path) -> Result<Project, Error> {
        let confine = Confine::new(root, "the project")?;
        let source = confine.read(Path::new(PROJECT_FILE))?;
        let file: ProjectFile = parse_toml(&source)?;
        let mut named: Vec<(&str, Option<&Spanned<PathBuf>>, &str)> = vec![
            ("output", file.output.as_ref(), DEFAULT_OUTPUT),
            ("environments", file.environments.as_ref(), DEFAULT_ENVIRONMENTS),
        ];
        named.extend(file.base.as_ref().map(|base| ("base", Some(base), "")));
        for entry in &file.charts {
            named.extend([("path", Some(&entry.path), ""), ("schema", Some(&entry.schema), "")]);
        }
        // The output folder may not exist yet; everything else named must.
        let problems = named.into_iter().filter_map(|(key, value, default)| {
            let at = value.map(|v| Named { source: source.clone(), span: v.span(), key: key.to_string() });
            let named_path = value.map_or(Path::new(default), |v| v.get_ref());
            match (confine.resolve_named(named_path, at.as_ref()), at) {
                (Err(escape), _) => Some(escape),
                (Ok(real), Some(at)) if key != "output" && !real.exists() => {
                    Some(Error::Missing { path: root.join(named_path), named: Box::new(at) })
                }
                (Ok(_), _) => None,
            }
        });
        if let Some(err) = Error::collect(problems.collect()) {
            return Err(err);
        }
        let path = |value: Option<&Spanned<PathBuf>>, default: &str| {
            resolve(root, value.map_or(Path::new(default), |v| v.get_ref()))
        };
        let mut charts = Vec::with_capacity(file.charts.len());
        for entry in &file.charts {
            let dir = path(Some(&entry.path), "");
            let meta: ChartMeta = parse_toml(&confine.read(&dir.join("chart.toml"))?)?;
            charts.push(Chart {
                meta,
                rel_dir: entry.path.get_ref().to_string_lossy().replace('\\', "/"),
                dir,
                schema: path(Some(&entry.schema), ""),
                confine: confine.clone(),
            });
        }
        Ok(Project {
            output: path(file.output.as_ref(), DEFAULT_OUTPUT),
            environments: path(file.environments.as_ref(), DEFAULT_ENVIRONMENTS),
            base: file.base.as_ref().map(|base| path(Some(base), "")),
            charts,
            root: root.to_path_buf(),
            confine,
        })
    }

    /// The project's output folder, checked again to lead inside the project
    /// (a link may have appeared since the project was loaded).
    pub fn output_dir(&self) -> Result<PathBuf, Error> {
        self.confine.resolve(&self.output)?;
        Ok(self.output.clone())
    }

    /// Names of all environments (`environments/*.toml` but the base), sorted.
    pub fn environment_names(&self) -> Result<Vec<String>, Error> {
        let entries = std::fs::read_dir(&self.environments)
            .map_err(|source| Error::Io { path: self.environments.clone(), source })?;
        let base = self.base.as_ref().and_then(|b| b.canonicalize().ok());
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
            .filter(|p| base.is_none() || p.canonicalize().ok() != base)
            .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
            .filter(|name| is_env_name(name))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The file of environment `name`.
    pub fn environment_file(&self, name: &str) -> PathBuf {
        self.environments.join(format!("{name}.toml"))
    }

    /// Checks that every requested environment exists; usage error otherwise.
    pub fn check_environments(&self, requested: &[String]) -> Result<(), Error> {
        let known = self.environment_names()?;
        for name in requested {
            if !known.contains(name) {
                return Err(UsageError::UnknownEnv {
                    name: name.clone(),
                    suggestion: did_you_mean(name, known.iter().map(String::as_str)),
                    known,
                }
                .into());
            }
        }
        Ok(())
    }
}

/// Whether a file stem can name an environment: it becomes a folder under
/// the output, so it must be one plain, visible path component.
fn is_env_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_cannot_climb_out_of_the_output_folder() {
        assert!(is_env_name("eks"));
        for bad in [".", "..", ".hidden", "", "a/b", "a\\b"] {
            assert!(!is_env_name(bad), "{bad}");
        }
    }
}
