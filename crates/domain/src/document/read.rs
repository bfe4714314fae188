//! Document -> record. Reads the root map field by field and refuses, with the field's path,
//! anything that does not fit the schema: a missing field, a wrong type, an unknown enum value, a
//! malformed id, and a key the schema does not define (a record may hold only what its kind
//! defines: anything else would travel to every device unseen). Works on any `ReadDoc` (a live
//! document or one loaded from untrusted bytes).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use super::SchemaError;
use crate::SCHEMA_VERSION;
use crate::enums::*;
use crate::ids::{GridId, RecordId};
use crate::record::*;
use crate::time::Timestamp;

type Res<T> = Result<T, SchemaError>;

const PATROL_VISIT_KEYS: &[&str] = &[
    "visited_at",
    "location",
    "address",
    "subject_kind",
    "subject_name",
    "findings",
    "hazards",
    "follow_up_needed",
    "follow_up_due_at",
    "volunteers",
    "dispute_ids",
];
const LEGAL_EDUCATION_KEYS: &[&str] = &[
    "held_at",
    "topic",
    "format",
    "location",
    "address",
    "audience_count",
    "speakers",
    "materials",
    "notes",
];
const DISPUTE_KEYS: &[&str] = &[
    "reported_at",
    "source",
    "dispute_category",
    "location",
    "address",
    "parties",
    "summary",
    "risk_level",
    "status",
    super::workflow::KEY,
];
const LOCATION_KEYS: &[&str] = &["lat", "lon", "accuracy_m"];
const VOLUNTEER_KEYS: &[&str] = &["name", "legal_role"];
const PARTY_KEYS: &[&str] = &["name", "role", "phone", "id_number"];
/// The root keys a record of `kind` may hold: `kind`, the meta keys every record has, its own.
pub(super) fn root_keys(kind: RecordKind) -> [&'static [&'static str]; 3] {
    let own = match kind {
        RecordKind::PatrolVisit => PATROL_VISIT_KEYS,
        RecordKind::LegalEducation => LEGAL_EDUCATION_KEYS,
        RecordKind::Dispute => DISPUTE_KEYS,
    };
    [&["kind"], &crate::input::META_KEYS, own]
}

/// The longest part of an unknown key echoed in the error's field path.
const SHOWN_KEY_CHARS: usize = 40;

/// Reads the record a document holds.
pub fn read_record<D: ReadDoc>(doc: &D) -> Res<Record> {
    let r = Rd::new(doc);
    let version = r.uint(&ROOT, "schema_version", "schema_version")?;
    if version > u64::from(SCHEMA_VERSION) {
        return Err(SchemaError::UnsupportedVersion(version));
    }
    let kind_s = r.string(&ROOT, "kind", "kind")?;
    let kind = RecordKind::parse(&kind_s).ok_or_else(|| invalid("kind", &kind_s))?;
    r.only(&ROOT, "", &root_keys(kind))?;
    let id_s = r.string(&ROOT, "id", "id")?;
    let grid_s = r.string(&ROOT, "grid_id", "grid_id")?;
    let meta = RecordMeta {
        id: id_s.parse::<RecordId>().map_err(|_| invalid("id", &id_s))?,
        schema_version: u32::try_from(version)
            .map_err(|_| invalid("schema_version", &version.to_string()))?,
        grid_id: GridId::parse(&grid_s).ok_or_else(|| invalid("grid_id", &grid_s))?,
        created_by: r.string(&ROOT, "created_by", "created_by")?,
        created_at: r.ts(&ROOT, "created_at", "created_at")?,
        updated_at: r.ts(&ROOT, "updated_at", "updated_at")?,
        deleted_at: r.opt_ts(&ROOT, "deleted_at", "deleted_at")?,
    };
    let body = match kind {
        RecordKind::PatrolVisit => RecordBody::PatrolVisit(PatrolVisit {
            visited_at: r.ts(&ROOT, "visited_at", "visited_at")?,
            location: r.location()?,
            address: r.opt_string(&ROOT, "address", "address")?,
            subject_kind: r.enumeration(
                &ROOT,
                "subject_kind",
                "subject_kind",
                SubjectKind::parse,
            )?,
            subject_name: r.opt_string(&ROOT, "subject_name", "subject_name")?,
            findings: r.text("findings")?,
            hazards: r.str_list("hazards")?,
            follow_up_needed: r.bool(&ROOT, "follow_up_needed")?,
            follow_up_due_at: r.opt_ts(&ROOT, "follow_up_due_at", "follow_up_due_at")?,
            volunteers: r.volunteers("volunteers")?,
            dispute_ids: r
                .str_list("dispute_ids")?
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    s.parse()
                        .map_err(|_| invalid(&format!("dispute_ids[{i}]"), s))
                })
                .collect::<Res<_>>()?,
        }),
        RecordKind::LegalEducation => RecordBody::LegalEducation(LegalEducation {
            held_at: r.ts(&ROOT, "held_at", "held_at")?,
            topic: r.string(&ROOT, "topic", "topic")?,
            format: r.enumeration(&ROOT, "format", "format", EducationFormat::parse)?,
            location: r.location()?,
            address: r.opt_string(&ROOT, "address", "address")?,
            audience_count: {
                let n = r.uint(&ROOT, "audience_count", "audience_count")?;
                u32::try_from(n).map_err(|_| invalid("audience_count", &n.to_string()))?
            },
            speakers: r.volunteers("speakers")?,
            materials: r.str_list("materials")?,
            notes: r.text("notes")?,
        }),
        RecordKind::Dispute => RecordBody::Dispute(dispute(&r, doc)?),
    };
    Ok(Record { meta, body })
}

