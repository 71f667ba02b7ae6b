//! The YAML configuration (`--config FILE`, default `postmarket.yaml` in the working
//! directory when it exists, else built-in defaults).
//!
//! Parsing is strict: an unknown key is an error naming the key and its line, so a typo
//! never silently falls back to a default. Later sections (subgroups, thresholds) are added
//! here as the commands that read them are built.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::table::schema;

/// The file looked for in the working directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "postmarket.yaml";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Extra DICOM tags read by `scan`, each becoming a column of `headers.parquet`.
    #[serde(default)]
    pub extra_tags: Vec<ExtraTag>,
    /// Replace UIDs with keyed hashes, identically in `scan` and `logs`.
    #[serde(default)]
    pub pseudonymize: Option<PseudonymizeConfig>,
    #[serde(default)]
    pub logs: LogsConfig,
    /// What one case is: a study, a series (default) or an instance.
    #[serde(default)]
    pub unit: Unit,
    /// Subgroups compared on their own; defaults when absent (see [`default_subgroups`]).
    #[serde(default)]
    pub subgroups: Option<Vec<Subgroup>>,
    #[serde(default)]
    pub drift: DriftConfig,
    #[serde(default)]
    pub performance: PerformanceConfig,
    /// The release gate (`postmarket gate`): margins and sample-size rules.
    #[serde(default)]
    pub gate: GateConfig,
    #[serde(default)]
    pub cluster: ClusterConfig,
    /// Model versions approved besides those in the baseline.
    #[serde(default)]
    pub approved_versions: Vec<ApprovedVersion>,
    /// `postmarket drill`: what a scenario must meet.
    #[serde(default, skip_serializing_if = "DrillConfig::is_default")]
    pub drill: DrillConfig,
}

/// `postmarket drill`: a scenario fails (in its JUnit) when its median delay exceeds this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DrillConfig {
    pub max_delay_nights: u32,
}

impl Default for DrillConfig {
    fn default() -> Self {
        DrillConfig {
            max_delay_nights: 3,
        }
    }
}

impl DrillConfig {
    fn is_default(&self) -> bool {
        self == &DrillConfig::default()
    }
}

/// Acquisition clustering, fitted when the baseline is built (docs/statistics.md).
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovedVersion {
    pub model: String,
    pub version: String,
}

/// Performance monitoring: non-inferiority margins, minimum counts, label adaptation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PerformanceConfig {
    /// Largest tolerated fall (serving − baseline) per metric, as a proportion.
    pub margins: BTreeMap<String, f64>,
    /// Calibration: expected calibration error rise that warns.
    pub ece_warn: f64,
    /// Fewer labelled cases (or positives, or negatives) than these: insufficient.
    pub min_labelled: usize,
    pub min_positives: usize,
    /// Post-inference adaptation: for labels made under a label_version, what each label
    /// value means in the current definition (0, 1, or null to drop it).
    pub label_map: BTreeMap<String, BTreeMap<String, Option<u8>>>,
    /// Estimated-performance findings (from calibrated scores, before labels) may be
    /// alerts; by default they are at most warnings, since they rest on an assumption.
    pub estimated_alerts: bool,
}

/// Metrics compared for non-inferiority, and their default margins.
pub const PERFORMANCE_METRICS: &[(&str, f64)] = &[
    ("auroc", 0.05),
    ("sensitivity", 0.05),
    ("specificity", 0.05),
    ("ppv", 0.10),
    ("npv", 0.10),
];

impl Default for PerformanceConfig {
    fn default() -> Self {
        PerformanceConfig {
            margins: PERFORMANCE_METRICS
                .iter()
                .map(|(m, v)| (m.to_string(), *v))
                .collect(),
            ece_warn: 0.05,
            min_labelled: 30,
            min_positives: 10,
            label_map: BTreeMap::new(),
            estimated_alerts: false,
        }
    }
}

