//! Confidence intervals for effect sizes, so that a decision can rest on "the change is at
//! least this large" (the interval's near end) rather than on a point estimate that, at a
//! night's few hundred cases, is large for every chance event.
//!
//! * [`wasserstein1_interval_sorted`] — Wasserstein-1 with a delta-method (influence
//!   function) interval, in one merge over the two sorted samples.
//! * [`share_change_interval`] — the largest change in a category's share, with the
//!   interval of that maximum built from Newcombe's interval of every category's change.
//! * [`ece_rise_interval`] — the rise of the expected calibration error with a seeded
//!   bootstrap at the level of the reliability bins (basic, bias-correcting interval).

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::proportion::{newcombe_diff, z_critical, Interval};

/// A running weighted mean and sum of squared deviations (West's weighted Welford update).
#[derive(Default)]
struct Moments {
    weight: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn add(&mut self, x: f64, w: f64) {
        if w == 0.0 {
            return;
        }
        self.weight += w;
        let delta = x - self.mean;
        self.mean += w * delta / self.weight;
        self.m2 += w * delta * (x - self.mean);
    }

    /// Sample variance (n − 1 in the denominator), 0 for fewer than two values.
    fn variance(&self) -> f64 {
        if self.weight > 1.0 {
            self.m2.max(0.0) / (self.weight - 1.0)
        } else {
            0.0
        }
    }
}

/// Wasserstein-1 between two ascending, finite samples and its two-sided interval at
/// `confidence`.
///
/// With `s(t)` the sign of `F_a(t) − F_b(t)`, `W1 = ∫ s(t)(F_a(t) − F_b(t)) dt`, and with `s`
/// held at its sample value the estimate is a difference of two sample means,
/// `mean_b P(Y) − mean_a P(X)`, where `P(v) = ∫_{−∞}^{v} s(t) dt`. Its variance is
/// `Var_a(P)/n_a + Var_b(P)/n_b`, computed in the same merge that computes W1; the interval
/// is `W1 ± z·se`, its low end floored at 0. Where the two ECDFs cross often (no drift) the
/// sign is noise and the delta method is only a guide; the decision rule also requires the
/// KS test to pass Benjamini–Hochberg, so the interval never has to stand alone.
///
/// `None` for an empty, unsorted or non-finite sample, or a confidence outside (0, 1).
pub fn wasserstein1_interval_sorted(
    a: &[f64],
    b: &[f64],
    confidence: f64,
) -> Option<(f64, Interval)> {
    let z = z_critical(confidence)?;
    let (area, se) = wasserstein1_se_sorted(a, b)?;
    Some((
        area,
        Interval {
            low: (area - z * se).max(0.0),
            high: area + z * se,
        },
    ))
}

/// Wasserstein-1 and its delta-method standard error (see
/// [`wasserstein1_interval_sorted`]); `None` for an empty, unsorted or non-finite sample.
pub fn wasserstein1_se_sorted(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    let ok = |x: &[f64]| {
        !x.is_empty() && x.iter().all(|v| v.is_finite()) && x.windows(2).all(|w| w[0] <= w[1])
    };
    if !ok(a) || !ok(b) {
        return None;
    }
    let (n1, n2) = (a.len() as u128, b.len() as u128);
    let scale = (n1 * n2) as f64;
    let (mut i, mut j) = (0usize, 0usize);
    let (mut area, mut prev, mut gap, mut sign) = (0.0, f64::NAN, 0.0, 0.0);
    // P(v): the integral of the sign up to v.
    let mut integral = 0.0;
    let (mut pa, mut pb) = (Moments::default(), Moments::default());
    loop {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        if !prev.is_nan() {
            area += gap * (v - prev);
            integral += sign * (v - prev);
        }
        let (i0, j0) = (i, j);
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        pa.add(integral, (i - i0) as f64);
        pb.add(integral, (j - j0) as f64);
        let (fa, fb) = (i as u128 * n2, j as u128 * n1);
        gap = fa.abs_diff(fb) as f64 / scale;
        sign = match fa.cmp(&fb) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Less => -1.0,
            std::cmp::Ordering::Equal => 0.0,
        };
        prev = v;
    }
    let se = (pa.variance() / a.len() as f64 + pb.variance() / b.len() as f64).sqrt();
    Some((area, se))
}

