//! Encryption at rest for what PostgreSQL holds of families' words: document bytes and sync
//! states are sealed with the relay key (XChaCha20-Poly1305, random nonce, the row's ids as
//! associated data so a sealed value cannot be moved to another row). Every instance sharing a
//! database needs the same key (`HOMEVISIT_RELAY_KEY`, or the same `relay.key`); a check value
//! in the database turns a mismatch into a clear error at start instead of unreadable rows.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const NONCE: usize = 24;
const CHECK: &[u8] = b"homevisit relay key check";

pub(crate) struct Sealer {
    cipher: XChaCha20Poly1305,
}

#[derive(Debug, thiserror::Error)]
#[error("a sealed value does not open with this relay's key")]
pub(crate) struct Unsealable;

impl Sealer {
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        Self { cipher: XChaCha20Poly1305::new(key.into()) }
    }

    /// `nonce || ciphertext` of `plain`, bound to `aad`.
    pub(crate) fn seal(&self, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).expect("the system random generator");
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
            .expect("XChaCha20-Poly1305 encryption does not fail for in-memory sizes");
        let mut out = Vec::with_capacity(NONCE + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Unsealable> {
        if sealed.len() < NONCE {
            return Err(Unsealable);
        }
        let (nonce, body) = sealed.split_at(NONCE);
        self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad }).map_err(|_| Unsealable)
    }

    /// The value stored once per database to recognise its key.
    pub(crate) fn key_check(&self) -> Vec<u8> {
        self.seal(CHECK, CHECK)
    }

    pub(crate) fn matches(&self, key_check: &[u8]) -> bool {
        self.open(CHECK, key_check).is_ok_and(|v| v == CHECK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_row() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal(b"visit-notes/1", b"Sofia loves soccer.");
        assert!(!sealed.windows(5).any(|w| w == b"Sofia"), "no plaintext at rest");
        assert_eq!(sealer.open(b"visit-notes/1", &sealed).unwrap(), b"Sofia loves soccer.");
        assert!(sealer.open(b"visit-notes/2", &sealed).is_err(), "bound to its row");
        assert!(Sealer::new(&[8; 32]).open(b"visit-notes/1", &sealed).is_err(), "bound to the key");
        assert!(sealer.matches(&sealer.key_check()));
        assert!(!Sealer::new(&[8; 32]).matches(&sealer.key_check()));
    }
}
