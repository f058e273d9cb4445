//! Integration tests: the real `pgrender` binary run on real projects in
//! temp dirs, one module per area.

mod harness;

mod argocd;
mod chart;
mod chart_values;
mod checks;
mod ci;
mod errors;
mod render;
mod tooling;
mod values;
mod watch;
