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

/// A body of zero bytes, `left` of them, in 1 MiB frames; counts what the server pulled.
struct Zeros {
    left: u64,
    pulled: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl hyper::body::Body for Zeros {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        const FRAME: u64 = 1 << 20;
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        let n = self.left.min(FRAME);
        self.left -= n;
        self.pulled.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(axum::body::Bytes::from(vec![0u8; n as usize])))))
    }
}

#[tokio::test]
async fn a_one_gigabyte_upload_is_cut_at_the_limit_and_leaves_nothing() {
    let spool = tempfile::tempdir().unwrap();
    let world = world(ob_store::testing::scratch_from_env());
    let state = world.state.clone().with_spool(spool.path().to_path_buf());
    let bearer = format!("Bearer {}", world.key_a);
    let before = send(&world, "GET", "/v1/batches", &[("authorization", &bearer)], Vec::new()).await;
    let pulled = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let body = Zeros { left: 1 << 30, pulled: pulled.clone() };
    let req = Request::post("/v1/batches").header(header::AUTHORIZATION, &bearer).body(Body::new(body)).unwrap();
    let response = ob_server::router(state).oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let a = Answer { status, text: String::from_utf8_lossy(&bytes).into_owned(), location: None };
    assert_eq!((a.status, code(&a).as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "TOO_LARGE"), "{}", a.text);
    let read = pulled.load(std::sync::atomic::Ordering::Relaxed);
    assert!(read <= (limits::HTTP_BATCH_BYTES_MAX as u64) + (1 << 20), "read {read} bytes of 1 GiB");
    assert_eq!(std::fs::read_dir(spool.path()).unwrap().count(), 0, "the spooled part is removed");
    let after = send(&world, "GET", "/v1/batches", &[("authorization", &bearer)], Vec::new()).await;
    assert_eq!(after.text, before.text, "no batch was recorded");
}

/// Unknown keys that share all but their last four digits with a real key take as long to refuse as
/// keys sharing nothing: the store is asked by the key's SHA-256, so no comparison ever runs over
/// the key's own digits. Medians of interleaved samples, each key new (not cached).
#[tokio::test]
async fn refusing_a_near_miss_key_takes_as_long_as_a_random_one() {
    let world = world(ob_store::testing::scratch_from_env());
    let app = ob_server::router(world.state.clone());
    // The last four digits XOR a nonzero i + 1 below 2^16: never the real key, each i distinct.
    let near = |i: usize| {
        let (head, tail) = world.key_lc.split_at(world.key_lc.len() - 4);
        let tail = u16::from_str_radix(tail, 16).unwrap();
        format!("{head}{:04x}", tail ^ (i as u16 + 1))
    };
    let random = |i: usize| format!("{:064x}", (i as u128 + 1) * 0x9e37_79b9_7f4a_7c15_u128);
    let (mut near_us, mut random_us) = (Vec::new(), Vec::new());
    for i in 0..400 {
        for (key, out) in [(near(i), &mut near_us), (random(i), &mut random_us)] {
            assert_ne!(key, world.key_lc);
            let req = Request::get("/v1/batches").header(header::AUTHORIZATION, format!("Bearer {key}"));
            let started = std::time::Instant::now();
            let response = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
            out.push(started.elapsed().as_micros() as f64);
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (n, r) = (median(&mut near_us), median(&mut random_us));
    assert!((n - r).abs() <= 0.25 * n.max(r) + 50.0, "near-miss keys {n} µs, random keys {r} µs (medians)");
}
