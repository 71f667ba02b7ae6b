//! The finite-n Kolmogorov distribution, `scipy.stats.kstwo`: the law of the one-sample
//! two-sided statistic D_n = sup |F_n - F|.
//!
//! `ks_2samp(method="asymp")` in SciPy does not use the limiting Kolmogorov law
//! (`kstwobign`) but `kstwo.sf(d, round(m·n/(m+n)))`, so matching its p-values means
//! evaluating this distribution the way SciPy's `_kolmogn` does (Simard & L'Ecuyer 2011):
//! closed forms at the edges (Ruben–Gambino), the Durbin matrix (Marsaglia–Tsang–Wang)
//! for small n·x², the Pelz–Good expansion for large n, and twice the one-sided Smirnov
//! tail where that is exact or a good approximation (Miller). The branch thresholds below
//! are SciPy's, so both pick the same algorithm for the same (n, x).
//!
//! One deliberate difference: for n ≤ 140 and 0.754693 < n·x² ≤ 4 SciPy uses Pomeranz's
//! recursion; we use the Durbin matrix there too. Both are exact algorithms for the same
//! probability (the fixtures agree to ~1e-13), and one exact algorithm is less code to trust.

use std::f64::consts::{LN_2, PI};

/// Below this, `exp` underflows to zero (SciPy's cephes `MINLOG`).
const MIN_LOG: f64 = -708.396_418_532_264_1;

/// `kstwo.cdf(x, n)` when `want_cdf`, else `kstwo.sf(x, n)`. NaN for n = 0 or NaN x.
pub(crate) fn kolmogn(n: u64, x: f64, want_cdf: bool) -> f64 {
    let pick = |cdf: f64, sf: f64| (if want_cdf { cdf } else { sf }).clamp(0.0, 1.0);
    if n == 0 || x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return pick(1.0, 0.0);
    }
    if x <= 0.0 {
        return pick(0.0, 1.0);
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben–Gambino: for 1/(2n) < x <= 1/n, cdf = n!/n^n (2t-1)^n.
        if t <= 0.5 {
            return pick(0.0, 1.0);
        }
        let cdf = if n <= 140 {
            (1..=n).map(|i| i as f64 / nf * (2.0 * t - 1.0)).product()
        } else {
            (ln_nfact_over_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return pick(cdf, 1.0 - cdf);
    }
    if t >= nf - 1.0 {
        let sf = 2.0 * (1.0 - x).powf(nf);
        return pick(1.0 - sf, sf);
    }
    if x >= 0.5 {
        // The two one-sided tails cannot both be exceeded, so this is exact.
        let sf = 2.0 * smirnov_sf(n, x);
        return pick(1.0 - sf, sf);
    }
    let nxx = t * x;
    if n <= 140 {
        if nxx <= 4.0 {
            let cdf = durbin_matrix_cdf(n, x);
            return pick(cdf, 1.0 - cdf);
        }
        let sf = 2.0 * smirnov_sf(n, x);
        return pick(1.0 - sf, sf);
    }
    if !want_cdf {
        // The sf is small here; computing it directly keeps its relative accuracy.
        if nxx >= 370.0 {
            return 0.0;
        }
        if nxx >= 2.2 {
            return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
        }
    }
    let cdf = if nxx >= 18.0 {
        1.0
    } else if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        durbin_matrix_cdf(n, x)
    } else {
        pelz_good_cdf(n, x)
    };
    pick(cdf, 1.0 - cdf)
}

/// ln(n!/n^n) by Stirling's series with n·ln(n) removed up front (no cancellation).
fn ln_nfact_over_n_pow_n(n: f64) -> f64 {
    // B_{2j} / (2j (2j-1)) for j = 8 down to 1, highest power first.
    const STIRLING: [f64; 8] = [
        -3617.0 / 122_400.0,
        1.0 / 156.0,
        -691.0 / 360_360.0,
        1.0 / 1188.0,
        -1.0 / 1680.0,
        1.0 / 1260.0,
        -1.0 / 360.0,
        1.0 / 12.0,
    ];
    let rn = 1.0 / n;
    let series = STIRLING.iter().fold(0.0, |acc, c| acc * (rn * rn) + c);
    n.ln() / 2.0 - n + (2.0 * PI).ln() / 2.0 + rn * series
}

