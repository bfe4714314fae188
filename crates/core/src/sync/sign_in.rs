//! Signing in to a server and binding the account's store to it: one flow for the app, the CLI
//! and the whole-system tests. The store work runs on the blocking pool; the binding is written
//! only after the server accepted the password, so a failed sign-in changes nothing.

use gridmate_domain::{ErrorCode, FieldError};

use super::driver::{SharedStore, SyncError, with_store};
use super::transport::{LoginResponse, SyncClient};
use crate::store::ServerBinding;

/// What a sign-in sends.
#[derive(Debug, Clone)]
pub struct SignIn<'a> {
    pub server: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    /// Plain HTTP to a non-loopback address (only on a network one trusts).
    pub allow_insecure: bool,
    /// How the device appears in the server's device list.
    pub device_name: &'a str,
    /// The operator's own CA certificate (PEM text), for a server whose certificate a private
    /// CA signed; kept in the binding so every later sync trusts it. Blank means none.
    pub ca_cert: Option<&'a str>,
}

/// Whether `s` can be a user name: what the server accepts, and safe as a folder name.
pub fn is_valid_user_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// [`is_valid_user_name`] as the field error a sign-in form shows.
pub fn check_user_name(s: &str) -> Result<(), FieldError> {
    if is_valid_user_name(s) {
        return Ok(());
    }
    Err(FieldError::new(
        ErrorCode::InvalidValue,
        "user",
        "用户名无效：只能包含字母、数字、点、下划线和连字符",
        "invalid user name: letters, digits, dots, underscores and hyphens only",
    ))
}

/// Signs in with the store's device id and binds the store to the server; returns the server's
/// answer (token, user, scope).
pub async fn sign_in(store: &SharedStore, req: &SignIn<'_>) -> Result<LoginResponse, SyncError> {
    let user = req.user.trim();
    check_user_name(user).map_err(SyncError::Invalid)?;
    let ca_cert = req.ca_cert.map(str::trim).filter(|c| !c.is_empty());
    let client = SyncClient::with_ca(req.server.trim(), req.allow_insecure, ca_cert, None)?;
    let device_id = with_store(store, |s| s.device_id()).await?;
    let resp = client
        .login(user, req.password, &device_id, req.device_name)
        .await?;
    let binding = ServerBinding {
        server_url: client.base_url().to_owned(),
        user: resp.user.name.clone(),
        token: resp.token.clone(),
        allow_insecure: req.allow_insecure,
        role: resp.user.role.clone(),
        legal_role: resp.user.legal_role.clone(),
        display_name: resp.user.display_name.clone(),
        scope: resp.user.scope.clone(),
        unit: resp.user.unit.clone(),
        token_issued_at: Some(gridmate_domain::Timestamp::now().millis()),
        ca_cert: ca_cert.map(str::to_owned),
    };
    with_store(store, move |s| s.bind_server(&binding)).await?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_what_a_folder_and_the_server_accept() {
        for ok in ["wang.wei", "li_na", "zhao-min", "u1"] {
            assert!(is_valid_user_name(ok), "{ok}");
        }
        for bad in ["", ".", "..", "../x", "a/b", "王伟", "a b", &"x".repeat(65)] {
            assert!(!is_valid_user_name(bad), "{bad:?}");
        }
    }
}
