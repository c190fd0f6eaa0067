//! Opt-out tokens: the recipient's address and an HMAC-SHA256 of it, so the link in a
//! message opts out that address and no other, without a lookup table.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Minimum length in bytes of a key given in `LIAISON_NOTIFIER_OPT_OUT_KEY`.
pub const MIN_KEY_LEN: usize = 32;

/// The key the opt-out tokens are signed with.
#[derive(Clone)]
pub struct OptOutKey(Vec<u8>);

impl std::fmt::Debug for OptOutKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OptOutKey(..)")
    }
}

impl OptOutKey {
    /// Path of the generated key inside a data folder.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("keys").join("notifier-opt-out.key")
    }

    /// Uses `configured` (the setting's text) when given, else the key in the data
    /// folder, generating it on first use. Processes that share a database must share
    /// the key, so a multi-process deployment sets it.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(text) = configured {
            if text.len() < MIN_KEY_LEN {
                anyhow::bail!(
                    "invalid setting LIAISON_NOTIFIER_OPT_OUT_KEY: expected at least \
                     {MIN_KEY_LEN} characters of random text"
                );
            }
            return Ok(Self(text.as_bytes().to_vec()));
        }
        let path = Self::path(data_dir);
        if path.exists() {
            let text = std::fs::read_to_string(&path)?;
            return Ok(Self(text.trim().as_bytes().to_vec()));
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let text = URL_SAFE_NO_PAD.encode(seed);
        write_private(&path, &text)?;
        tracing::info!(key.path = %path.display(), "opt-out signing key generated");
        Ok(Self(text.into_bytes()))
    }

    /// Creates a key from raw bytes, for tests.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    fn mac(&self, address: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes a key of any size");
        mac.update(address.as_bytes());
        mac
    }

    /// Returns the opt-out token of `address`.
    pub fn token(&self, address: &str) -> String {
        let address = normalise(address);
        let tag = self.mac(&address).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(address.as_bytes()),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Returns the address a token was made for, or `None` when the token was not made
    /// with this key.
    pub fn verify(&self, token: &str) -> Option<String> {
        let (address, tag) = token.split_once('.')?;
        let address = String::from_utf8(URL_SAFE_NO_PAD.decode(address).ok()?).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(&address).verify_slice(&tag).ok()?;
        Some(address)
    }
}

/// Returns the form of an address that opt-outs are stored and matched in.
pub fn normalise(address: &str) -> String {
    address.trim().to_lowercase()
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_verifies_to_its_address() {
        let key = OptOutKey::from_bytes(b"k");

        let token = key.token("Info@Example.KZ");

        assert_eq!(key.verify(&token).as_deref(), Some("info@example.kz"));
    }

    #[test]
    fn token_of_another_key_is_rejected() {
        let token = OptOutKey::from_bytes(b"one").token("a@example.kz");

        assert_eq!(OptOutKey::from_bytes(b"two").verify(&token), None);
    }

    #[test]
    fn token_with_swapped_address_is_rejected() {
        let key = OptOutKey::from_bytes(b"k");
        let (_, tag) = key
            .token("a@example.kz")
            .split_once('.')
            .map(|(a, t)| (a.to_owned(), t.to_owned()))
            .unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("b@example.kz"));

        assert_eq!(key.verify(&forged), None);
    }
}
