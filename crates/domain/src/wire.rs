//! The sync wire format (protocol version 5, see docs/sync-protocol.md): one request carries a
//! push and a pull, one response their results. Framing: the 4-byte magic `GMS1`, then a zstd frame
//! holding the postcard encoding of the message. Automerge changes travel as their raw bytes; the
//! whole batch is compressed together, which is where the bytes are saved (a batch of 250 records
//! compresses far better than each record alone).
//!
//! Invariants: `decode_*` never panics and never allocates beyond `MAX_DECODED_BYTES` whatever the
//! input; a decoded request has passed `check_limits`, so the server can trust its shape (not its
//! content: changes are still untrusted Automerge bytes).

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::ids::GridId;

/// 2: a chunk may be an Automerge *document* chunk (a record's whole history), not only a change
/// chunk; a peer of version 1 would drop such chunks, so 1 is refused.
/// 3: a pulled record may carry the server's reading of it ([`Projection`]).
/// 4: a page also brings the disputes assigned to the user (or the user's unit) outside the
/// user's scope, from the position [`ASSIGNED_POSITION`], and lists in [`PullPage::revoked`] the
/// ones that are no longer assigned.
/// 5: a page names the authenticated author of its changes ([`PullPage::authors`]).
pub const PROTOCOL_VERSION: u16 = 5;
/// Request versions a server answers, each in its own response layout: version 2, 3 and 4 apps
/// keep syncing (their pages carry no projections, no assigned records, or no authors) until
/// they are updated.
pub const SERVED_VERSIONS: [u16; 4] = [2, 3, 4, PROTOCOL_VERSION];
/// The position of the records assigned to the user outside the user's scope (protocol 4): a
/// pseudo-area of the positions list that no area id can be (a colon is not in a [`GridId`]),
/// followed by the user's unit when the position was given (see [`assigned_position`]).
pub const ASSIGNED_POSITION: &str = "assigned:";

/// The pseudo-area of the assigned records of a user acting for `unit`. The unit is part of it
/// because the records of a unit the user has just joined are new to the device: a position
/// naming another unit starts again from 0.
pub fn assigned_position(unit: Option<&str>) -> String {
    format!("{ASSIGNED_POSITION}{}", unit.unwrap_or_default())
}

/// Whether `area` is an assigned-records position: `assigned:` alone or followed by a unit id.
pub fn is_assigned_position(area: &str) -> bool {
    area.strip_prefix(ASSIGNED_POSITION)
        .is_some_and(|unit| unit.is_empty() || GridId::parse(unit).is_some())
}
pub const CONTENT_TYPE: &str = "application/x-gridmate-sync";
pub const MAGIC: [u8; 4] = *b"GMS1";

/// Largest decompressed message accepted (a compressed body is limited separately by the server).
pub const MAX_DECODED_BYTES: usize = 64 << 20;
/// Records in one push.
pub const MAX_PUSH_DOCS: usize = 2_000;
/// Changes of one record in one push.
pub const MAX_CHANGES_PER_DOC: usize = 20_000;
/// One Automerge change.
pub const MAX_CHANGE_BYTES: usize = 1 << 20;
/// Scope positions in one pull.
pub const MAX_POSITIONS: usize = 256;
/// zstd level: 3 is zstd's default; measured in docs/benchmarks.md against higher levels.
pub const COMPRESSION_LEVEL: i32 = 3;

pub type Hash = [u8; 32];
pub type Uuid = [u8; 16];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub protocol: u16,
    /// Records with changes the server may not have yet, each with those changes.
    pub push: Vec<PushDoc>,
    /// Pull after the push, from these positions; `None` pushes only.
    pub pull: Option<PullRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushDoc {
    pub record_id: Uuid,
    /// Raw Automerge changes (`Change::raw_bytes`), in an order where deps come first; or, for a
    /// record the server has never acknowledged, one document chunk (`save_nocompress()`).
    pub changes: Vec<Change>,
}

/// One Automerge chunk: a raw change, or (protocol 2) a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change(#[serde(with = "serde_bytes")] pub Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// Where this device stands in each area of its scope (an area it has never pulled: absent,
    /// or 0). The server answers for its current scope, whatever is listed here.
    pub positions: Vec<Position>,
    /// Most changes the device wants in this page (the server may send fewer).
    pub max_changes: u32,
}

