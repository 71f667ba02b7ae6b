//! Credentials for a DICOMweb server, as PACS deployments hand them out: HTTP basic (a
//! user and a password) or a bearer token. Secrets come from an environment variable or a
//! file, never from the command line; a token file is read again after a 401, so that a
//! sidecar can refresh it. Nothing here formats a secret into a message.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The password's environment variable (used when `--password-file` is not given).
pub const PASSWORD_ENV: &str = "POSTMARKET_DICOMWEB_PASSWORD";
/// The token's environment variable (used when `--token-file` is not given).
pub const TOKEN_ENV: &str = "POSTMARKET_DICOMWEB_TOKEN";

/// Where the credentials come from.
#[derive(Debug, Clone, Default)]
pub struct AuthOptions {
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
    pub token_file: Option<PathBuf>,
}

/// Resolved credentials.
#[derive(Clone)]
pub enum Auth {
    None,
    /// The full `Authorization` header value.
    Basic(String),
    Bearer {
        token: String,
        /// Re-read on a 401.
        file: Option<PathBuf>,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::Basic(_) => "Auth::Basic(..)",
            Auth::Bearer { .. } => "Auth::Bearer(..)",
        })
    }
}

impl Auth {
    /// Reads the credentials the options and environment point at.
    pub fn resolve(options: &AuthOptions) -> Result<Auth> {
        let token = match &options.token_file {
            Some(path) => Some(read_secret(path, "--token-file")?),
            None => env_secret(TOKEN_ENV),
        };
        if let Some(user) = &options.user {
            if options.token_file.is_some() {
                return Err(Error::Usage(
                    "--dicomweb-user and --token-file are two ways to log in; give one".into(),
                ));
            }
            let password = match &options.password_file {
                Some(path) => read_secret(path, "--password-file")?,
                None => env_secret(PASSWORD_ENV).ok_or_else(|| {
                    Error::Usage(format!(
                        "--dicomweb-user needs a password: set {PASSWORD_ENV} or give \
                         --password-file FILE"
                    ))
                })?,
            };
            return Ok(Auth::Basic(basic_header(user, &password)));
        }
        if options.password_file.is_some() {
            return Err(Error::Usage("--password-file needs --dicomweb-user".into()));
        }
        Ok(match token {
            Some(token) => Auth::Bearer {
                token,
                file: options.token_file.clone(),
            },
            None => Auth::None,
        })
    }

    pub fn is_some(&self) -> bool {
        !matches!(self, Auth::None)
    }

    /// The `Authorization` header value, if any.
    pub fn header(&self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Basic(value) => Some(value.clone()),
            Auth::Bearer { token, .. } => Some(format!("Bearer {token}")),
        }
    }

    /// After a 401: a bearer token read from a file is read again; true when it changed.
    pub fn refresh(&mut self) -> Result<bool> {
        if let Auth::Bearer {
            token,
            file: Some(path),
        } = self
        {
            let fresh = read_secret(path, "--token-file")?;
            if fresh != *token {
                *token = fresh;
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn env_secret(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim_end_matches(['\n', '\r']).to_string())
        .filter(|v| !v.is_empty())
}

fn read_secret(path: &Path, flag: &str) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ReadInput {
        path: path.to_path_buf(),
        source,
    })?;
    let secret = text.trim_end_matches(['\n', '\r']).to_string();
    if secret.is_empty() {
        return Err(Error::Usage(format!("{flag} {} is empty", path.display())));
    }
    Ok(secret)
}

/// The `Authorization` value for HTTP basic authentication.
pub fn basic_header(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

/// Standard base64 with padding (RFC 4648), for the basic-auth header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether `host` (as in a URL, IPv6 in brackets) is this machine.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
            ("alice:s3cret", "YWxpY2U6czNjcmV0"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    #[test]
    fn loopback_hosts() {
        for host in ["127.0.0.1", "localhost", "[::1]", "127.1.2.3"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["10.0.0.1", "pacs.example.org", "[2001:db8::1]"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let auth = Auth::Bearer {
            token: "TOPSECRET".into(),
            file: None,
        };
        assert!(!format!("{auth:?}").contains("TOPSECRET"));
        let basic = Auth::Basic("Basic YWxpY2U6czNjcmV0".into());
        assert!(!format!("{basic:?}").contains("YWxp"));
    }
}
