//! The closed vocabularies of the glossary (`docs/glossary.md`), each as a Rust enum whose
//! snake_case string is the identifier used in JSON, SQL and Automerge documents alike. Every enum
//! knows its Chinese label for lists and messages. Adding a value is append-only: existing strings
//! are never renamed, because they are stored in documents on devices.

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal / $zh:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
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
        PatrolVisit = "patrol_visit" / "巡查走访",
        LegalEducation = "legal_education" / "普法宣传",
        Dispute = "dispute" / "矛盾纠纷",
    }
);

string_enum!(
    /// 人、地、物、事、组织: the five kinds of grid element a patrol visit can concern.
    SubjectKind {
        Person = "person" / "人",
        Place = "place" / "地",
        Thing = "thing" / "物",
        Event = "event" / "事",
        Organization = "organization" / "组织",
    }
);

string_enum!(
    /// The role of a legal volunteer (三官一律).
    LegalRole {
        Judge = "judge" / "法官",
        Prosecutor = "prosecutor" / "检察官",
        PoliceOfficer = "police_officer" / "警官",
        Lawyer = "lawyer" / "律师",
    }
);

string_enum!(
    /// The format of a legal-education session.
    EducationFormat {
        Lecture = "lecture" / "讲座",
        Consultation = "consultation" / "咨询",
        Leaflets = "leaflets" / "发放资料",
        CaseExplanation = "case_explanation" / "以案释法",
        Online = "online" / "线上",
    }
);

string_enum!(
    /// Where a dispute report came from.
    DisputeSource {
        Field = "field" / "网格发现",
        Hotline12345 = "hotline_12345" / "12345热线",
        WalkIn = "walk_in" / "来访",
        Other = "other" / "其他",
    }
);

string_enum!(
    /// 纠纷类型.
    DisputeCategory {
        Family = "family" / "婚姻家庭",
        Neighbour = "neighbour" / "邻里",
        Labour = "labour" / "劳动",
        PropertyManagement = "property_management" / "物业",
        Land = "land" / "土地",
        Consumer = "consumer" / "消费",
        Traffic = "traffic" / "交通事故",
        Medical = "medical" / "医疗",
        Other = "other" / "其他",
    }
);

string_enum!(
    /// A party's role in a dispute (当事人).
    PartyRole {
        Applicant = "applicant" / "申请人",
        Respondent = "respondent" / "被申请人",
        Other = "other" / "其他",
    }
);

string_enum!(
    /// 风险等级.
    RiskLevel {
        Low = "low" / "低",
        Medium = "medium" / "中",
        High = "high" / "高",
        Critical = "critical" / "重大",
    }
);

string_enum!(
    /// The closed loop of a dispute (统一受理、分流交办、反馈考评). All states exist so that stored
    /// documents never need a rename; which transitions are allowed is decided in `validate`.
    /// `overdue` is derived from `due_at` and is deliberately not a state.
    DisputeStatus {
        Reported = "reported" / "已上报",
        Accepted = "accepted" / "已受理",
        Assigned = "assigned" / "已交办",
        InProgress = "in_progress" / "处置中",
        Resolved = "resolved" / "已办结",
        Evaluated = "evaluated" / "已评价",
        Returned = "returned" / "已退回",
        Escalated = "escalated" / "已升级",
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