fn dispute<D: ReadDoc>(r: &Rd<'_, D>, doc: &D) -> Res<Dispute> {
    let initial = r.enumeration(&ROOT, "status", "status", DisputeStatus::parse)?;
    let mut d = Dispute {
        reported_at: r.ts(&ROOT, "reported_at", "reported_at")?,
        source: r.enumeration(&ROOT, "source", "source", DisputeSource::parse)?,
        dispute_category: r.enumeration(
            &ROOT,
            "dispute_category",
            "dispute_category",
            DisputeCategory::parse,
        )?,
        location: r.location()?,
        address: r.opt_string(&ROOT, "address", "address")?,
        parties: r.parties()?,
        summary: r.text("summary")?,
        risk_level: r.enumeration(&ROOT, "risk_level", "risk_level", RiskLevel::parse)?,
        status: initial,
        initial_status: initial,
        workflow: super::workflow::read_events(doc, None)?,
    };
    d.refresh_status();
    Ok(d)
}

fn invalid(field: &str, value: &str) -> SchemaError {
    let shown: String = value.chars().take(40).collect();
    SchemaError::InvalidValue {
        field: field.to_owned(),
        detail: format!("`{shown}`"),
    }
}

fn wrong(field: &str, expected: &'static str) -> SchemaError {
    SchemaError::WrongType {
        field: field.to_owned(),
        expected,
    }
}

/// A map's field as one pass over the map finds it (each key's winning value).
enum Field {
    Scalar(ScalarValue),
    Object(ObjType, ObjId),
}

struct Rd<'a, D> {
    doc: &'a D,
    /// Each map's fields, read in one `map_range` pass the first time the map is asked (the root
    /// at once, `location` and each party or volunteer when reached): a `get` per field seeks the
    /// op set again each time (figures in docs/benchmarks.md, W1). Every push, edit and merged
    /// pull pays it, the server twice per edit.
    maps: RefCell<HashMap<ObjId, Rc<HashMap<String, Field>>>>,
}

impl<'a, D: ReadDoc> Rd<'a, D> {
    fn new(doc: &'a D) -> Self {
        Self {
            doc,
            maps: RefCell::new(HashMap::new()),
        }
    }

    /// The fields of the map `obj`.
    fn fields(&self, obj: &ObjId) -> Rc<HashMap<String, Field>> {
        if let Some(f) = self.maps.borrow().get(obj) {
            return Rc::clone(f);
        }
        let fields: HashMap<String, Field> = self
            .doc
            .map_range(obj, ..)
            .map(|item| {
                let id = item.id();
                let field = match item.value.into_value() {
                    Value::Scalar(s) => Field::Scalar(s.into_owned()),
                    Value::Object(t) => Field::Object(t, id),
                };
                (item.key.into_owned(), field)
            })
            .collect();
        let fields = Rc::new(fields);
        self.maps
            .borrow_mut()
            .insert(obj.clone(), Rc::clone(&fields));
        fields
    }