/// Pr(D_n <= x) by the Durbin matrix, computed as in Marsaglia, Tsang & Wang (2003):
/// with x = (k - h)/n, the answer is n!/n^n · (H^n)[k-1, k-1] for an m×m matrix H,
/// m = 2k - 1. Powers are rescaled by 2^±128 with the exponent kept aside, because the
/// entries leave double range long before the final product does.
fn durbin_matrix_cdf(n: u64, x: f64) -> f64 {
    let nd = n as f64 * x;
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;

    // inv_fact[j] = 1/j!, for j = 0..=m.
    let mut inv_fact = vec![1.0; m + 1];
    for j in 1..=m {
        inv_fact[j] = inv_fact[j - 1] / j as f64;
    }
    let mut hmat = vec![0.0; m * m];
    for r in 0..m {
        for c in 0..m {
            if r + 1 >= c {
                hmat[r * m + c] = inv_fact[r + 1 - c];
            }
        }
    }
    // The first column and last row lose the mass beyond the band edges.
    for r in 0..m {
        hmat[r * m] = (1.0 - h.powi(r as i32 + 1)) * inv_fact[r + 1];
    }
    for c in 0..m {
        hmat[(m - 1) * m + c] = (1.0 - h.powi((m - c) as i32)) * inv_fact[m - c];
    }
    let corner = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    hmat[(m - 1) * m] = (1.0 + corner) * inv_fact[m];

    let scale_up = 2f64.powi(128);
    let mut power = identity(m);
    let mut power_exp: i64 = 0;
    let mut base_exp: i64 = 0;
    let mut e = n;
    while e > 0 {
        if e % 2 == 1 {
            power = matmul(&power, &hmat, m);
            power_exp += base_exp;
        }
        hmat = matmul(&hmat, &hmat, m);
        base_exp *= 2;
        if hmat[(k - 1) * m + (k - 1)].abs() > scale_up {
            hmat.iter_mut().for_each(|v| *v /= scale_up);
            base_exp += 128;
        }
        e /= 2;
    }
    let mut p = power[(k - 1) * m + (k - 1)];
    let nf = n as f64;
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < 1.0 / scale_up {
            p *= scale_up;
            power_exp -= 128;
        }
    }
    ldexp(p, power_exp)
}

/// p · 2^e without overflowing or underflowing the scale factor itself (`powi` alone
/// would turn 2^-1100 into 0 even when p is large enough to bring the product back).
fn ldexp(mut p: f64, mut e: i64) -> f64 {
    let step = 2f64.powi(960);
    while e > 960 && p.is_finite() && p != 0.0 {
        p *= step;
        e -= 960;
    }
    while e < -960 && p != 0.0 {
        p /= step;
        e += 960;
    }
    p * 2f64.powi(e as i32)
}

fn identity(m: usize) -> Vec<f64> {
    let mut id = vec![0.0; m * m];
    (0..m).for_each(|i| id[i * m + i] = 1.0);
    id
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * m];
    for r in 0..m {
        for t in 0..m {
            let art = a[r * m + t];
            if art != 0.0 {
                for c in 0..m {
                    out[r * m + c] += art * b[t * m + c];
                }
            }
        }
    }
    out
}

/// Pelz–Good (1976) expansion of Pr(D_n <= x) in powers of n^{-1/2}, with each term
/// rewritten through Jacobi theta identities so that it converges for small z = x√n.
fn pelz_good_cdf(n: u64, x: f64) -> f64 {
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z * z * z, z.powi(4), z.powi(6));
    let qlog = -PI * PI / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let (pi2, pi4, pi6) = (PI * PI, PI.powi(4), PI.powi(6));
    let k1 = (-z2, pi2 / 4.0);
    let k2 = (
        6.0 * z6 + 2.0 * z4,
        (2.0 * z4 - 5.0 * z2) * pi2 / 4.0,
        pi4 * (1.0 - 2.0 * z2) / 16.0,
    );
    let k3 = (
        -30.0 * z6 - 90.0 * z.powi(8),
        pi2 * (135.0 * z4 - 96.0 * z6) / 4.0,
        pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0,
        pi6 * (5.0 - 30.0 * z2) / 64.0,
    );
    // Sum over odd j of c_j q^(j²), by Horner in q^8k (the gaps between odd squares).
    let maxk = (16.0 * z / PI).ceil() as u64;
    let mut terms = [0.0f64; 4];
    for k in (1..=maxk).rev() {
        let j2 = ((2 * k - 1) * (2 * k - 1)) as f64;
        let coeffs = [
            1.0,
            k1.0 + k1.1 * j2,
            k2.0 + k2.1 * j2 + k2.2 * j2 * j2,
            k3.0 + k3.1 * j2 + k3.2 * j2 * j2 + k3.3 * j2 * j2 * j2,
        ];
        let qpow = q.powf(8.0 * k as f64);
        for (t, c) in terms.iter_mut().zip(coeffs) {
            *t = *t * qpow + c;
        }
    }
    let sqrt2pi = (2.0 * PI).sqrt();
    let denominators = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (t, d) in terms.iter_mut().zip(denominators) {
        *t *= q * sqrt2pi / d;
    }
    // K2 and K3 also carry a sum over all integers k of k² e^{-k²π²/(2z²)}.
    let q2 = (-pi2 / 2.0 / z2).exp();
    let (mut extra2, mut extra3) = (0.0, 0.0);
    for k in (1..=maxk).rev() {
        let kf = k as f64;
        let w = kf * kf * q2.powf(kf * kf);
        extra2 += w;
        extra3 += (3f64.sqrt() * z + PI * kf) * (3f64.sqrt() * z - PI * kf) * w;
    }
    terms[2] += extra2 * pi2 * sqrt2pi / (-36.0 * z3);
    terms[3] += extra3 * pi2 * sqrt2pi / (216.0 * z6);
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| t / nf.powf(i as f64 / 2.0))
        .sum()
}

