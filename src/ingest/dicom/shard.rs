//! `scan --shard I/N`: which files one of N processes reads, so that an engine (a Spark
//! partition, a Slurm array task, a Kubernetes Indexed Job pod) can split a scan without
//! a scheduler of ours. Each file goes to the shard of a stable hash of its *key*: its
//! parent folder relative to the folder the scan was given, so a series folder stays
//! whole — or the file's own path when it sits directly in a folder given on the command
//! line (a flat folder of files, where the parent would put every file in one shard).
//! A file named on the command line (or by `--files-from`) is keyed by its parent folder
//! as written. The key is relative, so processes that mount the archive at different
//! paths still agree; every shard must be given the same PATHs.

use std::path::Path;

use crate::error::{Error, Result};

/// The I-th of N shards, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` with 1 ≤ I ≤ N.
    pub fn parse(spec: &str) -> Result<Shard> {
        let usage = |why: &str| {
            Error::Usage(format!(
                "--shard {spec:?}: {why} (expected I/N with 1 <= I <= N, e.g. 3/8)"
            ))
        };
        let (i, n) = spec.split_once('/').ok_or_else(|| usage("no '/'"))?;
        let parse = |s: &str| s.trim().parse::<u64>().map_err(|_| usage("not a number"));
        let (index, count) = (parse(i)?, parse(n)?);
        if count == 0 || index == 0 || index > count {
            return Err(usage("out of range"));
        }
        Ok(Shard { index, count })
    }

    /// Whether a file with this key (see [`key`]) belongs to this shard.
    pub fn holds(&self, key: &Path) -> bool {
        fnv1a(key.as_os_str().as_encoded_bytes()) % self.count + 1 == self.index
    }
}

/// The key a file is sharded by: `relative` is its path relative to the folder the walk
/// started from (depth ≥ 1), or the path as given for a file named directly (depth 0).
pub fn key(relative: &Path, depth: usize) -> &Path {
    if depth == 1 {
        return relative;
    }
    relative.parent().unwrap_or(relative)
}

/// FNV-1a, 64 bits: stable across versions, platforms and runs (std's hasher is not).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_spec_is_one_based_and_bounded() {
        assert_eq!(Shard::parse("3/8").unwrap(), Shard { index: 3, count: 8 });
        for bad in ["0/4", "5/4", "1/0", "2", "a/4", "1/b"] {
            let err = Shard::parse(bad).unwrap_err().to_string();
            assert!(err.contains("expected I/N"), "{bad}: {err}");
        }
    }

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn files_of_one_series_folder_share_a_key_and_flat_files_do_not() {
        let a = key(Path::new("study1/series2/img1.dcm"), 3);
        let b = key(Path::new("study1/series2/img2.dcm"), 3);
        assert_eq!(a, b);
        assert_eq!(a, Path::new("study1/series2"));
        assert_eq!(key(Path::new("img1.dcm"), 1), Path::new("img1.dcm"));
        assert_eq!(
            key(Path::new("/data/s1/img1.dcm"), 0),
            Path::new("/data/s1")
        );
    }

    #[test]
    fn every_key_lands_in_exactly_one_shard() {
        let count = 4;
        let mut sizes = vec![0; count as usize];
        for k in 0..1000 {
            let key = format!("study{}/series{}", k / 10, k % 10);
            let holders: Vec<u64> = (1..=count)
                .filter(|&index| Shard { index, count }.holds(Path::new(&key)))
                .collect();
            assert_eq!(holders.len(), 1, "{key}");
            sizes[holders[0] as usize - 1] += 1;
        }
        // Roughly even: each shard holds 250 ± 60 of 1,000 keys.
        assert!(sizes.iter().all(|&s| (190..=310).contains(&s)), "{sizes:?}");
    }
}
