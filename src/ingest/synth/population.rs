//! The synthetic population: who is scanned, on which scanner, with which protocol, what
//! the truth is, and what the model answers.
//!
//! The model score depends on the inputs, so that drift has performance consequences:
//! each case has a latent severity `z ~ N(0,1)` (shifted up by age); the label under
//! definition v1 is `z > 0.84` (about 20% prevalence), under v2 `z > 0.40` (borderline cases
//! count). The model answers `sigmoid(2.5 · q · (z − 0.84) + ε − 0.4)`, `ε ~ N(0, 0.8)`,
//! where the image quality factor `q` is 1, times 0.45 on CT slices ≥ 2.5 mm, times 0.35 on
//! the deep-learning kernel of the upgraded scanner. An unapproved model version shifts and
//! flattens the logit (`0.6 · logit + 0.9`).
//!
//! `synth --candidate` adds a second model scoring the same serving cases
//! ([`super::candidate`]): sharper and less noisy for patients under 65, but with less
//! separation and a negative shift for patients aged 65 and over, who it under-calls.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::scenario::Effects;

pub struct Scanner {
    pub modality: &'static str,
    pub manufacturer: &'static str,
    pub model: &'static str,
    pub software: &'static str,
    pub station: &'static str,
    pub kernels: &'static [&'static str],
    pub field_strength: Option<f64>,
}

pub const SCANNERS: &[Scanner] = &[
    Scanner {
        modality: "CT",
        manufacturer: "GE MEDICAL SYSTEMS",
        model: "Revolution CT",
        software: "revo_ct_22.00",
        station: "CTREV01",
        kernels: &["STANDARD", "LUNG", "BONE"],
        field_strength: None,
    },
    Scanner {
        modality: "CT",
        manufacturer: "SIEMENS",
        model: "SOMATOM Force",
        software: "syngo CT VB10A",
        station: "CTFORCE1",
        kernels: &["Br40d", "Br64d", "Bv40d"],
        field_strength: None,
    },
    Scanner {
        modality: "CT",
        manufacturer: "Philips",
        model: "IQon Spectral CT",
        software: "5.0.2",
        station: "IQON-2",
        kernels: &["B", "C", "YB"],
        field_strength: None,
    },
    Scanner {
        modality: "CT",
        manufacturer: "CANON_MEC",
        model: "Aquilion ONE",
        software: "V10.8",
        station: "AQONE",
        kernels: &["FC08", "FC13", "FC52"],
        field_strength: None,
    },
    Scanner {
        modality: "MR",
        manufacturer: "SIEMENS",
        model: "MAGNETOM Skyra",
        software: "syngo MR E11",
        station: "MRSKYRA",
        kernels: &[],
        field_strength: Some(3.0),
    },
    Scanner {
        modality: "MR",
        manufacturer: "GE MEDICAL SYSTEMS",
        model: "SIGNA Artist",
        software: "29.1",
        station: "MRARTIST",
        kernels: &[],
        field_strength: Some(1.5),
    },
];

/// The scanner that arrives with the `scanner-upgrade` scenario.
pub const UPGRADED: Scanner = Scanner {
    modality: "CT",
    manufacturer: "GE MEDICAL SYSTEMS",
    model: "Revolution Apex",
    software: "apex_24.10",
    station: "CTAPEX01",
    kernels: &["STANDARD_DL"],
    field_strength: None,
};

/// Baseline shares of [`SCANNERS`] (CT 85%, MR 15%).
const SCANNER_WEIGHTS: &[f64] = &[0.30, 0.25, 0.18, 0.12, 0.09, 0.06];
const THICKNESS: &[f64] = &[0.625, 1.0, 1.25, 2.5, 5.0];
const THICKNESS_BASELINE: &[f64] = &[0.30, 0.25, 0.25, 0.12, 0.08];
const THICKNESS_LOW_DOSE: &[f64] = &[0.10, 0.10, 0.15, 0.20, 0.45];
const BODY_PARTS: &[&str] = &["CHEST", "HEAD", "ABDOMEN"];

