//! The lender API: a person's report for a purpose the person consented to. The inquiry is
//! logged (with its audit event) before the report leaves.

use crate::auth::authenticate;
use crate::error::{ApiError, json_body};
use crate::{AppState, blocking};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use ob_bureau::access::Role;
use ob_bureau::report::{ConsentProof, Report, ReportRequest, Requester};
use ob_model::{DocumentNumber, DocumentType, QueryReason};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The body of `POST /v1/reports`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// `prc_resident_id`, `passport`, `us_ssn`…
    #[schema(value_type = ob_model::DocumentType)]
    pub document_type: String,
    /// The document's number.
    pub document_number: String,
    /// The purpose, a code of the closed list: `01` post-loan management, `02` loan approval,
    /// `03` credit-card approval, … (`self` is not for organizations).
    #[schema(value_type = ob_model::QueryReason)]
    pub purpose: String,
    /// The reference of the person's authorization the lender relies on. An approval purpose
    /// needs this or `authorization_sha256`.
    #[serde(default)]
    pub consent_ref: Option<String>,
    /// SHA-256 (hex) of the signed authorization document the lender holds.
    #[serde(default)]
    pub authorization_sha256: Option<String>,
    /// The signed authorization document itself, base64: the bureau hashes it and matches the
    /// consent's evidence; the document is not kept.
    #[serde(default)]
    pub authorization_base64: Option<String>,
}

/// `POST /v1/reports`: the institution's copy of a person's report (other lenders' names hidden).
#[utoipa::path(post, path = "/v1/reports", tag = "lenders", operation_id = "request_report", request_body = ReportBody,
    responses(
        (status = 200, description = "The institution's copy, logged as an inquiry first", body = Report),
        (status = 400, description = "BAD_REQUEST, DOCUMENT_INVALID, PURPOSE_INVALID, CONSENT_PROOF_REQUIRED", body = crate::error::ErrorEnvelope),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope),
        (status = 429, description = "RATE_LIMITED", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn request(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Report>, ApiError> {
    let who = authenticate(&state, &headers, Role::Lender).await?;
    let body: ReportBody = json_body(&body, "{document_type, document_number, purpose}")?;
    let doc_type = DocumentType::parse(&body.document_type)
        .ok_or_else(|| ApiError::bad_request("DOCUMENT_INVALID", "unknown document_type"))?;
    let document = DocumentNumber::parse(doc_type, &body.document_number)
        .map_err(|e| ApiError::bad_request("DOCUMENT_INVALID", format!("document_number: {e}")))?;
    let reason = QueryReason::parse(&body.purpose)
        .filter(|r| *r != QueryReason::SelfQuery)
        .ok_or_else(|| ApiError::bad_request("PURPOSE_INVALID", "purpose is not a code of the closed list"))?;
    let proof = proof(&body)?;
    if reason.is_new_credit() && proof.is_none() {
        return Err(ApiError::bad_request(
            "CONSENT_PROOF_REQUIRED",
            "an approval purpose needs the person's authorization: consent_ref, authorization_sha256 or authorization_base64",
        ));
    }
    let req =
        ReportRequest { document, as_of: None, requester: Requester::Organization { code: who.org_code, reason } };
    let report = blocking(&state, move |b| Ok(b.produce_report_with(&req, proof.as_ref())?)).await?;
    state.metrics.report();
    Ok(Json(report))
}

fn proof(body: &ReportBody) -> Result<Option<ConsentProof>, ApiError> {
    use base64::Engine as _;
    match (&body.consent_ref, &body.authorization_sha256, &body.authorization_base64) {
        (None, None, None) => Ok(None),
        (Some(r), None, None) => Ok(Some(ConsentProof::Reference(r.clone()))),
        (None, Some(hex_text), None) => {
            let mut sha = [0u8; 32];
            hex::decode_to_slice(hex_text, &mut sha)
                .map_err(|_| ApiError::bad_request("BAD_REQUEST", "authorization_sha256 is 64 hex digits"))?;
            Ok(Some(ConsentProof::Evidence(sha)))
        }
        (None, None, Some(b64)) => {
            let document = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| ApiError::bad_request("BAD_REQUEST", "authorization_base64 is not base64"))?;
            Ok(Some(ConsentProof::Evidence(Sha256::digest(&document).into())))
        }
        _ => Err(ApiError::bad_request(
            "BAD_REQUEST",
            "name one authorization: consent_ref, authorization_sha256 or authorization_base64",
        )),
    }
}
