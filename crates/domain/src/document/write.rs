//! Record -> document. `new_document` writes a fresh record as one change; `write_changes` turns the
//! difference between two versions of a record into the smallest set of operations: unchanged
//! fields write nothing, a changed text is spliced (`update_text`), a changed list element is
//! updated in place and inserts/removals happen at their position.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, AutomergeError, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::ids::RecordId;
use crate::record::*;
use crate::time::Timestamp;

type R = Result<(), AutomergeError>;

/// A new document holding `r`. The caller commits (with its own message and time).
pub fn new_document(r: &Record) -> Result<AutoCommit, AutomergeError> {
    let mut doc = AutoCommit::new();
    write_changes(&mut doc, None, r)?;
    Ok(doc)
}

/// Writes the operations that turn `old` (what `doc` currently holds, or nothing) into `new`.
pub fn write_changes(doc: &mut AutoCommit, old: Option<&Record>, new: &Record) -> R {
    let w = &mut W {
        doc,
        fresh: old.is_none(),
    };
    let om = old.map(|o| &o.meta);
    let m = &new.meta;
    w.str(&ROOT, "id", om.map(|o| o.id.to_string()), &m.id.to_string())?;
    w.str(
        &ROOT,
        "kind",
        old.map(|o| o.kind().as_str().to_owned()),
        new.kind().as_str(),
    )?;
    w.scalar(
        &ROOT,
        "schema_version",
        om.map(|o| uint(o.schema_version)),
        uint(m.schema_version),
    )?;
    w.str(
        &ROOT,
        "grid_id",
        om.map(|o| o.grid_id.to_string()),
        m.grid_id.as_str(),
    )?;
    w.str(
        &ROOT,
        "created_by",
        om.map(|o| o.created_by.clone()),
        &m.created_by,
    )?;
    w.scalar(
        &ROOT,
        "created_at",
        om.map(|o| ts(o.created_at)),
        ts(m.created_at),
    )?;
    w.scalar(
        &ROOT,
        "updated_at",
        om.map(|o| ts(o.updated_at)),
        ts(m.updated_at),
    )?;
    w.scalar(
        &ROOT,
        "deleted_at",
        om.map(|o| opt_ts(o.deleted_at)),
        opt_ts(m.deleted_at),
    )?;

    // A kind never changes (validation refuses it); a mismatch here writes the body fresh, and
    // removes the old kind's keys, so the document still fits the schema (`read_record` refuses
    // keys of another kind) and the change is refused for what it is.
    let same_kind = old.map(|o| o.kind() == new.kind()).unwrap_or(false);
    if old.is_some() && !same_kind {
        let allowed = super::read::root_keys(new.kind());
        let foreign: Vec<String> = w
            .doc
            .keys(ROOT)
            .filter(|k| !allowed.iter().any(|set| set.contains(&k.as_str())))
            .collect();
        for k in foreign {
            w.doc.delete(ROOT, k.as_str())?;
        }
    }
    let w = &mut W {
        doc: w.doc,
        fresh: !same_kind,
    };
    match (&new.body, old.map(|o| &o.body).filter(|_| same_kind)) {
        (RecordBody::PatrolVisit(n), o) => {
            let o = match o {
                Some(RecordBody::PatrolVisit(o)) => Some(o),
                _ => None,
            };
            patrol_visit(w, o, n)
        }
        (RecordBody::LegalEducation(n), o) => {
            let o = match o {
                Some(RecordBody::LegalEducation(o)) => Some(o),
                _ => None,
            };
            legal_education(w, o, n)
        }
        (RecordBody::Dispute(n), o) => {
            let o = match o {
                Some(RecordBody::Dispute(o)) => Some(o),
                _ => None,
            };
            dispute(w, o, n)
        }
    }
}

