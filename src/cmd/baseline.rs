//! `postmarket baseline --headers H --inferences I -o DIR`: a versioned, hashed snapshot of
//! the cases the model was validated on.

use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::analysis::baseline;
use crate::error::{exit, Result};
use crate::report::terminal::key_values;

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// headers.parquet of the validation data (from `postmarket scan`): files, or folders of
    /// Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub headers: Vec<PathBuf>,
    /// inferences.parquet of the validation data (from `postmarket logs`): files, or
    /// folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub inferences: Vec<PathBuf>,
    /// Snapshot folder to write (manifest.yaml, cases.parquet)
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

pub fn run(args: &BaselineArgs, ctx: &Context) -> Result<i32> {
    let built = baseline::build(&args.headers, &args.inferences, &args.output, &ctx.config)?;
    let (manifest, calibration, absent) = (built.manifest, built.calibration, built.absent);
    if ctx.chatty {
        let absent = if absent.is_empty() {
            "none".to_string()
        } else {
            absent.join(", ")
        };
        let model = manifest
            .model
            .as_ref()
            .map_or("—".to_string(), |m| format!("{} {}", m.name, m.version));
        note!(
            "{}",
            key_values(
                "baseline",
                &[
                    ("cases".into(), manifest.join.cases.to_string()),
                    (
                        "with inference".into(),
                        manifest.join.cases_with_inference.to_string()
                    ),
                    (
                        "inferences without case".into(),
                        manifest.join.inferences_without_case.to_string()
                    ),
                    ("model".into(), model),
                    ("features".into(), manifest.features.len().to_string()),
                    ("absent from headers".into(), absent),
                    (
                        "calibration".into(),
                        match &calibration {
                            Some(c) => format!(
                                "{} on {} labels; ECE {:.3} raw, {:.3} calibrated (in-sample)",
                                c.map.method(),
                                c.labelled,
                                c.ece_raw,
                                c.ece_calibrated
                            ),
                            None => manifest
                                .calibration_note
                                .clone()
                                .unwrap_or_else(|| "none".into()),
                        }
                    ),
                    ("snapshot".into(), args.output.display().to_string()),
                ],
                ctx.color,
            )
        );
    }
    Ok(exit::OK)
}
