//! `openbureau person password`: the password comes from the environment or standard input,
//! is stored as an argon2id hash, and is never printed.

use ob_bureau::Bureau;
use ob_bureau::access::verify_password;
use ob_bureau::clock::SystemClock;
use ob_bureau::crypto::Keys;
use ob_model::{DocumentNumber, DocumentType};
use ob_store::sqlite::SqliteStore;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::Arc;

const ZHANG: &str =
    r#"{"name":"张三","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}}"#;
const ZHANG_ID: &str = "11010519491231002X";

mod common;

fn openbureau(data: &Path, args: &[&str], env_password: Option<&str>, stdin: Option<&str>) -> Output {
    let mut cmd = common::openbureau(data);
    cmd.args(args);
    if let Some(p) = env_password {
        cmd.env("OPENBUREAU_PASSWORD", p);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

use common::text;

fn stored_hash(data: &Path) -> Option<String> {
    let keys = Keys::load(&data.join("openbureau.key")).unwrap();
    let store = SqliteStore::open(&data.join("openbureau.sqlite")).unwrap();
    let bureau = Bureau::new(store, keys, Arc::new(SystemClock)).unwrap();
    let doc = DocumentNumber::parse(DocumentType::PrcResidentId, ZHANG_ID).unwrap();
    bureau.login_of(&doc).unwrap().map(|(_, phc)| phc)
}

#[test]
fn person_password_from_the_environment_or_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("hb.jsonl");
    let lines = [
        r#"{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"HB"}"#.to_owned(),
        format!(
            r#"{{"kind":"consent","subject":{ZHANG},"scope":"report","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"{}"}}"#,
            "ab".repeat(32)
        ),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = openbureau(&data, &["ingest", file.to_str().unwrap()], None, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stored_hash(&data), None);

    let who = ["person", "password", "--document-number", ZHANG_ID];
    let out = openbureau(&data, &who, Some("correct horse battery"), None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("110***********002X") && !text(&out).contains("correct horse"), "{}", text(&out));
    let phc = stored_hash(&data).unwrap();
    assert!(phc.starts_with("$argon2id$") && verify_password(&phc, "correct horse battery"));

    // From standard input's first line; the old password stops working.
    let out = openbureau(&data, &who, None, Some("a new pass phrase\nignored\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let phc = stored_hash(&data).unwrap();
    assert!(verify_password(&phc, "a new pass phrase") && !verify_password(&phc, "correct horse battery"));

    for (args, env, stdin, code, says) in [
        (&who[..], Some("short"), None, 1, "PASSWORD_INVALID"),
        (&who[..], None, Some(""), 2, "no password"),
        (
            &["person", "password", "--document-number", "110105198505054565"][..],
            Some("long enough pass"),
            None,
            3,
            "no credit file",
        ),
        (&["person", "password", "--document-number", "123"][..], Some("long enough pass"), None, 2, "--doc-number"),
        (&["person", "password", "--document-number", ZHANG_ID, "--password", "x"][..], None, None, 2, "--password"),
    ] {
        let out = openbureau(&data, args, env, stdin);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(says), "{args:?}: {}", text(&out));
    }
    // The old alias names work too.
    let out = openbureau(
        &data,
        &["person", "password", "--doc-type", "prc_resident_id", "--doc-number", ZHANG_ID],
        Some("third pass phrase"),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
