//! Integration tests: the real `pgrender` binary run on real projects in
//! temp dirs, one module per area.

mod harness;

mod chart;
mod chart_values;
mod errors;
mod render;
mod values;
