//! Tables: column names and Arrow types (one place), and the Parquet writer used by every
//! command that writes a table.

pub mod parquet;
pub mod rejects;
pub mod schema;
