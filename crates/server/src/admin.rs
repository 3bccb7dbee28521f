//! The operators' API (admin keys only): organizations, their roles and their keys.

use crate::auth::authenticate;
use crate::error::{ApiError, json_body};
use crate::{AppState, blocking};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use ob_bureau::Refusal;
use ob_bureau::access::{OrgView, Role};
use serde::{Deserialize, Serialize};

/// An organization as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Org {
    /// Its code, as in its furnisher files.
    #[schema(min_length = 1, max_length = 20)] // limits::ORG_CODE_CHARS_MAX (a literal here; a test checks)
    pub code: String,
    /// Its name.
    #[schema(max_length = 80)] // limits::ORG_NAME_CHARS_MAX (a test checks)
    pub name: String,
    /// `furnisher`, `lender` or both; none for an organization registered by a file given on
    /// the command line, until an operator gives it one.
    #[schema(value_type = Vec<OrgRole>)]
    pub roles: Vec<String>,
}

/// Body of `POST /v1/admin/orgs`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    /// Its code, as in its furnisher files: letters, digits, `_` or `-`.
    #[schema(min_length = 1, max_length = 20, pattern = "^[A-Za-z0-9_-]+$")]
    // limits::ORG_CODE_CHARS_MAX (a test checks)
    pub code: String,
    /// Its name.
    #[schema(max_length = 80)] // limits::ORG_NAME_CHARS_MAX (a test checks)
    pub name: String,
    /// `furnisher`, `lender` or both.
    #[schema(value_type = Vec<OrgRole>, min_items = 1)]
    pub roles: Vec<String>,
}

/// A role an organization may hold (the document's name for `Org::roles`' items).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum OrgRole {
    /// Reports accounts.
    Furnisher,
    /// Asks for reports.
    Lender,
}

impl From<OrgView> for Org {
    fn from(o: OrgView) -> Org {
        Org { code: o.code, name: o.name, roles: o.roles.iter().map(|r| r.as_str().to_owned()).collect() }
    }
}

/// Every organization.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrgList {
    /// By the order they were added.
    pub organizations: Vec<Org>,
}

/// A new key, shown this once.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewKey {
    /// The organization.
    pub org_code: String,
    /// The key: 64 hex digits. The bureau keeps only its SHA-256.
    pub key: String,
    /// SHA-256 of the key, hex: what revoking it takes.
    pub key_sha256: String,
}

/// Body of `POST /v1/admin/orgs/{code}/keys`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    /// What the key is for (kept with its digest).
    #[serde(default)]
    pub label: String,
}

/// Body of `POST /v1/admin/keys/revoke`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// SHA-256 of the key, hex.
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub key_sha256: String,
}

/// Answer of `POST /v1/admin/keys/revoke`.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Revoked {
    /// Always true: an unknown or already revoked key answers 404.
    pub revoked: bool,
}

/// `GET /v1/admin/orgs`.
#[utoipa::path(get, path = "/v1/admin/orgs", tag = "operators",
    responses(
        (status = 200, description = "Every organization", body = OrgList),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn list_orgs(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<OrgList>, ApiError> {
    authenticate(&state, &headers, Role::Admin).await?;
    let orgs = blocking(&state, |b| Ok(b.orgs()?)).await?;
    Ok(Json(OrgList { organizations: orgs.into_iter().map(Org::from).collect() }))
}

/// `POST /v1/admin/orgs`: adds an organization, or sets an existing one's name and roles.
#[utoipa::path(post, path = "/v1/admin/orgs", tag = "operators", request_body = NewOrg,
    responses(
        (status = 200, description = "The organization as stored", body = Org),
        (status = 400, description = "BAD_REQUEST", body = crate::error::ErrorEnvelope),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn add_org(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Org>, ApiError> {
    authenticate(&state, &headers, Role::Admin).await?;
    let org: NewOrg = json_body(&body, "{code, name, roles}")?;
    let roles = org
        .roles
        .iter()
        .map(|r| Role::parse(r).filter(|r| *r != Role::Admin))
        .collect::<Option<Vec<Role>>>()
        .ok_or_else(|| ApiError::refusal(Refusal::OrgInvalid, "roles are furnisher and lender"))?;
    let view = blocking(&state, move |b| Ok(b.add_org(&org.code, &org.name, &roles)?)).await?;
    state.keys.forget_all();
    Ok(Json(view.into()))
}

/// `POST /v1/admin/orgs/{code}/keys`: a new key for the organization, shown once.
#[utoipa::path(post, path = "/v1/admin/orgs/{code}/keys", tag = "operators",
    params(("code" = String, Path, description = "Organization code")), request_body = Option<KeyRequest>,
    responses(
        (status = 201, description = "The key, shown this once", body = NewKey),
        (status = 400, description = "BAD_REQUEST", body = crate::error::ErrorEnvelope),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn issue_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<NewKey>), ApiError> {
    authenticate(&state, &headers, Role::Admin).await?;
    // No body, or `null`, asks for a key with no label. White space alone is neither: it is no
    // JSON document (schemathesis sent "\n" and expected a refusal).
    let req: KeyRequest = if body.is_empty() || crate::error::json_trim(&body) == b"null" {
        KeyRequest::default()
    } else {
        json_body(&body, "{label}")?
    };
    let org_code = code.clone();
    let key = blocking(&state, move |b| Ok(b.issue_key(Some(&code), &req.label)?)).await?;
    let key_sha256 = hex::encode(ob_bureau::access::key_digest(&key));
    Ok((StatusCode::CREATED, Json(NewKey { org_code, key, key_sha256 })))
}

/// `POST /v1/admin/keys/revoke`: the key stops working at once.
#[utoipa::path(post, path = "/v1/admin/keys/revoke", tag = "operators", request_body = RevokeRequest,
    responses(
        (status = 200, description = "Revoked", body = Revoked),
        (status = 400, description = "BAD_REQUEST", body = crate::error::ErrorEnvelope),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn revoke_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Revoked>, ApiError> {
    authenticate(&state, &headers, Role::Admin).await?;
    let req: RevokeRequest = json_body(&body, "{key_sha256}")?;
    let mut digest = [0u8; 32];
    hex::decode_to_slice(&req.key_sha256, &mut digest)
        .map_err(|_| ApiError::bad_request("BAD_REQUEST", "key_sha256 is 64 hex digits"))?;
    let done = blocking(&state, move |b| Ok(b.revoke_key(&digest, None)?)).await?;
    state.keys.forget_all();
    if !done {
        return Err(ApiError::not_found("NOT_FOUND", "no such unrevoked key"));
    }
    Ok(Json(Revoked { revoked: true }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_documented_lengths_are_the_limits() {
        let doc: serde_json::Value = serde_json::from_str(crate::openapi::document_json()).unwrap();
        for schema in ["Org", "NewOrg"] {
            let org = &doc["components"]["schemas"][schema]["properties"];
            assert_eq!(org["code"]["maxLength"], ob_model::limits::ORG_CODE_CHARS_MAX, "{schema}");
            assert_eq!(org["name"]["maxLength"], ob_model::limits::ORG_NAME_CHARS_MAX, "{schema}");
        }
    }
}
