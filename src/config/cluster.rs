//! `cluster:` — acquisition clustering, fitted when the baseline is built
//! (docs/statistics.md). These are the only defaults of the clustering: the library's
//! `ClusterParams::new` starts from [`ClusterConfig::default`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    pub numeric: Vec<String>,
    pub categorical: Vec<String>,
    /// A category switch counts as this many SDs of a numeric feature.
    pub categorical_weight: f64,
    /// A number, or `auto` (best silhouette over `k_min..=k_max`).
    pub k: ClusterK,
    pub k_min: usize,
    pub k_max: usize,
    pub seed: u64,
    /// Most baseline rows used to fit.
    pub sample: usize,
    /// Novel-case rate (percentage points above the expected 1%) that warns / alerts.
    pub novel_warn_pp: f64,
    pub novel_alert_pp: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClusterK {
    Fixed(usize),
    Auto(AutoK),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoK {
    Auto,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            numeric: [
                "slice_thickness",
                "pixel_spacing_row",
                "kvp",
                "exposure_mas",
            ]
            .map(String::from)
            .to_vec(),
            categorical: ["modality", "manufacturer_model_name", "convolution_kernel"]
                .map(String::from)
                .to_vec(),
            categorical_weight: 0.5,
            k: ClusterK::Auto(AutoK::Auto),
            k_min: 2,
            k_max: 8,
            seed: 7,
            sample: 20_000,
            novel_warn_pp: 1.0,
            novel_alert_pp: 4.0,
        }
    }
}

impl ClusterConfig {
    /// Everything that can be checked without the baseline's data. What needs the data
    /// (enough usable cases for k, a feature that varies) is left to the fit, whose failure
    /// is recorded in the snapshot's `cluster_note`.
    pub(super) fn validate(&self, known: &[&str]) -> Result<(), String> {
        if self.numeric.is_empty() && self.categorical.is_empty() {
            return Err(
                "cluster.numeric and cluster.categorical: expected at least one feature".into(),
            );
        }
        super::validate_feature_list("cluster.numeric", &self.numeric, known)?;
        super::validate_feature_list("cluster.categorical", &self.categorical, known)?;
        if let Some(both) = self.numeric.iter().find(|n| self.categorical.contains(n)) {
            return Err(format!(
                "cluster.categorical: {both:?} is already listed in cluster.numeric"
            ));
        }
        if !(self.categorical_weight.is_finite() && self.categorical_weight >= 0.0) {
            return Err(format!(
                "cluster.categorical_weight: expected a finite number >= 0, got {}",
                self.categorical_weight
            ));
        }
        let smallest_k = match self.k {
            ClusterK::Fixed(0) => return Err("cluster.k: expected at least 1, got 0".into()),
            ClusterK::Fixed(k) => k,
            ClusterK::Auto(_) => {
                if self.k_min < 2 || self.k_max < self.k_min {
                    return Err(format!(
                        "cluster.k_min/k_max: expected 2 <= k_min <= k_max, got {} and {}",
                        self.k_min, self.k_max
                    ));
                }
                self.k_min
            }
        };
        if self.sample < 2 || self.sample < smallest_k {
            return Err(format!(
                "cluster.sample: expected at least 2 and at least k ({smallest_k}), got {}",
                self.sample
            ));
        }
        if !(self.novel_warn_pp >= 0.0 && self.novel_alert_pp >= self.novel_warn_pp) {
            return Err(format!(
                "cluster.novel_warn_pp/novel_alert_pp: expected 0 <= warn <= alert, got {} and {}",
                self.novel_warn_pp, self.novel_alert_pp
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn err(yaml: &str) -> String {
        Config::parse(yaml).unwrap_err()
    }

    #[test]
    fn features_must_name_known_features() {
        let e = err("cluster:\n  numeric: [slice_thicknes]\n");
        assert!(e.contains("cluster.numeric"), "{e}");
        let e = err("cluster:\n  categorical: [modality, modality]\n");
        assert!(
            e.contains("cluster.categorical") && e.contains("twice"),
            "{e}"
        );
        let e = err("cluster:\n  numeric: [kvp]\n  categorical: [kvp]\n");
        assert!(e.contains("already listed in cluster.numeric"), "{e}");
        let e = err("cluster:\n  numeric: []\n  categorical: []\n");
        assert!(e.contains("at least one feature"), "{e}");
    }

    #[test]
    fn k_and_its_range_are_checked() {
        let e = err("cluster:\n  k: 0\n");
        assert!(e.contains("cluster.k:"), "{e}");
        let e = err("cluster:\n  k_min: 1\n");
        assert!(e.contains("cluster.k_min/k_max"), "{e}");
        let e = err("cluster:\n  k_min: 5\n  k_max: 4\n");
        assert!(e.contains("cluster.k_min/k_max"), "{e}");
        let e = err("cluster:\n  k: kauto\n");
        assert!(e.contains("cluster"), "{e}");
        // A fixed k ignores the auto range.
        let ok = Config::parse("cluster:\n  k: 3\n  k_min: 1\n").unwrap();
        assert_eq!(ok.cluster.k, super::ClusterK::Fixed(3));
    }

    #[test]
    fn weight_sample_and_novel_thresholds_are_checked() {
        let e = err("cluster:\n  categorical_weight: -1\n");
        assert!(e.contains("cluster.categorical_weight"), "{e}");
        let e = err("cluster:\n  sample: 1\n");
        assert!(e.contains("cluster.sample"), "{e}");
        let e = err("cluster:\n  k: 50\n  sample: 40\n");
        assert!(e.contains("cluster.sample"), "{e}");
        let e = err("cluster:\n  novel_warn_pp: 5\n");
        assert!(e.contains("cluster.novel_warn_pp/novel_alert_pp"), "{e}");
    }
}
