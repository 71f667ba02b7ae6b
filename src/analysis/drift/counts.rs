//! Drift from a count profile (`drift --profile`): the same checks as on rows, run on a
//! serving sample rebuilt from the counts.
//!
//! Every drift check reads one feature inside one scope (all cases or one subgroup) and
//! the subgroup mix reads one split's sizes, never a joint of two features, so the counts
//! a profile holds are all it needs. The baseline is the snapshot's rows as always. The
//! serving side is rebuilt per pass: one table of all cases for the overall checks, then
//! one per split whose rows are that split's subgroups in blocks, each block holding the
//! subgroup's counted values. Values go in a canonical order (numbers ascending,
//! categories in the baseline's order, missing last), so features that are twins on rows
//! are twins here too. Categorical features and numeric ones counted by exact value give
//! the checks of the pooled rows exactly; a binned feature's cases stand at their bin's
//! midpoint, and its checks carry the binning bound (docs/statistics.md).

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{new_null_array, Array, ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use super::prepare;
use super::{mix, numeric, schedule, twins};
use crate::analysis::findings::{decide, Check, Kind};
use crate::analysis::localise::localise;
use crate::analysis::profile::bins::Binning;
use crate::analysis::profile::{kind, Key, Profile};
use crate::analysis::report::{BaselineIdentity, Report, WindowSummary};
use crate::analysis::snapshot::Snapshot;
use crate::analysis::subgroups::{self, Group, Partition, Resolved, ALIASES, UNPLACED};
use crate::analysis::window::Window;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::table::cases::{access, FeatureKind, JoinStats};
use crate::table::cast;
use crate::table::schema;

/// What a block of rebuilt rows holds.
#[derive(Clone, Copy)]
enum Fill<'a> {
    /// All cases' counted values.
    All,
    /// One subgroup's counted values.
    Group(&'a str),
    /// Nothing: cases outside every compared subgroup of the split.
    Empty,
}

/// A rebuilt column: how it is counted and its canonical order of cells.
struct Counted {
    name: String,
    binning: Option<Binning>,
    /// The baseline's categories in order of first appearance.
    order: HashMap<String, usize>,
}

/// The drift report of a profile against its baseline.
pub fn from_profile(snapshot: &Snapshot, profile: &Profile, config: &Config) -> Result<Report> {
    let m = &profile.manifest;
    if m.baseline_sha256 != snapshot.manifest_sha256 {
        return Err(Error::Usage(format!(
            "the profile counts against baseline {} but {} is {}: profile the night against this snapshot",
            &m.baseline_sha256[..m.baseline_sha256.len().min(12)],
            snapshot.dir.display(),
            &snapshot.manifest_sha256[..12]
        )));
    }
    let baseline = &snapshot.cases;
    let features = Window::tested_features(snapshot, config)?;
    let mut counted: Vec<Counted> = features
        .iter()
        .filter(|f| baseline.column_by_name(&f.name).is_some())
        .map(|f| Counted::new(baseline, &f.name, f.kind))
        .collect();
    let scored = profile
        .cells
        .iter()
        .any(|c| c.key.feature.as_deref() == Some(schema::SCORE));
    if scored && baseline.column_by_name(schema::SCORE).is_some() {
        counted.push(Counted::new(baseline, schema::SCORE, FeatureKind::Numeric));
        counted.push(Counted::new(
            baseline,
            schema::PREDICTION,
            FeatureKind::Categorical,
        ));
    }
    for c in &counted {
        c.check_cells(profile)?;
    }
    let n_all = block_rows(profile, &counted, None, profile.cases());

    // Pass 0: all cases.
    let table = rebuild(baseline, profile, &counted, &[(Fill::All, n_all)])?;
    let mut columns = prepare::columns(baseline, table, &features);
    for column in &mut columns {
        if !column.output {
            column.missing.1 =
                profile.get(&distribution_key(kind::MISSING, &column.name, None, None));
        }
    }
    let twin_of = twins::twins(&columns);
    let tested: Vec<usize> = (0..columns.len())
        .filter(|&c| twin_of[c].is_none())
        .collect();
    let none = Resolved {
        groups: Vec::new(),
        partitions: Vec::new(),
    };
    let overall = schedule::run(&columns, &twin_of, &tested, &none, &config.drift);
    let absent: Vec<String> = columns
        .iter()
        .filter(|c| !c.output && c.missing.0 == c.rows.0 && c.missing.1 == c.rows.1)
        .map(|c| c.name.clone())
        .collect();
    drop(columns);

    // One pass per partition.
    let resolved = resolve(config, baseline, profile)?;
    let (mut inside, mut too_small, mut mixes) = (Vec::new(), Vec::new(), Vec::new());
    for (p, partition) in resolved.partitions.iter().enumerate() {
        let group_of: HashMap<u32, &Group> = resolved
            .groups
            .iter()
            .filter(|g| g.partition == p)
            .map(|g| (g.code, g))
            .collect();
        let mut blocks: Vec<(Fill, u64)> = Vec::new();
        let mut codes: Vec<u32> = Vec::new();
        let size = |value: Option<&str>| {
            profile.get(&Key {
                kind: kind::CASES,
                feature: Some(partition.subject.clone()),
                subgroup: None,
                value: value.map(str::to_string),
            })
        };
        for (c, name) in partition.names.iter().enumerate() {
            let (fill, rows) = match group_of.get(&(c as u32)) {
                Some(g) => (
                    Fill::Group(&g.label),
                    block_rows(profile, &counted, Some(&g.label), size(Some(name))),
                ),
                None => (Fill::Empty, size(Some(name))),
            };
            blocks.push((fill, rows));
            codes.extend(std::iter::repeat_n(c as u32, rows as usize));
        }
        let unplaced = size(None);
        blocks.push((Fill::Empty, unplaced));
        codes.extend(std::iter::repeat_n(UNPLACED, unplaced as usize));
        let table = rebuild(baseline, profile, &counted, &blocks)?;
        let columns = prepare::columns(baseline, table, &features);
        let groups: Vec<Group> = resolved
            .groups
            .iter()
            .filter(|g| g.partition == p)
            .map(|g| Group {
                label: g.label.clone(),
                baseline: g.baseline.clone(),
                serving: codes.iter().map(|&c| c == g.code).collect(),
                partition: 0,
                code: g.code,
            })
            .collect();
        let one = Resolved {
            groups,
            partitions: vec![Partition {
                subject: partition.subject.clone(),
                names: partition.names.clone(),
                baseline: partition.baseline.clone(),
                serving: codes,
            }],
        };
        for check in schedule::run(&columns, &twin_of, &tested, &one, &config.drift) {
            match (&check.subgroup, check.subject.as_str()) {
                (None, _) => {}
                (Some(_), "(all features)") => too_small.push(check),
                (Some(_), _) => inside.push(check),
            }
        }
        mixes.extend(mix::checks(&columns, &tested, &one, &config.drift));
    }
    let mut checks = overall;
    checks.append(&mut inside);
    checks.append(&mut too_small);
    checks.append(&mut mixes);
    annotate(&mut checks, profile, &counted, baseline, &resolved);
    decide(&mut checks, config.drift.fdr);
    super::shown::quote(&mut checks, config.performance.power);
    undecide_suppressed(&mut checks);
    localise(&mut checks, &resolved.splits());

    let instances = profile.get(&Key {
        kind: kind::CASES,
        feature: None,
        subgroup: None,
        value: Some("instances".into()),
    });
    let empty = RecordBatch::new_empty(Arc::new(Schema::empty()));
    let mut window = WindowSummary::of(&empty, instances);
    window.cases = n_all;
    window.start = m.window_start.clone();
    window.end = m.window_end.clone();
    let scored_cases = if scored {
        n_all.saturating_sub(profile.get(&distribution_key(
            kind::MISSING,
            schema::SCORE,
            None,
            None,
        )))
    } else {
        0
    };
    let join = JoinStats {
        instances,
        cases: n_all,
        cases_with_inference: scored_cases,
        cases_without_inference: n_all - scored_cases,
        ..JoinStats::default()
    };
    let mut method = super::method(&config.drift);
    method.push(format!(
        "From the count profile of {} ({} cases): categorical features and numeric ones counted by exact value as on the pooled rows; binned features ({}) with each bin's cases at its midpoint, within the binning bound each check names. Suppression: {}",
        if m.sites.len() == 1 { format!("site {}", m.sites[0]) } else { format!("{} sites ({})", m.sites.len(), m.sites.join(", ")) },
        n_all,
        m.binning,
        m.suppression
    ));
    if !absent.is_empty() {
        method.push(format!(
            "Absent in both windows (no value on either side, nothing to test): {}.",
            absent.join(", ")
        ));
    }
    Ok(Report::new(
        "drift",
        checks,
        window,
        BaselineIdentity::of(snapshot),
        join,
        method,
    ))
}

impl Counted {
    fn new(baseline: &RecordBatch, name: &str, kind: FeatureKind) -> Counted {
        let mut order = HashMap::new();
        let binning = match kind {
            FeatureKind::Numeric => Some(Binning::of(baseline, name)),
            FeatureKind::Categorical => {
                for v in access::text(baseline, name)
                    .unwrap_or_default()
                    .into_iter()
                    .flatten()
                {
                    let next = order.len();
                    order.entry(v).or_insert(next);
                }
                None
            }
        };
        Counted {
            name: name.to_string(),
            binning,
            order,
        }
    }

    fn cell_kind(&self) -> &'static str {
        self.binning.as_ref().map_or(kind::CATEGORY, Binning::kind)
    }

    /// Every counted cell of this column is one of its cells under the baseline's rule.
    fn check_cells(&self, profile: &Profile) -> Result<()> {
        let Some(binning) = &self.binning else {
            return Ok(());
        };
        for cell in &profile.cells {
            if cell.key.feature.as_deref() != Some(&self.name)
                || ![kind::VALUE, kind::BIN].contains(&cell.key.kind)
            {
                continue;
            }
            let value = cell.key.value.as_deref().unwrap_or("");
            if cell.key.kind != binning.kind() || binning.representative(value).is_none() {
                return Err(Error::Usage(format!(
                    "the profile's {} cell {value:?} of {} is not a cell of this baseline's binning ({}): was it profiled against another snapshot?",
                    cell.key.kind,
                    self.name,
                    match binning {
                        Binning::Exact => "exact values".to_string(),
                        Binning::Edges(e) => format!("{} quantile edges", e.len()),
                    }
                )));
            }
        }
        Ok(())
    }

    /// The scope's counted cells in canonical order: (name, count).
    fn cells(&self, profile: &Profile, scope: Option<&str>) -> Vec<(String, u64)> {
        let mut cells: Vec<(String, u64)> = profile
            .line(self.cell_kind(), Some(&self.name), scope)
            .filter_map(|c| Some((c.key.value.clone()?, c.count?)))
            .collect();
        match &self.binning {
            Some(binning) => cells.sort_by(|a, b| {
                let v = |s: &str| binning.representative(s).map_or(f64::NAN, |r| r.0);
                v(&a.0).total_cmp(&v(&b.0))
            }),
            None => cells.sort_by_cached_key(|(name, _)| {
                (
                    self.order.get(name).copied().unwrap_or(usize::MAX),
                    name.clone(),
                )
            }),
        }
        cells
    }
}

