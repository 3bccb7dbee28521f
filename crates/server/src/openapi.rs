//! The OpenAPI 3.1 document of the API, generated from the code: each handler's
//! `#[utoipa::path]` (paths, parameters, statuses, bodies) and the `ToSchema` of every type it
//! answers with, down to the report's parts in `ob-bureau` and the code lists of `ob-model`
//! (their `openapi` feature). Served at `GET /v1/openapi.json` (no key) and printed by
//! `openbureau openapi`.
//!
//! `/health` and `/metrics` are described here by hand (their handlers stay plain in the
//! router's module).

use crate::error::refusal_status;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use ob_bureau::Refusal;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::response::{Response as ResponseDoc, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Ref, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi};

/// The API's OpenAPI document (`ApiDoc::openapi()`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "OpenBureau API",
        description = "OpenBureau's HTTP API: furnishers upload batches, read their feedback \
            and answer disputes, lenders request reports with a purpose and the person's consent, operators manage \
            organizations and their keys. Send the API key as `Authorization: Bearer KEY`. Every \
            error is one envelope, `{\"error\": {\"code\", \"message\"}}`; every response carries \
            an `x-request-id`."
    ),
    paths(
        crate::batches::upload,
        crate::batches::list,
        crate::batches::status,
        crate::batches::feedback,
        crate::batches::stale,
        crate::reports::request,
        crate::disputes::queue,
        crate::disputes::answer,
        crate::disputes::reinsert,
        crate::disputes::notices,
        crate::admin::list_orgs,
        crate::admin::add_org,
        crate::admin::issue_key,
        crate::admin::revoke_key,
        crate::me::explain,
        document,
    ),
    components(schemas(
        crate::error::ErrorEnvelope,
        crate::error::ErrorBody,
        crate::batches::BatchView,
        crate::batches::UploadAnswer,
        crate::batches::BatchList,
        ob_bureau::stale::StalePage,
        crate::reports::ReportBody,
        crate::disputes::DisputeList,
        crate::disputes::DisputeItem,
        crate::disputes::DisputeStep,
        crate::disputes::AnswerBody,
        crate::disputes::ReinsertBody,
        crate::disputes::CorrectionNoticeList,
        crate::disputes::CorrectionNoticeItem,
        crate::admin::Org,
        crate::admin::NewOrg,
        crate::admin::OrgList,
        crate::admin::NewKey,
        crate::admin::KeyRequest,
        crate::admin::RevokeRequest,
        crate::admin::Revoked,
        ob_bureau::report::Report,
        ob_bureau::explain::Explanation,
    )),
    modifiers(&Additions),
    tags(
        (name = "furnishers", description = "Batches and their feedback; disputes to answer (furnisher keys)"),
        (name = "lenders", description = "Credit reports (lender keys)"),
        (name = "operators", description = "Organizations and their keys (operator keys)"),
        (name = "people", description = "A person's own file, by the cookie of their web sign-in"),
        (name = "service", description = "Health, metrics and this document (no key)"),
    )
)]
pub struct ApiDoc;

/// The bearer key scheme, and the operations whose handlers are not annotated.
struct Additions;

impl Modify for Additions {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key issued by the operator: 64 hex digits."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "ob_session",
                    "The cookie of a person's web sign-in (POST /signin): it opens that person's own file only.",
                ),
            )),
        );
        for item in doc.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
            for op in operations.into_iter().flatten() {
                let refusals = op.operation_id.as_deref().map_or(&[][..], refusals_of);
                refusal_responses(&mut op.responses.responses, refusals);
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    keyed_errors(&mut op.responses.responses);
                }
                reading_errors(op);
                if op.operation_id.as_deref() == Some("upload_batch") {
                    non_empty_file(op);
                }
            }
        }
        if let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut("ErrorBody")
            && let Some(RefOr::T(Schema::Object(code))) = body.properties.get_mut("code")
        {
            code.description = Some(code_description());
        }
        let health = ObjectBuilder::new()
            .property("status", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["ok"])))
            .required("status")
            .build();
        doc.paths.add_path_operation(
            "/health",
            vec![HttpMethod::Get],
            OperationBuilder::new()
                .tag("service")
                .operation_id(Some("health"))
                .summary(Some("Liveness: answers while the server runs."))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("Running")
                        .content("application/json", Content::new(Some(health))),
                ),
        );
        let text = ObjectBuilder::new().schema_type(Type::String).build();
        doc.paths.add_path_operation(
            "/metrics",
            vec![HttpMethod::Get],
            OperationBuilder::new()
                .tag("service")
                .operation_id(Some("metrics"))
                .summary(Some("Prometheus counters: requests by route and status, reports given."))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("Prometheus exposition text")
                        .content("text/plain; version=0.0.4", Content::new(Some(text))),
                ),
        );
    }
}

