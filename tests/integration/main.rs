//! Integration tests: the real `pgrender` binary run on real projects in
//! temp dirs, one module per area.

mod harness;

mod argocd;
mod chart;
mod chart_values;
mod checks;
mod ci;
mod cli_usage;
mod confinement;
mod conventions;
mod corpus;
mod crash;
mod errors;
mod graph;
mod layering;
mod machine_output;
mod manifest;
mod messages;
mod multichart;
mod new_chart;
mod pg_pods;
mod readme;
mod render;
mod replication;
mod secrets;
mod tooling;
mod values;
mod walg;
mod watch;