impl PerformanceConfig {
    pub fn margin(&self, metric: &str) -> f64 {
        self.margins.get(metric).copied().unwrap_or_else(|| {
            PERFORMANCE_METRICS
                .iter()
                .find(|(m, _)| *m == metric)
                .map_or(0.05, |(_, v)| *v)
        })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Study,
    #[default]
    Series,
    Instance,
}

/// A subgroup definition: an explicit condition, or a split by one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subgroup {
    /// Name shown in reports (defaults to the expression or `by` column).
    #[serde(default)]
    pub name: Option<String>,
    /// A condition over case columns, e.g. `slice_thickness >= 3`.
    #[serde(default, rename = "where")]
    pub condition: Option<String>,
    /// Split by this feature: one subgroup per category, or per band for numeric ones.
    #[serde(default)]
    pub by: Option<String>,
    /// Band edges for a numeric `by`, e.g. `[18, 40, 65]` gives <18, 18–40, 40–65, ≥65.
    #[serde(default)]
    pub bins: Option<Vec<f64>>,
}

/// The decision rule and its thresholds (docs/statistics.md explains each default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DriftConfig {
    /// Benjamini–Hochberg false discovery rate across all tests of a run.
    pub fdr: f64,
    /// Fewer cases than this on either side: `insufficient`, never a pass.
    pub min_n: usize,
    /// Numeric features: Wasserstein-1 / baseline SD for warn and alert.
    pub numeric_warn: f64,
    pub numeric_alert: f64,
    /// Categorical features: largest change in a category's share, percentage points.
    pub share_warn_pp: f64,
    pub share_alert_pp: f64,
    /// A category never seen in the baseline: serving share, percentage points (the low end
    /// of its interval). The default warn threshold is 0: a category the baseline never had
    /// is news at any share once it is significant and seen `new_category_min_count` times.
    pub new_category_warn_pp: f64,
    pub new_category_alert_pp: f64,
    /// …and at least this many serving cases (2: one stray value is not a new scanner).
    pub new_category_min_count: u64,
    /// Missing-value rate change, percentage points.
    pub missing_warn_pp: f64,
    pub missing_alert_pp: f64,
    /// Which features `drift` and `explore` test (default: every header feature and extra
    /// tag). The case table keeps every feature either way, for subgroups and clustering.
    pub features: Option<Vec<String>>,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            fdr: 0.05,
            min_n: 30,
            numeric_warn: 0.1,
            numeric_alert: 0.25,
            share_warn_pp: 5.0,
            share_alert_pp: 10.0,
            new_category_warn_pp: 0.0,
            new_category_alert_pp: 2.0,
            new_category_min_count: 2,
            missing_warn_pp: 5.0,
            missing_alert_pp: 10.0,
            features: None,
        }
    }
}

/// The release gate's decision rule (docs/statistics.md, "Release gate").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateConfig {
    /// Non-inferiority margins, candidate − reference.
    pub margins: GateMargins,
    /// Fewest paired labelled cases to judge a metric (overall and per subgroup).
    pub min_pairs: usize,
    /// Fewest positive cases (and negative cases, for AUROC and specificity).
    pub min_positives: usize,
    /// Too few paired cases overall fails the gate (true) or leaves it `insufficient`.
    pub fail_closed: bool,
    /// A subgroup with too few cases fails the gate instead of being `insufficient`.
    pub require_subgroups: bool,
    /// Confidence level of every interval.
    pub confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateMargins {
    pub auroc: f64,
    pub sensitivity: f64,
    pub specificity: f64,
    /// Brier score, where lower is better: the candidate may be at most this much higher.
    pub brier: f64,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            margins: GateMargins::default(),
            min_pairs: 30,
            min_positives: 10,
            fail_closed: true,
            require_subgroups: false,
            confidence: 0.95,
        }
    }
}

impl Default for GateMargins {
    fn default() -> Self {
        GateMargins {
            auroc: 0.02,
            sensitivity: 0.05,
            specificity: 0.05,
            brier: 0.02,
        }
    }
}

