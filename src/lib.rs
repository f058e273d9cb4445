//! pgrender renders per-environment Kubernetes manifests from TOML values,
//! a JSON Schema and minijinja templates into a numbered manifest tree.
//!
//! [`cli`] is the command side (arguments, validated configuration, terminal
//! output, one file per command); every other module is the engine below it
//! and never imports it. Public are the modules the fuzz target, the benches
//! and the tests drive; the rest stay private to the crate.

pub mod check;
pub mod cli;
mod collision;
mod confine;
pub mod diagnostic;
mod docs;
mod editor_schema;
pub mod environment;
pub mod error;
pub mod files;
mod filters;
mod generated;
pub mod graph;
mod init;
mod locate;
mod order;
pub mod output;
mod parallel;
pub mod pipeline;
pub mod project;
mod redact;
pub mod render;
mod scaffold;
pub mod schema;
pub mod source;
mod template_words;
pub mod values;
pub mod watch;
pub mod yaml;