/// The largest absolute change in one category's share, `max_k |s_k/n_s − b_k/n_b|`, and an
/// interval for it at `confidence`.
///
/// Each category's change gets Newcombe's hybrid score interval at the Bonferroni level
/// `1 − α/(K − 1)` over the K categories with a count on either side (K − 1 shares are
/// free; two categories are one change seen twice). If every per-category interval covers
/// its change, the largest change lies between the largest distance of an interval from 0
/// and the largest absolute bound, which is the interval returned. Returns the category of
/// the largest point change too. `None` when a side is empty.
pub fn share_change_interval(
    baseline: &[f64],
    serving: &[f64],
    confidence: f64,
) -> Option<(f64, usize, Interval)> {
    let (nb, ns) = (baseline.iter().sum::<f64>(), serving.iter().sum::<f64>());
    if nb <= 0.0 || ns <= 0.0 || baseline.len() != serving.len() {
        return None;
    }
    let used = (0..baseline.len())
        .filter(|&k| baseline[k] > 0.0 || serving[k] > 0.0)
        .count();
    let level = 1.0 - (1.0 - confidence) / (used.saturating_sub(1).max(1)) as f64;
    let (mut top, mut best) = (0usize, f64::NEG_INFINITY);
    let (mut low, mut high) = (0.0f64, 0.0f64);
    for k in 0..baseline.len() {
        let (d, ci) = newcombe_diff(
            serving[k].round() as u64,
            ns.round() as u64,
            baseline[k].round() as u64,
            nb.round() as u64,
            level,
        )?;
        if d.abs() > best {
            best = d.abs();
            top = k;
        }
        let near = if ci.low > 0.0 {
            ci.low
        } else if ci.high < 0.0 {
            -ci.high
        } else {
            0.0
        };
        low = low.max(near);
        high = high.max(ci.low.abs().max(ci.high.abs()));
    }
    Some((best, top, Interval { low, high }))
}

/// One reliability bin's sufficient statistics: cases, Σ(label − score), Σ(label − score)².
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BinResiduals {
    pub n: f64,
    pub sum: f64,
    pub sum_sq: f64,
}

/// Residual sums per equal-width bin over [0, 1], bins closed as in
/// [`crate::stats::calibration::reliability`] (`[0, e1]`, `(e1, e2]`, …).
pub fn bin_residuals(scores: &[f64], labels: &[bool], n_bins: usize) -> Vec<BinResiduals> {
    let mut bins = vec![BinResiduals::default(); n_bins];
    for (&s, &y) in scores.iter().zip(labels) {
        if !s.is_finite() {
            continue;
        }
        let k = ((s * n_bins as f64).ceil() as usize).clamp(1, n_bins) - 1;
        let r = f64::from(u8::from(y)) - s;
        bins[k].n += 1.0;
        bins[k].sum += r;
        bins[k].sum_sq += r * r;
    }
    bins
}

#[cfg(test)]
fn ece_of(bins: &[BinResiduals], sums: &[f64]) -> f64 {
    let n: f64 = bins.iter().map(|b| b.n).sum();
    sums.iter().map(|s| s.abs()).sum::<f64>() / n
}

/// The variance of each bin's residual sum under case resampling: `Σr² − (Σr)²/N`.
fn resampling_variance(bins: &[BinResiduals]) -> Vec<f64> {
    let n: f64 = bins.iter().map(|b| b.n).sum();
    bins.iter()
        .map(|b| (b.sum_sq - b.sum * b.sum / n).max(0.0))
        .collect()
}

/// The ECE with each bin's |Σr| shrunk to `√max(0, (Σr)² − Var(Σr))`: `(Σr)² − Var` is an
/// unbiased estimate of `(E Σr)²`, so a bin whose residuals are only noise contributes about
/// nothing instead of about one standard deviation.
fn ece_debiased(bins: &[BinResiduals], sums: &[f64], variance: &[f64]) -> f64 {
    let n: f64 = bins.iter().map(|b| b.n).sum();
    sums.iter()
        .zip(variance)
        .map(|(s, v)| (s * s - v).max(0.0).sqrt())
        .sum::<f64>()
        / n
}

