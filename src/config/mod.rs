//! The YAML configuration (`--config FILE`, default `postmarket.yaml` in the working
//! directory when it exists, else built-in defaults).
//!
//! Parsing is strict: an unknown key is an error naming the key and its line, so a typo
//! never silently falls back to a default. Each section lives in its own file with its
//! own validator; [`Config::parse`] runs them in file order and returns the first error,
//! which always names the key (`drift.fdr`, `cluster.k_min`, …).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::table::columns::HeaderColumn;

mod audit;
mod cluster;
mod drift;
mod gate;
mod logs;
pub mod performance;
mod subgroups;
mod tags;

pub use audit::{DrillConfig, SequentialConfig};
pub use cluster::{AutoK, ClusterConfig, ClusterK};
pub use drift::DriftConfig;
pub use gate::{GateConfig, GateMargins};
pub use logs::{LogsConfig, PseudonymizeConfig};
pub use performance::{PerformanceConfig, PERFORMANCE_METRICS};
pub use subgroups::{default_subgroups, Subgroup, Unit};
pub use tags::{parse_tag, ExtraKind, ExtraTag};

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
    /// `audit --history`: the sequential rule over nights (docs/statistics.md).
    #[serde(default, skip_serializing_if = "SequentialConfig::is_default")]
    pub sequential: SequentialConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovedVersion {
    pub model: String,
    pub version: String,
}

impl Config {
    /// The configured subgroups, or the defaults.
    pub fn subgroups(&self) -> Vec<Subgroup> {
        self.subgroups.clone().unwrap_or_else(default_subgroups)
    }

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

    /// Every section's own validator; the feature lists are checked against the feature
    /// catalogue, which depends on `extra_tags`.
    fn validate(&self) -> Result<(), String> {
        tags::validate(&self.extra_tags)?;
        if let Some(p) = &self.pseudonymize {
            p.validate()?;
        }
        subgroups::validate(self.subgroups.as_deref().unwrap_or_default())?;
        // The case table's features: the header features, then the extra tags.
        let known: Vec<&str> = HeaderColumn::features()
            .map(|(c, _)| c.name())
            .chain(self.extra_tags.iter().map(|e| e.name.as_str()))
            .collect();
        self.drift.validate(&known)?;
        self.performance.validate()?;
        self.gate.validate()?;
        self.cluster.validate(&known)?;
        self.logs.validate()?;
        self.sequential.validate()?;
        Ok(())
    }

    /// The canonical YAML text of this config, hashed into snapshots.
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).expect("config serialises")
    }
}

/// Checks a list of feature names at `key`: each one known, none given twice.
fn validate_feature_list(key: &str, names: &[String], known: &[&str]) -> Result<(), String> {
    for (i, name) in names.iter().enumerate() {
        if !known.contains(&name.as_str()) {
            return Err(format!(
                "{key}: unknown feature {name:?}; expected one of {}",
                known.join(", ")
            ));
        }
        if names[..i].contains(name) {
            return Err(format!("{key}: {name:?} given twice"));
        }
    }
    Ok(())
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
    fn empty_text_gives_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn defaults_pass_every_validator() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn drill_section_is_omitted_from_the_canonical_text_when_default() {
        assert!(!Config::default().to_yaml().contains("drill"));
        let c = Config::parse("drill:\n  max_delay_nights: 5\n").unwrap();
        assert!(c.to_yaml().contains("max_delay_nights: 5"));
    }
}
