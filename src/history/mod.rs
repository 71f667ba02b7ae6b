//! The audit history (`--history DIR`): every run's summary and checks, kept as Parquet
//! files that are added and never rewritten, so that each night can be read against the
//! nights before it.
//!
//! Layout (see docs/history.md for the DuckDB / pandas / Spark queries):
//!
//! ```text
//! DIR/.lock                          taken while a run is appended (std::fs::File::lock)
//! DIR/runs/<run_id>.parquet          one row: window, baseline and config SHA-256, counts…
//! DIR/checks/<run_id>.parquet        one row per check of that run
//! DIR/changes/<run_id>.parquet       one row per change of that run, and its report's path
//! DIR/index.html                     the overview: every night, every change's line
//! ```
//!
//! `run_id` is `<seq>-<window start>` (`000012-20261130T000000Z`): `seq` numbers the runs
//! in the order they were appended, under the lock, so two audits writing the same history
//! at once get different numbers and neither file is ever overwritten. A rerun of a window
//! (same start and end) is a new run that names the one it `supersedes`; readers drop
//! superseded runs, and nothing is deleted. A run is written checks first, run row last,
//! each atomically ([`crate::atomic`]): the run row is the commit point, and a checks file
//! without one (a run that died in between) is ignored.
//!
//! Integrity: each file records the SHA-256 of a canonical encoding of its rows in its
//! Parquet metadata, and each run row records the SHA-256 of its checks file's bytes.
//! Reading verifies both; an unreadable, altered or foreign file is refused with
//! [`Error::ReadHistory`] naming it (exit 3).
//!
//! The history holds only what [`Check`] holds for a test — kind, subject, subgroup
//! definition, numbers, severity — never case identifiers or patient data.

pub mod changes;
mod files;
pub mod records;
mod sequence;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

pub use changes::{ChangeRow, NightRecord};
pub use records::{CheckRow, RunRow};
pub use sequence::{CheckKey, Gap, Persistence, Sequence, SequenceChange, SequenceRun};

use crate::analysis::findings::{Check, Severity};
use crate::error::{Error, Result};
use crate::table::window::Window;

pub const RUNS: &str = "runs";
pub const CHECKS: &str = "checks";
pub const CHANGES: &str = "changes";
pub const INDEX: &str = "index.html";
pub const LOCK: &str = ".lock";

/// What a run tells the history about itself (the rest is filled in on append).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    /// The run clock, RFC 3339 ([`crate::clock::run_timestamp`]: `SOURCE_DATE_EPOCH`
    /// when set), the same as the report's so the files are reproducible.
    pub created: String,
    pub window: Window,
    pub baseline_sha256: String,
    pub config_sha256: String,
    pub status: String,
    pub cases: u64,
    pub cases_outside: u64,
    pub cases_undated: u64,
}

/// An opened history folder: every run, verified.
#[derive(Debug)]
pub struct History {
    dir: PathBuf,
    /// Every run on disk (superseded ones too), by `seq`.
    runs: Vec<RunRow>,
}

