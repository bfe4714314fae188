//! W4 "a full phone" (`docs/benchmarks.md`, "Workloads and targets"): the local store holding
//! 100,000 records.
//!
//! Measures, on a copy of a 100,000-record store built from `gridmate_domain::fixtures` (10 grids,
//! `occurred_at` spread over 2025):
//! - `save/new`: `Store::create` of one fixture draft;
//! - `save/edit`: `Store::edit` with a merge patch changing `risk_level` of a random dispute;
//! - `save/edit_text`: `Store::edit` appending a sentence to a random record's free text (the
//!   record is read first, untimed: the app opens a record before editing it);
//! - `list/*`: the 50 newest disputes with a filter (status, or grid);
//! - `search/*`: `Store::search` of common Chinese words, limit 50;
//! - `open`: `Store::open` of the 100,000-record file (the app's store open time);
//! - `baseline/*`: the same record's JSON in a plain rusqlite table `(id TEXT PRIMARY KEY, json
//!   TEXT)` already holding 100,000 rows, WAL, one transaction per save, with `synchronous=FULL`
//!   (what the store uses) and `NORMAL` (no fsync per commit), for inserts and read-modify-write
//!   updates.
//!
//! Criterion reports means. The targets are medians and p99, so `W4_PERCENTILES=1` first runs a
//! criterion-independent pass timing individual operations with `Instant` and printing median /
//! p99 / max in microseconds, the same for the plain baseline, GridMate on tmpfs (`/dev/shm`:
//! fsync costs nothing there, since the store's `synchronous=FULL` cannot be changed from outside),
//! and bytes per record. `W4_PERCENTILES=only` runs just that pass; `W4_REPS` (default 3) sets how
//! many times it repeats on fresh copies (the summary is the median over repetitions).
//! `W4_PERCENTILES=diag` instead explains slow saves: pages each save appends to the WAL (FTS5
//! segment merges) and which saves ran SQLite's automatic WAL checkpoint.
//!
//! ```sh
//! cargo bench -p gridmate-core --bench w4_store
//! W4_PERCENTILES=only cargo bench -p gridmate-core --bench w4_store
//! W4_PERCENTILES=diag cargo bench -p gridmate-core --bench w4_store
//! ```
//!
//! The fixtures are built once (about a minute) and cached under `target/w4-fixture/`, keyed by
//! `FIXTURE_VERSION` and the schema version; delete the folder or bump the constant to rebuild.
//! Every benchmark works on a copy in a temporary folder on the same disk.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use gridmate_core::Store;
use gridmate_core::store::{ListQuery, RecordSummary, migrations};
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::input::{RecordDraft, record_to_json};
use gridmate_domain::{
    DisputeStatus, Record, RecordBody, RecordId, RecordKind, RiskLevel, Timestamp,
};
use rusqlite::Connection;
use serde_json::{Value, json};
use tempfile::TempDir;

/// Bump to rebuild the cached fixtures (also rebuilt when the schema version changes).
const FIXTURE_VERSION: u32 = 1;
const SEED: u64 = 0x5734_4655_4c4c; // "W4FULL"
const RECORDS: usize = 100_000;
const BATCH: usize = 1_000;
const GRIDS: u64 = 10;
/// 2025-01-01T00:00:00Z.
const BASE_MS: i64 = 1_735_689_600_000;
const YEAR_MS: u64 = 365 * 24 * 3600 * 1000;
const USER: &str = "bench-user";
/// Common words of the fixture text: 2 characters (one bigram) and 4 characters (a phrase).
const SEARCH_WORDS: [(&str, &str); 3] = [
    ("xiaofang", "消防"),
    ("tiaojie", "调解"),
    ("xiaofangtongdao", "消防通道"),
];

// ---------------------------------------------------------------------------------------------
// Fixtures

fn target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(d);
    }
    // The bench binary is target/<profile>/deps/w4_store-<hash>.
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        let deps = exe.parent()?;
        (deps.file_name()? == "deps").then(|| deps.parent()?.parent().map(Path::to_path_buf))?
    });
    from_exe.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn fixture_dir() -> PathBuf {
    let dir = target_dir().join("w4-fixture");
    std::fs::create_dir_all(&dir).expect("create target/w4-fixture");
    dir
}

fn wal_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

fn shm_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push("-shm");
    PathBuf::from(s)
}

