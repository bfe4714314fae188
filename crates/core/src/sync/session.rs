//! The session after sign-in: signing out (the token dies at the server when it can be reached,
//! the binding is forgotten on the device in any case) and token rotation (a fresh token when the
//! current one is older than [`TOKEN_ROTATE_AFTER_MS`], asked for after a successful sync).
//!
//! Invariants: a sign-out the store refuses (unsynced records without `force`) changes nothing,
//! at the server either; the device signs out locally even offline. A rotation is stored in the
//! binding in one statement and only if the binding still holds the token that was rotated; a
//! rotation that fails (offline, an older server) never fails the sync: the old token keeps
//! working until the new one is first used (docs/sync-protocol.md, "Tokens").

use gridmate_domain::Timestamp;

use super::driver::{SharedStore, SyncError, with_store};
use super::transport::{SyncClient, TransportError};

/// A token is rotated once it is older than this (7 days).
pub const TOKEN_ROTATE_AFTER_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Signs out: forgets the server binding (refused while records are unsynced unless `force`),
/// then tells the server, so the token stops working there too. Returns whether the server
/// confirmed; `false` when it could not be reached (the token then dies when it expires, or when
/// an administrator revokes the device).
pub async fn sign_out(store: &SharedStore, force: bool) -> Result<bool, SyncError> {
    let binding = with_store(store, move |s| {
        let b = s.server_binding()?;
        s.unbind_server(force)?;
        Ok(b)
    })
    .await?;
    let Some(b) = binding else {
        return Ok(false);
    };
    let client = SyncClient::with_ca(
        &b.server_url,
        b.allow_insecure,
        b.ca_cert.as_deref(),
        Some(b.token),
    )?;
    match client.logout().await {
        Ok(()) => Ok(true),
        // Already dead there (expired, revoked, logged out elsewhere): nothing left to end.
        Err(TransportError::Server { status, .. }) if status == 401 || status == 403 => Ok(true),
        Err(e) => {
            tracing::info!(code = e.code(), "signed out on this device only");
            Ok(false)
        }
    }
}

/// Rotates the token of `client` (the store's binding) now and stores the new one.
pub async fn rotate_token(store: &SharedStore, client: &SyncClient) -> Result<(), SyncError> {
    let old = client.token().ok_or(SyncError::NotConfigured)?.to_owned();
    let now = Timestamp::now().millis();
    let rotated = match client.rotate_token().await {
        Ok(r) => r,
        // A server from before rotation: keep the token, ask again after the usual age.
        Err(TransportError::Server { status, .. }) if status == 404 || status == 405 => {
            with_store(store, move |s| s.replace_token(&old, &old, now)).await?;
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    with_store(store, move |s| s.replace_token(&old, &rotated.token, now)).await?;
    Ok(())
}

/// [`rotate_token`] when the binding's token is older than [`TOKEN_ROTATE_AFTER_MS`] (or of
/// unknown age); failures are logged, never returned.
pub(super) async fn rotate_if_due(store: &SharedStore, client: &SyncClient) {
    let due = with_store(store, |s| s.server_binding())
        .await
        .ok()
        .flatten()
        .is_some_and(|b| is_due(b.token_issued_at, Timestamp::now().millis()));
    if due && let Err(e) = rotate_token(store, client).await {
        tracing::info!(code = e.code(), "token not rotated; the current one stays");
    }
}

/// Whether a token received at `issued_at` (unknown: `None`) is due for rotation at `now`. A
/// clock set back (issued in the future) rotates too, rather than never.
fn is_due(issued_at: Option<i64>, now: i64) -> bool {
    issued_at.is_none_or(|t| now - t >= TOKEN_ROTATE_AFTER_MS || t > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_is_due_after_a_week_or_when_the_age_is_unknown() {
        let day = 24 * 60 * 60 * 1000;
        assert!(is_due(None, 0));
        assert!(!is_due(Some(10 * day), 16 * day));
        assert!(is_due(Some(10 * day), 17 * day));
        assert!(is_due(Some(20 * day), 17 * day), "a clock set back");
    }
}