pub const MODEL_NAME: &str = "edema-net";
pub const APPROVED_VERSION: &str = "2.1.0";
pub const UNAPPROVED_VERSION: &str = "2.2.0-rc1";
pub const LABEL_V1: &str = "edema-v1";
pub const LABEL_V2: &str = "edema-v2";
pub(super) const THRESHOLD_V1: f64 = 0.84;
const THRESHOLD_V2: f64 = 0.40;
/// Where in the serving window (0..1) time-dependent changes start.
pub const CHANGE_POINT: f64 = 0.4;

/// One synthetic case (one series).
pub struct Case {
    pub scanner: &'static Scanner,
    pub kernel: Option<&'static str>,
    pub body_part: &'static str,
    pub sex: &'static str,
    pub age_years: u32,
    pub slice_thickness: f64,
    pub pixel_spacing: f64,
    pub kvp: Option<f64>,
    pub exposure_mas: Option<i32>,
    pub contrast: bool,
    pub repetition_time: Option<f64>,
    pub echo_time: Option<f64>,
    /// Position in the window, 0..1 (drives the timestamp and time-dependent changes).
    pub time: f64,
    /// Latent severity `z` and the image quality factor `q` of the score model (kept so a
    /// second model can score the same case).
    pub latent: f64,
    pub quality: f64,
    pub label: bool,
    pub label_version: &'static str,
    pub labelled: bool,
    pub model_version: &'static str,
    pub score: f64,
    pub latency_ms: f64,
}

/// Draws case `index` of a side; each case has its own generator, so cases can be drawn
/// in parallel and the result does not depend on the order.
pub fn draw_case(seed: u64, side: u64, index: u64, effects: &Effects, serving: bool) -> Case {
    let mut rng = case_rng(seed, side, index);
    let normal = |m: f64, s: f64| Normal::new(m, s).expect("valid normal");

    let mut scanner = &SCANNERS[weighted(&mut rng, SCANNER_WEIGHTS)];
    if effects.scanner_upgrade && scanner.modality == "CT" && rng.random::<f64>() < 0.30 / 0.85 {
        scanner = &UPGRADED;
    }
    let is_ct = scanner.modality == "CT";
    let kernel = (!scanner.kernels.is_empty())
        .then(|| scanner.kernels[rng.random_range(0..scanner.kernels.len())]);
    let (age_mean, female_share) = if effects.demographic_shift {
        (65.0, 0.62)
    } else {
        (58.0, 0.50)
    };
    let age = normal(age_mean, 16.0).sample(&mut rng).clamp(18.0, 97.0);
    let sex = if rng.random::<f64>() < female_share {
        "F"
    } else {
        "M"
    };
    let thickness_weights = if effects.protocol_change {
        THICKNESS_LOW_DOSE
    } else {
        THICKNESS_BASELINE
    };
    let slice_thickness = if is_ct {
        THICKNESS[weighted(&mut rng, thickness_weights)]
    } else {
        [3.0, 4.0, 5.0][rng.random_range(0..3)]
    };
    let kvp = is_ct.then(|| {
        let low_dose = effects.protocol_change && rng.random::<f64>() < 0.6;
        if low_dose {
            100.0
        } else {
            [100.0, 120.0, 120.0, 120.0, 140.0][rng.random_range(0..5)]
        }
    });
    let mas_mean: f64 = if effects.protocol_change {
        120.0
    } else {
        220.0
    };
    let exposure_mas =
        is_ct.then(|| (normal(mas_mean.ln(), 0.35).sample(&mut rng).exp().round() as i32).max(10));

    let time: f64 = rng.random();
    let changed = serving && time >= CHANGE_POINT;
    let z = normal(0.012 * (age - 58.0), 1.0).sample(&mut rng);
    let label_version = if effects.label_redefinition && changed {
        LABEL_V2
    } else {
        LABEL_V1
    };
    let label = z > if label_version == LABEL_V2 {
        THRESHOLD_V2
    } else {
        THRESHOLD_V1
    };
    let mut quality = 1.0;
    if is_ct && slice_thickness >= 2.5 {
        quality *= 0.45;
    }
    if kernel == Some("STANDARD_DL") {
        quality *= 0.35;
    }
    let mut logit = 2.5 * quality * (z - THRESHOLD_V1) + normal(0.0, 0.8).sample(&mut rng) - 0.4;
    let model_version = if effects.model_swap && changed {
        logit = 0.6 * logit + 0.9;
        UNAPPROVED_VERSION
    } else {
        APPROVED_VERSION
    };
    let score = 1.0 / (1.0 + (-logit).exp());
    // Labels arrive late: the later a serving case, the less likely it is labelled yet.
    let labelled = !serving || rng.random::<f64>() < 0.95 - 0.5 * time;

    Case {
        scanner,
        kernel,
        body_part: BODY_PARTS[rng.random_range(0..BODY_PARTS.len())],
        sex,
        age_years: age.floor() as u32,
        slice_thickness,
        pixel_spacing: (normal(0.72, 0.07).sample(&mut rng).clamp(0.45, 0.98) * 1e4).round() / 1e4,
        kvp,
        exposure_mas,
        contrast: rng.random::<f64>() < 0.4,
        repetition_time: (!is_ct).then(|| [500.0, 2200.0, 4000.0][rng.random_range(0..3)]),
        echo_time: (!is_ct).then(|| [12.0, 30.0, 95.0][rng.random_range(0..3)]),
        time,
        latent: z,
        quality,
        label,
        label_version,
        labelled,
        model_version,
        score: (score * 1e6).round() / 1e6,
        latency_ms: (normal(180.0, 25.0).sample(&mut rng).max(20.0) * 10.0).round() / 10.0,
    }
}

