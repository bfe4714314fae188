//! Crash safety: a child process (the real `gridmate` binary) saves records in a loop, one
//! transaction each, printing each id only after its save returned; it is killed with SIGKILL at a
//! random moment. On reopen every printed id must be present and readable, nothing may be torn
//! (no quarantined record, SQLite's integrity check passes), and no record may exist that the
//! projection, document and index disagree about. Twenty runs.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use gridmate_core::Store;
use gridmate_core::store::ListQuery;
use gridmate_domain::RecordId;
use gridmate_domain::fixtures::Rng;

const RUNS: u64 = 20;

#[test]
fn sigkill_during_saves_loses_nothing_that_returned() {
    let bin = env!("CARGO_BIN_EXE_gridmate");
    let mut rng = Rng::new(0x5EED);
    let mut total_confirmed = 0usize;
    for run in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(bin)
            .args([
                "--data",
                dir.path().to_str().unwrap(),
                "seed",
                "--count",
                "1000000",
                "--print-ids",
            ])
            .args(["--seed", &run.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            // Only whole lines count: a torn last line was never a promise.
            for line in BufReader::new(stdout).split(b'\n').map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the first save (so the kill lands among saves, not during start-up), then a
        // random 0-400 ms more.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the child saved nothing");
        std::thread::sleep(Duration::from_millis(rng.below(400)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        let mut confirmed: Vec<RecordId> = vec![parse(&first)];
        confirmed.extend(rx.try_iter().map(|l| parse(&l)));

        let path = Store::account_path(dir.path(), "local");
        let store = Store::open(&path, "local").unwrap();
        for id in &confirmed {
            let r = store
                .get(*id)
                .unwrap_or_else(|e| panic!("run {run}: confirmed save {id} lost: {e}"));
            assert_eq!(r.id(), *id);
        }
        assert_eq!(store.check().unwrap(), 0, "run {run}: a torn document");
        let listed = store
            .list(&ListQuery {
                limit: 500,
                include_deleted: true,
                ..Default::default()
            })
            .unwrap();
        let n = store.counts().unwrap().records as usize;
        assert!(
            n >= confirmed.len() && n <= confirmed.len() + 1,
            "run {run}: {n} stored, {} confirmed",
            confirmed.len()
        );
        assert!(listed.items.len() >= confirmed.len().min(500));
        let conn = rusqlite::Connection::open(&path).unwrap();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "run {run}");
        let orphans: i64 = conn
            .query_row(
                "SELECT (SELECT count(*) FROM records r LEFT JOIN documents d ON d.record_rowid = r.rowid
                         WHERE d.record_rowid IS NULL)
                      + (SELECT count(*) FROM records r LEFT JOIN record_sync s ON s.record_rowid = r.rowid
                         WHERE s.record_rowid IS NULL)
                      + (SELECT count(*) FROM records_fts) - (SELECT count(*) FROM records WHERE deleted_at IS NULL)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            orphans, 0,
            "run {run}: projection, document, index and sync rows disagree"
        );
        total_confirmed += confirmed.len();
    }
    eprintln!("{RUNS} runs, {total_confirmed} confirmed saves checked");
}

fn parse(line: &[u8]) -> RecordId {
    std::str::from_utf8(line).unwrap().trim().parse().unwrap()
}
