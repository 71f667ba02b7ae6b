//! Sequential change detection on the time-ordered per-case error stream (0/1 errors, or
//! absolute errors `|label − score|`): concept drift shows up as a rise in the mean error long
//! before a whole monitoring window looks bad.
//!
//! [`page_hinkley`] is the classic Page–Hinkley test for an increase in the mean (Page 1954),
//! the recursion of `river.drift.PageHinkley(mode="up", alpha=1.0)`; [`cusum`] is the
//! one-sided upper CUSUM on standardised values. Both return the index of the first alarm.
//! Alarm indices are checked against `testdata/fixtures/performance_stats.json`, where the
//! Page–Hinkley references were cross-checked against river (`scripts/fixtures_performance.py`).
//!
//! Defaults are tuned for a 0/1 error stream with a 10% error rate; the fixture script's
//! seeded simulation (400 runs) gives their in-control average run length (ARL0) and their
//! delay when the error rate doubles to 20%:
//!
//! | detector | defaults | ARL0 (cases) | median delay to 10%→20% |
//! |---|---|---|---|
//! | Page–Hinkley | δ = 0.01, λ = 25, min 30 samples | ≈ 98,000 | 259 |
//! | CUSUM | k = 0.25 σ, h = 24 σ, reference p = 0.1 | ≈ 101,000 | 142 |
//!
//! Parameters are validated on construction (`new` returns `None` for invalid values), so the
//! detectors' `None` means "no alarm" — or a non-finite value in the stream, which callers
//! should reject upstream because a corrupt stream must not read as "in control".

use serde::Serialize;

/// Page–Hinkley parameters: `delta` is the tolerated increase of the mean (in the stream's
/// units), `lambda` the alarm threshold, `min_samples` the cases seen before any alarm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PageHinkleyParams {
    delta: f64,
    lambda: f64,
    min_samples: usize,
}

impl PageHinkleyParams {
    /// `None` unless `delta ≥ 0` and `lambda > 0` are finite.
    pub fn new(delta: f64, lambda: f64, min_samples: usize) -> Option<Self> {
        let ok = delta.is_finite() && delta >= 0.0 && lambda.is_finite() && lambda > 0.0;
        ok.then_some(Self {
            delta,
            lambda,
            min_samples,
        })
    }
    pub fn delta(&self) -> f64 {
        self.delta
    }
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    pub fn min_samples(&self) -> usize {
        self.min_samples
    }
}

impl Default for PageHinkleyParams {
    /// δ = 0.01, λ = 25, 30 samples: ARL0 ≈ 98,000 cases on Bernoulli(0.1) errors.
    fn default() -> Self {
        Self {
            delta: 0.01,
            lambda: 25.0,
            min_samples: 30,
        }
    }
}

/// Page–Hinkley test for an increase in the mean. With `x̄_t` the running mean including
/// `x_t`: `m_t = Σ (x_i − x̄_i − δ)`, `M_t = min m_i`, alarm at the first `t` (0-based) with
/// `t + 1 ≥ min_samples` and `m_t − M_t > λ`.
pub fn page_hinkley(xs: &[f64], params: &PageHinkleyParams) -> Option<usize> {
    let (mut mean, mut m, mut m_min) = (0.0, 0.0, f64::INFINITY);
    for (t, &x) in xs.iter().enumerate() {
        if !x.is_finite() {
            return None;
        }
        let n = t + 1;
        // Same update order as river's incremental mean, so alarms agree to the case.
        mean += (x - mean) / n as f64;
        m += x - mean - params.delta;
        m_min = f64::min(m_min, m);
        if n >= params.min_samples && m - m_min > params.lambda {
            return Some(t);
        }
    }
    None
}

/// Where the in-control mean and standard deviation of a CUSUM come from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Reference {
    /// Known from the baseline (for 0/1 errors see [`Reference::bernoulli`]).
    Given { mean: f64, sd: f64 },
    /// Estimated from the first `n` values (mean and sample sd, n − 1 denominator), which
    /// are then not monitored. A burn-in with zero spread (e.g. no errors at all) cannot
    /// standardise anything and makes [`cusum`] return `None`; prefer `Given` for 0/1 streams.
    BurnIn(usize),
}

impl Reference {
    /// Mean `p` and sd `√(p(1−p))` of a Bernoulli(p) error stream; `None` unless 0 < p < 1.
    pub fn bernoulli(p: f64) -> Option<Self> {
        (p > 0.0 && p < 1.0).then(|| Reference::Given {
            mean: p,
            sd: (p * (1.0 - p)).sqrt(),
        })
    }
}

/// One-sided upper CUSUM parameters; `k` (slack) and `h` (decision interval) are in units of
/// the reference standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CusumParams {
    k: f64,
    h: f64,
    reference: Reference,
}

impl CusumParams {
    /// Default slack: a quarter σ, i.e. tuned to shifts of about half a σ (10% → 25% errors).
    pub const DEFAULT_K: f64 = 0.25;
    /// Default decision interval: ARL0 ≈ 101,000 cases on Bernoulli(0.1) errors.
    pub const DEFAULT_H: f64 = 24.0;

