//! The shapes that cross the bridge to the UI beyond those of gridmate-core: the session, the
//! login request, search, a record with its sync state, and record JSON. Record JSON travels as
//! JSON (the domain's `input` parses it with field-level errors), wrapped so the bindings name it.
//!
//! The bindings test (`bindings.rs`) generates `ui/src/api/bindings.ts` and the capability file
//! from these types and the command table, and fails when the checked-in files are stale.

use gridmate_core::store::{Conflict, Rejection, SyncState};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who is signed in, on which server, with which scope.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct SessionInfo {
    pub user: String,
    pub display_name: Option<String>,
    pub role: String,
    pub legal_role: Option<String>,
    pub server: String,
    pub scope: Vec<String>,
    pub device_id: String,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LoginRequest {
    pub server: String,
    pub user: String,
    pub password: String,
    #[serde(default)]
    pub allow_insecure: bool,
    /// The operator's own CA certificate (PEM text) for a server a private CA certified; blank or
    /// absent for none.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub ca_cert: Option<String>,
}

/// What the app starts with before anyone signs in.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct AppDefaults {
    /// The server address the sign-in form starts with (`GRIDMATE_DEFAULT_SERVER`, which the demo
    /// run sets), if any.
    pub server_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(optional_fields))]
pub struct SearchQuery {
    pub text: String,
    pub kind: Option<String>,
    pub limit: Option<u32>,
}

/// A record as the detail screen shows it.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct RecordView {
    pub record: RecordJson,
    pub sync_state: SyncState,
    pub rejection: Option<Rejection>,
    pub conflicts: Vec<Conflict>,
}

/// A stored record's JSON (docs/records.md); TypeScript `RecordJson`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct RecordJson(pub Value);

/// A new record as a form submits it, possibly incomplete; TypeScript `DraftInput`.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct DraftJson(pub Value);

/// An RFC 7386 merge patch of changed fields; TypeScript `RecordPatch`.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct PatchJson(pub Value);

/// A form's saved state, whatever the form keeps; TypeScript `DraftValue`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DraftValue(pub Value);
