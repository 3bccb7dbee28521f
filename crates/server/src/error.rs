//! The one error envelope: `{"error": {"code", "message"}}` with its HTTP status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ob_bureau::BureauError;

/// A JSON body of type `T`, or 400 `BAD_REQUEST` saying what was `expected` and where it went
/// wrong. serde's own message may quote the value sent (an ID number, say): only the position
/// is given back.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], expected: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("BAD_REQUEST", format!("expected {expected} (line {} column {})", e.line(), e.column()))
    })
}

/// The envelope every error is answered in (for the OpenAPI document).
#[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The error inside the envelope.
#[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code, e.g. `NO_CONSENT`.
    pub code: String,
    /// Sentence for people.
    pub message: String,
}

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Sentence for people; never holds identifiers, names or keys.
    pub message: String,
    /// Seconds to wait before trying again (429), sent as `Retry-After`.
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    /// An error of any status.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after_s: None }
    }

    /// 429: the key went over its rate.
    pub fn rate_limited(retry_after_s: u64) -> ApiError {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests for this key");
        e.retry_after_s = Some(retry_after_s);
        e
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no key or an unknown key.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "send a valid API key as `Authorization: Bearer KEY`",
        )
    }

    /// 403: the key's organization may not do this.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404: no such route or resource.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 500: something failed on our side; details stay in the server's log.
    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error; quote the request id")
    }
}

impl From<BureauError> for ApiError {
    fn from(e: BureauError) -> ApiError {
        match e {
            BureauError::NoFile => ApiError::not_found("NO_FILE", "no credit file for this document"),
            BureauError::Read(e) => ApiError::bad_request("FILE_INVALID", e.to_string()),
            BureauError::Refused { code, message } => {
                let status = match code {
                    "FILE_INVALID" | "FUTURE_DATE" | "ORG_INVALID" | "PASSWORD_INVALID" => StatusCode::BAD_REQUEST,
                    "UNKNOWN_ORG" | "UNKNOWN_DISPUTE" | "UNKNOWN_ITEM" => StatusCode::NOT_FOUND,
                    "DISPUTE_CLOSED" | "DISPUTE_NOT_DELETED" | "ALREADY_REVOKED" | "NOT_PLACED" => StatusCode::CONFLICT,
                    "ORG_NO_ROLE" => StatusCode::CONFLICT,
                    "TOO_FEW_OUTCOMES" => StatusCode::CONFLICT,
                    "SCORE_FAILED" => StatusCode::INTERNAL_SERVER_ERROR,
                    _ => StatusCode::FORBIDDEN,
                };
                ApiError::new(status, code, message)
            }
            e @ (BureauError::Store(_) | BureauError::Io(_) | BureauError::Key(_) | BureauError::WrongKey) => {
                // Store and key errors name tables and files, never identifiers.
                crate::log_line(&serde_json::json!({"event": "internal_error", "error": e.to_string()}));
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after_s {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, s.into());
        }
        response
    }
}
