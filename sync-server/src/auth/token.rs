//! Bearer tokens: `gm1_` + base64url (no padding) of 32 random bytes. The server stores only the
//! SHA-256 of the whole token string, so a copy of `server.db` does not let anyone sign in.
//!
//! Invariants: tokens come from the OS-seeded CSPRNG; [`IssuedToken`]'s `Debug` never prints the
//! token; [`hash_token`] rejects anything that is not exactly the issued shape, so garbage never
//! reaches the database.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Version prefix, so the format can change later and leaked tokens are easy to grep for.
pub const TOKEN_PREFIX: &str = "gm1_";
const TOKEN_BYTES: usize = 32;
/// base64url of 32 bytes without padding.
const ENCODED_LEN: usize = 43;

/// A token just issued: `token` goes to the client once, `hash` goes to storage.
pub struct IssuedToken {
    pub token: String,
    pub hash: [u8; 32],
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Makes a fresh random token.
pub fn generate() -> IssuedToken {
    let mut bytes = [0u8; TOKEN_BYTES];
    // ThreadRng is a CSPRNG reseeded from the OS; good for secrets.
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = digest(&token);
    IssuedToken { token, hash }
}

/// The storage key of a token presented by a client, or `None` if it is not a well-formed token.
pub fn hash_token(token: &str) -> Option<[u8; 32]> {
    let body = token.strip_prefix(TOKEN_PREFIX)?;
    if body.len() != ENCODED_LEN {
        return None;
    }
    let decoded = URL_SAFE_NO_PAD.decode(body).ok()?;
    (decoded.len() == TOKEN_BYTES).then(|| digest(token))
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn generated_tokens_have_the_documented_shape() {
        let t = generate();
        assert!(t.token.starts_with("gm1_"));
        assert_eq!(t.token.len(), 4 + 43);
        assert_eq!(hash_token(&t.token), Some(t.hash));
        assert_ne!(generate().token, t.token);
        assert!(!format!("{t:?}").contains(&t.token[4..]));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        let t = generate().token;
        assert_eq!(hash_token(""), None);
        assert_eq!(hash_token(&t[4..]), None, "missing prefix");
        assert_eq!(hash_token(&format!("gm2_{}", &t[4..])), None);
        assert_eq!(hash_token(&t[..t.len() - 1]), None);
        assert_eq!(hash_token(&format!("{}=", &t)), None);
        assert_eq!(hash_token(&format!("gm1_{}", "*".repeat(43))), None);
    }
}
