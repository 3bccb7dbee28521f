//! The real binary serving real requests over TCP: its log (stderr) holds one JSON line per
//! request and never a document number, a name, an API key, a password, a session cookie or a
//! raw path; SIGTERM stops it cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const ZHANG_ID: &str = "11010519491231002X";
mod common;

const PASSWORD: &str = "correct horse battery staple";
const EVIDENCE: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn openbureau(data: &Path, args: &[&str]) -> Output {
    let out =
        common::openbureau(data).args(args).env("OPENBUREAU_PASSWORD", PASSWORD).output().expect("the binary runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// One HTTP/1.1 exchange; the whole answer as text.
fn http(addr: &str, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn post(addr: &str, path: &str, headers: &str, content_type: &str, body: &str) -> String {
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n{headers}content-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    http(addr, &request)
}

/// A server child, killed when dropped: a failing test leaves no server running.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Server {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

/// `openbureau serve` on a free port: the child, its log, and its address.
fn serve(data: &Path) -> (Server, BufReader<std::process::ChildStderr>, String) {
    let mut child =
        common::openbureau(data).args(["serve", "--listen", "127.0.0.1:0"]).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    let addr = event["addr"].as_str().unwrap().to_owned();
    (Server(child), stderr, addr)
}

/// A page opened with a session cookie.
fn page(addr: &str, path: &str, cookie: &str) -> String {
    http(addr, &format!("GET {path} HTTP/1.1\r\nhost: x\r\ncookie: ob_session={cookie}\r\nconnection: close\r\n\r\n"))
}

#[test]
fn the_server_log_names_no_one_and_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    openbureau(data, &["org", "add", "--code", "LC", "--name", "Lender Co", "--role", "lender", "--role", "furnisher"]);
    let key = String::from_utf8(openbureau(data, &["org", "key", "--code", "LC"]).stdout).unwrap().trim().to_owned();
    let batch = data.join("lc.jsonl");
    let subject = format!(
        r#"{{"name":"张三","birth_date":"1949-12-31","document":{{"type":"prc_resident_id","number":"{ZHANG_ID}"}}}}"#
    );
    std::fs::write(
        &batch,
        format!(
            "{}\n{}\n",
            r#"{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"LC","furnisher_name":"Lender Co"}"#,
            format_args!(
                r#"{{"kind":"consent","subject":{subject},"scope":"inquire","purpose":"02","consent_ref":"AUTH-1","granted_on":"2024-01-01","expires_on":"2050-01-01","evidence_sha256":"{EVIDENCE}"}}"#
            )
        ),
    )
    .unwrap();
    openbureau(data, &["ingest", batch.to_str().unwrap()]);
    openbureau(data, &["person", "password", "--document-type", "prc_resident_id", "--document-number", ZHANG_ID]);

    let (mut child, mut stderr, addr) = serve(data);

    let bearer = format!("authorization: Bearer {key}\r\n");
    let report = format!(
        r#"{{"document_type":"prc_resident_id","document_number":"{ZHANG_ID}","purpose":"02","consent_ref":"AUTH-1"}}"#
    );
    let answer = post(&addr, "/v1/reports", &bearer, "application/json", &report);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("张三"), "the report is about its person");
    // A wrong key, an ID number in a path, a body that quotes one: all answered, none logged.
    let wrong = post(&addr, "/v1/reports", "authorization: Bearer 00ff\r\n", "application/json", &report);
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    let bad = post(&addr, "/v1/reports", &bearer, "application/json", &format!(r#"{{"document_number":{ZHANG_ID}}}"#));
    assert!(bad.starts_with("HTTP/1.1 400") && !bad.contains(ZHANG_ID), "{bad}");
    let nope = http(&addr, &format!("GET /v1/people/{ZHANG_ID} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
    assert!(nope.starts_with("HTTP/1.1 404"), "{nope}");
    let form =
        format!("document_type=prc_resident_id&document_number={ZHANG_ID}&password=correct+horse+battery+staple");
    let signed_in = post(&addr, "/signin", "", "application/x-www-form-urlencoded", &form);
    assert!(signed_in.starts_with("HTTP/1.1 303"), "{signed_in}");
    let cookie = signed_in
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ob_session="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let report_page = page(&addr, "/me/report", &cookie);
    assert!(report_page.starts_with("HTTP/1.1 200") && report_page.contains("张三"), "{report_page}");
    // A caller's request id is echoed; logged only when it has the shape of a random id.
    const UUID: &str = "3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b";
    for id in [ZHANG_ID, UUID] {
        let health =
            http(&addr, &format!("GET /health HTTP/1.1\r\nhost: x\r\nx-request-id: {id}\r\nconnection: close\r\n\r\n"));
        assert!(health.starts_with("HTTP/1.1 200") && health.contains(&format!("x-request-id: {id}")), "{health}");
    }

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    let mut log = String::new();
    stderr.read_to_string(&mut log).unwrap();
    assert!(status.success(), "{status:?}: {log}");
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let requests = lines.iter().filter(|l| l.get("request_id").is_some()).count();
    assert_eq!(requests, 8, "one line per request: {log}");
    assert!(log.contains(UUID) && log.contains("the caller's id, not logged"), "{log}");
    assert_eq!(lines.last().unwrap()["event"], "stopped", "{log}");
    for secret in [ZHANG_ID, "张三", "Zhang", key.as_str(), PASSWORD, "correct+horse", cookie.as_str(), "/v1/people"]
    {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
    sessions_survive_restarts(data, &cookie);
}

/// Issue 17: a restart, even a crash (SIGKILL), signs no one out; the store holds neither the
/// session's token nor its document in clear; a sign-out ends the session for every server.
fn sessions_survive_restarts(data: &Path, cookie: &str) {
    // The start page's count of the year's self-views.
    let views = |addr: &str| {
        let me = page(addr, "/me", cookie);
        let at = me.find("本人信用报告 <strong>").unwrap_or_else(|| panic!("no self-view count: {me}"));
        me[at..].split(['>', '<']).nth(2).unwrap().parse::<u32>().unwrap()
    };
    let (mut child, _log, addr) = serve(data);
    let again = page(&addr, "/me/report", cookie);
    assert!(again.starts_with("HTTP/1.1 200") && again.contains("张三"), "after a clean stop: {again}");
    assert_eq!(views(&addr), 1, "the first opening counted, the one after the restart not");
    assert!(Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap().success());
    child.wait().unwrap();
    let (mut child, _log, addr) = serve(data);
    let after_crash = page(&addr, "/me/report", cookie);
    assert!(after_crash.starts_with("HTTP/1.1 200"), "after SIGKILL: {after_crash}");
    // The same session on the same day shows the same self-view: no restart spends another.
    assert_eq!(views(&addr), 1, "{after_crash}");
    let inquiries = page(&addr, "/me/inquiries", cookie);
    assert!(inquiries.starts_with("HTTP/1.1 200"), "{inquiries}");

    let mut token = [0u8; 32];
    hex::decode_to_slice(cookie, &mut token).unwrap();
    let stored = ob_store::testing::stored_bytes(&ob_store::Location::Sqlite(data.join("openbureau.sqlite")));
    assert!(!stored.windows(32).any(|w| w == token), "the store holds a session token");
    assert!(!stored.windows(cookie.len()).any(|w| w == cookie.as_bytes()), "the store holds a cookie");
    assert!(!stored.windows(ZHANG_ID.len()).any(|w| w == ZHANG_ID.as_bytes()), "the store holds a document");

    let me = page(&addr, "/me", cookie);
    let at = me.find(r#"name="csrf" value=""#).expect("a CSRF token") + 19;
    let csrf = &me[at..at + 64];
    let out = post(
        &addr,
        "/signout",
        &format!("cookie: ob_session={cookie}\r\n"),
        "application/x-www-form-urlencoded",
        &format!("csrf={csrf}"),
    );
    assert!(out.starts_with("HTTP/1.1 303"), "{out}");
    assert!(Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap().success());
    child.wait().unwrap();
    let (child, _log, addr) = serve(data);
    let gone = page(&addr, "/me/report", cookie);
    assert!(gone.starts_with("HTTP/1.1 303") && gone.contains("location: /"), "signed out stays out: {gone}");
    drop(child);
}
