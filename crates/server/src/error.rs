//! The one error envelope: `{"error": {"code", "message"}}` with its HTTP status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ob_bureau::{BureauError, Refusal, RefusalKind};

/// A JSON body of type `T`, or 400 `BAD_REQUEST` saying what was `expected` and where it went
/// wrong. serde's own message may quote the value sent (an ID number, say): only the position
/// is given back.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], expected: &str) -> Result<T, ApiError> {
    // Every body is a JSON object: serde would also take an array for a struct (`[]` for one
    // whose fields all have defaults), which no schema of ours allows.
    if json_trim(body).first() != Some(&b'{') {
        return Err(ApiError::bad_request("BAD_REQUEST", format!("expected a JSON object {expected}")));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("BAD_REQUEST", format!("expected {expected} (line {} column {})", e.line(), e.column()))
    })
}

/// `body` without the whitespace JSON allows around a value (RFC 8259: space, tab, line feed,
/// carriage return). Not `trim_ascii`: that also drops form feeds, which JSON does not allow.
pub(crate) fn json_trim(body: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = body.iter().position(|b| !is_ws(b)).unwrap_or(body.len());
    let end = body.iter().rposition(|b| !is_ws(b)).map_or(start, |i| i + 1);
    &body[start..end]
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
    /// Seconds to wait before trying again (429, 503), sent as `Retry-After`.
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

    /// 503: the store cannot be reached for a moment (a lost connection, a server restarting, a
    /// failover); nothing of the request was committed, and it may be sent again.
    pub fn store_unavailable() -> ApiError {
        ApiError {
            retry_after_s: Some(STORE_RETRY_AFTER_S),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "STORE_UNAVAILABLE",
                "the store is unavailable for a moment; nothing was done: send the request again",
            )
        }
    }

    /// A bureau refusal: its code, the status of its kind, and the detail as the message.
    pub fn refusal(refusal: Refusal, detail: impl Into<String>) -> ApiError {
        ApiError::new(refusal_status(refusal.kind()), refusal.code(), detail)
    }
}

/// The HTTP status of a kind of refusal.
pub fn refusal_status(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::Invalid => StatusCode::BAD_REQUEST,
        RefusalKind::NotFound => StatusCode::NOT_FOUND,
        RefusalKind::Conflict => StatusCode::CONFLICT,
        RefusalKind::Forbidden => StatusCode::FORBIDDEN,
    }
}

/// Seconds a client is told to wait when the store is unavailable for a moment.
const STORE_RETRY_AFTER_S: u64 = 1;

impl From<BureauError> for ApiError {
    fn from(e: BureauError) -> ApiError {
        match e {
            BureauError::NoFile => ApiError::not_found("NO_FILE", "no credit file for this document"),
            BureauError::Read(e) => ApiError::refusal(Refusal::FileInvalid, e.to_string()),
            BureauError::Refused { refusal, detail } => ApiError::refusal(refusal, detail),
            // A key rotation marked the store and this worker has not taken the new key yet (it
            // looks at the key file every half second): nothing was done, ask again.
            BureauError::RotationUnfinished => ApiError::store_unavailable(),
            BureauError::Store(e) if ob_store::postgres::is_retryable(&e) => {
                crate::log_line(&serde_json::json!({"event": "store_unavailable", "error": e.to_string()}));
                ApiError::store_unavailable()
            }
            e @ (BureauError::Store(_)
            | BureauError::Io(_)
            | BureauError::Key(_)
            | BureauError::WrongKey
            | BureauError::Score(_)
            | BureauError::Invariant(_)) => {
                // Store, key and score errors name tables, files and columns, never identifiers.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_answers_the_status_of_its_kind_with_its_code_and_detail() {
        for r in Refusal::ALL {
            let e = ApiError::from(BureauError::refused(*r, "the detail"));
            assert_eq!((e.status, e.code, e.message.as_str()), (refusal_status(r.kind()), r.code(), "the detail"));
        }
        let status = |r: Refusal| ApiError::from(BureauError::refused(r, "")).status;
        assert_eq!(status(Refusal::StatementTooLong), StatusCode::BAD_REQUEST);
        assert_eq!(status(Refusal::UnknownOrganization), StatusCode::NOT_FOUND);
        assert_eq!(status(Refusal::DisputeClosed), StatusCode::CONFLICT);
        assert_eq!(status(Refusal::NoConsent), StatusCode::FORBIDDEN);
    }
}
