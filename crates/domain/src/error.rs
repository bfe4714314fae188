//! Field-level errors shared by the client, the CLI and the server. The `code` strings are stable
//! API: the UI, scripts and the sync protocol match on them, so codes are only ever added.

use serde::{Deserialize, Serialize};

/// A stable, machine-readable reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Required,
    TooLong,
    TooMany,
    OutOfRange,
    InvalidValue,
    InvalidType,
    InvalidJson,
    UnknownField,
    ImmutableField,
    InvalidGridId,
    InvalidPhone,
    InvalidIdNumber,
    InvalidCoordinate,
    InvalidCharacters,
    DateInFuture,
    DateTooOld,
    DateOrder,
    InvalidStatus,
    UnsupportedSchemaVersion,
    ForbiddenAction,
    DuplicateEvent,
    /// A record's history (its changes, all of them ever) grew past the limit.
    HistoryTooLarge,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::TooLong => "too_long",
            Self::TooMany => "too_many",
            Self::OutOfRange => "out_of_range",
            Self::InvalidValue => "invalid_value",
            Self::InvalidType => "invalid_type",
            Self::InvalidJson => "invalid_json",
            Self::UnknownField => "unknown_field",
            Self::ImmutableField => "immutable_field",
            Self::InvalidGridId => "invalid_grid_id",
            Self::InvalidPhone => "invalid_phone",
            Self::InvalidIdNumber => "invalid_id_number",
            Self::InvalidCoordinate => "invalid_coordinate",
            Self::InvalidCharacters => "invalid_characters",
            Self::DateInFuture => "date_in_future",
            Self::DateTooOld => "date_too_old",
            Self::DateOrder => "date_order",
            Self::InvalidStatus => "invalid_status",
            Self::UnsupportedSchemaVersion => "unsupported_schema_version",
            Self::ForbiddenAction => "forbidden_action",
            Self::DuplicateEvent => "duplicate_event",
            Self::HistoryTooLarge => "history_too_large",
        }
    }
}

/// A message in both languages the app ships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Localized {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    pub en: String,
}

/// One rule failure: what (code), where (a path such as `parties[1].phone`), and why, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    pub code: ErrorCode,
    pub field: String,
    pub message: Localized,
}

impl FieldError {
    pub fn new(
        code: ErrorCode,
        field: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            code,
            field: field.into(),
            message: Localized {
                zh_cn: zh.into(),
                en: en.into(),
            },
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}]: {} / {}",
            self.field,
            self.code.as_str(),
            self.message.zh_cn,
            self.message.en
        )
    }
}

/// All the failures of one record, in field order. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl ValidationErrors {
    pub fn single(e: FieldError) -> Self {
        Self(vec![e])
    }

    pub fn codes(&self) -> Vec<(&str, ErrorCode)> {
        self.0.iter().map(|e| (e.field.as_str(), e.code)).collect()
    }

    pub fn has(&self, field: &str, code: ErrorCode) -> bool {
        self.0.iter().any(|e| e.field == field && e.code == code)
    }
}
