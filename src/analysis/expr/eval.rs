//! Evaluation under SQL's three-valued logic, 64 rows per machine word.
//!
//! Each node yields two bitmaps, rows where it is *true* and rows where it is *false*; a
//! row in neither is *unknown* (a comparison with a missing value). `and`, `or` and `not`
//! are then word-wide bit operations — Kleene's tables — and the result selects the rows
//! that are true. NaN in a float column counts as missing, like a null.

use std::cmp::Ordering;
use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayAccessor, ArrowPrimitiveType, BooleanArray, RecordBatch};
use arrow_schema::{DataType, TimeUnit};

use super::bind::{Bound, Pred, Scalar, Test};
use super::ExprError;

impl Bound {
    /// One bool per row of `batch`: true where the expression is true, false where it is
    /// false *or unknown*. The result has no nulls. Columns are found by name, so `batch`
    /// may hold other columns or order them differently from the schema bound against.
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<BooleanArray, ExprError> {
        let mut arrays = Vec::with_capacity(self.columns.len());
        for column in &self.columns {
            let name = &column.name;
            let error = |message: String| ExprError::at(column.span, message, &self.source);
            let Some(array) = batch.column_by_name(name) else {
                return Err(error(format!("column {name} is not in this table")));
            };
            if array.data_type() != &column.data_type {
                return Err(error(format!(
                    "column {name} has type {} here but {} in the schema the expression was checked against",
                    array.data_type(),
                    column.data_type
                )));
            }
            arrays.push(array.as_ref());
        }
        let truth = self.eval(&self.root, &arrays, batch.num_rows())?;
        let words: Vec<u64> = truth.yes.into_iter().map(u64::to_le).collect();
        Ok(BooleanArray::new_from_packed(words, 0, batch.num_rows()))
    }

    fn eval(&self, pred: &Pred, arrays: &[&dyn Array], len: usize) -> Result<Truth, ExprError> {
        Ok(match pred {
            Pred::Or(items) | Pred::And(items) => {
                let is_or = matches!(pred, Pred::Or(_));
                let mut acc = self.eval(&items[0], arrays, len)?;
                for item in &items[1..] {
                    let next = self.eval(item, arrays, len)?;
                    let words = acc.yes.iter_mut().zip(&mut acc.no);
                    for ((yes, no), (y, n)) in words.zip(next.yes.iter().zip(&next.no)) {
                        if is_or {
                            (*yes, *no) = (*yes | y, *no & n);
                        } else {
                            (*yes, *no) = (*yes & y, *no | n);
                        }
                    }
                }
                acc
            }
            Pred::Not(inner) => {
                let Truth { yes, no } = self.eval(inner, arrays, len)?;
                Truth { yes: no, no: yes }
            }
            Pred::Leaf { column, test } => leaf(arrays[*column], test, len).ok_or_else(|| {
                let column = &self.columns[*column];
                let message = format!(
                    "internal error: cannot evaluate column {} of type {}",
                    column.name, column.data_type
                );
                ExprError::at(column.span, message, &self.source)
            })?,
        })
    }
}

/// Rows (as bits, 64 per word) where a node is true and where it is false.
struct Truth {
    yes: Vec<u64>,
    no: Vec<u64>,
}

/// `present(i)`: row `i` has a value. `ord(i, s)`: how row `i`'s value orders against `s`
/// (None if they do not compare). Called on every row, missing ones too, so it must
/// not fail on the placeholder value of a null slot; branch-free packing is faster than
/// skipping them.
fn compare(
    len: usize,
    test: &Test,
    present: impl Fn(usize) -> bool,
    ord: impl Fn(usize, &Scalar) -> Option<Ordering>,
) -> Truth {
    match test {
        Test::IsNull => pack(len, |_| true, |i| !present(i)),
        Test::Compare(op, s) => pack(len, present, |i| ord(i, s).is_some_and(|o| op.holds(o))),
        Test::In(list) => pack(len, present, |i| {
            list.iter().any(|s| ord(i, s) == Some(Ordering::Equal))
        }),
    }
}

fn pack(len: usize, known: impl Fn(usize) -> bool, holds: impl Fn(usize) -> bool) -> Truth {
    let words = len.div_ceil(64);
    let (mut yes, mut no) = (Vec::with_capacity(words), Vec::with_capacity(words));
    for w in 0..words {
        let start = w * 64;
        let (mut y, mut n) = (0u64, 0u64);
        for i in start..len.min(start + 64) {
            let (k, h) = (u64::from(known(i)), u64::from(holds(i)));
            y |= (k & h) << (i - start);
            n |= (k & (h ^ 1)) << (i - start);
        }
        yes.push(y);
        no.push(n);
    }
    Truth { yes, no }
}

