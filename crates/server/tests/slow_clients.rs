//! A client that trickles its request headers (slowloris) does not hold a connection open: the
//! server closes it after `limits::HTTP_HEADER_READ_S`; a client that sends its request answers
//! normally, and handlers learn the peer's address.

mod common;

use common::*;
use ob_model::limits;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_sent_too_slowly_close_the_connection() {
    let world = world(ob_store::testing::scratch_from_env());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = ob_server::router(world.state.clone());
    tokio::spawn(ob_server::serve_connections(listener, app, std::future::pending()));

    // A request sent whole is answered.
    let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    ok.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Headers begun and never finished: closed once the limit has passed, with no answer.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let limit = Duration::from_secs(limits::HTTP_HEADER_READ_S + 5);
    let read = tokio::time::timeout(limit, slow.read_to_end(&mut rest)).await;
    let waited = started.elapsed();
    assert!(read.is_ok(), "the connection was still open after {waited:?}");
    assert!(waited >= Duration::from_secs(limits::HTTP_HEADER_READ_S) - Duration::from_millis(500), "{waited:?}");
    assert!(!String::from_utf8_lossy(&rest).contains("200"), "no answer to half a request");
}

async fn server() -> (World, std::net::SocketAddr) {
    let world = world(ob_store::testing::scratch_from_env());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = ob_server::router(world.state.clone());
    tokio::spawn(ob_server::serve_connections(listener, app, std::future::pending()));
    (world, addr)
}

/// Sends `head`, then `trickle` a byte every `every` until the server answers or closes; returns
/// what came back and when.
async fn trickle(addr: std::net::SocketAddr, head: String, every: Duration) -> (String, Duration) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (mut read, mut write) = s.into_split();
    let writer = tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if write.write_all(b" ").await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let limit = Duration::from_secs(limits::HTTP_BODY_GRACE_S + limits::HTTP_BODY_IDLE_S + 10);
    let _ = tokio::time::timeout(limit, read.read_to_end(&mut answer)).await;
    writer.abort();
    (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_sent_too_slowly_get_408_and_the_connection_closes() {
    let (world, addr) = server().await;
    let head = |length: usize| {
        format!(
            "POST /v1/reports HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\n\
             content-length: {length}\r\n\r\n",
            world.key_lc
        )
    };
    // A body that never comes (the idle deadline), and one a byte every 400 ms (the rate's).
    let (silent, trickled) = tokio::join!(
        trickle(addr, head(100), Duration::from_secs(3600)),
        trickle(addr, head(1_000), Duration::from_millis(400)),
    );
    for ((answer, waited), deadline_s) in [(silent, limits::HTTP_BODY_IDLE_S), (trickled, limits::HTTP_BODY_GRACE_S)] {
        assert!(answer.starts_with("HTTP/1.1 408"), "after {waited:?}: {answer}");
        assert!(
            answer.contains("BODY_TIMEOUT") && answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
        let deadline = Duration::from_secs(deadline_s);
        assert!(
            waited >= deadline - Duration::from_millis(500) && waited < deadline + Duration::from_secs(5),
            "{waited:?}"
        );
    }
    // A body sent at once is answered as usual.
    let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
    ok.write_all(
        format!("{}{}", head(2), "{}").replace("HTTP/1.1\r\n", "HTTP/1.1\r\nconnection: close\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = String::new();
    ok.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_bomb_is_refused_and_the_server_goes_on() {
    let (_world, addr) = server().await;
    for bomb in [
        // 10,000 headers, and one header of 1 MiB.
        (0..10_000).map(|i| format!("x-h{i}: {i}\r\n")).collect::<String>(),
        format!("x-big: {}\r\n", "a".repeat(1 << 20)),
    ] {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET /health HTTP/1.1\r\nhost: x\r\n{bomb}\r\n");
        // The server may close before it has read everything: a failed write is an answer too.
        let _ = s.write_all(request.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{answer}");
    }
    let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    ok.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