    /// `None` unless `k ≥ 0`, `h > 0`, a given mean is finite and sd positive, and a burn-in
    /// has at least two values.
    pub fn new(k: f64, h: f64, reference: Reference) -> Option<Self> {
        let ref_ok = match reference {
            Reference::Given { mean, sd } => mean.is_finite() && sd.is_finite() && sd > 0.0,
            Reference::BurnIn(n) => n >= 2,
        };
        let ok = ref_ok && k.is_finite() && k >= 0.0 && h.is_finite() && h > 0.0;
        ok.then_some(Self { k, h, reference })
    }

    /// The default `k` and `h` with the given reference.
    pub fn with_reference(reference: Reference) -> Option<Self> {
        Self::new(Self::DEFAULT_K, Self::DEFAULT_H, reference)
    }
    pub fn k(&self) -> f64 {
        self.k
    }
    pub fn h(&self) -> f64 {
        self.h
    }
    pub fn reference(&self) -> Reference {
        self.reference
    }
}

/// Upper CUSUM `S_t = max(0, S_{t−1} + (x_t − μ)/σ − k)`, alarm at the first `t` with
/// `S_t > h`. The returned index counts from the start of `xs`, burn-in included.
pub fn cusum(xs: &[f64], params: &CusumParams) -> Option<usize> {
    if xs.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let (mean, sd, start) = match params.reference {
        Reference::Given { mean, sd } => (mean, sd, 0),
        Reference::BurnIn(n) => {
            let burn = xs.get(..n)?;
            let mean = burn.iter().sum::<f64>() / n as f64;
            let ss: f64 = burn.iter().map(|x| (x - mean) * (x - mean)).sum();
            let sd = (ss / (n as f64 - 1.0)).sqrt();
            if sd <= 0.0 {
                return None;
            }
            (mean, sd, n)
        }
    };
    let mut s = 0.0;
    for (t, &x) in xs.iter().enumerate().skip(start) {
        s = f64::max(0.0, s + (x - mean) / sd - params.k);
        if s > params.h {
            return Some(t);
        }
    }
    None
}

/// The largest excursion of the upper CUSUM over a whole stream and where it started: the
/// retrospective form of [`cusum`], for a stream already observed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Excursion {
    /// `max_t S_t`, in σ units.
    pub statistic: f64,
    /// The first case of the excursion (after the last `S = 0` before the maximum).
    pub start: usize,
    /// The case where `S` peaks.
    pub peak: usize,
}

/// The largest CUSUM excursion of `xs` against reference `(mean, sd)` with allowance `k`;
/// `None` for an empty stream, a non-finite value or `sd ≤ 0`.
pub fn cusum_excursion(xs: &[f64], mean: f64, sd: f64, k: f64) -> Option<Excursion> {
    if xs.is_empty() || sd.is_nan() || sd <= 0.0 || xs.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let (mut s, mut start) = (0.0, 0);
    let mut best = Excursion {
        statistic: 0.0,
        start: 0,
        peak: 0,
    };
    for (t, &x) in xs.iter().enumerate() {
        s = f64::max(0.0, s + (x - mean) / sd - k);
        if s == 0.0 {
            start = t + 1;
        } else if s > best.statistic {
            best = Excursion {
                statistic: s,
                start,
                peak: t,
            };
        }
    }
    Some(best)
}

