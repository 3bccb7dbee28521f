//! `openbureau key rotate` on the demo's store, SQLite and PostgreSQL (issue 17, point 5), while
//! `openbureau serve` answers a lender's reports: every report during and after the rotation is
//! answered in full; every sealed value ends under the new key version and none opens under the
//! old key's material; the old key no longer opens the store; reports read the same; the audit
//! chain and every checkpoint (signed by the old key, then the new) verify; an unfinished
//! rotation shuts the store to everything but the rotation, which resumes.
//!
//! The PostgreSQL test needs the server of `OPENBUREAU_TEST_POSTGRES` (`./x test` starts one).

mod common;

use common::{after, openbureau, post, text};
use ob_bureau::crypto::{self, Keys};
use ob_store::{Location, SealedKey, SealedRow, SealedTable, Store};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn key_rotation_over_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    check(&data, None, &Location::Sqlite(data.join("openbureau.sqlite")));
}

#[test]
fn key_rotation_over_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let url = ob_store::testing::scratch_database();
    check(&dir.path().join("data"), Some(&url), &Location::Postgres(url.clone()));
}

/// Every sealed value of every table.
fn sealed_values(location: &Location) -> Vec<(SealedTable, SealedRow)> {
    let store = ob_store::open(location).unwrap();
    let mut all = Vec::new();
    for table in SealedTable::ALL {
        let mut after: Option<SealedKey> = None;
        loop {
            let page = store.read().unwrap().sealed_after(table, after.as_ref(), 100).unwrap();
            let Some(last) = page.last() else { break };
            after = Some(last.key.clone());
            all.extend(page.into_iter().map(|r| (table, r)));
        }
    }
    all
}

/// The old key's master as if it were the new version: what it would open of the rotated store.
fn old_material_as(version: u8, old_key_file: &str) -> Keys {
    let mut master = [0u8; 32];
    hex::decode_to_slice(old_key_file.trim(), &mut master).unwrap();
    Keys::with_versions((version, &master), None).unwrap()
}

fn context(table: SealedTable, row: &SealedRow) -> String {
    match table {
        SealedTable::Subjects => crypto::NAME_CONTEXT.into(),
        SealedTable::Documents | SealedTable::WebSessions => crypto::document_context(row.doc_type.unwrap()),
        SealedTable::Statements => "statement:text".into(),
        SealedTable::BatchFeedback => "batch_feedback.body".into(),
    }
}

