//! Issue 17, point 4: an attacker's requests against the real router, each answered with a clear
//! refusal and nothing leaked. The rest of the list is tested where the feature lives (see the
//! table in docs/server.md): another lender's batch by id (api.rs), CSRF and another person's
//! page (web.rs), locking a person out (web.rs), slowloris (slow_clients.rs).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use ob_model::limits;
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    text: String,
    location: Option<String>,
}

async fn send(world: &World, method: &str, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let mut req = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let app = ob_server::router(world.state.clone());
    let response = app.oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status();
    let location = response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Answer { status, text: String::from_utf8_lossy(&bytes).into_owned(), location }
}

fn code(a: &Answer) -> String {
    let v: serde_json::Value = serde_json::from_str(&a.text).unwrap_or_else(|_| panic!("not the envelope: {}", a.text));
    v["error"]["code"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_json_bomb_is_refused_as_bad_json_not_a_crash() {
    let world = world(ob_store::testing::scratch_from_env());
    let bearer = format!("Bearer {}", world.key_lc);
    // 20,000 nested arrays (within the size limit): serde_json stops at its depth limit.
    let bomb = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    assert!(bomb.len() < limits::HTTP_BODY_BYTES_MAX);
    let a = send(&world, "POST", "/v1/reports", &[("authorization", &bearer)], bomb.into_bytes()).await;
    assert_eq!((a.status, code(&a).as_str()), (StatusCode::BAD_REQUEST, "BAD_REQUEST"), "{}", a.text);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_it_is_read() {
    let world = world(ob_store::testing::scratch_from_env());
    let bearer = format!("Bearer {}", world.key_lc);
    let big = vec![b' '; 10 * 1024 * 1024];
    assert!(big.len() > limits::HTTP_BODY_BYTES_MAX);
    let a = send(&world, "POST", "/v1/reports", &[("authorization", &bearer)], big).await;
    assert_eq!((a.status, code(&a).as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "TOO_LARGE"), "{}", a.text);
}

#[tokio::test]
async fn a_key_in_the_address_opens_nothing() {
    let world = world(ob_store::testing::scratch_from_env());
    for path in [
        format!("/v1/batches?key={}", world.key_a),
        format!("/v1/batches?api_key={}", world.key_a),
        format!("/v1/batches?authorization=Bearer%20{}", world.key_a),
    ] {
        let a = send(&world, "GET", &path, &[], Vec::new()).await;
        assert_eq!((a.status, code(&a).as_str()), (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"), "{path}");
    }
}

#[tokio::test]
async fn a_forged_or_replayed_session_cookie_opens_nothing() {
    let world = world(ob_store::testing::scratch_from_env());
    let forged = format!("ob_session={}", "ab".repeat(32));
    for cookie in [forged.as_str(), "ob_session=zz", "ob_session=", "ob_session=../../etc/passwd"] {
        let page = send(&world, "GET", "/me/report", &[("cookie", cookie)], Vec::new()).await;
        assert!(page.status.is_redirection() && page.location.as_deref() == Some("/"), "{cookie}: {}", page.status);
        let api = send(&world, "GET", "/v1/me/explain", &[("cookie", cookie)], Vec::new()).await;
        assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{cookie}");
        assert!(!api.text.contains(P_NAME) && !page.text.contains(P_NAME));
    }
    // Signed in, signed out: the same cookie sent again opens nothing.
    let content = ("content-type", "application/x-www-form-urlencoded");
    let app = ob_server::router(world.state.clone());
    let response = app
        .oneshot(
            Request::post("/signin")
                .header(content.0, content.1)
                .body(Body::from(format!("document_type=prc_resident_id&document_number={P_ID}&password={P_PASSWORD}")))
                .unwrap(),
        )
        .await
        .unwrap();
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let api = send(&world, "GET", "/v1/me/explain", &[("cookie", &cookie)], Vec::new()).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text);
    let me = send(&world, "GET", "/me", &[("cookie", &cookie)], Vec::new()).await;
    let csrf = me.text.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let out =
        send(&world, "POST", "/signout", &[("cookie", &cookie), content], format!("csrf={csrf}").into_bytes()).await;
    assert!(out.status.is_redirection(), "{}", out.status);
    let replayed = send(&world, "GET", "/v1/me/explain", &[("cookie", &cookie)], Vec::new()).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "a cookie replayed after sign-out");
}

#[tokio::test]
async fn odd_paths_find_nothing_and_echo_nothing() {
    let world = world(ob_store::testing::scratch_from_env());
    let bearer = format!("Bearer {}", world.key_a);
    for path in
        ["/v1/batches/..%2F..%2Fetc%2Fpasswd", "/v1/batches/%00", "/v1/batches/1%27%20OR%201=1", "/../../etc/passwd"]
    {
        let a = send(&world, "GET", path, &[("authorization", &bearer)], Vec::new()).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.text);
        assert!(!a.text.contains("root:") && !a.text.contains("passwd"), "{path}: {}", a.text);
    }
}
