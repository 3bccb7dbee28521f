//! OpenBureau's HTTP API: the only crate that knows HTTP.
//!
//! Organizations authenticate with API keys (`Authorization: Bearer KEY`, see [`keys`]).
//! Furnishers upload canonical JSON-lines batches (`POST /v1/batches`); lenders request reports
//! with a purpose and the person's consent (`POST /v1/reports`). Every error is one envelope
//! (`{"error": {"code", "message"}}`, see [`error`]); every response carries an `x-request-id`.
//! `GET /health` and `GET /metrics` (Prometheus text) need no key.
//!
//! The bureau is synchronous (SQLite): its work runs in `spawn_blocking` behind one mutex.
//! Logs hold the request id, method, route template, status and duration: never a document
//! number, a name or a key.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod keys;
pub mod metrics;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use error::ApiError;
use keys::{KeyTable, Principal, Role};
use metrics::Metrics;
use ob_bureau::Bureau;
use ob_bureau::ingest::IngestOptions;
use ob_bureau::report::{ReportRequest, Requester};
use ob_model::{DocumentNumber, DocumentType, QueryReason};
use ob_store::sqlite::SqliteStore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// Largest batch body accepted, in bytes.
pub const BATCH_BYTES_MAX: usize = 256 * 1024 * 1024;

/// The routes, as counted in metrics (anything else is `unmatched`).
const ROUTES: [&str; 4] = ["/health", "/metrics", "/v1/batches", "/v1/reports"];

/// What every handler shares: the bureau, the key table and the counters.
#[derive(Clone)]
pub struct AppState {
    bureau: Arc<Mutex<Bureau<SqliteStore>>>,
    keys: Arc<KeyTable>,
    metrics: Arc<Metrics>,
    log: bool,
}

impl AppState {
    /// State over a bureau and the organizations' keys; logging one line per request to stderr.
    pub fn new(bureau: Bureau<SqliteStore>, keys: KeyTable) -> AppState {
        AppState { bureau: Arc::new(Mutex::new(bureau)), keys: Arc::new(keys), metrics: Arc::default(), log: true }
    }

    /// Turns the per-request log line on or off (tests turn it off).
    pub fn with_log(mut self, log: bool) -> AppState {
        self.log = log;
        self
    }

    /// The bureau, for setting up tests and demos.
    pub fn bureau(&self) -> &Arc<Mutex<Bureau<SqliteStore>>> {
        &self.bureau
    }
}

/// The API's router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .route("/v1/batches", post(post_batch).layer(DefaultBodyLimit::max(BATCH_BYTES_MAX)))
        .route("/v1/reports", post(post_report))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// Serves on `listen` until Ctrl-C, then finishes the requests in flight. Builds its own runtime.
pub fn serve_blocking(listen: SocketAddr, state: AppState) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        eprintln!("{}", serde_json::json!({"event": "listening", "addr": listener.local_addr()?.to_string()}));
        axum::serve(listener, router(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        eprintln!("{}", serde_json::json!({"event": "stopped"}));
        Ok(())
    })
}

/// Request ids, counters and the log line, around every request.
async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(new_request_id, str::to_owned);
    let route = ROUTES.iter().find(|r| **r == req.uri().path()).copied().unwrap_or("unmatched");
    let method = req.method().clone();
    let mut response = next.run(req).await;
    let status = response.status().as_u16();
    state.metrics.request(route, status);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    if state.log {
        let line = serde_json::json!({"request_id": id, "method": method.as_str(), "route": route,
            "status": status, "ms": started.elapsed().as_micros() as f64 / 1000.0});
        eprintln!("{line}");
    }
    response
}

fn new_request_id() -> String {
    static FALLBACK: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    match getrandom::fill(&mut bytes) {
        Ok(()) => hex::encode(bytes),
        Err(_) => format!("local-{}", FALLBACK.fetch_add(1, Ordering::Relaxed)),
    }
}

/// The key's organization, when it holds `role`: 401 without a known key, 403 without the role.
fn authenticate(state: &AppState, headers: &HeaderMap, role: Role) -> Result<Principal, ApiError> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(ApiError::unauthenticated)?;
    let principal = state.keys.lookup(key).ok_or_else(ApiError::unauthenticated)?;
    if !principal.has(role) {
        let name = match role {
            Role::Furnisher => "furnisher",
            Role::Lender => "lender",
        };
        return Err(ApiError::forbidden("ROLE_REQUIRED", format!("this key's organization is not a {name}")));
    }
    Ok(principal.clone())
}

/// Runs bureau work on a blocking thread, holding the bureau's lock.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&mut Bureau<SqliteStore>) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let bureau = state.bureau.clone();
    tokio::task::spawn_blocking(move || {
        // A panic mid-request dropped its transaction uncommitted: the store is consistent.
        let mut guard = bureau.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut guard)
    })
    .await
    .map_err(|_| ApiError::internal())?
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

/// `POST /v1/batches`: a canonical JSON-lines file from the key's furnisher.
async fn post_batch(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let who = authenticate(&state, &headers, Role::Furnisher)?;
    let digest: [u8; 32] = Sha256::digest(&body).into();
    // The key was issued to this organization by the operator: it may register itself.
    let options = IngestOptions { register_unknown_furnisher: true, expected_furnisher: Some(who.org_code) };
    let (summary, feedback) = blocking(&state, move |bureau| {
        let mut feedback = Vec::new();
        let summary = bureau.ingest_jsonl(&body[..], digest, &options, &mut feedback, &mut |_| {})?;
        Ok((summary, feedback))
    })
    .await?;
    let feedback = String::from_utf8(feedback)
        .map_err(|_| ApiError::internal())?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<Vec<serde_json::Value>, _>>()
        .map_err(|_| ApiError::internal())?;
    let status = if summary.already_ingested { StatusCode::OK } else { StatusCode::CREATED };
    let body = serde_json::json!({
        "batch_id": summary.batch_id,
        "already_ingested": summary.already_ingested,
        "records": summary.records,
        "accepted": summary.accepted,
        "rejected": summary.rejected,
        "feedback": feedback,
    });
    Ok((status, axum::Json(body)).into_response())
}

/// The body of `POST /v1/reports`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportBody {
    document_type: String,
    document_number: String,
    purpose: String,
}

/// `POST /v1/reports`: the institution's copy of a person's report, for a purpose the person
/// consented to.
async fn post_report(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let who = authenticate(&state, &headers, Role::Lender)?;
    let request: ReportBody = serde_json::from_slice(&body).map_err(|e| {
        // serde's message may quote the value sent: only the position is given back.
        let at = format!("line {} column {}", e.line(), e.column());
        ApiError::bad_request("BAD_REQUEST", format!("expected {{document_type, document_number, purpose}} ({at})"))
    })?;
    let doc_type = DocumentType::parse(&request.document_type)
        .ok_or_else(|| ApiError::bad_request("DOCUMENT_INVALID", "unknown document_type"))?;
    let document = DocumentNumber::parse(doc_type, &request.document_number)
        .map_err(|e| ApiError::bad_request("DOCUMENT_INVALID", format!("document_number: {e}")))?;
    let reason = QueryReason::parse(&request.purpose)
        .filter(|r| *r != QueryReason::SelfQuery)
        .ok_or_else(|| ApiError::bad_request("PURPOSE_INVALID", "purpose is not a code of the closed list"))?;
    let req =
        ReportRequest { document, as_of: None, requester: Requester::Organization { code: who.org_code, reason } };
    let report = blocking(&state, move |bureau| Ok(bureau.produce_report(&req)?)).await?;
    state.metrics.report();
    Ok(axum::Json(report).into_response())
}
