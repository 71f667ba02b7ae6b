//! The baseline snapshot: a folder with `manifest.yaml` and `cases.parquet`.
//!
//! The manifest records the format and tool versions, when it was made, the model it
//! validated, the config (text and SHA-256), every input's name, rows and SHA-256, and every
//! snapshot file's SHA-256. Loading verifies each hash; a missing or altered file is refused
//! with a message naming it, so a drift report can never silently compare against a
//! baseline that is not the one that was approved.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analysis::cluster::ClusterModel;
use crate::analysis::estimated::BaselineCalibration;
use crate::atomic;
use crate::config::Unit;
use crate::error::{Error, Result};
use crate::table::cases::{Feature, JoinStats};
use crate::table::parquet::{concat, read_all, TableWriter};

/// Snapshot layout version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.yaml";
pub const CASES: &str = "cases.parquet";
/// The fitted acquisition clustering (scaler, centroids, distance quantiles), as JSON.
pub const CLUSTER: &str = "cluster.json";
/// The calibration map of the baseline's scores (estimated performance), as JSON.
pub const CALIBRATION: &str = "calibration.json";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ModelIdentity {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileDigest {
    pub name: String,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub tool_version: String,
    pub created: String,
    /// The model the baseline validated (most frequent in the baseline inferences).
    pub model: Option<ModelIdentity>,
    /// Every model version seen in the baseline: approved by construction.
    pub approved_versions: Vec<ModelIdentity>,
    pub unit: Unit,
    pub features: Vec<Feature>,
    pub join: JoinStatsRecord,
    pub config_sha256: String,
    pub config: String,
    pub inputs: Vec<FileDigest>,
    pub files: Vec<FileDigest>,
    /// Why no cluster model was fitted, when none was.
    #[serde(default)]
    pub cluster_note: Option<String>,
    /// Why no calibration map was fitted, when none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_note: Option<String>,
}

/// [`JoinStats`] as stored (a plain mirror so the manifest format is explicit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinStatsRecord {
    pub instances: u64,
    pub cases: u64,
    pub cases_with_inference: u64,
    pub inferences_without_case: u64,
    pub duplicate_inferences: u64,
}

impl From<&JoinStats> for JoinStatsRecord {
    fn from(s: &JoinStats) -> Self {
        JoinStatsRecord {
            instances: s.instances,
            cases: s.cases,
            cases_with_inference: s.cases_with_inference,
            inferences_without_case: s.inferences_without_case,
            duplicate_inferences: s.duplicate_inferences,
        }
    }
}

/// A loaded, verified snapshot.
pub struct Snapshot {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// SHA-256 of manifest.yaml: the baseline's identity in reports.
    pub manifest_sha256: String,
    pub cases: RecordBatch,
    /// The acquisition clustering fitted with the baseline, when it could be fitted.
    pub cluster: Option<ClusterModel>,
    /// The calibration of the baseline's scores, when it could be fitted.
    pub calibration: Option<BaselineCalibration>,
}

