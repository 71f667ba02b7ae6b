//! `--state FILE`: the series a scan has already fetched, so that a nightly rerun pulls
//! only new ones. A JSON object `{"format": "postmarket-dicomweb-state", "version": 1,
//! "series": [...]}` with the Series Instance UIDs in order, written atomically after the
//! Parquet file, so a run that fails leaves the previous state. A series is recorded once
//! its metadata was fetched and converted (instances rejected in it included); a series
//! whose request failed is not, so the next run tries it again. Instances added to a
//! recorded series later are not fetched: PACS series are complete when they are listed
//! in the normal case; delete the file to fetch everything again.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value as Json};

use crate::error::{Error, Result};

const FORMAT: &str = "postmarket-dicomweb-state";

/// Series already fetched.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct State {
    pub series: BTreeSet<String>,
}

impl State {
    /// The state at `path`; empty when the file does not exist yet.
    pub fn load(path: &Path) -> Result<State> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(source) => {
                return Err(Error::ReadInput {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let bad = |what: &str| Error::invalid(path, format!("not a DICOMweb state file: {what}"));
        let json: Json = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
        if json.get("format").and_then(Json::as_str) != Some(FORMAT) {
            return Err(bad(&format!("no \"format\": \"{FORMAT}\"")));
        }
        if json.get("version").and_then(Json::as_u64) != Some(1) {
            return Err(bad("version is not 1"));
        }
        let list = json
            .get("series")
            .and_then(Json::as_array)
            .ok_or_else(|| bad("\"series\" is not a list"))?;
        let series = list
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<BTreeSet<String>>>()
            .ok_or_else(|| bad("a series entry is not a string"))?;
        Ok(State { series })
    }

    /// Writes the state atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = json!({"format": FORMAT, "version": 1, "series": self.series});
        let mut text = serde_json::to_string_pretty(&json).expect("state serialises");
        text.push('\n');
        crate::atomic::write_bytes(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_refuses_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert_eq!(State::load(&path).unwrap(), State::default());
        let mut state = State::default();
        state.series.insert("1.2.3".into());
        state.series.insert("1.2.4".into());
        state.save(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), state);
        std::fs::write(&path, "{\"series\": []}").unwrap();
        let err = State::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("state.json") && err.contains("format"),
            "{err}"
        );
    }
}
