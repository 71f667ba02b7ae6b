//! Model performance: the metrics and non-inferiority checks ([`metrics`]), and the
//! `performance` analysis over a serving window ([`run`]).

mod metrics;
mod run;
mod side;

pub use metrics::{compare, metrics, Labelled, Metrics, Rate};
pub use run::run;
