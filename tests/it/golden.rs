//! Golden outputs: the demo, a release gate, an explore and a scan of the committed DICOM
//! corpus, run with a fixed clock, must produce byte-identical files to the ones recorded in
//! `testdata/golden/digests.txt` (SHA-256 per file). A refactor that changes no behaviour
//! changes no digest; a change that means to alter an output re-records them with
//! `POSTMARKET_BLESS=1 cargo test --test it golden` and says why in its commit.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::workdir::{testdata, Workdir};

const DIGESTS: &str = "golden/digests.txt";

/// Every file the runs below write, relative to the work folder.
fn outputs(wd: &Workdir) -> Vec<String> {
    let mut files = Vec::new();
    for sub in ["d/out", "gate", "explore", "corpus"] {
        collect(&wd.path(sub), &wd.path(""), &mut files);
    }
    files.sort();
    files
}

fn collect(dir: &Path, root: &Path, into: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, root, into);
        } else {
            into.push(path.strip_prefix(root).unwrap().display().to_string());
        }
    }
}

fn run_all(wd: &Workdir) {
    let run = |args: &[&str]| {
        let out = wd
            .command(args)
            .env("SOURCE_DATE_EPOCH", "1764547200")
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "postmarket {args:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&["demo", "--dir", "d", "--cases", "120"]);
    run(&[
        "synth",
        "--tables",
        "--candidate",
        "--cases",
        "300",
        "--seed",
        "5",
        "-o",
        "s",
    ]);
    run(&[
        "gate",
        "--reference",
        "s/serving/inferences.parquet",
        "--candidate",
        "s/serving/candidate_inferences.parquet",
        "--headers",
        "s/serving/headers.parquet",
        "-o",
        "gate",
        "--junit",
        "gate/junit.xml",
    ]);
    let explore = run(&[
        "explore",
        "--baseline",
        "d/out/baseline-snapshot",
        "--headers",
        "d/out/serving/headers.parquet",
        "--inferences",
        "d/out/serving/inferences.parquet",
        "--where",
        "thickness >= 5",
        "--json",
    ]);
    wd.write("explore/explore.json", explore);
    // A copy inside the work folder, so `source_path` is relative and the same on every machine.
    for entry in std::fs::read_dir(testdata("dicom/good")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap();
        wd.write(&format!("dicom/{name}"), std::fs::read(&path).unwrap());
    }
    run(&[
        "scan",
        "dicom",
        "-o",
        "corpus/headers.parquet",
        "--rejects",
        "corpus/rejects.parquet",
    ]);
}

#[test]
fn outputs_match_the_recorded_digests() {
    let wd = Workdir::new();
    run_all(&wd);
    let actual: BTreeMap<String, String> = outputs(&wd)
        .into_iter()
        .map(|f| {
            let digest = hex::encode(Sha256::digest(std::fs::read(wd.path(&f)).unwrap()));
            (f, digest)
        })
        .collect();
    let recorded_path = testdata(DIGESTS);
    if std::env::var_os("POSTMARKET_BLESS").is_some() {
        let text: String = actual.iter().map(|(f, d)| format!("{d}  {f}\n")).collect();
        std::fs::write(&recorded_path, text).unwrap();
        return;
    }
    let recorded: BTreeMap<String, String> = std::fs::read_to_string(&recorded_path)
        .unwrap()
        .lines()
        .map(|l| {
            let (d, f) = l.split_once("  ").unwrap();
            (f.to_string(), d.to_string())
        })
        .collect();
    let changed: Vec<&String> = recorded
        .keys()
        .chain(actual.keys())
        .filter(|f| recorded.get(*f) != actual.get(*f))
        .collect();
    if !changed.is_empty() {
        let kept = wd.keep();
        panic!(
            "outputs differ from testdata/{DIGESTS}: {changed:?}\nthis run's files are in {}; \
             re-record with POSTMARKET_BLESS=1 only if the change is meant",
            kept.display()
        );
    }
}
