//! A one-sided CUSUM over nightly evidence (Page 1954): each night adds its evidence `z`
//! less a reference `k`, the sum never falls below zero, and it signals when it reaches `h`.
//! A one-night blip adds a few units and drains away at `k` a night; a small shift that
//! persists adds `z − k` every night and reaches `h` in `h / (z − k)` nights.
//!
//! The evidence of a night is its p-value on the normal scale, `z = Φ⁻¹(1 − p)`: standard
//! normal when nothing changed (for a continuous test; a discrete test's p-values are
//! conservative, so its `z` is smaller), large when the night's test is far in its tail.
//! Average run lengths by simulation and by Siegmund's approximation are in
//! docs/statistics.md (`scripts/calibrate_sequential.py`).

use statrs::distribution::{ContinuousCDF, Normal};

/// The rule's two constants, in units of the standard normal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cusum {
    /// `k`: evidence below this a night drains the sum.
    pub reference: f64,
    /// `h`: the sum at which the rule signals.
    pub threshold: f64,
}

impl Cusum {
    /// A night's evidence from its p-value: `Φ⁻¹(1 − p)`, at most `h + k`, so that one
    /// night alone reaches the threshold only when its p-value is beyond `1 − Φ(h + k)`
    /// (about 1e-9 for the defaults) and no night outweighs the rest of the run.
    pub fn evidence(&self, p: f64) -> f64 {
        let normal = Normal::standard();
        let p = p.clamp(0.0, 1.0);
        // Φ⁻¹(1 − p) = −Φ⁻¹(p): accurate for the tiny p-values that matter here.
        let z = -normal.inverse_cdf(p);
        z.clamp(-8.0, self.threshold + self.reference)
    }

    /// The sum after a night with evidence `z`, given the sum before it. It is capped at
    /// `2h`, so that after a change goes away the rule is quiet again within `h / k` nights.
    pub fn step(&self, previous: f64, z: f64) -> f64 {
        (previous + z - self.reference).clamp(0.0, 2.0 * self.threshold)
    }

    pub fn signals(&self, statistic: f64) -> bool {
        statistic >= self.threshold
    }
}

impl Default for Cusum {
    fn default() -> Self {
        Cusum {
            reference: 1.0,
            threshold: 5.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn evidence_is_the_normal_quantile_of_the_p_value() {
        let c = Cusum::default();
        assert!((c.evidence(0.5)).abs() < 1e-12);
        assert!((c.evidence(0.025) - 1.959_963_984_540_054).abs() < 1e-9);
        assert!((c.evidence(1e-4) - 3.719_016_485_455_709).abs() < 1e-9);
        // Beyond h + k one night counts as h + k; p = 0 and p = 1 stay finite.
        assert_eq!(c.evidence(0.0), 6.0);
        assert_eq!(c.evidence(1e-30), 6.0);
        assert_eq!(c.evidence(1.0), -8.0);
    }

    #[test]
    fn a_blip_drains_and_a_persistent_shift_accumulates() {
        let c = Cusum::default();
        // One night at p = 1e-4, then ordinary nights: never reaches h.
        let mut s = c.step(0.0, c.evidence(1e-4));
        assert!(!c.signals(s));
        for _ in 0..5 {
            s = c.step(s, 0.0);
        }
        assert_eq!(s, 0.0);
        // z = 3.5 a night: 2.5 a night, h = 5 on the second night.
        let mut s = 0.0;
        let nights = (1..)
            .find(|_| {
                s = c.step(s, 3.5);
                c.signals(s)
            })
            .unwrap();
        assert_eq!(nights, 2);
        // An unmistakable night alerts at once.
        assert!(c.signals(c.step(0.0, c.evidence(1e-12))));
    }

    /// The in-control average run length by simulation, against Siegmund's approximation
    /// ARL₀ ≈ (e^{2kb} − 2kb − 1) / (2k²), b = h + 1.166: both about 1.1e5 nights for the
    /// defaults — too long to simulate here, so the test uses k = 0.5, h = 3 (≈ 117).
    #[test]
    fn in_control_run_length_agrees_with_siegmund() {
        let c = Cusum {
            reference: 0.5,
            threshold: 3.0,
        };
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let runs = 4000;
        let mut total = 0u64;
        for _ in 0..runs {
            let mut s = 0.0;
            let mut n = 0u64;
            loop {
                n += 1;
                let z: f64 = StandardNormal.sample(&mut rng);
                s = c.step(s, z);
                if c.signals(s) {
                    break;
                }
            }
            total += n;
        }
        let arl = total as f64 / runs as f64;
        let b = c.threshold + 1.166;
        let k = c.reference;
        let siegmund = ((2.0 * k * b).exp() - 2.0 * k * b - 1.0) / (2.0 * k * k);
        assert!(
            (arl / siegmund - 1.0).abs() < 0.1,
            "ARL {arl} vs {siegmund}"
        );
    }
}
