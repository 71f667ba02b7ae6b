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
//! - [`analysis`] holds the analyses, one entry point each (`drift::run`, `performance::run`,
//!   `cluster::run`, `explore::run`, `gate::run`, `baseline::build`) over one serving
//!   [`analysis::window::Window`], returning an [`analysis::report::Report`].
//! - [`report`] writes a `Report`: JSON, Markdown, JUnit, terminal tables.
//!
//! The command line (`cli`, `cmd`) is the binary's own (src/main.rs), not part of the library.
//! - [`atomic`] is how every output file is written: in full, or not at all.

pub mod analysis;
pub mod atomic;
pub mod clock;
pub mod config;
pub mod error;
pub mod format;
pub mod fuzz;
pub mod history;
pub mod ingest;
pub mod privacy;
pub mod report;
pub mod stats;
pub mod table;
