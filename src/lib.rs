//! postmarket: post-market surveillance of machine-learning models that read medical images.
//!
//! The pipeline reads what a hospital has — folders of DICOM files and a model's inference
//! logs — into typed Arrow tables, then compares a serving window with a versioned baseline.
//!
//! - [`ingest`] turns DICOM headers and inference logs into Arrow record batches, and writes
//!   realistic synthetic data with a known drift ([`ingest::synth`]).
//! - [`table`] holds the column names and Arrow types (one place) and the Parquet writers.
//! - [`stats`] holds the statistical tests; pure functions over slices, checked against
//!   SciPy/scikit-learn fixtures.
//! - [`config`] is the YAML configuration, validated strictly.
//! - [`cmd`] has one module per subcommand: arguments → library calls → output.
//! - [`atomic`] is how every output file is written: in full, or not at all.

pub mod analysis;
pub mod atomic;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod error;
pub mod fuzz;
pub mod history;
pub mod ingest;
pub mod privacy;
pub mod report;
pub mod stats;
pub mod table;
