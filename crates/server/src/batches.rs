//! The furnisher API: upload a batch in any supported format, read its status and feedback file,
//! list one's own batches. A furnisher sees only its own batches: another's batch id answers
//! 404, exactly like an id that does not exist.

use crate::auth::authenticate;
use crate::error::ApiError;
use crate::{AppState, blocking};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt as _;
use ob_bureau::Refusal;
use ob_bureau::access::Role;
use ob_bureau::ingest::{FEEDBACK_MEDIA_TYPE, IngestOptions, IngestSummary};
use ob_model::limits;
use ob_store::{BatchId, BatchRow, OrgId};
use serde::{Deserialize, Serialize};
use std::io::Write as _;

/// Feedback lines given back inline with an upload; the whole file is at `feedback_url`.
pub const FEEDBACK_INLINE_MAX: usize = 1_000;

/// A batch as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct BatchView {
    /// The batch's id.
    pub batch_id: i64,
    /// The format recognised: `openbureau.jsonl`, `metro2` or `pboc`.
    pub format: String,
    /// When received, RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub received_at: String,
    /// Ingest runs while the upload waits: a batch that exists is `done`.
    pub status: String,
    /// Records read.
    pub records: u64,
    /// Records accepted.
    pub accepted: u64,
    /// Records rejected (each has a line in the feedback file).
    pub rejected: u64,
    /// Where the feedback file is.
    pub feedback_url: String,
}

/// The answer to an upload.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UploadAnswer {
    /// The batch.
    #[serde(flatten)]
    pub batch: BatchView,
    /// True when this exact file was sent before: nothing changed, `batch` is the earlier one.
    pub already_ingested: bool,
    /// The first feedback lines (at most 1,000), one per rejected record.
    #[schema(value_type = Vec<ob_bureau::ingest::FeedbackLine>)]
    pub feedback: Vec<serde_json::Value>,
    /// Whether `feedback` holds only the first lines.
    pub feedback_truncated: bool,
}

/// A page of batches.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchList {
    /// Oldest first.
    pub batches: Vec<BatchView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

/// Query of `GET /v1/batches`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Batches with ids above this one.
    pub after: Option<i64>,
    /// At most this many (default and maximum 1,000: `limits::BATCHES_PAGE_MAX`).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

