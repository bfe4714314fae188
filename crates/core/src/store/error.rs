//! The store's errors. Each has a stable `code` (the same vocabulary the CLI prints and the app
//! shows), and none carries personal data: a corrupt document is named by its record id only.

use gridmate_domain::{ErrorCode, Localized, RecordId, ValidationErrors};

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
    /// A workflow action asked of a record that is not a dispute.
    #[error("record {0} is not a dispute")]
    NotADispute(RecordId),
    /// A workflow action needs an account bound to a server, whose role decides what it may do.
    #[error("dispute actions need a signed-in account with a role")]
    NoRole,
    /// The workflow refused the action (the status does not allow it, the role may not take it,
    /// or its details are incomplete): every field error, with codes `invalid_status`,
    /// `forbidden_action` or the detail's own. Nothing was written.
    #[error("the action is refused: {0}")]
    Refused(ValidationErrors),
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
            Self::NotADispute(_) => "not_a_dispute",
            Self::NoRole => "not_signed_in",
            Self::Refused(v) => match v.0.first().map(|f| f.code) {
                Some(c @ (ErrorCode::InvalidStatus | ErrorCode::ForbiddenAction)) => c.as_str(),
                _ => "validation_failed",
            },
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

impl StoreError {
    /// The message for people, in both languages; it names records by id only.
    pub fn message(&self) -> Localized {
        let (zh, en) = match self {
            Self::Invalid(_) => (
                "记录有误，请修改标出的项目".to_owned(),
                "the record has errors: fix the marked fields".to_owned(),
            ),
            Self::NotFound(_) => ("记录不存在".to_owned(), "no such record".to_owned()),
            Self::Deleted(_) => ("记录已删除".to_owned(), "the record is deleted".to_owned()),
            Self::NotADispute(_) => (
                "只有矛盾纠纷有办理流程".to_owned(),
                "only disputes have a workflow".to_owned(),
            ),
            Self::NoRole => (
                "请先登录：办理纠纷需要有角色的账号".to_owned(),
                "sign in first: dispute actions need an account with a role".to_owned(),
            ),
            Self::Refused(v) => match v.0.first() {
                Some(f)
                    if matches!(
                        f.code,
                        ErrorCode::InvalidStatus | ErrorCode::ForbiddenAction
                    ) =>
                {
                    (f.message.zh_cn.clone(), f.message.en.clone())
                }
                _ => (
                    "操作信息有误，请修改标出的项目".to_owned(),
                    "the action's details have errors: fix the marked fields".to_owned(),
                ),
            },
            Self::Corrupt { .. } => (
                "该记录已损坏并被隔离，其他记录不受影响".to_owned(),
                "this record is damaged and quarantined; others are unaffected".to_owned(),
            ),
            Self::Unsynced { pending, rejected } => (
                format!("还有 {pending} 条记录未同步、{rejected} 条被退回"),
                format!("{pending} records are not synced and {rejected} were rejected"),
            ),
            Self::AccountMismatch { .. } => (
                "本机数据属于其他用户".to_owned(),
                "this device's data belongs to another user".to_owned(),
            ),
            Self::Migration(MigrationError::TooNew { .. }) => (
                "本机数据来自更新版本的应用，请更新应用".to_owned(),
                format!("{self}: update the app"),
            ),
            other => ("本机存储出错".to_owned(), format!("storage error: {other}")),
        };
        Localized { zh_cn: zh, en }
    }
}

impl From<automerge::AutomergeError> for StoreError {
    fn from(e: automerge::AutomergeError) -> Self {
        Self::Automerge(e.to_string())
    }
}
