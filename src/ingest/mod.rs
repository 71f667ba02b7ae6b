//! Readers that turn what a hospital has into Arrow tables: DICOM headers ([`dicom`]),
//! inference logs ([`logs`]), and the synthetic-data generator ([`synth`]).

pub mod dicom;
pub mod dicomweb;
pub mod logs;
pub mod synth;
