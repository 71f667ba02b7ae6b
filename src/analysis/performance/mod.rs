//! Model performance: the metrics and non-inferiority checks ([`metrics`]), and the
//! `performance` analysis over a serving window ([`run`]).

mod metrics;
mod run;
pub mod shown;
mod side;

pub use metrics::{compare, metrics, Labelled, Metrics, Rate};
pub use run::run;
