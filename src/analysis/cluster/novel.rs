//! The novel cases of a serving window as a table (`novel.parquet`): why each is novel, its
//! nearest cluster, how far it lies and that cluster's p99 distance, its key and its
//! clustering features.

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, UInt32Array};
use arrow_schema::{Field, Schema};

use super::{Assignment, ClusterModel};
use crate::table::cases::CASE_KEY;

/// The novel cases with their key, nearest cluster, distance and the clustering features.
pub fn novel_table(
    serving: &RecordBatch,
    model: &ClusterModel,
    a: &Assignment,
) -> std::result::Result<RecordBatch, arrow_schema::ArrowError> {
    let mask = BooleanArray::from(a.novel.clone());
    let novel = crate::table::cases::access::decoded(&arrow_select::filter::filter_record_batch(
        serving, &mask,
    )?)?;
    let pick = |values: Vec<f64>| -> ArrayRef {
        let all = Float64Array::from(values);
        arrow_select::filter::filter(&all, &mask).expect("mask matches")
    };
    let clusters = arrow_select::filter::filter(
        &UInt32Array::from(a.cluster.iter().map(|c| c + 1).collect::<Vec<_>>()),
        &mask,
    )
    .expect("mask matches");
    let p99: Vec<f64> = a
        .cluster
        .iter()
        .map(|&c| model.clusters[c as usize].distance_p99)
        .collect();
    let reasons = arrow_array::StringArray::from_iter_values(a.unseen.iter().map(|&u| {
        if u {
            "category never seen in the baseline"
        } else {
            "beyond the cluster's p99 distance"
        }
    }));
    let reasons = arrow_select::filter::filter(&reasons, &mask).expect("mask matches");
    let mut fields = vec![
        Field::new("reason", arrow_schema::DataType::Utf8, false),
        Field::new("nearest_cluster", arrow_schema::DataType::UInt32, false),
        Field::new("distance", arrow_schema::DataType::Float64, false),
        Field::new("cluster_p99", arrow_schema::DataType::Float64, false),
    ];
    let mut columns = vec![reasons, clusters, pick(a.distance.clone()), pick(p99)];
    let wanted: Vec<&str> = std::iter::once(CASE_KEY)
        .chain(model.scaler.numeric.iter().map(|n| n.name.as_str()))
        .chain(model.scaler.categorical.iter().map(|c| c.name.as_str()))
        .collect();
    for name in wanted {
        if let Some(column) = novel.column_by_name(name) {
            fields.push(Field::new(name, column.data_type().clone(), true));
            columns.push(column.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}
