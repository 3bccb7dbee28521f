//! `/v1/me/…`: the signed-in person's own file as JSON, opened by the web session's cookie (an
//! API key opens nothing here, and no document is ever taken from the request).

use crate::error::ApiError;
use crate::{AppState, blocking};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use ob_bureau::explain::Explanation;

/// What the file holds about the person and what it never holds, in plain words.
#[utoipa::path(get, path = "/v1/me/explain", tag = "people", operation_id = "explain_my_file",
    description = "For each lender that reports on the signed-in person: since when, and what it sends every \
        month with the person's latest values; what no lender can ever send (the validator's own lists); who \
        looked in the last 2 years and why; what the status symbols mean; the day each late month leaves; \
        what the person can do. Opened by the `ob_session` cookie of a web sign-in. Reading it logs no \
        inquiry and spends no free self-view.",
    responses(
        (status = 200, description = "The explanation", body = Explanation),
        (status = 401, description = "UNAUTHENTICATED: no web session", body = crate::error::ErrorEnvelope),
        (status = 404, description = "NO_FILE", body = crate::error::ErrorEnvelope),
        (status = 500, description = "INTERNAL", body = crate::error::ErrorEnvelope)),
    security(("session" = [])))]
pub async fn explain(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let document = crate::web::session_document(&state, &headers).await?.ok_or_else(ApiError::unauthenticated)?;
    let explanation = blocking(&state, move |b| Ok(b.explain(&document)?)).await?;
    // A person's financial data, read by a browser: never kept in a cache.
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(explanation)).into_response())
}
