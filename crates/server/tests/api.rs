//! The API driven in-process through the real router: an access matrix over every endpoint and
//! role, request ids, metrics.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use ob_bureau::Bureau;
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::IngestOptions;
use ob_model::{DocumentNumber, DocumentType, FlagKind};
use ob_server::keys::{KeyTable, Principal, Role};
use ob_server::{AppState, router};
use ob_store::sqlite::SqliteStore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use time::macros::datetime;
use tower::ServiceExt;

const ZHANG: &str =
    r#"{"name":"张三","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}}"#;
const ZHANG_ID: &str = "11010519491231002X";
const LI: &str =
    r#"{"name":"李四","birth_date":"1990-01-01","document":{"type":"prc_resident_id","number":"110105199001011232"}}"#;
const LI_ID: &str = "110105199001011232";
/// A valid document with no file.
const NOBODY_ID: &str = "110105198505054565";
const EVIDENCE: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

const KEY_A: &str = "aaaa000000000000000000000000000000000000000000000000000000000001";
const KEY_B: &str = "bbbb000000000000000000000000000000000000000000000000000000000002";
const KEY_LC: &str = "cccc000000000000000000000000000000000000000000000000000000000003";
const KEY_LN: &str = "dddd000000000000000000000000000000000000000000000000000000000004";
const KEY_UNKNOWN: &str = "eeee000000000000000000000000000000000000000000000000000000000005";

/// Who calls.
#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    Unknown,
    FurnisherA,
    FurnisherB,
    LenderWithConsent,
    LenderWithoutConsent,
}

impl Who {
    fn key(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::Unknown => Some(KEY_UNKNOWN),
            Who::FurnisherA => Some(KEY_A),
            Who::FurnisherB => Some(KEY_B),
            Who::LenderWithConsent => Some(KEY_LC),
            Who::LenderWithoutConsent => Some(KEY_LN),
        }
    }
}

fn header(furnisher: &str, name: &str) -> String {
    format!(
        r#"{{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"{furnisher}","furnisher_name":"{name}"}}"#
    )
}

fn consent(subject: &str) -> String {
    format!(
        r#"{{"kind":"consent","subject":{subject},"scope":"report","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"{EVIDENCE}"}}"#
    )
}

fn inquire_consent(subject: &str, purpose: &str) -> String {
    format!(
        r#"{{"kind":"consent","subject":{subject},"scope":"inquire","purpose":"{purpose}","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"{EVIDENCE}"}}"#
    )
}

fn account(key: &str, subject: &str) -> String {
    format!(
        r#"{{"kind":"account","account_key":"{key}","subject":{subject},"account_type":"R1","opened_on":"2024-01-10","currency":"CNY","credit_limit":500000}}"#
    )
}

fn month(key: &str, month: &str, balance: i64) -> String {
    format!(
        r#"{{"kind":"month","account_key":"{key}","month":"{month}","balance":{balance},"amount_due":{},"status":"N"}}"#,
        balance / 10
    )
}

fn file(header: String, lines: &[String]) -> String {
    let mut s = header;
    for l in lines {
        s.push('\n');
        s.push_str(l);
    }
    s.push('\n');
    s
}

/// Furnisher A's file about Zhang, with one bad line.
fn file_a() -> String {
    file(
        header("FURNA", "Alpha Bank"),
        &[consent(ZHANG), account("A1", ZHANG), month("A1", "2024-05", 1000), month("A1", "2099-05", 1)],
    )
}

/// Furnisher B's file about Li.
fn file_b() -> String {
    file(header("FURNB", "Beta Finance"), &[consent(LI), account("B1", LI), month("B1", "2024-05", 2000)])
}

/// B's attempt to upload a file naming A.
fn file_b_as_a() -> String {
    file(header("FURNA", "Alpha Bank"), &[consent(ZHANG), account("A2", ZHANG)])
}

