//! Tables: column names and Arrow types (one place), and the Parquet writer used by every
//! command that writes a table.

pub mod cases;
pub mod cast;
pub mod columns;
pub mod inputs;
pub mod parquet;
pub mod parts;
pub mod rejects;
pub mod schema;
pub mod window;

/// The hasher for maps keyed by UIDs and category names: aHash (SipHash over a million
/// 60-byte UIDs was a third of a run), with fixed seeds so nothing depends on the process.
pub fn fast_hasher() -> ahash::RandomState {
    ahash::RandomState::with_seeds(0x9e37, 0x79b9, 0x7f4a, 0x7c15)
}
