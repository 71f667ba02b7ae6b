//! Expected values are what `arrow_cast::cast` 60.1 (default options) gave for the same
//! arrays, printed by a one-off comparison program before the dependency was removed.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::*;
use arrow_schema::DataType;

use super::*;

fn strings(array: &StringArray) -> Vec<Option<&str>> {
    array.iter().collect()
}

fn text_of(array: impl Array + 'static) -> Vec<Option<String>> {
    let text = to_utf8(&array).unwrap();
    text.iter().map(|v| v.map(str::to_string)).collect()
}

fn owned(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_string)).collect()
}

/// Floats by their `Debug` form, so that NaN and -0.0 compare as written.
fn floats(array: &Float64Array) -> Vec<Option<String>> {
    array.iter().map(|v| v.map(|v| format!("{v:?}"))).collect()
}

#[test]
fn floats_are_written_as_ryu_writes_them() {
    let values = Float64Array::from(vec![
        Some(1.0),
        None,
        Some(f64::NAN),
        Some(f64::INFINITY),
        Some(f64::NEG_INFINITY),
        Some(-0.0),
        Some(1e20),
        Some(1e16),
        Some(1e15),
        Some(0.1),
        Some(1e-7),
        Some(1e-5),
        Some(0.30000000000000004),
        Some(5e-324),
    ]);
    let expected = [
        Some("1.0"),
        None,
        Some("NaN"),
        Some("inf"),
        Some("-inf"),
        Some("-0.0"),
        Some("1e20"),
        Some("1e16"),
        Some("1000000000000000.0"),
        Some("0.1"),
        Some("1e-7"),
        Some("0.00001"),
        Some("0.30000000000000004"),
        Some("5e-324"),
    ];
    assert_eq!(text_of(values.clone()), owned(&expected));
    assert_eq!(text_of(values.slice(2, 4)), owned(&expected[2..6]));
}

#[test]
fn narrow_floats_are_written_as_arrow_wrote_them() {
    let f32s = Float32Array::from(vec![Some(1.0f32), None, Some(0.1), Some(16777217.0)]);
    assert_eq!(
        text_of(f32s),
        owned(&[Some("1.0"), None, Some("0.1"), Some("16777216.0")])
    );
    // Half floats go through Rust's `Display` of the f32: no `.0`.
    let half = |v: f32| <Float16Type as ArrowPrimitiveType>::Native::from_f32(v);
    let f16s = Float16Array::from(vec![
        Some(half(1.0)),
        None,
        Some(half(0.1)),
        Some(half(-0.0)),
    ]);
    assert_eq!(
        text_of(f16s),
        owned(&[Some("1"), None, Some("0.099975586"), Some("-0")])
    );
}

#[test]
fn integers_and_booleans_are_written_in_full() {
    assert_eq!(
        text_of(Int64Array::from(vec![
            Some(i64::MIN),
            None,
            Some(i64::MAX),
            Some(-1)
        ])),
        owned(&[
            Some("-9223372036854775808"),
            None,
            Some("9223372036854775807"),
            Some("-1")
        ])
    );
    assert_eq!(
        text_of(UInt64Array::from(vec![Some(u64::MAX)])),
        owned(&[Some("18446744073709551615")])
    );
    assert_eq!(
        text_of(Int8Array::from(vec![Some(-128i8), None])),
        owned(&[Some("-128"), None])
    );
    let flags = BooleanArray::from(vec![Some(true), None, Some(false), Some(true)]);
    assert_eq!(
        text_of(flags.slice(1, 3)),
        owned(&[None, Some("false"), Some("true")])
    );
}

#[test]
fn text_of_every_width_becomes_plain_utf8() {
    let large = LargeStringArray::from(vec![Some("a"), None, Some(""), Some("é")]);
    assert_eq!(
        text_of(large.slice(1, 3)),
        owned(&[None, Some(""), Some("é")])
    );
    let view = StringViewArray::from(vec![Some("a"), None, Some("longer than twelve bytes")]);
    assert_eq!(
        text_of(view),
        owned(&[Some("a"), None, Some("longer than twelve bytes")])
    );
    let plain = StringArray::from(vec![Some("a"), None, Some("b"), Some("c")]).slice(1, 2);
    assert_eq!(strings(&to_utf8(&plain).unwrap()), [None, Some("b")]);
    assert_eq!(text_of(NullArray::new(2)), vec![None, None]);
}

