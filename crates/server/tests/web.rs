//! The person's web pages driven in-process through the real router: sign-in, lockout, cookie,
//! CSRF, sign-out, expiry; the pages' rows of the access matrix (every page × anonymous, both
//! furnishers, both lenders, the operator, P and Q; and P's and Q's sessions against the JSON
//! API); a person sees only their own file; revocation, disputes and statements through the
//! forms; self-views counted; snapshots of the report and the query log.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use common::*;
use ob_model::limits;
use ob_server::router;
use time::Duration;
use time::macros::datetime;
use tower::ServiceExt;

/// What came back.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Page {
    fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }

    fn set_cookie(&self) -> Option<&str> {
        self.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok())
    }

    /// The CSRF token of the page's forms.
    fn csrf(&self) -> String {
        let at = self.text.find(r#"name="csrf" value=""#).expect("a form with a CSRF token") + 19;
        self.text[at..at + 64].to_owned()
    }

    fn has(&self, s: &str) -> bool {
        self.text.contains(s)
    }
}

/// Percent-encodes a form.
fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => (b as char).to_string(),
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

async fn call(
    app: &Router,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    bearer: Option<&str>,
    body: Option<String>,
) -> Page {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    if let Some(k) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let response = app.clone().oneshot(req.body(Body::from(body.unwrap_or_default())).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Page { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn sign_in_as(app: &Router, document_type: &str, id: &str, password: &str) -> Page {
    let body = form(&[("document_type", document_type), ("document_number", id), ("password", password)]);
    call(app, "POST", "/signin", None, None, Some(body)).await
}

/// A signed-in browser: its cookie and its pages.
struct Person {
    app: Router,
    cookie: String,
}

impl Person {
    async fn sign_in(app: &Router, id: &str, password: &str) -> Person {
        let page = sign_in_as(app, "prc_resident_id", id, password).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
        assert_eq!(page.location(), Some("/me"));
        let cookie = page.set_cookie().expect("a session cookie").split(';').next().unwrap().to_owned();
        Person { app: app.clone(), cookie }
    }

    async fn get(&self, path: &str) -> Page {
        call(&self.app, "GET", path, Some(&self.cookie), None, None).await
    }

    async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Page {
        call(&self.app, "POST", path, Some(&self.cookie), None, Some(form(pairs))).await
    }

    /// The session's CSRF token, read from a page's sign-out form.
    async fn csrf(&self) -> String {
        self.get("/me").await.csrf()
    }
}

fn app() -> (Router, World) {
    let world = world(ob_store::testing::scratch_from_env());
    (router(world.state.clone()), world)
}

/// The page is an HTML page (not the JSON envelope) with this status and code.
fn html_error(page: &Page, status: u16, code: &str) {
    assert_eq!(page.status.as_u16(), status, "{}", page.text);
    let ct = page.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap();
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(page.has(&format!("<code>{code}</code>")), "{code} not in {}", page.text);
    assert!(!page.text.starts_with('{'));
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_session_cookie() {
    let (app, world) = app();
    let page = call(&app, "GET", "/", None, None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.has(r#"<form method="post" action="/signin">"#) && page.has("证件号码") && page.has("Document number")
    );
    assert_eq!(page.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(
        page.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().contains("default-src 'none'")
    );

    let page = sign_in_as(&app, "prc_resident_id", P_ID, P_PASSWORD).await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, Some("/me")));
    let cookie = page.set_cookie().unwrap();
    let parts: Vec<&str> = cookie.split("; ").collect();
    let token = parts[0].strip_prefix("ob_session=").unwrap();
    assert!(token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", &format!("Max-Age={}", limits::SESSION_S_MAX)] {
        assert!(parts.contains(&attr), "{attr} missing from {cookie}");
    }
    assert!(!parts.contains(&"Secure"), "plain http by default: {cookie}");
    assert_eq!(world.state.web_sessions().await.unwrap(), 1);

    let me = call(&app, "GET", "/me", Some(parts[0]), None, None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.has("110***********002X"), "the person's document, masked");
    assert!(!me.has(P_ID), "never the whole number");
    let home = call(&app, "GET", "/", Some(parts[0]), None, None).await;
    assert_eq!(home.location(), Some("/me"));

    // Signing in again from the same browser ends the session it had.
    let body = form(&[("document_type", "prc_resident_id"), ("document_number", Q_ID), ("password", Q_PASSWORD)]);
    let again = call(&app, "POST", "/signin", Some(parts[0]), None, Some(body)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(call(&app, "GET", "/me", Some(parts[0]), None, None).await.location(), Some("/"));
    assert_eq!(world.state.web_sessions().await.unwrap(), 1);

    // Behind HTTPS the cookie is Secure.
    let secure = world.state.clone().with_secure_cookies(true);
    let page = sign_in_as(&router(secure), "prc_resident_id", Q_ID, Q_PASSWORD).await;
    assert!(page.set_cookie().unwrap().ends_with("; Secure"), "{:?}", page.set_cookie());
}

#[tokio::test]
async fn every_failed_sign_in_looks_the_same_and_too_many_lock_the_document() {
    let (app, world) = app();
    let wrong = sign_in_as(&app, "prc_resident_id", P_ID, "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.has("The document or the password is wrong"));
    assert!(wrong.set_cookie().is_none());
    for (t, id, password) in [
        ("prc_resident_id", NOBODY_ID, P_PASSWORD),            // no file
        ("prc_resident_id", W_ID, P_PASSWORD),                 // a file, no sign-in
        ("prc_resident_id", "11010519491231002Y", P_PASSWORD), // not a valid number
        ("passport", P_ID, P_PASSWORD),                        // wrong type
        ("nope", P_ID, P_PASSWORD),
        ("prc_resident_id", Q_ID, P_PASSWORD), // someone else's password
        ("prc_resident_id", P_ID, ""),
    ] {
        let page = sign_in_as(&app, t, id, password).await;
        assert_eq!((page.status, &page.text), (wrong.status, &wrong.text), "{t} {id}");
        assert!(page.set_cookie().is_none());
    }
    let garbage = call(&app, "POST", "/signin", None, None, Some("%%%".into())).await;
    assert_eq!((garbage.status, &garbage.text), (wrong.status, &wrong.text));
    assert_eq!(world.state.web_sessions().await.unwrap(), 0);

    // P has failed twice; three more lock P, and then even the right password is refused.
    for _ in 2..limits::SIGNIN_FAILURES_MAX {
        sign_in_as(&app, "prc_resident_id", P_ID, "guess-guess-guess").await;
    }
    let locked = sign_in_as(&app, "prc_resident_id", P_ID, P_PASSWORD).await;
    assert_eq!((locked.status, &locked.text), (wrong.status, &wrong.text), "locked looks like any failure");
    // Q is not locked by P's failures (one failure with P's password above).
    Person::sign_in(&app, Q_ID, Q_PASSWORD).await;
    world.clock.set(datetime!(2024-06-05 02:00 UTC) + Duration::seconds(limits::SIGNIN_LOCK_S - 1));
    assert_eq!(sign_in_as(&app, "prc_resident_id", P_ID, P_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    world.clock.set(datetime!(2024-06-05 02:00 UTC) + Duration::seconds(limits::SIGNIN_LOCK_S));
    Person::sign_in(&app, P_ID, P_PASSWORD).await;
}

/// A sign-in from a client address (as `serve` passes it on).
async fn sign_in_from(app: &Router, from: [u8; 4], id: &str, password: &str) -> StatusCode {
    let body = form(&[("document_type", "prc_resident_id"), ("document_number", id), ("password", password)]);
    let mut req = Request::builder()
        .method("POST")
        .uri("/signin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let addr = std::net::SocketAddr::from((from, 40_000));
    req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    app.clone().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn failing_on_purpose_from_one_address_locks_no_one_out_elsewhere() {
    let (app, world) = app();
    let attacker = [203, 0, 113, 9];
    for _ in 0..limits::SIGNIN_FAILURES_MAX {
        assert_eq!(sign_in_from(&app, attacker, P_ID, "guess-guess-guess").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(sign_in_from(&app, attacker, P_ID, P_PASSWORD).await, StatusCode::UNAUTHORIZED, "locked there");
    assert_eq!(sign_in_from(&app, [198, 51, 100, 7], P_ID, P_PASSWORD).await, StatusCode::SEE_OTHER, "not here");
    // The attacker's next lock lasts twice as long.
    let start = datetime!(2024-06-05 02:00 UTC) + Duration::seconds(limits::SIGNIN_LOCK_S);
    world.clock.set(start);
    for _ in 0..limits::SIGNIN_FAILURES_MAX {
        sign_in_from(&app, attacker, P_ID, "guess-guess-guess").await;
    }
    world.clock.set(start + Duration::seconds(2 * limits::SIGNIN_LOCK_S - 1));
    assert_eq!(sign_in_from(&app, attacker, P_ID, P_PASSWORD).await, StatusCode::UNAUTHORIZED);
    world.clock.set(start + Duration::seconds(2 * limits::SIGNIN_LOCK_S));
    assert_eq!(sign_in_from(&app, attacker, P_ID, P_PASSWORD).await, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_without_the_session_csrf_token_are_refused() {
    let (app, _) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let q = Person::sign_in(&app, Q_ID, Q_PASSWORD).await;
    let (p_csrf, q_csrf) = (p.csrf().await, q.csrf().await);
    assert_ne!(p_csrf, q_csrf);
    let consent = {
        let page = p.get("/me/authorizations").await;
        let at = page.text.find(r#"name="consent" value=""#).unwrap() + 22;
        page.text[at..].split('"').next().unwrap().to_owned()
    };
    for bad in ["", "0000", &q_csrf, &p_csrf[..63]] {
        let page = p.post("/me/authorizations/revoke", &[("csrf", bad), ("consent", &consent)]).await;
        html_error(&page, 403, "CSRF");
        html_error(&p.post("/signout", &[("csrf", bad)]).await, 403, "CSRF");
        let filed =
            p.post("/me/disputes", &[("csrf", bad), ("item", "identity"), ("dispute_type", "wrong_basic_info")]).await;
        html_error(&filed, 403, "CSRF");
    }
    let page = p.post("/me/authorizations/revoke", &[("consent", &consent)]).await;
    html_error(&page, 403, "CSRF");
    let page = p.get("/me/authorizations").await;
    assert!(!page.has("撤销 <span class=\"en\" lang=\"en\">revoked on"), "nothing was revoked");
    assert!(
        p.get("/me/disputes").await.has("<h2>我的异议 <span class=\"en\" lang=\"en\">My disputes</span></h2>\n<p>无")
    );
    assert_eq!(p.get("/me").await.status, StatusCode::OK, "the session goes on");
}

#[tokio::test]
async fn signing_out_ends_the_session_and_sessions_expire() {
    let (app, world) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let out = p.post("/signout", &[("csrf", &p.csrf().await)]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, Some("/")));
    assert!(out.set_cookie().unwrap().contains("Max-Age=0"));
    assert_eq!(p.get("/me").await.location(), Some("/"));
    assert_eq!(world.state.web_sessions().await.unwrap(), 0);

    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    world.clock.set(datetime!(2024-06-05 02:00 UTC) + Duration::seconds(limits::SESSION_S_MAX - 1));
    assert_eq!(p.get("/me").await.status, StatusCode::OK);
    world.clock.set(datetime!(2024-06-05 02:00 UTC) + Duration::seconds(limits::SESSION_S_MAX));
    assert_eq!(p.get("/me").await.location(), Some("/"), "expired");
    assert_eq!(world.state.web_sessions().await.unwrap(), 0);
}

#[tokio::test]
async fn a_person_holds_a_bounded_number_of_sessions_the_oldest_going_first() {
    let (app, world) = app();
    let mut people = Vec::new();
    for i in 0..limits::SESSIONS_PER_PERSON_MAX + 1 {
        world.clock.set(datetime!(2024-06-05 02:00 UTC) + Duration::seconds(i as i64));
        people.push(Person::sign_in(&app, P_ID, P_PASSWORD).await);
    }
    assert_eq!(people[0].get("/me").await.location(), Some("/"), "the oldest went");
    for p in &people[1..] {
        assert_eq!(p.get("/me").await.status, StatusCode::OK);
    }
    let q = Person::sign_in(&app, Q_ID, Q_PASSWORD).await;
    assert_eq!(q.get("/me").await.status, StatusCode::OK, "another person's sessions are not P's to push out");
    assert_eq!(world.state.web_sessions().await.unwrap(), limits::SESSIONS_PER_PERSON_MAX + 1);
}

/// A password changed (after it leaked) ends the sessions opened with the old one, the person's
/// only: another person's session stays.
#[tokio::test]
async fn a_new_password_ends_the_persons_sessions() {
    let (app, world) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let q = Person::sign_in(&app, Q_ID, Q_PASSWORD).await;
    let new_password = ob_bureau::access::hash_password("a brand new password").unwrap();
    world.state.bureau().lock().unwrap().set_password(&common::doc(P_ID), &new_password).unwrap();
    assert_eq!(p.get("/me").await.location(), Some("/"), "signed out");
    assert_eq!(q.get("/me").await.status, StatusCode::OK, "Q is not");
    assert_eq!(Person::sign_in(&app, P_ID, "a brand new password").await.get("/me").await.status, StatusCode::OK);
}

/// Every page route, with a form that would change something if it were accepted.
const GETS: [&str; 6] = ["/me", "/me/report", "/me/inquiries", "/me/authorizations", "/me/disputes", "/me/statements"];
const POSTS: [&str; 6] = [
    "/signout",
    "/me/authorizations/revoke",
    "/me/disputes",
    "/me/disputes/tell",
    "/me/statements",
    "/me/statements/withdraw",
];

/// Every endpoint of the JSON API that needs a key.
const API: [(&str, &str); 13] = [
    ("POST", "/v1/batches"),
    ("GET", "/v1/batches"),
    ("GET", "/v1/batches/1"),
    ("GET", "/v1/batches/1/feedback"),
    ("POST", "/v1/reports"),
    ("GET", "/v1/disputes"),
    ("POST", "/v1/disputes/1/answer"),
    ("POST", "/v1/disputes/1/reinsert"),
    ("GET", "/v1/correction-notices"),
    ("GET", "/v1/admin/orgs"),
    ("POST", "/v1/admin/orgs"),
    ("POST", "/v1/admin/orgs/FURNA/keys"),
    ("POST", "/v1/admin/keys/revoke"),
];

#[tokio::test]
async fn access_matrix_of_the_pages() {
    let (app, world) = app();
    // Organizations' and the operator's keys open nothing here; neither does a made-up cookie.
    let keys = [
        None,
        Some(world.key_a.as_str()),
        Some(world.key_b.as_str()),
        Some(world.key_lc.as_str()),
        Some(world.key_ln.as_str()),
        Some(world.admin_key.as_str()),
    ];
    let forged = format!("ob_session={}", "ab".repeat(32));
    for key in keys {
        for cookie in [None, Some(forged.as_str()), Some("ob_session=../etc")] {
            for path in GETS {
                let page = call(&app, "GET", path, cookie, key, None).await;
                assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, Some("/")), "{key:?} GET {path}");
                assert!(page.text.is_empty());
            }
            for path in POSTS {
                let page = call(&app, "POST", path, cookie, key, Some(form(&[("csrf", "x"), ("consent", "C1")]))).await;
                html_error(&page, 401, "UNAUTHENTICATED");
                assert!(!page.has(P_NAME) && !page.has(Q_NAME));
            }
        }
    }
    // People's sessions open no API endpoint: they are not API keys (rows P and Q of the API's
    // access matrix). The open ones stay open.
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let q = Person::sign_in(&app, Q_ID, Q_PASSWORD).await;
    let report = serde_json::json!({"document_type": "prc_resident_id", "document_number": P_ID, "purpose": "02",
        "authorization_sha256": EVIDENCE});
    for who in [&p, &q] {
        for (method, path) in API {
            let body = if path == "/v1/reports" { report.to_string() } else { "{}".to_owned() };
            let api = call(&app, method, path, Some(&who.cookie), None, Some(body)).await;
            assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{method} {path}: {}", api.text);
            let json: serde_json::Value = serde_json::from_str(&api.text).unwrap();
            assert_eq!(json["error"]["code"], "UNAUTHENTICATED", "{method} {path}");
            assert!(!api.has(P_NAME) && !api.has(Q_NAME) && !api.has("Alpha Bank"));
        }
        for path in ["/health", "/metrics", "/v1/openapi.json"] {
            assert_eq!(call(&app, "GET", path, Some(&who.cookie), None, None).await.status, StatusCode::OK, "{path}");
        }
        for path in GETS {
            assert_eq!(who.get(path).await.status, StatusCode::OK, "{path}");
        }
    }
    // Wrong methods and unknown pages: HTML for page routes.
    html_error(&p.post("/me/report", &[]).await, 405, "METHOD_NOT_ALLOWED");
    html_error(&call(&app, "GET", "/signin", None, None, None).await, 405, "METHOD_NOT_ALLOWED");
    // There is no URL that takes a person's identifier.
    for path in [format!("/me/report?document_number={Q_ID}"), format!("/me/{Q_ID}"), format!("/me/report/{Q_ID}")] {
        let page = call(&app, "GET", &path, Some(&p.cookie), None, None).await;
        assert!(!page.has(Q_NAME), "{path}");
    }
}

/// Q's account reference as Q's report shows it.
async fn account_ref_of(person: &Person) -> String {
    let page = person.get("/me/report").await;
    let at = page.text.find(r#"<article class="account" id=""#).unwrap() + 29;
    page.text[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_person_sees_and_touches_only_their_own_file() {
    let (app, _) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let q = Person::sign_in(&app, Q_ID, Q_PASSWORD).await;
    let (p_ref, q_ref) = (account_ref_of(&p).await, account_ref_of(&q).await);
    assert_ne!(p_ref, q_ref);
    let q_marks = [Q_NAME, Q_ID, "110***********1232", "Beta Finance", "LI-LOAN-9", "1990-01-01"];
    let p_marks = [P_NAME, P_ID, "110***********002X", "Alpha Bank", "ZH-LINE-1", "1949-12-31"];
    for path in GETS {
        let page = p.get(path).await;
        for s in q_marks {
            assert!(!page.has(s), "P's {path} holds {s}");
        }
        for s in [format!("id=\"{q_ref}\""), format!("reference={q_ref}"), format!("account={q_ref}")] {
            assert!(!page.has(&s), "P's {path} holds {s}");
        }
        assert!(!page.has("ZH-LINE-1"), "furnishers' account keys are never shown");
        let page = q.get(path).await;
        for s in p_marks {
            assert!(!page.has(s), "Q's {path} holds {s}");
        }
    }
    let report = p.get("/me/report").await;
    for s in [P_NAME, "Alpha Bank", "Cautious Lender", "110***********002X"] {
        assert!(report.has(s), "P's report shows {s}");
    }
    // P cannot reach Q's items by their references.
    let csrf = p.csrf().await;
    let q_consents = q.get("/me/authorizations").await;
    let at = q_consents.text.find(r#"name="consent" value=""#).unwrap() + 22;
    let q_consent = q_consents.text[at..].split('"').next().unwrap().to_owned();
    html_error(
        &p.post("/me/authorizations/revoke", &[("csrf", &csrf), ("consent", &q_consent)]).await,
        404,
        "UNKNOWN_ITEM",
    );
    let dispute = [("csrf", csrf.as_str()), ("item", "account"), ("reference", &q_ref), ("dispute_type", "not_mine")];
    html_error(&p.post("/me/disputes", &dispute).await, 404, "UNKNOWN_ITEM");
    let statement = [("csrf", csrf.as_str()), ("account", &q_ref), ("statement_type", "other"), ("text", "not mine")];
    html_error(&p.post("/me/statements", &statement).await, 404, "UNKNOWN_ITEM");
    assert!(!q.get("/me/authorizations").await.has("revoked on"), "Q's consents stand");
    assert!(q.get("/me/disputes").await.has("<p>无"), "no dispute on Q's file");
}

#[tokio::test]
async fn revoking_an_authorization_refuses_the_lender_and_shows() {
    let (app, world) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let page = p.get("/me/authorizations").await;
    assert!(page.has("Cautious Lender") && page.has("Alpha Bank"));
    assert!(page.has("贷款审批") && page.has("may obtain my report") && page.has("may report my accounts"));
    // The inquiry consent: the row of Cautious Lender.
    let row = page.text.split("<tr>").find(|r| r.contains("Cautious Lender")).unwrap();
    let at = row.find(r#"name="consent" value=""#).unwrap() + 22;
    let consent = row[at..].split('"').next().unwrap().to_owned();

    let lender = |who: String| {
        let app = app.clone();
        async move {
            let body = serde_json::json!({"document_type": "prc_resident_id", "document_number": P_ID,
                "purpose": "02", "authorization_sha256": EVIDENCE});
            let req = Request::builder()
                .method("POST")
                .uri("/v1/reports")
                .header(header::AUTHORIZATION, format!("Bearer {who}"))
                .body(Body::from(body.to_string()))
                .unwrap();
            app.oneshot(req).await.unwrap().status()
        }
    };
    assert_eq!(lender(world.key_lc.clone()).await, StatusCode::OK);

    let done = p.post("/me/authorizations/revoke", &[("csrf", &p.csrf().await), ("consent", &consent)]).await;
    assert_eq!((done.status, done.location()), (StatusCode::SEE_OTHER, Some("/me/authorizations?done=revoked")));
    let page = p.get("/me/authorizations?done=revoked").await;
    assert!(page.has("Authorization revoked, from today"));
    let row = page.text.split("<tr>").find(|r| r.contains("Cautious Lender")).unwrap();
    assert!(row.contains("revoked on 2024-06-05") && !row.contains("<button"), "{row}");
    assert_eq!(lender(world.key_lc.clone()).await, StatusCode::FORBIDDEN, "no report without the consent");
    let again = p.post("/me/authorizations/revoke", &[("csrf", &p.csrf().await), ("consent", &consent)]).await;
    html_error(&again, 409, "ALREADY_REVOKED");
    // The lender's look before the revocation stays in the person's log and report.
    assert!(p.get("/me/inquiries").await.has("Cautious Lender"));
    assert!(p.get("/me/report").await.has("Cautious Lender"));
}

#[tokio::test]
async fn self_views_are_counted_two_free_a_year_then_marked() {
    let (app, world) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    assert!(p.get("/me").await.has("2 free view(s) left"));
    // Reading the log and the other pages is not a self-view.
    for path in ["/me/inquiries", "/me/authorizations", "/me/disputes", "/me/statements", "/me"] {
        p.get(path).await;
    }
    let first = p.get("/me/report").await;
    assert!(first.has("self-view no. 1 of 2024: within the 2 free views a year"), "{}", first.text);
    // A refresh in the same sign-in session shows the same view and spends no other.
    let refreshed = p.get("/me/report").await;
    assert!(refreshed.has("self-view no. 1 of 2024: within the 2 free views a year"), "{}", refreshed.text);
    assert!(p.get("/me").await.has("1 free view(s) left"));
    // Each new sign-in is a new view.
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let second = p.get("/me/report").await;
    assert!(second.has("self-view no. 2 of 2024: within the 2 free views"));
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let third = p.get("/me/report").await;
    assert!(third.has("self-view no. 3 of 2024: beyond the 2 free views a year. It is allowed, and marked"));
    assert!(third.has(r#"class="notice" id="self-view""#));
    assert!(p.get("/me").await.has("0 free view(s) left"));

    let log = p.get("/me/inquiries").await;
    let rows: Vec<&str> = log.text.split("<tr class=").skip(1).collect();
    assert_eq!(rows.len(), 4, "three self-views and the lender's look");
    assert!(
        rows[0].contains("本人 / yourself")
            && rows[0].contains("no. 3 this year")
            && rows[0].contains("beyond the free views")
    );
    assert!(rows[1].contains("no. 2 this year") && rows[1].contains("free"));
    assert!(rows[2].contains("no. 1 this year"));
    assert!(rows[3].contains("Cautious Lender") && rows[3].contains("2024-06-03 10:15 UTC"));
    assert!(rows[3].contains("贷款审批") && rows[3].contains("loan approval") && rows[3].contains("hard"));
    assert!(rows[3].contains("/me/disputes?item=inquiry&amp;reference=Q"), "the lender's look can be disputed");
    // A new year starts a new count; the same session on a new day is a new view.
    world.clock.set(datetime!(2024-12-31 23:00 UTC));
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let late = p.get("/me/report").await;
    assert!(late.has("self-view no. 4 of 2024"), "{}", late.text);
    world.clock.set(datetime!(2025-01-01 01:00 UTC));
    assert!(p.get("/me/report").await.has("self-view no. 1 of 2025: within the 2 free views"));
    assert!(p.get("/me/report").await.has("self-view no. 1 of 2025"), "then refreshes spend none");
}

#[tokio::test]
async fn the_first_page_explains_the_file_in_plain_words_and_the_api_gives_it_as_json() {
    let (app, _) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let home = p.get("/me").await;
    for s in [
        "您的档案里记录了什么",
        "What your file holds, in plain words",
        "Alpha Bank",
        "merchant",
        "religion",
        "never what you bought",
    ] {
        assert!(home.has(s), "the first page says {s:?}");
    }
    let json = call(&app, "GET", "/v1/me/explain", Some(&p.cookie), None, None).await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.text);
    let e: serde_json::Value = serde_json::from_str(&json.text).unwrap();
    assert!(e["reporters"].as_array().unwrap().iter().any(|r| r["institution"] == "Alpha Bank"), "{e}");
    assert_eq!(e["never_sent_purchase"].as_array().unwrap().len(), ob_model::minimization::PURCHASE_FIELDS.len());
    // Without the cookie (a key opens nothing here): the JSON envelope, 401.
    let anonymous = call(&app, "GET", "/v1/me/explain", None, None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.text.starts_with(r#"{"error":{"code":"UNAUTHENTICATED""#), "{}", anonymous.text);
    // Reading it spent no self-view.
    assert!(p.get("/me").await.has("2 free view(s) left"));
}

#[tokio::test]
async fn the_report_as_a_pdf_is_the_same_view_printed_by_chromium() {
    let (app, _) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let page = p.get("/me/report").await;
    assert!(page.has(r#"href="/me/report.pdf""#));
    let pdf = p.get("/me/report.pdf").await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text);
    assert_eq!(pdf.headers.get(header::CONTENT_TYPE).unwrap(), "application/pdf");
    assert!(pdf.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().starts_with("attachment"));
    assert!(p.get("/me").await.has("1 free view(s) left"), "the PDF is the page's view, not another");
    assert!(call(&app, "GET", "/me/report.pdf", None, None, None).await.status.is_redirection(), "sign in first");
}

#[tokio::test]
async fn disputes_and_statements_through_the_forms() {
    let (app, _) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let account = account_ref_of(&p).await;
    let csrf = p.csrf().await;
    let prefilled = p.get(&format!("/me/disputes?item=account&reference={account}&month=2023-08")).await;
    assert!(prefilled.has(&format!(r#"name="reference" type="text" value="{account}""#)));
    assert!(prefilled.has(r#"name="month" type="text" value="2023-08""#));
    let hostile = p.get("/me/disputes?item=account&reference=%22%3E%3Cscript%3E&month=%3Cb%3E").await;
    assert!(!hostile.has("<script>") && !hostile.has("<b>"), "prefills are checked, not echoed");

    let filed = p
        .post(
            "/me/disputes",
            &[
                ("csrf", &csrf),
                ("item", "account"),
                ("reference", &account),
                ("month", "2023-08"),
                ("dispute_type", "deny_overdue"),
            ],
        )
        .await;
    assert_eq!(filed.location(), Some("/me/disputes?done=filed"));
    let page = p.get("/me/disputes?done=filed").await;
    assert!(page.has("Dispute filed") && page.has(&format!("{account} 2023-08")) && page.has("I was not overdue"));
    assert!(page.has("open (marked on reports)") && page.has("2024-06-25"), "answer due in 20 days");
    let report = p.get("/me/report").await;
    assert!(report.has("异议标注 <span lang=\"en\">Disputed</span> #1 2023-08"));
    // FCRA §611(d): the lender that looked before the dispute is told, at the person's request.
    let told = p.post("/me/disputes/tell", &[("csrf", &csrf), ("dispute", "1")]).await;
    assert_eq!(told.location(), Some("/me/disputes?done=told"));
    let page = p.get("/me/disputes?done=told").await;
    assert!(page.has("Those who had the item") && page.has("Cautious Lender（Q"), "{}", page.text);
    let again = p.post("/me/disputes/tell", &[("csrf", &csrf), ("dispute", "1")]).await;
    assert_eq!(again.location(), Some("/me/disputes?done=none-to-tell"), "told once");
    assert!(p.get("/me/disputes?done=none-to-tell").await.has("all were told already"));
    html_error(&p.post("/me/disputes/tell", &[("csrf", &csrf), ("dispute", "x")]).await, 400, "BAD_REQUEST");
    html_error(&p.post("/me/disputes/tell", &[("csrf", &csrf), ("dispute", "99")]).await, 404, "UNKNOWN_DISPUTE");

    let bad = p
        .post("/me/disputes", &[("csrf", &csrf), ("item", "account"), ("reference", ""), ("dispute_type", "not_mine")])
        .await;
    html_error(&bad, 400, "BAD_REQUEST");
    let bad = p.post("/me/disputes", &[("csrf", &csrf), ("item", "identity"), ("dispute_type", "nope")]).await;
    html_error(&bad, 400, "BAD_REQUEST");

    let text = "第三方代扣延迟 the payroll deduction was late";
    let statement = [
        ("csrf", csrf.as_str()),
        ("account", &account),
        ("month", "2023-09"),
        ("statement_type", "third_party_late"),
        ("text", text),
    ];
    assert_eq!(p.post("/me/statements", &statement).await.location(), Some("/me/statements?done=added"));
    let page = p.get("/me/statements").await;
    assert!(page.has(text) && page.has("a third party paid late"));
    assert!(p.get("/me/report").await.has(text), "the statement shows beside the item");
    // Only beside negative information.
    let normal = [
        ("csrf", csrf.as_str()),
        ("account", &account),
        ("month", "2024-01"),
        ("statement_type", "other"),
        ("text", "x"),
    ];
    html_error(&p.post("/me/statements", &normal).await, 403, "NOT_NEGATIVE");
    let page = p.get("/me/statements").await;
    let at = page.text.find(r#"name="id" value=""#).unwrap() + 17;
    let id = page.text[at..].split('"').next().unwrap().to_owned();
    let w = p.post("/me/statements/withdraw", &[("csrf", &csrf), ("id", &id)]).await;
    assert_eq!(w.location(), Some("/me/statements?done=withdrawn"));
    assert!(p.get("/me/statements").await.has("withdrawn on 2024-06-05"));
    assert!(!p.get("/me/report").await.has(text));
    html_error(&p.post("/me/statements/withdraw", &[("csrf", &csrf), ("id", "x")]).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn the_report_page_draws_the_grids_with_codes_and_a_legend() {
    let (app, _) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let report = p.get("/me/report").await;
    let grid = report.text.split(r#"<table class="grid status-24">"#).nth(1).unwrap().split("</table>").next().unwrap();
    let cells: Vec<&str> = grid.split("<td class=\"").skip(1).collect();
    assert_eq!(cells.len(), 24);
    let codes: String = cells.iter().map(|c| c.split('>').nth(1).unwrap().split('<').next().unwrap()).collect();
    assert_eq!(codes, "NNNNNNNNNNNNNN12NNNNNNNN", "2022-06 … 2024-05, late in 2023-08 and 2023-09");
    assert!(cells[14].starts_with("s-1") && cells[15].starts_with("s-2") && cells[0].starts_with("s-n"));
    assert!(cells[14].contains("2023-08 1 逾期1-30天 1–30 days overdue, 逾期 overdue CNY 50.00"));
    for (code, meaning) in
        [("N", "paid as agreed"), ("7", "over 180 days overdue"), ("C", "settled"), ("/", "not yet open")]
    {
        assert!(report.has(&format!(">{code}</span>")) && report.has(meaning), "legend: {code}");
    }
    let history =
        report.text.split(r#"<table class="grid history-60">"#).nth(1).unwrap().split("</table>").next().unwrap();
    assert_eq!(history.matches("<th class=\"row\">").count(), 1 + 6, "a header and 2019-06 … 2024-05");
}

/// The page's `<main>`, which holds no session token.
fn main_of(page: &Page) -> &str {
    let from = page.text.find("<main>").unwrap();
    let to = page.text.find("</main>").unwrap() + 7;
    &page.text[from..to]
}

#[tokio::test]
async fn snapshots_of_the_report_and_the_query_log() {
    let (app, _) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    insta::assert_snapshot!("report_page", main_of(&p.get("/me/report").await));
    insta::assert_snapshot!("query_log_page", main_of(&p.get("/me/inquiries").await));
}

/// A sign-in form posted from another site is refused before anything happens (login CSRF).
#[tokio::test]
async fn a_sign_in_from_another_site_is_refused() {
    let (app, _world) = app();
    let body = form(&[("document_type", "prc_resident_id"), ("document_number", P_ID), ("password", P_PASSWORD)]);
    for (name, value) in [("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")] {
        let req = Request::builder()
            .method("POST")
            .uri("/signin")
            .header(header::HOST, "bureau.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(name, value)
            .body(Body::from(body.clone()))
            .unwrap();
        let response = app.clone().oneshot(req).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(response.headers().get(header::SET_COOKIE).is_none(), "{name}: {value}");
    }
    // The same site, as a browser says it, signs in.
    let req = Request::builder()
        .method("POST")
        .uri("/signin")
        .header(header::HOST, "bureau.example")
        .header("origin", "https://bureau.example")
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(app.clone().oneshot(req).await.unwrap().status(), StatusCode::SEE_OTHER);
}

/// The reference after `marker` on a page, up to the next quote or ampersand.
fn reference_after(page: &Page, marker: &str) -> String {
    let at = page.text.find(marker).unwrap_or_else(|| panic!("{marker} on the page")) + marker.len();
    page.text[at..].split(['"', '&', '<']).next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_special_transaction_and_a_credit_agreement_are_disputed_from_the_report() {
    let (app, _) = app();
    let p = Person::sign_in(&app, P_ID, P_PASSWORD).await;
    let csrf = p.csrf().await;
    let report = p.get("/me/report").await;
    let special = reference_after(&report, "/me/disputes?item=special&amp;reference=");
    let agreement = reference_after(&report, "/me/disputes?item=agreement&amp;reference=");
    assert!(special.starts_with('A') && special.contains(".S"), "{special}");
    assert!(agreement.starts_with('G') && agreement.len() == 13, "{agreement}");
    assert!(!report.has("ZH-LINE-1\""), "no contract number in a reference");
    for (item, reference) in [("special", &special), ("agreement", &agreement)] {
        let prefilled = p.get(&format!("/me/disputes?item={item}&reference={reference}")).await;
        assert!(prefilled.has(&format!(r#"<option value="{item}" selected>"#)), "{item}");
        assert!(prefilled.has(&format!(r#"name="reference" type="text" value="{reference}""#)), "{item}");
    }

    for (item, reference) in [("special", &special), ("agreement", &agreement)] {
        let form = [("csrf", csrf.as_str()), ("item", item), ("reference", reference), ("dispute_type", "not_mine")];
        assert_eq!(p.post("/me/disputes", &form).await.location(), Some("/me/disputes?done=filed"), "{item}");
        let bad = [("csrf", csrf.as_str()), ("item", item), ("reference", "A1"), ("dispute_type", "not_mine")];
        html_error(&p.post("/me/disputes", &bad).await, 400, "BAD_REQUEST");
    }
    let list = p.get("/me/disputes").await;
    assert!(list.has(&format!("#1 {special}")) && list.has(&format!("#2 {agreement}")));
    let report = p.get("/me/report").await;
    assert!(report.has("<br>异议标注 <span lang=\"en\">Disputed</span> #1: "), "the special is marked");
    assert!(report.has("<br>异议标注 <span lang=\"en\">Disputed</span> #2: "), "the agreement is marked");
}
