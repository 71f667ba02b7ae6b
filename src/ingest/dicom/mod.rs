//! DICOM headers into Arrow: a bounded structural guard, dicom-object parsing, typed field
//! extraction, and the parallel scan that writes `headers.parquet`.

pub mod age;
pub mod batch;
pub mod fields;
pub mod guard;
pub mod read;
pub mod scan;