    /// Refuses the first key (in byte order, so every peer names the same one) of the map `obj`
    /// that none of `allowed` lists; `prefix` is the map's path (`"parties[0]."`, or empty).
    fn only(&self, obj: &ObjId, prefix: &str, allowed: &[&[&str]]) -> Res<()> {
        let fields = self.fields(obj);
        let unknown = fields
            .keys()
            .filter(|k| !allowed.iter().any(|set| set.contains(&k.as_str())))
            .min();
        match unknown {
            None => Ok(()),
            Some(k) => {
                let shown: String = k.chars().take(SHOWN_KEY_CHARS).collect();
                Err(SchemaError::UnknownField(format!("{prefix}{shown}")))
            }
        }
    }

    fn scalar(&self, obj: &ObjId, key: &str, path: &str) -> Res<ScalarValue> {
        match self.fields(obj).get(key) {
            None => Err(SchemaError::Missing(path.to_owned())),
            Some(Field::Scalar(s)) => Ok(s.clone()),
            Some(Field::Object(..)) => Err(wrong(path, "a scalar")),
        }
    }

    fn string(&self, obj: &ObjId, key: &str, path: &str) -> Res<String> {
        match self.scalar(obj, key, path)? {
            ScalarValue::Str(s) => Ok(s.to_string()),
            _ => Err(wrong(path, "a string")),
        }
    }

    fn opt_string(&self, obj: &ObjId, key: &str, path: &str) -> Res<Option<String>> {
        match self.scalar(obj, key, path)? {
            ScalarValue::Str(s) => Ok(Some(s.to_string())),
            ScalarValue::Null => Ok(None),
            _ => Err(wrong(path, "a string or null")),
        }
    }

    fn uint(&self, obj: &ObjId, key: &str, path: &str) -> Res<u64> {
        match self.scalar(obj, key, path)? {
            ScalarValue::Uint(n) => Ok(n),
            ScalarValue::Int(n) if n >= 0 => Ok(n.unsigned_abs()),
            _ => Err(wrong(path, "a non-negative integer")),
        }
    }

    fn bool(&self, obj: &ObjId, key: &str) -> Res<bool> {
        match self.scalar(obj, key, key)? {
            ScalarValue::Boolean(b) => Ok(b),
            _ => Err(wrong(key, "a boolean")),
        }
    }

    fn f64(&self, obj: &ObjId, key: &str, path: &str) -> Res<f64> {
        match self.scalar(obj, key, path)? {
            ScalarValue::F64(f) => Ok(f),
            ScalarValue::Int(n) => Ok(n as f64),
            ScalarValue::Uint(n) => Ok(n as f64),
            _ => Err(wrong(path, "a number")),
        }
    }

    fn ts_of(&self, v: ScalarValue, path: &str) -> Res<Option<Timestamp>> {
        match v {
            ScalarValue::Timestamp(ms) => Timestamp::from_millis(ms)
                .map(Some)
                .ok_or_else(|| invalid(path, &ms.to_string())),
            ScalarValue::Null => Ok(None),
            _ => Err(wrong(path, "a timestamp")),
        }
    }

    fn ts(&self, obj: &ObjId, key: &str, path: &str) -> Res<Timestamp> {
        let v = self.scalar(obj, key, path)?;
        self.ts_of(v, path)?
            .ok_or_else(|| wrong(path, "a timestamp"))
    }

    fn opt_ts(&self, obj: &ObjId, key: &str, path: &str) -> Res<Option<Timestamp>> {
        let v = self.scalar(obj, key, path)?;
        self.ts_of(v, path)
    }

