//! The whole-system test harness: a real `gridmate-server` process on 127.0.0.1 (port 0) over its
//! own temp data folder, users created through its admin CLI, and client devices that are real
//! `gridmate-core` stores (SQLite files in temp dirs) syncing over HTTP. Nothing is faked.
//!
//! The server binary is found beside the test executable (`target/<profile>/gridmate-server`);
//! `cargo test --workspace` builds it.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // a harness failure is a test failure

pub mod console;
pub mod proxy;
pub mod workflow;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gridmate_core::Store;
use gridmate_core::sync::{SignIn, SyncConfig, SyncError, SyncReport, sign_in, sync_once};

/// The password every test user gets.
pub const PASSWORD: &str = "test-password-1";

/// A reqwest client builder with the app's TLS setup (ring, no process-wide provider needed).
pub fn http() -> reqwest::ClientBuilder {
    gridmate_core::sync::transport::http_client_builder().expect("a TLS configuration")
}

/// Path of a workspace binary built beside the running test.
pub fn bin(name: &str) -> PathBuf {
    gridmate_test_harness::beside_current_exe(name)
}

/// A running `gridmate-server` on its own temp data folder (the harness's, with this suite's
/// password and `record dump` snapshot); everything else derefs to [`gridmate_test_harness::Server`].
#[derive(Debug)]
pub struct Server(pub gridmate_test_harness::Server);

impl std::ops::Deref for Server {
    type Target = gridmate_test_harness::Server;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Server {
    /// Starts a server on a fresh data folder.
    pub fn start() -> Self {
        Self(gridmate_test_harness::Server::start_temp(&bin(
            "gridmate-server",
        )))
    }

    /// Restarts on the same port after a kill.
    pub fn restart(&mut self) {
        self.0.restart_same_port();
    }

    /// Adds a user: `role` is grid_worker, legal_volunteer (give `legal_role`), dispatcher, admin.
    pub fn add_user(&self, name: &str, role: &str, scope: &str, legal_role: Option<&str>) {
        self.0.add_user(name, role, scope, legal_role, PASSWORD);
    }
}

/// A client device: its own store file, signed in as one user.
#[derive(Debug)]
pub struct Device {
    pub store: Arc<Mutex<Store>>,
    pub user: String,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Device {
    /// A new device whose store lives in a temp dir, signed in to `url` as `user`.
    pub async fn login(url: &str, user: &str) -> Result<Self, SyncError> {
        let dir = tempfile::tempdir().unwrap();
        let path = Store::account_path(dir.path(), user);
        let store = Arc::new(Mutex::new(Store::open(&path, user)?));
        let req = SignIn {
            server: url,
            user,
            password: PASSWORD,
            allow_insecure: false,
            device_name: "test device",
            ca_cert: None,
        };
        sign_in(&store, &req).await?;
        Ok(Self {
            store,
            user: user.to_owned(),
            path,
            _dir: dir,
        })
    }

    /// Points the device at another address (a proxy) keeping its token.
    pub fn set_server_url(&self, url: &str) {
        let mut s = self.store.lock().unwrap();
        let mut b = s.server_binding().unwrap().unwrap();
        b.server_url = url.to_owned();
        s.bind_server(&b).unwrap();
    }

    /// One full sync.
    pub async fn sync(&self) -> Result<SyncReport, SyncError> {
        self.sync_with(&SyncConfig::default()).await
    }

    pub async fn sync_with(&self, cfg: &SyncConfig) -> Result<SyncReport, SyncError> {
        let client = gridmate_core::sync::client_for(&self.store).await?;
        sync_once(&self.store, &client, cfg, &|_| {}).await
    }

    /// Runs `f` on the store.
    pub fn with<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.store.lock().unwrap())
    }

    /// Every record on the device: id -> (sorted heads, record JSON).
    pub fn snapshot(&self) -> Snapshot {
        self.with(|s| {
            let mut out = std::collections::BTreeMap::new();
            let mut q = gridmate_core::store::ListQuery {
                include_deleted: true,
                limit: 500,
                ..Default::default()
            };
            loop {
                let page = s.list(&q).unwrap();
                for item in &page.items {
                    let bytes = s.export_doc(item.id).unwrap();
                    let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
                    let mut heads: Vec<String> =
                        doc.get_heads().iter().map(|h| h.to_string()).collect();
                    heads.sort();
                    let rec = gridmate_domain::input::record_to_json(&s.get(item.id).unwrap());
                    out.insert(item.id.to_string(), (heads, rec));
                }
                match page.next_cursor {
                    Some(c) => q.cursor = gridmate_core::store::Cursor::decode(&c),
                    None => break,
                }
            }
            out
        })
    }
}

