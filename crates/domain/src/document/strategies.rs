//! Proptest strategies for the document tests: valid records of every kind, with text that reaches
//! beyond the Basic Multilingual Plane (emoji, CJK Extension B such as 𠀀), combining marks and the
//! line breaks and tabs long text may hold; lists up to the schema's limit; and resident ID numbers
//! built digit by digit with their GB 11643 check character (and broken ones, for rejection).
//!
//! Invariant: every record `record()` yields passes `validate_record` at `now()`; the tests assert
//! it rather than filter, so a generator drifting out of the rules fails loudly.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use crate::enums::*;
use crate::ids::RecordId;
use crate::record::*;
use crate::time::Timestamp;
use crate::validate::{EARLIEST, MAX_LIST};

pub const NOW: i64 = 1_795_000_000_000;

pub fn now() -> Timestamp {
    Timestamp::from_millis(NOW + 1).unwrap()
}

pub fn ts() -> impl Strategy<Value = Timestamp> {
    (EARLIEST..NOW).prop_map(|ms| Timestamp::from_millis(ms).unwrap())
}

/// Characters every text may hold: Chinese, ASCII, punctuation, emoji, CJK Extension B and
/// combining marks (a mark may even come first: the rules count characters, not graphemes).
const TEXT: &str = "一-龥a-zA-Z0-9，。·！？😀-🙏🚀-🛿\u{20000}-\u{2A6DF}\u{0300}-\u{036F}";
/// An emoji joined by U+200D ZERO WIDTH JOINER, where the text rule accepts the joiner.
const ZWJ_SEQUENCE: &str = "[😀-🙏]\u{200D}[🚀-🛿]";

fn regex(pattern: &str) -> BoxedStrategy<String> {
    prop::string::string_regex(pattern).unwrap().boxed()
}

/// A short one-line text: 1 to 30 characters (names allow 50, other short fields 100), not blank.
pub fn short() -> BoxedStrategy<String> {
    regex(&format!(
        "[{TEXT}]{{0,26}}(?:{ZWJ_SEQUENCE})?[一-龥\u{20000}-\u{2A6DF}😀-🙏]"
    ))
}

/// Free text: may hold line breaks, carriage returns and tabs (the only control characters long
/// text accepts), not blank.
pub fn long() -> BoxedStrategy<String> {
    regex(&format!(
        "(?:[{TEXT}\n\r\t ]|{ZWJ_SEQUENCE}){{0,120}}[一-龥\u{20000}-\u{2A6DF}]"
    ))
}

/// A list length: mostly short, as typed in the field, and often up to the schema's limit.
fn list_of<S: Strategy + 'static>(element: S) -> BoxedStrategy<Vec<S::Value>>
where
    S::Value: std::fmt::Debug,
{
    let element = element.boxed();
    prop_oneof![
        5 => prop::collection::vec(element.clone(), 0..4),
        1 => prop::collection::vec(element, 0..=MAX_LIST),
    ]
    .boxed()
}

/// The GB 11643 check character, computed from its definition (weight of position i counted from
/// the right, starting at 2, is 2^(i-1) mod 11; the character is (12 - sum mod 11) mod 11, 10 as X),
/// independently of `validate::id_check_char`.
pub fn gb11643_check(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .enumerate()
        .map(|(k, d)| {
            let i = 18 - k as u32;
            u32::from(d - b'0') * (2u32.pow(i - 1) % 11)
        })
        .sum();
    match (12 - sum % 11) % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap(),
    }
}