#[test]
fn dictionaries_are_decoded_with_null_keys_and_values_as_null() {
    let dict: DictionaryArray<Int32Type> = vec![Some("x"), None, Some("y"), Some("x")]
        .into_iter()
        .collect();
    assert_eq!(
        text_of(dict.slice(1, 3)),
        owned(&[None, Some("y"), Some("x")])
    );
    let values: ArrayRef = Arc::new(StringArray::from(vec![Some("p"), None, Some("q")]));
    let keys = Int8Array::from(vec![Some(0i8), Some(1), None, Some(2)]);
    let dict = DictionaryArray::<Int8Type>::try_new(keys, values).unwrap();
    assert_eq!(text_of(dict), owned(&[Some("p"), None, None, Some("q")]));
    let large: ArrayRef = Arc::new(LargeStringArray::from(vec!["a", "b", "c"]));
    let dict = DictionaryArray::<UInt16Type>::try_new(vec![2u16, 0].into(), large).unwrap();
    assert_eq!(text_of(dict), owned(&[Some("c"), Some("a")]));
    let numbers: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.5]));
    let keys = Int32Array::from(vec![Some(1), Some(0), None]);
    let dict = DictionaryArray::<Int32Type>::try_new(keys, numbers).unwrap();
    assert_eq!(
        text_of(dict.clone()),
        owned(&[Some("2.5"), Some("1.0"), None])
    );
    assert_eq!(
        floats(&to_f64(&dict).unwrap()),
        owned(&[Some("2.5"), Some("1.0"), None])
    );
}

#[test]
fn dates_and_timestamps_are_written_as_arrow_displayed_them() {
    assert_eq!(
        text_of(Date32Array::from(vec![
            Some(0),
            None,
            Some(19844),
            Some(-1),
            Some(-719528)
        ])),
        owned(&[
            Some("1970-01-01"),
            None,
            Some("2024-05-01"),
            Some("1969-12-31"),
            Some("0000-01-01")
        ])
    );
    assert_eq!(
        text_of(Date64Array::from(vec![Some(1714550400123)])),
        owned(&[Some("2024-05-01T08:00:00.123")])
    );
    assert_eq!(
        text_of(TimestampSecondArray::from(vec![Some(1714550400), Some(-1)])),
        owned(&[Some("2024-05-01T08:00:00"), Some("1969-12-31T23:59:59")])
    );
    assert_eq!(
        text_of(TimestampMicrosecondArray::from(vec![Some(
            1714550400120000
        )])),
        owned(&[Some("2024-05-01T08:00:00.120")])
    );
    assert_eq!(
        text_of(TimestampNanosecondArray::from(vec![Some(
            1714550400000000001
        )])),
        owned(&[Some("2024-05-01T08:00:00.000000001")])
    );
    let utc = TimestampMicrosecondArray::from(vec![Some(1714550400123456), Some(1714550400000000)]);
    assert_eq!(
        text_of(utc.with_timezone("+00:00")),
        owned(&[
            Some("2024-05-01T08:00:00.123456Z"),
            Some("2024-05-01T08:00:00Z")
        ])
    );
    assert_eq!(
        text_of(TimestampSecondArray::from(vec![Some(1714550400)]).with_timezone("+05:30")),
        owned(&[Some("2024-05-01T13:30:00+05:30")])
    );
    assert_eq!(
        text_of(
            TimestampNanosecondArray::from(vec![Some(1714550400123456789)]).with_timezone("-0800")
        ),
        owned(&[Some("2024-05-01T00:00:00.123456789-08:00")])
    );
}

#[test]
fn named_time_zones_and_unwritable_instants_are_errors_as_in_arrow() {
    // arrow-array is built without chrono-tz: only offsets name a zone, "UTC" included.
    for tz in ["UTC", "Europe/Berlin"] {
        let array = TimestampMillisecondArray::from(vec![Some(0i64)]).with_timezone(tz);
        assert!(matches!(to_utf8(&array), Err(CastError::Column { .. })));
    }
    let huge = TimestampSecondArray::from(vec![Some(i64::MAX)]);
    assert!(matches!(to_utf8(&huge), Err(CastError::Value { .. })));
}

#[test]
fn decimals_are_written_with_their_scale() {
    let array = Decimal128Array::from(vec![Some(12345i128), None, Some(-5), Some(0)])
        .with_precision_and_scale(38, 2)
        .unwrap();
    assert_eq!(
        text_of(array),
        owned(&[Some("123.45"), None, Some("-0.05"), Some("0.00")])
    );
    let array = Decimal128Array::from(vec![12i128])
        .with_precision_and_scale(10, -2)
        .unwrap();
    assert_eq!(text_of(array), owned(&[Some("1200")]));
}

#[test]
fn types_without_a_text_form_here_are_refused_up_front() {
    let binary = BinaryArray::from(vec![Some(b"ab".as_ref())]);
    let time = Time32SecondArray::from(vec![1]);
    let duration = DurationSecondArray::from(vec![1]);
    for array in [&binary as &dyn Array, &time, &duration] {
        assert!(!utf8_able(array.data_type()));
        assert!(matches!(to_utf8(array), Err(CastError::Unsupported { .. })));
    }
    let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    for t in [
        dict,
        DataType::Boolean,
        DataType::Float16,
        timestamp_us_utc(),
    ] {
        assert!(utf8_able(&t), "{t}");
    }
}