/// Where and when a fixture record is: one of 10 grids, some time in 2025.
fn place_and_time(rng: &mut Rng) -> (gridmate_domain::GridId, Timestamp) {
    let grid = fixtures::grid_id(u32::try_from(rng.below(GRIDS)).expect("small"));
    let ms = BASE_MS + i64::try_from(rng.below(YEAR_MS)).expect("small");
    (
        grid,
        Timestamp::from_millis(ms).expect("2025 is a valid time"),
    )
}

fn fixture_draft(rng: &mut Rng) -> RecordDraft {
    let (grid, at) = place_and_time(rng);
    fixtures::draft(rng, grid, at)
}

fn fixture_record(rng: &mut Rng) -> Record {
    let (grid, at) = place_and_time(rng);
    fixtures::record(rng, grid, at, USER)
}

/// Checkpoints the WAL into the main file and closes, so the main file alone is the database.
fn checkpoint_and_close(path: &Path) {
    let conn = Connection::open(path).expect("open for checkpoint");
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .expect("checkpoint");
    assert_eq!(busy, 0, "checkpoint blocked");
    drop(conn);
    let wal = wal_of(path);
    assert!(
        !wal.exists() || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) == 0,
        "a WAL is left beside {}",
        path.display()
    );
}

fn remove_db(path: &Path) {
    for p in [path.to_path_buf(), wal_of(path), shm_of(path)] {
        let _ = std::fs::remove_file(p);
    }
}

/// Builds (once) or reuses the cached fixture at `name`; `build` fills a fresh file.
fn cached(name: &str, what: &str, build: impl FnOnce(&Path)) -> PathBuf {
    let path = fixture_dir().join(name);
    if path.exists() {
        return path;
    }
    let tmp = path.with_extension("building");
    remove_db(&tmp);
    eprintln!("w4: building the {what} fixture ({RECORDS} records) ...");
    let t = Instant::now();
    build(&tmp);
    checkpoint_and_close(&tmp);
    remove_db(&shm_of(&tmp));
    std::fs::rename(&tmp, &path).expect("rename fixture");
    eprintln!(
        "w4: built {} in {:.1} s",
        path.display(),
        t.elapsed().as_secs_f64()
    );
    path
}

/// The GridMate store fixture: 100,000 records made with `Store::create_batch`.
fn gridmate_fixture() -> PathBuf {
    let name = format!(
        "gridmate-{RECORDS}-v{FIXTURE_VERSION}-schema{}.db",
        migrations::MIGRATIONS.len()
    );
    cached(&name, "GridMate store", |path| {
        let mut store = Store::open(path, USER).expect("open fixture store");
        let mut rng = Rng::new(SEED);
        for _ in 0..RECORDS / BATCH {
            let drafts = (0..BATCH).map(|_| fixture_draft(&mut rng)).collect();
            store.create_batch(drafts).expect("create batch");
        }
    })
}

const PLAIN_SCHEMA: &str = "CREATE TABLE records (id TEXT PRIMARY KEY, json TEXT NOT NULL)";

/// The baseline: the same kind of records as JSON in a plain `(id, json)` table.
fn plain_fixture() -> PathBuf {
    let name = format!("plain-{RECORDS}-v{FIXTURE_VERSION}.db");
    cached(&name, "plain rusqlite", |path| {
        let mut conn = Connection::open(path).expect("open plain fixture");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        conn.execute_batch(PLAIN_SCHEMA).expect("schema");
        let mut rng = Rng::new(SEED);
        for _ in 0..RECORDS / BATCH {
            let tx = conn.transaction().expect("tx");
            for _ in 0..BATCH {
                let mut rec = fixture_record(&mut rng);
                rec.meta.id = RecordId::new_v7();
                let json = serde_json::to_string(&record_to_json(&rec)).expect("json");
                tx.execute(
                    "INSERT INTO records (id, json) VALUES (?1, ?2)",
                    (rec.meta.id.to_string(), json),
                )
                .expect("insert");
            }
            tx.commit().expect("commit");
        }
    })
}