impl GateConfig {
    fn validate(&self) -> Result<(), String> {
        let m = &self.margins;
        for (name, margin) in [
            ("auroc", m.auroc),
            ("sensitivity", m.sensitivity),
            ("specificity", m.specificity),
            ("brier", m.brier),
        ] {
            if !(0.0..1.0).contains(&margin) {
                return Err(format!(
                    "gate.margins.{name}: expected a number in [0, 1), got {margin}"
                ));
            }
        }
        // DeLong needs two cases of each class, a t-interval two cases.
        if self.min_pairs < 2 || self.min_positives < 2 {
            return Err(format!(
                "gate.min_pairs and gate.min_positives: expected at least 2, got {} and {}",
                self.min_pairs, self.min_positives
            ));
        }
        if !(self.confidence > 0.5 && self.confidence < 1.0) {
            return Err(format!(
                "gate.confidence: expected a number in (0.5, 1), got {}",
                self.confidence
            ));
        }
        Ok(())
    }
}

/// Subgroups used when the config names none: the seed's sex, age and slice thickness,
/// plus scanner manufacturer.
pub fn default_subgroups() -> Vec<Subgroup> {
    let by = |column: &str, bins: Option<Vec<f64>>| Subgroup {
        name: None,
        condition: None,
        by: Some(column.to_string()),
        bins,
    };
    vec![
        by("patient_sex", None),
        by("patient_age_years", Some(vec![18.0, 40.0, 65.0])),
        by("manufacturer", None),
        Subgroup {
            name: Some("thick-slices".into()),
            condition: Some("slice_thickness >= 2.5".into()),
            by: None,
            bins: None,
        },
    ]
}

impl Config {
    /// The configured subgroups, or the defaults.
    pub fn subgroups(&self) -> Vec<Subgroup> {
        self.subgroups.clone().unwrap_or_else(default_subgroups)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraTag {
    /// Column name in `headers.parquet` (lower snake case).
    pub name: String,
    /// `"gggg,eeee"` in hexadecimal, e.g. `"0018,1150"`.
    pub tag: String,
    pub kind: ExtraKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtraKind {
    Numeric,
    Categorical,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PseudonymizeConfig {
    /// Environment variable holding the HMAC key.
    #[serde(default)]
    pub key_env: Option<String>,
    /// File holding the HMAC key (its bytes, trailing newline removed).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsConfig {
    /// Our column name → the hospital's column name, e.g. `{key: SeriesUID, score: prob}`.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Operating threshold: `prediction = score >= threshold` when a log has no prediction.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
}

fn default_threshold() -> f64 {
    0.5
}

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig {
            columns: BTreeMap::new(),
            threshold: default_threshold(),
        }
    }
}

impl ExtraTag {
    /// The tag as (group, element).
    pub fn parse_tag(&self) -> Option<(u16, u16)> {
        parse_tag(&self.tag)
    }
}

/// Parses `"gggg,eeee"` (also accepts `"(gggg,eeee)"` and `"ggggeeee"`).
pub fn parse_tag(text: &str) -> Option<(u16, u16)> {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, '(' | ')' | ',' | ' '))
        .collect();
    if cleaned.len() != 8 || !cleaned.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let group = u16::from_str_radix(&cleaned[..4], 16).ok()?;
    let element = u16::from_str_radix(&cleaned[4..], 16).ok()?;
    Some((group, element))
}

