//! The store's errors. Each has a stable `code` (the same vocabulary the CLI prints and the app
//! shows), and none carries personal data: a corrupt document is named by its record id only.

use gridmate_domain::{RecordId, ValidationErrors};

use super::migrations::MigrationError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The input broke a rule; `.0` lists every field error. Nothing was written.
    #[error("the record is not valid: {0}")]
    Invalid(ValidationErrors),
    #[error("no record with id {0}")]
    NotFound(RecordId),
    #[error("record {0} is deleted")]
    Deleted(RecordId),
    /// The stored document cannot be read; the record is quarantined, the others are unaffected.
    #[error("record {id} is quarantined: its stored document cannot be read ({reason})")]
    Corrupt { id: RecordId, reason: String },
    #[error("automerge: {0}")]
    Automerge(String),
    /// The store holds unsynced records of another user than the one logging in.
    #[error(
        "this store holds records of `{store_user}`; sign in as that user or use another account folder"
    )]
    AccountMismatch {
        store_user: String,
        login_user: String,
    },
    /// Logging out would strand unsynced records.
    #[error("{pending} records are not synced and {rejected} were rejected: sync first, or force")]
    Unsynced { pending: u64, rejected: u64 },
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "validation_failed",
            Self::NotFound(_) => "not_found",
            Self::Deleted(_) => "record_deleted",
            Self::Corrupt { .. } => "corrupt_document",
            Self::Automerge(_) => "document_error",
            Self::AccountMismatch { .. } => "account_mismatch",
            Self::Unsynced { .. } => "unsynced_records",
            Self::Migration(MigrationError::TooNew { .. }) => "store_too_new",
            Self::Migration(_) | Self::Sqlite(_) => "storage_error",
            Self::Io(_) => "io_error",
        }
    }
}

impl From<automerge::AutomergeError> for StoreError {
    fn from(e: automerge::AutomergeError) -> Self {
        Self::Automerge(e.to_string())
    }
}
