//! DICOM headers into Arrow: bounded reading, one walk that checks and indexes the header
//! (`guard`), values read by VR and character set (`header`, `value`, `charset`), typed
//! field extraction (`fields`), and the parallel scan that writes `headers.parquet`.

pub mod age;
pub mod batch;
pub mod charset;
pub mod fields;
pub mod guard;
pub mod header;
pub mod meta;
pub mod read;
pub mod scan;
pub mod shard;
pub mod value;
