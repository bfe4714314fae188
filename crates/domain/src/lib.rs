//! GridMate's pure domain: identifiers, the three record kinds, the validation rules shared by the
//! client and the sync server, and the mapping between a record and its Automerge document.
//!
//! Invariants: nothing here does IO, reads a clock implicitly, or panics on any input. Every rule
//! failure is a [`FieldError`] with a stable code, the field path and a message in zh-CN and en.
#![forbid(unsafe_code)]

pub mod document;
pub mod enums;
pub mod error;
pub mod fixtures;
pub mod ids;
pub mod input;
pub mod ledger;
pub mod privacy;
pub mod record;
pub mod reference;
pub mod rules;
pub mod search;
pub mod time;
#[cfg(feature = "ts")]
mod ts;
pub mod validate;
pub mod wire;
pub mod workflow;

pub use enums::*;
pub use error::{ErrorCode, FieldError, Localized, ValidationErrors};
pub use ids::{GridId, RecordId, area_covers};
pub use record::*;
pub use time::Timestamp;

/// The record schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = 1;
