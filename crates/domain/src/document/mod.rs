//! The Automerge document schema: one document per record, and the only place that maps a record
//! to its document and back.
//!
//! Layout (root map): the common fields (`id`, `kind`, `schema_version`, `grid_id`, `created_by`,
//! `created_at`, `updated_at`, `deleted_at`) and the kind's own fields, side by side, mirroring the
//! JSON shape. Free-text fields (`findings`, `notes`, `summary`) are Automerge `Text`, so two people
//! typing in one summary both keep their words. Lists (volunteers, speakers, parties, hazards,
//! materials, dispute_ids) are Automerge lists; an element that is a structure is a map, so a phone
//! fixed on one device and a name fixed on another both survive. A location is written whole (a new
//! map), because mixing one fix's latitude with another's longitude would be a place nobody stood.
//! Everything else is a scalar (last writer wins, deterministically, on every peer).
//! Timestamps are Automerge `Timestamp` (ms); absent optionals are `null`.
//!
//! Invariants: `write_record` only emits operations for fields that differ from the previous
//! version; `read_record` refuses any document that does not fit the schema with a typed
//! `SchemaError` and never panics: a key the schema does not define (at the root for the record's
//! kind, in `location`, in a party or a volunteer) is `UnknownField`, a value of another Automerge
//! type is `WrongType`. `limits` bounds what a record's history may grow to.

pub mod changes;
mod chunk;
pub mod guarded;
mod history;
pub mod limits;
mod message;
mod read;
mod workflow;
mod write;

pub use chunk::{is_chunk, is_document_chunk, split_chunks};
pub use history::holds_all;
pub use message::{ChangeOp, change_message};
pub use read::read_record;
pub use workflow::read_events;
pub use write::{new_document, write_changes};

/// Why a document does not fit the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("document field `{0}` is missing")]
    Missing(String),
    /// A key the schema does not define for this kind of record (or nested map).
    #[error("document field `{0}` is not part of the schema")]
    UnknownField(String),
    #[error("document field `{field}` should be {expected}")]
    WrongType {
        field: String,
        expected: &'static str,
    },
    #[error("document field `{field}` has an invalid value: {detail}")]
    InvalidValue { field: String, detail: String },
    #[error("document schema version {0} is newer than this build understands")]
    UnsupportedVersion(u64),
    #[error("automerge error at `{field}`: {detail}")]
    Automerge { field: String, detail: String },
}

impl SchemaError {
    /// The stable error code a refusal carries (`unknown_field`, `invalid_type`, or the generic
    /// `schema_mismatch`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownField(_) => crate::ErrorCode::UnknownField.as_str(),
            Self::WrongType { .. } => crate::ErrorCode::InvalidType.as_str(),
            _ => "schema_mismatch",
        }
    }

    pub fn field(&self) -> &str {
        match self {
            Self::Missing(f)
            | Self::UnknownField(f)
            | Self::WrongType { field: f, .. }
            | Self::InvalidValue { field: f, .. }
            | Self::Automerge { field: f, .. } => f,
            Self::UnsupportedVersion(_) => "schema_version",
        }
    }
}

#[cfg(test)]
pub(crate) mod strategies;
#[cfg(test)]
mod tests;