/// The digest of one table read from `parts`: a single file's name and SHA-256 as they
/// are; for several parts, "FOLDER (N parts)" and the SHA-256 of the parts' SHA-256s in
/// order, so that the same parts give the same digest wherever they are mounted.
pub fn table_digest(parts: &[PathBuf], rows: u64) -> Result<FileDigest> {
    let name = |path: &Path| {
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().to_string(),
        )
    };
    if let [path] = parts {
        return Ok(FileDigest {
            name: name(path),
            rows,
            sha256: sha256_file(path)?,
        });
    }
    let mut listing = String::new();
    for part in parts {
        listing.push_str(&sha256_file(part)?);
        listing.push('\n');
    }
    let folder = parts
        .first()
        .and_then(|p| p.parent())
        .map_or_else(String::new, name);
    Ok(FileDigest {
        name: format!("{folder} ({} parts)", parts.len()),
        rows,
        sha256: sha256_bytes(listing.as_bytes()),
    })
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|source| Error::ReadInput {
        path: path.to_path_buf(),
        source,
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|source| Error::ReadInput {
            path: path.to_path_buf(),
            source,
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `cases`, the cluster model (if any) and the manifest into `dir`.
///
/// Every file is staged under a temporary name first and the three are put in place only
/// when all are complete, the manifest last: a failed write leaves the previous snapshot
/// as it was (or no snapshot), never new cases under an old manifest.
pub fn write(
    dir: &Path,
    cases: &RecordBatch,
    cluster: Option<&ClusterModel>,
    calibration: Option<&BaselineCalibration>,
    mut manifest: Manifest,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    let cases_path = dir.join(CASES);
    let cases = crate::table::cases::access::decoded(cases)
        .map_err(|e| Error::invalid(&cases_path, e.to_string()))?;
    let mut writer = TableWriter::create(&cases_path, cases.schema())?;
    writer.write(&cases)?;
    let (rows, cases_file) = writer.close()?;
    manifest.files = vec![FileDigest {
        name: CASES.into(),
        rows,
        sha256: sha256_file(cases_file.staged_path())?,
    }];
    let cluster_path = dir.join(CLUSTER);
    let cluster_file = cluster
        .map(|m| stage_json(&cluster_path, m, m.k as u64, &mut manifest.files))
        .transpose()?;
    let calibration_path = dir.join(CALIBRATION);
    let calibration_file = calibration
        .map(|c| stage_json(&calibration_path, c, c.labelled, &mut manifest.files))
        .transpose()?;
    let text = serde_norway::to_string(&manifest).expect("manifest serialises");
    let manifest_file =
        atomic::stage_with(&dir.join(MANIFEST), |out| out.write_all(text.as_bytes()))?;
    cases_file.commit()?;
    for file in [cluster_file, calibration_file].into_iter().flatten() {
        file.commit()?;
    }
    manifest_file.commit()?;
    for (unused, path) in [
        (cluster.is_none(), &cluster_path),
        (calibration.is_none(), &calibration_path),
    ] {
        if unused && path.exists() {
            std::fs::remove_file(path).map_err(|e| Error::write(path, e))?;
        }
    }
    Ok(())
}

/// Loads and verifies the snapshot in `dir`.
pub fn load(dir: &Path) -> Result<Snapshot> {
    let manifest_path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest_path).map_err(|source| Error::ReadInput {
        path: manifest_path.clone(),
        source,
    })?;
    // Read the version first, so a newer layout gets a clear message, not a parse error.
    #[derive(Deserialize)]
    struct Version {
        format_version: u32,
    }
    let version: Version = serde_norway::from_str(&text).map_err(|e| {
        Error::invalid(
            &manifest_path,
            format!("not a postmarket snapshot manifest: {e}"),
        )
    })?;
    if version.format_version > FORMAT_VERSION {
        return Err(Error::invalid(
            &manifest_path,
            format!(
                "snapshot format version {} is newer than this postmarket understands ({FORMAT_VERSION}); upgrade postmarket",
                version.format_version
            ),
        ));
    }
    let manifest: Manifest = serde_norway::from_str(&text)
        .map_err(|e| Error::invalid(&manifest_path, format!("invalid manifest: {e}")))?;
    if !manifest.files.iter().any(|f| f.name == CASES) {
        return Err(Error::invalid(&manifest_path, format!("lists no {CASES}")));
    }
    // The digests are checked while the files are parsed (the parse is thrown away if a
    // digest fails, and the digest's error is the one reported).
    let listed = |name: &str| manifest.files.iter().any(|f| f.name == name);
    let (verified, parsed) = rayon::join(
        || {
            use rayon::prelude::*;
            // Every file checked, the first failure in manifest order reported (the same
            // error whichever thread finishes first).
            let checked: Vec<Result<()>> = manifest
                .files
                .par_iter()
                .map(|file| verify(dir, file))
                .collect();
            checked.into_iter().collect::<Result<()>>()
        },
        || -> Result<_> {
            let cases_path = dir.join(CASES);
            let (cases, meta) = rayon::join(
                || read_all(&cases_path).and_then(|(_, b)| concat(&cases_path, b)),
                || -> Result<_> {
                    let cluster = listed(CLUSTER)
                        .then(|| read_json(&dir.join(CLUSTER), "cluster model"))
                        .transpose()?;
                    let calibration = listed(CALIBRATION)
                        .then(|| read_json(&dir.join(CALIBRATION), "calibration"))
                        .transpose()?;
                    Ok((cluster, calibration))
                },
            );
            let (cluster, calibration) = meta?;
            Ok((cases?, cluster, calibration))
        },
    );
    verified?;
    let (cases, cluster, calibration) = parsed?;
    Ok(Snapshot {
        cluster,
        calibration,
        dir: dir.to_path_buf(),
        manifest_sha256: sha256_bytes(text.as_bytes()),
        manifest,
        cases,
    })
}

/// Checks that a listed file exists and has the manifest's SHA-256.
fn verify(dir: &Path, file: &FileDigest) -> Result<()> {
    let path = dir.join(&file.name);
    if !path.is_file() {
        return Err(Error::invalid(&path, "listed in the manifest but missing"));
    }
    let actual = sha256_file(&path)?;
    if actual != file.sha256 {
        return Err(Error::invalid(
            &path,
            format!(
                "SHA-256 {actual} does not match the manifest ({}); the snapshot was altered",
                file.sha256
            ),
        ));
    }
    Ok(())
}

/// Stages `value` as pretty JSON at `path` and lists it (with `rows`) in `files`.
fn stage_json<T: Serialize>(
    path: &Path,
    value: &T,
    rows: u64,
    files: &mut Vec<FileDigest>,
) -> Result<atomic::AtomicFile> {
    let text = serde_json::to_string_pretty(value).expect("snapshot JSON serialises");
    let name = path
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    files.push(FileDigest {
        name,
        rows,
        sha256: sha256_bytes(text.as_bytes()),
    });
    atomic::stage_with(path, |out| out.write_all(text.as_bytes()))
}

/// A JSON file of the snapshot, parsed; `what` names it in the error.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ReadInput {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::invalid(path, format!("invalid {what}: {e}")))
}
