//! Fitting: the baseline table → a [`ClusterModel`] (scaler, centroids, per-cluster sizes,
//! distance quantiles and a description in original units).

use arrow_array::RecordBatch;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::kmeans::{fit_seeded, flat, nearest_all, sample_rows};
use super::scaler::{Bound, Scaler, NO_CATEGORY, UNSEEN_CATEGORY};
use super::silhouette::silhouette_scores;
use super::{ClusterError, ClusterParams, KChoice, SILHOUETTE_SAMPLE};
use crate::stats::quantile::{median_sorted, quantile_sorted};

/// A fitted clustering, ready to store in a baseline snapshot and to [`assign`](super::assign)
/// serving cases with. Plain data: its JSON/YAML form is deterministic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterModel {
    pub scaler: Scaler,
    pub k: usize,
    /// k rows of [`Scaler::dim`] values, in the standardised space.
    pub centroids: Vec<Vec<f64>>,
    pub clusters: Vec<ClusterSummary>,
    /// Sum over all usable baseline rows of the squared distance to their centroid.
    pub inertia: f64,
    /// Features listed in the parameters that did not vary in the baseline (or were empty).
    pub dropped_constant: Vec<String>,
    /// Mean silhouette per candidate k when k was chosen automatically.
    pub k_selection: Vec<KScore>,
    pub baseline_rows: u64,
    /// Rows with at least one observed feature; the others are left out of the fit.
    pub usable_rows: u64,
    /// Rows k-means was fitted on (a seeded sample when the baseline is larger).
    pub fit_rows: u64,
    /// Baseline numeric cells filled with the median.
    pub imputed_cells: u64,
    pub seed: u64,
    pub n_runs: usize,
}

/// One cluster as the baseline saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    pub size: u64,
    /// Share of the usable baseline rows.
    pub share: f64,
    /// Quantiles (numpy "linear") of the members' distances to the centroid; 0 for an
    /// empty cluster, so any serving case landing there is novel.
    pub distance_p50: f64,
    pub distance_p95: f64,
    pub distance_p99: f64,
    /// (feature, value in original units): the members' median of each numeric feature and
    /// most common category of each categorical one.
    pub description: Vec<(String, String)>,
    /// A short name: the categories, then the two numeric features that most set the
    /// cluster apart, e.g. `GE MEDICAL SYSTEMS Revolution CT, STANDARD, 0.625 mm, 120 kVp`.
    pub label: String,
}

/// Mean silhouette of one candidate k (`None` when fewer than two clusters were non-empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KScore {
    pub k: usize,
    pub silhouette: Option<f64>,
}

/// Fits the clustering on the baseline case table.
pub fn fit(batch: &RecordBatch, params: &ClusterParams) -> Result<ClusterModel, ClusterError> {
    params.validate(&batch.schema())?;
    if batch.num_rows() == 0 {
        let (k, needed) = match params.k {
            KChoice::Fixed(k) => (k, k),
            KChoice::Auto { min, .. } => (min, min + 1),
        };
        return Err(ClusterError::TooFewCases {
            k,
            needed,
            usable: 0,
        });
    }
    let (scaler, dropped_constant) = Scaler::fit(batch, params)?;
    let bound = Bound::new(&scaler, batch)?;
    let d = scaler.dim();

    // Every usable row, standardised, row-major.
    let mut rows = Vec::with_capacity(bound.rows() * d);
    let mut members = Vec::with_capacity(bound.rows());
    let mut buffer = vec![0.0; d];
    let mut imputed_cells = 0u64;
    for i in 0..bound.rows() {
        let (imputed, observed, _) = bound.write_row(i, &mut buffer);
        if observed {
            rows.extend_from_slice(&buffer);
            members.push(i);
            imputed_cells += u64::from(imputed);
        }
    }
    let usable = members.len();

    let sample = sample_rows(usable, params.sample, params.seed);
    let mut fit_data = Vec::with_capacity(sample.len() * d);
    for &r in &sample {
        fit_data.extend_from_slice(&rows[r * d..(r + 1) * d]);
    }
    let fit_data = Array2::from_shape_vec((sample.len(), d), fit_data)
        .map_err(|e| ClusterError::KMeans(e.to_string()))?;

    let (centroids, k_selection) = match params.k {
        KChoice::Fixed(k) => {
            if k > usable {
                return Err(ClusterError::TooFewCases {
                    k,
                    needed: k,
                    usable,
                });
            }
            (
                fit_seeded(fit_data.view(), k, params.seed, params.n_runs)?,
                Vec::new(),
            )
        }
        KChoice::Auto { min, max } => choose_k(&fit_data, min, max, params, usable)?,
    };
    let k = centroids.nrows();
    let (labels, sq) = nearest_all(&rows, d, flat(&centroids));
    let inertia = sq.iter().sum();

    let mut distances: Vec<Vec<f64>> = vec![Vec::new(); k];
    for (&label, &s) in labels.iter().zip(&sq) {
        distances[label as usize].push(s.sqrt());
    }
    let descriptions = describe(&bound, &members, &labels, k);
    let clusters = distances
        .into_iter()
        .zip(descriptions)
        .map(|(mut dist, (description, label))| {
            dist.sort_unstable_by(f64::total_cmp);
            ClusterSummary {
                size: dist.len() as u64,
                share: dist.len() as f64 / usable as f64,
                distance_p50: quantile_sorted(&dist, 0.50).unwrap_or(0.0),
                distance_p95: quantile_sorted(&dist, 0.95).unwrap_or(0.0),
                distance_p99: quantile_sorted(&dist, 0.99).unwrap_or(0.0),
                description,
                label,
            }
        })
        .collect();

    Ok(ClusterModel {
        k,
        centroids: centroids.rows().into_iter().map(|r| r.to_vec()).collect(),
        clusters,
        inertia,
        dropped_constant,
        k_selection,
        baseline_rows: batch.num_rows() as u64,
        usable_rows: usable as u64,
        fit_rows: sample.len() as u64,
        imputed_cells,
        seed: params.seed,
        n_runs: params.n_runs,
        scaler,
    })
}