fn distribution_key(
    kind: &'static str,
    feature: &str,
    scope: Option<&str>,
    value: Option<&str>,
) -> Key {
    Key {
        kind,
        feature: Some(feature.to_string()),
        subgroup: scope.map(str::to_string),
        value: value.map(str::to_string),
    }
}

/// A scope's rows: its published size, or more where its published cells add to more (a
/// size suppressed as a complement, or counted cases beyond it).
fn block_rows(profile: &Profile, counted: &[Counted], scope: Option<&str>, size: u64) -> u64 {
    counted
        .iter()
        .map(|c| {
            let values: u64 = c.cells(profile, scope).iter().map(|(_, k)| k).sum();
            let missing = profile.get(&distribution_key(kind::MISSING, &c.name, scope, None));
            values + missing
        })
        .fold(size, u64::max)
}

/// A serving table of `blocks`: each block's rows hold its scope's counted values, in
/// canonical order, then nulls.
fn rebuild(
    baseline: &RecordBatch,
    profile: &Profile,
    counted: &[Counted],
    blocks: &[(Fill, u64)],
) -> Result<RecordBatch> {
    let rows: u64 = blocks.iter().map(|b| b.1).sum();
    // Each block's cells, in order, as (cell name, count), cut or padded to its rows.
    let fill = |c: &Counted, push: &mut dyn FnMut(Option<&str>, usize)| {
        for &(fill, n) in blocks {
            let cells = match fill {
                Fill::All => c.cells(profile, None),
                Fill::Group(label) => c.cells(profile, Some(label)),
                Fill::Empty => Vec::new(),
            };
            let mut left = n as usize;
            for (name, k) in &cells {
                let k = (*k as usize).min(left);
                push(Some(name), k);
                left -= k;
            }
            push(None, left);
        }
    };
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for c in counted {
        match &c.binning {
            Some(binning) => {
                let mut values: Vec<Option<f64>> = Vec::with_capacity(rows as usize);
                fill(c, &mut |name, k| {
                    let v = name.map(|n| binning.representative(n).expect("checked").0);
                    values.extend(std::iter::repeat_n(v, k));
                });
                fields.push(Field::new(&c.name, DataType::Float64, true));
                columns.push(Arc::new(Float64Array::from(values)));
            }
            None => {
                let mut values: Vec<Option<String>> = Vec::with_capacity(rows as usize);
                fill(c, &mut |name, k| {
                    values.extend(std::iter::repeat_n(name.map(str::to_string), k));
                });
                let array: ArrayRef = Arc::new(StringArray::from(values));
                // The prediction keeps its baseline type, as the pooled rows would.
                let target = baseline
                    .column_by_name(&c.name)
                    .map_or(DataType::Utf8, |b| b.data_type().clone());
                let array = cast::to_type(&array, &target).unwrap_or(array);
                fields.push(Field::new(&c.name, array.data_type().clone(), true));
                columns.push(array);
            }
        }
    }
    RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows as usize)),
    )
    .map_err(|e| Error::Usage(format!("rebuilding the serving side from the profile: {e}")))
}

