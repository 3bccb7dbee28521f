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
