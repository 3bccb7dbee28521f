//! The furnisher's side of disputes: its queue, and its answers within the deadline (corrected,
//! verified, deleted; a deleted item comes back only when certified). Another furnisher's dispute
//! answers 404 like one that does not exist.

use crate::auth::authenticate_any;

/// Who answers disputes: a furnisher for the items it reported, a lender for its inquiries (a
/// person who did not authorize a look disputes it with the one who looked).
const ANSWERERS: &[Role] = &[Role::Furnisher, Role::Lender];
use crate::error::{ApiError, json_body};
use crate::{AppState, blocking};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use ob_bureau::Refusal;
use ob_bureau::access::Role;
use ob_bureau::recipients::CorrectionNotice;
use ob_bureau::rights::{Answer, DisputeView};
use ob_store::DisputeId;
use serde::{Deserialize, Serialize};

/// A dispute as its furnisher sees it: the item, never the person's identity.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DisputeItem {
    /// The dispute's id.
    pub id: i64,
    /// `account`, `month`, `inquiry`, `identity`, `special` or `agreement`.
    pub item: String,
    /// The account, as reports name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_ref: Option<String>,
    /// The month, `YYYY-MM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ob_model::YearMonth>)]
    pub month: Option<String>,
    /// The inquiry, as reports name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inquiry_ref: Option<String>,
    /// The special transaction or event, as reports name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub special_ref: Option<String>,
    /// The credit agreement, as reports name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement_ref: Option<String>,
    /// The furnisher's own key for the account or agreement disputed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// What the person says is wrong.
    #[schema(value_type = ob_model::DisputeType)]
    pub dispute_type: String,
    /// `open`, `corrected`, `verified`, `deleted`, `reinserted`, `suppressed`, `unresolved`
    #[schema(value_type = ob_model::DisputeState)]
    pub state: String,
    /// Filed on, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub filed_on: String,
    /// The answer is due by this day; an open dispute past it is suppressed from reports (US) or
    /// unresolved, the item staying marked (PRC).
    #[schema(format = Date)]
    pub due_on: String,
    /// Every step, oldest first.
    pub history: Vec<DisputeStep>,
}

/// One step of a dispute.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DisputeStep {
    /// The day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub on: String,
    /// The state entered.
    #[schema(value_type = ob_model::DisputeState)]
    pub state: String,
    /// What was said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The furnisher's queue.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DisputeList {
    /// Oldest first.
    pub disputes: Vec<DisputeItem>,
}

/// Body of `POST /v1/disputes/{id}/answer`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// `corrected` (the corrected record is already on file), `verified` or `deleted`.
    #[schema(value_type = DisputeAnswer)]
    pub answer: String,
    /// What the furnisher found.
    #[serde(default)]
    pub note: Option<String>,
}

/// A furnisher's answer to a dispute (the document's name for `AnswerBody::answer`).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum DisputeAnswer {
    /// The corrected record is already on file.
    Corrected,
    /// The item is accurate as reported.
    Verified,
    /// The item is deleted.
    Deleted,
}

/// Body of `POST /v1/disputes/{id}/reinsert`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReinsertBody {
    /// The furnisher's certification that the item is accurate.
    pub note: String,
}

fn text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn item(d: &DisputeView) -> DisputeItem {
    DisputeItem {
        id: d.id,
        item: d.item.to_owned(),
        account_ref: d.account_ref.clone(),
        month: d.month.map(|m| m.to_string()),
        inquiry_ref: d.inquiry_ref.clone(),
        special_ref: d.special_ref.clone(),
        agreement_ref: d.agreement_ref.clone(),
        key: d.furnisher_key.clone(),
        dispute_type: text(&d.dispute_type),
        state: text(&d.state),
        filed_on: d.filed_on.to_string(),
        due_on: d.due_on.to_string(),
        history: d
            .history
            .iter()
            .map(|(on, state, note)| DisputeStep { on: on.to_string(), state: text(state), note: note.clone() })
            .collect(),
    }
}

fn dispute_id(text: &str) -> Result<DisputeId, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(DisputeId)
        .ok_or_else(|| ApiError::refusal(Refusal::UnknownDispute, "no such dispute for this answerer"))
}

