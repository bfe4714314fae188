//! The form rules as data: every text field's limit per record kind, the list and number limits,
//! the fields that never change after creation, and the normalisation of phone and ID numbers.
//!
//! Invariants: `validate` checks records with these very constants, and the app's TypeScript
//! bindings are generated from them (src-tauri's bindings test), so a form's `maxlength` cannot
//! drift from the rule that checks it. Normalisation is applied where user input is parsed
//! (`input`), so the UI, the CLI and ledger imports all store the same canonical form.

use serde::Serialize;

use crate::enums::RecordKind;
pub use crate::validate::{TextRule, first_forbidden_char, is_always_refused};

const fn rule(required: bool, max_chars: usize, multiline: bool) -> TextRule {
    TextRule {
        required,
        max_chars,
        multiline,
    }
}

/// A place's street address.
pub const ADDRESS: TextRule = rule(false, 200, false);
/// Who or what a patrol visit concerned (its name).
pub const SUBJECT_NAME: TextRule = rule(false, 100, false);
/// A patrol visit's findings, a dispute's summary: the long free text.
pub const FINDINGS: TextRule = rule(true, 5000, true);
pub const SUMMARY: TextRule = rule(true, 5000, true);
/// One hazard found on a visit, one material handed out at a session.
pub const LIST_ITEM: TextRule = rule(true, 100, false);
/// A legal volunteer's (judge, prosecutor, police officer, lawyer) name.
pub const VOLUNTEER_NAME: TextRule = rule(true, 50, false);
/// A party's name (optional: a party may stay anonymous).
pub const PARTY_NAME: TextRule = rule(false, 50, false);
/// A legal-education session's topic.
pub const TOPIC: TextRule = rule(true, 200, false);
/// A legal-education session's notes.
pub const NOTES: TextRule = rule(false, 5000, true);
/// The user name in `created_by`.
pub const USER_NAME: TextRule = rule(true, 64, false);

/// Longest list of volunteers, parties, hazards, materials, linked disputes.
pub const MAX_LIST: usize = 50;
pub const MAX_AUDIENCE: u32 = 100_000;
/// Largest accuracy worth keeping (100 km): beyond that a fix tells nothing.
pub const MAX_ACCURACY_M: f64 = 100_000.0;
/// How many characters a form lets a user type into a phone or ID number field: the canonical
/// form (11 digits, 18 characters) plus the spaces, dashes and `+86` people type, which
/// [`normalize_phone`] and [`normalize_id_number`] remove.
pub const PHONE_INPUT_MAX_CHARS: usize = 20;
pub const ID_NUMBER_INPUT_MAX_CHARS: usize = 24;

/// A user name as accounts have them (normalised: lowercase): 1-64 of `a-z 0-9 . _ -`. The
/// server's accounts, the authors of workflow events and assignees all follow it.
pub fn is_user_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// Whether a one-line name (a user's display name, a device, an area, a unit) holds only
/// characters text fields accept: the same rule as every record's text (`validate/chars.rs`).
pub fn is_clean_name(s: &str) -> bool {
    first_forbidden_char(s, false).is_none()
}

/// Fields that never change after a record is created (`validate_update` refuses a change).
pub const IMMUTABLE_FIELDS: [&str; 5] = ["id", "kind", "created_by", "created_at", "grid_id"];

/// One text field's rule, by its path in the record JSON (`[]` stands for every list element).
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TextField {
    pub path: &'static str,
    pub rule: TextRule,
}

const fn field(path: &'static str, rule: TextRule) -> TextField {
    TextField { path, rule }
}

const PATROL_VISIT_TEXT: &[TextField] = &[
    field("address", ADDRESS),
    field("subject_name", SUBJECT_NAME),
    field("findings", FINDINGS),
    field("hazards[]", LIST_ITEM),
    field("volunteers[].name", VOLUNTEER_NAME),
];
const LEGAL_EDUCATION_TEXT: &[TextField] = &[
    field("topic", TOPIC),
    field("address", ADDRESS),
    field("materials[]", LIST_ITEM),
    field("notes", NOTES),
    field("speakers[].name", VOLUNTEER_NAME),
];
const DISPUTE_TEXT: &[TextField] = &[
    field("address", ADDRESS),
    field("parties[].name", PARTY_NAME),
    field("summary", SUMMARY),
];

/// Every text field of a kind with the rule `validate` checks it by.
pub fn text_fields(kind: RecordKind) -> &'static [TextField] {
    match kind {
        RecordKind::PatrolVisit => PATROL_VISIT_TEXT,
        RecordKind::LegalEducation => LEGAL_EDUCATION_TEXT,
        RecordKind::Dispute => DISPUTE_TEXT,
    }
}

/// A mainland mobile number as people type it (`138 0013 8000`, `+86-138…`), in the canonical
/// form `validate` accepts. Anything that does not reduce to digits is returned trimmed, so the
/// rule can name it.
pub fn normalize_phone(s: &str) -> String {
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '(' | ')'))
        .collect();
    let national = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(&compact);
    national.to_owned()
}

/// A resident ID number without spaces, with the check character `x` in upper case.
pub fn normalize_id_number(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_lose_what_people_type_around_the_digits() {
        for typed in [
            "13800138000",
            " 138 0013 8000 ",
            "+86 138-0013-8000",
            "0086 13800138000",
            "(138)00138000",
        ] {
            assert_eq!(normalize_phone(typed), "13800138000", "{typed:?}");
        }
        assert_eq!(normalize_phone("call me"), "callme");
    }

    #[test]
    fn id_numbers_lose_spaces_and_get_an_upper_case_check_character() {
        assert_eq!(
            normalize_id_number(" 320102 19900101 123x "),
            "32010219900101123X"
        );
    }

    #[test]
    fn every_kind_has_its_free_text_with_the_long_limit() {
        let long = |k| {
            text_fields(k)
                .iter()
                .filter(|f| f.rule.multiline)
                .map(|f| f.path)
                .collect::<Vec<_>>()
        };
        assert_eq!(long(RecordKind::PatrolVisit), ["findings"]);
        assert_eq!(long(RecordKind::LegalEducation), ["notes"]);
        assert_eq!(long(RecordKind::Dispute), ["summary"]);
    }
}