fn leaf(array: &dyn Array, test: &Test, len: usize) -> Option<Truth> {
    let int = |v: i128| Num::Int(v);
    Some(match array.data_type() {
        DataType::Utf8 => text(array.as_string::<i32>(), test, len),
        DataType::LargeUtf8 => text(array.as_string::<i64>(), test, len),
        DataType::Utf8View => text(array.as_string_view(), test, len),
        // Coded categories: the test on the strings (a cast, one column at a time).
        DataType::Dictionary(_, value) if value.is_string() => {
            let strings = crate::table::cast::to_utf8(array).ok()?;
            return leaf(&strings, test, len);
        }
        DataType::Float64 => number(array.as_primitive::<Float64Type>(), test, len, Num::Float),
        DataType::Float32 => number(array.as_primitive::<Float32Type>(), test, len, |v| {
            Num::Float(v.into())
        }),
        DataType::Int8 => number(array.as_primitive::<Int8Type>(), test, len, |v| {
            int(v.into())
        }),
        DataType::Int16 => number(array.as_primitive::<Int16Type>(), test, len, |v| {
            int(v.into())
        }),
        DataType::Int32 => number(array.as_primitive::<Int32Type>(), test, len, |v| {
            int(v.into())
        }),
        DataType::Int64 => number(array.as_primitive::<Int64Type>(), test, len, |v| {
            int(v.into())
        }),
        DataType::UInt8 => number(array.as_primitive::<UInt8Type>(), test, len, |v| {
            int(v.into())
        }),
        DataType::UInt16 => number(array.as_primitive::<UInt16Type>(), test, len, |v| {
            int(v.into())
        }),
        DataType::UInt32 => number(array.as_primitive::<UInt32Type>(), test, len, |v| {
            int(v.into())
        }),
        DataType::UInt64 => number(array.as_primitive::<UInt64Type>(), test, len, |v| {
            int(v.into())
        }),
        DataType::Boolean => {
            let a = array.as_boolean();
            let ord = |i, s: &Scalar| match s {
                Scalar::Bool(b) => Some(a.value(i).cmp(b)),
                _ => None,
            };
            compare(len, test, |i| a.is_valid(i), ord)
        }
        DataType::Date32 => instant(array.as_primitive::<Date32Type>(), test, len),
        DataType::Timestamp(unit, _) => match unit {
            TimeUnit::Second => instant(array.as_primitive::<TimestampSecondType>(), test, len),
            TimeUnit::Millisecond => {
                instant(array.as_primitive::<TimestampMillisecondType>(), test, len)
            }
            TimeUnit::Microsecond => {
                instant(array.as_primitive::<TimestampMicrosecondType>(), test, len)
            }
            TimeUnit::Nanosecond => {
                instant(array.as_primitive::<TimestampNanosecondType>(), test, len)
            }
        },
        _ => return None,
    })
}

fn text<'a, A>(a: A, test: &Test, len: usize) -> Truth
where
    A: ArrayAccessor<Item = &'a str> + Copy,
{
    let present = |i| a.is_valid(i);
    // A long `in` list is a set lookup rather than a scan per row.
    if let Test::In(list) = test {
        if list.len() > 8 {
            let set: HashSet<&str> = list
                .iter()
                .filter_map(|s| match s {
                    Scalar::Text(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect();
            return pack(len, present, |i| set.contains(a.value(i)));
        }
    }
    let ord = |i, s: &Scalar| match s {
        Scalar::Text(t) => Some(a.value(i).cmp(t.as_str())),
        _ => None,
    };
    compare(len, test, present, ord)
}

/// A cell of a numeric column: integers stay exact, so `n == 9007199254740993` works.
#[derive(Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

fn number<T: ArrowPrimitiveType>(
    a: &arrow_array::PrimitiveArray<T>,
    test: &Test,
    len: usize,
    num: impl Fn(T::Native) -> Num,
) -> Truth {
    let values = a.values();
    let present = |i| a.is_valid(i) && !matches!(num(values[i]), Num::Float(f) if f.is_nan());
    let ord = |i, s: &Scalar| match (num(values[i]), s) {
        // A whole-number literal compares exactly; a fractional one cannot equal an
        // integer, and rounding a huge integer to f64 cannot carry it across it.
        (Num::Int(v), Scalar::Number { int: Some(k), .. }) => Some(v.cmp(&i128::from(*k))),
        (Num::Int(v), Scalar::Number { value, .. }) => (v as f64).partial_cmp(value),
        (Num::Float(v), Scalar::Number { value, .. }) => v.partial_cmp(value),
        _ => None,
    };
    compare(len, test, present, ord)
}

fn instant<T>(a: &arrow_array::PrimitiveArray<T>, test: &Test, len: usize) -> Truth
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    let values = a.values();
    let ord = |i: usize, s: &Scalar| match s {
        Scalar::Instant(k) => Some(values[i].into().cmp(k)),
        _ => None,
    };
    compare(len, test, |i| a.is_valid(i), ord)
}
