//! Atomic file output: every file postmarket writes (Parquet tables, reports, JUnit XML,
//! snapshot files, rejects) goes to a temporary file in the same folder, is flushed and
//! synced, and only then renamed over the destination.
//!
//! A run that fails part-way (a full disk, a file-size limit, an error in the middle of a
//! scan) therefore leaves the previous file, or none, and never a truncated one that a CI
//! job or the next command would read as if it were whole. The temporary file is removed
//! when an [`AtomicFile`] is dropped without [`AtomicFile::commit`], so a failed run leaves
//! nothing behind either. Rename is atomic only within one file system, hence the same
//! folder; the temporary name starts with `.` so `scan` skips it like any hidden entry.
//!
//! What a killed process leaves (`kill -9`, a power cut) is swept: the temporary name
//! carries the host and the process id (`.NAME.HOST-PID-N.tmp`), and the first time a run
//! writes into a folder it removes the temporary files of that naming whose host is this
//! one and whose process is gone — never a live process's, never another host's (pods and
//! cluster nodes sharing one folder each keep their own). SIGINT and SIGTERM remove the
//! run's own temporary files before it exits ([`on_signals`]).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::error::{Error, Result};

/// A file being written under a temporary name; [`AtomicFile::commit`] puts it in place.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    temp: PathBuf,
    /// `None` once committed, so `Drop` knows there is nothing to clean up.
    file: Option<File>,
}

impl AtomicFile {
    /// Creates the destination's folder if needed and a fresh temporary file beside it.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent {
            std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
        }
        let name = path
            .file_name()
            .ok_or_else(|| {
                Error::write(
                    path,
                    io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
                )
            })?
            .to_string_lossy();
        // The host, the process id and a counter keep two writers (threads, processes,
        // machines sharing the folder) apart.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let temp_name = format!(".{name}.{}-{}-{n}.tmp", host(), std::process::id());
        let temp = parent.map_or_else(|| PathBuf::from(&temp_name), |p| p.join(&temp_name));
        sweep_once(parent.unwrap_or(Path::new(".")));
        live().lock().expect("temp registry").insert(temp.clone());
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| Error::write(path, e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            temp,
            file: Some(file),
        })
    }

    /// The destination path (what error messages name).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the content is until [`AtomicFile::commit`] (to hash it before it is in place).
    pub fn staged_path(&self) -> &Path {
        &self.temp
    }

    /// Syncs the data to disk and renames the temporary file over the destination.
    pub fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("not yet committed");
        let committed = file
            .sync_all()
            .and_then(|()| {
                drop(file);
                std::fs::rename(&self.temp, &self.path)
            })
            .map_err(|e| Error::write(&self.path, e));
        if committed.is_err() {
            let _ = std::fs::remove_file(&self.temp);
        }
        live().lock().expect("temp registry").remove(&self.temp);
        committed
    }

    fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("not yet committed")
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            // Best effort: the error that made us give up is the one worth reporting.
            let _ = std::fs::remove_file(&self.temp);
            live().lock().expect("temp registry").remove(&self.temp);
        }
    }
}

/// The temporary files this process has open, for [`on_signals`].
fn live() -> &'static Mutex<HashSet<PathBuf>> {
    static LIVE: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    LIVE.get_or_init(Mutex::default)
}

/// This machine's name as it goes into temporary names: letters, digits and `-` only.
fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .unwrap_or_default();
        let clean: String = raw
            .trim()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(64)
            .collect();
        if clean.is_empty() {
            "host".to_string()
        } else {
            clean
        }
    })
}

/// Whether process `pid` is running on this machine (where that cannot be known, yes).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

/// The host and pid of a temporary file of ours, from its name.
fn owner(name: &str) -> Option<(&str, u32)> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, tail) = rest.rsplit_once('.')?;
    let mut parts = tail.rsplitn(3, '-');
    let (_n, pid, host) = (parts.next()?, parts.next()?, parts.next()?);
    _n.parse::<u64>().ok()?;
    Some((host, pid.parse().ok()?))
}

/// Removes, once per folder and run, this host's temporary files whose process is gone.
fn sweep_once(dir: &Path) {
    static SWEPT: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    let swept = SWEPT.get_or_init(Mutex::default);
    if !swept.lock().expect("swept set").insert(dir.to_path_buf()) {
        return;
    }
    sweep(dir);
}

/// Removes this host's temporary files in `dir` whose process is gone; returns how many.
pub fn sweep(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((host_name, pid)) = name.to_str().and_then(owner) else {
            continue;
        };
        if host_name == host() && !alive(pid) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Removes this process's temporary files: what a signal handler does before it exits.
pub fn remove_own_temps() {
    let live = match live().lock() {
        Ok(live) => live.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    for temp in live {
        let _ = std::fs::remove_file(temp);
    }
}

/// On SIGINT or SIGTERM: remove this run's temporary files, say so in one line on
/// stderr, and exit 130 or 143 (128 + the signal), as a shell reports a killed command.
pub fn on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            remove_own_temps();
            let name = if signal == SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            let _ = writeln!(
                io::stderr(),
                "postmarket: stopped by {name}; no partial output was left"
            );
            std::process::exit(128 + signal);
        }
    });
}

/// Writes `path` atomically through a buffered writer: `write` produces the content; a
/// failure of it, of the final flush or of the rename is an error naming `path`.
pub fn write_with(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut AtomicFile>) -> io::Result<()>,
) -> Result<()> {
    stage_with(path, write)?.commit()
}

/// Like [`write_with`] but not yet in place: for a caller that puts several files in place
/// together, once all of them are complete.
pub fn stage_with(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut AtomicFile>) -> io::Result<()>,
) -> Result<AtomicFile> {
    let mut file = AtomicFile::create(path)?;
    let mut out = BufWriter::new(&mut file);
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| Error::write(path, e))?;
    drop(out);
    Ok(file)
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    stage_with(path, |out| out.write_all(bytes))?.commit()
}

#[cfg(test)]
mod sweep_tests {
    use super::*;

    #[test]
    fn only_this_hosts_temps_of_dead_processes_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        // A process that has ended: its pid is free (and not soon reused).
        let dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        let mut dead = dead;
        dead.wait().unwrap();
        let me = std::process::id();
        let names = [
            format!(".report.json.{}-{dead_pid}-0.tmp", host()),
            format!(".report.json.{}-{me}-1.tmp", host()),
            format!(".report.json.other-node-{dead_pid}-2.tmp"),
            "report.json".to_string(),
            format!(".notours.{dead_pid}.tmp"),
        ];
        for n in &names {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        assert_eq!(sweep(dir.path()), 1);
        for n in &names[1..] {
            assert!(dir.path().join(n).exists(), "{n} kept");
        }
        assert!(!dir.path().join(&names[0]).exists());
        assert_eq!(
            owner(".a.b.parquet.my-host-12-3.tmp"),
            Some(("my-host", 12))
        );
        assert_eq!(owner(".x.tmp"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn nothing_appears_at_the_destination_until_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        file.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(entries(dir.path()), ["report.json"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        std::fs::write(&path, "old").unwrap();
        let err = write_with(&path, |out| {
            out.write_all(b"half of it")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(
            matches!(&err, Error::WriteOutput { path: p, .. } if p == &path),
            "{err:?}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(entries(dir.path()), ["report.md"]);
    }

    #[test]
    fn missing_folders_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/junit.xml");
        write_bytes(&path, b"<x/>").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"<x/>");
    }
}
