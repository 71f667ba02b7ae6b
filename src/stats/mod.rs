//! Statistical tests and effect sizes: pure functions over slices returning plain structs.
//!
//! Nothing here does I/O or knows about Arrow; every function is checked against reference
//! values computed once with SciPy / scikit-learn / statsmodels (`scripts/make_fixtures.py`,
//! committed fixtures under `testdata/fixtures/`).

pub mod calibrate;
pub mod calibration;
pub mod changepoint;
pub mod chisq;
pub mod distance;
pub mod fdr;
#[cfg(test)]
pub(crate) mod fixture;
pub mod interval;
pub mod ks;
pub mod proportion;
pub mod quantile;
pub mod roc;
pub mod sequential;