fn patrol_visit(w: &mut W, o: Option<&PatrolVisit>, n: &PatrolVisit) -> R {
    w.scalar(
        &ROOT,
        "visited_at",
        o.map(|o| ts(o.visited_at)),
        ts(n.visited_at),
    )?;
    w.location(o.map(|o| o.location), n.location)?;
    w.opt_str(
        &ROOT,
        "address",
        o.map(|o| o.address.as_deref()),
        n.address.as_deref(),
    )?;
    w.str(
        &ROOT,
        "subject_kind",
        o.map(|o| o.subject_kind.as_str().to_owned()),
        n.subject_kind.as_str(),
    )?;
    w.opt_str(
        &ROOT,
        "subject_name",
        o.map(|o| o.subject_name.as_deref()),
        n.subject_name.as_deref(),
    )?;
    w.text("findings", o.map(|o| o.findings.as_str()), &n.findings)?;
    w.str_list("hazards", o.map(|o| o.hazards.as_slice()), &n.hazards)?;
    w.scalar(
        &ROOT,
        "follow_up_needed",
        o.map(|o| o.follow_up_needed.into()),
        n.follow_up_needed.into(),
    )?;
    w.scalar(
        &ROOT,
        "follow_up_due_at",
        o.map(|o| opt_ts(o.follow_up_due_at)),
        opt_ts(n.follow_up_due_at),
    )?;
    w.volunteers(
        "volunteers",
        o.map(|o| o.volunteers.as_slice()),
        &n.volunteers,
    )?;
    let ids = |v: &[RecordId]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>();
    w.str_list(
        "dispute_ids",
        o.map(|o| ids(&o.dispute_ids)).as_deref(),
        &ids(&n.dispute_ids),
    )
}

fn legal_education(w: &mut W, o: Option<&LegalEducation>, n: &LegalEducation) -> R {
    w.scalar(&ROOT, "held_at", o.map(|o| ts(o.held_at)), ts(n.held_at))?;
    w.str(&ROOT, "topic", o.map(|o| o.topic.clone()), &n.topic)?;
    w.str(
        &ROOT,
        "format",
        o.map(|o| o.format.as_str().to_owned()),
        n.format.as_str(),
    )?;
    w.location(o.map(|o| o.location), n.location)?;
    w.opt_str(
        &ROOT,
        "address",
        o.map(|o| o.address.as_deref()),
        n.address.as_deref(),
    )?;
    w.scalar(
        &ROOT,
        "audience_count",
        o.map(|o| uint(o.audience_count)),
        uint(n.audience_count),
    )?;
    w.volunteers("speakers", o.map(|o| o.speakers.as_slice()), &n.speakers)?;
    w.str_list("materials", o.map(|o| o.materials.as_slice()), &n.materials)?;
    w.text("notes", o.map(|o| o.notes.as_str()), &n.notes)
}

fn dispute(w: &mut W, o: Option<&Dispute>, n: &Dispute) -> R {
    w.scalar(
        &ROOT,
        "reported_at",
        o.map(|o| ts(o.reported_at)),
        ts(n.reported_at),
    )?;
    w.str(
        &ROOT,
        "source",
        o.map(|o| o.source.as_str().to_owned()),
        n.source.as_str(),
    )?;
    let cat = |d: &Dispute| d.dispute_category.as_str().to_owned();
    w.str(
        &ROOT,
        "dispute_category",
        o.map(cat),
        n.dispute_category.as_str(),
    )?;
    w.location(o.map(|o| o.location), n.location)?;
    w.opt_str(
        &ROOT,
        "address",
        o.map(|o| o.address.as_deref()),
        n.address.as_deref(),
    )?;
    w.parties(o.map(|o| o.parties.as_slice()), &n.parties)?;
    w.text("summary", o.map(|o| o.summary.as_str()), &n.summary)?;
    w.str(
        &ROOT,
        "risk_level",
        o.map(|o| o.risk_level.as_str().to_owned()),
        n.risk_level.as_str(),
    )?;
    // The document keeps the status it started in; the current one is derived from `workflow`.
    w.str(
        &ROOT,
        "status",
        o.map(|o| o.initial_status.as_str().to_owned()),
        n.initial_status.as_str(),
    )?;
    let old_events = if w.fresh {
        &[][..]
    } else {
        o.map(|o| o.workflow.as_slice()).unwrap_or(&[])
    };
    if w.fresh || old_events != n.workflow.as_slice() {
        super::workflow::append_events(w.doc, old_events, &n.workflow)?;
    }
    Ok(())
}