/// A private copy of a fixture in a temporary folder under `parent` (default: beside the
/// fixtures, on the same disk, so fsync costs what it costs there).
fn copy_fixture(src: &Path, parent: Option<&Path>) -> (TempDir, PathBuf) {
    assert_eq!(file_len(&wal_of(src)), 0, "fixture has a pending WAL");
    let dir =
        tempfile::tempdir_in(parent.map_or_else(fixture_dir, Path::to_path_buf)).expect("tempdir");
    let path = dir
        .path()
        .join(src.file_name().expect("fixture has a name"));
    std::fs::copy(src, &path).expect("copy fixture");
    (dir, path)
}

// ---------------------------------------------------------------------------------------------
// Operations shared by criterion and the percentile pass

/// Every summary in the store, by paging through `list`.
fn all_summaries(store: &Store) -> Vec<RecordSummary> {
    let mut out = Vec::with_capacity(RECORDS);
    let mut q = ListQuery {
        limit: 500,
        ..ListQuery::default()
    };
    loop {
        let page = store.list(&q).expect("list");
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(gridmate_core::store::Cursor::decode(&c).expect("cursor")),
            None => return out,
        }
    }
}

/// Disputes of the store with their current risk level, for `save/edit`.
struct Disputes(Vec<(RecordId, RiskLevel)>);

impl Disputes {
    fn of(summaries: &[RecordSummary]) -> Self {
        Self(
            summaries
                .iter()
                .filter(|s| s.kind == RecordKind::Dispute)
                .map(|s| (s.id, s.risk_level.expect("a dispute has a risk level")))
                .collect(),
        )
    }

    /// A random dispute and a patch moving its risk level to the next value.
    fn next_edit(&mut self, rng: &mut Rng) -> (RecordId, Value) {
        let i = usize::try_from(rng.below(self.0.len() as u64)).expect("small");
        let (id, level) = &mut self.0[i];
        let pos = RiskLevel::ALL
            .iter()
            .position(|l| l == level)
            .expect("known level");
        *level = RiskLevel::ALL[(pos + 1) % RiskLevel::ALL.len()];
        (*id, json!({ "risk_level": level.as_str() }))
    }
}

/// A patch appending one sentence to the record's main free text.
fn text_patch(rec: &Record, rng: &mut Rng) -> Value {
    match &rec.body {
        RecordBody::PatrolVisit(v) => json!({ "findings": fixtures::edit_text(rng, &v.findings) }),
        RecordBody::LegalEducation(e) => json!({ "notes": fixtures::edit_text(rng, &e.notes) }),
        RecordBody::Dispute(d) => json!({ "summary": fixtures::edit_text(rng, &d.summary) }),
    }
}

fn random_id(ids: &[RecordId], rng: &mut Rng) -> RecordId {
    ids[usize::try_from(rng.below(ids.len() as u64)).expect("small")]
}

fn list_by_status() -> ListQuery {
    ListQuery {
        kind: Some(RecordKind::Dispute),
        status: Some(DisputeStatus::Reported),
        limit: 50,
        ..ListQuery::default()
    }
}

fn list_by_grid() -> ListQuery {
    ListQuery {
        kind: Some(RecordKind::Dispute),
        grid_id: Some(fixtures::grid_id(3)),
        limit: 50,
        ..ListQuery::default()
    }
}

fn open_plain(path: &Path, synchronous: &str) -> Connection {
    let conn = Connection::open(path).expect("open plain");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", synchronous)
        .expect("synchronous");
    conn
}

/// The baseline save: serialize the record and insert it in its own transaction.
fn plain_insert(conn: &mut Connection, mut rec: Record) {
    rec.meta.id = RecordId::new_v7();
    let json = serde_json::to_string(&record_to_json(&rec)).expect("json");
    let tx = conn.transaction().expect("tx");
    tx.execute(
        "INSERT INTO records (id, json) VALUES (?1, ?2)",
        (rec.meta.id.to_string(), json),
    )
    .expect("insert");
    tx.commit().expect("commit");
}

/// The baseline edit: read the JSON, change one field, write it back, in one transaction.
fn plain_update(conn: &mut Connection, id: &str, level: &str) {
    let tx = conn.transaction().expect("tx");
    let json: String = tx
        .query_row("SELECT json FROM records WHERE id = ?1", [id], |r| r.get(0))
        .expect("select");
    let mut v: Value = serde_json::from_str(&json).expect("parse");
    v["risk_level"] = Value::String(level.to_owned());
    tx.execute(
        "UPDATE records SET json = ?2 WHERE id = ?1",
        (id, serde_json::to_string(&v).expect("json")),
    )
    .expect("update");
    tx.commit().expect("commit");
}

