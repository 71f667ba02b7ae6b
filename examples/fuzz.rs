//! Runs the fuzz targets for a given time: `cargo run --release --example fuzz -- 60`
//! (or `scripts/fuzz.sh 60`). Arguments: seconds per target (default 10), then optionally
//! target names (header, values, charset, log-row, expr), `--seed N`, and `--seeds DIR`
//! to mutate the files of another corpus as well as the committed one.
//!
//! Prints inputs, outcomes and the peak heap per target; saves every input that broke a
//! promise under `fuzz-failures/<target>/` and exits 1 if there was one.
//!
//! `--emit DIR N` instead writes N header mutants (the classes in `fuzz::mutate`, in turn)
//! to DIR as files, for measuring a whole `scan` of them (docs/reliability.md).

use std::path::{Path, PathBuf};
use std::time::Duration;

use postmarket::fuzz::peak::PeakAlloc;
use postmarket::fuzz::{self, Budget, Target};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc::new();

const MAX_HEADER_BYTES: usize = 8 << 20;

/// The committed corpus, plus the files in `--seeds DIR` (other corpora, not committed).
fn seeds(extra: Option<&Path>) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dicom");
    let mut dirs: Vec<PathBuf> = ["good", "bad", "skipped"].map(|d| root.join(d)).into();
    dirs.extend(extra.map(Path::to_path_buf));
    let mut seeds = Vec::new();
    for dir in dirs {
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("readable entry").path())
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        seeds.extend(
            paths
                .iter()
                .map(|p| std::fs::read(p).expect("readable file")),
        );
    }
    seeds.retain(|s| !s.is_empty());
    seeds
}

/// Removes `flag VALUE` from `args`, returning the value.
fn take(args: &mut Vec<String>, flag: &str) -> Option<String> {
    let i = args.iter().position(|a| a == flag)?;
    let value = args
        .get(i + 1)
        .cloned()
        .unwrap_or_else(|| panic!("{flag} needs a value"));
    args.drain(i..i + 2);
    Some(value)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let seed: u64 = take(&mut args, "--seed").map_or(1, |s| s.parse().expect("--seed N"));
    let extra = take(&mut args, "--seeds").map(PathBuf::from);
    if let Some(dir) = take(&mut args, "--emit") {
        let n: usize = args
            .first()
            .and_then(|s| s.parse().ok())
            .expect("--emit DIR N");
        emit(Path::new(&dir), n, seed, &seeds(extra.as_deref()));
        return;
    }
    let seconds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(10);
    let wanted: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let targets = [
        Target::Header {
            seeds: seeds(extra.as_deref()),
            max_header_bytes: MAX_HEADER_BYTES,
        },
        Target::Values,
        Target::Charset,
        Target::LogRow,
        Target::Expr,
    ];
    let mut failed = false;
    for target in targets
        .iter()
        .filter(|t| wanted.is_empty() || wanted.contains(&t.name()))
    {
        ALLOC.reset();
        let base = ALLOC.live();
        let stats = fuzz::run(target, seed, Budget::Time(Duration::from_secs(seconds)));
        let peak = ALLOC.peak().saturating_sub(base);
        println!(
            "{:<8} {:>9} inputs  peak heap {:>6} KiB  {:?}",
            target.name(),
            stats.inputs,
            peak >> 10,
            stats.outcomes
        );
        if !stats.failures.is_empty() {
            failed = true;
            let dir = Path::new("fuzz-failures").join(target.name());
            std::fs::create_dir_all(&dir).expect("create fuzz-failures/");
            for (i, (input, what)) in stats.failures.iter().enumerate() {
                std::fs::write(dir.join(format!("{i:04}.bin")), input).expect("save input");
                println!("  FAILED {i:04}: {what}");
            }
        }
    }
    std::process::exit(i32::from(failed));
}

fn emit(dir: &Path, n: usize, seed: u64, seeds: &[Vec<u8>]) {
    use postmarket::fuzz::mutate::{self, Mutation};
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    std::fs::create_dir_all(dir).expect("create the output folder");
    for i in 0..n {
        let mutation = Mutation::ALL[i % Mutation::ALL.len()];
        let data = &seeds[rng.random_range(0..seeds.len())];
        let other = &seeds[rng.random_range(0..seeds.len())];
        let mutant = mutate::apply(mutation, data, other, &mut rng);
        let name = format!("{i:05}-{}.dcm", mutation.name());
        std::fs::write(dir.join(name), mutant).expect("write a mutant");
    }
    println!("wrote {n} mutants to {}", dir.display());
}
