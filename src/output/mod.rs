//! Rendered output on disk: what an environment's render is
//! ([`RenderedEnv`]), writing it all or nothing (`write`), the record of
//! written files and `SHA256SUMS` (`record`), the output folder's safety
//! rules and lock (`guard`, `lock`), and how a render differs from what is
//! on disk (`drift`).

pub(crate) mod drift;
mod guard;
mod lock;
mod record;
mod write;

use std::fmt::Write as _;

use crate::files::hex_sha256;
use crate::order::apply_order;
use crate::redact::Redactor;
use crate::render::RenderedFile;

pub(crate) use guard::check_out;
pub use lock::LOCK_WAIT;
pub(crate) use lock::LOCK_WAIT_VAR;
pub(crate) use record::{RECORD, SUMS, read_record};
pub use write::write_all;
pub(crate) use write::write_tree;

/// One environment's rendered files, in apply order.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedEnv {
    /// The environment's name (its output folder).
    pub name: String,
    /// Files in apply order.
    pub files: Vec<RenderedFile>,
    /// Masks the environment's sensitive values in what is shown (findings,
    /// diffs); what is written and streamed is never masked.
    pub redactor: Redactor,
}

impl RenderedEnv {
    /// Collects files, sorting them into apply order.
    ///
    /// # Panics
    /// If two files share a path: the pipeline refuses such templates before
    /// rendering (`collision`), so the record can never list a path twice.
    pub fn new(name: String, mut files: Vec<RenderedFile>) -> Self {
        files.sort_by(|a, b| apply_order(&a.path, &b.path));
        if let Some(pair) = files.windows(2).find(|pair| pair[0].path == pair[1].path) {
            panic!("{} and {} both render {}", pair[0].template, pair[1].template, pair[0].path);
        }
        RenderedEnv { name, files, redactor: Redactor::default() }
    }

    /// One YAML stream for `kubectl apply -f -`.
    pub fn stream(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            out.push_str("---\n");
            out.push_str(&file.content);
        }
        out
    }

    /// The record file's text: `<sha256>  <path>` per file.
    pub fn record(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            let _ = writeln!(out, "{}  {}", hex_sha256(file.content.as_bytes()), file.path);
        }
        out
    }
}

/// What writing did to one environment's folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Files that did not exist before.
    pub added: Vec<String>,
    /// Files whose content changed.
    pub changed: Vec<String>,
    /// Files pgrender wrote earlier and no longer renders.
    pub removed: Vec<String>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An environment named `local` holding `files` as (path, content).
    pub(crate) fn env(files: &[(&str, &str)]) -> RenderedEnv {
        RenderedEnv::new(
            "local".into(),
            files
                .iter()
                .map(|(p, c)| RenderedFile {
                    path: (*p).into(),
                    template: format!("t/{p}.j2"),
                    content: (*c).into(),
                    documents: Vec::new(),
                })
                .collect(),
        )
    }

    #[test]
    #[should_panic(expected = "t/a.yaml.j2 and t/a.yaml.j2 both render a.yaml")]
    fn an_environment_never_holds_one_path_twice() {
        env(&[("a.yaml", "a\n"), ("b.yaml", "b\n"), ("a.yaml", "other\n")]);
    }

    #[test]
    fn stream_is_in_apply_order() {
        let e = env(&[("4-db/b.yaml", "b: 1\n"), ("1-ns/a.yaml", "a: 1\n")]);
        assert_eq!(e.stream(), "---\na: 1\n---\nb: 1\n");
    }
}