/// `GET /v1/disputes`: the disputes the key's furnisher must answer.
#[utoipa::path(get, path = "/v1/disputes", tag = "furnishers", operation_id = "dispute_queue",
    responses(
        (status = 200, description = "The queue", body = DisputeList),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn queue(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<DisputeList>, ApiError> {
    let who = authenticate_any(&state, &headers, ANSWERERS).await?;
    let views = blocking(&state, move |b| Ok(b.dispute_queue(&who.org_code)?)).await?;
    Ok(Json(DisputeList { disputes: views.iter().map(item).collect() }))
}

/// `POST /v1/disputes/{id}/answer`.
#[utoipa::path(post, path = "/v1/disputes/{id}/answer", tag = "furnishers", operation_id = "answer_dispute",
    params(("id" = i64, Path, description = "Dispute id")), request_body = AnswerBody,
    responses(
        (status = 200, description = "Answered; the dispute as it now stands", body = DisputeItem),
        (status = 400, description = "BAD_REQUEST", body = crate::error::ErrorEnvelope),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DisputeItem>, ApiError> {
    let who = authenticate_any(&state, &headers, ANSWERERS).await?;
    let id = dispute_id(&id)?;
    let body: AnswerBody = json_body(&body, "{answer, note}")?;
    let answer = Answer::parse(&body.answer)
        .ok_or_else(|| ApiError::bad_request("BAD_REQUEST", "answer is corrected, verified or deleted"))?;
    act_on(&state, who.org_code, id, move |b, org| b.answer_dispute(Some(org), id, answer, body.note.as_deref())).await
}

/// `POST /v1/disputes/{id}/reinsert`: a deleted item certified accurate may be reported again.
#[utoipa::path(post, path = "/v1/disputes/{id}/reinsert", tag = "furnishers", operation_id = "reinsert_dispute",
    params(("id" = i64, Path, description = "Dispute id")), request_body = ReinsertBody,
    responses(
        (status = 200, description = "Reinserted; the person is told", body = DisputeItem),
        (status = 400, description = "BAD_REQUEST", body = crate::error::ErrorEnvelope),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn reinsert(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DisputeItem>, ApiError> {
    let who = authenticate_any(&state, &headers, ANSWERERS).await?;
    let id = dispute_id(&id)?;
    let body: ReinsertBody = json_body(&body, "{note}")?;
    act_on(&state, who.org_code, id, move |b, org| b.certify_reinsertion(org, id, &body.note)).await
}

/// A furnisher's step on one of its disputes, then the dispute as it stands.
async fn act_on(
    state: &AppState,
    org_code: String,
    id: DisputeId,
    step: impl FnOnce(&mut crate::ServerBureau, &str) -> ob_bureau::Result<()> + Send + 'static,
) -> Result<Json<DisputeItem>, ApiError> {
    let view = blocking(state, move |b| {
        step(b, &org_code)?;
        Ok(b.dispute_view(&org_code, id)?)
    })
    .await?;
    Ok(Json(item(&view)))
}

/// Who reads correction notices: those who receive reports.
const RECIPIENTS: &[Role] = &[Role::Lender];

/// A notice, sent at the person's request, that a disputed item a report of this organization held
/// was deleted, corrected or is disputed (FCRA §611(d)): never the person's identity, the item
/// named as this organization's copy named it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CorrectionNoticeItem {
    /// The notice's id: pass the last one read as `after`.
    pub id: i64,
    /// The report it concerns: the id the organization's copy carried.
    pub report_id: String,
    /// `account`, `month`, `inquiry`, `identity`, `special` or `agreement`.
    pub item: String,
    /// The account, as the organization's copy named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_ref: Option<String>,
    /// The month, `YYYY-MM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ob_model::YearMonth>)]
    pub month: Option<String>,
    /// The inquiry, as the organization's copy named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inquiry_ref: Option<String>,
    /// The special transaction or event, as the organization's copy named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub special_ref: Option<String>,
    /// The credit agreement, as the organization's copy named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement_ref: Option<String>,
    /// `deleted` or `suppressed` (off the file), `corrected` (today's report shows it corrected),
    /// or `open`, `verified`, `unresolved`, `reinserted` (it stands, disputed by the person).
    #[schema(value_type = ob_model::DisputeState)]
    pub state: String,
    /// The day the notice was made, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub noticed_on: String,
}

/// A page of an organization's correction notices.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CorrectionNoticeList {
    /// Oldest first.
    pub notices: Vec<CorrectionNoticeItem>,
    /// When the page is full: the `after` of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

/// Query of `GET /v1/correction-notices`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NoticeQuery {
    /// Notices with ids above this one (the last one read).
    pub after: Option<i64>,
}

fn notice_item(n: &CorrectionNotice) -> CorrectionNoticeItem {
    CorrectionNoticeItem {
        id: n.id,
        report_id: n.report_id.clone(),
        item: n.item.to_owned(),
        account_ref: n.account_ref.clone(),
        month: n.month.map(|m| m.to_string()),
        inquiry_ref: n.inquiry_ref.clone(),
        special_ref: n.special_ref.clone(),
        agreement_ref: n.agreement_ref.clone(),
        state: text(&n.state),
        noticed_on: n.noticed_on.to_string(),
    }
}

/// `GET /v1/correction-notices`: what became of disputed items the key's organization had in its
/// reports, oldest first, a page of at most 1,000 (`limits::CORRECTION_NOTICES_PAGE_MAX`).
#[utoipa::path(get, path = "/v1/correction-notices", tag = "lenders", operation_id = "correction_notices",
    params(NoticeQuery),
    responses(
        (status = 200, description = "A page of notices", body = CorrectionNoticeList),
        (status = 401, description = "UNAUTHENTICATED", body = crate::error::ErrorEnvelope),
        (status = 403, description = "ROLE_REQUIRED", body = crate::error::ErrorEnvelope)),
    security(("api_key" = [])))]
pub async fn notices(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Result<Json<CorrectionNoticeList>, ApiError> {
    let who = authenticate_any(&state, &headers, RECIPIENTS).await?;
    let after = q.after.unwrap_or(0);
    let page = blocking(&state, move |b| Ok(b.correction_notices_for(&who.org_code, after)?)).await?;
    let full = page.len() == ob_model::limits::CORRECTION_NOTICES_PAGE_MAX as usize;
    let next_after = full.then(|| page.last().map(|n| n.id)).flatten();
    Ok(Json(CorrectionNoticeList { notices: page.iter().map(notice_item).collect(), next_after }))
}