fn plain_dispute_ids(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT id FROM records WHERE json ->> 'kind' = 'dispute'")
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("ids")
}

// ---------------------------------------------------------------------------------------------
// Criterion

fn criterion_benches(c: &mut Criterion) {
    let fixture = gridmate_fixture();
    let plain = plain_fixture();

    // Saves, on one copy.
    {
        let (_dir, path) = copy_fixture(&fixture, None);
        let mut store = Store::open(&path, USER).expect("open");
        let summaries = all_summaries(&store);
        let ids: Vec<RecordId> = summaries.iter().map(|s| s.id).collect();
        let mut disputes = Disputes::of(&summaries);
        let mut rng = Rng::new(SEED ^ 1);
        let mut g = c.benchmark_group("save");
        g.sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        g.bench_function("new", |b| {
            b.iter_batched(
                || fixture_draft(&mut rng),
                |d| store.create(d).expect("create"),
                BatchSize::SmallInput,
            )
        });
        g.bench_function("edit", |b| {
            b.iter_batched(
                || disputes.next_edit(&mut rng),
                |(id, patch)| store.edit(id, &patch).expect("edit"),
                BatchSize::SmallInput,
            )
        });
        g.bench_function("edit_text", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let id = random_id(&ids, &mut rng);
                    let patch = text_patch(&store.get(id).expect("get"), &mut rng);
                    let t = Instant::now();
                    black_box(store.edit(id, &patch).expect("edit"));
                    total += t.elapsed();
                }
                total
            })
        });
        g.finish();
    }

    // Reads, on an unmodified copy.
    {
        let (_dir, path) = copy_fixture(&fixture, None);
        let store = Store::open(&path, USER).expect("open");
        let mut g = c.benchmark_group("list");
        g.sample_size(30)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        let by_status = list_by_status();
        let by_grid = list_by_grid();
        g.bench_function("newest50_kind_filter", |b| {
            b.iter(|| store.list(black_box(&by_status)).expect("list"))
        });
        g.bench_function("newest50_kind_grid", |b| {
            b.iter(|| store.list(black_box(&by_grid)).expect("list"))
        });
        g.finish();

        let mut g = c.benchmark_group("search");
        g.sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        for (label, word) in SEARCH_WORDS {
            g.bench_function(format!("fts/{label}"), |b| {
                b.iter(|| store.search(black_box(word), None, 50).expect("search"))
            });
        }
        g.finish();
        drop(store);

        let mut g = c.benchmark_group("store");
        g.sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        g.bench_function("open", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let s = Store::open(black_box(&path), USER).expect("open");
                    total += t.elapsed();
                    drop(s);
                }
                total
            })
        });
        g.finish();
    }

    // The plain rusqlite baseline, same run.
    let mut g = c.benchmark_group("baseline");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for sync in ["FULL", "NORMAL"] {
        let (_dir, path) = copy_fixture(&plain, None);
        let mut conn = open_plain(&path, sync);
        let ids = plain_dispute_ids(&conn);
        let mut rng = Rng::new(SEED ^ 2);
        let suffix = sync.to_lowercase();
        g.bench_function(format!("plain_rusqlite_insert/sync_{suffix}"), |b| {
            b.iter_batched(
                || fixture_record(&mut rng),
                |rec| plain_insert(&mut conn, rec),
                BatchSize::SmallInput,
            )
        });
        let mut n = 0usize;
        g.bench_function(format!("plain_rusqlite_update/sync_{suffix}"), |b| {
            b.iter(|| {
                n += 1;
                let id = &ids[usize::try_from(rng.below(ids.len() as u64)).expect("small")];
                plain_update(&mut conn, id, RiskLevel::ALL[n % 3].as_str());
            })
        });
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// The percentile pass

/// Sorted durations of one operation.
struct Samples(Vec<Duration>);

impl Samples {
    fn time(n: usize, mut op: impl FnMut() -> Duration) -> Self {
        let mut v: Vec<Duration> = (0..n).map(|_| op()).collect();
        v.sort();
        Self(v)
    }

    fn pct(&self, p: f64) -> f64 {
        // Nearest rank.
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.0.len()) - 1;
        self.0[i].as_secs_f64() * 1e6
    }

    fn stats(&self) -> [f64; 3] {
        [self.pct(50.0), self.pct(99.0), self.pct(100.0)]
    }
}