/// A server-ordered position in the change log of one area (a grid, township or county prefix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub area: String,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub protocol: u16,
    /// Server clock, ms since the epoch (for "up to date at T" and clock-skew warnings).
    pub server_time_ms: i64,
    /// One result per pushed record, in request order.
    pub results: Vec<PushResult>,
    pub pull: Option<PullPage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    pub record_id: Uuid,
    pub outcome: PushOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushOutcome {
    /// Stored (or already there): the server's heads for the record after this push.
    Accepted { heads: Vec<Hash> },
    /// Some changes wait for dependencies the server does not have; nothing of them is visible to
    /// others yet. The device should push the record's whole history again.
    Held { missing: Vec<Hash> },
    /// Refused and not stored; the rest of the batch is unaffected.
    Rejected {
        code: String,
        field: String,
        message_zh: String,
        message_en: String,
    },
}

/// The refusal of a record whose waiting changes would pass the server's held-change limits.
/// Nothing of the record was stored; like `Held`, it asks for the record's whole history (which
/// holds every dependency, so nothing of it needs holding).
pub const HELD_QUOTA_EXCEEDED: &str = "held_quota_exceeded";

impl PushOutcome {
    /// Whether the device should push the record's whole history again: `Held`, or refused only
    /// because the server will not hold more (`HELD_QUOTA_EXCEEDED`).
    pub fn wants_whole_history(&self) -> bool {
        match self {
            Self::Held { .. } => true,
            Self::Rejected { code, .. } => code == HELD_QUOTA_EXCEEDED,
            Self::Accepted { .. } => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullPage {
    /// Changes new to this device, grouped by record, each record's changes in log order.
    pub docs: Vec<PulledDoc>,
    /// The positions to send next time; store them only after storing `docs`.
    pub positions: Vec<Position>,
    /// More changes are waiting: pull again (immediately) from `positions`.
    pub more: bool,
    /// The device's current scope (area ids). Records outside it may be dropped, except those
    /// that arrived as assigned to the user (protocol 4).
    pub scope: Vec<String>,
    /// Protocol 4: records outside the scope that were assigned to the user (or the user's unit)
    /// and no longer are: the device drops them.
    pub revoked: Vec<Uuid>,
    /// Protocol 5: for every Automerge actor that wrote a change of `docs`, the user the server
    /// bound it to when it first received a change of that actor (from that user's device). This,
    /// not the name a change message carries, is who wrote the change.
    pub authors: Vec<Author>,
}

/// An Automerge actor and the user name the server authenticated its changes as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    #[serde(with = "serde_bytes")]
    pub actor: Vec<u8>,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledDoc {
    pub record_id: Uuid,
    pub grid_id: String,
    pub changes: Vec<Change>,
    /// Protocol 3: the server's reading of the record, present only when `changes` are every
    /// change the server has logged for it (see [`Projection`]).
    pub projection: Option<Projection>,
}

/// The record as the server read it when it accepted the record's latest change: its JSON
/// (docs/records.md) and the heads it was read at. The server attaches it to a pulled record only
/// when the page holds every change it has logged for that record, so the page's chunks, loaded,
/// are a document at exactly `heads` holding exactly this record. A device that lacks the record
/// can then store it without loading the document (a cold pull's cost: docs/sync-protocol.md,
/// "Pull"); a device that holds it merges the chunks as always.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projection {
    pub heads: Vec<Hash>,
    #[serde(with = "serde_bytes")]
    pub record: Vec<u8>,
}

/// Why bytes are not a valid message. `code()` is the stable error code the server answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("not a GridMate sync message (bad magic)")]
    BadMagic,
    #[error("the body is not a valid zstd frame: {0}")]
    Decompress(String),
    #[error("the message decompresses to more than {MAX_DECODED_BYTES} bytes")]
    TooLarge,
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("protocol version {0} is not supported (this build speaks {PROTOCOL_VERSION})")]
    UnsupportedProtocol(u16),
    #[error("limit exceeded: {0}")]
    Limit(String),
}

impl WireError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadMagic | Self::Decompress(_) | Self::Malformed(_) => "malformed_body",
            Self::TooLarge | Self::Limit(_) => "payload_too_large",
            Self::UnsupportedProtocol(_) => "unsupported_protocol",
        }
    }
}

fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    // postcard into a Vec cannot fail for these types; an empty body would be refused on decode.
    let raw = postcard::to_stdvec(msg).unwrap_or_default();
    let mut out = MAGIC.to_vec();
    match zstd::stream::encode_all(raw.as_slice(), COMPRESSION_LEVEL) {
        Ok(z) => out.extend_from_slice(&z),
        Err(_) => return Vec::new(),
    }
    out
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, WireError> {
    let body = bytes.strip_prefix(&MAGIC).ok_or(WireError::BadMagic)?;
    let decoder =
        zstd::stream::read::Decoder::new(body).map_err(|e| WireError::Decompress(e.to_string()))?;
    let mut raw = Vec::new();
    // Read one byte past the limit to tell "exactly at the limit" from "over it": a zstd bomb
    // stops here instead of filling memory.
    decoder
        .take(MAX_DECODED_BYTES as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|e| WireError::Decompress(e.to_string()))?;
    if raw.len() > MAX_DECODED_BYTES {
        return Err(WireError::TooLarge);
    }
    postcard::from_bytes(&raw).map_err(|e| WireError::Malformed(e.to_string()))
}

pub fn encode_request(r: &SyncRequest) -> Vec<u8> {
    encode(r)
}

/// Encodes a response in the layout of its `protocol` (one of [`SERVED_VERSIONS`]).
pub fn encode_response(r: &SyncResponse) -> Vec<u8> {
    match r.protocol {
        2 => encode(&v2::SyncResponse::from(r)),
        3 => encode(&v3::SyncResponse::from(r)),
        4 => encode(&v4::SyncResponse::from(r)),
        _ => encode(r),
    }
}

/// Decodes and checks a request's shape against the limits.
pub fn decode_request(bytes: &[u8]) -> Result<SyncRequest, WireError> {
    let r: SyncRequest = decode(bytes)?;
    check_limits(&r)?;
    Ok(r)
}

pub fn decode_response(bytes: &[u8]) -> Result<SyncResponse, WireError> {
    let r: SyncResponse = decode(bytes)?;
    if r.protocol != PROTOCOL_VERSION {
        return Err(WireError::UnsupportedProtocol(r.protocol));
    }
    Ok(r)
}

pub fn check_limits(r: &SyncRequest) -> Result<(), WireError> {
    if !SERVED_VERSIONS.contains(&r.protocol) {
        return Err(WireError::UnsupportedProtocol(r.protocol));
    }
    if r.push.len() > MAX_PUSH_DOCS {
        return Err(WireError::Limit(format!(
            "{} records in one push (at most {MAX_PUSH_DOCS})",
            r.push.len()
        )));
    }
    for d in &r.push {
        if d.changes.len() > MAX_CHANGES_PER_DOC {
            return Err(WireError::Limit(format!(
                "{} changes for one record",
                d.changes.len()
            )));
        }
        if d.changes.iter().any(|c| c.0.len() > MAX_CHANGE_BYTES) {
            return Err(WireError::Limit(format!(
                "a change over {MAX_CHANGE_BYTES} bytes"
            )));
        }
    }
    if let Some(p) = &r.pull {
        if p.positions.len() > MAX_POSITIONS {
            return Err(WireError::Limit(format!(
                "{} positions (at most {MAX_POSITIONS})",
                p.positions.len()
            )));
        }
        if let Some(bad) = p
            .positions
            .iter()
            .find(|p| !is_assigned_position(&p.area) && GridId::parse(&p.area).is_none())
        {
            let shown: String = bad.area.chars().take(64).collect();
            return Err(WireError::Malformed(format!("`{shown}` is not an area id")));
        }
    }
    Ok(())
}

/// The response layout of protocol 4 (requests are the same in 2 to 5): a page without
/// `authors`.
pub mod v4 {
    use serde::{Deserialize, Serialize};

    use super::{Position, PulledDoc, PushResult, Uuid};

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SyncResponse {
        pub protocol: u16,
        pub server_time_ms: i64,
        pub results: Vec<PushResult>,
        pub pull: Option<PullPage>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PullPage {
        pub docs: Vec<PulledDoc>,
        pub positions: Vec<Position>,
        pub more: bool,
        pub scope: Vec<String>,
        pub revoked: Vec<Uuid>,
    }

    impl From<&super::SyncResponse> for SyncResponse {
        fn from(r: &super::SyncResponse) -> Self {
            Self {
                protocol: r.protocol,
                server_time_ms: r.server_time_ms,
                results: r.results.clone(),
                pull: r.pull.as_ref().map(|p| PullPage {
                    docs: p.docs.clone(),
                    positions: p.positions.clone(),
                    more: p.more,
                    scope: p.scope.clone(),
                    revoked: p.revoked.clone(),
                }),
            }
        }
    }

    /// Decodes a version-4 response (what an app of that version reads; for tests).
    pub fn decode_response(bytes: &[u8]) -> Result<SyncResponse, super::WireError> {
        super::decode(bytes)
    }
}

/// The response layout of protocol 3: a page without `revoked`.
pub mod v3 {
    use serde::{Deserialize, Serialize};

