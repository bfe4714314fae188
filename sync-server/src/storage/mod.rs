//! Persistence of accounts, devices and areas behind the [`AccountStore`] trait, with the SQLite
//! implementation in [`sqlite`] and the schema in [`migrations`].
//!
//! Invariants: methods are synchronous and may block (call them through
//! [`crate::error::blocking`] from async code); times are UTC milliseconds; user names passed in
//! are already normalized (see [`crate::model::normalize_user_name`]); only SHA-256 hashes of
//! tokens are stored, never tokens.

pub mod migrations;
mod private_fs;
pub mod reference;
pub mod sqlite;

use gridmate_domain::Timestamp;
use uuid::Uuid;

use crate::model::{
    Area, DeviceInfo, NewUser, PublicProfile, Session, User, UserAuthRecord, UserId,
};

pub use sqlite::SqliteStorage;

/// A storage failure. Messages never contain passwords, tokens or user names.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error(
        "database schema version {found} is newer than this build supports ({supported}); upgrade gridmate-server"
    )]
    SchemaTooNew { found: usize, supported: usize },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("a user with that name already exists")]
    UserExists,
    #[error("device revoked")]
    DeviceRevoked,
    /// The device id is registered to another user (a device belongs to its first user).
    #[error("device registered to another user")]
    DeviceOfOtherUser,
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

/// A freshly issued token for one device, as stored at login.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub user_id: UserId,
    pub device_id: Uuid,
    pub device_name: String,
    pub token_hash: [u8; 32],
    pub expires_at: Timestamp,
    pub now: Timestamp,
}

/// Everything the account, auth and admin code needs from storage.
pub trait AccountStore: Send + Sync + 'static {
    /// Cheap round trip proving the database answers (for `/healthz`).
    fn ping(&self) -> Result<(), StorageError>;

    /// Creates a user; [`StorageError::UserExists`] if the name is taken.
    fn create_user(
        &self,
        user: &NewUser,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<PublicProfile, StorageError>;

    /// The user and password hash for a login attempt, by normalized name.
    fn user_for_login(&self, name: &str) -> Result<Option<UserAuthRecord>, StorageError>;

    fn user_by_name(&self, name: &str) -> Result<Option<User>, StorageError>;

    fn list_users(&self) -> Result<Vec<User>, StorageError>;

    /// Disables or re-enables a user. A disabled user's tokens stay stored but are refused; their
    /// console sessions end in the same transaction.
    fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        now: Timestamp,
    ) -> Result<(), StorageError>;

    /// Replaces a password hash and signs the user out of every device and console session, in
    /// one transaction (tokens are cleared, devices are not revoked: the user can sign in again
    /// with the new password).
    fn set_password_hash(
        &self,
        name: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<(), StorageError>;

    /// Binds a new token to (user, device), replacing any token the device had.
    /// [`StorageError::DeviceRevoked`] if the device was revoked;
    /// [`StorageError::DeviceOfOtherUser`] if the device id is registered to another user (a
    /// device belongs to the user who first signed in with it), and then nothing changes.
    fn issue_device_token(&self, grant: &TokenGrant) -> Result<(), StorageError>;

    /// The session a token hash belongs to, whatever its state (expired, revoked, disabled):
    /// the caller decides what to refuse. The hash may be the device's current token or the one
    /// it replaced at its last rotation, which stays valid until the current one is first used.
    /// Looking up the current token forgets the replaced one (the device holds the new token).
    fn session_by_token_hash(&self, token_hash: &[u8; 32])
    -> Result<Option<Session>, StorageError>;

    /// The user a device id is registered to, when it is registered and not revoked.
    fn device_owner(&self, device_id: Uuid) -> Result<Option<UserId>, StorageError>;

    /// Server-side logout: the device's tokens (current and replaced) stop working at once. The
    /// device stays registered to its user.
    fn drop_device_tokens(&self, device_id: Uuid) -> Result<(), StorageError>;

    /// Token rotation for the device of `session_hash` (the token the caller authenticated
    /// with): the new token becomes current. When the caller used the current token, that one is
    /// kept as the replaced token; when it used the replaced one (the answer to an earlier
    /// rotation was lost), the replaced one stays and the unused current one is dropped.
    fn rotate_device_token(
        &self,
        session_hash: &[u8; 32],
        new_hash: &[u8; 32],
        expires_at: Timestamp,
    ) -> Result<(), StorageError>;

    /// Records that the device was just seen.
    fn touch_device(&self, device_id: Uuid, now: Timestamp) -> Result<(), StorageError>;

    /// Devices, optionally of one user (by normalized name), most recently used first.
    fn list_devices(&self, user_name: Option<&str>) -> Result<Vec<DeviceInfo>, StorageError>;

    /// Revokes a device for good and drops its token. Revoking twice keeps the first time.
    fn revoke_device(&self, device_id: Uuid, now: Timestamp) -> Result<(), StorageError>;

    /// Inserts or renames an area of the catalogue.
    fn upsert_area(&self, area: &Area, now: Timestamp) -> Result<(), StorageError>;

    fn list_areas(&self) -> Result<Vec<Area>, StorageError>;
}
