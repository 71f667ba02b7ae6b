//! The DICOMweb HTTP client (feature `dicomweb`): see [`super::client`].

use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value as Json;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use super::auth::{is_loopback, Auth};
use super::client::{ClientOptions, Failure, Page};
use crate::error::{Error, Result};

pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth: Mutex<Auth>,
    options: ClientOptions,
    /// Attempts that failed and were tried again, over the whole run.
    retried: std::sync::atomic::AtomicU64,
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
            retried: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// A resource path (below the root, so without host or credentials) without its
    /// query, for messages.
    pub fn shown(&self, path: &str) -> String {
        path.split('?').next().unwrap_or(path).to_string()
    }

    /// Attempts that failed and were tried again so far.
    pub fn retried(&self) -> u64 {
        self.retried.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// GETs `path` (below the root, starting with `/`) as `application/dicom+json`. Every
    /// GET is idempotent, so any failure of an attempt — refused, reset or closed
    /// connection, a timeout, an answer cut off before its Content-Length, a 200 whose
    /// body does not parse as JSON — is tried again, up to `retries` times with backoff
    /// (or the server's Retry-After). Only an answer that is whole and still wrong (not a
    /// JSON array, over the size limit, a 4xx) fails at once.
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
                        200 => match self.read_page(response, path) {
                            Ok(page) => return Ok(page),
                            Err(Read::Again(_)) if attempt < self.options.retries => {
                                self.backoff(attempt)
                            }
                            Err(Read::Again(why)) => {
                                return Err(Failure::Failed(format!(
                                    "{why} after {} attempt(s)",
                                    attempt + 1
                                )))
                            }
                            Err(Read::Final(why)) => return Err(Failure::Failed(why)),
                        },
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
            self.retried
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

    /// Reads a 200's body: a failure that another attempt may not repeat (the body cut
    /// off, the connection dropped, a timeout, JSON that ends early) is `Again`.
    fn read_page(
        &self,
        response: ureq::http::Response<ureq::Body>,
        path: &str,
    ) -> std::result::Result<Page, Read> {
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
            .map_err(|e| {
                let why = format!("{}: reading the answer: {}", self.shown(path), describe(&e));
                match e {
                    ureq::Error::BodyExceedsLimit(_) => Read::Final(why),
                    _ => Read::Again(why),
                }
            })?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Page {
                items: Vec::new(),
                more,
            });
        }
        match serde_json::from_slice::<Json>(&body) {
            Ok(Json::Array(items)) => Ok(Page { items, more }),
            Ok(_) => Err(Read::Final(format!(
                "{}: the answer is not a JSON array",
                self.shown(path)
            ))),
            Err(e) => Err(Read::Again(format!(
                "{}: the answer is not JSON ({e})",
                self.shown(path)
            ))),
        }
    }
}

/// Why a 200's body could not be used.
enum Read {
    /// Worth another attempt.
    Again(String),
    /// Another attempt would get the same.
    Final(String),
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110: IMF-fixdate, as RFC 2822 reads
/// it), at most 120 s; a date in the past is "now".
fn retry_after(headers: &ureq::http::HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    let seconds = match value.parse::<u64>() {
        Ok(seconds) => seconds,
        Err(_) => {
            let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            (when.timestamp() - now).max(0) as u64
        }
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> ureq::http::HeaderMap {
        let mut map = ureq::http::HeaderMap::new();
        map.insert("retry-after", value.parse().unwrap());
        map
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(retry_after(&headers("7")), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(&headers("100000")),
            Some(Duration::from_secs(120))
        );
        // A date in the past is "now"; one in the future is the wait until then.
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        let soon = chrono::Utc::now() + chrono::Duration::seconds(30);
        let wait = retry_after(&headers(&soon.to_rfc2822().replace("+0000", "GMT"))).unwrap();
        assert!((28..=30).contains(&wait.as_secs()), "{wait:?}");
        assert_eq!(retry_after(&headers("soon")), None);
    }
}