fn view(b: &BatchRow) -> BatchView {
    let received_at = time::OffsetDateTime::from_unix_timestamp(b.received_at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    BatchView {
        batch_id: b.id.0,
        format: b.format.clone(),
        received_at,
        status: "done".into(),
        records: b.records,
        accepted: b.accepted,
        rejected: b.rejected,
        feedback_url: format!("/v1/batches/{}/feedback", b.id.0),
    }
}

fn org_of(p: &ob_bureau::access::Principal) -> Result<OrgId, ApiError> {
    p.org_id.ok_or_else(|| ApiError::forbidden("ROLE_REQUIRED", "an operator's key uploads no batches"))
}

/// `POST /v1/batches`: a file from the key's furnisher, in any supported format (recognised by
/// its first bytes). The file waits in the spool folder while it is ingested, then is removed.
#[utoipa::path(post, path = "/v1/batches", tag = "furnishers", operation_id = "upload_batch",
    request_body(content = String, content_type = "application/octet-stream",
        description = "A furnisher file: canonical JSON lines, Metro 2 or PBOC-style"),
    responses(
        (status = 201, description = "Ingested", body = UploadAnswer),
        (status = 200, description = "This exact file was ingested before", body = UploadAnswer),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope),
        (status = 413, description = "TOO_LARGE", body = crate::error::ErrorEnvelope),
        (status = 429, description = "RATE_LIMITED", body = crate::error::ErrorEnvelope),
        (status = 503, description = "BUSY: other uploads are being ingested (Retry-After)", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn upload(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let who = authenticate(&state, &headers, Role::Furnisher).await?;
    let org = org_of(&who)?;
    // A few uploads at a time, taken before the body is read: a flood of large files waits at
    // the door instead of filling memory, the disk and the bureau's queue.
    let Ok(_permit) = state.uploads.clone().try_acquire_owned() else {
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "BUSY", "other uploads are being ingested");
        e.retry_after_s = Some(5);
        return Err(e);
    };
    let file = spool(&state, body).await?;
    let options = IngestOptions {
        register_unknown_furnisher: false,
        expected_furnisher: Some(who.org_code),
        keep_feedback: true,
        cached_max: None,
        prefetch: None,
    };
    let (summary, feedback, row) = blocking(&state, move |bureau| {
        let mut feedback = FirstLines::default();
        let summary = bureau.ingest_path(file.path(), &options, &mut feedback, &mut |_| {})?;
        let row = bureau.batch_of(org, BatchId(summary.batch_id))?.ok_or_else(ApiError::internal)?;
        Ok((summary, feedback.bytes, row))
    })
    .await?;
    Ok(upload_answer(&summary, &feedback, &row))
}

/// Streams the body into a file of the spool folder, off the async threads, refusing more than
/// [`limits::HTTP_BATCH_BYTES_MAX`] bytes and an empty body. The file is removed when dropped.
async fn spool(state: &AppState, body: Body) -> Result<tempfile::NamedTempFile, ApiError> {
    let folder = state.spool.clone();
    let mut file =
        tokio::task::spawn_blocking(move || tempfile::Builder::new().prefix("ob-upload-").tempfile_in(folder))
            .await
            .map_err(|_| ApiError::internal())?
            .map_err(spool_error)?;
    let mut body = body;
    let (mut total, mut chunk) = (0usize, Vec::with_capacity(SPOOL_CHUNK_BYTES));
    loop {
        let frame = body
            .frame()
            .await
            .transpose()
            .map_err(|_| ApiError::refusal(Refusal::FileInvalid, "the upload was cut off before its end"))?;
        let data = frame.as_ref().and_then(|f| f.data_ref());
        if let Some(data) = data {
            total += data.len();
            if total > limits::HTTP_BATCH_BYTES_MAX {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "TOO_LARGE",
                    format!("a batch has at most {} bytes", limits::HTTP_BATCH_BYTES_MAX),
                ));
            }
            chunk.extend_from_slice(data);
        }
        let end = frame.is_none();
        if chunk.len() >= SPOOL_CHUNK_BYTES || (end && !chunk.is_empty()) {
            let bytes = std::mem::replace(&mut chunk, Vec::with_capacity(SPOOL_CHUNK_BYTES));
            file =
                tokio::task::spawn_blocking(move || file.write_all(&bytes).and_then(|()| file.flush()).map(|()| file))
                    .await
                    .map_err(|_| ApiError::internal())?
                    .map_err(spool_error)?;
        }
        if end {
            break;
        }
    }
    if total == 0 {
        return Err(ApiError::refusal(Refusal::FileInvalid, "the body is empty: send the file"));
    }
    Ok(file)
}

/// Bytes written to the spool file at a time.
const SPOOL_CHUNK_BYTES: usize = 1 << 20;

/// Keeps the first [`FEEDBACK_INLINE_MAX`] lines written to it (the answer's inline feedback);
/// the whole file is kept by the bureau.
#[derive(Default)]
struct FirstLines {
    bytes: Vec<u8>,
    lines: usize,
}

