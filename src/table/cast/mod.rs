//! The few Arrow casts postmarket makes: a column as text, as numbers, as dictionary keys,
//! as UTC microseconds, and text back into a baseline column's type.
//!
//! This replaces the `arrow-cast` kernel, which (with `arrow-ord`, pulled in only by it) was
//! a fifth of a clean build for the dozen conversions used here. Each conversion gives the
//! values `arrow_cast::cast` with its default options gave, byte for byte (the golden
//! reports hold these strings): floats as `ryu` writes them (`1.0`, `1e20`, `NaN`), dates
//! and timestamps as arrow's display does, text parsed leniently (a value that is not a
//! number is null, as with arrow's `safe` casts). Where arrow would have made a silent
//! null of a number (a dictionary key out of range, a fractional or overflowing value
//! into an integer) this returns an error instead. Anything else is
//! [`CastError::Unsupported`], never a guessed value.

mod numbers;
mod text;

use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, PrimitiveArray, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, TimeUnit};

pub use numbers::{to_f64, to_i64, to_u32};
pub use text::{to_utf8, utf8_able};

/// Why a column could not be cast.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CastError {
    /// No conversion between the two types is defined here.
    #[error("casting {from} to {to} is not supported")]
    Unsupported { from: DataType, to: DataType },
    /// One value has no equivalent in the target type.
    #[error("casting {from} to {to}: {value} {why}")]
    Value {
        from: DataType,
        to: DataType,
        value: String,
        why: &'static str,
    },
    /// The column as a whole cannot be converted (a time zone, an oversized text column).
    #[error("casting {from} to {to}: {why}")]
    Column {
        from: DataType,
        to: DataType,
        why: String,
    },
}

type Result<T> = std::result::Result<T, CastError>;

/// The UTC microsecond timestamps [`to_timestamp_us_utc`] returns.
pub fn timestamp_us_utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// A timestamp column as UTC microseconds: seconds and milliseconds multiplied (null where
/// that overflows, as with arrow), nanoseconds divided (toward zero, as with arrow). The
/// instants are kept whatever the column's zone; a column without one is an error, as it
/// was with arrow here (a local time is not an instant).
pub fn to_timestamp_us_utc(array: &dyn Array) -> Result<TimestampMicrosecondArray> {
    let from = array.data_type();
    let to = timestamp_us_utc();
    let DataType::Timestamp(unit, tz) = from else {
        return Err(CastError::Unsupported {
            from: from.clone(),
            to,
        });
    };
    if tz.is_none() {
        return Err(CastError::Column {
            from: from.clone(),
            to,
            why: "the timestamps have no time zone, so they are not instants".into(),
        });
    }
    let micros: PrimitiveArray<TimestampMicrosecondType> = match unit {
        TimeUnit::Second => array
            .as_primitive::<TimestampSecondType>()
            .unary_opt(|v| v.checked_mul(1_000_000)),
        TimeUnit::Millisecond => array
            .as_primitive::<TimestampMillisecondType>()
            .unary_opt(|v| v.checked_mul(1_000)),
        TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().clone(),
        TimeUnit::Nanosecond => array
            .as_primitive::<TimestampNanosecondType>()
            .unary(|v| v / 1_000),
    };
    Ok(micros.with_timezone("UTC"))
}

/// `array` (text, or the f64 a banded split is represented by) as a column of type `to`,
/// the type of the baseline column it stands for: text, dictionary-coded text, integers
/// or f64. Same type: `array` itself.
pub fn to_type(array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    if array.data_type() == to {
        return Ok(Arc::clone(array));
    }
    Ok(match to {
        DataType::Utf8 => Arc::new(to_utf8(array)?),
        DataType::Float64 => Arc::new(to_f64(array)?),
        DataType::Dictionary(key, value) if **value == DataType::Utf8 => {
            coded(&to_utf8(array)?, array.data_type(), to, key)?
        }
        DataType::Int8 => Arc::new(numbers::to_int::<Int8Type>(array)?),
        DataType::Int16 => Arc::new(numbers::to_int::<Int16Type>(array)?),
        DataType::Int32 => Arc::new(numbers::to_int::<Int32Type>(array)?),
        DataType::Int64 => Arc::new(numbers::to_int::<Int64Type>(array)?),
        DataType::UInt8 => Arc::new(numbers::to_int::<UInt8Type>(array)?),
        DataType::UInt16 => Arc::new(numbers::to_int::<UInt16Type>(array)?),
        DataType::UInt32 => Arc::new(numbers::to_int::<UInt32Type>(array)?),
        DataType::UInt64 => Arc::new(numbers::to_int::<UInt64Type>(array)?),
        _ => {
            return Err(CastError::Unsupported {
                from: array.data_type().clone(),
                to: to.clone(),
            })
        }
    })
}

fn is_decimal(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..)
    )
}

/// `text` dictionary-coded with keys of type `key`, values in order of first appearance.
fn coded(text: &StringArray, from: &DataType, to: &DataType, key: &DataType) -> Result<ArrayRef> {
    fn build<K: ArrowDictionaryKeyType>(text: &StringArray) -> Option<ArrayRef> {
        let mut out = StringDictionaryBuilder::<K>::new();
        for v in text {
            match v {
                Some(v) => {
                    out.append(v).ok()?;
                }
                None => out.append_null(),
            }
        }
        Some(Arc::new(out.finish()))
    }
    let built = match key {
        DataType::Int8 => build::<Int8Type>(text),
        DataType::Int16 => build::<Int16Type>(text),
        DataType::Int32 => build::<Int32Type>(text),
        DataType::Int64 => build::<Int64Type>(text),
        DataType::UInt8 => build::<UInt8Type>(text),
        DataType::UInt16 => build::<UInt16Type>(text),
        DataType::UInt32 => build::<UInt32Type>(text),
        DataType::UInt64 => build::<UInt64Type>(text),
        _ => {
            return Err(CastError::Unsupported {
                from: from.clone(),
                to: to.clone(),
            })
        }
    };
    built.ok_or_else(|| CastError::Column {
        from: from.clone(),
        to: to.clone(),
        why: format!("more distinct values than {key} keys can number"),
    })
}

#[cfg(test)]
mod tests;
