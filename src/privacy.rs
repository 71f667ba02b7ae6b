//! Pseudonymisation of identifiers with a keyed hash (HMAC-SHA-256).
//!
//! `scan` and `logs` apply the same function to UIDs, so the series UID in the headers and
//! the key in the inference logs still join after pseudonymisation, while nobody without
//! the key can link a row back to the PACS. The key comes from an environment variable or
//! a file named in the config, never from the config text itself.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::PseudonymizeConfig;
use crate::error::{Error, Result};

/// Shortest key accepted: a short key makes the hash guessable by brute force over UIDs.
const MIN_KEY_BYTES: usize = 16;

/// Maps identifiers to pseudonyms; the identity when pseudonymisation is off.
#[derive(Clone)]
pub struct Pseudonymizer {
    mac: Option<Hmac<Sha256>>,
}

impl Pseudonymizer {
    pub fn off() -> Self {
        Pseudonymizer { mac: None }
    }

    pub fn from_key(key: &[u8]) -> Self {
        let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
        Pseudonymizer { mac: Some(mac) }
    }

    /// Builds from the config section, reading the key from its environment variable or file.
    pub fn from_config(config: Option<&PseudonymizeConfig>) -> Result<Self> {
        let Some(config) = config else {
            return Ok(Pseudonymizer::off());
        };
        let (source_name, key) = if let Some(var) = &config.key_env {
            let name = format!("environment variable {var}");
            let value = std::env::var_os(var).ok_or_else(|| Error::ReadKey {
                source_name: name.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not set"),
            })?;
            (name, value.into_encoded_bytes())
        } else {
            let path = config
                .key_file
                .as_ref()
                .expect("config validated one source");
            let name = format!("file {}", path.display());
            let mut bytes = std::fs::read(path).map_err(|source| Error::ReadKey {
                source_name: name.clone(),
                source,
            })?;
            while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                bytes.pop();
            }
            (name, bytes)
        };
        if key.len() < MIN_KEY_BYTES {
            return Err(Error::WeakKey(source_name));
        }
        Ok(Pseudonymizer::from_key(&key))
    }

    pub fn is_on(&self) -> bool {
        self.mac.is_some()
    }

    /// The pseudonym of `id` (64 lowercase hex digits), or `id` itself when off.
    pub fn apply(&self, id: &str) -> String {
        match &self.mac {
            None => id.to_string(),
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(id.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc4231_hmac_sha256_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        let p = Pseudonymizer::from_key(b"Jefe");
        assert_eq!(
            p.apply("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn off_is_the_identity_and_on_is_deterministic() {
        assert_eq!(Pseudonymizer::off().apply("1.2.3"), "1.2.3");
        let p = Pseudonymizer::from_key(b"0123456789abcdef0123");
        assert_eq!(p.apply("1.2.3"), p.apply("1.2.3"));
        assert_ne!(p.apply("1.2.3"), p.apply("1.2.4"));
    }
}
