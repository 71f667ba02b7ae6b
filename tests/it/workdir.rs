//! A temporary folder in which tests run the real `postmarket` binary (xsv style).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Keeps the folder after the test (to inspect a failure) and returns its path.
    pub fn keep(self) -> PathBuf {
        self.dir.keep()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// A `postmarket` command run in this folder, with colour and config isolation.
    /// Runs `args` twice with a fixed SOURCE_DATE_EPOCH, `-o a` then `-o b`, and asserts
    /// that `report.json` and `report.md` are byte-identical.
    pub fn assert_reports_reproduce(&self, args: &[&str]) {
        for out in ["a", "b"] {
            let mut full = args.to_vec();
            full.extend(["-o", out, "--fail-on", "never"]);
            let status = self
                .command(&full)
                .env("SOURCE_DATE_EPOCH", "1790000000")
                .status()
                .unwrap();
            assert!(status.success(), "{full:?}");
        }
        for file in ["report.json", "report.md"] {
            assert_eq!(
                std::fs::read(self.path(&format!("a/{file}"))).unwrap(),
                std::fs::read(self.path(&format!("b/{file}"))).unwrap(),
                "{file}"
            );
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_postmarket"));
        cmd.current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("POSTMARKET_KEY")
            .args(args);
        cmd
    }

    /// `postmarket baseline` of the tables `synth -o s` wrote into the snapshot `snap`.
    pub fn snapshot_of_synth(&self) {
        self.run_expect(
            &[
                "baseline",
                "--headers",
                "s/baseline/headers.parquet",
                "--inferences",
                "s/baseline/inferences.parquet",
                "-o",
                "snap",
            ],
            0,
        );
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run postmarket")
    }

    /// Runs and asserts the exit code, returning stderr for further checks.
    pub fn run_expect(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(code),
            "postmarket {args:?}\nstderr:\n{stderr}\nstdout:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }
}

/// The repository's testdata folder.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}
