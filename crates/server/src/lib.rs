//! OpenBureau's HTTP API: the only crate that knows HTTP.
//!
//! Organizations and operators authenticate with API keys kept in the store
//! (`Authorization: Bearer KEY`, see [`auth`]), rate-limited per key. Furnishers upload batches in
//! any supported format and read back their status and feedback ([`batches`]); lenders request
//! reports with a purpose and the person's consent ([`reports`]); operators manage
//! organizations and keys ([`admin`]). Every error is one envelope (`{"error": {"code",
//! "message"}}`, see [`error`]); every response carries an `x-request-id`. `GET /health`,
//! `GET /metrics` (Prometheus text) and `GET /v1/openapi.json` need no key.
//!
//! The bureau is synchronous (SQLite): its work runs on a thread of its own, one request after
//! the other in arrival order.
//! Logs hold the request id, method, route template, status and duration: never a document
//! number, a name or a key.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod auth;
pub mod batches;
pub mod disputes;
pub mod error;
pub mod me;
pub mod metrics;
pub mod openapi;
pub mod pdf;
pub mod reports;
mod timed_body;
pub mod web;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use error::ApiError;
use metrics::Metrics;
use ob_bureau::Bureau;
use ob_model::limits;
use ob_store::Store;
use std::io::Write;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak, mpsc};
use std::time::Instant;

/// Header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// The bureau the server works with, over whichever store.
pub type ServerBureau = Bureau<Box<dyn Store>>;

/// What every handler shares: the bureau workers, the key guard and the counters.
#[derive(Clone)]
pub struct AppState {
    /// One bureau per worker thread, each over its own connection to the store.
    bureaus: Arc<Vec<Arc<Mutex<ServerBureau>>>>,
    /// The queue the workers take jobs from.
    jobs: mpsc::Sender<Job>,
    keys: Arc<auth::KeyGuard>,
    metrics: Arc<Metrics>,
    spool: PathBuf,
    /// Uploads being spooled or ingested at once.
    uploads: Arc<tokio::sync::Semaphore>,
    log: bool,
    web: Arc<web::Web>,
}

impl AppState {
    /// State over a bureau, logging one line per request to stderr. Uploaded batches wait in
    /// the system's temporary folder while they are ingested (see [`AppState::with_spool`]).
    ///
    /// Starts the bureau's thread, which ends when the last clone of the state is dropped.
    ///
    /// # Panics
    ///
    /// When the operating system cannot start a thread.
    pub fn new<S: Store + 'static>(bureau: Bureau<S>) -> AppState {
        AppState::with_workers(vec![bureau.boxed()])
    }

    /// State over several bureaus, one worker thread each, taking requests from one queue in
    /// arrival order. Each bureau must hold its own connection to the same store (a store that
    /// takes concurrent writers: PostgreSQL); they then serve reports side by side, and the store
    /// orders their writes (see `ob_store::postgres`).
    ///
    /// # Panics
    ///
    /// When `bureaus` is empty, or the operating system cannot start a thread.
    pub fn with_workers(bureaus: Vec<ServerBureau>) -> AppState {
        assert!(!bureaus.is_empty(), "a server needs at least one bureau worker");
        let bureaus: Vec<_> = bureaus.into_iter().map(|b| Arc::new(Mutex::new(b))).collect();
        let (jobs, queue) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        for (i, bureau) in bureaus.iter().enumerate() {
            let weak = Arc::downgrade(bureau);
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("bureau-{i}"))
                .spawn(move || bureau_thread(&weak, &queue))
                .expect("starting a bureau worker thread");
        }
        AppState {
            bureaus: Arc::new(bureaus),
            jobs,
            keys: Arc::default(),
            metrics: Arc::default(),
            spool: std::env::temp_dir(),
            uploads: Arc::new(tokio::sync::Semaphore::new(limits::HTTP_UPLOADS_MAX)),
            log: true,
            web: Arc::default(),
        }
    }

    /// Uploaded batches wait in `folder` while they are ingested (they hold identifiers: a
    /// folder only the server's user can read). Each file is removed when its batch is done.
    pub fn with_spool(mut self, folder: PathBuf) -> AppState {
        self.spool = folder;
        self
    }

    /// Sets the per-key rate: `per_s` requests a second sustained, bursts of `burst`.
    pub fn with_rate(mut self, per_s: u32, burst: u32) -> AppState {
        self.keys = Arc::new(auth::KeyGuard::new(per_s, burst));
        self
    }

    /// Turns the per-request log line on or off (tests turn it off).
    pub fn with_log(mut self, log: bool) -> AppState {
        self.log = log;
        self
    }

    /// The first worker's bureau, for setting up tests and demos.
    pub fn bureau(&self) -> &Arc<Mutex<ServerBureau>> {
        &self.bureaus[0]
    }

    /// How many bureau workers serve requests.
    pub fn workers(&self) -> usize {
        self.bureaus.len()
    }
}

