//! The command line over PostgreSQL (`--store postgres://…`): the demo, a report, a file sent
//! again, the audit chain; and `demo --serve`, whose several bureau workers answer reports asked
//! all at once, each logged as an inquiry in one unbroken audit chain.
//!
//! Needs the server of `OPENBUREAU_TEST_POSTGRES` (`./x test` starts one); fails without it.

mod common;

use common::{after, openbureau, post, text};
use ob_store::{Location, Store};
use std::process::Command;

/// A new, empty database: its URL.
fn database() -> String {
    ob_store::testing::scratch_database()
}

#[test]
fn demo_ingest_report_and_audit_over_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = database();
    let run = |args: &[&str]| openbureau(&data).args(["--store", &url]).args(args).output().unwrap();

    let demo = run(&["demo", "--people", "200", "--months", "12"]);
    let printed = text(&demo);
    assert!(demo.status.success(), "{printed}");
    assert!(printed.contains("grid check: all"), "{printed}");
    assert!(printed.contains(&format!("--store {url}")), "the look-further lines name the store:\n{printed}");

    // A report as the demo suggests, and the same files sent again: nothing changes.
    let document = after(&printed, "report --doc-number ");
    let report = run(&["report", "--doc-number", document, "--format", "json"]);
    assert!(report.status.success(), "{}", text(&report));
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert!(json["account_groups"].as_array().is_some_and(|g| !g.is_empty()), "{json}");
    let files: Vec<_> = std::fs::read_dir(data.join("furnishers/HUABEI"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    // Their feedback files deleted first, as an attempt whose COMMIT's answer was lost deletes
    // its own: the files sent again find their batches stored and write the feedback again from
    // the copy the store kept.
    let feedback_dir = data.join("feedback/HUABEI");
    let feedback: Vec<(std::path::PathBuf, Vec<u8>)> = std::fs::read_dir(&feedback_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    assert!(!feedback.is_empty(), "the demo's files have rejected records");
    std::fs::remove_dir_all(&feedback_dir).unwrap();
    let again = openbureau(&data).args(["--store", &url, "ingest"]).args(&files).output().unwrap();
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("already ingested"), "{}", text(&again));
    assert!(text(&again).contains("its feedback written again from the store"), "{}", text(&again));
    for (path, body) in &feedback {
        assert_eq!(&std::fs::read(path).unwrap(), body, "{} as it was", path.display());
    }

    let verify = run(&["audit", "verify"]);
    assert!(verify.status.success() && text(&verify).contains("intact"), "{}", text(&verify));

    // A second demo into the same database is refused: the demo never deletes a database's rows.
    let second = run(&["demo", "--people", "10"]);
    assert_eq!(second.status.code(), Some(2), "{}", text(&second));
    assert!(text(&second).contains("needs an empty database"), "{}", text(&second));

    // The store really is PostgreSQL: the rows are there, and no SQLite file was made.
    let store = ob_store::open(&Location::Postgres(url.clone())).unwrap();
    assert!(store.read().unwrap().counts().unwrap().account_months > 1_000);
    assert!(!data.join("openbureau.sqlite").exists());
}

#[test]
fn serve_over_postgres_answers_reports_from_several_workers() {
    let dir = tempfile::tempdir().unwrap();
    let url = database();
    let (mut child, printed, addr) = common::demo_serve(&dir.path().join("demo"), Some(&url));
    let lender = after(&printed, "lender  DEMOLEND: ").to_owned();
    let curl = printed.lines().find(|l| l.contains("/v1/reports -d '")).unwrap();
    let body = curl.split("-d '").nth(1).unwrap().trim_end_matches('\'').to_owned();
    let store = ob_store::open(&Location::Postgres(url.clone())).unwrap();
    let before = store.read().unwrap().counts().unwrap().inquiries;

    // 40 reports at once, from 8 clients.
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (addr, lender, body) = (addr.clone(), lender.clone(), body.clone());
            std::thread::spawn(move || {
                (0..5)
                    .map(|_| {
                        let auth = format!("authorization: Bearer {lender}\r\n");
                        post(&addr, "/v1/reports", &auth, "application/json", &body)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for answer in clients.into_iter().flat_map(|c| c.join().unwrap()) {
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());

    let r = store.read().unwrap();
    assert_eq!(r.counts().unwrap().inquiries, before + 40, "every report logged once");
    drop(r);
    let verify = openbureau(&dir.path().join("demo")).args(["--store", &url, "audit", "verify"]).output().unwrap();
    assert!(verify.status.success() && text(&verify).contains("intact"), "{}", text(&verify));
}

/// Issue 17: a PostgreSQL store backed up with pg_dump and restored into an empty database, which
/// opens with the key and verifies; a restore into a database holding tables is refused.
#[test]
fn backup_then_restore_over_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (url, target) = (database(), database());
    let run = |store: &str, args: &[&str]| openbureau(&data).args(["--store", store]).args(args).output().unwrap();
    let demo = run(&url, &["demo", "--people", "50", "--months", "6"]);
    assert!(demo.status.success(), "{}", text(&demo));
    let backup = dir.path().join("store.dump");
    let o = run(&url, &["backup", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&target, &["restore", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("audit chain is intact"), "{}", text(&o));
    let verify = run(&target, &["audit", "verify"]);
    assert!(verify.status.success() && text(&verify).contains("intact"), "{}", text(&verify));
    let count = |u: &str| {
        let store = ob_store::open(&Location::Postgres(u.to_owned())).unwrap();
        let c = store.read().unwrap().counts().unwrap();
        (c.account_months, c.inquiries)
    };
    assert_eq!(count(&target), count(&url));
    let again = run(&target, &["restore", backup.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "not into a database with tables: {}", text(&again));
}

/// `ingest --jobs 3` stores what one batch at a time stores: every file the same outcome, the same
/// rows, an audit chain that verifies with its checkpoints (batches end at once). SQLite, with its
/// one writer, refuses it.
#[test]
fn ingest_with_several_jobs_stores_what_one_at_a_time_stores() {
    let dir = tempfile::tempdir().unwrap();
    let (data, sim) = (dir.path().join("data"), dir.path().join("sim"));
    let simulate = openbureau(&data)
        .args(["simulate", "--people", "400", "--months", "6", "--seed", "7", "--end-month", "2026-10", "--out"])
        .arg(&sim)
        .output()
        .unwrap();
    assert!(simulate.status.success(), "{}", text(&simulate));
    // Delivery order: by month, then furnisher.
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&sim)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("truth"))
        .flat_map(|d| std::fs::read_dir(d).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort_by_key(|p| (p.file_name().unwrap().to_owned(), p.parent().unwrap().to_owned()));
    assert!(files.len() >= 20, "{files:?}");
    let ingest = |store: &str, jobs: &str| {
        let feedback = dir.path().join(format!("feedback-{jobs}"));
        let args = ["--store", store, "ingest", "--jobs", jobs, "--feedback-dir", feedback.to_str().unwrap()];
        openbureau(&data).args(args).args(&files).output().unwrap()
    };
    // Each file's counts, whatever its batch number and the order the lines came in.
    let outcomes = |o: &std::process::Output| {
        let mut lines: Vec<(String, String)> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| {
                let (file, rest) = l.split_once(": batch ").unwrap();
                let counts = rest.split_once(" — ").unwrap().1;
                (file.to_owned(), counts.split("; feedback").next().unwrap().to_owned())
            })
            .collect();
        lines.sort();
        lines
    };
    let (one_url, three_url) = (database(), database());
    let one = ingest(&one_url, "1");
    assert!(one.status.success(), "{}", text(&one));
    let three = ingest(&three_url, "3");
    assert!(three.status.success(), "{}", text(&three));
    assert_eq!(outcomes(&three), outcomes(&one));
    assert_eq!(outcomes(&one).len(), files.len());
    let counts = |url: &str| {
        let store = ob_store::open(&Location::Postgres(url.to_owned())).unwrap();
        format!("{:?}", store.read().unwrap().counts().unwrap())
    };
    assert_eq!(counts(&three_url), counts(&one_url));
    let verify = openbureau(&data).args(["--store", &three_url, "audit", "verify"]).output().unwrap();
    assert!(verify.status.success() && text(&verify).contains("intact"), "{}", text(&verify));

    let sqlite = openbureau(&data).args(["ingest", "--jobs", "2"]).arg(&files[0]).output().unwrap();
    assert_eq!(sqlite.status.code(), Some(2), "{}", text(&sqlite));
    assert!(text(&sqlite).contains("one writer"), "{}", text(&sqlite));
}