/// The config's subgroups on the baseline, with every subgroup a site counted: a category
/// seen only at a site gets its place in the split's sorted names as it would on rows.
fn resolve(config: &Config, baseline: &RecordBatch, profile: &Profile) -> Result<Resolved> {
    let defs = config.subgroups();
    let bad = |e: String| Error::ParseConfig {
        path: "subgroups".into(),
        message: e,
    };
    let first = subgroups::resolve(&defs, baseline, &baseline.slice(0, 0)).map_err(bad)?;
    // A few serving rows that place a case in each subgroup a site counted: the category
    // of a categorical split, a value inside the band of a banded one.
    let mut seen: Vec<(String, ArrayRef)> = Vec::new();
    for (def, partition) in defs.iter().zip(&first.partitions) {
        let Some(by) = &def.by else { continue };
        let column = ALIASES
            .iter()
            .find(|(a, _)| a == by)
            .map_or(by.as_str(), |(_, real)| real);
        let names: Vec<String> = profile
            .line(kind::CASES, Some(&partition.subject), None)
            .filter_map(|c| c.key.value.clone())
            .collect();
        let values: ArrayRef = match &def.bins {
            None => Arc::new(StringArray::from_iter_values(&names)),
            Some(edges) => Arc::new(
                names
                    .iter()
                    .map(|n| {
                        let band = partition.names.iter().position(|b| b == n)?;
                        Some(match band {
                            0 => edges[0] - 1.0,
                            b => edges[b - 1],
                        })
                    })
                    .collect::<Float64Array>(),
            ),
        };
        seen.push((column.to_string(), values));
    }
    let rows = seen.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let schema = baseline.schema();
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|field| {
            let placed = seen
                .iter()
                .find(|(c, _)| c == field.name())
                .and_then(|(_, v)| {
                    let padded = arrow_select::concat::concat(&[
                        v.as_ref(),
                        new_null_array(v.data_type(), rows - v.len()).as_ref(),
                    ])
                    .ok()?;
                    cast::to_type(&padded, field.data_type()).ok()
                });
            placed.unwrap_or_else(|| new_null_array(field.data_type(), rows))
        })
        .collect();
    // Nullable throughout: the rows hold nothing but the split columns' values.
    let schema = Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    let tiny = RecordBatch::try_new_with_options(
        schema,
        columns,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(|e| Error::Usage(format!("placing the profile's subgroups: {e}")))?;
    let mut resolved = subgroups::resolve(&defs, baseline, &tiny).map_err(bad)?;
    // Every counted subgroup must have its place; a cross product (no subgroups of its
    // own, only its mix) takes the combinations the sites counted.
    let splits = defs.iter().filter(|d| d.by.is_some()).count();
    let last = resolved.partitions.len().saturating_sub(1);
    for (p, partition) in resolved.partitions.iter_mut().enumerate() {
        let cross = splits >= 2 && p == last;
        for cell in profile.line(kind::CASES, Some(&partition.subject), None) {
            let Some(v) = &cell.key.value else { continue };
            if partition.names.contains(v) {
                continue;
            }
            if !cross {
                return Err(Error::Usage(format!(
                    "the profile counts {v:?} in {}, which the config's subgroups do not make from this baseline: was it profiled with another config?",
                    partition.subject
                )));
            }
            partition.names.push(v.clone());
        }
    }
    Ok(resolved)
}