fn timed(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

const SAVES: usize = 1_000;
const READS: usize = 200;
const OPENS: usize = 50;

/// One repetition: (label, [median, p99, max] in µs).
///
/// The saves of GridMate (on disk and on tmpfs) and of the plain baseline (FULL and NORMAL) are
/// interleaved, one of each in turn, so that they all see the same state of the shared disk: its
/// fsync latency changes by an order of magnitude from minute to minute on this machine.
fn percentile_rep(fixture: &Path, plain: &Path, rep: u64) -> Vec<(String, [f64; 3])> {
    let mut out: Vec<(String, [f64; 3])> = Vec::new();
    let mut rng = Rng::new(SEED ^ (100 + rep));
    let us = |v: &mut Vec<Duration>| {
        v.sort();
        Samples(std::mem::take(v)).stats()
    };

    let (dir, path) = copy_fixture(fixture, None);
    let shm = Path::new("/dev/shm");
    let (_shm_dir, shm_path) = copy_fixture(fixture, shm.is_dir().then_some(shm));
    let mut store = Store::open(&path, USER).expect("open");
    let mut tmpfs = Store::open(&shm_path, USER).expect("open tmpfs");
    let summaries = all_summaries(&store);
    let ids: Vec<RecordId> = summaries.iter().map(|s| s.id).collect();
    let mut disputes = Disputes::of(&summaries);
    let mut tmpfs_disputes = Disputes::of(&summaries);
    let plains: Vec<(TempDir, Connection, Vec<String>)> = ["FULL", "NORMAL"]
        .into_iter()
        .map(|sync| {
            let (d, p) = copy_fixture(plain, None);
            let conn = open_plain(&p, sync);
            let ids = plain_dispute_ids(&conn);
            (d, conn, ids)
        })
        .collect();
    let mut plains = plains;

    // New records.
    let mut t: [Vec<Duration>; 4] = Default::default();
    for _ in 0..SAVES {
        let d = fixture_draft(&mut rng);
        let d2 = d.clone();
        t[0].push(timed(|| {
            store.create(d).expect("create");
        }));
        t[1].push(timed(|| {
            tmpfs.create(d2).expect("create");
        }));
        for (k, (_, conn, _)) in plains.iter_mut().enumerate() {
            let rec = fixture_record(&mut rng);
            t[2 + k].push(timed(|| plain_insert(conn, rec)));
        }
    }
    let [a, b, c, d] = &mut t;
    out.push(("gridmate save/new".into(), us(a)));
    out.push(("gridmate-tmpfs save/new".into(), us(b)));
    out.push(("plain-FULL insert".into(), us(c)));
    out.push(("plain-NORMAL insert".into(), us(d)));

    // Edits of one field.
    for i in 0..SAVES {
        let (id, patch) = disputes.next_edit(&mut rng);
        t[0].push(timed(|| {
            store.edit(id, &patch).expect("edit");
        }));
        let (id, patch) = tmpfs_disputes.next_edit(&mut rng);
        t[1].push(timed(|| {
            tmpfs.edit(id, &patch).expect("edit");
        }));
        for (k, (_, conn, ids)) in plains.iter_mut().enumerate() {
            let id = ids[usize::try_from(rng.below(ids.len() as u64)).expect("small")].clone();
            let level = RiskLevel::ALL[i % 3].as_str();
            t[2 + k].push(timed(|| plain_update(conn, &id, level)));
        }
    }
    let [a, b, c, d] = &mut t;
    out.push(("gridmate save/edit (risk_level)".into(), us(a)));
    out.push(("gridmate-tmpfs save/edit (risk_level)".into(), us(b)));
    out.push(("plain-FULL update (risk_level)".into(), us(c)));
    out.push(("plain-NORMAL update (risk_level)".into(), us(d)));
    drop(plains);
    drop(tmpfs);

    let s = Samples::time(SAVES, || {
        let id = random_id(&ids, &mut rng);
        let patch = text_patch(&store.get(id).expect("get"), &mut rng);
        timed(|| {
            store.edit(id, &patch).expect("edit");
        })
    });
    out.push(("gridmate save/edit_text".into(), s.stats()));
    for (label, q) in [
        ("list/newest50_kind_filter", list_by_status()),
        ("list/newest50_kind_grid", list_by_grid()),
    ] {
        let s = Samples::time(READS, || {
            timed(|| {
                black_box(store.list(&q).expect("list"));
            })
        });
        out.push((format!("gridmate {label}"), s.stats()));
    }
    for (label, word) in SEARCH_WORDS {
        let s = Samples::time(READS, || {
            timed(|| {
                black_box(store.search(word, None, 50).expect("search"));
            })
        });
        out.push((format!("gridmate search/fts/{label} ({word})"), s.stats()));
    }
    drop(store);
    let s = Samples::time(OPENS, || {
        let t = Instant::now();
        let store = Store::open(&path, USER).expect("open");
        let d = t.elapsed();
        drop(store);
        d
    });
    out.push(("gridmate open".into(), s.stats()));
    drop(dir);
    out
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Bytes per record of a checkpointed fixture, and (GridMate) how they split over its tables.
fn sizes(fixture: &Path, plain: &Path) {
    let per = |p: &Path| (file_len(p) + file_len(&wal_of(p))) as f64 / RECORDS as f64;
    println!(
        "size: gridmate {:.0} B/record ({:.1} MB), plain rusqlite {:.0} B/record ({:.1} MB), ratio {:.2}",
        per(fixture),
        file_len(fixture) as f64 / 1e6,
        per(plain),
        file_len(plain) as f64 / 1e6,
        per(fixture) / per(plain)
    );
    // Read-write (nothing is written) so that closing removes the -wal and -shm files again.
    let conn = Connection::open(fixture).expect("open fixture");
    let mut stmt = conn
        .prepare(
            "SELECT CASE WHEN name LIKE 'records_fts%' THEN 'records_fts (all shadow tables)'
                         ELSE name END AS n, sum(pgsize)
             FROM dbstat GROUP BY n ORDER BY 2 DESC",
        )
        .expect("dbstat");
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .expect("dbstat rows");
    for row in rows {
        let (name, bytes) = row.expect("row");
        println!(
            "size:   {name:<34} {:>7.0} B/record",
            bytes as f64 / RECORDS as f64
        );
    }
}

fn percentiles(reps: u64) {
    let fixture = gridmate_fixture();
    let plain = plain_fixture();
    let mut all: Vec<Vec<(String, [f64; 3])>> = Vec::new();
    for rep in 0..reps {
        let t = Instant::now();
        let r = percentile_rep(&fixture, &plain, rep);
        println!(
            "\nw4 percentile pass {}/{reps} ({:.1} s): µs      median        p99        max",
            rep + 1,
            t.elapsed().as_secs_f64()
        );
        for (label, [m, p, x]) in &r {
            println!("  {label:<44} {m:>10.0} {p:>10.0} {x:>10.0}");
        }
        all.push(r);
    }
    println!("\nw4 median over {reps} pass(es): µs                median        p99        max");
    let med = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (i, (label, _)) in all[0].iter().enumerate() {
        let col = |k: usize| med(all.iter().map(|r| r[i].1[k]).collect());
        println!(
            "  {label:<44} {:>10.0} {:>10.0} {:>10.0}",
            col(0),
            col(1),
            col(2)
        );
    }
    // Ratios within each pass (the saves were interleaved), then their median over passes.
    let ratio = |r: &[(String, [f64; 3])], a: &str, b: &str, k: usize| {
        let v = |l: &str| r.iter().find(|(x, _)| x == l).expect("label").1[k];
        v(a) / v(b)
    };
    for (gm, pl) in [
        ("gridmate save/new", "plain-FULL insert"),
        (
            "gridmate save/edit (risk_level)",
            "plain-FULL update (risk_level)",
        ),
        ("gridmate-tmpfs save/new", "plain-NORMAL insert"),
        (
            "gridmate-tmpfs save/edit (risk_level)",
            "plain-NORMAL update (risk_level)",
        ),
    ] {
        let per_pass = |k: usize| -> Vec<f64> { all.iter().map(|r| ratio(r, gm, pl, k)).collect() };
        let fmt = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.1}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        println!(
            "ratio {gm} / {pl}: median {:.1}x (passes: {}), p99 {:.1}x (passes: {})",
            med(per_pass(0)),
            fmt(&per_pass(0)),
            med(per_pass(1)),
            fmt(&per_pass(1)),
        );
    }
    sizes(&fixture, &plain);
}

/// The WAL's frame count and salt, from the wal-index header at the start of the `-shm` file
/// (`mxFrame` at byte 16, `aSalt` at 32; native byte order).
fn wal_state(db: &Path) -> (u32, [u8; 8]) {
    let shm = std::fs::read(shm_of(db)).unwrap_or_default();
    if shm.len() < 40 {
        return (0, [0; 8]);
    }
    let mx = u32::from_ne_bytes(shm[16..20].try_into().expect("4 bytes"));
    (mx, shm[32..40].try_into().expect("8 bytes"))
}

/// Why slow saves are slow: for each save, the pages it appended to the WAL (FTS5 segment merges
/// show up as saves writing many pages) and whether its commit ran SQLite's automatic checkpoint
/// (the WAL reached `wal_autocheckpoint` frames: 4,000 since `Store::open` sets it).
fn diagnose(fixture: &Path) {
    const AUTOCHECKPOINT: u32 = 4_000;
    const SLOW_US: f64 = 2_000.0;
    for (label, parent) in [("disk", None), ("tmpfs", Some(Path::new("/dev/shm")))] {
        let (_dir, path) = copy_fixture(fixture, parent);
        let mut store = Store::open(&path, USER).expect("open");
        let mut disputes = Disputes::of(&all_summaries(&store));
        let mut rng = Rng::new(SEED ^ 7);
        for op in ["new", "edit"] {
            // (µs, pages written, checkpointed)
            let mut rows: Vec<(f64, u32, bool)> = Vec::with_capacity(SAVES);
            for _ in 0..SAVES {
                let (mx0, salt0) = wal_state(&path);
                let d = if op == "new" {
                    timed(|| {
                        store.create(fixture_draft(&mut rng)).expect("create");
                    })
                } else {
                    let (id, patch) = disputes.next_edit(&mut rng);
                    timed(|| {
                        store.edit(id, &patch).expect("edit");
                    })
                };
                let (mx1, salt1) = wal_state(&path);
                let pages = if salt1 == salt0 { mx1 - mx0 } else { mx1 };
                rows.push((d.as_secs_f64() * 1e6, pages, mx1 >= AUTOCHECKPOINT));
            }
            let med = |mut v: Vec<f64>| {
                if v.is_empty() {
                    return f64::NAN;
                }
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let mut pages: Vec<u32> = rows.iter().map(|r| r.1).collect();
            pages.sort_unstable();
            let slow: Vec<&(f64, u32, bool)> = rows.iter().filter(|r| r.0 > SLOW_US).collect();
            let big = |r: &&(f64, u32, bool)| r.1 > 4 * pages[pages.len() / 2];
            println!(
                "diag {label} save/{op}: pages/save median {} p99 {} max {}; checkpoints {}; \
                 slow (>{SLOW_US:.0} µs) {}: {} checkpointed, {} wrote >4x median pages, {} neither",
                pages[pages.len() / 2],
                pages[pages.len() * 99 / 100],
                pages[pages.len() - 1],
                rows.iter().filter(|r| r.2).count(),
                slow.len(),
                slow.iter().filter(|r| r.2).count(),
                slow.iter().filter(|r| !r.2 && big(r)).count(),
                slow.iter().filter(|r| !r.2 && !big(r)).count(),
            );
            println!(
                "diag {label} save/{op}: median µs: plain saves {:.0}, checkpointing saves {:.0}, \
                 many-page saves {:.0} (median {:.0} pages)",
                med(rows
                    .iter()
                    .filter(|r| !r.2 && !big(r))
                    .map(|r| r.0)
                    .collect()),
                med(rows.iter().filter(|r| r.2).map(|r| r.0).collect()),
                med(rows
                    .iter()
                    .filter(|r| !r.2 && big(r))
                    .map(|r| r.0)
                    .collect()),
                med(rows
                    .iter()
                    .filter(|r| !r.2 && big(r))
                    .map(|r| f64::from(r.1))
                    .collect()),
            );
        }
    }
}

fn main() {
    let mode = std::env::var("W4_PERCENTILES").unwrap_or_default();
    if mode == "diag" {
        diagnose(&gridmate_fixture());
        return;
    }
    if mode == "1" || mode == "only" {
        let reps = std::env::var("W4_REPS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3);
        percentiles(reps);
        if mode == "only" {
            return;
        }
    }
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
