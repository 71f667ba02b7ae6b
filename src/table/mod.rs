//! Tables: column names and Arrow types (one place), and the Parquet writer used by every
//! command that writes a table.

pub mod cases;
pub mod inputs;
pub mod parquet;
pub mod rejects;
pub mod schema;
pub mod snapshot;
