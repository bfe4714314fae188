//! The closed vocabularies of the glossary (docs/glossary.md), each as a Rust enum whose
//! snake_case string is the identifier used in JSON, SQL and Automerge documents alike. Every enum
//! knows its labels in zh-CN and en: the app's and the CLI's one source for them (the UI's
//! labels are generated from these). Adding a value is append-only: existing strings
//! are never renamed, because they are stored in documents on devices.

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal / $zh:literal / $en:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name { $(#[serde(rename = $s)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            /// The zh-CN label shown to users.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// The English label shown to users.
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Which of the three record kinds a record is.
    RecordKind {
        PatrolVisit = "patrol_visit" / "巡查走访" / "Patrol visit",
        LegalEducation = "legal_education" / "普法宣传" / "Legal education",
        Dispute = "dispute" / "矛盾纠纷" / "Dispute",
    }
);

string_enum!(
    /// What a user is in the system: it decides what they may see and do.
    Role {
        GridWorker = "grid_worker" / "网格员" / "Grid worker",
        LegalVolunteer = "legal_volunteer" / "三官一律" / "Legal volunteer",
        Dispatcher = "dispatcher" / "调度员" / "Dispatcher",
        Admin = "admin" / "管理员" / "Administrator",
    }
);

string_enum!(
    /// 人、地、物、事、组织: the five kinds of grid element a patrol visit can concern.
    SubjectKind {
        Person = "person" / "人" / "Person",
        Place = "place" / "地" / "Place",
        Thing = "thing" / "物" / "Thing",
        Event = "event" / "事" / "Event",
        Organization = "organization" / "组织" / "Organization",
    }
);

string_enum!(
    /// The role of a legal volunteer (三官一律).
    LegalRole {
        Judge = "judge" / "法官" / "Judge",
        Prosecutor = "prosecutor" / "检察官" / "Prosecutor",
        PoliceOfficer = "police_officer" / "警官" / "Police officer",
        Lawyer = "lawyer" / "律师" / "Lawyer",
    }
);

string_enum!(
    /// The format of a legal-education session.
    EducationFormat {
        Lecture = "lecture" / "讲座" / "Lecture",
        Consultation = "consultation" / "咨询" / "Consultation",
        Leaflets = "leaflets" / "发放资料" / "Leaflets",
        CaseExplanation = "case_explanation" / "以案释法" / "Case explanation",
        Online = "online" / "线上" / "Online",
    }
);

string_enum!(
    /// Where a dispute report came from.
    DisputeSource {
        Field = "field" / "现场发现" / "Found in the field",
        Hotline12345 = "hotline_12345" / "12345 热线" / "12345 hotline",
        WalkIn = "walk_in" / "群众来访" / "Walk-in",
        Other = "other" / "其他" / "Other",
    }
);

string_enum!(
    /// 纠纷类型.
    DisputeCategory {
        Family = "family" / "婚姻家庭" / "Marriage and family",
        Neighbour = "neighbour" / "邻里" / "Neighbours",
        Labour = "labour" / "劳动" / "Labour",
        PropertyManagement = "property_management" / "物业" / "Property management",
        Land = "land" / "土地" / "Land",
        Consumer = "consumer" / "消费" / "Consumer",
        Traffic = "traffic" / "交通事故" / "Traffic accident",
        Medical = "medical" / "医疗" / "Medical",
        Other = "other" / "其他" / "Other",
    }
);

string_enum!(
    /// A party's role in a dispute (当事人).
    PartyRole {
        Applicant = "applicant" / "申请人" / "Applicant",
        Respondent = "respondent" / "被申请人" / "Respondent",
        Other = "other" / "其他" / "Other",
    }
);

string_enum!(
    /// 风险等级.
    RiskLevel {
        Low = "low" / "低" / "Low",
        Medium = "medium" / "中" / "Medium",
        High = "high" / "高" / "High",
        Critical = "critical" / "重大" / "Critical",
    }
);

string_enum!(
    /// The closed loop of a dispute (统一受理、分流交办、反馈考评). All states exist so that stored
    /// documents never need a rename; which transitions are allowed is decided in `validate`.
    /// `overdue` is derived from `due_at` and is deliberately not a state.
    DisputeStatus {
        Reported = "reported" / "上报" / "Reported",
        Accepted = "accepted" / "受理" / "Accepted",
        Assigned = "assigned" / "分流交办" / "Assigned",
        InProgress = "in_progress" / "处置中" / "In progress",
        Resolved = "resolved" / "办结" / "Resolved",
        Evaluated = "evaluated" / "已评价" / "Evaluated",
        Returned = "returned" / "退回" / "Returned",
        Escalated = "escalated" / "升级上报" / "Escalated",
        NotAccepted = "not_accepted" / "不予受理" / "Not accepted",
        FollowUp = "follow_up" / "回访中" / "Following up",
        Closed = "closed" / "已结案" / "Closed",
    }
);

string_enum!(
    /// The level of an area in the hierarchy of the reference data.
    AreaLevel {
        County = "county" / "县（区）" / "County",
        Township = "township" / "街道（乡镇）" / "Township",
        Community = "community" / "社区（村）" / "Community",
        Grid = "grid" / "网格" / "Grid",
    }
);

string_enum!(
    /// What a workflow event does to a dispute (crates/domain/src/workflow): the actions of the
    /// closed loop, and the entries of its mediation log (`log`), which change no state.
    WorkflowAction {
        Accept = "accept" / "受理" / "Accept",
        NotAccept = "not_accept" / "不予受理" / "Decline",
        Assign = "assign" / "分流交办" / "Assign",
        Start = "start" / "签收处置" / "Start handling",
        Log = "log" / "调解记录" / "Mediation log",
        Resolve = "resolve" / "办结" / "Resolve",
        Return = "return" / "退回" / "Return",
        Escalate = "escalate" / "升级上报" / "Escalate",
        Supervise = "supervise" / "督办" / "Supervise",
        FollowUp = "follow_up" / "回访" / "Follow up",
        Evaluate = "evaluate" / "满意度评价" / "Evaluate",
        Close = "close" / "结案" / "Close",
    }
);

string_enum!(
    /// Why the command centre does not accept a reported dispute.
    NotAcceptedReason {
        NotADispute = "not_a_dispute" / "不属于矛盾纠纷" / "Not a dispute",
        Duplicate = "duplicate" / "重复上报" / "Duplicate of another record",
        OutsideJurisdiction = "outside_jurisdiction" / "不属本辖区" / "Outside our jurisdiction",
    }
);

string_enum!(
    /// Why a dispute goes back to the command centre (退回).
    ReturnReason {
        NotOurs = "not_ours" / "不属本单位职责" / "Not our duty",
        CannotReachParties = "cannot_reach_parties" / "无法联系当事人" / "Cannot reach the parties",
        Other = "other" / "其他" / "Other",
    }
);

string_enum!(
    /// How a dispute was handled (化解方式).
    ResolutionMethod {
        Mediation = "mediation" / "人民调解" / "Mediation",
        Persuasion = "persuasion" / "说服教育" / "Persuasion",
        LegalAdvice = "legal_advice" / "法律咨询" / "Legal advice",
        AdministrativeAction = "administrative_action" / "行政处理" / "Administrative action",
        Other = "other" / "其他" / "Other",
    }
);

string_enum!(
    /// What handling came to (化解结果).
    ResolutionOutcome {
        Agreement = "agreement" / "达成协议" / "Agreement reached",
        NoAgreement = "no_agreement" / "未达成协议" / "No agreement",
        Withdrawn = "withdrawn" / "当事人撤回" / "Withdrawn",
    }
);

string_enum!(
    /// Where the parties were pointed when mediation failed (人民调解法 §26).
    Referral {
        Litigation = "litigation" / "诉讼" / "Litigation",
        Arbitration = "arbitration" / "仲裁" / "Arbitration",
        Petition = "petition" / "信访" / "Petition (xinfang)",
        Administrative = "administrative" / "行政途径" / "Administrative channel",
    }
);

string_enum!(
    /// The level of the command platform that handles a dispute (三级指挥平台), lowest first.
    EscalationLevel {
        Grid = "grid" / "网格（社区）" / "Grid (community)",
        Township = "township" / "街道（乡镇）" / "Township",
        County = "county" / "县（区）" / "County",
    }
);

string_enum!(
    /// The parties' satisfaction, asked at the follow-up visit.
    Satisfaction {
        Satisfied = "satisfied" / "满意" / "Satisfied",
        BasicallySatisfied = "basically_satisfied" / "基本满意" / "Basically satisfied",
        Dissatisfied = "dissatisfied" / "不满意" / "Dissatisfied",
    }
);

string_enum!(
    /// What a mediation-log entry records (调解记录).
    LogKind {
        Visit = "visit" / "走访" / "Visit",
        Call = "call" / "电话联系" / "Phone call",
        Session = "session" / "调解会" / "Mediation session",
        AgreementDraft = "agreement_draft" / "协议草稿" / "Agreement draft",
    }
);

string_enum!(
    /// Why an event kept in a dispute's workflow took no effect after a merge (shown, never dropped).
    FlagCode {
        NotAllowedInState = "not_allowed_in_state" / "与先到的操作冲突：当时状态已不允许" / "Conflicts with an earlier action: not allowed in that state",
        NotAssignee = "not_assignee" / "与先到的操作冲突：已改派他人" / "Conflicts with an earlier action: no longer the assignee",
        RoleNotAllowed = "role_not_allowed" / "该角色无权执行此操作" / "This role may not take this action",
        InvalidDetails = "invalid_details" / "操作内容不完整或无效" / "Incomplete or invalid details",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_match_serde() {
        for k in DisputeCategory::ALL {
            assert_eq!(DisputeCategory::parse(k.as_str()), Some(*k));
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        assert_eq!(
            DisputeSource::parse("hotline_12345"),
            Some(DisputeSource::Hotline12345)
        );
        assert_eq!(RecordKind::parse("nope"), None);
    }
}
