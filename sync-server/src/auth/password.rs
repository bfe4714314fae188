//! Password hashing with argon2id (the crate's default parameters: 19 MiB, 2 passes, 1 lane),
//! stored as PHC strings so parameters can be raised later without a migration.
//!
//! Invariants: these functions are CPU- and memory-heavy and blocking: call them on the blocking
//! pool and under [`crate::state::AppState::hash_pool`]. [`verify_dummy`] costs the same as a
//! real verification, so an unknown user name takes as long as a wrong password.

use std::sync::OnceLock;

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::RngCore;

/// Hashing failed (only on absurd input such as a multi-gigabyte password).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(String);

/// Hashes `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError(e.to_string()))
}

/// Whether `password` matches the PHC string `stored`. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the same work as [`verify_password`] against a hash nobody knows the password of.
/// Always returns `false`.
pub fn verify_dummy(password: &str) -> bool {
    let _ = verify_password(password, dummy_hash());
    false
}

/// Computes the dummy hash ahead of time, so the first unknown-user login is not slower (and thus
/// distinguishable) than the others.
pub fn warm_up() {
    let _ = dummy_hash();
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        // Hashing a fixed-length random string cannot fail; if it somehow did, an empty string
        // still makes `verify_password` parse-and-fail quickly, which only weakens the timing
        // guarantee rather than breaking login.
        hash_password(&format!("{secret:?}")).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("gridmate-demo").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("gridmate-demo", &h));
        assert!(!verify_password("gridmate-dem0", &h));
        assert!(!verify_password("gridmate-demo", "not a phc string"));
        assert_ne!(hash_password("gridmate-demo").unwrap(), h, "salts differ");
        assert!(!verify_dummy("gridmate-demo"));
        assert!(dummy_hash().starts_with("$argon2id$"));
    }
}
