//! The generated contract between Rust and the UI (a test, so that the project's test command
//! fails when it is stale). From the command table and the Rust types it writes
//! `ui/src/api/bindings.ts` (types, enums with their values, form rules, typed command wrappers)
//! and `capabilities/default.json` (exactly the table's commands). Both files are checked in;
//! `GRIDMATE_UPDATE_BINDINGS=1 cargo test -p gridmate-app bindings` rewrites them.
#![allow(clippy::unwrap_used)]

use std::fmt::Write;
use std::path::Path;

use gridmate_core::store::*;
use gridmate_core::sync::SyncStatus;
use gridmate_domain::reference::{Area, Colleague, ReferenceData, Unit};
use gridmate_domain::rules::{self, TextField, TextRule};
use gridmate_domain::workflow::deadline::{DeadlineTable, Limit, StepLimit};
use gridmate_domain::workflow::{
    self, ActionRequest, DisputeState, EventDetails, Verdict, WorkflowEvent, WorkflowView,
};
use gridmate_domain::*;
use serde_json::json;
use ts_rs::{Config, TS};

use crate::contract::*;
use crate::error::AppError;

/// The JSON wrappers are named after the UI's types for them.
macro_rules! ts_alias {
    ($($ty:ty => $name:literal),+) => {$(
        impl TS for $ty {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name(_: &Config) -> String {
                $name.to_owned()
            }
            fn inline(cfg: &Config) -> String {
                <Self as TS>::name(cfg)
            }
        }
    )+};
}
ts_alias!(RecordJson => "RecordJson", DraftJson => "DraftInput", PatchJson => "RecordPatch",
    DraftValue => "DraftValue");

fn cfg() -> Config {
    Config::new().with_large_int("number")
}

fn decl<T: TS>(out: &mut String) {
    writeln!(out, "export {}\n", T::decl(&cfg())).unwrap();
}

/// `export const NAME = [...] as const` with the enum's identifiers, beside its type.
fn values<T: TS>(out: &mut String, name: &str, all: &[&str]) {
    decl::<T>(out);
    let ty = T::name(&cfg());
    writeln!(
        out,
        "export const {name} = {} as const satisfies readonly {ty}[]\n",
        json!(all)
    )
    .unwrap();
}

fn types(out: &mut String) {
    out.push_str("// ---- errors ----\n\n");
    decl::<Localized>(out);
    decl::<ErrorCode>(out);
    decl::<FieldError>(out);
    decl::<AppError>(out);
    out.push_str("// ---- enumerations (values and their i18n label keys' last part) ----\n\n");
    let mut zh = serde_json::Map::new();
    let mut en = serde_json::Map::new();
    let mut label_set = String::from(
        "/** One language's labels of every enumeration, by i18n namespace. */\nexport type EnumLabelSet = {\n",
    );
    macro_rules! enums {
        ($($ty:ty => $name:literal / $ns:literal),+) => {$(
            let all: Vec<&str> = <$ty>::ALL.iter().map(|v| v.as_str()).collect();
            values::<$ty>(out, $name, &all);
            let label = |f: fn($ty) -> &'static str| -> serde_json::Value {
                <$ty>::ALL.iter().map(|v| (v.as_str().to_owned(), json!(f(*v)))).collect()
            };
            writeln!(label_set, "  {}: Record<{}, string>", $ns, <$ty as TS>::name(&cfg())).unwrap();
            zh.insert($ns.to_owned(), label(<$ty>::label_zh));
            en.insert($ns.to_owned(), label(<$ty>::label_en));
        )+};
    }
    enums!(RecordKind => "RECORD_KINDS" / "kind", Role => "ROLES" / "role",
        LegalRole => "LEGAL_ROLES" / "legal_role", SubjectKind => "SUBJECT_KINDS" / "subject_kind",
        EducationFormat => "FORMATS" / "format", DisputeSource => "SOURCES" / "source",
        DisputeCategory => "DISPUTE_CATEGORIES" / "dispute_category",
        RiskLevel => "RISK_LEVELS" / "risk_level", DisputeStatus => "DISPUTE_STATUSES" / "status",
        PartyRole => "PARTY_ROLES" / "party_role",
        WorkflowAction => "WORKFLOW_ACTIONS" / "workflow_action",
        NotAcceptedReason => "NOT_ACCEPTED_REASONS" / "not_accepted_reason",
        ReturnReason => "RETURN_REASONS" / "return_reason",
        ResolutionMethod => "RESOLUTION_METHODS" / "resolution_method",
        ResolutionOutcome => "RESOLUTION_OUTCOMES" / "outcome", Referral => "REFERRALS" / "referral",
        EscalationLevel => "ESCALATION_LEVELS" / "level",
        Satisfaction => "SATISFACTIONS" / "satisfaction", LogKind => "LOG_KINDS" / "log_kind",
        FlagCode => "FLAG_CODES" / "flag", AreaLevel => "AREA_LEVELS" / "area_level");
    label_set.push_str("}\n\n");
    out.push_str(&label_set);
    writeln!(
        out,
        "/** Every enumeration's labels (`status.reported`), in both languages. */\n\
         export const ENUM_LABELS: {{ 'zh-CN': EnumLabelSet; en: EnumLabelSet }} = {}\n",
        serde_json::to_string_pretty(&json!({"zh-CN": zh, "en": en})).unwrap()
    )
    .unwrap();
    let sync_states: Vec<&str> = [
        SyncState::LocalOnly,
        SyncState::Pending,
        SyncState::Synced,
        SyncState::Rejected,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    values::<SyncState>(out, "SYNC_STATES", &sync_states);
    out.push_str("// ---- records (docs/records.md) ----\n\n");
    decl::<Location>(out);
    decl::<LegalVolunteer>(out);
    out.push_str("export type LegalPerson = LegalVolunteer\n\n");
    decl::<Party>(out);
    decl::<PatrolVisit>(out);
    decl::<LegalEducation>(out);
    decl::<EventDetails>(out);
    decl::<WorkflowEvent>(out);
    decl::<Dispute>(out);
    decl::<RecordMeta>(out);
    out.push_str(RECORD_SHAPES);
    out.push_str("// ---- the dispute workflow (crates/domain/src/workflow) ----\n\n");
    decl::<ActionRequest>(out);
    decl::<DisputeState>(out);
    decl::<Verdict>(out);
    decl::<WorkflowView>(out);
    decl::<DisputeWorkflow>(out);
    decl::<TaskItem>(out);
    decl::<Area>(out);
    decl::<Unit>(out);
    decl::<Colleague>(out);
    decl::<Limit>(out);
    decl::<StepLimit>(out);
    decl::<DeadlineTable>(out);
    decl::<ReferenceData>(out);
    out.push_str("// ---- store, sync and session ----\n\n");
    decl::<ListFilters>(out);
    decl::<SearchQuery>(out);
    decl::<RecordSummary>(out);
    decl::<Page>(out);
    decl::<Rejection>(out);
    decl::<serde_json::Value>(out);
    decl::<ConflictValue>(out);
    decl::<Conflict>(out);
    decl::<RecordView>(out);
    decl::<HistoryOp>(out);
    decl::<HistoryEntry>(out);
    decl::<HomeSummary>(out);
    decl::<SyncLogError>(out);
    decl::<SyncLogEntry>(out);
    decl::<SyncStatus>(out);
    decl::<SessionInfo>(out);
    decl::<LoginRequest>(out);
    decl::<AppDefaults>(out);
    decl::<TextRule>(out);
    decl::<TextField>(out);
}

