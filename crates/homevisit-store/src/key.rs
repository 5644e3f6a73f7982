use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The 256-bit key that encrypts the store. On a phone it lives in the Android Keystore or iOS
/// Keychain and is handed to the store at open; it is never written next to the database.
/// It is used as a raw SQLCipher key (no passphrase derivation: it is already random).
///
/// Wiped from memory when dropped (every clone too), and never printed: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct DbKey([u8; 32]);

impl DbKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hex characters (surrounding whitespace ignored).
    pub fn from_hex(hex_key: &str) -> Option<Self> {
        let mut key = Self([0u8; 32]);
        hex::decode_to_slice(hex_key.trim(), &mut key.0).ok()?; // a failure drops (wipes) `key`
        Some(key)
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut key = Self([0u8; 32]);
        getrandom::fill(&mut key.0)?;
        Ok(key)
    }

    /// The raw key, for a component that encrypts with it too (the relay's PostgreSQL storage).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key as 64 hex characters, wiped when the caller drops it.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0))
    }
}

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_hex_and_never_print() {
        let k = DbKey::generate().unwrap();
        assert_eq!(DbKey::from_hex(&k.to_hex()), Some(k.clone()));
        assert_eq!(format!("{k:?}"), "DbKey(<redacted>)");
        assert!(DbKey::from_hex("abcd").is_none());
        assert!(DbKey::from_hex(&"zz".repeat(32)).is_none());
    }

    #[test]
    fn keys_are_wiped() {
        // What Drop runs (ZeroizeOnDrop calls `zeroize`), observed without reading freed memory.
        let mut k = DbKey::from_bytes([0xAB; 32]);
        k.zeroize();
        assert_eq!(k.as_bytes(), &[0u8; 32]);
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<DbKey>();
    }
}