impl Config {
    /// Loads `explicit` if given, else `postmarket.yaml` in the working directory if it
    /// exists, else the built-in defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => {
                let default = PathBuf::from(DEFAULT_CONFIG_FILE);
                if !default.exists() {
                    return Ok(Config::default());
                }
                default
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|source| Error::ReadConfig {
            path: path.clone(),
            source,
        })?;
        Config::parse(&text).map_err(|message| Error::ParseConfig { path, message })
    }

    /// Parses and validates YAML text; the error names the key and line.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_norway::from_str(text).map_err(|e| e.to_string())?
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for (i, extra) in self.extra_tags.iter().enumerate() {
            let valid_name = !extra.name.is_empty()
                && extra.name.starts_with(|c: char| c.is_ascii_lowercase())
                && extra
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_name {
                return Err(format!(
                    "extra_tags[{i}].name: expected lower_snake_case, got {:?}",
                    extra.name
                ));
            }
            if schema::is_header_column(&extra.name) {
                return Err(format!(
                    "extra_tags[{i}].name: {:?} is already a built-in column",
                    extra.name
                ));
            }
            if !seen.insert(extra.name.as_str()) {
                return Err(format!(
                    "extra_tags[{i}].name: {:?} given twice",
                    extra.name
                ));
            }
            if extra.parse_tag().is_none() {
                return Err(format!(
                    "extra_tags[{i}].tag: expected \"gggg,eeee\" in hexadecimal, got {:?}",
                    extra.tag
                ));
            }
        }
        if let Some(p) = &self.pseudonymize {
            if p.key_env.is_some() == p.key_file.is_some() {
                return Err("pseudonymize: give exactly one of key_env or key_file".into());
            }
        }
        for ours in self.logs.columns.keys() {
            if !schema::INFERENCE_INPUT_FIELDS.contains(&ours.as_str()) {
                return Err(format!(
                    "logs.columns: unknown column {ours:?}; expected one of {}",
                    schema::INFERENCE_INPUT_FIELDS.join(", ")
                ));
            }
        }
        for (i, g) in self.subgroups.iter().flatten().enumerate() {
            if g.condition.is_some() == g.by.is_some() {
                return Err(format!(
                    "subgroups[{i}]: give exactly one of `where` or `by`"
                ));
            }
            if g.bins.is_some() && g.by.is_none() {
                return Err(format!("subgroups[{i}].bins: only with `by`"));
            }
            if let Some(bins) = &g.bins {
                if bins.is_empty()
                    || bins.windows(2).any(|w| w[0] >= w[1])
                    || bins.iter().any(|b| !b.is_finite())
                {
                    return Err(format!(
                        "subgroups[{i}].bins: expected increasing finite numbers, got {bins:?}"
                    ));
                }
            }
        }
        let d = &self.drift;
        if !(d.fdr > 0.0 && d.fdr < 1.0) {
            return Err(format!(
                "drift.fdr: expected a number in (0, 1), got {}",
                d.fdr
            ));
        }
        if d.min_n < 2 {
            return Err(format!("drift.min_n: expected at least 2, got {}", d.min_n));
        }
        for (name, warn, alert) in [
            ("numeric", d.numeric_warn, d.numeric_alert),
            ("share", d.share_warn_pp, d.share_alert_pp),
            (
                "new_category",
                d.new_category_warn_pp,
                d.new_category_alert_pp,
            ),
            ("missing", d.missing_warn_pp, d.missing_alert_pp),
        ] {
            if !(warn >= 0.0 && alert >= warn) {
                return Err(format!(
                    "drift.{name}_warn/alert: expected 0 <= warn <= alert, got {warn} and {alert}"
                ));
            }
        }
        self.validate_feature_names()?;
        for (metric, margin) in &self.performance.margins {
            if !PERFORMANCE_METRICS.iter().any(|(m, _)| m == metric) {
                let known: Vec<&str> = PERFORMANCE_METRICS.iter().map(|(m, _)| *m).collect();
                return Err(format!(
                    "performance.margins: unknown metric {metric:?}; expected one of {}",
                    known.join(", ")
                ));
            }
            if !(0.0..1.0).contains(margin) {
                return Err(format!(
                    "performance.margins.{metric}: expected a number in [0, 1), got {margin}"
                ));
            }
        }
        for (version, map) in &self.performance.label_map {
            for key in map.keys() {
                if key != "0" && key != "1" {
                    return Err(format!(
                        "performance.label_map.{version}: labels are 0 or 1, got {key:?}"
                    ));
                }
            }
            if map.values().flatten().any(|v| *v > 1) {
                return Err(format!(
                    "performance.label_map.{version}: maps to 0, 1 or null"
                ));
            }
        }
        self.gate.validate()?;
        let t = self.logs.threshold;
        if !(0.0..=1.0).contains(&t) {
            return Err(format!(
                "logs.threshold: expected a number in [0, 1], got {t}"
            ));
        }
        Ok(())
    }

    /// `drift.features` and the clustering's lists must name features: a header feature
    /// column or an extra tag.
    fn validate_feature_names(&self) -> Result<(), String> {
        let catalogue = crate::table::cases::features(&self.extra_tags);
        let known = || {
            catalogue
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut lists = vec![
            ("cluster.numeric", &self.cluster.numeric),
            ("cluster.categorical", &self.cluster.categorical),
        ];
        if let Some(names) = &self.drift.features {
            if names.is_empty() {
                return Err("drift.features: expected at least one feature (omit the key to test every feature)".into());
            }
            lists.insert(0, ("drift.features", names));
        }
        for (key, names) in lists {
            for (i, name) in names.iter().enumerate() {
                if !catalogue.iter().any(|f| &f.name == name) {
                    return Err(format!(
                        "{key}: unknown feature {name:?}; expected one of {}",
                        known()
                    ));
                }
                if names[..i].contains(name) {
                    return Err(format!("{key}: {name:?} given twice"));
                }
            }
        }
        Ok(())
    }

    /// The canonical YAML text of this config, hashed into snapshots.
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).expect("config serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error_naming_key_and_line() {
        let err = Config::parse("logs:\n  threshold: 0.4\n  treshold: 0.5\n").unwrap_err();
        assert!(err.contains("treshold"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn gate_section_is_strict_and_validated() {
        let ok = Config::parse("gate:\n  margins: {sensitivity: 0.1}\n  min_pairs: 50\n").unwrap();
        assert_eq!(ok.gate.margins.sensitivity, 0.1);
        assert_eq!(
            ok.gate.margins.auroc, 0.02,
            "other margins keep their defaults"
        );
        assert!(ok.gate.fail_closed);
        let err = Config::parse("gate:\n  margins: {sensitivty: 0.1}\n").unwrap_err();
        assert!(err.contains("sensitivty"), "{err}");
        let err = Config::parse("gate:\n  margins: {brier: 1.5}\n").unwrap_err();
        assert!(err.contains("gate.margins.brier"), "{err}");
        let err = Config::parse("gate:\n  min_positives: 1\n").unwrap_err();
        assert!(err.contains("gate.min_"), "{err}");
    }

    #[test]
    fn empty_text_gives_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn extra_tag_must_be_hex_group_element() {
        let err = Config::parse("extra_tags:\n  - {name: x, tag: '0018-1150', kind: numeric}\n")
            .unwrap_err();
        assert!(err.contains("extra_tags[0].tag"), "{err}");
        let ok =
            Config::parse("extra_tags:\n  - {name: x, tag: '0018,1150', kind: numeric}\n").unwrap();
        assert_eq!(ok.extra_tags[0].parse_tag(), Some((0x0018, 0x1150)));
    }

    #[test]
    fn extra_tag_cannot_shadow_a_builtin_column() {
        let err = Config::parse("extra_tags:\n  - {name: kvp, tag: '0018,0060', kind: numeric}\n")
            .unwrap_err();
        assert!(err.contains("built-in"), "{err}");
    }

    #[test]
    fn drift_features_must_name_known_features() {
        let err = Config::parse("drift:\n  features: [patient_sex, kvpp]\n").unwrap_err();
        assert!(
            err.contains("drift.features") && err.contains("\"kvpp\""),
            "{err}"
        );
        let err = Config::parse("drift:\n  features: []\n").unwrap_err();
        assert!(err.contains("drift.features"), "{err}");
        let err = Config::parse("drift:\n  features: [kvp, kvp]\n").unwrap_err();
        assert!(err.contains("twice"), "{err}");
        let ok = Config::parse(
            "extra_tags:\n  - {name: protocol_name, tag: '0018,1030', kind: categorical}\ndrift:\n  features: [protocol_name, kvp]\n",
        )
        .unwrap();
        assert_eq!(ok.drift.features.unwrap(), ["protocol_name", "kvp"]);
    }

    #[test]
    fn cluster_features_must_name_known_features() {
        let err = Config::parse("cluster:\n  numeric: [slice_thicknes]\n").unwrap_err();
        assert!(err.contains("cluster.numeric"), "{err}");
    }

    #[test]
    fn logs_column_mapping_names_our_columns() {
        let err = Config::parse("logs:\n  columns: {scroe: prob}\n").unwrap_err();
        assert!(err.contains("scroe"), "{err}");
    }
}