/// The record JSON shapes built from the kinds' bodies (one flat object: meta, `kind`, body).
const RECORD_SHAPES: &str = "\
export type PatrolVisitDraft = { kind: 'patrol_visit'; grid_id: string } & PatrolVisit
export type LegalEducationDraft = { kind: 'legal_education'; grid_id: string } & LegalEducation
export type DisputeDraft = { kind: 'dispute'; grid_id: string } & Dispute
export type RecordDraft = PatrolVisitDraft | LegalEducationDraft | DisputeDraft
export type DraftOf<K extends RecordKind> = Extract<RecordDraft, { kind: K }>
export type RecordJson = RecordDraft & RecordMeta
/** What a form submits: possibly incomplete; Rust's rules report what is missing. */
export type DraftInput = { kind: RecordKind; grid_id?: string } & Record<string, unknown>
/** A JSON merge patch (RFC 7386) of changed fields only; `null` removes an optional field. */
export type RecordPatch = Record<string, unknown>
/** A form's saved state (draft_save / draft_load). */
export type DraftValue = Record<string, unknown>

";

fn form_rules(out: &mut String) {
    out.push_str("// ---- form rules (crates/domain/src/rules.rs) ----\n\n");
    let text: serde_json::Map<String, serde_json::Value> = RecordKind::ALL
        .iter()
        .map(|k| {
            let fields: serde_json::Map<_, _> = rules::text_fields(*k)
                .iter()
                .map(|f| (f.path.to_owned(), json!(f.rule)))
                .collect();
            (k.as_str().to_owned(), fields.into())
        })
        .collect();
    let consts = [
        (
            "TEXT_RULES",
            json!(text),
            "Record<RecordKind, Record<string, TextRule>>",
        ),
        (
            "ACTION_TEXT_RULES",
            json!({
                "note": workflow::ACTION_NOTE,
                "terms": workflow::TERMS,
                "attendees": workflow::ATTENDEES,
            }),
            "Record<'note' | 'terms' | 'attendees', TextRule>",
        ),
        (
            "ACTION_FIELDS",
            WorkflowAction::ALL
                .iter()
                .map(|a| (a.as_str().to_owned(), json!(workflow::takes(*a))))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            "Record<WorkflowAction, readonly (keyof EventDetails)[]>",
        ),
        (
            "ACTION_REQUIRED",
            WorkflowAction::ALL
                .iter()
                .map(|a| (a.as_str().to_owned(), json!(workflow::requires(*a))))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            "Record<WorkflowAction, readonly (keyof EventDetails)[]>",
        ),
        (
            "RETURN_REASON_NEEDING_NOTE",
            json!(workflow::RETURN_REASON_NEEDING_NOTE),
            "ReturnReason",
        ),
        ("MAX_LIST", json!(rules::MAX_LIST), "number"),
        ("MAX_AUDIENCE", json!(rules::MAX_AUDIENCE), "number"),
        ("MAX_ACCURACY_M", json!(rules::MAX_ACCURACY_M), "number"),
        (
            "PHONE_INPUT_MAX_CHARS",
            json!(rules::PHONE_INPUT_MAX_CHARS),
            "number",
        ),
        (
            "ID_NUMBER_INPUT_MAX_CHARS",
            json!(rules::ID_NUMBER_INPUT_MAX_CHARS),
            "number",
        ),
        (
            "IMMUTABLE_FIELDS",
            json!(rules::IMMUTABLE_FIELDS),
            "readonly string[]",
        ),
    ];
    for (name, value, ty) in consts {
        writeln!(
            out,
            "export const {name} = {value} as const satisfies {ty}\n"
        )
        .unwrap();
    }
}

