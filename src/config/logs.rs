//! `logs:` (reading a hospital's inference log) and `pseudonymize:` (keyed UID hashes).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::table::schema;

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

impl PseudonymizeConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.key_env.is_some() == self.key_file.is_some() {
            return Err("pseudonymize: give exactly one of key_env or key_file".into());
        }
        Ok(())
    }
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

impl LogsConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        for ours in self.columns.keys() {
            if !schema::INFERENCE_INPUT_FIELDS.contains(&ours.as_str()) {
                return Err(format!(
                    "logs.columns: unknown column {ours:?}; expected one of {}",
                    schema::INFERENCE_INPUT_FIELDS.join(", ")
                ));
            }
        }
        let t = self.threshold;
        if !(0.0..=1.0).contains(&t) {
            return Err(format!(
                "logs.threshold: expected a number in [0, 1], got {t}"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn column_mapping_names_our_columns() {
        let e = Config::parse("logs:\n  columns: {scroe: prob}\n").unwrap_err();
        assert!(e.contains("logs.columns") && e.contains("scroe"), "{e}");
        let ok = Config::parse("logs:\n  columns: {score: prob}\n").unwrap();
        assert_eq!(ok.logs.columns["score"], "prob");
    }

    #[test]
    fn threshold_is_a_probability() {
        let e = Config::parse("logs:\n  threshold: 1.5\n").unwrap_err();
        assert!(e.contains("logs.threshold"), "{e}");
    }

    #[test]
    fn pseudonymize_needs_exactly_one_key_source() {
        for yaml in [
            "pseudonymize: {}\n",
            "pseudonymize: {key_env: K, key_file: /k}\n",
        ] {
            let e = Config::parse(yaml).unwrap_err();
            assert!(e.contains("pseudonymize: give exactly one"), "{e}");
        }
        assert!(Config::parse("pseudonymize: {key_env: K}\n").is_ok());
    }
}