/// Permutation p-value of the largest CUSUM excursion: under "no change in time", every
/// order of the observed values is equally likely, so the share of `permutations` seeded
/// shuffles whose excursion is at least the observed one (counting the observed order
/// itself) is an exact p-value at resolution `1/(permutations + 1)`. A stream whose level
/// is uniformly higher than the reference climbs in every order alike and is not a change
/// point; a rise from some case on is.
pub fn excursion_p_value(
    xs: &[f64],
    mean: f64,
    sd: f64,
    k: f64,
    permutations: usize,
    seed: u64,
) -> Option<(Excursion, f64)> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let observed = cusum_excursion(xs, mean, sd, k)?;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut shuffled = xs.to_vec();
    let mut at_least = 0usize;
    for _ in 0..permutations {
        shuffled.shuffle(&mut rng);
        let e = cusum_excursion(&shuffled, mean, sd, k)?;
        at_least += usize::from(e.statistic >= observed.statistic);
    }
    Some((observed, (1 + at_least) as f64 / (1 + permutations) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::fixture::performance as fixture;
    use serde_json::Value;

    fn stream(fx: &Value, name: &str) -> Vec<f64> {
        let v = fx["streams"][name]
            .as_array()
            .unwrap_or_else(|| panic!("no stream {name}"));
        v.iter().map(|x| x.as_f64().unwrap()).collect()
    }

    fn bernoulli_cusum() -> CusumParams {
        CusumParams::with_reference(Reference::bernoulli(0.1).unwrap()).unwrap()
    }

    #[test]
    fn page_hinkley_alarms_match_python_and_river() {
        let fx = fixture();
        let cases = fx["page_hinkley"].as_array().unwrap();
        assert!(cases.len() >= 9);
        for c in cases {
            let p = PageHinkleyParams::new(
                c["delta"].as_f64().unwrap(),
                c["lambda_"].as_f64().unwrap(),
                c["min_samples"].as_u64().unwrap() as usize,
            )
            .unwrap();
            let got = page_hinkley(&stream(&fx, c["stream"].as_str().unwrap()), &p);
            let want = c["alarm"].as_u64().map(|a| a as usize);
            assert_eq!(got, want, "{c}");
        }
    }

    #[test]
    fn cusum_alarms_match_python_with_given_and_burn_in_reference() {
        let fx = fixture();
        for c in fx["cusum"].as_array().unwrap() {
            let reference = match c["burn_in"].as_u64() {
                Some(n) => Reference::BurnIn(n as usize),
                None => Reference::Given {
                    mean: c["mean"].as_f64().unwrap(),
                    sd: c["sd"].as_f64().unwrap(),
                },
            };
            let k = c["k"].as_f64().unwrap();
            let p = CusumParams::new(k, c["h"].as_f64().unwrap(), reference).unwrap();
            let got = cusum(&stream(&fx, c["stream"].as_str().unwrap()), &p);
            assert_eq!(got, c["alarm"].as_u64().map(|a| a as usize), "{c}");
        }
    }

    #[test]
    fn defaults_raise_no_alarm_on_4000_in_control_cases() {
        let xs = stream(&fixture(), "in_control_bernoulli_0.1_n4000");
        assert_eq!(xs.len(), 4000);
        assert_eq!(page_hinkley(&xs, &PageHinkleyParams::default()), None);
        assert_eq!(cusum(&xs, &bernoulli_cusum()), None);
    }

    #[test]
    fn defaults_detect_error_rate_rising_from_10_to_30_percent_within_150_cases() {
        let xs = stream(&fixture(), "bernoulli_0.1_to_0.3_at_1000");
        for alarm in [
            page_hinkley(&xs, &PageHinkleyParams::default()),
            cusum(&xs, &bernoulli_cusum()),
        ] {
            let alarm = alarm.expect("change detected");
            assert!((1000..1150).contains(&alarm), "alarm at {alarm}");
        }
    }

    #[test]
    fn page_hinkley_detects_a_step_from_0_to_1_within_30_cases() {
        let xs: Vec<f64> = (0..600).map(|i| if i < 500 { 0.0 } else { 1.0 }).collect();
        let alarm = page_hinkley(&xs, &PageHinkleyParams::default()).unwrap();
        assert!((500..530).contains(&alarm), "alarm at {alarm}");
        // The same step downwards is not an increase and must not alarm.
        let down: Vec<f64> = xs.iter().map(|x| 1.0 - x).collect();
        assert_eq!(page_hinkley(&down, &PageHinkleyParams::default()), None);
    }

    #[test]
    fn page_hinkley_raises_no_alarm_before_min_samples() {
        // The statistic passes λ = 1 at the third value but alarms only once 10 are seen.
        let xs = [0.0, 0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0];
        let p = PageHinkleyParams::new(0.0, 1.0, 10).unwrap();
        assert_eq!(page_hinkley(&xs, &p), Some(9));
        let eager = PageHinkleyParams::new(0.0, 1.0, 1).unwrap();
        assert_eq!(page_hinkley(&xs, &eager), Some(2));
    }

    #[test]
    fn cusum_with_burn_in_ignores_burn_in_values_and_reports_absolute_index() {
        // The alternating burn-in (mean 0.5, sd √0.3) is only used for the reference.
        let mut xs = vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
        xs.extend(std::iter::repeat_n(1.0, 20));
        let p = CusumParams::new(0.5, 4.0, Reference::BurnIn(6)).unwrap();
        // mean 0.5, sd √0.3: each later 1.0 adds 0.5/√0.3 − 0.5 ≈ 0.413 → 10th value alarms.
        assert_eq!(cusum(&xs, &p), Some(6 + 9));
    }

    #[test]
    fn invalid_params_and_streams_are_rejected_without_panicking() {
        assert_eq!(PageHinkleyParams::new(-0.1, 25.0, 30), None);
        assert_eq!(PageHinkleyParams::new(0.01, f64::NAN, 30), None);
        assert_eq!(CusumParams::new(0.5, 0.0, Reference::BurnIn(10)), None);
        assert_eq!(CusumParams::new(0.5, 5.0, Reference::BurnIn(1)), None);
        let zero_sd = Reference::Given { mean: 0.1, sd: 0.0 };
        assert_eq!(CusumParams::new(0.5, 5.0, zero_sd), None);
        assert_eq!(Reference::bernoulli(0.0), None);
        let ph = PageHinkleyParams::default();
        assert_eq!(page_hinkley(&[], &ph), None);
        assert_eq!(page_hinkley(&[0.0, f64::NAN], &ph), None);
        let burn = CusumParams::new(0.5, 5.0, Reference::BurnIn(10)).unwrap();
        assert_eq!(cusum(&[1.0; 5], &burn), None, "shorter than the burn-in");
        assert_eq!(cusum(&[0.0; 50], &burn), None, "burn-in without spread");
        assert_eq!(cusum(&[f64::INFINITY], &bernoulli_cusum()), None);
    }
}
