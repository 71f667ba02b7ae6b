//! Analyses over the case table: subgroup expressions, drift, findings.

pub mod expr;