/// A bureau whose lenders hold their consents (given to them outside this API), and the router.
fn app() -> (Router, AppState) {
    let clock = Arc::new(ManualClock::new(datetime!(2024-06-05 02:00 UTC)));
    let mut bureau = Bureau::new(SqliteStore::in_memory().unwrap(), Keys::from_master(&[7; 32]), clock).unwrap();
    for text in [
        file(header("LENDC", "Cautious Lender"), &[inquire_consent(ZHANG, "02"), inquire_consent(LI, "02")]),
        file(header("LENDN", "Nosy Lender"), &[]),
    ] {
        let options = IngestOptions { register_unknown_furnisher: true, expected_furnisher: None };
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        bureau.ingest_jsonl(text.as_bytes(), digest, &options, &mut Vec::new(), &mut |_| {}).unwrap();
    }
    let mut keys = KeyTable::default();
    let p = |code: &str, role| Principal { org_code: code.into(), roles: vec![role] };
    keys.insert(KEY_A, p("FURNA", Role::Furnisher));
    keys.insert(KEY_B, p("FURNB", Role::Furnisher));
    keys.insert(KEY_LC, p("LENDC", Role::Lender));
    keys.insert(KEY_LN, p("LENDN", Role::Lender));
    let state = AppState::new(bureau, keys).with_log(false);
    (router(state.clone()), state)
}

/// A request as a test states it.
struct Call {
    who: Who,
    method: &'static str,
    path: &'static str,
    body: String,
}

fn get(who: Who, path: &'static str) -> Call {
    Call { who, method: "GET", path, body: String::new() }
}

fn upload(who: Who, body: String) -> Call {
    Call { who, method: "POST", path: "/v1/batches", body }
}

fn report(who: Who, doc: &str, purpose: &str) -> Call {
    let body = serde_json::json!({"document_type": "prc_resident_id", "document_number": doc, "purpose": purpose});
    Call { who, method: "POST", path: "/v1/reports", body: body.to_string() }
}

fn raw_report(who: Who, body: &str) -> Call {
    Call { who, method: "POST", path: "/v1/reports", body: body.into() }
}

/// What came back.
struct Answer {
    status: StatusCode,
    text: String,
    json: serde_json::Value,
    request_id: Option<String>,
}

async fn send(app: &Router, call: Call, request_id: Option<&str>) -> Answer {
    let mut req = Request::builder().method(call.method).uri(call.path);
    if let Some(key) = call.who.key() {
        req = req.header("authorization", format!("Bearer {key}"));
    }
    if let Some(id) = request_id {
        req = req.header("x-request-id", id);
    }
    let response = app.clone().oneshot(req.body(Body::from(call.body)).unwrap()).await.unwrap();
    let status = response.status();
    let request_id = response.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Answer { status, text, json, request_id }
}

/// Sends `call` and checks its status and, for errors, the envelope's code; every refusal is an
/// envelope and nothing but the envelope.
async fn check(app: &Router, call: Call, status: u16, code: Option<&str>) -> Answer {
    let what = format!("{:?} {} {}", call.who, call.method, call.path);
    let answer = send(app, call, None).await;
    assert_eq!(answer.status.as_u16(), status, "{what}: {}", answer.text);
    assert!(answer.request_id.is_some(), "{what}: no request id");
    if let Some(code) = code {
        assert_eq!(answer.json["error"]["code"], code, "{what}: {}", answer.text);
        assert!(answer.json["error"]["message"].is_string(), "{what}: {}", answer.text);
        assert_eq!(answer.json.as_object().map(|o| o.len()), Some(1), "{what}: {}", answer.text);
    }
    answer
}

/// Fails when `answer` holds any of `secrets`.
fn holds_none(answer: &Answer, secrets: &[&str]) {
    for s in secrets {
        assert!(!answer.text.contains(s), "response holds {s:?}: {}", answer.text);
    }
}

/// Everything about Zhang and furnisher A that others must not see.
const A_DATA: [&str; 4] = [ZHANG_ID, "张三", "Alpha Bank", "A1"];
/// Everything about Li and furnisher B.
const B_DATA: [&str; 3] = [LI_ID, "李四", "Beta Finance"];

#[tokio::test]
async fn health_and_metrics_are_open_to_everyone() {
    let (app, _) = app();
    for who in [
        Who::Anonymous,
        Who::Unknown,
        Who::FurnisherA,
        Who::FurnisherB,
        Who::LenderWithConsent,
        Who::LenderWithoutConsent,
    ] {
        let a = check(&app, get(who, "/health"), 200, None).await;
        assert_eq!(a.json, serde_json::json!({"status": "ok"}));
        check(&app, get(who, "/metrics"), 200, None).await;
    }
}