fn days_in(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The first 17 characters of a valid resident ID number: region (first digit 1-9), a birth date
/// that exists between 1900 and 2100, a sequence number.
fn id_body() -> impl Strategy<Value = String> {
    (
        100_000..1_000_000u32,
        1900..=2100u32,
        1..=12u32,
        0..31u32,
        0..1000u32,
    )
        .prop_map(|(region, y, m, d, seq)| {
            format!("{region}{y:04}{m:02}{:02}{seq:03}", d % days_in(y, m) + 1)
        })
}

/// A valid 18-character resident ID number; an `X` check character is sometimes lower case,
/// which the rules accept.
pub fn id_number() -> impl Strategy<Value = String> {
    (id_body(), any::<bool>()).prop_map(|(body, lower)| {
        let check = gb11643_check(&body);
        let check = if lower {
            check.to_ascii_lowercase()
        } else {
            check
        };
        format!("{body}{check}")
    })
}

/// Resident ID numbers the rules refuse: the old 15-digit form, a wrong check character, a region
/// starting with 0, a birth date that does not exist, a stray character.
pub fn invalid_id_number() -> impl Strategy<Value = String> {
    prop_oneof![
        "[1-9][0-9]{14}",
        (id_body(), 1..11u32).prop_map(|(body, shift)| {
            let right = gb11643_check(&body);
            let all = "0123456789X";
            let at = all.find(right).unwrap() as u32;
            let wrong = all.as_bytes()[((at + shift) % 11) as usize] as char;
            format!("{body}{wrong}")
        }),
        id_body().prop_map(|body| {
            let body = format!("0{}", &body[1..]);
            let check = gb11643_check(&body);
            format!("{body}{check}")
        }),
        (100_000..1_000_000u32, 1900..=2100u32, 0..1000u32).prop_map(|(region, y, seq)| {
            // 31 November never exists.
            let body = format!("{region}{y:04}1131{seq:03}");
            let check = gb11643_check(&body);
            format!("{body}{check}")
        }),
        id_number().prop_map(|id| format!("{} {}", &id[..6], &id[6..])),
        "[0-9]{0,14}",
    ]
}

fn location() -> impl Strategy<Value = Option<Location>> {
    prop::option::of(
        (
            -90.0..=90.0f64,
            -180.0..=180.0f64,
            prop::option::of(0.0..5000.0f64),
        )
            .prop_map(|(lat, lon, accuracy_m)| Location {
                lat,
                lon,
                accuracy_m,
            }),
    )
}

fn volunteer() -> impl Strategy<Value = LegalVolunteer> {
    (short(), prop::sample::select(LegalRole::ALL))
        .prop_map(|(name, legal_role)| LegalVolunteer { name, legal_role })
}

fn party() -> impl Strategy<Value = Party> {
    (
        prop::option::of(short()),
        prop::sample::select(PartyRole::ALL),
        prop::option::of("1[3-9][0-9]{9}"),
        prop::option::of(id_number()),
    )
        .prop_map(|(name, role, phone, id_number)| Party {
            name,
            role,
            phone,
            id_number,
        })
}

fn patrol_visit() -> impl Strategy<Value = RecordBody> {
    (
        (
            ts(),
            location(),
            prop::option::of(short()),
            prop::sample::select(SubjectKind::ALL),
        ),
        (
            prop::option::of(short()),
            long(),
            list_of(short()),
            any::<bool>(),
        ),
        (list_of(volunteer()), list_of(any::<u128>())),
    )
        .prop_map(
            |(
                (visited_at, location, address, subject_kind),
                (subject_name, findings, hazards, fu),
                (volunteers, ids),
            )| {
                RecordBody::PatrolVisit(PatrolVisit {
                    visited_at,
                    location,
                    address,
                    subject_kind,
                    subject_name,
                    findings,
                    hazards,
                    follow_up_needed: fu,
                    follow_up_due_at: fu.then(|| visited_at.plus_millis(86_400_000)),
                    volunteers,
                    dispute_ids: ids
                        .into_iter()
                        .map(|n| RecordId::from_uuid(uuid::Uuid::from_u128(n)))
                        .collect(),
                })
            },
        )
}

fn legal_education() -> impl Strategy<Value = RecordBody> {
    (
        (
            ts(),
            short(),
            prop::sample::select(EducationFormat::ALL),
            location(),
            prop::option::of(short()),
        ),
        (0..5000u32, list_of(volunteer()), list_of(short()), long()),
    )
        .prop_map(
            |(
                (held_at, topic, format, location, address),
                (audience_count, speakers, materials, notes),
            )| {
                RecordBody::LegalEducation(LegalEducation {
                    held_at,
                    topic,
                    format,
                    location,
                    address,
                    audience_count,
                    speakers,
                    materials,
                    notes,
                })
            },
        )
}

fn dispute() -> impl Strategy<Value = RecordBody> {
    (
        (
            ts(),
            prop::sample::select(DisputeSource::ALL),
            prop::sample::select(DisputeCategory::ALL),
            location(),
        ),
        (
            prop::option::of(short()),
            list_of(party()),
            long(),
            prop::sample::select(RiskLevel::ALL),
        ),
        prop::sample::select(DisputeStatus::ALL),
        prop::collection::vec(crate::workflow::strategies::event(), 0..6),
    )
        .prop_map(
            |(
                (reported_at, source, dispute_category, location),
                (address, parties, summary, risk_level),
                status,
                workflow,
            )| {
                let mut d = Dispute {
                    reported_at,
                    source,
                    dispute_category,
                    location,
                    address,
                    parties,
                    summary,
                    risk_level,
                    status,
                    initial_status: status,
                    workflow,
                };
                d.refresh_status();
                RecordBody::Dispute(d)
            },
        )
}

/// A body of the given kind.
pub fn body_of(kind: RecordKind) -> BoxedStrategy<RecordBody> {
    match kind {
        RecordKind::PatrolVisit => patrol_visit().boxed(),
        RecordKind::LegalEducation => legal_education().boxed(),
        RecordKind::Dispute => dispute().boxed(),
    }
}

pub fn body() -> impl Strategy<Value = RecordBody> {
    prop_oneof![patrol_visit(), legal_education(), dispute()]
}

pub fn record() -> impl Strategy<Value = Record> {
    record_with(body())
}

pub fn dispute_record() -> impl Strategy<Value = Record> {
    record_with(dispute())
}

fn record_with(body: impl Strategy<Value = RecordBody>) -> impl Strategy<Value = Record> {
    (
        any::<u128>(),
        0..5000u32,
        ts(),
        prop::option::of(0..1000i64),
        body,
    )
        .prop_map(|(id, g, created, del, body)| Record {
            meta: RecordMeta {
                id: RecordId::from_uuid(uuid::Uuid::from_u128(id)),
                schema_version: crate::SCHEMA_VERSION,
                grid_id: crate::fixtures::grid_id(g),
                created_by: "wang.wei".into(),
                created_at: created,
                updated_at: created.plus_millis(1000),
                deleted_at: del.map(|d| created.plus_millis(d)),
            },
            body,
        })
}

/// A record and another body of its kind that differs from its own: an edit that changes something.
pub fn record_and_edit() -> impl Strategy<Value = (Record, RecordBody)> {
    record()
        .prop_flat_map(|r| {
            let kind = r.kind();
            (Just(r), body_of(kind))
        })
        .prop_filter("the edit changes the body", |(r, b)| &r.body != b)
}

/// Control characters: C0, DEL and C1.
pub fn control_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::char::range('\u{0}', '\u{1F}'),
        prop::char::range('\u{7F}', '\u{9F}'),
    ]
}
