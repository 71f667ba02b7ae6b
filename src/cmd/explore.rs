//! `postmarket explore --baseline DIR --headers H [--inferences I] --where EXPR`: the manual
//! investigation of one subgroup ("why are GE scanners with 5 mm slices flagged?").
//!
//! The subgroup in the serving window is set against the rest of the window and against
//! the same subgroup in the baseline: size, every feature's distribution and drift test,
//! the score distribution and, with labels, performance with intervals.

use std::path::PathBuf;

use clap::Args;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::Context;
use crate::analysis::explore::{self, Comparison, Exploration};
use crate::analysis::snapshot;
use crate::analysis::window::Window;
use crate::error::{exit, Result};
use crate::format::short;

#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// Baseline snapshot folder (from `postmarket baseline`)
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// headers.parquet of the serving window: files, or folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub headers: Vec<PathBuf>,
    /// inferences.parquet of the serving window (adds score and performance): files, or
    /// folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub inferences: Vec<PathBuf>,
    /// The subgroup, e.g. 'manufacturer == "GE MEDICAL SYSTEMS" and slice_thickness >= 5'
    /// (docs/expressions.md)
    #[arg(long = "where", value_name = "EXPR")]
    pub condition: String,
    /// Print the comparison as JSON on stdout instead of tables
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ExploreArgs, ctx: &Context) -> Result<i32> {
    let snapshot = snapshot::load(&args.baseline)?;
    let window = Window::load(&snapshot, &args.headers, &args.inferences)?;
    let exploration = explore::run(&snapshot, window, &args.condition, &ctx.config)?;
    if args.json {
        super::print(|out| {
            serde_json::to_writer_pretty(&mut *out, &exploration)?;
            writeln!(out)
        })?;
    } else {
        print_tables(&exploration, ctx.color)?;
    }
    Ok(exit::OK)
}

fn print_tables(e: &Exploration, color: bool) -> Result<()> {
    let new_table = |header: Vec<&str>| {
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        if !color {
            t.force_no_tty();
        }
        t.set_header(header);
        t
    };
    note!("subgroup: {}", e.condition);
    note!(
        "cases: {} in the subgroup, {} in the rest of the window; {} of {} baseline cases match",
        e.sizes["subgroup"],
        e.sizes["rest"],
        e.sizes["baseline subgroup"],
        e.sizes["baseline"]
    );
    let test = |c: &Option<Comparison>| {
        c.as_ref().map_or("—".to_string(), |c| {
            format!(
                "{} p={}",
                c.effect.map_or("—".into(), short),
                c.p_value.map_or("—".into(), |p| if p < 0.001 {
                    "<0.001".into()
                } else {
                    format!("{p:.3}")
                })
            )
        })
    };
    let mut t = new_table(vec![
        "feature",
        "subgroup",
        "rest",
        "baseline subgroup",
        "vs baseline (effect, p)",
        "vs rest (effect, p)",
    ]);
    for row in &e.features {
        t.add_row(vec![
            row.feature.clone(),
            row.subgroup.clone(),
            row.rest.clone(),
            row.baseline_subgroup.clone(),
            test(&row.versus_baseline),
            test(&row.versus_rest),
        ]);
    }
    let mut p = new_table(vec![
        "performance",
        "labelled (pos)",
        "AUROC [95% CI]",
        "sensitivity [95% CI]",
        "specificity [95% CI]",
    ]);
    for (name, m) in &e.performance {
        let Some(m) = m else { continue };
        let rate = |r: Option<crate::analysis::performance::Rate>| {
            r.map_or("—".into(), |r| {
                format!("{:.3} [{:.3}, {:.3}]", r.value, r.ci.low, r.ci.high)
            })
        };
        p.add_row(vec![
            name.to_string(),
            format!("{} ({})", m.labelled, m.positives),
            m.auroc.map_or("—".into(), |(a, _, ci)| {
                format!("{a:.3} [{:.3}, {:.3}]", ci.low, ci.high)
            }),
            rate(m.sensitivity),
            rate(m.specificity),
        ]);
    }
    super::print(|out| {
        writeln!(out, "{t}")?;
        if !p.is_empty() {
            writeln!(out, "{p}")?;
        }
        Ok(())
    })
}