/// The API's router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        // The upload streams its body to the spool file and bounds it itself.
        .route("/v1/batches", post(batches::upload).get(batches::list))
        .route("/v1/batches/{id}", get(batches::status))
        .route("/v1/batches/{id}/feedback", get(batches::feedback))
        .route("/v1/stale-accounts", get(batches::stale))
        .route("/v1/reports", post(reports::request))
        .route("/v1/disputes", get(disputes::queue))
        .route("/v1/disputes/{id}/answer", post(disputes::answer))
        .route("/v1/disputes/{id}/reinsert", post(disputes::reinsert))
        .route("/v1/correction-notices", get(disputes::notices))
        .route("/v1/admin/orgs", get(admin::list_orgs).post(admin::add_org))
        .route("/v1/admin/orgs/{code}/keys", post(admin::issue_key))
        .route("/v1/admin/keys/revoke", post(admin::revoke_key))
        .route("/v1/me/explain", get(me::explain))
        .route("/v1/openapi.json", get(openapi::document))
        .merge(web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits::HTTP_BODY_BYTES_MAX))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// Serves on `listen` until Ctrl-C or SIGTERM, then finishes the requests in flight. Builds its own runtime.
pub fn serve_blocking(listen: SocketAddr, state: AppState) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?.to_string();
        log_line(&serde_json::json!({"event": "listening", "addr": addr, "workers": state.workers()}));
        serve_connections(listener, router(state), shutdown_signal()).await;
        log_line(&serde_json::json!({"event": "stopped"}));
        Ok(())
    })
}

/// Serves `app` on `listener` until `shutdown`, then lets the requests in flight finish. Each
/// connection gets the peer's address (sign-in failures are counted per address) and
/// [`limits::HTTP_HEADER_READ_S`] to send each request's headers, after which it is closed (a
/// slow client cannot hold connections open by trickling its headers: axum's own `serve` sets
/// no such limit).
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(std::time::Duration::from_secs(limits::HTTP_HEADER_READ_S));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, or a connection reset before it was taken: wait a
                // moment rather than spin.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = tower::service_fn(move |req: axum::http::Request<hyper::body::Incoming>| {
            answer_timed(app.clone(), peer, req)
        });
        let service = hyper_util::service::TowerToHyperService::new(service);
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Answers one request of a connection from `peer`, its body under read deadlines
/// ([`timed_body`]): a body that arrived too slowly gets 408 `BODY_TIMEOUT` and the connection
/// closes, whatever the handler made of the cut-off body.
async fn answer_timed(
    app: Router,
    peer: SocketAddr,
    req: axum::http::Request<hyper::body::Incoming>,
) -> Result<Response, std::convert::Infallible> {
    use tower::ServiceExt as _;
    let timed_out = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&timed_out);
    let mut req =
        req.map(move |body| axum::body::Body::new(timed_body::TimedBody::new(axum::body::Body::new(body), flag)));
    req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    let response = app.oneshot(req).await?;
    if !timed_out.load(Ordering::Relaxed) {
        return Ok(response);
    }
    let mut response =
        ApiError::new(StatusCode::REQUEST_TIMEOUT, "BODY_TIMEOUT", "the request body arrived too slowly")
            .into_response();
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    Ok(response)
}

/// Ctrl-C or SIGTERM (what service managers send): stop taking connections, finish the requests
/// in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// An API error that axum answered itself (a query string or body it could not take: plain text)
/// becomes the one envelope, its text replaced by a sentence that quotes nothing sent.
fn envelope_of(response: Response) -> Response {
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("TOO_LARGE", "the body is larger than this endpoint takes"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("BAD_REQUEST", "this content type is not taken here"),
        s if s.is_server_error() => ("INTERNAL", "internal error; quote the request id"),
        _ => ("BAD_REQUEST", "the request could not be read (query string, path or body)"),
    };
    ApiError::new(status, code, message).into_response()
}

