//! Analyses over the case table: subgroup expressions and resolution, the drift engine,
//! checks and findings with their decision rule, and the actions a finding suggests.

pub mod actions;
pub mod audit;
pub mod baseline;
pub mod changes;
pub mod cluster;
pub mod concept;
pub mod distribution;
pub mod drift;
pub mod drill;
pub mod estimated;
pub mod explore;
pub mod expr;
pub mod findings;
pub mod gate;
pub mod localise;
pub mod occupancy;
pub mod performance;
pub mod profile;
pub mod report;
pub mod sequential;
pub mod snapshot;
pub mod subgroups;
pub mod window;