/// A draft of a realistic record in `grid`, from a fixed-seed generator.
pub fn draft(
    rng: &mut gridmate_domain::fixtures::Rng,
    grid: &str,
) -> gridmate_domain::input::RecordDraft {
    let grid = gridmate_domain::GridId::parse(grid).unwrap();
    gridmate_domain::fixtures::draft(
        rng,
        grid,
        gridmate_domain::Timestamp::now().plus_millis(-3_600_000),
    )
}

/// One exchange with `dev`'s token in protocol `protocol`; the raw response body.
pub async fn exchange_raw(
    dev: &Device,
    protocol: u16,
    push: Vec<gridmate_domain::wire::PushDoc>,
    pull: gridmate_domain::wire::PullRequest,
) -> Vec<u8> {
    let b = dev.with(|s| s.server_binding()).unwrap().unwrap();
    let req = gridmate_domain::wire::SyncRequest {
        protocol,
        push,
        pull: Some(pull),
    };
    let resp = http()
        .build()
        .unwrap()
        .post(format!("{}/v1/sync", b.server_url))
        .header(
            reqwest::header::CONTENT_TYPE,
            gridmate_domain::wire::CONTENT_TYPE,
        )
        .bearer_auth(&b.token)
        .body(gridmate_domain::wire::encode_request(&req))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.bytes().await.unwrap().to_vec()
}

/// Whether a file exists (for readable assertions).
pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// A snapshot of records: id -> (sorted heads, record JSON).
pub use gridmate_test_harness::Snapshot;

/// Asserts two snapshots are equal, printing only what differs (ids, and the first differing
/// record's fields), not thousands of lines.
pub fn assert_same(what: &str, a: &Snapshot, b: &Snapshot) {
    let only_a: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_b: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    let differ: Vec<&String> = a
        .keys()
        .filter(|k| b.get(*k).is_some_and(|v| v != &a[*k]))
        .collect();
    if only_a.is_empty() && only_b.is_empty() && differ.is_empty() {
        return;
    }
    let detail = differ.first().map(|k| {
        let (ha, ra) = &a[*k];
        let (hb, rb) = &b[*k];
        let fields: Vec<String> = ra
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(f, v)| rb.get(f.as_str()) != Some(v))
            .map(|(f, v)| {
                format!(
                    "{f}: {v} vs {}",
                    rb.get(f.as_str()).cloned().unwrap_or_default()
                )
            })
            .collect();
        format!("first differing record {k}: heads {ha:?} vs {hb:?}; fields {fields:?}")
    });
    panic!(
        "{what}: {} only in the first, {} only in the second, {} differ ({} vs {} records). only first: {:?}; only second: {:?}; {}",
        only_a.len(),
        only_b.len(),
        differ.len(),
        a.len(),
        b.len(),
        only_a.iter().take(3).collect::<Vec<_>>(),
        only_b.iter().take(3).collect::<Vec<_>>(),
        detail.unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers for the convergence and fault tests (tests/tests/convergence.rs, faults.rs).

impl Server {
    /// The raw `record dump` lines (id, grid_id, heads, changes = changes logged, record, error)
    /// of the records whose grid starts with `grid_prefix`.
    pub fn dump_lines(&self, grid_prefix: &str) -> Vec<serde_json::Value> {
        self.admin(&["record", "dump", "--grid", grid_prefix], None)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// `dump()` restricted to the records whose grid starts with `grid_prefix`.
    pub fn dump_grid(&self, grid_prefix: &str) -> Snapshot {
        self.dump()
            .into_iter()
            .filter(|(_, (_, r))| {
                r["grid_id"]
                    .as_str()
                    .is_some_and(|g| g.starts_with(grid_prefix))
            })
            .collect()
    }
}

impl Device {
    /// Ids of every record on the device (deleted ones too), sorted.
    pub fn record_ids(&self) -> Vec<gridmate_domain::RecordId> {
        self.with(|s| {
            let mut ids = Vec::new();
            let mut q = gridmate_core::store::ListQuery {
                include_deleted: true,
                limit: 500,
                ..Default::default()
            };
            loop {
                let page = s.list(&q).unwrap();
                ids.extend(page.items.iter().map(|i| i.id));
                match page.next_cursor {
                    Some(c) => q.cursor = gridmate_core::store::Cursor::decode(&c),
                    None => break,
                }
            }
            ids.sort_by_key(|id| id.to_string());
            ids
        })
    }

    /// The number of changes in a record's document on the device.
    pub fn change_count(&self, id: gridmate_domain::RecordId) -> usize {
        let bytes = self.with(|s| s.export_doc(id).unwrap());
        automerge::AutoCommit::load(&bytes)
            .unwrap()
            .get_changes(&[])
            .len()
    }
}

/// The free-text field of a record kind (Automerge text).
pub fn text_field(kind: &str) -> &'static str {
    match kind {
        "patrol_visit" => "findings",
        "legal_education" => "notes",
        _ => "summary",
    }
}

/// One offline operation of the convergence workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Create a record in the grid.
    Create,
    /// Add a unique word at the start (`prepend`) or the end of the record's free text.
    Text { prepend: bool },
    /// Write a scalar: `address`, or `risk_level` on a dispute when `risk`; `value` picks the value.
    Scalar { risk: bool, value: u8 },
    /// Soft delete (of a dispute: only when the device's user may delete it, as the app offers).
    Delete,
    /// A dispatcher's `accept` of a dispute that is `reported` (appended to the document the device
    /// holds and pushed at once, with the device's work on that record: [`workflow::act`]).
    Accept,
}

