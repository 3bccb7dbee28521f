//! The API driven in-process through the real router: an access matrix over every endpoint and
//! role, request ids, metrics.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use ob_bureau::Bureau;
use ob_bureau::access::Role;
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::IngestOptions;
use ob_model::{DocumentNumber, DocumentType, FlagKind};
use ob_server::{AppState, router};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
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

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    Unknown,
    FurnisherA,
    FurnisherB,
    LenderWithConsent,
    LenderWithoutConsent,
    Admin,
}

const EVERYONE: [Who; 7] = [
    Who::Anonymous,
    Who::Unknown,
    Who::FurnisherA,
    Who::FurnisherB,
    Who::LenderWithConsent,
    Who::LenderWithoutConsent,
    Who::Admin,
];

/// A key nobody was given.
const KEY_UNKNOWN: &str = "eeee000000000000000000000000000000000000000000000000000000000005";

/// The router and the keys the operator issued.
struct App {
    router: Router,
    keys: HashMap<Who, String>,
}

impl App {
    fn key(&self, who: Who) -> Option<String> {
        match who {
            Who::Anonymous => None,
            Who::Unknown => Some(KEY_UNKNOWN.into()),
            _ => self.keys.get(&who).cloned(),
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
        r#"{{"kind":"consent","subject":{subject},"scope":"inquire","purpose":"{purpose}","consent_ref":"AUTH-{purpose}","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"{EVIDENCE}"}}"#
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
        &[consent(ZHANG), account("ALPHA-1", ZHANG), month("ALPHA-1", "2024-05", 1000), month("ALPHA-1", "2099-05", 1)],
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

/// A bureau whose lenders hold their consents (given to them outside this API), its
/// organizations added and keys issued by the operator, and the router.
fn app_with(rate: Option<(u32, u32)>, now: time::OffsetDateTime) -> (App, AppState) {
    let clock = Arc::new(ManualClock::new(now));
    let mut bureau = Bureau::new(ob_store::testing::scratch_from_env(), Keys::from_master(&[7; 32]), clock).unwrap();
    let lender_file = file(
        header("LENDC", "Cautious Lender"),
        &[
            inquire_consent(ZHANG, "02"),
            inquire_consent(LI, "02"),
            inquire_consent(ZHANG, "01"),
            inquire_consent(LI, "01"),
            consent(LI),
            account("L1", LI),
            month("L1", "2024-05", 700),
        ],
    );
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max: None,
        prefetch: None,
    };
    let digest: [u8; 32] = Sha256::digest(lender_file.as_bytes()).into();
    bureau.ingest_jsonl(lender_file.as_bytes(), digest, &options, &mut Vec::new(), &mut |_| {}).unwrap();
    let mut keys = HashMap::new();
    for (who, code, name, roles) in [
        (Who::FurnisherA, "FURNA", "Alpha Bank", &[Role::Furnisher][..]),
        (Who::FurnisherB, "FURNB", "Beta Finance", &[Role::Furnisher]),
        (Who::LenderWithConsent, "LENDC", "Cautious Lender", &[Role::Lender, Role::Furnisher]),
        (Who::LenderWithoutConsent, "LENDN", "Nosy Lender", &[Role::Lender]),
    ] {
        bureau.add_org(code, name, roles).unwrap();
        keys.insert(who, bureau.issue_key(Some(code), "test").unwrap());
    }
    keys.insert(Who::Admin, bureau.issue_key(None, "operator").unwrap());
    let mut state = AppState::new(bureau).with_log(false);
    if let Some((per_s, burst)) = rate {
        state = state.with_rate(per_s, burst);
    }
    (App { router: router(state.clone()), keys }, state)
}

fn app() -> (App, AppState) {
    app_with(None, datetime!(2024-06-05 02:00 UTC))
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

/// A report request naming the authorization by its document's SHA-256.
fn report(who: Who, doc: &str, purpose: &str) -> Call {
    let body = serde_json::json!({"document_type": "prc_resident_id", "document_number": doc, "purpose": purpose,
        "authorization_sha256": EVIDENCE});
    Call { who, method: "POST", path: "/v1/reports", body: body.to_string() }
}

fn post(who: Who, path: &'static str, body: serde_json::Value) -> Call {
    Call { who, method: "POST", path, body: body.to_string() }
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

async fn send(app: &App, call: Call, request_id: Option<&str>) -> Answer {
    let mut req = Request::builder().method(call.method).uri(call.path);
    if let Some(key) = app.key(call.who) {
        req = req.header("authorization", format!("Bearer {key}"));
    }
    if let Some(id) = request_id {
        req = req.header("x-request-id", id);
    }
    let response = app.router.clone().oneshot(req.body(Body::from(call.body)).unwrap()).await.unwrap();
    let status = response.status();
    let request_id = response.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Answer { status, text, json, request_id }
}

/// Sends `call` and checks its status and, for errors, the envelope's code; every refusal is an
/// envelope and nothing but the envelope.
async fn check(app: &App, call: Call, status: u16, code: Option<&str>) -> Answer {
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
const A_DATA: [&str; 4] = [ZHANG_ID, "张三", "Alpha Bank", "ALPHA-1"];
/// Everything about Li and furnisher B.
const B_DATA: [&str; 3] = [LI_ID, "李四", "Beta Finance"];

#[tokio::test]
async fn health_and_metrics_are_open_to_everyone() {
    let (app, _) = app();
    for who in EVERYONE {
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
        (LenderWithConsent, 403, "FURNISHER_MISMATCH"),
        (LenderWithoutConsent, 403, "ROLE_REQUIRED"),
        (Admin, 403, "ROLE_REQUIRED"),
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
    check(
        &app,
        Call { who: FurnisherA, method: "DELETE", path: "/v1/batches", body: String::new() },
        405,
        Some("METHOD_NOT_ALLOWED"),
    )
    .await;
}

#[tokio::test]
async fn furnishers_read_only_their_own_batches_and_feedback() {
    let (app, _) = app();
    use Who::*;
    let a = check(&app, upload(FurnisherA, file_a()), 201, None).await;
    assert_eq!(a.json["batch_id"], 2, "batch 1 is the lender's consents: {}", a.text);
    assert_eq!((&a.json["status"], &a.json["format"]), (&"done".into(), &"openbureau.jsonl/1".into()));
    assert_eq!(a.json["feedback_url"], "/v1/batches/2/feedback");
    check(&app, upload(FurnisherB, file_b()), 201, None).await;

    let list = check(&app, get(FurnisherA, "/v1/batches"), 200, None).await;
    let ids: Vec<i64> =
        list.json["batches"].as_array().unwrap().iter().map(|b| b["batch_id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [2], "{}", list.text);
    holds_none(&list, &B_DATA);
    let list = check(&app, get(FurnisherB, "/v1/batches"), 200, None).await;
    assert_eq!(list.json["batches"][0]["batch_id"], 3);
    let page = check(&app, get(FurnisherA, "/v1/batches?after=2&limit=5"), 200, None).await;
    assert_eq!(page.json, serde_json::json!({"batches": []}));

    let st = check(&app, get(FurnisherA, "/v1/batches/2"), 200, None).await;
    assert_eq!((&st.json["records"], &st.json["accepted"], &st.json["rejected"]), (&4.into(), &3.into(), &1.into()));
    let fb = check(&app, get(FurnisherA, "/v1/batches/2/feedback"), 200, None).await;
    let lines: Vec<serde_json::Value> = fb.text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{}", fb.text);
    assert_eq!(lines[0]["line"], 5);

    // Another's batch is as absent as one that does not exist.
    for path in ["/v1/batches/2", "/v1/batches/2/feedback", "/v1/batches/99", "/v1/batches/x", "/v1/batches/-1"] {
        let a = check(&app, get(FurnisherB, path), 404, Some("NOT_FOUND")).await;
        holds_none(&a, &A_DATA);
    }
    for (who, status, code) in [
        (Anonymous, 401, "UNAUTHENTICATED"),
        (Unknown, 401, "UNAUTHENTICATED"),
        (LenderWithoutConsent, 403, "ROLE_REQUIRED"),
        (Admin, 403, "ROLE_REQUIRED"),
    ] {
        for path in ["/v1/batches", "/v1/batches/2", "/v1/batches/2/feedback"] {
            let a = check(&app, get(who, path), status, Some(code)).await;
            holds_none(&a, &A_DATA);
        }
    }
    // The lender that also furnishes sees its own consent batch only.
    let list = check(&app, get(LenderWithConsent, "/v1/batches"), 200, None).await;
    assert_eq!(list.json["batches"].as_array().map(Vec::len), Some(1));
    holds_none(&list, &A_DATA);
}

/// `GET /v1/stale-accounts`: a furnisher's own open accounts not reported for 3 months, in
/// pages; furnisher keys only; a limit out of range is a 400.
#[tokio::test]
async fn a_furnisher_reads_its_stale_accounts_and_only_its_own() {
    let (app, _) = app_with(None, datetime!(2024-10-01 02:00 UTC));
    use Who::*;
    check(&app, upload(FurnisherA, file_a()), 201, None).await;
    check(&app, upload(FurnisherB, file_b()), 201, None).await;
    let a = check(&app, get(FurnisherA, "/v1/stale-accounts"), 200, None).await;
    assert_eq!(
        a.json,
        serde_json::json!({"accounts": [{"code": "STALE_ACCOUNT", "account_key": "ALPHA-1",
            "last_reported_month": "2024-05", "months_silent": 4}], "next_after": null})
    );
    let b = check(&app, get(FurnisherB, "/v1/stale-accounts?limit=1"), 200, None).await;
    assert_eq!(b.json["accounts"][0]["account_key"], "B1");
    assert_eq!(b.json["next_after"], "B1", "a full page says where to go on");
    let end = check(&app, get(FurnisherB, "/v1/stale-accounts?after=B1"), 200, None).await;
    assert_eq!(end.json, serde_json::json!({"accounts": [], "next_after": null}));
    let too_long = "/v1/stale-accounts?after=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    for path in
        ["/v1/stale-accounts?limit=0", "/v1/stale-accounts?limit=1001", "/v1/stale-accounts?after=a%00b", too_long]
    {
        check(&app, get(FurnisherA, path), 400, Some("BAD_REQUEST")).await;
    }
    for (who, status, code) in [
        (Anonymous, 401, "UNAUTHENTICATED"),
        (LenderWithoutConsent, 403, "ROLE_REQUIRED"),
        (Admin, 403, "ROLE_REQUIRED"),
    ] {
        check(&app, get(who, "/v1/stale-accounts"), status, Some(code)).await;
    }
}

#[tokio::test]
async fn operators_manage_organizations_and_keys() {
    let (app, _) = app();
    use Who::*;
    let new_org = serde_json::json!({"code": "NEWCO", "name": "New Co", "roles": ["lender"]});
    for who in [Anonymous, Unknown, FurnisherA, FurnisherB, LenderWithConsent, LenderWithoutConsent] {
        let (status, code) =
            if matches!(who, Anonymous | Unknown) { (401, "UNAUTHENTICATED") } else { (403, "ROLE_REQUIRED") };
        check(&app, get(who, "/v1/admin/orgs"), status, Some(code)).await;
        check(&app, post(who, "/v1/admin/orgs", new_org.clone()), status, Some(code)).await;
        check(&app, post(who, "/v1/admin/orgs/FURNA/keys", serde_json::json!({})), status, Some(code)).await;
        check(&app, post(who, "/v1/admin/keys/revoke", serde_json::json!({"key_sha256": "00"})), status, Some(code))
            .await;
    }
    let orgs = check(&app, get(Admin, "/v1/admin/orgs"), 200, None).await;
    let codes: Vec<&str> =
        orgs.json["organizations"].as_array().unwrap().iter().map(|o| o["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["LENDC", "FURNA", "FURNB", "LENDN"]);
    let org = check(&app, post(Admin, "/v1/admin/orgs", new_org), 200, None).await;
    assert_eq!(org.json["roles"], serde_json::json!(["lender"]));
    for bad in [
        serde_json::json!({"code": "X", "name": "X", "roles": ["admin"]}),
        serde_json::json!({"code": "X", "name": "X", "roles": []}),
        serde_json::json!({"code": "", "name": "X", "roles": ["lender"]}),
        // Found by schemathesis: a code no file could carry (control characters, spaces).
        serde_json::json!({"code": "A\u{10}B", "name": "X", "roles": ["lender"]}),
        serde_json::json!({"code": "A B", "name": "X", "roles": ["lender"]}),
    ] {
        check(&app, post(Admin, "/v1/admin/orgs", bad), 400, Some("ORG_INVALID")).await;
    }
    // Found by schemathesis: a JSON array is no body of ours (serde took `[]` for a struct), and
    // `null` asks for a key with no label, as no body does.
    check(&app, post(Admin, "/v1/admin/orgs/FURNA/keys", serde_json::json!([])), 400, Some("BAD_REQUEST")).await;
    check(&app, post(Admin, "/v1/admin/orgs", serde_json::json!(["NEWCO", "N", []])), 400, Some("BAD_REQUEST")).await;
    check(&app, post(Admin, "/v1/admin/orgs/FURNA/keys", serde_json::Value::Null), 201, None).await;
    // Found by schemathesis in CI: a form feed is no JSON whitespace, so `\x0c` is no empty body;
    // and white space alone is no JSON document ("\n" was taken for no body).
    let bodies = [
        ("\x0c", 400),
        (" \x0cnull", 400),
        ("null\x0c", 400),
        (" \t\r\n", 400),
        ("\n", 400),
        ("", 201),
        ("\nnull ", 201),
    ];
    for (body, status) in bodies {
        let call = Call { who: Admin, method: "POST", path: "/v1/admin/orgs/FURNA/keys", body: body.into() };
        check(&app, call, status, (status == 400).then_some("BAD_REQUEST")).await;
    }
    check(&app, post(Admin, "/v1/admin/orgs/NOPE/keys", serde_json::json!({})), 404, Some("UNKNOWN_ORGANIZATION"))
        .await;
    let key =
        check(&app, post(Admin, "/v1/admin/orgs/FURNA/keys", serde_json::json!({"label": "second"})), 201, None).await;
    let (new_key, digest) = (key.json["key"].as_str().unwrap().to_owned(), key.json["key_sha256"].clone());
    assert_eq!(new_key.len(), 64);

    // The new key works; once revoked it no longer does, at once; revoking twice is 404.
    let mut app = app;
    app.keys.insert(FurnisherA, new_key);
    check(&app, get(FurnisherA, "/v1/batches"), 200, None).await;
    check(&app, post(Admin, "/v1/admin/keys/revoke", serde_json::json!({"key_sha256": digest})), 200, None).await;
    check(&app, get(FurnisherA, "/v1/batches"), 401, Some("UNAUTHENTICATED")).await;
    check(
        &app,
        post(Admin, "/v1/admin/keys/revoke", serde_json::json!({"key_sha256": digest})),
        404,
        Some("NOT_FOUND"),
    )
    .await;
    check(
        &app,
        post(Admin, "/v1/admin/keys/revoke", serde_json::json!({"key_sha256": "zz"})),
        400,
        Some("BAD_REQUEST"),
    )
    .await;
}

#[tokio::test]
async fn a_page_size_outside_its_bounds_is_refused_not_clamped() {
    let (app, _) = app();
    for path in ["/v1/batches?limit=0", "/v1/batches?limit=1001", "/v1/batches?limit=2147483648"] {
        check(&app, get(Who::FurnisherA, path), 400, Some("BAD_REQUEST")).await;
    }
    check(&app, get(Who::FurnisherA, "/v1/batches?limit=1000"), 200, None).await;
}

#[tokio::test]
async fn each_key_has_its_own_rate() {
    let (app, _) = app_with(Some((1, 2)), datetime!(2024-06-05 02:00 UTC));
    for _ in 0..2 {
        check(&app, get(Who::FurnisherA, "/v1/batches"), 200, None).await;
    }
    let call = get(Who::FurnisherA, "/v1/batches");
    let mut req = Request::builder().method(call.method).uri(call.path);
    req = req.header("authorization", format!("Bearer {}", app.key(Who::FurnisherA).unwrap()));
    let response = app.router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_some());
    // Another key is not slowed by the first.
    check(&app, get(Who::FurnisherB, "/v1/batches"), 200, None).await;
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
    // An approval names the authorization relied on; a wrong one is no consent.
    let bare = serde_json::json!({"document_type": "prc_resident_id", "document_number": ZHANG_ID, "purpose": "02"});
    check(&app, raw_report(LenderWithConsent, &bare.to_string()), 400, Some("CONSENT_PROOF_REQUIRED")).await;
    let wrong = serde_json::json!({"document_type": "prc_resident_id", "document_number": ZHANG_ID, "purpose": "02",
        "consent_ref": "AUTH-03"});
    check(&app, raw_report(LenderWithConsent, &wrong.to_string()), 403, Some("NO_CONSENT")).await;
    let by_ref = serde_json::json!({"document_type": "prc_resident_id", "document_number": ZHANG_ID, "purpose": "02",
        "consent_ref": "AUTH-02"});
    check(&app, raw_report(LenderWithConsent, &by_ref.to_string()), 200, None).await;
    // The signed authorization itself (EVIDENCE is the SHA-256 of "test"): hashed, matched, not kept.
    let doc = |b64: &str| {
        serde_json::json!({"document_type": "prc_resident_id", "document_number": ZHANG_ID, "purpose": "02",
            "authorization_base64": b64})
        .to_string()
    };
    check(&app, raw_report(LenderWithConsent, &doc("dGVzdA==")), 200, None).await;
    check(&app, raw_report(LenderWithConsent, &doc("dGVzdDI=")), 403, Some("NO_CONSENT")).await;
    check(&app, raw_report(LenderWithConsent, &doc("%%%")), 400, Some("BAD_REQUEST")).await;
    let two = serde_json::json!({"document_type": "prc_resident_id", "document_number": ZHANG_ID, "purpose": "02",
        "consent_ref": "AUTH-02", "authorization_sha256": EVIDENCE});
    check(&app, raw_report(LenderWithConsent, &two.to_string()), 400, Some("BAD_REQUEST")).await;
    // Post-loan management only for the lender's own customers: Li has an account there, Zhang none.
    check(&app, report(LenderWithConsent, LI_ID, "01"), 200, None).await;
    let a = check(&app, report(LenderWithConsent, ZHANG_ID, "01"), 403, Some("NO_OPEN_ACCOUNT")).await;
    holds_none(&a, &A_DATA);
    check(&app, report(Admin, ZHANG_ID, "02"), 403, Some("ROLE_REQUIRED")).await;

    let a = check(&app, report(LenderWithConsent, ZHANG_ID, "02"), 200, None).await;
    assert_eq!(a.json["header"]["copy"], "institution", "{}", a.text);
    // Each report was logged as an inquiry before it was given: the next one counts it.
    let before = a.json["summary"]["queries"]["loan_approval_queries_1m"].as_u64().unwrap();
    let next = check(&app, report(LenderWithConsent, ZHANG_ID, "02"), 200, None).await;
    assert_eq!(next.json["summary"]["queries"]["loan_approval_queries_1m"].as_u64(), Some(before + 1));
    assert!(next.json["queries"].as_array().unwrap().iter().any(|q| q["reason"] == "02" && q["hard"] == true));
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

/// Reports asked all at once are served one after the other by the bureau's thread, each logged
/// as its own inquiry before it is returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reports_are_each_logged_as_an_inquiry() {
    let (app, _state) = app();
    check(&app, upload(Who::FurnisherA, file_a()), 201, None).await;
    check(&app, upload(Who::FurnisherB, file_b()), 201, None).await;
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let app = Arc::clone(&app);
        let doc = if i % 2 == 0 { ZHANG_ID } else { LI_ID };
        tasks.push(tokio::spawn(async move { send(&app, report(Who::LenderWithConsent, doc, "02"), None).await }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let a = task.await.unwrap();
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        ids.insert(a.json["header"]["report_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 40, "one inquiry, so one report number, per report");
    let a = check(&app, report(Who::LenderWithConsent, ZHANG_ID, "02"), 200, None).await;
    assert_eq!(a.json["queries"].as_array().unwrap().len(), 21, "{}", a.text);
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

/// Uploads `bytes` as `code`'s furnisher, with a key the operator makes for it on the spot.
async fn upload_as(state: &AppState, app: &App, code: &str, bytes: Vec<u8>) -> Answer {
    let key = {
        let mut bureau = state.bureau().lock().unwrap();
        bureau.add_org(code, "", &[Role::Furnisher]).unwrap();
        bureau.issue_key(Some(code), "formats").unwrap()
    };
    let req = Request::builder()
        .method("POST")
        .uri("/v1/batches")
        .header("authorization", format!("Bearer {key}"))
        .body(Body::from(bytes))
        .unwrap();
    let response = app.router.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Answer { status, text, json, request_id: None }
}

#[tokio::test]
async fn metro2_and_pboc_files_go_in_over_http_with_their_feedback() {
    // The golden files are dated up to 2025: validated on a later day.
    let (app, state) = app_with(None, datetime!(2026-01-05 02:00 UTC));
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/golden");
    for (file, code, format) in [
        ("pboc/valid_210.txt", "B1234567890ABC", "pboc"),
        ("metro2/character_lf.dat", "", "metro2"),
        ("metro2/packed_decimal.dat", "", "metro2"),
    ] {
        let bytes = std::fs::read(golden.join(file)).unwrap();
        // A Metro 2 file is its furnisher's by the identification number of its data records.
        let code = if code.is_empty() { metro2_furnisher(&bytes) } else { code.to_owned() };
        let code = code.as_str();
        let probe = upload_as(&state, &app, "PROBE", bytes.clone()).await;
        assert_eq!(probe.json["error"]["code"], "FURNISHER_MISMATCH", "{file}: {}", probe.text);
        let a = upload_as(&state, &app, code, bytes.clone()).await;
        assert_eq!(a.status, StatusCode::CREATED, "{file}: {}", a.text);
        assert!(a.json["format"].as_str().unwrap().starts_with(format), "{file}: {}", a.text);
        assert!(a.json["records"].as_u64().unwrap() > 0, "{file}: {}", a.text);
        let again = upload_as(&state, &app, code, bytes).await;
        assert_eq!((again.status, &again.json["already_ingested"]), (StatusCode::OK, &true.into()));
    }
}

fn metro2_furnisher(bytes: &[u8]) -> String {
    let mut reader = ob_formats::metro2::Reader::new(std::io::Cursor::new(bytes)).unwrap();
    while let Some(next) = reader.next_record() {
        let Ok(record) = next else { continue };
        if let Ok(data) = ob_formats::metro2::DataRecord::parse(&record) {
            return data.base.identification_number.trim().to_owned();
        }
    }
    panic!("no data record")
}

#[tokio::test]
async fn furnishers_answer_only_their_own_disputes() {
    let (app, state) = app();
    use Who::*;
    check(&app, upload(FurnisherA, file_a()), 201, None).await;
    check(&app, upload(FurnisherB, file_b()), 201, None).await;
    let zhang = DocumentNumber::parse(DocumentType::PrcResidentId, ZHANG_ID).unwrap();
    let id = {
        let mut bureau = state.bureau().lock().unwrap();
        let request = ob_bureau::report::ReportRequest {
            document: zhang.clone(),
            as_of: None,
            requester: ob_bureau::report::Requester::Person,
        };
        let report = bureau.produce_report(&request).unwrap();
        let account_ref = report.account_groups[0].accounts[0].account_ref.clone();
        let target = ob_bureau::rights::DisputeTarget::Account(account_ref);
        bureau.file_dispute(&zhang, &target, ob_model::DisputeType::WrongStatus).unwrap().0
    };
    let queue = check(&app, get(FurnisherA, "/v1/disputes"), 200, None).await;
    assert_eq!(queue.json["disputes"][0]["id"], id, "{}", queue.text);
    assert_eq!(queue.json["disputes"][0]["state"], "open");
    holds_none(&queue, &[ZHANG_ID, "张三"]);
    let other = check(&app, get(FurnisherB, "/v1/disputes"), 200, None).await;
    assert_eq!(other.json, serde_json::json!({"disputes": []}));
    for (who, status, code) in [(Anonymous, 401, "UNAUTHENTICATED"), (Admin, 403, "ROLE_REQUIRED")] {
        check(&app, get(who, "/v1/disputes"), status, Some(code)).await;
    }
    let path: &'static str = Box::leak(format!("/v1/disputes/{id}/answer").into_boxed_str());
    let verified = serde_json::json!({"answer": "verified", "note": "checked the ledger"});
    check(&app, post(FurnisherB, path, verified.clone()), 404, Some("UNKNOWN_DISPUTE")).await;
    check(&app, post(FurnisherA, path, serde_json::json!({"answer": "maybe"})), 400, Some("BAD_REQUEST")).await;
    let a = check(&app, post(FurnisherA, path, verified.clone()), 200, None).await;
    assert_eq!(a.json["state"], "verified", "{}", a.text);
    check(&app, post(FurnisherA, path, verified), 409, Some("DISPUTE_CLOSED")).await;
    let reinsert: &'static str = Box::leak(format!("/v1/disputes/{id}/reinsert").into_boxed_str());
    check(&app, post(FurnisherA, reinsert, serde_json::json!({"note": "x"})), 409, Some("DISPUTE_NOT_DELETED")).await;
    check(
        &app,
        post(FurnisherA, "/v1/disputes/999/answer", serde_json::json!({"answer": "deleted"})),
        404,
        Some("UNKNOWN_DISPUTE"),
    )
    .await;
}

/// A person who did not authorize a look disputes it with the lender that looked: a lender that
/// is no furnisher reads its queue and answers it.
#[tokio::test]
async fn a_lender_answers_the_disputes_of_its_inquiries() {
    let (app, state) = app();
    let zhang = DocumentNumber::parse(DocumentType::PrcResidentId, ZHANG_ID).unwrap();
    let id = {
        let mut bureau = state.bureau().lock().unwrap();
        let consent = file(header("LENDN", "Nosy Lender"), &[inquire_consent(ZHANG, "02")]);
        let digest: [u8; 32] = Sha256::digest(consent.as_bytes()).into();
        let options = IngestOptions {
            register_unknown_furnisher: false,
            expected_furnisher: Some("LENDN".into()),
            keep_feedback: false,
            cached_max: None,
            prefetch: None,
        };
        bureau.ingest_jsonl(consent.as_bytes(), digest, &options, &mut Vec::new(), &mut |_| {}).unwrap();
        let ask = |requester| ob_bureau::report::ReportRequest { document: zhang.clone(), as_of: None, requester };
        let lender = ob_bureau::report::Requester::Organization {
            code: "LENDN".into(),
            reason: ob_model::QueryReason::LoanApproval,
        };
        bureau.produce_report(&ask(lender)).unwrap();
        let mine = bureau.produce_report(&ask(ob_bureau::report::Requester::Person)).unwrap();
        let looked = mine.queries.iter().find(|q| q.institution == "Nosy Lender").expect("the lender's look");
        let target = ob_bureau::rights::DisputeTarget::Inquiry(looked.inquiry_ref.clone());
        bureau.file_dispute(&zhang, &target, ob_model::DisputeType::UnauthorizedQuery).unwrap().0
    };
    let queue = check(&app, get(Who::LenderWithoutConsent, "/v1/disputes"), 200, None).await;
    assert_eq!(queue.json["disputes"][0]["id"], id, "{}", queue.text);
    holds_none(&queue, &[ZHANG_ID, "张三"]);
    let path: &'static str = Box::leak(format!("/v1/disputes/{id}/answer").into_boxed_str());
    let deleted = serde_json::json!({"answer": "deleted", "note": "no signed form found"});
    let answered = check(&app, post(Who::LenderWithoutConsent, path, deleted), 200, None).await;
    assert_eq!(answered.json["state"], "deleted", "{}", answered.text);
}

/// FCRA §611(d): a lender that had a disputed item reads the notice sent at the person's request,
/// the item named as its own copy named it; nobody else reads it.
#[tokio::test]
async fn a_lender_that_had_a_disputed_item_reads_its_correction_notice() {
    let (app, state) = app();
    let li = DocumentNumber::parse(DocumentType::PrcResidentId, LI_ID).unwrap();
    let copy = {
        let mut bureau = state.bureau().lock().unwrap();
        let consent = file(header("LENDN", "Nosy Lender"), &[inquire_consent(LI, "02")]);
        let digest: [u8; 32] = Sha256::digest(consent.as_bytes()).into();
        let options = IngestOptions { expected_furnisher: Some("LENDN".into()), ..IngestOptions::default() };
        bureau.ingest_jsonl(consent.as_bytes(), digest, &options, &mut Vec::new(), &mut |_| {}).unwrap();
        let ask = |requester| ob_bureau::report::ReportRequest { document: li.clone(), as_of: None, requester };
        let lender = ob_bureau::report::Requester::Organization {
            code: "LENDN".into(),
            reason: ob_model::QueryReason::LoanApproval,
        };
        let copy = bureau.produce_report(&ask(lender)).unwrap();
        let mine = bureau.produce_report(&ask(ob_bureau::report::Requester::Person)).unwrap();
        let account = mine.account_groups[0].accounts[0].account_ref.clone();
        let target = ob_bureau::rights::DisputeTarget::Account(account);
        let id = bureau.file_dispute(&li, &target, ob_model::DisputeType::NotMine).unwrap();
        let told = bureau.tell_recipients(&li, id, None).unwrap();
        assert_eq!(told.len(), 1, "{told:?}");
        copy
    };
    check(&app, get(Who::Anonymous, "/v1/correction-notices"), 401, Some("UNAUTHENTICATED")).await;
    check(&app, get(Who::FurnisherA, "/v1/correction-notices"), 403, Some("ROLE_REQUIRED")).await;
    let none = check(&app, get(Who::LenderWithConsent, "/v1/correction-notices"), 200, None).await;
    assert_eq!(none.json["notices"], serde_json::json!([]), "the furnisher answers the dispute itself");
    let page = check(&app, get(Who::LenderWithoutConsent, "/v1/correction-notices"), 200, None).await;
    let notice = &page.json["notices"][0];
    assert_eq!(notice["account_ref"].as_str(), Some(copy.account_groups[0].accounts[0].account_ref.as_str()));
    assert_eq!((notice["item"].as_str(), notice["state"].as_str()), (Some("account"), Some("open")));
    assert_eq!(notice["report_id"].as_str(), Some(copy.header.report_id.as_str()));
    holds_none(&page, &[LI_ID, "李四"]);
    let path: &'static str = Box::leak(format!("/v1/correction-notices?after={}", notice["id"]).into_boxed_str());
    let after = check(&app, get(Who::LenderWithoutConsent, path), 200, None).await;
    assert_eq!(after.json["notices"], serde_json::json!([]), "read on from the last one");
}

#[tokio::test]
async fn what_axum_refuses_itself_is_an_envelope_too() {
    let (app, _) = app();
    // A malformed query string, a body over the JSON limit, a key of the wrong shape.
    check(&app, get(Who::FurnisherA, "/v1/batches?after=x"), 400, Some("BAD_REQUEST")).await;
    let big = format!(r#"{{"document_type":"{}"}}"#, "x".repeat(ob_model::limits::HTTP_BODY_BYTES_MAX));
    check(&app, raw_report(Who::LenderWithConsent, &big), 413, Some("TOO_LARGE")).await;
    let req = Request::builder().uri("/v1/batches").header("authorization", "Bearer not-a-key").body(Body::empty());
    let response = app.router.clone().oneshot(req.unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// The API's answers as a lender, a furnisher and an operator see them, pinned: a change to any
/// field shows in review.
#[tokio::test]
async fn snapshots_of_the_api_answers() {
    let (app, _) = app();
    use Who::*;
    let uploaded = check(&app, upload(FurnisherA, file_a()), 201, None).await;
    insta::assert_json_snapshot!("upload_answer", uploaded.json);
    let status = check(&app, get(FurnisherA, "/v1/batches/2"), 200, None).await;
    insta::assert_json_snapshot!("batch_status", status.json);
    let given = check(&app, report(LenderWithConsent, ZHANG_ID, "02"), 200, None).await;
    insta::assert_json_snapshot!("lender_report", given.json);
    let orgs = check(&app, get(Admin, "/v1/admin/orgs"), 200, None).await;
    insta::assert_json_snapshot!("admin_orgs", orgs.json);
    let refused = check(&app, report(LenderWithoutConsent, ZHANG_ID, "02"), 403, Some("NO_CONSENT")).await;
    insta::assert_json_snapshot!("refusal", refused.json);
}
