//! Calibration maps `P(label = 1 | score)`: isotonic regression (pool-adjacent-violators,
//! as scikit-learn's `IsotonicRegression(out_of_bounds="clip")`) and Platt scaling (a
//! logistic regression of the label on the score's logit, as statsmodels' `Logit`).

use serde::{Deserialize, Serialize};

/// A fitted calibration map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum CalibrationMap {
    /// Piecewise-linear through the knots `(x[i], y[i])`, ascending in `x`, constant
    /// outside them.
    Isotonic { x: Vec<f64>, y: Vec<f64> },
    /// `σ(intercept + slope·logit(score))`.
    Platt { intercept: f64, slope: f64 },
}

/// Scores are clamped to `[EPS, 1 − EPS]` before their logit is taken.
const EPS: f64 = 1e-6;

fn logit(p: f64) -> f64 {
    let p = p.clamp(EPS, 1.0 - EPS);
    (p / (1.0 - p)).ln()
}

fn sigmoid(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

impl CalibrationMap {
    /// The calibrated probability of a score (a non-finite score gives NaN).
    pub fn apply(&self, score: f64) -> f64 {
        if !score.is_finite() {
            return f64::NAN;
        }
        match self {
            CalibrationMap::Isotonic { x, y } => interpolate(x, y, score),
            CalibrationMap::Platt { intercept, slope } => sigmoid(intercept + slope * logit(score)),
        }
    }

    pub fn method(&self) -> &'static str {
        match self {
            CalibrationMap::Isotonic { .. } => "isotonic",
            CalibrationMap::Platt { .. } => "platt",
        }
    }
}

fn interpolate(x: &[f64], y: &[f64], v: f64) -> f64 {
    let (Some(&first), Some(&last)) = (x.first(), x.last()) else {
        return f64::NAN;
    };
    if v <= first {
        return y[0];
    }
    if v >= last {
        return y[y.len() - 1];
    }
    // x[k] ≤ v < x[k + 1]
    let k = x.partition_point(|&t| t <= v) - 1;
    let t = (v - x[k]) / (x[k + 1] - x[k]);
    y[k] + t * (y[k + 1] - y[k])
}

/// Isotonic (non-decreasing) regression of `labels` on `scores`, as scikit-learn fits it:
/// observations with equal scores are pooled first (their mean label, weighted by count),
/// then pool-adjacent-violators gives each unique score its fitted value. `None` when no
/// finite score is given.
pub fn isotonic(scores: &[f64], labels: &[bool]) -> Option<CalibrationMap> {
    let mut pairs: Vec<(f64, f64)> = scores
        .iter()
        .zip(labels)
        .filter(|(s, _)| s.is_finite())
        .map(|(&s, &l)| (s, f64::from(u8::from(l))))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    // Unique scores: (x, Σy, weight).
    let mut unique: Vec<(f64, f64, f64)> = Vec::new();
    for (s, y) in pairs {
        match unique.last_mut() {
            Some(u) if u.0 == s => {
                u.1 += y;
                u.2 += 1.0;
            }
            _ => unique.push((s, y, 1.0)),
        }
    }
    // Blocks of (Σy, weight, unique points covered).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(unique.len());
    for &(_, sy, w) in &unique {
        blocks.push((sy, w, 1));
        while blocks.len() > 1 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.0 / a.1 <= b.0 / b.1 {
                break;
            }
            blocks.pop();
            let last = blocks.len() - 1;
            blocks[last] = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    let mut y = Vec::with_capacity(unique.len());
    for (sy, w, count) in blocks {
        y.extend(std::iter::repeat_n(sy / w, count));
    }
    let x = unique.iter().map(|u| u.0).collect();
    Some(CalibrationMap::Isotonic { x, y })
}

/// Platt scaling: the maximum-likelihood logistic regression of `labels` on `logit(score)`,
/// by Newton–Raphson. `None` without both classes, or when the fit does not converge
/// (separable data).
pub fn platt(scores: &[f64], labels: &[bool]) -> Option<CalibrationMap> {
    let data: Vec<(f64, f64)> = scores
        .iter()
        .zip(labels)
        .filter(|(s, _)| s.is_finite())
        .map(|(&s, &l)| (logit(s), f64::from(u8::from(l))))
        .collect();
    let positives = data.iter().filter(|d| d.1 > 0.5).count();
    if positives == 0 || positives == data.len() {
        return None;
    }
    let (mut b0, mut b1) = (0.0f64, 1.0f64);
    for _ in 0..100 {
        // Gradient and Hessian of the log-likelihood.
        let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(t, y) in &data {
            let p = sigmoid(b0 + b1 * t);
            let w = p * (1.0 - p);
            g0 += y - p;
            g1 += (y - p) * t;
            h00 += w;
            h01 += w * t;
            h11 += w * t * t;
        }
        let det = h00 * h11 - h01 * h01;
        if !(det.is_finite() && det > 0.0) {
            return None;
        }
        let d0 = (h11 * g0 - h01 * g1) / det;
        let d1 = (h00 * g1 - h01 * g0) / det;
        b0 += d0;
        b1 += d1;
        if !(b0.is_finite() && b1.is_finite()) {
            return None;
        }
        if d0.abs().max(d1.abs()) < 1e-12 * (1.0 + b0.abs().max(b1.abs())) {
            return Some(CalibrationMap::Platt {
                intercept: b0,
                slope: b1,
            });
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests;
