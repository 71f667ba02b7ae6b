//! A throw-away Orthanc for the DICOMweb tests: loopback only, a free port, basic auth, the
//! DICOMweb plugin, storage in a temp folder; killed when dropped.
//!
//! Debian's `orthanc` + `orthanc-dicomweb` packages provide it (`.ci/run` installs them).
//! Where `/usr/sbin/Orthanc` is absent the tests print a note and pass, unless
//! `POSTMARKET_REQUIRE_ORTHANC=1`, when they fail.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use postmarket::ingest::dicomweb::auth::basic_header;

pub const BINARY: &str = "/usr/sbin/Orthanc";
pub const PLUGIN: &str = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";
pub const USER: &str = "alice";
/// Distinctive, so tests can assert it never appears in any output.
pub const PASSWORD: &str = "pw-Zq81-SECRET-x7";

pub struct Orthanc {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
}

/// An Orthanc, or `None` (with a printed note) when it is not installed and not required.
pub fn start(metadata_mode: &str) -> Option<Orthanc> {
    let present = Path::new(BINARY).exists() && Path::new(PLUGIN).exists();
    if !present {
        if std::env::var("POSTMARKET_REQUIRE_ORTHANC").as_deref() == Ok("1") {
            panic!("POSTMARKET_REQUIRE_ORTHANC=1 but {BINARY} or {PLUGIN} is missing");
        }
        eprintln!("note: {BINARY} not installed; skipping this DICOMweb test against Orthanc");
        return None;
    }
    Some(Orthanc::start(metadata_mode))
}

impl Orthanc {
    fn start(metadata_mode: &str) -> Orthanc {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let storage = dir.path().join("db");
        let config = serde_json::json!({
            "Name": "postmarket-test",
            "HttpPort": port,
            "DicomServerEnabled": false,
            "RemoteAccessAllowed": false,
            "AuthenticationEnabled": true,
            "RegisteredUsers": {USER: PASSWORD},
            "StorageDirectory": storage,
            "IndexDirectory": storage,
            "Plugins": [PLUGIN],
            "DicomWeb": {
                "Enable": true,
                "Root": "/dicom-web/",
                "StudiesMetadata": metadata_mode,
                "SeriesMetadata": metadata_mode
            }
        });
        let config_path = dir.path().join("orthanc.json");
        std::fs::write(&config_path, config.to_string()).unwrap();
        let log = std::fs::File::create(dir.path().join("orthanc.log")).unwrap();
        let child = Command::new(BINARY)
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start Orthanc");
        let orthanc = Orthanc { child, dir, port };
        orthanc.wait_ready();
        orthanc
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/dicom-web", self.port)
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into()
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        let url = format!("http://127.0.0.1:{}/system", self.port);
        loop {
            let answer = Self::agent()
                .get(&url)
                .header("Authorization", basic_header(USER, PASSWORD))
                .call();
            if answer.is_ok_and(|r| r.status() == 200) {
                return;
            }
            let log = std::fs::read_to_string(self.dir.path().join("orthanc.log"));
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "Orthanc did not start on port {}:\n{}",
                self.port,
                log.unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// POSTs one DICOM file to /instances; the HTTP status.
    pub fn upload(&self, file: &Path) -> u16 {
        let bytes = std::fs::read(file).unwrap();
        let url = format!("http://127.0.0.1:{}/instances", self.port);
        Self::agent()
            .post(&url)
            .header("Authorization", basic_header(USER, PASSWORD))
            .header("Content-Type", "application/dicom")
            .send(&bytes[..])
            .expect("upload to Orthanc")
            .status()
            .as_u16()
    }

    /// Uploads every file (sorted) and returns the ones Orthanc accepted.
    pub fn upload_all(&self, files: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
        files
            .iter()
            .filter(|f| self.upload(f) == 200)
            .cloned()
            .collect()
    }
}

impl Drop for Orthanc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The regular files under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = walk(dir);
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