#[tokio::test]
async fn batches_access_matrix() {
    let (app, _) = app();
    use Who::*;
    for (who, status, code) in [
        (Anonymous, 401, "UNAUTHENTICATED"),
        (Unknown, 401, "UNAUTHENTICATED"),
        (LenderWithConsent, 403, "ROLE_REQUIRED"),
        (LenderWithoutConsent, 403, "ROLE_REQUIRED"),
        (FurnisherB, 403, "FURNISHER_MISMATCH"),
    ] {
        let a = check(&app, upload(who, file_a()), status, Some(code)).await;
        holds_none(&a, &A_DATA);
    }
    let a = check(&app, upload(FurnisherB, file_b_as_a()), 403, Some("FURNISHER_MISMATCH")).await;
    holds_none(&a, &A_DATA);

    let a = check(&app, upload(FurnisherA, file_a()), 201, None).await;
    assert_eq!((&a.json["records"], &a.json["accepted"], &a.json["rejected"]), (&4.into(), &3.into(), &1.into()));
    assert_eq!(a.json["already_ingested"], false);
    let feedback = a.json["feedback"].as_array().unwrap();
    assert_eq!(feedback.len(), 1);
    assert_eq!(feedback[0]["line"], 5);
    holds_none(&a, &B_DATA);
    let first = a.json["batch_id"].clone();

    let again = check(&app, upload(FurnisherA, file_a()), 200, None).await;
    assert_eq!((&again.json["batch_id"], &again.json["already_ingested"]), (&first, &true.into()));

    let b = check(&app, upload(FurnisherB, file_b()), 201, None).await;
    assert_eq!((&b.json["accepted"], &b.json["rejected"]), (&3.into(), &0.into()));
    holds_none(&b, &A_DATA);
    // A's exact file from B is still B's upload naming A: refused, not "already ingested".
    let b = check(&app, upload(FurnisherB, file_a()), 403, Some("FURNISHER_MISMATCH")).await;
    holds_none(&b, &A_DATA);

    for body in ["", "not json\n", "{\"kind\":\"header\"}\n"] {
        check(&app, upload(FurnisherA, body.into()), 400, Some("FILE_INVALID")).await;
    }
    check(&app, get(FurnisherA, "/v1/batches"), 405, Some("METHOD_NOT_ALLOWED")).await;
}

#[tokio::test]
async fn reports_access_matrix() {
    let (app, state) = app();
    use Who::*;
    check(&app, upload(FurnisherA, file_a()), 201, None).await;
    check(&app, upload(FurnisherB, file_b()), 201, None).await;

    for (who, status, code) in [
        (Anonymous, 401, "UNAUTHENTICATED"),
        (Unknown, 401, "UNAUTHENTICATED"),
        (FurnisherA, 403, "ROLE_REQUIRED"),
        (FurnisherB, 403, "ROLE_REQUIRED"),
        (LenderWithoutConsent, 403, "NO_CONSENT"),
    ] {
        let a = check(&app, report(who, ZHANG_ID, "02"), status, Some(code)).await;
        holds_none(&a, &A_DATA);
        holds_none(&a, &B_DATA);
    }
    // Consent for loan approval is no consent for card approval.
    let a = check(&app, report(LenderWithConsent, ZHANG_ID, "03"), 403, Some("NO_CONSENT")).await;
    holds_none(&a, &A_DATA);

    let a = check(&app, report(LenderWithConsent, ZHANG_ID, "02"), 200, None).await;
    assert_eq!(a.json["header"]["copy"], "institution", "{}", a.text);
    assert!(a.text.contains("张三"), "the report is about its person");
    // The institution's copy hides the other lender's name, and nothing of Li is in it.
    holds_none(&a, &["Alpha Bank", "FURNA"]);
    holds_none(&a, &B_DATA);
    let b = check(&app, report(LenderWithConsent, LI_ID, "02"), 200, None).await;
    holds_none(&b, &A_DATA);

    // Whether someone has a file is not revealed to a lender without their consent.
    check(&app, report(LenderWithConsent, NOBODY_ID, "02"), 403, Some("NO_CONSENT")).await;
    for (doc, purpose, code) in [
        ("11010519491231002Y", "02", "DOCUMENT_INVALID"),
        ("123", "02", "DOCUMENT_INVALID"),
        (ZHANG_ID, "99", "PURPOSE_INVALID"),
        (ZHANG_ID, "self", "PURPOSE_INVALID"),
        (ZHANG_ID, "", "PURPOSE_INVALID"),
    ] {
        let a = check(&app, report(LenderWithConsent, doc, purpose), 400, Some(code)).await;
        holds_none(&a, &["张三"]);
    }
    for body in ["", "{}", "[1]", r#"{"document_type":"passport","document_number":7,"purpose":"02"}"#] {
        let a = check(&app, raw_report(LenderWithConsent, body), 400, Some("BAD_REQUEST")).await;
        holds_none(&a, &["passport"]);
    }
    let unknown_type = r#"{"document_type":"nope","document_number":"X","purpose":"02"}"#;
    check(&app, raw_report(LenderWithConsent, unknown_type), 400, Some("DOCUMENT_INVALID")).await;

    // A freeze refuses new credit, with its own code.
    let zhang = DocumentNumber::parse(DocumentType::PrcResidentId, ZHANG_ID).unwrap();
    state.bureau().lock().unwrap().place_flag(&zhang, FlagKind::Freeze).unwrap();
    let a = check(&app, report(LenderWithConsent, ZHANG_ID, "02"), 403, Some("FROZEN")).await;
    holds_none(&a, &A_DATA);

    check(&app, get(LenderWithConsent, "/v1/reports"), 405, Some("METHOD_NOT_ALLOWED")).await;
}

