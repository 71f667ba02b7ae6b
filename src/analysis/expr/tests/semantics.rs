//! What expressions select: canonical display, precedence, three-valued logic, types.

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch};

use super::{canonical, cases, rows, ALIASES};
use crate::analysis::expr::Expr;

#[test]
fn display_is_canonical_text() {
    assert_eq!(
        canonical("manufacturer=='GE' AND slice_thickness>=5"),
        r#"manufacturer == "GE" and slice_thickness >= 5"#
    );
    assert_eq!(canonical("((a == 1))"), "a == 1");
    assert_eq!(
        canonical("a == 1 or (b == 2 or c == 3)"),
        "a == 1 or b == 2 or c == 3"
    );
    assert_eq!(
        canonical("(a == 1 or b == 2) and c == 3"),
        "(a == 1 or b == 2) and c == 3"
    );
    assert_eq!(canonical("NOT a IS NOT NULL"), "not (a is not null)");
    assert_eq!(canonical("not not a == -1.5e3"), "not not (a == -1.5e3)");
    assert_eq!(canonical("s Not In ('x','y')"), r#"s not in ("x", "y")"#);
    assert_eq!(
        canonical(r#"s == 'it\'s "q" \\'"#),
        r#"s == "it's \"q\" \\""#
    );
    assert_eq!(canonical("b == TRUE"), "b == true");
}

#[test]
fn display_reparses_to_the_same_expression() {
    let texts = [
        "manufacturer == 'GE MEDICAL SYSTEMS' and (age >= 65 or thickness < 1)",
        "not (sex in ('F', 'O') and label != 1) or n_instances is null",
        r#"manufacturer == 'it\'s "quoted"' or not not contrast_agent == "yes""#,
        "study_date >= '2024-06-30' and timestamp < '2024-05-02' and age not in (40, 70.0)",
        "((age > 1) and ((label == 1) or (label == 0))) and not (thickness <= 2.5)",
    ];
    for text in texts {
        let shown = canonical(text);
        assert_eq!(canonical(&shown), shown, "{text}");
        assert_eq!(rows(&shown), rows(text), "{text}");
    }
}

#[test]
fn and_binds_tighter_than_or() {
    // Row 1 is SIEMENS with label 0: only the grouping `(a or b) and c` drops it.
    let loose = r#"manufacturer == "SIEMENS" or label == 1 and age > 60"#;
    assert_eq!(rows(loose), [0, 1]);
    assert_eq!(
        rows(loose),
        rows("manufacturer == 'SIEMENS' or (label == 1 and age > 60)")
    );
    assert_eq!(
        rows("(manufacturer == 'SIEMENS' or label == 1) and age > 60"),
        [0]
    );
    assert_eq!(canonical(loose), loose);
}

#[test]
fn not_binds_tighter_than_and() {
    assert_eq!(rows("not label == 1 and age > 50"), [4]);
    // Row 3: label is 1 but age is NaN, so the `and` is unknown and so is its negation.
    assert_eq!(rows("not (label == 1 and age > 50)"), [1, 4, 5]);
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(
        rows("label == 1 AND age > 50 Or sex iS NoT NuLl"),
        rows("label == 1 and age > 50 or sex is not null")
    );
}

#[test]
fn comparisons_with_missing_values_are_never_true_even_negated() {
    // Row 2 has no age and row 3 a NaN age: neither side of the split takes them.
    assert_eq!(rows("age < 65"), [1, 5]);
    assert_eq!(rows("age >= 65"), [0, 4]);
    assert_eq!(rows("not (age >= 65)"), [1, 5]);
    assert_eq!(rows("age != 70"), [1, 4, 5]);
    assert_eq!(rows("not (age == 70)"), rows("age != 70"));
    assert_eq!(rows("age < 65 or age is null"), [1, 2, 3, 5]);
}

#[test]
fn unknown_combines_like_sql() {
    // Row 2: label is null (unknown), thickness is 3 (true for > 2, false for > 4).
    assert!(rows("label == 1 or thickness > 2").contains(&2));
    assert!(!rows("label == 1 and thickness > 2").contains(&2));
    assert!(rows("not (label == 1 and thickness > 4)").contains(&2));
    assert!(!rows("not (label == 1 or thickness > 4)").contains(&2));
}

#[test]
fn is_null_selects_nulls_and_nan() {
    assert_eq!(rows("age is null"), [2, 3]);
    assert_eq!(rows("age is not null"), [0, 1, 4, 5]);
    assert_eq!(rows("manufacturer is null"), [2]);
    assert_eq!(rows("not manufacturer is null"), [0, 1, 3, 4, 5]);
}

#[test]
fn in_matches_any_listed_value_and_not_in_skips_nulls() {
    assert_eq!(rows("manufacturer in ('SIEMENS', 'Philips')"), [1, 4]);
    assert_eq!(
        rows("manufacturer not in ('SIEMENS', 'Philips')"),
        [0, 3, 5]
    );
    assert_eq!(rows("label in (1)"), [0, 3]);
    assert_eq!(rows("age in (40, 65.0, 1e9)"), [1, 4]);
    // More than eight values take the set path.
    let many = "sex in ('a','b','c','d','e','f','g','h','F','M')";
    assert_eq!(rows(many), [0, 1, 3, 4]);
    assert_eq!(rows(&format!("not ({many})")), [5]);
}

#[test]
fn text_compares_exactly_with_escapes_and_either_quote() {
    assert_eq!(rows(r#"manufacturer == "GE MEDICAL SYSTEMS""#), [0, 3]);
    assert_eq!(
        rows("manufacturer == 'ge medical systems'"),
        Vec::<usize>::new()
    );
    assert_eq!(rows(r#"manufacturer == 'it\'s "quoted"'"#), [5]);
    assert_eq!(rows(r#"manufacturer == "it's \"quoted\"""#), [5]);
}

#[test]
fn numbers_compare_across_float_and_integer_columns() {
    assert_eq!(rows("thickness >= 3"), [0, 2]);
    assert_eq!(rows("thickness > -1.5 and thickness < .75"), [5]);
    assert_eq!(rows("age == 0"), [5], "-0.0 equals 0");
    assert_eq!(rows("label == 1.0"), [0, 3]);
    assert_eq!(rows("label == 0.5"), Vec::<usize>::new());
    assert_eq!(rows("label < 0.5"), [1, 4, 5]);
    assert_eq!(rows("label >= -1"), [0, 1, 3, 4, 5]);
    assert_eq!(rows("n_instances > 1e2"), [0, 2]);
    // 2^53 + 1 is not an f64; integers compare exactly.
    assert_eq!(rows("n_instances == 9007199254740993"), [0]);
    assert_eq!(rows("n_instances > 9007199254740992"), [0]);
    assert_eq!(rows("n_instances < -9e18"), [5]);
}

#[test]
fn booleans_take_true_false_yes_and_no() {
    assert_eq!(rows("contrast_agent == true"), [0, 3, 5]);
    assert_eq!(rows("contrast_agent == 'yes'"), [0, 3, 5]);
    assert_eq!(rows("contrast_agent != 'No'"), [0, 3, 5]);
    assert_eq!(rows("contrast_agent in (false)"), [1, 4]);
}

#[test]
fn dates_and_timestamps_compare_with_quoted_iso_dates() {
    assert_eq!(rows("study_date >= '2024-06-30'"), [1, 3]);
    assert_eq!(rows("study_date == '2023-12-31'"), [4]);
    assert_eq!(rows("study_date < '1970-01-01'"), [5]);
    assert_eq!(
        rows("timestamp >= '2024-05-01' and timestamp < '2024-05-02'"),
        [0, 1, 5]
    );
    assert_eq!(rows("timestamp > '2024-05-01T23:00:00'"), [1, 3]);
    assert_eq!(rows("timestamp > '2024-05-02T00:30:00+02:00'"), [1, 3]);
}

#[test]
fn aliases_resolve_after_exact_column_names() {
    assert_eq!(rows("age > 60"), rows("patient_age_years > 60"));
    let batch = cases();
    // An alias named like a real column never hides it.
    let shadow = [("slice_thickness", "patient_age_years")];
    let bound = Expr::parse("slice_thickness >= 3")
        .unwrap()
        .bind(&batch.schema(), &shadow)
        .unwrap();
    assert_eq!(bound.columns(), ["slice_thickness"]);
}

#[test]
fn columns_lists_identifiers_as_written_and_bound_lists_real_columns() {
    let expr = Expr::parse("age > 1 and (sex == 'F' or age < 90) and label is null").unwrap();
    assert_eq!(expr.columns(), ["age", "sex", "label"]);
    let bound = expr.bind(&cases().schema(), ALIASES).unwrap();
    assert_eq!(
        bound.columns(),
        ["patient_age_years", "patient_sex", "label"]
    );
}

#[test]
fn evaluate_finds_columns_by_name_in_a_reordered_batch() {
    let batch = cases();
    let bound = Expr::parse("label == 1 and sex == 'M'")
        .unwrap()
        .bind(&batch.schema(), ALIASES)
        .unwrap();
    let reordered = batch.project(&[4, 1]).unwrap();
    let selected = bound.evaluate(&reordered).unwrap();
    assert_eq!(
        selected,
        BooleanArray::from(vec![false, false, false, true, false, false])
    );
    let e = bound.evaluate(&batch.project(&[4]).unwrap()).unwrap_err();
    assert_eq!(e.message, "column patient_sex is not in this table");
    assert_eq!(e.position, "label == 1 and ".len());
}

#[test]
fn evaluate_handles_sliced_batches_and_word_boundaries() {
    let n = 300;
    let values: Vec<Option<f64>> = (0..n)
        .map(|i| (i % 7 != 0).then_some((i % 11) as f64))
        .collect();
    let batch = RecordBatch::try_from_iter([(
        "x",
        Arc::new(Float64Array::from(values.clone())) as ArrayRef,
    )])
    .unwrap();
    let bound = Expr::parse("not (x < 5)")
        .unwrap()
        .bind(&batch.schema(), &[])
        .unwrap();
    for (offset, len) in [(0, n), (3, 200), (64, 65), (100, 0)] {
        let selected = bound.evaluate(&batch.slice(offset, len)).unwrap();
        let expected: Vec<bool> = values[offset..offset + len]
            .iter()
            .map(|v| v.is_some_and(|v| v >= 5.0))
            .collect();
        assert_eq!(
            selected,
            BooleanArray::from(expected),
            "slice {offset}+{len}"
        );
    }
}