/// Binned features' checks carry their binning bound; checks over cells some site
/// suppressed say how many.
fn annotate(
    checks: &mut [Check],
    profile: &Profile,
    counted: &[Counted],
    baseline: &RecordBatch,
    resolved: &Resolved,
) {
    for check in checks.iter_mut() {
        if let Some(subject) = check.subject.strip_prefix("mix: ") {
            // A split's sizes: the cases of suppressed subgroup sizes are not in the mix.
            let cells: Vec<_> = profile.line(kind::CASES, Some(subject), None).collect();
            let suppressed: u64 = cells.iter().map(|c| c.suppressed).sum();
            let published: u64 = cells.iter().filter_map(|c| c.count).sum();
            let size = profile.cases().max(published);
            if suppressed > 0 {
                check.extra.insert("suppressed_cells", suppressed as f64);
                check.extra.insert(
                    "suppressed_share",
                    (size - published) as f64 / size.max(1) as f64,
                );
            }
            continue;
        }
        let column = match check.subject.as_str() {
            "predicted-positive rate" => schema::PREDICTION,
            subject => subject,
        };
        let Some(c) = counted.iter().find(|c| c.name == column) else {
            continue;
        };
        let scope = check.subgroup.as_deref();
        let line = || {
            profile
                .line(c.cell_kind(), Some(&c.name), scope)
                .chain(profile.line(kind::MISSING, Some(&c.name), scope))
        };
        let suppressed: u64 = line().map(|cell| cell.suppressed).sum();
        if suppressed > 0 {
            // The cases in suppressed cells: the scope's size less every published cell,
            // where the size is known; where it is not, as many as could be.
            let published: u64 = line().filter_map(|cell| cell.count).sum();
            let (share, hidden) = match known_size(profile, counted, resolved, scope) {
                Some(size) => {
                    let hidden = size.saturating_sub(published);
                    (hidden as f64 / size.max(1) as f64, hidden.to_string())
                }
                None => (1.0, "an unknown number of".to_string()),
            };
            check.extra.insert("suppressed_cells", suppressed as f64);
            check.extra.insert("suppressed_share", share);
            check.summary = format!(
                "{}; {hidden} cases in {suppressed} site cells suppressed, not counted",
                check.summary
            );
        }
        let (Some(Binning::Edges(_)), Kind::FeatureDrift | Kind::ModelOutput) =
            (&c.binning, check.kind)
        else {
            continue;
        };
        let cells = c.cells(profile, scope);
        let total: u64 = cells.iter().map(|(_, k)| k).sum();
        if total == 0 {
            continue;
        }
        let binning = c.binning.as_ref().expect("binned");
        let (mut ks, mut w1) = (0.0f64, 0.0);
        for (name, k) in &cells {
            let share = *k as f64 / total as f64;
            let (_, width) = binning.representative(name).expect("checked");
            ks = ks.max(share);
            w1 += share * width / 2.0;
        }
        let mask = scope
            .and_then(|label| resolved.groups.iter().find(|g| g.label == label))
            .map(|g| &g.baseline);
        let mut values: Vec<f64> = access::numeric(baseline, &c.name)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter(|(i, _)| mask.is_none_or(|m| m[*i]))
            .filter_map(|(_, v)| v)
            .collect();
        values.sort_unstable_by(f64::total_cmp);
        let scale = numeric::scale(&values);
        check.extra.insert("binning_ks_bound", ks);
        if scale > 0.0 {
            check.extra.insert("binning_w1_bound", w1 / scale);
        }
        check.summary = format!(
            "{} (binned: KS within ±{ks:.3}, W₁/SD within ±{:.3})",
            check.summary,
            if scale > 0.0 { w1 / scale } else { f64::NAN }
        );
    }
}

