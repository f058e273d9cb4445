//! pgrender renders per-environment Kubernetes manifests from TOML values,
//! a JSON Schema and minijinja templates into a numbered manifest tree.

pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnostic;
pub mod error;
pub mod filters;
pub mod locate;
pub mod order;
pub mod output;
pub mod parallel;
pub mod pipeline;
pub mod project;
pub mod render;
pub mod schema;
pub mod source;
pub mod values;
