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

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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
        // The process id and a counter keep two writers (threads or processes) apart.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let temp_name = format!(".{name}.{}-{n}.tmp", std::process::id());
        let temp = parent.map_or_else(|| PathBuf::from(&temp_name), |p| p.join(&temp_name));
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
        }
    }
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