/// The size of a scope summed over every site, when it is known: its size cell where no
/// site suppressed it, else the cells of a feature that no site suppressed a cell of in
/// the scope (they add up to the scope's cases).
fn known_size(
    profile: &Profile,
    counted: &[Counted],
    resolved: &Resolved,
    scope: Option<&str>,
) -> Option<u64> {
    let key = match scope {
        None => Key {
            kind: kind::CASES,
            feature: None,
            subgroup: None,
            value: None,
        },
        Some(label) => {
            let group = resolved.groups.iter().find(|g| g.label == label)?;
            let partition = &resolved.partitions[group.partition];
            Key {
                kind: kind::CASES,
                feature: Some(partition.subject.clone()),
                subgroup: None,
                value: Some(partition.names[group.code as usize].clone()),
            }
        }
    };
    match profile.find(&key) {
        Some(cell) if cell.suppressed == 0 => return cell.count,
        None => return Some(0),
        Some(_) => {}
    }
    counted.iter().find_map(|c| {
        let cells: Vec<_> = profile
            .line(c.cell_kind(), Some(&c.name), scope)
            .chain(profile.line(kind::MISSING, Some(&c.name), scope))
            .collect();
        (!cells.is_empty() && cells.iter().all(|cell| cell.suppressed == 0))
            .then(|| cells.iter().filter_map(|cell| cell.count).sum())
    })
}

/// A finding that the suppressed cases could undo is not decided. The hidden cases could
/// sit in any cell: a share moves by up to their share h (100·h percentage points), so a
/// share finding stands only while its interval's near end clears the threshold by that
/// much; a distribution's W₁ has no such bound, so a numeric finding stands only while
/// h < 1 %. Sites that suppress small cells would otherwise raise alerts of their own
/// making (a rare category hidden everywhere looks like a category that vanished).
fn undecide_suppressed(checks: &mut [Check]) {
    use crate::analysis::findings::Severity;
    for check in checks.iter_mut() {
        let Some(&h) = check.extra.get("suppressed_share") else {
            continue;
        };
        if !matches!(check.severity, Severity::Alert | Severity::Warn) || h <= 0.0 {
            continue;
        }
        let in_points = check.effect_name.contains("pp");
        let stands = match (in_points, check.effect_ci_low) {
            (true, Some(low)) => low - 100.0 * h >= check.threshold,
            (true, None) => false,
            (false, _) => h < 0.01,
        };
        if !stands {
            check.severity = Severity::Insufficient;
            check.summary = format!(
                "{} — not decided: the cases in suppressed cells ({:.1}% of the scope) could account for it",
                check.summary,
                100.0 * h
            );
        }
    }
}
