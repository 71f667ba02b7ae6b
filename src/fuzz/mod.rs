//! Seeded fuzzing on stable Rust: structural mutations of committed inputs fed to the
//! parsers, each input checked for the parser's own promise (a row or a typed reject, a
//! finite number or none, an expression that prints back to itself), panics caught.
//!
//! There is no nightly toolchain here, so no libFuzzer; `examples/fuzz.rs` runs these
//! targets for a given time (`scripts/fuzz.sh SECONDS`) and `tests/robustness.rs` runs a
//! short fixed-seed pass in `cargo test`. Inputs that break a promise are returned so the
//! runner can save them.

pub mod mutate;
pub mod peak;
pub mod targets;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

pub use targets::Target;

/// How long a run lasts.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    Inputs(u64),
    Time(Duration),
}

/// What a run saw.
#[derive(Debug, Default)]
pub struct Stats {
    pub inputs: u64,
    /// Outcomes by name (`row`, a reject kind, `parsed`, `refused`, ...).
    pub outcomes: BTreeMap<String, u64>,
    /// Inputs that broke a promise or panicked, with what went wrong.
    pub failures: Vec<(Vec<u8>, String)>,
}

/// Runs `target` from `seed` until `budget` is spent.
pub fn run(target: &Target, seed: u64, budget: Budget) -> Stats {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let started = Instant::now();
    let mut stats = Stats::default();
    loop {
        let done = match budget {
            Budget::Inputs(n) => stats.inputs >= n,
            Budget::Time(t) => started.elapsed() >= t,
        };
        if done {
            return stats;
        }
        let input = target.generate(&mut rng);
        let outcome = catch_unwind(AssertUnwindSafe(|| target.check(&input)));
        stats.inputs += 1;
        match outcome {
            Ok(Ok(name)) => *stats.outcomes.entry(name).or_insert(0) += 1,
            Ok(Err(broken)) => stats.failures.push((input, broken)),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                stats.failures.push((input, format!("panic: {message}")));
            }
        }
    }
}