/// A generator for one case, derived from (seed, side, index) with SplitMix-style mixing.
pub fn case_rng(seed: u64, side: u64, index: u64) -> Xoshiro256PlusPlus {
    let mut x =
        seed ^ side.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Xoshiro256PlusPlus::seed_from_u64(x ^ (x >> 31))
}

fn weighted(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sensitivity(effects: Effects, filter: impl Fn(&Case) -> bool) -> f64 {
        let cases: Vec<Case> = (0..20_000)
            .map(|i| draw_case(7, 1, i, &effects, true))
            .filter(|c| c.label && filter(c))
            .collect();
        cases.iter().filter(|c| c.score >= 0.5).count() as f64 / cases.len() as f64
    }

    #[test]
    fn thick_slices_lower_sensitivity() {
        let ct = |c: &Case| c.scanner.modality == "CT";
        let thin = sensitivity(Effects::default(), |c| ct(c) && c.slice_thickness < 2.5);
        let thick = sensitivity(Effects::default(), |c| ct(c) && c.slice_thickness >= 2.5);
        assert!(thin - thick > 0.1, "thin {thin:.3} thick {thick:.3}");
    }

    #[test]
    fn the_upgraded_scanner_lowers_sensitivity() {
        let effects = Effects {
            scanner_upgrade: true,
            ..Effects::default()
        };
        let apex = sensitivity(effects, |c| c.scanner.model == UPGRADED.model);
        let others = sensitivity(effects, |c| c.scanner.model != UPGRADED.model);
        assert!(others - apex > 0.1, "others {others:.3} apex {apex:.3}");
    }

    #[test]
    fn cases_do_not_depend_on_drawing_order() {
        let e = Effects::default();
        let a = draw_case(1, 0, 42, &e, false);
        let _ = draw_case(1, 0, 41, &e, false);
        let b = draw_case(1, 0, 42, &e, false);
        assert_eq!((a.score, a.age_years), (b.score, b.age_years));
    }
}
