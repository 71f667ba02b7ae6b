//! Robustness of the readers on input nobody here wrote: every prefix of committed DICOM
//! files and thousands of seeded mutants (truncations, byte flips, huge lengths, swapped
//! VRs, UN, splices) give a row or a typed reject — never a panic — with the heap of each
//! read bounded; and a short fixed-seed pass of every other fuzz target.
//!
//! A binary of its own, for its counting allocator; the tests take a lock so that one
//! measurement never sees another test's allocations.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use postmarket::fuzz::mutate::{self, Mutation};
use postmarket::fuzz::peak::PeakAlloc;
use postmarket::fuzz::targets::check_header;
use postmarket::fuzz::{self, Budget, Target};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc::new();
static SERIAL: Mutex<()> = Mutex::new(());

/// The header limit used here: small, so that a read that ignores it shows.
const MAX_HEADER: usize = 1 << 20;
/// What one read may hold: the prefix buffer and an inflated copy at the limit, plus the
/// index and row. A reader that trusted a length field would blow through it.
const HEAP_BOUND: usize = 2 * MAX_HEADER + (512 << 10);

fn corpus(names: &[&str]) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dicom");
    names
        .iter()
        .map(|n| (n.to_string(), std::fs::read(root.join(n)).unwrap()))
        .collect()
}

fn all_committed() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dicom");
    let mut out = Vec::new();
    for dir in ["good", "bad", "skipped"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        out.extend(paths.iter().map(|p| std::fs::read(p).unwrap()));
    }
    out.retain(|d| !d.is_empty());
    out
}

/// Reads `data` as a header, returning the outcome and the heap it took at its peak.
fn measured(data: &[u8]) -> (Result<String, String>, usize) {
    ALLOC.reset();
    let base = ALLOC.live();
    let outcome = check_header(data, MAX_HEADER);
    (outcome, ALLOC.peak().saturating_sub(base))
}

#[test]
fn every_prefix_of_committed_files_is_a_row_or_a_typed_reject() {
    let _serial = SERIAL.lock().unwrap();
    let files = corpus(&[
        "good/ct_un_vr.dcm",
        "good/ct_seq_undefined.dcm",
        "good/ct_deflated.dcm",
        "good/mr_explicit_be.dcm",
        "good/ct_implicit_le.dcm",
        "good/ct_charset_jis.dcm",
        "good/ct_no_meta_implicit.dcm",
    ]);
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut prefixes = 0;
    for (name, data) in &files {
        for n in 0..=data.len() {
            let (outcome, peak) = measured(&data[..n]);
            let outcome = outcome.unwrap_or_else(|e| panic!("{name}[..{n}]: {e}"));
            assert!(peak <= HEAP_BOUND, "{name}[..{n}] held {peak} bytes");
            *outcomes.entry(outcome).or_insert(0) += 1;
            prefixes += 1;
        }
        assert_eq!(measured(data).0.unwrap(), "row", "{name} whole");
        assert_eq!(measured(&data[..0]).0.unwrap(), "empty", "{name} empty");
    }
    assert!(prefixes > 10_000, "{prefixes}");
    // A prefix that stops inside the header is truncated; one that stops inside the pixel
    // data still has a whole header, so it is a row.
    assert!(outcomes["truncated"] > 1000, "{outcomes:?}");
    assert!(outcomes["row"] > 100, "{outcomes:?}");
}

#[test]
fn thousands_of_mutants_are_rows_or_typed_rejects_in_bounded_memory() {
    let _serial = SERIAL.lock().unwrap();
    let seeds = all_committed();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let mut by_class: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    let mut worst = 0;
    for i in 0..6000 {
        let mutation = Mutation::ALL[i % Mutation::ALL.len()];
        let seed = &seeds[rng.random_range(0..seeds.len())];
        let other = &seeds[rng.random_range(0..seeds.len())];
        let data = mutate::apply(mutation, seed, other, &mut rng);
        let (outcome, peak) = measured(&data);
        let outcome = outcome.unwrap_or_else(|e| panic!("mutant {i} ({mutation:?}): {e}"));
        worst = worst.max(peak);
        assert!(
            peak <= HEAP_BOUND,
            "mutant {i} ({mutation:?}) held {peak} bytes"
        );
        *by_class
            .entry(mutation.name())
            .or_default()
            .entry(outcome)
            .or_insert(0) += 1;
    }
    eprintln!("worst heap {worst} bytes; outcomes {by_class:#?}");
    for (class, outcomes) in &by_class {
        // Each class both damages some files past reading and leaves others readable.
        assert!(outcomes.len() >= 2, "{class}: {outcomes:?}");
    }
    assert!(
        by_class["huge-length"].contains_key("bad-length"),
        "{by_class:?}"
    );
}

#[test]
fn a_header_larger_than_the_limit_is_refused_without_reading_past_it() {
    let _serial = SERIAL.lock().unwrap();
    // A well-formed explicit VR LE data set whose private OB blob (before Pixel Data) is
    // four times the limit.
    let mut data = Vec::new();
    let mut element = |group: u16, elem: u16, vr: &[u8; 2], value: &[u8]| {
        data.extend(group.to_le_bytes());
        data.extend(elem.to_le_bytes());
        data.extend(vr);
        if vr == b"OB" {
            data.extend([0, 0]);
            data.extend((value.len() as u32).to_le_bytes());
        } else {
            data.extend((value.len() as u16).to_le_bytes());
        }
        data.extend(value);
    };
    element(0x0008, 0x0018, b"UI", b"1.2.3.4\0");
    element(0x0009, 0x0010, b"LO", b"PM_BLOB ");
    element(0x0009, 0x1001, b"OB", &vec![7u8; 4 * MAX_HEADER]);
    element(0x0020, 0x000E, b"UI", b"1.2.3.5\0");
    let (outcome, peak) = measured(&data);
    assert_eq!(outcome.unwrap(), "too-large");
    assert!(peak <= MAX_HEADER + (256 << 10), "held {peak} bytes");
    // The same file under a limit it fits in is a row.
    assert_eq!(check_header(&data, 8 * MAX_HEADER).unwrap(), "row");
}

#[test]
fn every_fuzz_target_keeps_its_promise_for_a_fixed_seed() {
    let _serial = SERIAL.lock().unwrap();
    let targets = [
        Target::Header {
            seeds: all_committed(),
            max_header_bytes: MAX_HEADER,
        },
        Target::Values,
        Target::Charset,
        Target::LogRow,
        Target::Expr,
    ];
    for target in &targets {
        let stats = fuzz::run(target, 5, Budget::Inputs(3000));
        assert_eq!(stats.inputs, 3000);
        assert!(
            stats.failures.is_empty(),
            "{}: {} failures, first {:?}",
            target.name(),
            stats.failures.len(),
            stats.failures.first().map(|(input, what)| (
                String::from_utf8_lossy(input)
                    .chars()
                    .take(80)
                    .collect::<String>(),
                what
            ))
        );
        // The inputs reach more than one outcome: the generator is not stuck on one path.
        assert!(
            stats.outcomes.len() >= 2,
            "{}: {:?}",
            target.name(),
            stats.outcomes
        );
    }
}
