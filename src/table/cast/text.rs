//! Columns as text: what arrow's display wrote for each type, value for value.

use std::fmt::Write;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::temporal_conversions::{as_datetime, date32_to_datetime, date64_to_datetime};
use arrow_array::timezone::Tz;
use arrow_array::types::*;
use arrow_array::{Array, ArrowPrimitiveType, StringArray};
use arrow_schema::{DataType, TimeUnit};
use chrono::{SecondsFormat, TimeZone, Utc};

use super::{is_decimal, CastError, Result};

/// Whether [`to_utf8`] takes columns of `data_type`: text, booleans, numbers, dates,
/// timestamps, and dictionaries of those.
pub fn utf8_able(data_type: &DataType) -> bool {
    match data_type {
        DataType::Dictionary(key, value) => key.is_dictionary_key_type() && utf8_able(value),
        DataType::Null
        | DataType::Boolean
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Date32
        | DataType::Date64
        | DataType::Timestamp(..) => true,
        t => t.is_integer() || t.is_floating() || is_decimal(t),
    }
}

/// `array` as text: integers and decimals in full, floats as `ryu` writes them, booleans as
/// `true`/`false`, dates as `2024-05-01`, timestamps as `2024-05-01T08:00:00` (with the
/// offset, RFC 3339, when the type has a time zone). Nulls stay null; dictionaries are
/// decoded.
pub fn to_utf8(array: &dyn Array) -> Result<StringArray> {
    let to = DataType::Utf8;
    let from = array.data_type();
    let unsupported = || CastError::Unsupported {
        from: from.clone(),
        to: to.clone(),
    };
    Ok(match from {
        DataType::Utf8 => array.as_string::<i32>().clone(),
        DataType::LargeUtf8 => {
            let large = array.as_string::<i64>();
            let offsets = large.value_offsets();
            fits_i32(from, (offsets[large.len()] - offsets[0]) as usize)?;
            large.iter().collect()
        }
        DataType::Utf8View => {
            let view = array.as_string_view();
            fits_i32(from, view.iter().flatten().map(str::len).sum())?;
            view.iter().collect()
        }
        DataType::Dictionary(..) => {
            let dict = array.as_any_dictionary();
            let values = to_utf8(dict.values().as_ref())?;
            let taken = arrow_select::take::take(&values, dict.keys(), None).map_err(|e| {
                CastError::Column {
                    from: from.clone(),
                    to: to.clone(),
                    why: e.to_string(),
                }
            })?;
            taken.as_string::<i32>().clone()
        }
        DataType::Null => StringArray::new_null(array.len()),
        DataType::Boolean => array
            .as_boolean()
            .iter()
            .map(|v| v.map(|b| if b { "true" } else { "false" }))
            .collect(),
        DataType::Int8 => written::<Int8Type>(array, |v, s| write!(s, "{v}"))?,
        DataType::Int16 => written::<Int16Type>(array, |v, s| write!(s, "{v}"))?,
        DataType::Int32 => written::<Int32Type>(array, |v, s| write!(s, "{v}"))?,
        DataType::Int64 => written::<Int64Type>(array, |v, s| write!(s, "{v}"))?,
        DataType::UInt8 => written::<UInt8Type>(array, |v, s| write!(s, "{v}"))?,
        DataType::UInt16 => written::<UInt16Type>(array, |v, s| write!(s, "{v}"))?,
        DataType::UInt32 => written::<UInt32Type>(array, |v, s| write!(s, "{v}"))?,
        DataType::UInt64 => written::<UInt64Type>(array, |v, s| write!(s, "{v}"))?,
        // Arrow writes half floats with Rust's `Display` of the f32 value (`1`, not `1.0`).
        DataType::Float16 => written::<Float16Type>(array, |v, s| write!(s, "{}", v.to_f32()))?,
        DataType::Float32 => {
            written::<Float32Type>(array, |v, s| s.write_str(ryu::Buffer::new().format(v)))?
        }
        DataType::Float64 => {
            written::<Float64Type>(array, |v, s| s.write_str(ryu::Buffer::new().format(v)))?
        }
        DataType::Decimal32(_, scale) => decimal::<Decimal32Type>(array, *scale)?,
        DataType::Decimal64(_, scale) => decimal::<Decimal64Type>(array, *scale)?,
        DataType::Decimal128(_, scale) => decimal::<Decimal128Type>(array, *scale)?,
        DataType::Decimal256(_, scale) => decimal::<Decimal256Type>(array, *scale)?,
        DataType::Date32 => dated::<Date32Type>(array, |v| {
            date32_to_datetime(v).map(|d| format!("{:?}", d.date()))
        })?,
        DataType::Date64 => {
            dated::<Date64Type>(array, |v| date64_to_datetime(v).map(|d| format!("{d:?}")))?
        }
        DataType::Timestamp(unit, tz) => {
            // Arrow's own time zones: fixed offsets only (no IANA database is built in),
            // so a named zone, "UTC" included, fails here as it did in arrow's cast.
            let tz: Option<Tz> =
                match tz {
                    Some(tz) => Some(tz.parse().map_err(|e: arrow_schema::ArrowError| {
                        CastError::Column {
                            from: from.clone(),
                            to: to.clone(),
                            why: e.to_string(),
                        }
                    })?),
                    None => None,
                };
            match unit {
                TimeUnit::Second => timestamps::<TimestampSecondType>(array, tz)?,
                TimeUnit::Millisecond => timestamps::<TimestampMillisecondType>(array, tz)?,
                TimeUnit::Microsecond => timestamps::<TimestampMicrosecondType>(array, tz)?,
                TimeUnit::Nanosecond => timestamps::<TimestampNanosecondType>(array, tz)?,
            }
        }
        _ => return Err(unsupported()),
    })
}