#[test]
fn numbers_widen_to_f64_as_arrow_widened_them() {
    let ints = UInt64Array::from(vec![Some(u64::MAX), None, Some(9007199254740993)]);
    assert_eq!(
        floats(&to_f64(&ints).unwrap()),
        owned(&[
            Some("1.8446744073709552e19"),
            None,
            Some("9007199254740992.0")
        ])
    );
    let ints = Int64Array::from(vec![i64::MIN]);
    assert_eq!(
        floats(&to_f64(&ints).unwrap()),
        owned(&[Some("-9.223372036854776e18")])
    );
    let f32s = Float32Array::from(vec![Some(0.1f32), Some(f32::NAN), Some(-0.0)]);
    assert_eq!(
        floats(&to_f64(&f32s).unwrap()),
        owned(&[Some("0.10000000149011612"), Some("NaN"), Some("-0.0")])
    );
    let flags = BooleanArray::from(vec![Some(true), None, Some(false)]);
    assert_eq!(
        floats(&to_f64(&flags).unwrap()),
        owned(&[Some("1.0"), None, Some("0.0")])
    );
    let sliced = Float64Array::from(vec![Some(1.0), None, Some(f64::NAN), Some(2.0)]).slice(1, 2);
    assert_eq!(
        floats(&to_f64(&sliced).unwrap()),
        owned(&[None, Some("NaN")])
    );
}

#[test]
fn decimals_become_the_nearest_f64() {
    let cases: [(Vec<i128>, i8, &[&str]); 3] = [
        (
            vec![12345, 9007199254740993, i128::MAX],
            2,
            &["123.45", "90071992547409.94", "1.7014118346046924e36"],
        ),
        (vec![1, i128::MAX / 7], 30, &["1e-30", "24305883.351495605"]),
        (vec![123456789], -30, &["1.23456789e38"]),
    ];
    for (values, scale, expected) in cases {
        let array = Decimal128Array::from(values)
            .with_precision_and_scale(38, scale)
            .unwrap();
        let got = floats(&to_f64(&array).unwrap());
        let expected: Vec<_> = expected.iter().map(|s| Some(s.to_string())).collect();
        assert_eq!(got, expected);
    }
}

#[test]
fn text_parses_to_f64_as_arrow_parsed_it_and_the_rest_is_null() {
    let cases = [
        (" 1.5 ", Some("1.5")),
        ("1E5", Some("100000.0")),
        (".5", Some("0.5")),
        ("5.", Some("5.0")),
        ("+1", Some("1.0")),
        ("-0", Some("-0.0")),
        ("nan", Some("NaN")),
        ("-inf", Some("-inf")),
        ("Infinity", Some("inf")),
        ("1e400", Some("inf")),
        ("1e-400", Some("0.0")),
        ("\t2\n", Some("2.0")),
        ("0x10", None),
        ("", None),
        ("1,5", None),
        ("1_0", None),
        ("1.5x", None),
        ("e5", None),
    ];
    let text = StringArray::from(cases.iter().map(|c| c.0).collect::<Vec<_>>());
    let expected: Vec<_> = cases.iter().map(|c| c.1.map(str::to_string)).collect();
    assert_eq!(floats(&to_f64(&text).unwrap()), expected);
}

#[test]
fn integers_come_from_whole_numbers_and_text_and_refuse_the_rest() {
    let whole = Float64Array::from(vec![Some(3.0), None, Some(f64::NAN), Some(-0.0)]);
    assert_eq!(
        to_i64(&whole).unwrap(),
        Int64Array::from(vec![Some(3), None, None, Some(0)])
    );
    for bad in [3.7, 1e19, f64::INFINITY] {
        assert!(matches!(
            to_i64(&Float64Array::from(vec![bad])),
            Err(CastError::Value { .. })
        ));
    }
    assert!(to_i64(&UInt64Array::from(vec![u64::MAX])).is_err());
    let text = StringArray::from(vec![
        Some(" 2 "),
        Some("+3"),
        Some("1.0"),
        Some("x"),
        Some("9223372036854775808"),
        Some("-9223372036854775808"),
        Some("007"),
        None,
    ]);
    assert_eq!(
        to_i64(&text).unwrap(),
        Int64Array::from(vec![
            Some(2),
            Some(3),
            None,
            None,
            None,
            Some(i64::MIN),
            Some(7),
            None
        ])
    );
}

