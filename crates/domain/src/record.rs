//! The record types. A record is common metadata (`RecordMeta`) plus the body of one of the three
//! kinds. JSON shape: one flat object, `kind` beside the common fields and the kind's own fields
//! (see docs/records.md). `Record` (de)serializes through `input`, which splits the flat object
//! without serde's `flatten`, so that unknown fields are refused with their path.

use serde::{Deserialize, Serialize};

use crate::enums::*;
use crate::ids::{GridId, RecordId};
use crate::time::Timestamp;

/// Fields common to every kind. `id`, `created_by` and `created_at` never change after creation;
/// `updated_at` and `deleted_at` are maintained by the store, not typed by users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct RecordMeta {
    pub id: RecordId,
    pub schema_version: u32,
    pub grid_id: GridId,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Soft-delete marker: a deleted record stays (so the delete can sync) but leaves lists.
    pub deleted_at: Option<Timestamp>,
}

/// Coordinates in WGS-84 degrees, with the fix's accuracy in metres when the device knows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

/// A judge, prosecutor, police officer or lawyer who joined a visit or spoke at a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct LegalVolunteer {
    pub name: String,
    pub legal_role: LegalRole,
}

/// A party to a dispute. Every personal field is optional, and validated when present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct Party {
    #[serde(default)]
    pub name: Option<String>,
    pub role: PartyRole,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct PatrolVisit {
    pub visited_at: Timestamp,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub address: Option<String>,
    pub subject_kind: SubjectKind,
    #[serde(default)]
    pub subject_name: Option<String>,
    /// Free text (Automerge text: concurrent typing merges).
    pub findings: String,
    #[serde(default)]
    pub hazards: Vec<String>,
    #[serde(default)]
    pub follow_up_needed: bool,
    #[serde(default)]
    pub follow_up_due_at: Option<Timestamp>,
    #[serde(default)]
    pub volunteers: Vec<LegalVolunteer>,
    /// Disputes this visit raised.
    #[serde(default)]
    pub dispute_ids: Vec<RecordId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct LegalEducation {
    pub held_at: Timestamp,
    pub topic: String,
    pub format: EducationFormat,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub audience_count: u32,
    #[serde(default)]
    pub speakers: Vec<LegalVolunteer>,
    #[serde(default)]
    pub materials: Vec<String>,
    /// Free text (Automerge text).
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct Dispute {
    pub reported_at: Timestamp,
    pub source: DisputeSource,
    pub dispute_category: DisputeCategory,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub parties: Vec<Party>,
    /// Free text (Automerge text).
    pub summary: String,
    pub risk_level: RiskLevel,
    /// The status derived from `initial_status` and `workflow` ([`crate::workflow::derive`]):
    /// nobody writes it. Whoever builds a `Dispute` calls [`Dispute::refresh_status`].
    #[serde(default = "default_status")]
    pub status: DisputeStatus,
    /// The status the document started in: `reported` for every dispute this build creates; a
    /// dispute recorded before the workflow existed starts from the status it then held. Fixed.
    #[serde(default = "default_status", skip_serializing_if = "is_reported")]
    pub initial_status: DisputeStatus,
    /// The closed loop's events and the mediation log, append-only, in document order.
    #[serde(default)]
    pub workflow: Vec<crate::workflow::WorkflowEvent>,
}

fn default_status() -> DisputeStatus {
    DisputeStatus::Reported
}

fn is_reported(s: &DisputeStatus) -> bool {
    *s == DisputeStatus::Reported
}

impl Dispute {
    /// The state the workflow derives (status, assignee, deadline inputs, verdicts).
    pub fn view(&self) -> crate::workflow::WorkflowView {
        crate::workflow::derive(self.initial_status, &self.workflow)
    }

    /// Sets `status` to the derived one.
    pub fn refresh_status(&mut self) {
        self.status = self.view().state.status;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordBody {
    PatrolVisit(PatrolVisit),
    LegalEducation(LegalEducation),
    Dispute(Dispute),
}

impl RecordBody {
    pub fn kind(&self) -> RecordKind {
        match self {
            Self::PatrolVisit(_) => RecordKind::PatrolVisit,
            Self::LegalEducation(_) => RecordKind::LegalEducation,
            Self::Dispute(_) => RecordKind::Dispute,
        }
    }

    /// When the thing recorded happened (visit, session, report): the list's sort key.
    pub fn occurred_at(&self) -> Timestamp {
        match self {
            Self::PatrolVisit(v) => v.visited_at,
            Self::LegalEducation(e) => e.held_at,
            Self::Dispute(d) => d.reported_at,
        }
    }
}

/// A whole record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub meta: RecordMeta,
    pub body: RecordBody,
}

impl Record {
    pub fn kind(&self) -> RecordKind {
        self.body.kind()
    }

    pub fn id(&self) -> RecordId {
        self.meta.id
    }

    /// Dispute status, or `None` for kinds without one.
    pub fn status(&self) -> Option<DisputeStatus> {
        match &self.body {
            RecordBody::Dispute(d) => Some(d.status),
            _ => None,
        }
    }

    pub fn risk_level(&self) -> Option<RiskLevel> {
        match &self.body {
            RecordBody::Dispute(d) => Some(d.risk_level),
            _ => None,
        }
    }

    /// A one-line title for lists. It never contains a party's name, phone or ID number, and a
    /// visited person's name appears only masked.
    pub fn display_title(&self) -> String {
        match &self.body {
            RecordBody::PatrolVisit(v) => {
                let who = match (&v.subject_name, v.subject_kind) {
                    (Some(n), SubjectKind::Person) => crate::privacy::mask_name(n),
                    (Some(n), _) => n.clone(),
                    (None, _) => v
                        .address
                        .clone()
                        .unwrap_or_else(|| excerpt(&v.findings, 20)),
                };
                format!("{}·{}", v.subject_kind.label_zh(), who)
            }
            RecordBody::LegalEducation(e) => format!("{}·{}", e.format.label_zh(), e.topic),
            RecordBody::Dispute(d) => {
                format!(
                    "{}纠纷·{}",
                    d.dispute_category.label_zh(),
                    excerpt(&d.summary, 24)
                )
            }
        }
    }

    /// The Chinese free text that full-text search covers. Personal fields (names, phones, ID
    /// numbers) are deliberately left out of the index.
    pub fn search_text(&self) -> String {
        match &self.body {
            RecordBody::PatrolVisit(v) => {
                let mut s = v.findings.clone();
                for h in &v.hazards {
                    s.push('\n');
                    s.push_str(h);
                }
                if let Some(a) = &v.address {
                    s.push('\n');
                    s.push_str(a);
                }
                s
            }
            RecordBody::LegalEducation(e) => {
                let mut s = format!("{}\n{}", e.topic, e.notes);
                for m in &e.materials {
                    s.push('\n');
                    s.push_str(m);
                }
                s
            }
            RecordBody::Dispute(d) => {
                let mut s = d.summary.clone();
                if let Some(a) = &d.address {
                    s.push('\n');
                    s.push_str(a);
                }
                s
            }
        }
    }
}

fn excerpt(s: &str, chars: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    let mut out: String = line.chars().take(chars).collect();
    if line.chars().count() > chars {
        out.push('…');
    }
    out
}
