//! `synth --candidate`: a second model, `edema-net` version `3.0.0-candidate`, scoring the
//! same serving cases as production, for the release gate (`postmarket gate`).
//!
//! It is better for most patients and worse for the elderly, the failure a gate that only
//! looks at overall numbers lets through:
//!
//! - under 65: `4.0 · q · (z − 0.84) + N(0, 0.3) + 0.4` — more separation, less noise and a
//!   slightly lower operating point than production's `2.5 · q · (z − 0.84) + N(0, 0.8) − 0.4`;
//! - 65 and over: `2.8 · q · (z − 0.84) + N(0, 0.3) − 1.3` — less separation and a shift
//!   down, so it misses positives production finds (sensitivity about 0.7 → 0.35).
//!
//! The noise comes from a generator of its own, so production's scores and every other
//! output are the same with or without `--candidate`. How large a sample shows both sides
//! of the story is worked out in docs/statistics.md (## Release gate).

use rand_distr::{Distribution, Normal};

use super::population::{case_rng, Case, THRESHOLD_V1};

pub const CANDIDATE_VERSION: &str = "3.0.0-candidate";

/// What `truth.yaml` says about the candidate.
pub const DESCRIPTION: &str = "candidate edema-net 3.0.0-candidate on the serving cases: \
score = sigmoid(4.0*q*(z-0.84) + N(0,0.3) + 0.4) under 65; \
sigmoid(2.8*q*(z-0.84) + N(0,0.3) - 1.3) at 65 and over (misses positives production finds)";

/// Age from which the candidate is worse.
pub const OLDER_FROM: u32 = 65;

/// The candidate's score for case `index` of side `side` (rounded like production's).
pub fn score(case: &Case, seed: u64, side: u64, index: u64) -> f64 {
    let mut rng = case_rng(seed ^ 0xCA4D_1DA7_E000, side, index);
    let noise = Normal::new(0.0, 0.3)
        .expect("valid normal")
        .sample(&mut rng);
    let signal = case.quality * (case.latent - THRESHOLD_V1);
    let logit = if case.age_years >= OLDER_FROM {
        2.8 * signal + noise - 1.3
    } else {
        4.0 * signal + noise + 0.4
    };
    let score = 1.0 / (1.0 + (-logit).exp());
    (score * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::synth::population::draw_case;
    use crate::ingest::synth::scenario::Effects;

    /// Sensitivity at 0.5 of production and candidate among positives passing `filter`.
    fn sensitivities(filter: impl Fn(&Case) -> bool) -> (f64, f64) {
        let e = Effects::default();
        let positives: Vec<(f64, f64)> = (0..20_000)
            .map(|i| (draw_case(3, 1, i, &e, true), i))
            .filter(|(c, _)| c.label && filter(c))
            .map(|(c, i)| (c.score, score(&c, 3, 1, i)))
            .collect();
        let n = positives.len() as f64;
        let sens = |pick: fn(&(f64, f64)) -> f64| {
            positives.iter().filter(|p| pick(p) >= 0.5).count() as f64 / n
        };
        (sens(|p| p.0), sens(|p| p.1))
    }

    #[test]
    fn the_candidate_is_better_under_65_and_worse_from_65() {
        let (reference, candidate) = sensitivities(|c| c.age_years < OLDER_FROM);
        assert!(
            candidate - reference > 0.15,
            "{reference:.3} → {candidate:.3}"
        );
        let (reference, candidate) = sensitivities(|c| c.age_years >= OLDER_FROM);
        assert!(
            reference - candidate > 0.25,
            "{reference:.3} → {candidate:.3}"
        );
    }
}
