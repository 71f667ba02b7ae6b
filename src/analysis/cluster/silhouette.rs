//! Mean silhouette (Euclidean), as `sklearn.metrics.silhouette_score` defines it, for one
//! or several labelings of the same rows at once.
//!
//! Written here rather than taken from `linfa::metrics::SilhouetteScore` because linfa
//! scores a singleton cluster's member 1 (scikit-learn: 0), returns NaN when a sample and
//! its neighbours coincide (scikit-learn: 0), and allocates for every pair of rows. Choosing
//! k scores up to nine labelings of the same sample, so each pairwise distance is computed
//! once and shared by all of them.

use rayon::prelude::*;

/// Mean silhouette of `labels` over the rows of a row-major `n × d` slice; `None` unless
/// 2 ≤ (number of distinct labels) ≤ n − 1, where scikit-learn raises an error.
pub fn silhouette_score(rows: &[f64], d: usize, labels: &[u32]) -> Option<f64> {
    silhouette_scores(rows, d, &[labels]).pop().flatten()
}

/// [`silhouette_score`] for several labelings of the same rows.
pub fn silhouette_scores(rows: &[f64], d: usize, labelings: &[&[u32]]) -> Vec<Option<f64>> {
    let n = rows.len().checked_div(d).unwrap_or(0);
    let prepared: Vec<Option<Labeling>> = labelings
        .iter()
        .map(|labels| Labeling::new(labels, n))
        .collect();
    let live: Vec<&Labeling> = prepared.iter().flatten().collect();
    if live.is_empty() {
        return vec![None; labelings.len()];
    }
    let width: usize = live.iter().map(|l| l.sizes.len()).sum();
    // s(i) for every row and live labeling, row-major; summed afterwards in row order so
    // the result does not depend on how rayon split the work.
    let per_row: Vec<f64> = (0..n)
        .into_par_iter()
        .flat_map_iter(|i| {
            let row = &rows[i * d..(i + 1) * d];
            let mut sums = vec![0.0; width];
            for j in 0..n {
                if j == i {
                    continue;
                }
                let other = &rows[j * d..(j + 1) * d];
                let dist = row
                    .iter()
                    .zip(other)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt();
                let mut offset = 0;
                for l in &live {
                    sums[offset + l.labels[j] as usize] += dist;
                    offset += l.sizes.len();
                }
            }
            let mut offset = 0;
            let mut out = Vec::with_capacity(live.len());
            for l in &live {
                out.push(l.score(i, &sums[offset..offset + l.sizes.len()]));
                offset += l.sizes.len();
            }
            out
        })
        .collect();
    let mut live_index = 0;
    prepared
        .iter()
        .map(|p| {
            p.as_ref().map(|_| {
                let k = live_index;
                live_index += 1;
                let total: f64 = per_row.iter().skip(k).step_by(live.len()).sum();
                total / n as f64
            })
        })
        .collect()
}

struct Labeling {
    /// Dense codes `0..sizes.len()`.
    labels: Vec<u32>,
    sizes: Vec<u64>,
}

impl Labeling {
    fn new(labels: &[u32], n: usize) -> Option<Self> {
        if labels.len() != n {
            return None;
        }
        let mut labels = labels.to_vec();
        let mut width = labels.iter().max().map_or(0, |&m| m as usize + 1);
        if width > n {
            // Sparse label values: recode densely rather than size a vector by the largest.
            let mut distinct = labels.clone();
            distinct.sort_unstable();
            distinct.dedup();
            for l in &mut labels {
                *l = distinct.partition_point(|&v| v < *l) as u32;
            }
            width = distinct.len();
        }
        let mut sizes = vec![0u64; width];
        for &l in &labels {
            sizes[l as usize] += 1;
        }
        let distinct = sizes.iter().filter(|&&s| s > 0).count();
        (2..n)
            .contains(&distinct)
            .then_some(Labeling { labels, sizes })
    }

    /// s(i) from the sums of distances from row i to each cluster.
    fn score(&self, i: usize, sums: &[f64]) -> f64 {
        let own = self.labels[i] as usize;
        if self.sizes[own] <= 1 {
            return 0.0;
        }
        let a = sums[own] / (self.sizes[own] - 1) as f64;
        let b = self
            .sizes
            .iter()
            .zip(sums)
            .enumerate()
            .filter(|&(c, (&size, _))| c != own && size > 0)
            .map(|(_, (&size, &sum))| sum / size as f64)
            .fold(f64::INFINITY, f64::min);
        let s = (b - a) / a.max(b);
        if s.is_finite() {
            s
        } else {
            0.0
        }
    }
}
