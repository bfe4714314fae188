//! Error reporting for the CLI: field errors with code, path and both languages, on stderr, as
//! text or JSON; the exit code says what kind of failure it was.

use std::process::ExitCode;

use gridmate_core::StoreError;
use gridmate_core::sync::SyncError;
use gridmate_domain::FieldError;
use serde_json::json;

/// A CLI failure: a store error, or a usage problem found before the store was touched.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Input that is not even a candidate record (unreadable file, not JSON, a bad argument).
    #[error("{message}")]
    Input {
        code: &'static str,
        field: String,
        message: String,
    },
    /// A flag or argument that broke a rule, in both languages.
    #[error("{}: {}", .0.field, .0.message.en)]
    Field(FieldError),
    /// Sign-in or sync failed (the server's answer, the network, the store).
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// `gridmate import` refused a file: every error with its row and column.
    #[error(transparent)]
    Import(#[from] super::import::ImportFailure),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CliError {
    pub fn input(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Input {
            code,
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn field(e: FieldError) -> Self {
        Self::Field(e)
    }

    fn code(&self) -> String {
        match self {
            Self::Store(e) => e.code().to_owned(),
            Self::Input { code, .. } => (*code).to_owned(),
            Self::Field(f) => f.code.as_str().to_owned(),
            Self::Sync(e) => e.code(),
            Self::Import(f) => f.code.to_owned(),
            Self::Other(_) => "error".to_owned(),
        }
    }

    /// The message in both languages, where this error has one.
    fn localized(&self) -> Option<gridmate_domain::Localized> {
        match self {
            Self::Store(e) => Some(e.message()),
            Self::Field(f) => Some(f.message.clone()),
            Self::Sync(e) => Some(e.message()),
            Self::Import(f) => Some(f.message.clone()),
            _ => None,
        }
    }
}

pub fn report(e: &CliError, as_json: bool) -> ExitCode {
    let exit = match e {
        CliError::Store(
            StoreError::Invalid(_) | StoreError::Refused(_) | StoreError::NotADispute(_),
        )
        | CliError::Input { .. }
        | CliError::Field(_)
        | CliError::Import(_) => 2,
        CliError::Store(StoreError::NotFound(_)) => 3,
        _ => 1,
    };
    if as_json {
        let errors = match e {
            CliError::Store(StoreError::Invalid(v) | StoreError::Refused(v)) => json!(v),
            CliError::Input {
                code,
                field,
                message,
            } => json!([{"code": code, "field": field, "message": {"en": message}}]),
            CliError::Field(f) => json!([f]),
            CliError::Import(f) => json!(f.errors),
            _ => json!([]),
        };
        let message = e
            .localized()
            .map_or_else(|| json!({"en": e.to_string()}), |m| json!(m));
        eprintln!(
            "{}",
            json!({"code": e.code(), "message": message, "errors": errors})
        );
    } else {
        match e {
            CliError::Store(StoreError::Invalid(v)) => {
                eprintln!(
                    "error [validation_failed]: 记录无效，未保存 / the record is not valid; nothing was saved"
                );
                print_field_errors(&v.0);
            }
            CliError::Store(StoreError::Refused(v)) => {
                eprintln!(
                    "error [{}]: 操作未执行 / the action was not taken",
                    e.code()
                );
                print_field_errors(&v.0);
            }
            CliError::Import(f) => f.print_text(),
            other => match other.localized() {
                Some(m) if m.zh_cn != m.en => {
                    eprintln!("error [{}]: {} / {}", other.code(), m.zh_cn, m.en)
                }
                _ => eprintln!("error [{}]: {other:#}", other.code()),
            },
        }
    }
    ExitCode::from(exit)
}

fn print_field_errors(errors: &[FieldError]) {
    for f in errors {
        let field = if f.field.is_empty() {
            "(record)"
        } else {
            &f.field
        };
        eprintln!(
            "  {field} [{}]: {} / {}",
            f.code.as_str(),
            f.message.zh_cn,
            f.message.en
        );
    }
}