/// Silhouette scores closer than this to the best count as ties (→ the smaller k).
pub const SILHOUETTE_TOLERANCE: f64 = 0.01;

/// Fits every k in `min..=max` on the fit sample and keeps the smallest k whose mean
/// silhouette on a sub-sample is within [`SILHOUETTE_TOLERANCE`] of the best.
fn choose_k(
    fit_data: &Array2<f64>,
    min: usize,
    max: usize,
    params: &ClusterParams,
    usable: usize,
) -> Result<(Array2<f64>, Vec<KScore>), ClusterError> {
    let n = fit_data.nrows();
    let d = fit_data.ncols();
    let scored = sample_rows(n, SILHOUETTE_SAMPLE, params.seed.wrapping_add(1));
    // Silhouette needs at least k + 1 rows.
    let max = max.min(scored.len().saturating_sub(1));
    if min > max {
        return Err(ClusterError::TooFewCases {
            k: min,
            needed: min + 1,
            usable,
        });
    }
    let mut scored_rows = Vec::with_capacity(scored.len() * d);
    for &r in &scored {
        scored_rows.extend(fit_data.row(r).iter());
    }
    let mut fits = Vec::new();
    let mut labelings = Vec::new();
    for k in min..=max {
        let centroids = fit_seeded(fit_data.view(), k, params.seed, params.n_runs)?;
        labelings.push(nearest_all(&scored_rows, d, flat(&centroids)).0);
        fits.push(centroids);
    }
    let refs: Vec<&[u32]> = labelings.iter().map(Vec::as_slice).collect();
    let scores = silhouette_scores(&scored_rows, d, &refs);
    // The smallest k whose silhouette is within SILHOUETTE_TOLERANCE of the best: scores
    // a few thousandths apart are sampling noise, and letting them decide made k jump
    // between 2 and 6 from one baseline seed to the next.
    let top = scores
        .iter()
        .flatten()
        .fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let best = scores
        .iter()
        .position(|s| s.is_some_and(|s| s >= top - SILHOUETTE_TOLERANCE))
        .unwrap_or(0);
    let selection = (min..=max)
        .zip(&scores)
        .map(|(k, &silhouette)| KScore { k, silhouette })
        .collect();
    Ok((fits.swap_remove(best), selection))
}