/// `nameCamel: (args) => call<Result>('name', { args })` for every command of the table.
macro_rules! command_wrappers {
    ($($name:ident($($arg:ident: $arg_ty:ty),*) -> $ret:ty;)*) => {{
        let mut names: Vec<&str> = Vec::new();
        let mut out = String::new();
        $(
            names.push(stringify!($name));
            let params: Vec<String> = vec![$(format!(
                "{}: {}", camel(stringify!($arg)), <$arg_ty as TS>::name(&cfg())
            )),*];
            let args: Vec<String> = vec![$(camel(stringify!($arg))),*];
            let args = if args.is_empty() { String::new() } else { format!(", {{ {} }}", args.join(", ")) };
            writeln!(
                out,
                "    {}: ({}) => call<{}>('{}'{}),",
                camel(stringify!($name)),
                params.join(", "),
                <$ret as TS>::name(&cfg()),
                stringify!($name),
                args
            ).unwrap();
        )*
        (names, out)
    }};
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn commands(out: &mut String) -> Vec<&'static str> {
    let (names, wrappers) = app_commands!(command_wrappers);
    out.push_str("// ---- commands (src-tauri/src/command_table.rs) ----\n\n");
    writeln!(out, "export const COMMANDS = {} as const\n", json!(names)).unwrap();
    out.push_str(
        "/** Invokes one command; rejects with the command's AppError. */\n\
         export type Call = <T>(command: string, args?: Record<string, unknown>) => Promise<T>\n\n\
         /** A typed wrapper per command, over `call`. */\n\
         export function makeCommands(call: Call) {\n  return {\n",
    );
    out.push_str(&wrappers);
    out.push_str("  }\n}\n");
    names
}

fn bindings_ts() -> (String, Vec<&'static str>) {
    let mut out = String::from(
        "// Generated from the Rust definitions by src-tauri/src/bindings.rs: do not edit.\n\
         // GRIDMATE_UPDATE_BINDINGS=1 cargo test -p gridmate-app bindings rewrites it; the\n\
         // project's test command fails while it is stale.\n\n",
    );
    types(&mut out);
    form_rules(&mut out);
    let names = commands(&mut out);
    (out, names)
}

fn capability(names: &[&str]) -> String {
    let mut permissions = vec![
        "core:event:allow-listen".to_owned(),
        "core:event:allow-unlisten".to_owned(),
    ];
    permissions.extend(
        names
            .iter()
            .map(|n| format!("allow-{}", n.replace('_', "-"))),
    );
    let v = json!({
        "$schema": "../gen/schemas/desktop-schema.json",
        "identifier": "default",
        "description": "The main window: GridMate's own commands (generated from src/command_table.rs by the bindings test) and event listening, nothing else (no filesystem, shell or HTTP access from the web view).",
        "windows": ["main"],
        "permissions": permissions,
    });
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

/// Compares `path` with `want`, or writes it with `GRIDMATE_UPDATE_BINDINGS=1`.
fn check(path: &Path, want: &str) -> Option<String> {
    if std::env::var_os("GRIDMATE_UPDATE_BINDINGS").is_some() {
        std::fs::write(path, want).unwrap();
        return None;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    (have != want).then(|| path.display().to_string())
}

#[test]
fn bindings_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (ts, names) = bindings_ts();
    let stale: Vec<String> = [
        check(&dir.join("../ui/src/api/bindings.ts"), &ts),
        check(&dir.join("capabilities/default.json"), &capability(&names)),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `GRIDMATE_UPDATE_BINDINGS=1 cargo test -p gridmate-app bindings` and commit them"
    );
}

#[test]
fn camel_case_matches_tauri_argument_names() {
    assert_eq!(camel("records_list"), "recordsList");
    assert_eq!(camel("allow_insecure"), "allowInsecure");
    assert_eq!(camel("req"), "req");
}
