//! pgrender renders per-environment Kubernetes manifests from TOML values,
//! a JSON Schema and minijinja templates into a numbered manifest tree.

pub mod check;
pub mod cli;
pub mod collision;
pub mod confine;
pub mod diagnostic;
pub mod docs;
pub mod editor_schema;
pub mod environment;
pub mod error;
pub mod files;
pub mod filters;
pub mod generated;
pub mod graph;
pub mod init;
pub mod locate;
pub mod order;
pub mod output;
pub mod parallel;
pub mod pipeline;
pub mod project;
pub mod redact;
pub mod render;
pub mod scaffold;
pub mod schema;
pub mod source;
pub mod template_words;
pub mod values;
pub mod watch;
pub mod yaml;
