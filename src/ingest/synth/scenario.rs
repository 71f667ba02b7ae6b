//! The drift scenarios `synth` can inject, and what each changes in the serving window.
//!
//! Scenarios compose (`--scenario protocol-change,demographic-shift`): each one switches on
//! one family of effects in [`Effects`], which the population model reads.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    None,
    ScannerUpgrade,
    ProtocolChange,
    DemographicShift,
    LabelRedefinition,
    SilentModelSwap,
    CorruptFiles,
}

impl Scenario {
    pub const ALL: &'static [Scenario] = &[
        Scenario::None,
        Scenario::ScannerUpgrade,
        Scenario::ProtocolChange,
        Scenario::DemographicShift,
        Scenario::LabelRedefinition,
        Scenario::SilentModelSwap,
        Scenario::CorruptFiles,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::None => "none",
            Scenario::ScannerUpgrade => "scanner-upgrade",
            Scenario::ProtocolChange => "protocol-change",
            Scenario::DemographicShift => "demographic-shift",
            Scenario::LabelRedefinition => "label-redefinition",
            Scenario::SilentModelSwap => "silent-model-swap",
            Scenario::CorruptFiles => "corrupt-files",
        }
    }

    /// One line for `--help` and truth.yaml.
    pub fn describe(self) -> &'static str {
        match self {
            Scenario::None => "serving drawn from the baseline distribution",
            Scenario::ScannerUpgrade => {
                "30% of serving CT comes from a new GE Revolution Apex with a deep-learning kernel (STANDARD_DL) on which the model separates cases less well"
            }
            Scenario::ProtocolChange => {
                "a low-dose thick-slice protocol: 5 mm slices rise from 8% to 45% of CT, more 100 kVp and lower mAs; sensitivity falls on slices >= 2.5 mm"
            }
            Scenario::DemographicShift => {
                "older patients (+7 years on average) and more women (50% -> 62%); prevalence rises with age"
            }
            Scenario::LabelRedefinition => {
                "from 40% of the serving window, labels follow definition edema-v2, which counts borderline cases as positive; the model, trained on v1, misses them"
            }
            Scenario::SilentModelSwap => {
                "from 40% of the serving window, an unapproved model version 2.2.0-rc1 answers, shifted towards positive and miscalibrated"
            }
            Scenario::CorruptFiles => {
                "4% of serving DICOM files are broken (truncated, empty, garbage, absurd element length), a text file sits among them, and 3% of serving log lines are malformed"
            }
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .iter()
            .copied()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Scenario::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown scenario {s:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// Parses a comma-separated list of scenarios (`none` alone, or any combination).
pub fn parse_list(text: &str) -> Result<Vec<Scenario>, String> {
    let mut list = text
        .split(',')
        .map(|s| s.trim().parse::<Scenario>())
        .collect::<Result<Vec<_>, _>>()?;
    list.sort();
    list.dedup();
    if list.len() > 1 && list.contains(&Scenario::None) {
        return Err("scenario \"none\" cannot be combined with others".into());
    }
    Ok(list)
}

/// The switches the population model reads, for one side (baseline or serving).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effects {
    pub scanner_upgrade: bool,
    pub protocol_change: bool,
    pub demographic_shift: bool,
    pub label_redefinition: bool,
    pub model_swap: bool,
    pub corrupt: bool,
}

impl Effects {
    /// The baseline has no effects; serving has those of `scenarios`.
    pub fn serving(scenarios: &[Scenario]) -> Effects {
        let on = |s| scenarios.contains(&s);
        Effects {
            scanner_upgrade: on(Scenario::ScannerUpgrade),
            protocol_change: on(Scenario::ProtocolChange),
            demographic_shift: on(Scenario::DemographicShift),
            label_redefinition: on(Scenario::LabelRedefinition),
            model_swap: on(Scenario::SilentModelSwap),
            corrupt: on(Scenario::CorruptFiles),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_lists_parse_sorted_and_deduplicated() {
        let list = parse_list("protocol-change, demographic-shift,protocol-change").unwrap();
        assert_eq!(
            list,
            vec![Scenario::ProtocolChange, Scenario::DemographicShift]
        );
        assert!(parse_list("none,protocol-change").is_err());
        assert!(parse_list("scanner-upgarde")
            .unwrap_err()
            .contains("scanner-upgrade"));
    }
}
