//! k-means through linfa, and the nearest-centroid loop shared by fitting and assignment.
//!
//! linfa's Lloyd step is the "m_k-means" variant: the previous centroid counts as one more
//! member when a centroid is recomputed. Its fixed points are the ordinary cluster means
//! (the pull of the old centroid shrinks by 1/(n+1) each step), so with a small tolerance
//! it converges to the same centroids as scikit-learn's Lloyd; the fixtures check this.

use linfa::prelude::*;
use linfa::DatasetBase;
use linfa_clustering::{KMeans, KMeansInit};
use ndarray::{Array2, ArrayView2};
use rand::SeedableRng as _;
use rand_xoshiro06::rand_core::SeedableRng;
use rand_xoshiro06::Xoshiro256Plus;
use rayon::prelude::*;

use super::ClusterError;

/// A k-means run from given centroids.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansFit {
    /// k × d.
    pub centroids: Array2<f64>,
    /// Nearest final centroid of each row (first one on a tie).
    pub labels: Vec<u32>,
    /// Sum of squared distances of the rows to their nearest final centroid.
    pub inertia: f64,
}

/// Runs linfa's k-means once, from the `init` centroids (k × d), for at most `max_iter`
/// Lloyd steps or until the centroids move less than `tol` (Frobenius norm). The labels
/// and inertia are those of the final centroids, as scikit-learn reports them.
pub fn kmeans_from_init(
    data: &Array2<f64>,
    init: &Array2<f64>,
    max_iter: u64,
    tol: f64,
) -> Result<KMeansFit, ClusterError> {
    let d = data.ncols();
    if init.nrows() == 0 || init.ncols() != d || d == 0 {
        return Err(ClusterError::InitShape {
            rows: init.nrows(),
            cols: init.ncols(),
            features: d,
        });
    }
    if data.nrows() == 0 {
        return Err(ClusterError::TooFewCases {
            k: init.nrows(),
            needed: 1,
            usable: 0,
        });
    }
    let model = KMeans::params_with_rng(init.nrows(), Xoshiro256Plus::seed_from_u64(0))
        .init_method(KMeansInit::Precomputed(init.clone()))
        .n_runs(1)
        .max_n_iterations(max_iter)
        .tolerance(tol)
        .fit(&DatasetBase::from(data.view()))
        .map_err(|e| ClusterError::KMeans(e.to_string()))?;
    let centroids = model.centroids().clone();
    let rows = standard_rows(data.view());
    let (labels, sq) = nearest_all(&rows, d, flat(&centroids));
    Ok(KMeansFit {
        centroids,
        labels,
        inertia: sq.iter().sum(),
    })
}

/// Fits k-means++ with `n_runs` restarts from a seeded generator; returns the centroids.
pub(crate) fn fit_seeded(
    data: ArrayView2<'_, f64>,
    k: usize,
    seed: u64,
    n_runs: usize,
) -> Result<Array2<f64>, ClusterError> {
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(n_runs)
        .max_n_iterations(super::MAX_ITER)
        .tolerance(super::TOLERANCE)
        .fit(&DatasetBase::from(data))
        .map_err(|e| ClusterError::KMeans(e.to_string()))?;
    Ok(model.centroids().clone())
}

/// The centroids as one row-major slice.
pub(crate) fn flat(centroids: &Array2<f64>) -> Vec<f64> {
    centroids.iter().copied().collect()
}

fn standard_rows(data: ArrayView2<'_, f64>) -> Vec<f64> {
    data.iter().copied().collect()
}

/// Nearest centroid of one row and its squared distance (first centroid on a tie).
#[inline]
pub(crate) fn nearest(centroids: &[f64], row: &[f64]) -> (u32, f64) {
    let d = row.len();
    let mut best = (0u32, f64::INFINITY);
    for (c, centroid) in centroids.chunks_exact(d.max(1)).enumerate() {
        let mut sq = 0.0;
        for (a, b) in row.iter().zip(centroid) {
            let diff = a - b;
            sq += diff * diff;
        }
        if sq < best.1 {
            best = (c as u32, sq);
        }
    }
    best
}

/// Nearest centroid and squared distance of every row of a row-major `n × d` slice.
pub(crate) fn nearest_all(rows: &[f64], d: usize, centroids: Vec<f64>) -> (Vec<u32>, Vec<f64>) {
    let n = rows.len().checked_div(d).unwrap_or(0);
    let mut labels = vec![0u32; n];
    let mut sq = vec![0.0; n];
    labels
        .par_chunks_mut(4096)
        .zip(sq.par_chunks_mut(4096))
        .enumerate()
        .for_each(|(chunk, (labels, sq))| {
            let start = chunk * 4096;
            for (j, (label, s)) in labels.iter_mut().zip(sq.iter_mut()).enumerate() {
                let i = start + j;
                (*label, *s) = nearest(&centroids, &rows[i * d..(i + 1) * d]);
            }
        });
    (labels, sq)
}

/// A seeded, ascending sample of `min(n, max)` row indices out of `0..n`.
pub(crate) fn sample_rows(n: usize, max: usize, seed: u64) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    // Its own stream, so the sample does not share random numbers with k-means++.
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5a4d_504c_4553_0001);
    let mut rows = rand::seq::index::sample(&mut rng, n, max).into_vec();
    rows.sort_unstable();
    rows
}
