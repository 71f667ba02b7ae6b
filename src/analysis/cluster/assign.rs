//! Assignment: every serving row → its nearest centroid, its distance, and whether that
//! distance is beyond the cluster's baseline p99 (novel).
//!
//! The hot loop reads the table in chunks of rows, writes each standardised row into a
//! small reused buffer and scans the k centroids; chunks run in parallel and each fills its
//! own part of the outputs, so the result does not depend on the thread count.

use arrow_array::RecordBatch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::kmeans::nearest;
use super::scaler::Bound;
use super::{ClusterError, ClusterModel};

/// Rows per parallel task.
const CHUNK: usize = 8_192;

/// Where each serving row lands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Nearest centroid of each row.
    pub cluster: Vec<u32>,
    /// Euclidean distance to it, in the standardised space.
    pub distance: Vec<f64>,
    /// `distance > that cluster's baseline p99`, or a category the baseline never had.
    pub novel: Vec<bool>,
    /// Novel because of a category the baseline never had (a new scanner model, kernel…).
    pub unseen: Vec<bool>,
    /// Rows per cluster.
    pub counts: Vec<u64>,
    pub novel_count: u64,
    /// Numeric cells filled with the baseline median.
    pub imputed_cells: u64,
}

/// Assigns every row of `batch` (which must have the model's feature columns).
pub fn assign(model: &ClusterModel, batch: &RecordBatch) -> Result<Assignment, ClusterError> {
    let d = model.scaler.dim();
    if model.k == 0
        || d == 0
        || model.centroids.len() != model.k
        || model.clusters.len() != model.k
        || model.centroids.iter().any(|c| c.len() != d)
    {
        return Err(ClusterError::Model(format!(
            "k = {}, {} centroids, {} cluster summaries, dimension {d}",
            model.k,
            model.centroids.len(),
            model.clusters.len()
        )));
    }
    let bound = Bound::new(&model.scaler, batch)?;
    let centroids: Vec<f64> = model.centroids.concat();
    let p99: Vec<f64> = model.clusters.iter().map(|c| c.distance_p99).collect();

    let n = bound.rows();
    let mut cluster = vec![0u32; n];
    let mut distance = vec![0.0; n];
    let mut novel = vec![false; n];
    let mut unseen = vec![false; n];
    let per_chunk: Vec<(Vec<u64>, u64, u64)> = cluster
        .par_chunks_mut(CHUNK)
        .zip(distance.par_chunks_mut(CHUNK))
        .zip(novel.par_chunks_mut(CHUNK))
        .zip(unseen.par_chunks_mut(CHUNK))
        .enumerate()
        .map(|(chunk, (((cluster, distance), novel), unseen))| {
            let start = chunk * CHUNK;
            let mut row = vec![0.0; d];
            let mut counts = vec![0u64; model.k];
            let (mut novel_count, mut imputed) = (0u64, 0u64);
            for j in 0..cluster.len() {
                let (filled, _, new_category) = bound.write_row(start + j, &mut row);
                imputed += u64::from(filled);
                let (c, sq) = nearest(&centroids, &row);
                let dist = sq.sqrt();
                let is_novel = dist > p99[c as usize] || new_category;
                unseen[j] = new_category;
                cluster[j] = c;
                distance[j] = dist;
                novel[j] = is_novel;
                counts[c as usize] += 1;
                novel_count += u64::from(is_novel);
            }
            (counts, novel_count, imputed)
        })
        .collect();

    let mut counts = vec![0u64; model.k];
    let (mut novel_count, mut imputed_cells) = (0, 0);
    for (c, nv, im) in per_chunk {
        counts.iter_mut().zip(c).for_each(|(a, b)| *a += b);
        novel_count += nv;
        imputed_cells += im;
    }
    Ok(Assignment {
        cluster,
        distance,
        novel,
        unseen,
        counts,
        novel_count,
        imputed_cells,
    })
}