fn fits_i32(from: &DataType, bytes: usize) -> Result<()> {
    if bytes > i32::MAX as usize {
        return Err(CastError::Column {
            from: from.clone(),
            to: DataType::Utf8,
            why: format!("{bytes} bytes of text, more than a Utf8 column holds"),
        });
    }
    Ok(())
}

/// Each valid value of a primitive `array` written by `write`.
fn written<T: ArrowPrimitiveType>(
    array: &dyn Array,
    write: impl Fn(T::Native, &mut StringBuilder) -> std::fmt::Result,
) -> Result<StringArray> {
    let values = array.as_primitive::<T>();
    let mut out = StringBuilder::with_capacity(values.len(), values.len() * 8);
    for i in 0..values.len() {
        if values.is_null(i) {
            out.append_null();
        } else {
            write(values.value(i), &mut out).expect("writing to a builder cannot fail");
            out.append_value("");
        }
    }
    Ok(out.finish())
}

fn decimal<T>(array: &dyn Array, scale: i8) -> Result<StringArray>
where
    T: ArrowPrimitiveType,
    T::Native: arrow_data::decimal::DecimalNativeType,
{
    written::<T>(array, |v, s| {
        arrow_data::decimal::write_decimal(s, v, scale)
    })
}

/// Each valid value of a date or timestamp `array` as `show` writes it; a value outside
/// chrono's range is an error (as in arrow's display).
fn dated<T: ArrowPrimitiveType>(
    array: &dyn Array,
    show: impl Fn(T::Native) -> Option<String>,
) -> Result<StringArray>
where
    T::Native: std::fmt::Display,
{
    let values = array.as_primitive::<T>();
    let mut out = StringBuilder::with_capacity(values.len(), values.len() * 20);
    for i in 0..values.len() {
        if values.is_null(i) {
            out.append_null();
            continue;
        }
        let v = values.value(i);
        let text = show(v).ok_or_else(|| CastError::Value {
            from: array.data_type().clone(),
            to: DataType::Utf8,
            value: v.to_string(),
            why: "is outside the dates that can be written",
        })?;
        out.append_value(text);
    }
    Ok(out.finish())
}

fn timestamps<T: ArrowPrimitiveType<Native = i64>>(
    array: &dyn Array,
    tz: Option<Tz>,
) -> Result<StringArray> {
    dated::<T>(array, |v| {
        let naive = as_datetime::<T>(v)?;
        Some(match tz {
            Some(tz) => Utc
                .from_utc_datetime(&naive)
                .with_timezone(&tz)
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
            None => format!("{naive:?}"),
        })
    })
}