/// One-sided Smirnov tail Pr(D_n^+ >= x) (`scipy.special.smirnov`), by the
/// Smirnov/Birnbaum–Tingey sum x·Σ_v C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v).
///
/// Every term is positive, so summing them in log space keeps relative accuracy even
/// for tails near 1e-300. SciPy switches to an "upper" alternating sum only when
/// n·x is below 3 and x <= 0.5/√n; `kolmogn` never calls this there.
fn smirnov_sf(n: u64, x: f64) -> f64 {
    if n == 1 {
        return 1.0 - x;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let nx = nf * x;
    let nx_floor = nx.floor();
    if nx_floor == 0.0 || (nx_floor == 1.0 && nx == nx_floor) {
        return 1.0 - x * (1.0 + x).powf(nf - 1.0);
    }
    if -2.0 * nf * x * x < MIN_LOG {
        return 0.0;
    }
    if nx_floor >= nf - 1.0 {
        return (1.0 - x).powf(nf);
    }
    if n > 1_000_000 {
        // SciPy's approximation past this size: p ≈ exp(-(6nx+1)² / 18n).
        let logp = -(6.0 * nx + 1.0).powi(2) / 18.0 / nf;
        return if logp < -LN_2 {
            logp.exp()
        } else {
            1.0 + logp.exp_m1()
        };
    }
    // Terms with 1 - x - v/n <= 0 vanish; the last kept index is n - floor(nx) - 1.
    let last = n - nx_floor as u64 - 1;
    let (mut sum, mut ln_binom) = (0.0f64, 0.0f64);
    for v in 0..=last {
        let vf = v as f64;
        let lo = vf / nf + x;
        let hi = (nf - vf) / nf - x;
        let log_term = ln_binom + (vf - 1.0) * lo.ln() + (nf - vf) * hi.ln();
        let term = log_term.exp();
        sum += term;
        // Past the mode, stop once the remaining terms cannot move the sum.
        if term > 0.0 && 4.0 * (last - v) as f64 * term < f64::EPSILON * sum {
            break;
        }
        ln_binom += ((nf - vf) / (vf + 1.0)).ln();
    }
    (x * sum).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::kolmogn;
    use serde_json::Value;

    fn fixture() -> Value {
        serde_json::from_str(include_str!("../../../testdata/fixtures/drift_stats.json"))
            .expect("fixture parses")
    }

    fn rel_err(actual: f64, expected: f64) -> f64 {
        if actual == expected {
            0.0
        } else {
            (actual - expected).abs() / expected.abs().max(f64::MIN_POSITIVE)
        }
    }

    #[test]
    fn kstwo_sf_and_cdf_match_scipy_in_every_branch() {
        let mut worst = (0.0, String::new());
        for case in fixture()["kstwo"].as_array().unwrap() {
            let n = case["n"].as_u64().unwrap();
            let d = case["d"].as_f64().unwrap();
            for (key, want_cdf) in [("sf", false), ("cdf", true)] {
                let expected = case[key].as_f64().unwrap();
                let got = kolmogn(n, d, want_cdf);
                let err = rel_err(got, expected);
                assert!(
                    err <= 1e-9,
                    "kstwo.{key}({d}, {n}): got {got:e}, SciPy {expected:e}"
                );
                if err > worst.0 {
                    worst = (err, format!("{key}(n={n}, d={d})"));
                }
            }
        }
        eprintln!("kstwo worst relative error {:e} at {}", worst.0, worst.1);
    }

    #[test]
    fn kstwo_is_nan_for_zero_n_and_nan_x() {
        assert!(kolmogn(0, 0.3, false).is_nan());
        assert!(kolmogn(10, f64::NAN, true).is_nan());
    }
}
