//! Columns as numbers: f64 for the statistics, integers for counts and dictionary keys.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{
    Array, ArrowPrimitiveType, Float64Array, Int64Array, PrimitiveArray, UInt32Array,
};
use arrow_schema::DataType;

use super::{is_decimal, to_utf8, CastError, Result};

/// `array` as f64: integers and floats widened, decimals rounded once, booleans as 1/0,
/// text parsed (text that is not a number is null). Dictionaries are decoded.
pub fn to_f64(array: &dyn Array) -> Result<Float64Array> {
    let from = array.data_type();
    let widened = |f: &dyn Fn(usize) -> f64| -> Float64Array {
        (0..array.len())
            .map(|i| array.is_valid(i).then(|| f(i)))
            .collect()
    };
    Ok(match from {
        DataType::Float64 => array.as_primitive::<Float64Type>().clone(),
        DataType::Float32 => array.as_primitive::<Float32Type>().unary(f64::from),
        DataType::Float16 => array.as_primitive::<Float16Type>().unary(|v| v.to_f64()),
        DataType::Int8 => array.as_primitive::<Int8Type>().unary(f64::from),
        DataType::Int16 => array.as_primitive::<Int16Type>().unary(f64::from),
        DataType::Int32 => array.as_primitive::<Int32Type>().unary(f64::from),
        DataType::Int64 => array.as_primitive::<Int64Type>().unary(|v| v as f64),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().unary(f64::from),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().unary(f64::from),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().unary(f64::from),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().unary(|v| v as f64),
        DataType::Boolean => {
            let b = array.as_boolean();
            widened(&|i| if b.value(i) { 1.0 } else { 0.0 })
        }
        // The decimal's exact digits parsed: one correctly rounded step, what arrow's
        // division by a power of ten gives where both are exact and its slow path otherwise.
        t if is_decimal(t) => {
            let text = to_utf8(array)?;
            widened(&|i| text.value(i).parse().expect("a formatted decimal parses"))
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = to_utf8(array)?;
            text.iter().map(|v| v.and_then(parse_f64)).collect()
        }
        DataType::Dictionary(..) => {
            let dict = array.as_any_dictionary();
            let values = to_f64(dict.values().as_ref())?;
            taken(&values, dict.keys(), from, &DataType::Float64)?
        }
        DataType::Null => Float64Array::new_null(array.len()),
        _ => {
            return Err(CastError::Unsupported {
                from: from.clone(),
                to: DataType::Float64,
            })
        }
    })
}

/// `array` as i64: integers (an unsigned one past `i64::MAX` is an error), floats that hold
/// whole numbers (NaN is null, a fraction an error), booleans as 1/0, text parsed (text
/// that is not an integer is null).
pub fn to_i64(array: &dyn Array) -> Result<Int64Array> {
    to_int::<Int64Type>(array)
}

/// Integer `array` (dictionary keys) as u32; a negative or too large value is an error.
pub fn to_u32(array: &dyn Array) -> Result<UInt32Array> {
    if !array.data_type().is_integer() {
        return Err(CastError::Unsupported {
            from: array.data_type().clone(),
            to: DataType::UInt32,
        });
    }
    to_int::<UInt32Type>(array)
}

/// Text as arrow parses it into a float: the whole string (ASCII whitespace around it
/// allowed), with `NaN`, `inf`, `infinity` in any case.
fn parse_f64(text: &str) -> Option<f64> {
    text.trim_ascii().parse().ok()
}

/// The values of `values` at `keys` (a dictionary decoded).
fn taken<T: ArrowPrimitiveType>(
    values: &PrimitiveArray<T>,
    keys: &dyn Array,
    from: &DataType,
    to: &DataType,
) -> Result<PrimitiveArray<T>> {
    arrow_select::take::take(values, keys, None)
        .map(|a| a.as_primitive::<T>().clone())
        .map_err(|e| CastError::Column {
            from: from.clone(),
            to: to.clone(),
            why: e.to_string(),
        })
}

/// The integer type `T` from integers, whole floats, booleans or text.
pub(super) fn to_int<T>(array: &dyn Array) -> Result<PrimitiveArray<T>>
where
    T: ArrowPrimitiveType,
    T::Native: TryFrom<i128> + std::str::FromStr,
{
    let from = array.data_type();
    let to = T::DATA_TYPE;
    let out_of_range = |value: String, why| CastError::Value {
        from: from.clone(),
        to: to.clone(),
        value,
        why,
    };
    let exact = |v: i128| T::Native::try_from(v).ok();
    let ints = |get: &dyn Fn(usize) -> i128| -> Result<PrimitiveArray<T>> {
        (0..array.len())
            .map(|i| {
                if array.is_null(i) {
                    return Ok(None);
                }
                let v = get(i);
                exact(v)
                    .map(Some)
                    .ok_or_else(|| out_of_range(v.to_string(), "is out of range"))
            })
            .collect()
    };
    let floats = |values: &Float64Array| -> Result<PrimitiveArray<T>> {
        values
            .iter()
            .map(|v| match v {
                None => Ok(None),
                Some(v) if v.is_nan() => Ok(None),
                // Within ±2^127, `as` is exact for a whole float; beyond, try_from refuses.
                Some(v) if v.fract() == 0.0 && v.abs() < 1.7e38 => exact(v as i128)
                    .map(Some)
                    .ok_or_else(|| out_of_range(v.to_string(), "is out of range")),
                Some(v) => Err(out_of_range(v.to_string(), "is not a whole number")),
            })
            .collect()
    };
    match from {
        DataType::Int8 => ints(&|i| array.as_primitive::<Int8Type>().value(i).into()),
        DataType::Int16 => ints(&|i| array.as_primitive::<Int16Type>().value(i).into()),
        DataType::Int32 => ints(&|i| array.as_primitive::<Int32Type>().value(i).into()),
        DataType::Int64 => ints(&|i| array.as_primitive::<Int64Type>().value(i).into()),
        DataType::UInt8 => ints(&|i| array.as_primitive::<UInt8Type>().value(i).into()),
        DataType::UInt16 => ints(&|i| array.as_primitive::<UInt16Type>().value(i).into()),
        DataType::UInt32 => ints(&|i| array.as_primitive::<UInt32Type>().value(i).into()),
        DataType::UInt64 => ints(&|i| array.as_primitive::<UInt64Type>().value(i).into()),
        DataType::Boolean => ints(&|i| array.as_boolean().value(i).into()),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => floats(&to_f64(array)?),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Ok(to_utf8(array)?
            .iter()
            .map(|v| v.and_then(|s| s.trim_ascii().parse().ok()))
            .collect()),
        DataType::Null => Ok(PrimitiveArray::new_null(array.len())),
        _ => Err(CastError::Unsupported {
            from: from.clone(),
            to,
        }),
    }
}