#[test]
fn dictionary_keys_become_u32_and_negative_ones_are_errors() {
    let keys = Int32Array::from(vec![Some(0), None, Some(5)]);
    assert_eq!(
        to_u32(&keys.slice(1, 2)).unwrap(),
        UInt32Array::from(vec![None, Some(5)])
    );
    assert!(matches!(
        to_u32(&Int8Array::from(vec![-1i8])),
        Err(CastError::Value { .. })
    ));
    assert!(to_u32(&UInt64Array::from(vec![u64::MAX])).is_err());
    assert!(matches!(
        to_u32(&Float64Array::from(vec![1.0])),
        Err(CastError::Unsupported { .. })
    ));
}

#[test]
fn timestamps_become_utc_microseconds_keeping_the_instant() {
    let seconds = TimestampSecondArray::from(vec![
        Some(1714550400),
        None,
        Some(-1),
        Some(i64::MAX / 1000),
    ])
    .with_timezone("+05:00");
    let micros = to_timestamp_us_utc(&seconds).unwrap();
    assert_eq!(micros.data_type(), &timestamp_us_utc());
    // The last one overflows: null, as with arrow.
    assert_eq!(
        micros.iter().collect::<Vec<_>>(),
        [Some(1714550400000000), None, Some(-1000000), None]
    );
    // Nanoseconds divide toward zero, as with arrow.
    let nanos = TimestampNanosecondArray::from(vec![-1, -1001, 1999]).with_timezone("UTC");
    assert_eq!(
        to_timestamp_us_utc(&nanos).unwrap().values().to_vec(),
        [0, -1, 1]
    );
    let sliced = TimestampMicrosecondArray::from(vec![Some(5), None, Some(-1)])
        .with_timezone("UTC")
        .slice(1, 2);
    assert_eq!(
        to_timestamp_us_utc(&sliced)
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        [None, Some(-1)]
    );
}

#[test]
fn timestamps_without_a_zone_are_refused() {
    let naive = TimestampMillisecondArray::from(vec![0]);
    assert!(matches!(
        to_timestamp_us_utc(&naive),
        Err(CastError::Column { .. })
    ));
}

#[test]
fn text_goes_back_to_the_baseline_column_type() {
    let cells: ArrayRef = Arc::new(StringArray::from(vec![
        Some("b"),
        Some("a"),
        None,
        Some("b"),
        Some("c"),
    ]));
    assert!(Arc::ptr_eq(
        &to_type(&cells, &DataType::Utf8).unwrap(),
        &cells
    ));
    for key in [DataType::Int32, DataType::UInt8] {
        let to = DataType::Dictionary(Box::new(key), Box::new(DataType::Utf8));
        let coded = to_type(&cells, &to).unwrap();
        assert_eq!(coded.data_type(), &to);
        let dict = coded.as_any_dictionary();
        assert_eq!(
            to_u32(dict.keys()).unwrap(),
            UInt32Array::from(vec![Some(0), Some(1), None, Some(0), Some(2)])
        );
        assert_eq!(
            strings(&to_utf8(dict.values()).unwrap()),
            [Some("b"), Some("a"), Some("c")]
        );
    }
    let numbers: ArrayRef = Arc::new(StringArray::from(vec![
        Some("0"),
        Some("1"),
        None,
        Some("1.5"),
    ]));
    let predictions = to_type(&numbers, &DataType::Int8).unwrap();
    assert_eq!(
        predictions.as_primitive::<Int8Type>(),
        &Int8Array::from(vec![Some(0), Some(1), None, None])
    );
    let bands: ArrayRef = Arc::new(Float64Array::from(vec![Some(-1.0), Some(2.0), None]));
    assert_eq!(
        to_type(&bands, &DataType::Int8)
            .unwrap()
            .as_primitive::<Int8Type>(),
        &Int8Array::from(vec![Some(-1), Some(2), None])
    );
    let fractional: ArrayRef = Arc::new(Float64Array::from(vec![-0.5]));
    assert!(to_type(&fractional, &DataType::Int8).is_err());
    assert!(matches!(
        to_type(&cells, &DataType::Boolean),
        Err(CastError::Unsupported { .. })
    ));
}

#[test]
fn too_many_categories_for_the_key_type_is_an_error() {
    let many: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..300).map(|i| i.to_string()),
    ));
    let to = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8));
    assert!(matches!(to_type(&many, &to), Err(CastError::Column { .. })));
}

#[test]
fn errors_name_both_types() {
    let err = to_u32(&Int8Array::from(vec![-1i8])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "casting Int8 to UInt32: -1 is out of range"
    );
    let err = to_utf8(&BinaryArray::from(vec![b"x".as_ref()])).unwrap_err();
    assert_eq!(err.to_string(), "casting Binary to Utf8 is not supported");
}
