//! The HTTP side: one `ureq` agent (synchronous, rustls, connections kept alive and shared
//! by the `--jobs` workers), credentials, timeouts, and retries with exponential backoff on
//! connection errors, 408, 429 and 5xx, honouring `Retry-After`.
//!
//! Every answer the scan asks for is a JSON array (QIDO-RS results, WADO-RS metadata);
//! `200 []`, an empty body and `204` all mean "none". A refused login is fatal (exit 3);
//! anything else that fails is the caller's per-series reject. Messages name the resource
//! path, never the credentials; the base URL may not carry any (`user:pass@`).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value as Json;

use super::auth::AuthOptions;
use crate::error::Error;

// The HTTP client itself needs `ureq` and rustls: built with the `dicomweb` feature (on by
// default). Without it, `Client::new` says how to get it and nothing else changes.
#[cfg(feature = "dicomweb")]
pub use super::http::Client;
#[cfg(not(feature = "dicomweb"))]
pub use off::Client;

/// How to reach and log in to the server.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The DICOMweb root, e.g. `https://pacs.example.org/dicom-web`.
    pub base_url: String,
    pub auth: AuthOptions,
    /// A PEM bundle of the hospital's own CA, trusted instead of the public roots.
    pub ca_cert: Option<PathBuf>,
    /// Connect timeout, and the most time to wait for each answer.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first backoff; doubled each retry (at most 30 s) unless `Retry-After` says.
    pub backoff: Duration,
    /// The largest response body accepted (metadata of a large series is big).
    pub max_body_bytes: u64,
    /// Idle keep-alive connections kept for the server (the number of workers).
    pub connections: usize,
}

impl ClientOptions {
    pub fn new(base_url: &str) -> Self {
        ClientOptions {
            base_url: base_url.to_string(),
            auth: AuthOptions::default(),
            ca_cert: None,
            timeout: Duration::from_secs(60),
            retries: 4,
            backoff: Duration::from_millis(250),
            max_body_bytes: 1 << 30,
            connections: 4,
        }
    }
}

/// An answer: the array's items, and whether the server said more results exist
/// (`Warning: 299 ... additional results`).
#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<Json>,
    pub more: bool,
}

/// Why a request failed.
#[derive(Debug)]
pub enum Failure {
    /// Stops the whole run: refused credentials.
    Fatal(Error),
    /// This resource could not be read (after retries).
    Failed(String),
}

#[cfg(not(feature = "dicomweb"))]
mod off {
    use super::{ClientOptions, Failure, Page};
    use crate::error::{Error, Result};

    /// Never constructed: this build has no HTTP client.
    pub enum Client {}

    impl Client {
        pub fn new(_: &ClientOptions) -> Result<Client> {
            Err(Error::Usage(
                "this postmarket was built without DICOMweb support: rebuild with the default \
                 features (cargo feature `dicomweb`), or scan files with --dicom"
                    .into(),
            ))
        }

        pub fn shown(&self, _: &str) -> String {
            match *self {}
        }

        pub fn retried(&self) -> u64 {
            match *self {}
        }

        pub fn get_array(&self, _: &str) -> std::result::Result<Page, Failure> {
            match *self {}
        }
    }
}