fn check(data: &Path, store: Option<&str>, location: &Location) {
    let run = |args: &[&str]| {
        let mut cmd = openbureau(data);
        if let Some(url) = store {
            cmd.args(["--store", url]);
        }
        cmd.args(args).output().unwrap()
    };
    let demo = run(&["demo", "--people", "2000", "--months", "3"]);
    assert!(demo.status.success(), "{}", text(&demo));
    let document = after(&text(&demo), "report --doc-number ").to_owned();
    let report = |run: &dyn Fn(&[&str]) -> std::process::Output| {
        let out = run(&["report", "--doc-number", &document, "--format", "json"]);
        assert!(out.status.success(), "{}", text(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (json["identity"].clone(), json["account_groups"].clone())
    };
    // A statement beside one of the person's accounts, and a web session: every table with
    // sealed values has rows.
    let (_, groups) = report(&run);
    let account = groups[0]["accounts"][0]["account_ref"].as_str().unwrap().to_owned();
    let added = run(&[
        "statement",
        "add",
        "--doc-number",
        &document,
        "--account",
        &account,
        "--type",
        "other",
        "--text",
        "mine",
    ]);
    assert!(added.status.success(), "{}", text(&added));
    let before = report(&run);
    let password = {
        let mut cmd = openbureau(data);
        if let Some(url) = store {
            cmd.args(["--store", url]);
        }
        cmd.env("OPENBUREAU_PASSWORD", "correct horse battery staple")
            .args(["person", "password", "--document-type", "prc_resident_id", "--document-number", &document])
            .output()
            .unwrap()
    };
    assert!(password.status.success(), "{}", text(&password));
    let server = Server::start(data, store, &run, &text(&demo), &document);
    let cookie = server.sign_in(&document);
    let key_path = data.join("openbureau.key");
    let old_key = std::fs::read_to_string(&key_path).unwrap();
    let old_public = text(&run(&["audit", "public-key"]));
    let sealed_before = sealed_values(location);
    assert!(sealed_before.iter().all(|(_, r)| r.sealed[0] == 1));
    for t in [SealedTable::Subjects, SealedTable::Documents, SealedTable::Statements, SealedTable::WebSessions] {
        assert!(sealed_before.iter().any(|(table, _)| *table == t), "the demo's store has {t:?}");
    }

    // Small pages with a pause between them (as on a busy server): the walk takes seconds and
    // the lender's reports come between its pages, however loaded the machine.
    let started = std::time::Instant::now();
    let rotated = run(&["key", "rotate", "--page-rows", "50", "--pause-ms", "20"]);
    let walk = (
        started + std::time::Duration::from_millis(2 * ob_bureau::rotation::KEY_FILE_CHECK_MS),
        std::time::Instant::now(),
    );
    assert!(rotated.status.success(), "{}", text(&rotated));
    let log = server.stop(walk, &cookie);
    assert!(log.contains(r#""event":"keys_reloaded","version":2"#), "the server took the new key:\n{log}");
    assert!(text(&rotated).contains("from version 1 to 2"), "{}", text(&rotated));
    let new_key = std::fs::read_to_string(&key_path).unwrap();
    assert!(new_key.starts_with("2:") && new_key.lines().count() == 1, "the key file holds the new key alone");

    // No value is left under the old key, and the old key's material opens none of them.
    let sealed_after = sealed_values(location);
    assert_eq!(sealed_after.len(), sealed_before.len(), "nothing lost, nothing added");
    let old_material = old_material_as(2, &old_key);
    let new_keys = Keys::from_hex(&new_key).unwrap();
    for (table, row) in &sealed_after {
        assert_eq!(row.sealed[0], 2, "{table:?} {:?} is under version 2", row.key);
        assert!(old_material.decrypt(&context(*table, row), &row.sealed).is_err(), "the old key opens {table:?}");
        assert!(new_keys.decrypt(&context(*table, row), &row.sealed).is_ok(), "the new key opens {table:?}");
    }
    // Blind indexes are the new key's: no document's index is what it was.
    let macs = |rows: &[(SealedTable, SealedRow)]| -> Vec<SealedKey> {
        rows.iter().filter(|(t, _)| *t == SealedTable::Documents).map(|(_, r)| r.key.clone()).collect()
    };
    let (old_macs, new_macs) = (macs(&sealed_before), macs(&sealed_after));
    assert!(old_macs.iter().all(|m| !new_macs.contains(m)), "a document kept its old blind index");

    // The old key opens nothing; the new one reads the same file; the chain and every checkpoint,
    // the old key's included, verify.
    let old_file = data.join("old.key");
    std::fs::write(&old_file, &old_key).unwrap();
    let refused = run(&["--key-file", old_file.to_str().unwrap(), "audit", "verify"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("different key"), "{}", text(&refused));
    assert_eq!(report(&run), before, "the report reads the same under the new key");
    let verify = run(&["audit", "verify"]);
    assert!(verify.status.success() && text(&verify).contains("intact"), "{}", text(&verify));
    assert_ne!(text(&run(&["audit", "public-key"])), old_public, "checkpoints are signed by the new key");

    // An interrupted rotation (two keys in the file, the store marked): nothing else opens the
    // store; the rotation resumes and finishes.
    let (both, _) = Keys::next_version_files(&new_key).unwrap();
    crypto::replace_key_file(&key_path, &both).unwrap();
    let keys = Keys::from_hex(&both).unwrap();
    let mark = format!("rotating:{}:{}", keys.previous_check_value().unwrap(), keys.check_value());
    let mut s = ob_store::open(location).unwrap();
    let mut w = s.write().unwrap();
    w.set_meta(ob_bureau::META_KEY_CHECK, &mark).unwrap();
    w.commit().unwrap();
    drop(s);
    let shut = run(&["audit", "verify"]);
    assert_eq!(shut.status.code(), Some(2), "{}", text(&shut));
    assert!(text(&shut).contains("key rotation is unfinished"), "{}", text(&shut));
    let resumed = run(&["key", "rotate"]);
    assert!(resumed.status.success() && text(&resumed).contains("from version 2 to 3"), "{}", text(&resumed));
    assert!(sealed_values(location).iter().all(|(_, r)| r.sealed[0] == 3));
    assert_eq!(report(&run), before);
    let verify = run(&["audit", "verify"]);
    assert!(verify.status.success() && text(&verify).contains("intact"), "{}", text(&verify));

    // A crash after the store took the new key and before the key file lost the old one: the
    // command ends the rotation.
    let v3 = std::fs::read_to_string(&key_path).unwrap();
    std::fs::write(&key_path, format!("{}{v3}", new_key)).unwrap();
    let ended = run(&["key", "rotate"]);
    assert!(ended.status.success() && text(&ended).contains("0 values sealed again"), "{}", text(&ended));
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), v3);

    // Someone with the database but no key appends a `key.rotated` naming their own key, and
    // signs checkpoints with it: verification refuses them.
    let attacker = Keys::from_master(&[9; 32]);
    let real = Keys::from_hex(&v3).unwrap();
    let mut s = ob_store::open(location).unwrap();
    let mut w = s.write().unwrap();
    let detail = serde_json::json!({
        "previous_audit_public_key": hex::encode(attacker.audit_public_key()),
        "audit_public_key": hex::encode(real.audit_public_key()),
        "signature": hex::encode([0u8; 64]),
    });
    ob_bureau::audit::append(w.as_mut(), 0, ob_bureau::audit::KEY_ROTATED, None, None, &detail).unwrap();
    w.commit().unwrap();
    // The operator's next checkpoint, signed by the real key, covers the forged event...
    let signed = run(&["audit", "checkpoint"]);
    assert!(signed.status.success(), "{}", text(&signed));
    // ...and the attacker signs what they append next with their own key.
    let mut w = s.write().unwrap();
    ob_bureau::audit::append(w.as_mut(), 0, "batch.ingested", None, None, &serde_json::json!({})).unwrap();
    ob_bureau::audit::checkpoint(w.as_mut(), &attacker, 0).unwrap();
    w.commit().unwrap();
    drop(s);
    let forged = run(&["audit", "verify"]);
    assert_eq!(forged.status.code(), Some(1), "a chain that fails its check is invalid data: {}", text(&forged));
    assert!(text(&forged).contains("signed by another key"), "{}", text(&forged));
}

/// `openbureau serve` with a lender asking for the demo person's report without pause.
struct Server {
    addr: String,
    child: std::process::Child,
    stop: std::sync::Arc<AtomicBool>,
    asker: std::thread::JoinHandle<(Vec<(std::time::Instant, String)>, String)>,
}

impl Server {
    fn start(
        data: &Path,
        store: Option<&str>,
        run: &dyn Fn(&[&str]) -> std::process::Output,
        demo: &str,
        document: &str,
    ) -> Server {
        let key = String::from_utf8(run(&["org", "key", "--code", "DEMOLEND"]).stdout).unwrap().trim().to_owned();
        // The authorization the demo names (`under authorization C54`): its evidence's digest.
        let consent: i64 = after(demo, "under authorization C").parse().unwrap();
        let location = match store {
            Some(url) => Location::Postgres(url.to_owned()),
            None => Location::Sqlite(data.join("openbureau.sqlite")),
        };
        let row = ob_store::open(&location).unwrap().read().unwrap().consent(ob_store::ConsentId(consent)).unwrap();
        let evidence = hex::encode(row.unwrap().consent.evidence_sha256);
        let mut cmd = openbureau(data);
        if let Some(url) = store {
            cmd.args(["--store", url]);
        }
        let mut child =
            cmd.args(["serve", "--listen", "127.0.0.1:0"]).stderr(std::process::Stdio::piped()).spawn().unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let addr = serde_json::from_str::<serde_json::Value>(&line).unwrap()["addr"].as_str().unwrap().to_owned();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let body = format!(
            r#"{{"document_type":"prc_resident_id","document_number":"{document}","purpose":"02","authorization_sha256":"{evidence}"}}"#
        );
        let (stop_asking, header, asker_addr) =
            (stop.clone(), format!("authorization: Bearer {key}\r\n"), addr.clone());
        let asker = std::thread::spawn(move || {
            let mut answers = Vec::new();
            while !stop_asking.load(Ordering::Relaxed) {
                let answer = post(&asker_addr, "/v1/reports", &header, "application/json", &body);
                answers.push((std::time::Instant::now(), answer));
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            // The server's log, once it is stopped.
            let mut log = String::new();
            std::io::Read::read_to_string(&mut stderr, &mut log).unwrap();
            (answers, log)
        });
        Server { addr, child, stop, asker }
    }

    /// Signs the person in; the session cookie.
    fn sign_in(&self, document: &str) -> String {
        let form =
            format!("document_type=prc_resident_id&document_number={document}&password=correct+horse+battery+staple");
        let answer = post(&self.addr, "/signin", "", "application/x-www-form-urlencoded", &form);
        assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
        answer
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: ob_session="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    /// Asks on for a moment (the server takes the key file the rotation left), opens the
    /// person's page with the session made before the rotation, stops, checks every answer was
    /// a whole report, some of them while the rotation's walk went on (between `walk.0` and
    /// `walk.1`); the server's log.
    fn stop(mut self, walk: (std::time::Instant, std::time::Instant), cookie: &str) -> String {
        std::thread::sleep(std::time::Duration::from_millis(1_500));
        let page = common::http(
            &self.addr,
            &format!("GET /me HTTP/1.1\r\nhost: x\r\ncookie: ob_session={cookie}\r\nconnection: close\r\n\r\n"),
        );
        assert!(page.starts_with("HTTP/1.1 200"), "the session outlived the rotation: {page}");
        self.stop.store(true, Ordering::Relaxed);
        std::thread::sleep(std::time::Duration::from_millis(100));
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (answers, log) = self.asker.join().unwrap();
        let during = answers.iter().filter(|(at, _)| *at > walk.0 && *at < walk.1).count();
        assert!(during >= 3, "{during} reports answered during the walk ({:?})", walk.1 - walk.0);
        eprintln!("{} reports, {during} of them during the walk ({:?})", answers.len(), walk.1 - walk.0);
        for (_, a) in &answers {
            assert!(
                a.starts_with("HTTP/1.1 200") && a.contains("account_groups"),
                "an answer during the rotation: {a}\n{log}"
            );
        }
        log
    }
}
