//! Agreement with scikit-learn: `testdata/fixtures/cluster.json`, written by
//! `scripts/fixtures_cluster.py`.

use ndarray::Array2;
use serde::Deserialize;

use super::super::kmeans::{flat, nearest_all};
use super::super::{kmeans_from_init, silhouette_score};

#[derive(Deserialize)]
struct Fixtures {
    kmeans: Vec<KMeansCase>,
    silhouette: Vec<SilhouetteCase>,
}

#[derive(Deserialize)]
struct KMeansCase {
    name: String,
    max_iter: u64,
    x: Vec<Vec<f64>>,
    init: Vec<Vec<f64>>,
    centroids: Vec<Vec<f64>>,
    labels: Vec<u32>,
    inertia: f64,
    serving: Vec<Vec<f64>>,
    serving_labels: Vec<u32>,
}

#[derive(Deserialize)]
struct SilhouetteCase {
    name: String,
    /// Name of the k-means case whose `x` is scored.
    x: String,
    labels: Vec<u32>,
    score: f64,
}

fn fixtures() -> Fixtures {
    serde_json::from_str(include_str!("../../../../testdata/fixtures/cluster.json")).unwrap()
}

fn matrix(rows: &[Vec<f64>]) -> Array2<f64> {
    let d = rows[0].len();
    Array2::from_shape_vec((rows.len(), d), rows.concat()).unwrap()
}

#[test]
fn linfa_from_given_centroids_reaches_sklearn_lloyd_result() {
    for case in fixtures().kmeans {
        let fit =
            kmeans_from_init(&matrix(&case.x), &matrix(&case.init), case.max_iter, 1e-10).unwrap();
        let expected = matrix(&case.centroids);
        let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let worst = fit
            .centroids
            .iter()
            .zip(&expected)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        let inertia_rel = (fit.inertia - case.inertia).abs() / case.inertia;
        eprintln!(
            "{}: max centroid error {:.1e} (relative {:.1e}), inertia relative error {:.1e}",
            case.name,
            worst,
            worst / scale,
            inertia_rel
        );
        assert!(
            worst <= 1e-6 * scale,
            "{}: centroids off by {worst}",
            case.name
        );
        assert!(
            inertia_rel <= 1e-6,
            "{}: inertia {}",
            case.name,
            fit.inertia
        );
        assert_eq!(fit.labels, case.labels, "{}: labels", case.name);
    }
}

#[test]
fn serving_points_get_the_cluster_sklearn_predicts() {
    for case in fixtures().kmeans {
        let fit =
            kmeans_from_init(&matrix(&case.x), &matrix(&case.init), case.max_iter, 1e-10).unwrap();
        let d = case.serving[0].len();
        let (labels, _) = nearest_all(&case.serving.concat(), d, flat(&fit.centroids));
        assert_eq!(labels, case.serving_labels, "{}", case.name);
    }
}

#[test]
fn silhouette_matches_sklearn_including_singletons_and_duplicates() {
    let fixtures = fixtures();
    for case in &fixtures.silhouette {
        let data = fixtures.kmeans.iter().find(|k| k.name == case.x).unwrap();
        let d = data.x[0].len();
        let ours = silhouette_score(&data.x.concat(), d, &case.labels).unwrap();
        eprintln!(
            "{}: |ours − sklearn| = {:.1e}",
            case.name,
            (ours - case.score).abs()
        );
        assert!(
            (ours - case.score).abs() <= 1e-9,
            "{}: {ours} vs {}",
            case.name,
            case.score
        );
    }
}

#[test]
fn silhouette_is_undefined_for_one_label_or_one_label_per_row() {
    let rows = [0.0, 1.0, 2.0, 3.0];
    assert_eq!(silhouette_score(&rows, 1, &[0, 0, 0, 0]), None);
    assert_eq!(silhouette_score(&rows, 1, &[0, 1, 2, 3]), None);
    assert_eq!(silhouette_score(&rows, 1, &[0, 1]), None, "wrong length");
    let sparse = silhouette_score(&rows, 1, &[7, 7, u32::MAX, u32::MAX]).unwrap();
    let dense = silhouette_score(&rows, 1, &[0, 0, 1, 1]).unwrap();
    assert_eq!(sparse, dense);
}

#[test]
fn kmeans_from_init_rejects_mismatched_centroids_without_panicking() {
    let data = Array2::<f64>::zeros((10, 3));
    let err = kmeans_from_init(&data, &Array2::zeros((2, 2)), 10, 1e-6).unwrap_err();
    assert!(err.to_string().contains("2×2"), "{err}");
    assert!(kmeans_from_init(&data, &Array2::zeros((0, 3)), 10, 1e-6).is_err());
    assert!(kmeans_from_init(&data, &Array2::zeros((2, 3)), 10, 0.0).is_err());
    assert!(kmeans_from_init(&Array2::zeros((0, 3)), &Array2::zeros((2, 3)), 10, 1e-6).is_err());
}