    fn enumeration<T>(
        &self,
        obj: &ObjId,
        key: &str,
        path: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Res<T> {
        let s = self.string(obj, key, path)?;
        parse(&s).ok_or_else(|| invalid(path, &s))
    }

    fn object(&self, obj: &ObjId, key: &str, path: &str, ty: ObjType) -> Res<Option<ObjId>> {
        match self.fields(obj).get(key) {
            Some(Field::Object(t, id)) if *t == ty => Ok(Some(id.clone())),
            Some(Field::Scalar(s)) if s.is_null() => Ok(None),
            None => Err(SchemaError::Missing(path.to_owned())),
            Some(_) => Err(wrong(path, obj_type_name(ty))),
        }
    }

    fn text(&self, key: &str) -> Res<String> {
        let id = self
            .object(&ROOT, key, key, ObjType::Text)?
            .ok_or_else(|| wrong(key, "text"))?;
        self.doc.text(&id).map_err(|e| SchemaError::Automerge {
            field: key.to_owned(),
            detail: e.to_string(),
        })
    }

    fn location(&self) -> Res<Option<Location>> {
        let Some(id) = self.object(&ROOT, "location", "location", ObjType::Map)? else {
            return Ok(None);
        };
        self.only(&id, "location.", &[LOCATION_KEYS])?;
        let acc = match self.scalar(&id, "accuracy_m", "location.accuracy_m")? {
            ScalarValue::Null => None,
            _ => Some(self.f64(&id, "accuracy_m", "location.accuracy_m")?),
        };
        Ok(Some(Location {
            lat: self.f64(&id, "lat", "location.lat")?,
            lon: self.f64(&id, "lon", "location.lon")?,
            accuracy_m: acc,
        }))
    }

    fn list(&self, key: &str) -> Res<(ObjId, usize)> {
        let id = self
            .object(&ROOT, key, key, ObjType::List)?
            .ok_or_else(|| wrong(key, "a list"))?;
        let len = self.doc.length(&id);
        Ok((id, len))
    }

    fn str_list(&self, key: &str) -> Res<Vec<String>> {
        let (id, len) = self.list(key)?;
        (0..len)
            .map(|i| {
                let path = format!("{key}[{i}]");
                match self.doc.get(&id, i) {
                    Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                        ScalarValue::Str(s) => Ok(s.to_string()),
                        _ => Err(wrong(&path, "a string")),
                    },
                    Ok(_) => Err(wrong(&path, "a string")),
                    Err(e) => Err(SchemaError::Automerge {
                        field: path,
                        detail: e.to_string(),
                    }),
                }
            })
            .collect()
    }

    fn element(&self, list: &ObjId, i: usize, path: &str) -> Res<ObjId> {
        match self.doc.get(list, i) {
            Ok(Some((Value::Object(ObjType::Map), id))) => Ok(id),
            Ok(_) => Err(wrong(path, "a map")),
            Err(e) => Err(SchemaError::Automerge {
                field: path.to_owned(),
                detail: e.to_string(),
            }),
        }
    }

    fn volunteers(&self, key: &str) -> Res<Vec<LegalVolunteer>> {
        let (id, len) = self.list(key)?;
        (0..len)
            .map(|i| {
                let p = format!("{key}[{i}]");
                let el = self.element(&id, i, &p)?;
                self.only(&el, &format!("{p}."), &[VOLUNTEER_KEYS])?;
                Ok(LegalVolunteer {
                    name: self.string(&el, "name", &format!("{p}.name"))?,
                    legal_role: self.enumeration(
                        &el,
                        "legal_role",
                        &format!("{p}.legal_role"),
                        LegalRole::parse,
                    )?,
                })
            })
            .collect()
    }

    fn parties(&self) -> Res<Vec<Party>> {
        let (id, len) = self.list("parties")?;
        (0..len)
            .map(|i| {
                let p = format!("parties[{i}]");
                let el = self.element(&id, i, &p)?;
                self.only(&el, &format!("{p}."), &[PARTY_KEYS])?;
                Ok(Party {
                    name: self.opt_string(&el, "name", &format!("{p}.name"))?,
                    role: self.enumeration(&el, "role", &format!("{p}.role"), PartyRole::parse)?,
                    phone: self.opt_string(&el, "phone", &format!("{p}.phone"))?,
                    id_number: self.opt_string(&el, "id_number", &format!("{p}.id_number"))?,
                })
            })
            .collect()
    }
}

fn obj_type_name(t: ObjType) -> &'static str {
    match t {
        ObjType::Map | ObjType::Table => "a map",
        ObjType::List => "a list",
        ObjType::Text => "text",
    }
}