impl std::io::Write for FirstLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.lines < FEEDBACK_INLINE_MAX {
            self.bytes.extend_from_slice(buf);
            self.lines += buf.iter().filter(|b| **b == b'\n').count();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn spool_error(e: std::io::Error) -> ApiError {
    crate::log_line(&serde_json::json!({"event": "spool_error", "error": e.to_string()}));
    ApiError::internal()
}

fn upload_answer(summary: &IngestSummary, feedback: &[u8], row: &BatchRow) -> Response {
    let lines: Vec<serde_json::Value> = feedback
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .take(FEEDBACK_INLINE_MAX)
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect();
    let answer = UploadAnswer {
        batch: view(row),
        already_ingested: summary.already_ingested,
        feedback_truncated: summary.rejected > lines.len() as u64 && !summary.already_ingested,
        feedback: lines,
    };
    let status = if summary.already_ingested { StatusCode::OK } else { StatusCode::CREATED };
    (status, Json(answer)).into_response()
}

/// `GET /v1/batches`: the key's furnisher's batches, oldest first.
#[utoipa::path(get, path = "/v1/batches", tag = "furnishers", operation_id = "list_batches", params(ListQuery),
    responses(
        (status = 200, description = "A page of batches", body = BatchList),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Json<BatchList>, ApiError> {
    let who = authenticate(&state, &headers, Role::Furnisher).await?;
    let org = org_of(&who)?;
    let limit = q.limit.unwrap_or(limits::BATCHES_PAGE_MAX);
    if !(1..=limits::BATCHES_PAGE_MAX).contains(&limit) {
        let max = limits::BATCHES_PAGE_MAX;
        return Err(ApiError::bad_request("BAD_REQUEST", format!("limit is 1 to {max}")));
    }
    let after = BatchId(q.after.unwrap_or(0));
    let rows = blocking(&state, move |b| Ok(b.batches_of(org, after, limit)?)).await?;
    let next_after = (rows.len() == limit as usize).then(|| rows.last().map(|r| r.id.0)).flatten();
    Ok(Json(BatchList { batches: rows.iter().map(view).collect(), next_after }))
}

/// Query of `GET /v1/stale-accounts`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StaleQuery {
    /// Accounts with keys after this one (the previous page's `next_after`).
    pub after: Option<String>,
    /// At most this many warnings (default and maximum 1,000: `limits::STALE_PAGE_MAX`).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// `GET /v1/stale-accounts`: the key's furnisher's open accounts with no month reported in the 3
/// months before this one (`STALE_ACCOUNT` warnings): their reports show them as not updated
/// (未更新). A call reads at most 5,000 accounts (`limits::STALE_SCAN_ACCOUNTS_MAX`); follow
/// `next_after` until it is null.
#[utoipa::path(get, path = "/v1/stale-accounts", tag = "furnishers", operation_id = "stale_accounts", params(StaleQuery),
    responses(
        (status = 200, description = "A page of warnings", body = ob_bureau::stale::StalePage),
        (status = 400, description = "BAD_REQUEST (limit out of range; after not an account key)", body = crate::error::ErrorEnvelope),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn stale(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StaleQuery>,
) -> Result<Json<ob_bureau::stale::StalePage>, ApiError> {
    let who = authenticate(&state, &headers, Role::Furnisher).await?;
    let org = org_of(&who)?;
    let limit = q.limit.unwrap_or(limits::STALE_PAGE_MAX);
    if !(1..=limits::STALE_PAGE_MAX).contains(&limit) {
        let max = limits::STALE_PAGE_MAX;
        return Err(ApiError::bad_request("BAD_REQUEST", format!("limit is 1 to {max}")));
    }
    // An account key is 1–60 characters with no NUL (PostgreSQL's text holds none): anything
    // else is no key a page ended on.
    if q.after.as_deref().is_some_and(|a| a.chars().count() > limits::ACCOUNT_KEY_CHARS_MAX || a.contains('\0')) {
        let max = limits::ACCOUNT_KEY_CHARS_MAX;
        return Err(ApiError::bad_request(
            "BAD_REQUEST",
            format!("after is an account key of at most {max} characters"),
        ));
    }
    let page = blocking(&state, move |b| {
        let today = b.clock().today();
        Ok(b.stale_accounts(org, q.after.as_deref(), limit, today)?)
    })
    .await?;
    Ok(Json(page))
}

/// `GET /v1/batches/{id}`: one of the key's furnisher's batches.
#[utoipa::path(get, path = "/v1/batches/{id}", tag = "furnishers", operation_id = "batch_status",
    params(("id" = i64, Path, description = "Batch id")),
    responses(
        (status = 200, description = "The batch", body = BatchView),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope),
        (status = 404, description = "NOT_FOUND (also another furnisher's batch)", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<BatchView>, ApiError> {
    let who = authenticate(&state, &headers, Role::Furnisher).await?;
    let org = org_of(&who)?;
    let id = batch_id(&id)?;
    let row = blocking(&state, move |b| Ok(b.batch_of(org, id)?)).await?.ok_or_else(no_batch)?;
    Ok(Json(view(&row)))
}

/// `GET /v1/batches/{id}/feedback`: the batch's feedback file, JSON lines.
#[utoipa::path(get, path = "/v1/batches/{id}/feedback", tag = "furnishers", operation_id = "batch_feedback",
    params(("id" = i64, Path, description = "Batch id")),
    responses(
        (status = 200, description = "One JSON line per rejected record", content_type = "application/x-ndjson", body = String),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn feedback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let who = authenticate(&state, &headers, Role::Furnisher).await?;
    let org = org_of(&who)?;
    let id = batch_id(&id)?;
    let body = blocking(&state, move |b| Ok(b.batch_feedback(org, id)?)).await?.ok_or_else(no_batch)?;
    Ok(([(header::CONTENT_TYPE, FEEDBACK_MEDIA_TYPE)], body).into_response())
}

fn batch_id(text: &str) -> Result<BatchId, ApiError> {
    text.parse::<i64>().ok().filter(|n| *n > 0).map(BatchId).ok_or_else(no_batch)
}

fn no_batch() -> ApiError {
    ApiError::not_found("NOT_FOUND", "no such batch of yours")
}
