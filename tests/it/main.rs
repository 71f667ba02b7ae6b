//! Integration tests: the real binary on committed testdata and synthetic data.
//! One module per command, plus the cross-cutting privacy and determinism checks.

mod workdir;

mod table_read;

mod audit;
mod cli;
mod cluster;
#[cfg(feature = "dicomweb")]
mod dicomweb;
mod drift;
mod drill;
mod examples;
mod explore;
#[cfg(feature = "dicomweb")]
mod fake_dicomweb;
mod faults;
#[cfg(feature = "dicomweb")]
mod faults_web;
mod features;
mod gate;
mod golden;
mod html;
mod layers;
mod logs;
#[cfg(feature = "dicomweb")]
mod orthanc;
mod outputs;
mod performance;
mod privacy;
mod profile;
mod scan;
mod spark;
mod synth;
mod terminal;