fn ts(t: Timestamp) -> ScalarValue {
    ScalarValue::Timestamp(t.millis())
}

fn opt_ts(t: Option<Timestamp>) -> ScalarValue {
    t.map(ts).unwrap_or(ScalarValue::Null)
}

fn uint(n: u32) -> ScalarValue {
    ScalarValue::Uint(u64::from(n))
}

fn opt_str_value(s: Option<&str>) -> ScalarValue {
    s.map(|s| ScalarValue::Str(s.into()))
        .unwrap_or(ScalarValue::Null)
}

/// Writes into one document; `fresh` means "there is no previous version: write everything".
struct W<'a> {
    doc: &'a mut AutoCommit,
    fresh: bool,
}

impl W<'_> {
    fn scalar(&mut self, obj: &ObjId, key: &str, old: Option<ScalarValue>, new: ScalarValue) -> R {
        if self.fresh || old.as_ref() != Some(&new) {
            self.doc.put(obj, key, new)?;
        }
        Ok(())
    }

    fn str(&mut self, obj: &ObjId, key: &str, old: Option<String>, new: &str) -> R {
        self.scalar(
            obj,
            key,
            old.map(|s| ScalarValue::Str(s.into())),
            ScalarValue::Str(new.into()),
        )
    }

    fn opt_str(
        &mut self,
        obj: &ObjId,
        key: &str,
        old: Option<Option<&str>>,
        new: Option<&str>,
    ) -> R {
        self.scalar(obj, key, old.map(opt_str_value), opt_str_value(new))
    }

    fn text(&mut self, key: &str, old: Option<&str>, new: &str) -> R {
        if !self.fresh && old == Some(new) {
            return Ok(());
        }
        let existing = match self.doc.get(ROOT, key)? {
            Some((Value::Object(ObjType::Text), id)) => Some(id),
            _ => None,
        };
        let id = match existing {
            Some(id) => id,
            None => self.doc.put_object(ROOT, key, ObjType::Text)?,
        };
        self.doc.update_text(&id, new)
    }

    fn location(&mut self, old: Option<Option<Location>>, new: Option<Location>) -> R {
        if !self.fresh && old == Some(new) {
            return Ok(());
        }
        match new {
            None => self.doc.put(ROOT, "location", ScalarValue::Null),
            Some(l) => {
                let obj = self.doc.put_object(ROOT, "location", ObjType::Map)?;
                self.doc.put(&obj, "lat", l.lat)?;
                self.doc.put(&obj, "lon", l.lon)?;
                let acc = l
                    .accuracy_m
                    .map(ScalarValue::F64)
                    .unwrap_or(ScalarValue::Null);
                self.doc.put(&obj, "accuracy_m", acc)
            }
        }
    }

    /// Returns the list object at `key`, creating it when absent.
    fn list(&mut self, key: &str) -> Result<ObjId, AutomergeError> {
        match self.doc.get(ROOT, key)? {
            Some((Value::Object(ObjType::List), id)) if !self.fresh => Ok(id),
            _ => self.doc.put_object(ROOT, key, ObjType::List),
        }
    }

    fn str_list(&mut self, key: &str, old: Option<&[String]>, new: &[String]) -> R {
        if !self.fresh && old == Some(new) {
            return Ok(());
        }
        let list = self.list(key)?;
        let old = if self.fresh {
            &[][..]
        } else {
            old.unwrap_or(&[])
        };
        diff_list(
            self.doc,
            &list,
            old,
            new,
            |doc, list, i, insert, _old, new| {
                let v = ScalarValue::Str(new.as_str().into());
                if insert {
                    doc.insert(list, i, v)
                } else {
                    doc.put(list, i, v)
                }
            },
        )
    }

    fn volunteers(
        &mut self,
        key: &str,
        old: Option<&[LegalVolunteer]>,
        new: &[LegalVolunteer],
    ) -> R {
        if !self.fresh && old == Some(new) {
            return Ok(());
        }
        let list = self.list(key)?;
        let old = if self.fresh {
            &[][..]
        } else {
            old.unwrap_or(&[])
        };
        diff_list(
            self.doc,
            &list,
            old,
            new,
            |doc, list, i, insert, old, new| {
                let obj = element_map(doc, list, i, insert || old.is_none())?;
                let o = old.filter(|_| !insert);
                put_if(
                    doc,
                    &obj,
                    "name",
                    o.map(|o| o.name.as_str().into()),
                    new.name.as_str().into(),
                )?;
                let role = |v: &LegalVolunteer| ScalarValue::Str(v.legal_role.as_str().into());
                put_if(doc, &obj, "legal_role", o.map(role), role(new))
            },
        )
    }

    fn parties(&mut self, old: Option<&[Party]>, new: &[Party]) -> R {
        if !self.fresh && old == Some(new) {
            return Ok(());
        }
        let list = self.list("parties")?;
        let old = if self.fresh {
            &[][..]
        } else {
            old.unwrap_or(&[])
        };
        diff_list(
            self.doc,
            &list,
            old,
            new,
            |doc, list, i, insert, old, new| {
                let obj = element_map(doc, list, i, insert || old.is_none())?;
                let o = old.filter(|_| !insert);
                let f = |p: &Party, k: &str| match k {
                    "name" => opt_str_value(p.name.as_deref()),
                    "phone" => opt_str_value(p.phone.as_deref()),
                    "id_number" => opt_str_value(p.id_number.as_deref()),
                    _ => ScalarValue::Str(p.role.as_str().into()),
                };
                for k in ["name", "role", "phone", "id_number"] {
                    put_if(doc, &obj, k, o.map(|o| f(o, k)), f(new, k))?;
                }
                Ok(())
            },
        )
    }
}

