//! The HTTP side: one `ureq` agent (synchronous, rustls, connections kept alive and shared
//! by the `--jobs` workers), credentials, timeouts, and retries with exponential backoff on
//! connection errors, 408, 429 and 5xx, honouring `Retry-After`.
//!
//! Every answer the scan asks for is a JSON array (QIDO-RS results, WADO-RS metadata);
//! `200 []`, an empty body and `204` all mean "none". A refused login is fatal (exit 3);
//! anything else that fails is the caller's per-series reject. Messages name the resource
//! path, never the credentials; the base URL may not carry any (`user:pass@`).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value as Json;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use super::auth::{is_loopback, Auth, AuthOptions};
use crate::error::{Error, Result};

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

pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth: Mutex<Auth>,
    options: ClientOptions,
}

impl Client {
    pub fn new(options: &ClientOptions) -> Result<Client> {
        let base = options.base_url.trim_end_matches('/').to_string();
        let (scheme, rest) = base
            .split_once("://")
            .ok_or_else(|| Error::Usage("--dicomweb needs an http:// or https:// URL".into()))?;
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains('@') {
            return Err(Error::Usage(
                "--dicomweb: put no credentials in the URL; use --dicomweb-user with \
                 POSTMARKET_DICOMWEB_PASSWORD or --password-file, or a token"
                    .into(),
            ));
        }
        if base.contains(['?', '#']) {
            return Err(Error::Usage(
                "--dicomweb takes the service root, without a query".into(),
            ));
        }
        let host = match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => authority,
        };
        let auth = Auth::resolve(&options.auth)?;
        match scheme.to_ascii_lowercase().as_str() {
            "https" => {}
            "http" if auth.is_some() && !is_loopback(host) => {
                return Err(Error::Usage(format!(
                    "refusing to send credentials over plain http to {host}: use https \
                     (plain http is allowed to loopback only)"
                )))
            }
            "http" => {}
            _ => {
                return Err(Error::Usage(
                    "--dicomweb needs an http:// or https:// URL".into(),
                ))
            }
        }
        let mut tls = TlsConfig::builder();
        if let Some(path) = &options.ca_cert {
            let pem = std::fs::read(path).map_err(|source| Error::ReadInput {
                path: path.clone(),
                source,
            })?;
            let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::invalid(path, format!("not a PEM certificate bundle: {e}")))?;
            if certs.is_empty() {
                return Err(Error::invalid(path, "no certificate in this PEM file"));
            }
            tls = tls.root_certs(RootCerts::new_with_certs(&certs));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(options.timeout.min(Duration::from_secs(30))))
            .timeout_recv_response(Some(options.timeout))
            .timeout_recv_body(Some(options.timeout))
            .max_idle_connections_per_host(options.connections.max(1))
            .max_idle_connections(options.connections.max(1) * 2)
            .tls_config(tls.build())
            .user_agent(concat!("postmarket/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Client {
            agent: config.into(),
            base,
            auth: Mutex::new(auth),
            options: options.clone(),
        })
    }

    /// A resource path (below the root, so without host or credentials) without its
    /// query, for messages.
    pub fn shown(&self, path: &str) -> String {
        path.split('?').next().unwrap_or(path).to_string()
    }

    /// GETs `path` (below the root, starting with `/`) as `application/dicom+json`.
    pub fn get_array(&self, path: &str) -> std::result::Result<Page, Failure> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            let header = self.auth.lock().expect("auth lock").header();
            let mut request = self
                .agent
                .get(&url)
                .header("Accept", "application/dicom+json");
            if let Some(value) = header {
                request = request.header("Authorization", value);
            }
            let wait = match request.call() {
                Ok(response) => {
                    let status = response.status().as_u16();
                    match status {
                        200 => return self.read_page(response, path),
                        204 => return Ok(Page::default()),
                        401 | 403 => {
                            if status == 401 && !refreshed && self.refresh_token()? {
                                refreshed = true;
                                continue;
                            }
                            return Err(Failure::Fatal(Error::Remote {
                                url: self.shown(path),
                                message: format!(
                                    "the server refused the credentials (HTTP {status}); \
                                     check --dicomweb-user and the password, or the token"
                                ),
                            }));
                        }
                        408 | 429 | 500..=599 if attempt < self.options.retries => {
                            retry_after(response.headers()).unwrap_or_else(|| self.backoff(attempt))
                        }
                        _ => {
                            return Err(Failure::Failed(format!(
                                "HTTP {status} after {} attempt(s)",
                                attempt + 1
                            )))
                        }
                    }
                }
                Err(e) if attempt < self.options.retries && retryable(&e) => self.backoff(attempt),
                Err(e) => {
                    return Err(Failure::Failed(format!(
                        "{} after {} attempt(s)",
                        describe(&e),
                        attempt + 1
                    )))
                }
            };
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn refresh_token(&self) -> std::result::Result<bool, Failure> {
        self.auth
            .lock()
            .expect("auth lock")
            .refresh()
            .map_err(Failure::Fatal)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.min(16);
        (self.options.backoff * factor).min(Duration::from_secs(30))
    }

    fn read_page(
        &self,
        response: ureq::http::Response<ureq::Body>,
        path: &str,
    ) -> std::result::Result<Page, Failure> {
        let more = response
            .headers()
            .get_all("warning")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.trim_start().starts_with("299") && v.to_ascii_lowercase().contains("additional")
            });
        let body = response
            .into_body()
            .with_config()
            .limit(self.options.max_body_bytes)
            .read_to_vec()
            .map_err(|e| Failure::Failed(format!("reading the answer: {}", describe(&e))))?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Page {
                items: Vec::new(),
                more,
            });
        }
        match serde_json::from_slice::<Json>(&body) {
            Ok(Json::Array(items)) => Ok(Page { items, more }),
            Ok(_) => Err(Failure::Failed(format!(
                "{}: the answer is not a JSON array",
                self.shown(path)
            ))),
            Err(e) => Err(Failure::Failed(format!(
                "{}: the answer is not JSON ({e})",
                self.shown(path)
            ))),
        }
    }
}

/// `Retry-After` in seconds (an HTTP date is treated as "soon"), at most 120 s.
fn retry_after(headers: &ureq::http::HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    let seconds = value.parse::<u64>().unwrap_or(1);
    Some(Duration::from_secs(seconds.min(120)))
}

fn retryable(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Timeout(_)
            | ureq::Error::Protocol(_)
    )
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::BodyExceedsLimit(limit) => {
            format!("the answer is larger than the {limit}-byte limit")
        }
        other => other.to_string(),
    }
}
