//! Dashboard passwords: hashed with argon2id (RustCrypto's `argon2`, OWASP's parameters: 19 MiB,
//! 2 passes, 1 lane) into a PHC string with its own random salt; only that string is stored.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password accepted when one is set.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (hashing is the costly step; longer input is refused before it).
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")]
    Length,
    #[error("the system random generator failed")]
    Random,
    #[error("the password could not be hashed")]
    Hash,
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("valid parameters"))
}

/// A new password's PHC string (argon2id, random salt).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(PasswordError::Length);
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| PasswordError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| PasswordError::Hash)?;
    Ok(argon2().hash_password(password.as_bytes(), &salt).map_err(|_| PasswordError::Hash)?.to_string())
}

/// Whether `password` matches the stored PHC string. A stored string that does not parse, or an
/// over-long password, never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash to verify against when the username is unknown, so an unknown user takes as long to
/// refuse as a wrong password (no telling which usernames exist by timing).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not-a-password-anyone-has").expect("hashing a fixed password"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_and_nothing_else_does() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterz", &phc));
        assert!(!verify_password("correct horse battery", "not a phc string"));
        assert_ne!(phc, hash_password("correct horse battery").unwrap(), "each hash has its own salt");
        assert_eq!(hash_password("short"), Err(PasswordError::Length));
        assert!(!verify_password(&"x".repeat(MAX_PASSWORD_CHARS + 1), &phc));
    }
}