#[tokio::test]
async fn unknown_paths_are_404_envelopes() {
    let (app, _) = app();
    check(&app, get(Who::Anonymous, "/nope"), 404, Some("NOT_FOUND")).await;
    check(&app, get(Who::LenderWithConsent, "/v1/reports/1"), 404, Some("NOT_FOUND")).await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let (app, _) = app();
    let a = send(&app, get(Who::Anonymous, "/health"), Some("abc-123")).await;
    assert_eq!(a.request_id.as_deref(), Some("abc-123"));
    let a = send(&app, get(Who::Anonymous, "/nope"), Some("caller-7")).await;
    assert_eq!(a.request_id.as_deref(), Some("caller-7"));
    let one = send(&app, get(Who::Anonymous, "/health"), None).await.request_id.unwrap();
    let two = send(&app, get(Who::Anonymous, "/health"), Some("bad id with spaces")).await.request_id.unwrap();
    assert_eq!((one.len(), two.len()), (32, 32));
    assert_ne!(one, two);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_reports() {
    let (app, _) = app();
    check(&app, upload(Who::FurnisherA, file_a()), 201, None).await;
    check(&app, report(Who::LenderWithConsent, ZHANG_ID, "02"), 200, None).await;
    check(&app, report(Who::LenderWithoutConsent, ZHANG_ID, "02"), 403, Some("NO_CONSENT")).await;
    check(&app, get(Who::Anonymous, "/secret/110105199001011232"), 404, Some("NOT_FOUND")).await;
    let m = check(&app, get(Who::Anonymous, "/metrics"), 200, None).await.text;
    for line in [
        r#"openbureau_http_requests_total{route="/v1/batches",status="201"} 1"#,
        r#"openbureau_http_requests_total{route="/v1/reports",status="200"} 1"#,
        r#"openbureau_http_requests_total{route="/v1/reports",status="403"} 1"#,
        r#"openbureau_http_requests_total{route="unmatched",status="404"} 1"#,
        "openbureau_reports_total 1",
    ] {
        assert!(m.lines().any(|l| l == line), "{line} missing from:\n{m}");
    }
    assert!(!m.contains(LI_ID));
}

#[test]
fn keys_file_round_trip() {
    let dir = std::env::temp_dir().join(format!("ob-server-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.json");
    let _ = std::fs::remove_file(&path);
    let k1 = ob_server::keys::create_key(&path, "FURNA", &[Role::Furnisher]).unwrap();
    let k2 = ob_server::keys::create_key(&path, "LENDC", &[Role::Lender, Role::Furnisher]).unwrap();
    assert_eq!((k1.len(), k1 != k2), (64, true));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(&k1) && !text.contains(&k2), "the file keeps only digests");
    let table = KeyTable::load(&path).unwrap();
    assert_eq!(table.lookup(&k1).unwrap().org_code, "FURNA");
    assert!(table.lookup(&k2).unwrap().has(Role::Lender));
    assert!(table.lookup(KEY_UNKNOWN).is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}