    use super::{Position, PulledDoc, PushResult};

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SyncResponse {
        pub protocol: u16,
        pub server_time_ms: i64,
        pub results: Vec<PushResult>,
        pub pull: Option<PullPage>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PullPage {
        pub docs: Vec<PulledDoc>,
        pub positions: Vec<Position>,
        pub more: bool,
        pub scope: Vec<String>,
    }

    impl From<&super::SyncResponse> for SyncResponse {
        fn from(r: &super::SyncResponse) -> Self {
            Self {
                protocol: r.protocol,
                server_time_ms: r.server_time_ms,
                results: r.results.clone(),
                pull: r.pull.as_ref().map(|p| PullPage {
                    docs: p.docs.clone(),
                    positions: p.positions.clone(),
                    more: p.more,
                    scope: p.scope.clone(),
                }),
            }
        }
    }

    /// Decodes a version-3 response (what an app of that version reads; for tests).
    pub fn decode_response(bytes: &[u8]) -> Result<SyncResponse, super::WireError> {
        super::decode(bytes)
    }
}

/// The response layout of protocol 2: a pulled record without a projection.
pub mod v2 {
    use serde::{Deserialize, Serialize};

    use super::{Change, Position, PushResult, Uuid};

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SyncResponse {
        pub protocol: u16,
        pub server_time_ms: i64,
        pub results: Vec<PushResult>,
        pub pull: Option<PullPage>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PullPage {
        pub docs: Vec<PulledDoc>,
        pub positions: Vec<Position>,
        pub more: bool,
        pub scope: Vec<String>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PulledDoc {
        pub record_id: Uuid,
        pub grid_id: String,
        pub changes: Vec<Change>,
    }

    impl From<&super::SyncResponse> for SyncResponse {
        fn from(r: &super::SyncResponse) -> Self {
            Self {
                protocol: r.protocol,
                server_time_ms: r.server_time_ms,
                results: r.results.clone(),
                pull: r.pull.as_ref().map(|p| PullPage {
                    docs: p
                        .docs
                        .iter()
                        .map(|d| PulledDoc {
                            record_id: d.record_id,
                            grid_id: d.grid_id.clone(),
                            changes: d.changes.clone(),
                        })
                        .collect(),
                    positions: p.positions.clone(),
                    more: p.more,
                    scope: p.scope.clone(),
                }),
            }
        }
    }

    /// Decodes a version-2 response (what an app of that version reads; for tests).
    pub fn decode_response(bytes: &[u8]) -> Result<SyncResponse, super::WireError> {
        super::decode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> SyncRequest {
        SyncRequest {
            protocol: PROTOCOL_VERSION,
            push: vec![PushDoc {
                record_id: [7; 16],
                changes: vec![Change(vec![1, 2, 3]), Change(vec![0; 300])],
            }],
            pull: Some(PullRequest {
                positions: vec![Position {
                    area: "jingkou-zhengdonglu-03".into(),
                    seq: 42,
                }],
                max_changes: 5000,
            }),
        }
    }

    #[test]
    fn round_trips() {
        let r = sample();
        assert_eq!(decode_request(&encode_request(&r)).unwrap(), r);
        let resp = SyncResponse {
            protocol: PROTOCOL_VERSION,
            server_time_ms: 1,
            results: vec![
                PushResult {
                    record_id: [1; 16],
                    outcome: PushOutcome::Accepted {
                        heads: vec![[9; 32]],
                    },
                },
                PushResult {
                    record_id: [2; 16],
                    outcome: PushOutcome::Rejected {
                        code: "out_of_scope".into(),
                        field: "grid_id".into(),
                        message_zh: "无权".into(),
                        message_en: "no".into(),
                    },
                },
            ],
            pull: Some(PullPage {
                docs: vec![],
                positions: vec![],
                more: false,
                scope: vec!["jingkou".into()],
                revoked: vec![[5; 16]],
                authors: vec![Author {
                    actor: vec![1, 2, 3],
                    user: "wang.wei".into(),
                }],
            }),
        };
        assert_eq!(decode_response(&encode_response(&resp)).unwrap(), resp);
    }

    #[test]
    fn a_version_2_request_gets_a_version_2_page() {
        let mut r = sample();
        r.protocol = 2;
        assert_eq!(decode_request(&encode_request(&r)).unwrap(), r);
        let doc = PulledDoc {
            record_id: [3; 16],
            grid_id: "jingkou-zhengdonglu-03".into(),
            changes: vec![Change(vec![5; 40])],
            projection: Some(Projection {
                heads: vec![[4; 32]],
                record: b"{}".to_vec(),
            }),
        };
        let resp = |protocol| SyncResponse {
            protocol,
            server_time_ms: 7,
            results: vec![],
            pull: Some(PullPage {
                docs: vec![doc.clone()],
                positions: vec![],
                more: true,
                scope: vec!["jingkou".into()],
                revoked: vec![[6; 16]],
                authors: vec![Author {
                    actor: vec![9; 16],
                    user: "li.na".into(),
                }],
            }),
        };
        let old = v2::decode_response(&encode_response(&resp(2))).unwrap();
        let page = old.pull.unwrap();
        assert_eq!(page.docs[0].changes, doc.changes);
        assert_eq!(page.docs[0].record_id, doc.record_id);
        assert!(page.more);
        // Version 3 keeps the projection, without `revoked`; an older body is not a current
        // response.
        let v3 = v3::decode_response(&encode_response(&resp(3))).unwrap();
        assert_eq!(v3.pull.unwrap().docs, vec![doc.clone()]);
        // Version 4 keeps `revoked`, without `authors`; version 5 has everything.
        let v4 = v4::decode_response(&encode_response(&resp(4))).unwrap();
        assert_eq!(v4.pull.unwrap().revoked, vec![[6; 16]]);
        assert_eq!(
            decode_response(&encode_response(&resp(5))).unwrap(),
            resp(5)
        );
        assert!(decode_response(&encode_response(&resp(2))).is_err());
        assert!(decode_response(&encode_response(&resp(3))).is_err());
        assert!(decode_response(&encode_response(&resp(4))).is_err());
    }

    #[test]
    fn the_assigned_position_is_the_only_area_that_is_not_an_area_id() {
        let mut r = sample();
        r.pull.as_mut().unwrap().positions.push(Position {
            area: ASSIGNED_POSITION.into(),
            seq: 9,
        });
        assert_eq!(decode_request(&encode_request(&r)).unwrap(), r);
        r.pull.as_mut().unwrap().positions[1].area = assigned_position(Some("jingkou-sfs"));
        assert_eq!(decode_request(&encode_request(&r)).unwrap(), r);
        r.pull.as_mut().unwrap().positions[1].area = "assigned:X y".into();
        assert_eq!(
            decode_request(&encode_request(&r)).unwrap_err().code(),
            "malformed_body"
        );
    }

    #[test]
    fn refuses_bad_input_with_codes() {
        assert_eq!(decode_request(b"").unwrap_err(), WireError::BadMagic);
        assert_eq!(
            decode_request(b"GMS1not zstd").unwrap_err().code(),
            "malformed_body"
        );
        let garbage = zstd::stream::encode_all(&b"\xff\xff\xff\xff\xff\xff"[..], 1).unwrap();
        let mut body = MAGIC.to_vec();
        body.extend(garbage);
        assert_eq!(decode_request(&body).unwrap_err().code(), "malformed_body");
        let mut old = sample();
        old.protocol = 9;
        assert_eq!(
            decode_request(&encode_request(&old)).unwrap_err(),
            WireError::UnsupportedProtocol(9)
        );
        let mut bad_area = sample();
        bad_area.pull.as_mut().unwrap().positions[0].area = "DROP TABLE".into();
        assert_eq!(
            decode_request(&encode_request(&bad_area))
                .unwrap_err()
                .code(),
            "malformed_body"
        );
        let mut big = sample();
        big.push = vec![
            PushDoc {
                record_id: [0; 16],
                changes: vec![]
            };
            MAX_PUSH_DOCS + 1
        ];
        assert_eq!(
            decode_request(&encode_request(&big)).unwrap_err().code(),
            "payload_too_large"
        );
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_limit() {
        let zeros = vec![0u8; MAX_DECODED_BYTES + 1024];
        let mut body = MAGIC.to_vec();
        body.extend(zstd::stream::encode_all(zeros.as_slice(), 19).unwrap());
        assert!(body.len() < 64 * 1024, "a small body");
        assert_eq!(decode_request(&body).unwrap_err(), WireError::TooLarge);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            let _ = decode_request(&bytes);
            let mut framed = MAGIC.to_vec();
            framed.extend_from_slice(&bytes);
            let _ = decode_request(&framed);
        }

        #[test]
        fn arbitrary_postcard_inside_a_valid_frame_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            let mut body = MAGIC.to_vec();
            body.extend(zstd::stream::encode_all(bytes.as_slice(), 1).unwrap());
            let _ = decode_request(&body);
        }
    }
}