/// The bureau's refusals each operation may answer, by operation id. Their codes and statuses
/// (from their kind, as `error::refusal_status` gives them) are added to the operation's
/// responses; the annotations name only the server's own codes.
fn refusals_of(operation_id: &str) -> &'static [Refusal] {
    match operation_id {
        "upload_batch" => &[Refusal::FileInvalid, Refusal::FurnisherMismatch],
        "request_report" => &[Refusal::NoConsent, Refusal::NoOpenAccount, Refusal::Frozen],
        "answer_dispute" => &[Refusal::UnknownDispute, Refusal::DisputeClosed, Refusal::NoCorrection],
        "reinsert_dispute" => &[Refusal::UnknownDispute, Refusal::DisputeNotDeleted],
        "add_org" => &[Refusal::OrgInvalid],
        "issue_key" => &[Refusal::UnknownOrganization, Refusal::OrgNoRole],
        _ => &[],
    }
}

/// Adds each refusal's code to the response of its status, making the response when the
/// annotation has none.
fn refusal_responses(responses: &mut BTreeMap<String, RefOr<ResponseDoc>>, refusals: &[Refusal]) {
    for refusal in refusals {
        let status = refusal_status(refusal.kind()).as_str().to_owned();
        match responses.get_mut(&status) {
            Some(RefOr::T(response)) => {
                if !response.description.split(", ").any(|c| c == refusal.code()) {
                    response.description = format!("{}, {}", response.description, refusal.code());
                }
            }
            Some(RefOr::Ref(_)) => {}
            None => {
                let envelope = Content::new(Some(Ref::from_schema_name("ErrorEnvelope")));
                let response = ResponseBuilder::new().description(refusal.code()).content("application/json", envelope);
                responses.insert(status, response.build().into());
            }
        }
    }
}

/// The description of the envelope's `code`: every refusal of the bureau, with its status and
/// sentence, from [`Refusal::ALL`].
fn code_description() -> String {
    let mut text = String::from(
        "Stable code, e.g. `NO_CONSENT`. The bureau's refusals (the server adds its own: \
         `BAD_REQUEST`, `UNAUTHENTICATED`, `ROLE_REQUIRED`, `NOT_FOUND`, `RATE_LIMITED`, `TOO_LARGE`, \
         `BODY_TIMEOUT`, `BUSY`, `INTERNAL`…):",
    );
    for r in Refusal::ALL {
        text.push_str(&format!("\n- `{}` ({}): {}", r.code(), refusal_status(r.kind()).as_u16(), r.message_en()));
    }
    text
}

/// What any keyed operation may answer besides its own statuses, added where its annotation
/// does not already say: 401 (no or unknown key), 429 (over the key's rate, with `Retry-After`),
/// 500 (a failure on our side), 503 (the store unavailable for a moment, with `Retry-After`).
fn keyed_errors(responses: &mut BTreeMap<String, RefOr<ResponseDoc>>) {
    let envelope = || Content::new(Some(Ref::from_schema_name("ErrorEnvelope")));
    let retry_after = Header::new(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)));
    let added = [
        ("401", ResponseBuilder::new().description("UNAUTHENTICATED")),
        ("429", ResponseBuilder::new().description("RATE_LIMITED").header("Retry-After", retry_after.clone())),
        ("500", ResponseBuilder::new().description("INTERNAL")),
        ("503", ResponseBuilder::new().description("STORE_UNAVAILABLE").header("Retry-After", retry_after)),
    ];
    for (status, response) in added {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| response.content("application/json", envelope()).build().into());
    }
}

/// What an operation may answer when its request cannot be taken, added where its annotation
/// does not already say: 400 for a query string, path or body it cannot read; 404 for a path
/// naming nothing; 408 for a body that arrived too slowly and 413 for one over the limit.
fn reading_errors(op: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::path::ParameterIn;
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params.iter().any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_body = op.request_body.is_some();
    let added = [
        (
            "400",
            "BAD_REQUEST: the query string or the path or the body could not be read",
            has_body || !params.is_empty(),
        ),
        ("404", "NOT_FOUND", in_path),
        ("408", "BODY_TIMEOUT: the body arrived too slowly (the connection is closed)", has_body),
        ("413", "TOO_LARGE", has_body),
    ];
    for (status, description, applies) in added {
        if applies {
            let envelope = Content::new(Some(Ref::from_schema_name("ErrorEnvelope")));
            let response = ResponseBuilder::new().description(description).content("application/json", envelope);
            op.responses.responses.entry(status.to_owned()).or_insert_with(|| response.build().into());
        }
    }
}

/// The upload's body is a file of at least one byte (an empty body is refused `FILE_INVALID`).
fn non_empty_file(op: &mut utoipa::openapi::path::Operation) {
    let Some(body) = op.request_body.as_mut() else { return };
    for content in body.content.values_mut() {
        content.schema = Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).build().into());
    }
}

/// The document as pretty JSON, built once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".to_owned()))
}

/// `GET /v1/openapi.json`: this document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "service", operation_id = "openapi_document",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = Object)))]
pub async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document_json()).into_response()
}