/// Every save the devices of one workload made, to check after convergence that none was lost:
/// created records exist (and nothing else), each unique word written into a text field is in the
/// final text, each concurrently written scalar ends as one of the written values, deletes and
/// status moves hold.
#[derive(Debug, Default)]
pub struct Ledger {
    pub created: std::collections::BTreeSet<String>,
    /// (record id, field, word).
    pub words: Vec<(String, &'static str, String)>,
    /// (record id, field) -> every value written.
    pub scalars:
        std::collections::BTreeMap<(String, &'static str), std::collections::BTreeSet<String>>,
    pub deleted: std::collections::BTreeSet<String>,
    pub accepted: std::collections::BTreeSet<String>,
    /// Saves made (creates and edits that changed something).
    pub saves: usize,
    counter: u64,
}

impl Ledger {
    /// Applies `edit` offline on `dev` (device number `who`, for unique words) to the `pick`-th
    /// record it holds (by id), creating in `grid`. Returns the record id when something was
    /// saved; `None` when the edit does not apply (no record, a deleted record, not a dispute, a
    /// delete the user may not make...).
    pub async fn apply(
        &mut self,
        dev: &Device,
        who: usize,
        grid: &str,
        rng: &mut gridmate_domain::fixtures::Rng,
        edit: Edit,
        pick: usize,
    ) -> Option<String> {
        if edit == Edit::Create {
            let d = draft(rng, grid);
            let r = dev.with(|s| s.create(d)).unwrap();
            let id = r.meta.id.to_string();
            self.created.insert(id.clone());
            self.saves += 1;
            return Some(id);
        }
        let ids = dev.record_ids();
        if ids.is_empty() {
            return None;
        }
        let id = ids[pick % ids.len()];
        let rec = gridmate_domain::input::record_to_json(&dev.with(|s| s.get(id)).unwrap());
        if !rec["deleted_at"].is_null() {
            return None;
        }
        let kind = rec["kind"].as_str().unwrap().to_owned();
        let key = id.to_string();
        match edit {
            Edit::Create => unreachable!(),
            Edit::Text { prepend } => {
                let field = text_field(&kind);
                let old = rec[field].as_str()?.to_owned();
                self.counter += 1;
                // A letter of its own per device: a word never starts or ends with another device's
                // letter, so concurrent insertions can never land inside it.
                let letter = char::from(b'a' + (who % 26) as u8);
                let word = format!("{letter}{}{letter}", self.counter);
                let new = if prepend {
                    format!("{word} {old}")
                } else {
                    format!("{old} {word}")
                };
                dev.with(|s| s.edit(id, &serde_json::json!({ field: new })))
                    .unwrap();
                self.words.push((key.clone(), field, word));
            }
            Edit::Scalar { risk, value } => {
                let (field, v) = if risk && kind == "dispute" {
                    let levels = ["low", "medium", "high", "critical"];
                    ("risk_level", levels[usize::from(value) % 4].to_owned())
                } else {
                    ("address", format!("测试地址{who}-{}", value % 4))
                };
                dev.with(|s| s.edit(id, &serde_json::json!({ field: v })))
                    .unwrap();
                self.scalars
                    .entry((key.clone(), field))
                    .or_default()
                    .insert(v);
            }
            Edit::Delete => {
                if !may_delete(dev, id) {
                    return None;
                }
                dev.with(|s| s.delete(id)).unwrap();
                self.deleted.insert(key.clone());
            }
            Edit::Accept => {
                if rec["status"].as_str() != Some("reported") {
                    return None;
                }
                let outcome = workflow::act(
                    dev,
                    id,
                    gridmate_domain::WorkflowAction::Accept,
                    gridmate_domain::workflow::EventDetails::default(),
                )
                .await;
                assert!(
                    matches!(outcome, gridmate_domain::wire::PushOutcome::Accepted { .. }),
                    "the accept of {key} by {}: {outcome:?}",
                    dev.user
                );
                self.accepted.insert(key.clone());
            }
        }
        self.saves += 1;
        Some(key)
    }

    /// Checks every recorded save against `snap` (the converged state of the workload's grid).
    pub fn check(&self, what: &str, snap: &Snapshot) {
        let ids: std::collections::BTreeSet<String> = snap.keys().cloned().collect();
        assert_eq!(
            ids, self.created,
            "{what}: the records are exactly those created"
        );
        for (id, field, word) in &self.words {
            let text = snap[id].1[*field].as_str().unwrap_or_default();
            assert!(
                text.split_whitespace().any(|t| t == word),
                "{what}: word {word} written to {field} of {id} is lost: {text:?}"
            );
        }
        for ((id, field), values) in &self.scalars {
            let v = snap[id].1[*field].as_str().unwrap_or_default().to_owned();
            assert!(
                values.contains(&v),
                "{what}: {field} of {id} is {v:?}, none of the written {values:?}"
            );
        }
        for id in &self.deleted {
            assert!(
                !snap[id].1["deleted_at"].is_null(),
                "{what}: the delete of {id} is lost"
            );
        }
        for id in &self.accepted {
            assert_eq!(
                snap[id].1["status"], "accepted",
                "{what}: the status move of {id} is lost"
            );
        }
    }
}

/// Whether the device's user may delete record `id` as the device holds it (the rule the app and
/// the server share: any record but a dispute; a dispute as `workflow::may_delete` says).
fn may_delete(dev: &Device, id: gridmate_domain::RecordId) -> bool {
    let rec = dev.with(|s| s.get(id)).unwrap();
    let gridmate_domain::RecordBody::Dispute(d) = &rec.body else {
        return true;
    };
    let actor = gridmate_domain::workflow::Actor {
        user: &dev.user,
        role: workflow::role_of(dev),
        unit: None,
        // A device holds only the records of its areas.
        in_scope: true,
    };
    gridmate_domain::workflow::may_delete(&actor, d, &rec.meta.created_by, false).is_ok()
}

/// Protocol pieces built by hand, for tests that speak the wire format directly (access rules,
/// bad input): a record written the way a device writes it, and its changes as pushed.
pub mod handmade {
    use automerge::AutoCommit;
    use gridmate_core::sync::SyncClient;
    use gridmate_domain::document::write_changes;
    use gridmate_domain::fixtures::{self, Rng};
    use gridmate_domain::wire::{
        self, PROTOCOL_VERSION, PushDoc, PushOutcome, SyncRequest, SyncResponse,
    };
    use gridmate_domain::{GridId, Record, Timestamp};

    use super::Device;

    /// Pushes hand-made records with `dev`'s token (no pull), bypassing its store.
    pub async fn push_as(dev: &Device, push: Vec<PushDoc>) -> SyncResponse {
        let b = dev.with(|s| s.server_binding()).unwrap().unwrap();
        let c = SyncClient::new(&b.server_url, false, Some(b.token)).unwrap();
        let req = SyncRequest {
            protocol: PROTOCOL_VERSION,
            push,
            pull: None,
        };
        c.sync(&req).await.unwrap().0
    }

    pub fn assert_rejected(o: &PushOutcome, code: &str, field: &str) {
        match o {
            PushOutcome::Rejected {
                code: c, field: f, ..
            } => assert_eq!((c.as_str(), f.as_str()), (code, field), "{o:?}"),
            other => panic!("expected Rejected {code} on {field}, got {other:?}"),
        }
    }

    pub fn assert_accepted(o: &PushOutcome) {
        assert!(matches!(o, PushOutcome::Accepted { .. }), "{o:?}");
    }

    /// Raw change bytes as they travel in a push.
    pub fn raw_changes(changes: Vec<automerge::Change>) -> Vec<wire::Change> {
        changes
            .iter()
            .map(|c| wire::Change(c.raw_bytes().to_vec()))
            .collect()
    }

    /// A record as a device would write it: one change by a fresh actor, created by `user`.
    pub fn device_record(rng: &mut Rng, grid: &str, user: &str) -> (Record, AutoCommit) {
        let at = Timestamp::now().plus_millis(-3_600_000);
        let rec = fixtures::record(rng, GridId::parse(grid).unwrap(), at, user);
        let mut doc = AutoCommit::new();
        write_changes(&mut doc, None, &rec).unwrap();
        doc.commit();
        (rec, doc)
    }

    /// The push of every change of `doc`.
    pub fn push_of(rec: &Record, doc: &mut AutoCommit) -> PushDoc {
        PushDoc {
            record_id: *rec.meta.id.as_uuid().as_bytes(),
            changes: raw_changes(doc.get_changes(&[])),
        }
    }
}