impl History {
    /// Opens `dir` and verifies every run file; a folder that does not exist yet is an
    /// empty history (the first night creates it on [`History::append`]).
    pub fn open(dir: &Path) -> Result<History> {
        let _lock = Lock::take(dir, false)?;
        let runs = scan_runs(dir)?;
        Ok(History {
            dir: dir.to_path_buf(),
            runs,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every run on disk, in append order, superseded ones included.
    pub fn all_runs(&self) -> &[RunRow] {
        &self.runs
    }

    /// The runs no rerun has superseded, ordered by window start (then append order).
    pub fn live_runs(&self) -> Vec<&RunRow> {
        live(&self.runs)
    }

    /// The sequence a run of `window` against this baseline and config continues: the
    /// live runs that start before `window` does, back to the latest one written against
    /// another baseline or config (which [`Sequence::change`] names). Reads and verifies
    /// those runs' checks.
    pub fn sequence(
        &self,
        baseline_sha256: &str,
        config_sha256: &str,
        window: &Window,
    ) -> Result<Sequence> {
        let earlier: Vec<&RunRow> = self
            .live_runs()
            .into_iter()
            .filter(|r| r.window.start < window.start)
            .collect();
        let same =
            |r: &RunRow| r.baseline_sha256 == baseline_sha256 && r.config_sha256 == config_sha256;
        let first = earlier.iter().rposition(|r| !same(r)).map_or(0, |i| i + 1);
        let change = first.checked_sub(1).map(|i| {
            let r = earlier[i];
            SequenceChange {
                run_id: r.run_id.clone(),
                window: r.window,
                baseline_changed: r.baseline_sha256 != baseline_sha256,
                config_changed: r.config_sha256 != config_sha256,
            }
        });
        let _lock = Lock::take(&self.dir, false)?;
        let runs = earlier[first..]
            .iter()
            .map(|&run| {
                let path = self
                    .dir
                    .join(CHECKS)
                    .join(format!("{}.parquet", run.run_id));
                let rows = files::read_checks(&path, run)?;
                let checks: HashMap<CheckKey, CheckRow> = rows
                    .into_iter()
                    .map(|row| (CheckKey::of_row(&row), row))
                    .collect();
                Ok(SequenceRun {
                    run: run.clone(),
                    checks,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Sequence {
            until: window.start,
            runs,
            change,
        })
    }

    /// Every live run, oldest first, with its checks and (for runs that recorded them) its
    /// changes, each file verified: what the overview page shows.
    pub fn nights(&self) -> Result<Vec<NightView>> {
        let _lock = Lock::take(&self.dir, false)?;
        self.read_nights()
    }

    /// Writes `DIR/index.html` as `render` makes it of [`History::nights`], under the
    /// exclusive lock, so that of two audits finishing together the later one writes the
    /// page of both. Atomic: a reader sees the old page or the new one.
    pub fn write_overview(
        &mut self,
        render: impl FnOnce(&[NightView]) -> String,
    ) -> Result<PathBuf> {
        let _lock = Lock::take(&self.dir, true)?;
        self.runs = scan_runs(&self.dir)?;
        let page = render(&self.read_nights()?);
        let path = self.dir.join(INDEX);
        let mut file = crate::atomic::AtomicFile::create(&path)?;
        std::io::Write::write_all(&mut file, page.as_bytes())
            .map_err(|e| Error::write(&path, e))?;
        file.commit()?;
        Ok(path)
    }

    fn read_nights(&self) -> Result<Vec<NightView>> {
        self.live_runs()
            .into_iter()
            .map(|run| {
                let file = |sub: &str| self.dir.join(sub).join(format!("{}.parquet", run.run_id));
                let checks = files::read_checks(&file(CHECKS), run)?
                    .into_iter()
                    .map(|row| (CheckKey::of_row(&row), row))
                    .collect();
                let changes = file(CHANGES);
                let record = if changes.exists() {
                    Some(changes::read(&changes, &run.run_id)?)
                } else {
                    None
                };
                Ok(NightView {
                    run: run.clone(),
                    checks,
                    record,
                })
            })
            .collect()
    }

    /// Appends a run and its checks (as the report holds them: final severities).
    pub fn append_checks(&mut self, run: &NewRun, checks: &[Check]) -> Result<RunRow> {
        let rows: Vec<CheckRow> = checks.iter().map(CheckRow::from).collect();
        self.append(run, &rows)
    }

    /// Appends a run: [`History::reserve`] then [`History::commit`].
    pub fn append(&mut self, run: &NewRun, rows: &[CheckRow]) -> Result<RunRow> {
        let reservation = self.reserve(run)?;
        self.commit(reservation, run, rows, &NightRecord::default())
    }

    /// Takes the folder's exclusive lock, re-reads the runs (another audit may have
    /// appended since [`History::open`]), and numbers the run `run` will be, with the live
    /// run of the same window it supersedes. Nothing is written: the run is recorded only
    /// by [`History::commit`], and a reservation dropped without it leaves the history as
    /// it was. The lock is held until then, so the number stays this run's.
    pub fn reserve(&mut self, run: &NewRun) -> Result<Reservation> {
        for sub in [RUNS, CHECKS, CHANGES] {
            let d = self.dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| Error::write(&d, e))?;
        }
        let lock = Lock::take(&self.dir, true)?;
        self.runs = scan_runs(&self.dir)?;
        let orphan_seq = list_ids(&self.dir.join(CHECKS))?
            .into_iter()
            .map(|(seq, _)| seq)
            .max();
        let seq = self
            .runs
            .iter()
            .map(|r| r.seq)
            .chain(orphan_seq)
            .max()
            .unwrap_or(0)
            + 1;
        let run_id = format!("{seq:06}-{}", run.window.start.format("%Y%m%dT%H%M%SZ"));
        let supersedes = self
            .live_runs()
            .into_iter()
            .filter(|r| r.window == run.window)
            .max_by_key(|r| r.seq)
            .map(|r| r.run_id.clone());
        for sub in [CHECKS, CHANGES, RUNS] {
            let path = self.dir.join(sub).join(format!("{run_id}.parquet"));
            if path.exists() {
                return Err(Error::write(
                    &path,
                    std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "history files are never rewritten",
                    ),
                ));
            }
        }
        Ok(Reservation {
            _lock: lock,
            run_id,
            seq,
            supersedes,
        })
    }

    /// Records a reserved run: writes its checks file, its changes file, and then its run
    /// file (the commit point).
    pub fn commit(
        &mut self,
        reservation: Reservation,
        run: &NewRun,
        rows: &[CheckRow],
        night: &NightRecord,
    ) -> Result<RunRow> {
        let Reservation {
            _lock,
            run_id,
            seq,
            supersedes,
        } = reservation;
        let checks_path = self.dir.join(CHECKS).join(format!("{run_id}.parquet"));
        let run_path = self.dir.join(RUNS).join(format!("{run_id}.parquet"));
        let (batch, digest) = files::checks_content(&run_id, rows);
        let staged = files::stage(&checks_path, &batch, &digest)?;
        let checks_sha256 = crate::analysis::snapshot::sha256_file(staged.staged_path())?;
        staged.commit()?;
        let changes_path = self.dir.join(CHANGES).join(format!("{run_id}.parquet"));
        changes::stage(&changes_path, &run_id, night)?.commit()?;

        let count = |s: Severity| rows.iter().filter(|r| r.severity == s).count() as u64;
        let row = RunRow {
            run_id,
            seq,
            created: run.created.clone(),
            window: run.window,
            baseline_sha256: run.baseline_sha256.clone(),
            config_sha256: run.config_sha256.clone(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            status: run.status.clone(),
            cases: run.cases,
            cases_outside: run.cases_outside,
            cases_undated: run.cases_undated,
            checks: rows.len() as u64,
            warnings: count(Severity::Warn),
            alerts: count(Severity::Alert),
            supersedes,
            checks_sha256,
        };
        files::stage(&run_path, &row.to_batch(), &row.digest())?.commit()?;
        self.runs.push(row.clone());
        Ok(row)
    }

    /// Whether a run could be recorded here: the folder (and its lock file) writable. Run
    /// before any work, so that a history on a read-only mount stops the run at once.
    pub fn check_writable(dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
        drop(Lock::take(dir, true)?);
        for sub in [RUNS, CHECKS, CHANGES] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| Error::write(&d, e))?;
            drop(crate::atomic::AtomicFile::create(&d.join(".probe"))?);
        }
        Ok(())
    }
}

/// One live run as the overview reads it.
#[derive(Debug, Clone)]
pub struct NightView {
    pub run: RunRow,
    pub checks: HashMap<CheckKey, CheckRow>,
    /// `None` for a run recorded before changes were (no changes file).
    pub record: Option<NightRecord>,
}

/// A run numbered and locked in, not yet recorded ([`History::reserve`]).
pub struct Reservation {
    _lock: Lock,
    pub run_id: String,
    pub seq: u64,
    pub supersedes: Option<String>,
}

/// The runs not superseded by a later rerun, by window start then append order.
fn live(runs: &[RunRow]) -> Vec<&RunRow> {
    let superseded: HashSet<&str> = runs
        .iter()
        .filter_map(|r| r.supersedes.as_deref())
        .collect();
    let mut live: Vec<&RunRow> = runs
        .iter()
        .filter(|r| !superseded.contains(r.run_id.as_str()))
        .collect();
    live.sort_by_key(|r| (r.window.start, r.seq));
    live
}

/// Every run file of `dir/runs`, verified, by `seq`.
fn scan_runs(dir: &Path) -> Result<Vec<RunRow>> {
    let runs_dir = dir.join(RUNS);
    let mut runs = Vec::new();
    for (seq, run_id) in list_ids(&runs_dir)? {
        let path = runs_dir.join(format!("{run_id}.parquet"));
        let run = files::read_run(&path, &run_id)?;
        if run.seq != seq {
            return Err(Error::ReadHistory {
                path,
                message: format!("numbered {} inside, {seq} by its name", run.seq),
            });
        }
        runs.push(run);
    }
    for pair in runs.windows(2) {
        if pair[0].seq == pair[1].seq {
            return Err(Error::ReadHistory {
                path: runs_dir.join(format!("{}.parquet", pair[1].run_id)),
                message: format!("run number {} is also {}", pair[1].seq, pair[0].run_id),
            });
        }
    }
    Ok(runs)
}

/// The `(seq, run_id)` of every `<run_id>.parquet` in `dir`, by seq (none if `dir` does
/// not exist). Hidden files (temporary files of a write in progress), `_SUCCESS`, `.crc`
/// and other non-Parquet files are skipped; a Parquet file whose name is not a run id is
/// refused, since every query over the folder would read it as history.
fn list_ids(dir: &Path) -> Result<Vec<(u64, String)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::ReadInput {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut ids = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::ReadInput {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Some(stem) = name.strip_suffix(".parquet") else {
            continue;
        };
        let seq = parse_run_id(stem).ok_or_else(|| Error::ReadHistory {
            path: entry.path(),
            message: "not a history file (expected <seq>-<YYYYMMDDTHHMMSSZ>.parquet)".into(),
        })?;
        ids.push((seq, stem.to_string()));
    }
    ids.sort();
    Ok(ids)
}

/// The `seq` of a well-formed run id.
fn parse_run_id(id: &str) -> Option<u64> {
    let (seq, start) = id.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = seq.len() >= 6
        && digits(seq)
        && start.len() == 16
        && digits(&start[..8])
        && &start[8..9] == "T"
        && digits(&start[9..15])
        && &start[15..] == "Z";
    ok.then(|| seq.parse().ok()).flatten()
}

/// The folder's lock, held while it lives: shared for reading, exclusive for appending.
/// Reading a folder that does not exist (or cannot hold a lock file) takes no lock.
struct Lock(Option<File>);

impl Lock {
    fn take(dir: &Path, exclusive: bool) -> Result<Lock> {
        let path = dir.join(LOCK);
        if !exclusive && !dir.is_dir() {
            return Ok(Lock(None));
        }
        let file = match File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(_) if !exclusive => return Ok(Lock(None)),
            Err(e) => return Err(Error::write(&path, e)),
        };
        if exclusive {
            file.lock()
        } else {
            file.lock_shared()
        }
        .map_err(|e| Error::write(&path, e))?;
        Ok(Lock(Some(file)))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            let _ = f.unlock();
        }
    }
}
