//! Error reporting for the CLI: field errors with code, path and both languages, on stderr, as
//! text or JSON; the exit code says what kind of failure it was.

use std::process::ExitCode;

use gridmate_core::StoreError;
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

    fn code(&self) -> &str {
        match self {
            Self::Store(e) => e.code(),
            Self::Input { code, .. } => code,
            Self::Import(f) => f.code,
            Self::Other(_) => "error",
        }
    }
}

pub fn report(e: &CliError, as_json: bool) -> ExitCode {
    let exit = match e {
        CliError::Store(StoreError::Invalid(_)) | CliError::Input { .. } | CliError::Import(_) => 2,
        CliError::Store(StoreError::NotFound(_)) => 3,
        _ => 1,
    };
    if as_json {
        let errors = match e {
            CliError::Store(StoreError::Invalid(v)) => json!(v),
            CliError::Input {
                code,
                field,
                message,
            } => json!([{"code": code, "field": field, "message": {"en": message}}]),
            CliError::Import(f) => json!(f.errors),
            _ => json!([]),
        };
        eprintln!(
            "{}",
            json!({"code": e.code(), "message": e.to_string(), "errors": errors})
        );
    } else {
        match e {
            CliError::Store(StoreError::Invalid(v)) => {
                eprintln!(
                    "error [validation_failed]: 记录无效，未保存 / the record is not valid; nothing was saved"
                );
                for f in &v.0 {
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
            CliError::Import(f) => f.print_text(),
            other => eprintln!("error [{}]: {other:#}", other.code()),
        }
    }
    ExitCode::from(exit)
}