/// The rise of the expected calibration error (serving − baseline), debiased, with a basic
/// bootstrap interval at `confidence` from `replicates` draws of a generator seeded with
/// `seed`. Returns `(rise, interval)`.
///
/// ECE = Σ_bins |Σ(label − score)| / N is biased upwards in small samples — the absolute
/// value of a noisy sum is about one standard deviation even when its mean is 0 — so a
/// serving window of 200 cases shows an ECE "rise" of several points against a large
/// baseline when nothing changed. The rise here is of the debiased ECE (each bin's |Σr|
/// shrunk to `√max(0, (Σr)² − Var)`, see [`ece_debiased`]). Each replicate redraws every
/// bin's residual sum from its normal approximation under case resampling (mean: the
/// observed sum; variance: `Σr² − (Σr)²/N`), which costs O(bins) instead of O(cases). The
/// basic interval `[2θ̂ − q_hi, 2θ̂ − q_lo]` subtracts what bias remains, where a percentile
/// interval would add it. `None` when a side has no case.
pub fn ece_rise_interval(
    baseline: &[BinResiduals],
    serving: &[BinResiduals],
    confidence: f64,
    replicates: usize,
    seed: u64,
) -> Option<(f64, Interval)> {
    z_critical(confidence)?;
    let (rise, rises) = ece_rise_replicates(baseline, serving, replicates, seed)?;
    let alpha = 1.0 - confidence;
    let at = |p: f64| {
        let pos = p * (replicates - 1) as f64;
        let (lo, frac) = (pos.floor() as usize, pos.fract());
        rises[lo] + frac * (rises[(lo + 1).min(replicates - 1)] - rises[lo])
    };
    let (q_lo, q_hi) = (at(alpha / 2.0), at(1.0 - alpha / 2.0));
    Some((
        rise,
        Interval {
            low: 2.0 * rise - q_hi,
            high: 2.0 * rise - q_lo,
        },
    ))
}

/// The one-sided p-value of "the ECE did not rise" that matches the basic interval of
/// [`ece_rise_interval`]: the share of replicates `θ*` with `2θ̂ − θ* ≤ 0`, counting the
/// observation itself. Same draws as the interval (same seed and replicates).
pub fn ece_rise_p_value(
    baseline: &[BinResiduals],
    serving: &[BinResiduals],
    replicates: usize,
    seed: u64,
) -> Option<f64> {
    let (rise, rises) = ece_rise_replicates(baseline, serving, replicates, seed)?;
    let at_or_below = rises.iter().filter(|&&r| 2.0 * rise - r <= 0.0).count();
    Some((1 + at_or_below) as f64 / (1 + replicates) as f64)
}

/// The debiased ECE rise and its `replicates` bootstrap draws, sorted ascending; one source
/// for the interval and the p-value, so both read the same draws.
fn ece_rise_replicates(
    baseline: &[BinResiduals],
    serving: &[BinResiduals],
    replicates: usize,
    seed: u64,
) -> Option<(f64, Vec<f64>)> {
    let total = |bins: &[BinResiduals]| bins.iter().map(|b| b.n).sum::<f64>();
    if total(baseline) == 0.0 || total(serving) == 0.0 || replicates < 2 {
        return None;
    }
    let (var_b, var_s) = (resampling_variance(baseline), resampling_variance(serving));
    let sums = |bins: &[BinResiduals]| bins.iter().map(|b| b.sum).collect::<Vec<_>>();
    let rise = ece_debiased(serving, &sums(serving), &var_s)
        - ece_debiased(baseline, &sums(baseline), &var_b);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let draw = |bins: &[BinResiduals], var: &[f64], rng: &mut Xoshiro256PlusPlus| {
        let sums: Vec<f64> = bins
            .iter()
            .zip(var)
            .map(|(b, v)| {
                let e: f64 = StandardNormal.sample(rng);
                b.sum + v.sqrt() * e
            })
            .collect();
        ece_debiased(bins, &sums, var)
    };
    let mut rises: Vec<f64> = (0..replicates)
        .map(|_| draw(serving, &var_s, &mut rng) - draw(baseline, &var_b, &mut rng))
        .collect();
    rises.sort_unstable_by(f64::total_cmp);
    Some((rise, rises))
}

#[cfg(test)]
mod tests;