/// Request ids, counters and the log line, around every request.
async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let sent = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned);
    let generated = sent.is_none();
    let id = sent.unwrap_or_else(new_request_id);
    // The route template, never the raw path (it could hold an identifier).
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().clone();
    let api = req.uri().path().starts_with("/v1/");
    let mut response = next.run(req).await;
    if api {
        response = envelope_of(response);
    }
    let status = response.status().as_u16();
    state.metrics.request(&route, status);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    if state.log {
        // A caller's id is logged only in the shape of a random id: any other text could carry
        // what must never be logged (a caller that numbers requests by applicant ID number).
        let logged = if generated || loggable_request_id(&id) {
            id
        } else {
            format!("{} (the caller's id, not logged)", new_request_id())
        };
        let line = serde_json::json!({"request_id": logged, "method": method.as_str(), "route": route,
            "status": status, "ms": started.elapsed().as_micros() as f64 / 1000.0});
        log_line(&line);
    }
    response
}

/// Whether a caller's request id may go into the log as it is: in the shape of ours (32 hex
/// digits) or a UUID (8-4-4-4-12 hex digits), random ids that carry nothing about anyone.
fn loggable_request_id(id: &str) -> bool {
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let groups: Vec<&str> = id.split('-').collect();
    let uuid = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]) && groups.iter().all(|g| hex(g));
    (id.len() == 32 && hex(id)) || uuid
}

/// Writes one JSON line to stderr with one system call. Stderr is unbuffered: formatting a value
/// straight into it (`eprintln!("{value}")`) costs a `write` per token: 17% of the server's
/// profile under load (docs/benchmarks.md). A failed write is not worth failing a request for.
pub(crate) fn log_line(value: &serde_json::Value) {
    let Ok(mut line) = serde_json::to_vec(value) else { return };
    line.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&line);
}

fn new_request_id() -> String {
    static FALLBACK: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    match getrandom::fill(&mut bytes) {
        Ok(()) => hex::encode(bytes),
        Err(_) => format!("local-{}", FALLBACK.fetch_add(1, Ordering::Relaxed)),
    }
}

/// Work for the bureau's thread; it sends its own answer.
type Job = Box<dyn FnOnce(&mut ServerBureau) + Send>;

/// A bureau worker's thread: runs jobs in arrival order, each holding its bureau's lock. With
/// several workers, each takes the next job from the shared queue when it is free.
///
/// One thread fed by a queue, rather than `spawn_blocking` and the mutex: under load every
/// request in flight parked a blocking thread on the mutex, waking and switching between them
/// took a sixth of the server's profile, and the mutex, being unfair, let a request wait behind
/// many later ones (docs/benchmarks.md). Here, while requests queue, the thread never sleeps.
/// It holds the bureau weakly, so that the bureau is dropped (and its store closed) with the
/// last clone of the state, where that happens.
fn bureau_thread(bureau: &Weak<Mutex<ServerBureau>>, queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // The queue's lock is held only to take one job; a poisoned lock still holds the queue.
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else { return };
        // Gone: the job is dropped unanswered, which its request reports as an internal error.
        let Some(bureau) = bureau.upgrade() else { continue };
        let mut guard = bureau.lock().unwrap_or_else(PoisonError::into_inner);
        // A key rotation (`openbureau key rotate`) rewrites the key file: take its keys first.
        match guard.refresh_keys() {
            Ok(false) => {}
            Ok(true) => log_line(&serde_json::json!({"event": "keys_reloaded", "version": guard.keys().version()})),
            Err(e) => log_line(&serde_json::json!({"event": "keys_not_reloaded", "error": e.to_string()})),
        }
        // A panic mid-request dropped its transaction uncommitted: the store is consistent, the
        // request gets an internal error (its answer was dropped), and the next job goes on.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut guard)));
    }
}

/// Runs bureau work on the bureau's thread and waits, without blocking, for its result.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&mut ServerBureau) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |bureau| {
        // The client may have gone: the work is done all the same (an inquiry stays logged).
        let _ = reply.send(work(bureau));
    });
    state.jobs.send(job).map_err(|_| ApiError::internal())?;
    answer.await.map_err(|_| ApiError::internal())?
}

async fn health() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("NOT_FOUND", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "this endpoint does not take this method")
}
