//! Twin detection: features that carry the same information on both sides (slice thickness
//! and spacing, a scanner model and its station name) give identical tests, so only the
//! first is tested and the others are named in its summary — BH does not count one chance
//! event k times.

use arrow_array::Array;

use super::prepare::{Column, Prepared, Sorted, MISSING};

/// For each column, the earlier column it duplicates, if any: the same values row by row
/// on both sides (numeric), or categories in one-to-one correspondence on both sides
/// (categorical; every test here is blind to the names of categories). Slice thickness
/// and spacing, or a scanner model and its station name, are often such twins.
pub(super) fn twins(columns: &[Column]) -> Vec<Option<usize>> {
    let mut out: Vec<Option<usize>> = vec![None; columns.len()];
    for j in 0..columns.len() {
        if columns[j].output {
            continue;
        }
        out[j] = (0..j).find(|&i| {
            out[i].is_none() && !columns[i].output && same_information(&columns[i], &columns[j])
        });
    }
    out
}

fn same_information(a: &Column, b: &Column) -> bool {
    // Two columns with no values at all are not "the same values": each keeps its checks.
    let empty = |c: &Column| c.missing == c.rows;
    if empty(a) || empty(b) {
        return false;
    }
    match (&a.prepared, &b.prepared) {
        (
            Prepared::Numeric {
                baseline: ab,
                serving: as_,
            },
            Prepared::Numeric {
                baseline: bb,
                serving: bs,
            },
        ) => same_values(ab, bb) && same_values(as_, bs),
        (
            Prepared::Categorical {
                baseline: ab,
                serving: as_,
                names: an,
            },
            Prepared::Categorical {
                baseline: bb,
                serving: bs,
                names: bn,
            },
        ) => one_to_one(&[(ab, bb), (as_, bs)], an.len(), bn.len()),
        _ => false,
    }
}

fn same_values(a: &Sorted, b: &Sorted) -> bool {
    let value = |s: &Sorted, r: usize| {
        Some(s.values.value(r)).filter(|v| s.values.is_valid(r) && v.is_finite())
    };
    a.order.len() == b.order.len()
        && a.values.len() == b.values.len()
        && (0..a.values.len()).all(|r| value(a, r) == value(b, r))
}

/// Whether code columns pair up as a bijection (missing only with missing).
pub(super) fn one_to_one(sides: &[(&Vec<u32>, &Vec<u32>)], ka: usize, kb: usize) -> bool {
    let (mut forward, mut backward) = (vec![MISSING; ka], vec![MISSING; kb]);
    for (a, b) in sides {
        if a.len() != b.len() {
            return false;
        }
        for (&x, &y) in a.iter().zip(b.iter()) {
            match (x == MISSING, y == MISSING) {
                (true, true) => continue,
                (false, false) => {}
                _ => return false,
            }
            let (f, g) = (&mut forward[x as usize], &mut backward[y as usize]);
            if *f == MISSING && *g == MISSING {
                (*f, *g) = (y, x);
            } else if *f != y || *g != x {
                return false;
            }
        }
    }
    true
}
