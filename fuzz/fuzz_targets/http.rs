//! Any bytes as the body of every request that carries one (and as a path), sent to the real
//! router over a bureau with files, keys and a signed-in person (the server tests' world): no
//! answer is a 5xx but 503 (unavailable for now, retryable), and every JSON answer that is not a
//! success is the one error envelope.
//!
//! The first byte picks the request; the rest is the body. Forms of a signed-in person get the
//! session's cookie and a valid CSRF token first, so the fuzzer reaches the handlers behind them.
#![no_main]

#[allow(dead_code, unused_imports)]
#[path = "../../crates/server/tests/common/mod.rs"]
mod common;

use axum::body::Body;
use axum::http::{Request, header};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tower::ServiceExt;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    world: common::World,
    cookie: String,
    csrf: String,
}

/// (method, path, who: `k` a key, `p` the person's session, `-` no one, content type).
const REQUESTS: &[(&str, &str, char, &str)] = &[
    ("POST", "/v1/reports", 'L', "application/json"),
    ("POST", "/v1/admin/orgs", 'A', "application/json"),
    ("POST", "/v1/admin/orgs/FURNA/keys", 'A', "application/json"),
    ("POST", "/v1/admin/keys/revoke", 'A', "application/json"),
    ("POST", "/v1/disputes/1/answer", 'F', "application/json"),
    ("POST", "/v1/disputes/1/reinsert", 'F', "application/json"),
    ("POST", "/v1/batches", 'F', "application/octet-stream"),
    ("POST", "/signin", '-', "application/x-www-form-urlencoded"),
    ("POST", "/me/disputes", 'p', "application/x-www-form-urlencoded"),
    ("POST", "/me/statements", 'p', "application/x-www-form-urlencoded"),
    ("POST", "/me/statements/withdraw", 'p', "application/x-www-form-urlencoded"),
    ("POST", "/me/authorizations/revoke", 'p', "application/x-www-form-urlencoded"),
];

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let world = common::world(ob_store::testing::scratch(ob_store::testing::Backend::Sqlite));
        let (cookie, csrf) = runtime.block_on(sign_in(&world));
        Fixture { runtime, world, cookie, csrf }
    })
}

async fn sign_in(world: &common::World) -> (String, String) {
    let app = ob_server::router(world.state.clone());
    let body =
        format!("document_type=prc_resident_id&document_number={}&password={}", common::P_ID, common::P_PASSWORD);
    let req = Request::post("/signin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("a request");
    let answer = app.clone().oneshot(req).await.expect("an answer");
    let cookie = answer.headers()[header::SET_COOKIE].to_str().expect("ASCII").split(';').next().expect("a cookie");
    let cookie = cookie.to_owned();
    let req = Request::get("/me").header(header::COOKIE, &cookie).body(Body::empty()).expect("a request");
    let page = app.oneshot(req).await.expect("an answer");
    let page = axum::body::to_bytes(page.into_body(), usize::MAX).await.expect("a page");
    let page = String::from_utf8_lossy(&page);
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("a CSRF token");
    (cookie, csrf.to_owned())
}

fn request(f: &Fixture, pick: u8, body: &[u8]) -> Option<Request<Body>> {
    let keys = &f.world;
    let Some(&(method, path, who, content_type)) = REQUESTS.get(usize::from(pick)) else {
        // Any other first byte: the body as a path, with the person's cookie.
        let path = format!("/{}", std::str::from_utf8(body).ok()?);
        return Request::get(path.as_str()).header(header::COOKIE, &f.cookie).body(Body::empty()).ok();
    };
    let mut req = Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, content_type);
    let key = match who {
        'L' => Some(&keys.key_lc),
        'A' => Some(&keys.admin_key),
        'F' => Some(&keys.key_a),
        _ => None,
    };
    if let Some(key) = key {
        req = req.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let mut bytes = Vec::new();
    if who == 'p' {
        req = req.header(header::COOKIE, &f.cookie);
        bytes.extend_from_slice(format!("csrf={}&", f.csrf).as_bytes());
    }
    bytes.extend_from_slice(body);
    req.body(Body::from(bytes)).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let f = fixture();
    let Some(req) = request(f, pick % 32, body) else { return };
    let app = ob_server::router(f.world.state.clone());
    f.runtime.block_on(async move {
        let answer = app.oneshot(req).await.expect("the router always answers");
        let status = answer.status();
        let json =
            answer.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX).await.expect("a whole body");
        // 503 is an honest answer when a resource is missing for a moment or on this machine
        // (the store, an upload slot, Chromium for the PDF): retryable, and it says so. Any other
        // 5xx is a fault.
        let unavailable = status == axum::http::StatusCode::SERVICE_UNAVAILABLE;
        assert!(!status.is_server_error() || unavailable, "{status}: {}", String::from_utf8_lossy(&bytes));
        if json && !status.is_success() {
            let v: serde_json::Value = serde_json::from_slice(&bytes).expect("an error answer is JSON");
            assert!(v["error"]["code"].is_string(), "not the envelope: {v}");
        }
    });
});