/// Per cluster: (feature, value) pairs and the short label.
fn describe(
    bound: &Bound<'_>,
    members: &[usize],
    labels: &[u32],
    k: usize,
) -> Vec<(Vec<(String, String)>, String)> {
    let scaler = bound.scaler;
    let mut by_cluster: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (&row, &label) in members.iter().zip(labels) {
        by_cluster[label as usize].push(row);
    }
    by_cluster
        .iter()
        .map(|rows| {
            let mut description = Vec::new();
            let mut categories = Vec::new();
            // The label's categories nest: each is counted among the cases that carry
            // every majority value named before it, so that a mostly-CT cluster is not
            // labelled with the MR scanner its CT cases lack ("CT, MAGNETOM Aera (27%)").
            let mut within: Vec<usize> = rows.clone();
            for (f, scale) in scaler.categorical.iter().enumerate() {
                let counts_in = |rows: &[usize]| {
                    let mut counts = vec![0u64; scale.categories.len()];
                    for &r in rows {
                        let code = bound.code(f, r);
                        if code != NO_CATEGORY && code != UNSEEN_CATEGORY {
                            counts[code as usize] += 1;
                        }
                    }
                    counts
                };
                let value = mode(&counts_in(rows))
                    .map_or_else(|| "(missing)".to_string(), |i| scale.categories[i].clone());
                description.push((scale.name.clone(), value));
                // The label names a category when it is most of the cluster's cases, gives
                // its share when it is a large minority (a mixed cluster), and leaves it out
                // below a quarter, where it would describe few of the cases. Shares are of
                // the whole cluster.
                let counts = counts_in(&within);
                let Some(top) = mode(&counts) else { continue };
                let share = counts[top] as f64 / rows.len().max(1) as f64;
                let name = scale.categories[top].clone();
                if share >= 0.5 {
                    within.retain(|&r| bound.code(f, r) == top as u32);
                    categories.push((scale.name.as_str(), name));
                } else if share >= 0.25 {
                    categories.push((
                        scale.name.as_str(),
                        format!("{name} ({:.0}%)", 100.0 * share),
                    ));
                }
            }
            let mut numbers = Vec::new();
            for (f, scale) in scaler.numeric.iter().enumerate() {
                let mut values: Vec<f64> = rows
                    .iter()
                    .filter_map(|&r| bound.raw_numeric(f, r))
                    .collect();
                values.sort_unstable_by(f64::total_cmp);
                let median = median_sorted(&values).unwrap_or(f64::NAN);
                let text = if median.is_nan() {
                    "(missing)".to_string()
                } else {
                    with_unit(&scale.name, median)
                };
                // A value most of the cluster lacks (kVp in a cluster that is mostly MR)
                // would misdescribe it: such a feature never makes the label.
                let distinctness = if 2 * values.len() >= rows.len() {
                    ((median - scale.mean) / scale.sd).abs()
                } else {
                    f64::NAN
                };
                description.push((scale.name.clone(), text.clone()));
                numbers.push((distinctness, named(&scale.name, text)));
            }
            (description, label(&categories, numbers))
        })
        .collect()
}

/// The most common category of `counts` (the first in byte order on a tie), if any.
fn mode(counts: &[u64]) -> Option<usize> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i)
}

/// Categories (manufacturer and model read as one name), then the two numeric values whose
/// medians lie farthest, in SDs, from the baseline mean (among those most of the cluster
/// has); in the order the features were given.
fn label(categories: &[(&str, String)], numbers: Vec<(f64, String)>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (name, value) in categories {
        let follows_maker = *name == "manufacturer_model_name"
            && parts.len() == 1
            && categories
                .first()
                .is_some_and(|(n, _)| *n == "manufacturer");
        match parts.last_mut() {
            Some(last) if follows_maker => {
                last.push(' ');
                last.push_str(value);
            }
            _ => parts.push(value.clone()),
        }
    }
    let mut ranked: Vec<(usize, f64)> = numbers
        .iter()
        .enumerate()
        .filter(|(_, (score, _))| score.is_finite())
        .map(|(i, (score, _))| (i, *score))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut keep: Vec<usize> = ranked.iter().take(2).map(|&(i, _)| i).collect();
    keep.sort_unstable();
    parts.extend(keep.into_iter().map(|i| numbers[i].1.clone()));
    if parts.is_empty() {
        // No category is a quarter of the cluster and no value most of it has.
        return "mixed acquisitions".to_string();
    }
    parts.join(", ")
}

/// A value with the unit of a known DICOM header column.
/// A label's number with what it measures, where its unit does not say: "slice 5 mm",
/// "pixel 0.726 mm", "TE 12 ms", but "221 mAs" and "120 kVp".
fn named(feature: &str, text: String) -> String {
    if text == "(missing)" {
        return format!("{feature} {text}");
    }
    let name = match feature {
        "slice_thickness" => "slice",
        "pixel_spacing" | "pixel_spacing_row" | "pixel_spacing_col" => "pixel",
        "spacing_between_slices" => "spacing",
        "echo_time" => "TE",
        "repetition_time" => "TR",
        "exposure_mas" | "kvp" | "magnetic_field_strength" => return text,
        other => other,
    };
    format!("{name} {text}")
}

fn with_unit(name: &str, value: f64) -> String {
    let unit = crate::table::columns::HeaderColumn::from_name(name).map_or("", |c| c.unit());
    format!("{}{unit}", crate::format::short(value))
}