/// A list element that is a map: a new map when inserting, else the existing one (or a new one
/// replacing whatever non-map value a foreign writer left there).
fn element_map(
    doc: &mut AutoCommit,
    list: &ObjId,
    i: usize,
    insert: bool,
) -> Result<ObjId, AutomergeError> {
    if insert {
        return doc.insert_object(list, i, ObjType::Map);
    }
    match doc.get(list, i)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => doc.put_object(list, i, ObjType::Map),
    }
}

fn put_if(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    old: Option<ScalarValue>,
    new: ScalarValue,
) -> R {
    if old.as_ref() != Some(&new) {
        doc.put(obj, key, new)?;
    }
    Ok(())
}

/// Positional list diff: keep the common prefix and suffix, update the overlapping middle element by
/// element, then insert or delete the rest. One insertion or removal anywhere is one operation.
fn diff_list<T: PartialEq>(
    doc: &mut AutoCommit,
    list: &ObjId,
    old: &[T],
    new: &[T],
    mut write: impl FnMut(&mut AutoCommit, &ObjId, usize, bool, Option<&T>, &T) -> R,
) -> R {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old[prefix..old.len() - suffix];
    let new_mid = &new[prefix..new.len() - suffix];
    let common = old_mid.len().min(new_mid.len());
    for i in 0..common {
        if old_mid[i] != new_mid[i] {
            write(doc, list, prefix + i, false, Some(&old_mid[i]), &new_mid[i])?;
        }
    }
    for (j, item) in new_mid.iter().enumerate().skip(common) {
        write(doc, list, prefix + j, true, None, item)?;
    }
    for _ in common..old_mid.len() {
        doc.delete(list, prefix + common)?;
    }
    Ok(())
}
