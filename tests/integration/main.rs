//! Integration tests: the real `pgrender` binary run on real projects in
//! temp dirs, one module per area.

mod harness;

mod argocd;
mod chart;
mod chart_values;
mod checks;
mod ci;
mod confinement;
mod corpus;
mod crash;
mod errors;
mod pg_pods;
mod render;
mod replication;
mod secrets;
mod tooling;
mod values;
mod watch;
