//! The page handlers. Each reads or changes only the signed-in person's own file; the document
//! comes from the session, never from the request.

use super::session::{self, SignedIn};
use super::view::{
    self, AuthorizationsPage, DisputesPage, HomePage, InquiriesPage, Label, Nav, ReportPage, SignInPage, StatementsPage,
};
use super::{WebError, render};
use crate::{AppState, blocking};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use ob_bureau::access::{decoy_hash, verify_password};
use ob_bureau::rights::DisputeTarget;
use ob_model::{DisputeType, DocumentNumber, DocumentType, StatementType, YearMonth};
use ob_store::StatementId;
use serde::Deserialize;

fn nav(who: &SignedIn, page: &'static str) -> Nav {
    Nav { page, csrf: who.csrf.clone(), who: who.document.masked() }
}

fn incomplete(_: FormRejection) -> WebError {
    WebError::bad_request("表单不完整", "the form is incomplete")
}

/// After a change, back to the page with a message (post, redirect, get).
fn done(path: &str, what: &str) -> Response {
    Redirect::to(&format!("{path}?done={what}")).into_response()
}

/// The message of `?done=…`: only known values, never the text sent.
fn done_label(done: Option<&str>) -> Option<Label> {
    match done? {
        "revoked" => Some(("授权已撤销，自今日起生效", "Authorization revoked, from today")),
        "filed" => Some(("异议已提交，该项目已在报告中标注", "Dispute filed: the item is marked on your report")),
        "added" => Some(("本人声明已添加，将显示在该项目旁", "Statement added: it shows beside the item")),
        "withdrawn" => Some(("本人声明已撤回", "Statement withdrawn")),
        "told" => Some((
            "已通知近六个月内获得该项目的机构（见异议下方）",
            "Those who had the item in a report in the last six months are told (listed under the dispute)",
        )),
        "none-to-tell" => Some((
            "近六个月内没有尚未通知的、获得过该项目的机构",
            "No organization had this item in a report in the last six months, or all were told already",
        )),
        _ => None,
    }
}

/// An account (`A12`) or inquiry (`Q7`) reference as reports print it, or empty.
fn reference(s: Option<&str>, prefix: char) -> String {
    s.map(str::trim)
        .filter(|r| r.len() <= 20 && r.starts_with(prefix) && r[1..].bytes().all(|b| b.is_ascii_digit()) && r.len() > 1)
        .unwrap_or_default()
        .to_owned()
}

/// A special's reference as reports give it (`A12.S2`), or empty.
fn special_reference(s: &str) -> String {
    let s = s.trim();
    let number = |n: &str| (1..=9).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit());
    match s.split_once(".S") {
        Some((account, seq)) if !reference(Some(account), 'A').is_empty() && number(seq) => s.to_owned(),
        _ => String::new(),
    }
}

/// An agreement's reference as reports give it (`G` and twelve hex digits), or empty.
fn agreement_reference(s: &str) -> String {
    let s = s.trim();
    let hex = s.strip_prefix('G').unwrap_or_default();
    if hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()) { s.to_owned() } else { String::new() }
}

/// `GET /`: the sign-in form, or the person's start page when signed in.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = session::token_of(&headers) {
        match session::get(&state, &token).await {
            Ok(Some(_)) => return Redirect::to("/me").into_response(),
            Ok(None) => {}
            Err(e) => return WebError::from(e).into_response(),
        }
    }
    render(&SignInPage::new(false))
}

/// The sign-in form's fields. No `Debug`: it holds a password.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    document_number: String,
    #[serde(default)]
    password: String,
}

/// Every failed sign-in looks the same: unknown document, no sign-in, wrong password, locked.
fn sign_in_failed() -> Response {
    (StatusCode::UNAUTHORIZED, render(&SignInPage::new(true))).into_response()
}

/// Too many sign-ins at once: try again shortly (the attempt was counted all the same).
fn busy() -> Response {
    let mut r = sign_in_failed();
    *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("2"));
    r
}

/// Whether the browser says the request comes from another site: `Sec-Fetch-Site: cross-site`
/// (every current browser sends it), or an `Origin` whose host is not the `Host` asked for.
fn from_another_site(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    if text("sec-fetch-site") == Some("cross-site") {
        return true;
    }
    // Pages send `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` even
    // from this site: only a real origin can be compared.
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) if origin != "null" => origin.split_once("://").map(|(_, h)| h) != Some(host),
        _ => false,
    }
}

/// `POST /signin`.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    // Failures are counted per document and client address (see `session`).
    let from = extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    // No CSRF token exists before a session, so the browser's own word is taken: a sign-in form
    // posted from another site (login CSRF: signing the victim into someone else's file) is refused.
    if from_another_site(&headers) {
        return WebError::csrf().into_response();
    }
    // A sign-in ends the session this browser had, whoever it was: one browser, one session.
    if let Some(old) = session::token_of(&headers)
        && let Err(e) = session::end(&state, &old).await
    {
        return WebError::from(e).into_response();
    }
    let Ok(Form(form)) = form else { return sign_in_failed() };
    let document =
        DocumentType::parse(&form.document_type).and_then(|t| DocumentNumber::parse(t, &form.document_number).ok());
    let Some(document) = document else { return sign_in_failed() };
    let web = state.web.clone();
    if web.failures.locked(&document, from, web.now()) {
        return sign_in_failed();
    }
    // Counted before verifying, so that attempts in parallel cannot pass the lock; a success
    // forgets it.
    web.failures.fail(&document, from, web.now());
    let doc = document.clone();
    let login = match blocking(&state, move |b| Ok(b.login_of(&doc)?)).await {
        Ok(login) => login,
        Err(e) => return WebError::from(e).into_response(),
    };
    let phc = login.map(|(_, phc)| phc);
    let password = form.password;
    // argon2 is slow on purpose: off the async threads and outside the bureau's lock. A document
    // without a sign-in is checked against the decoy so that it takes as long.
    let wait = std::time::Duration::from_millis(ob_model::limits::SIGNIN_WAIT_MS_MAX);
    let Ok(Ok(_permit)) = tokio::time::timeout(wait, web.verifications.clone().acquire_owned()).await else {
        return busy();
    };
    let verified = tokio::task::spawn_blocking(move || {
        let matches = verify_password(phc.as_deref().unwrap_or(decoy_hash()), &password);
        matches && phc.is_some()
    })
    .await
    .unwrap_or(false);
    if !verified {
        return sign_in_failed();
    }
    web.failures.succeed(&document, from);
    let token = match session::create(&state, document).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let cookie = session::set_cookie(&token, web.secure_cookies);
    (StatusCode::SEE_OTHER, [(LOCATION, "/me".to_owned()), (SET_COOKIE, cookie)]).into_response()
}

/// A form that only carries the CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /signout`: ends the session and clears the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    who: SignedIn,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(incomplete)?;
    who.check_csrf(&form.csrf)?;
    who.end(&state).await?;
    let cookie = session::clear_cookie(state.web.secure_cookies);
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/".to_owned()), (SET_COOKIE, cookie)]).into_response())
}

/// `GET /me`: where things stand, without opening the report (which counts as a self-view).
pub async fn me(State(state): State<AppState>, who: SignedIn) -> Result<Response, WebError> {
    let doc = who.document.clone();
    let (log, flags, free_max, year, explanation) = blocking(&state, move |b| {
        let year = b.clock().now().year();
        let free_max = b.policy().free_self_views_per_year;
        Ok((b.query_log(&doc)?, b.flags_of_person(&doc)?, free_max, year, b.explain(&doc)?))
    })
    .await?;
    let self_views = log.iter().filter(|e| e.self_view.is_some_and(|s| s.year == year)).count() as u32;
    Ok(render(&HomePage {
        nav: Some(nav(&who, "home")),
        year,
        self_views,
        free_max,
        free_left: u32::from(free_max).saturating_sub(self_views),
        org_looks: log.iter().filter(|e| e.institution.is_some()).count(),
        flags: view::flag_lines(&flags),
        explained: view::explained(&explanation),
    }))
}

/// The person's own report for this sign-in session: logged as a self-view first, and counted.
/// A refresh in the same session on the same day shows that self-view again, assembled anew,
/// without spending another: one view per session per day at most.
async fn own_report(state: &AppState, who: &SignedIn) -> Result<OwnReport, WebError> {
    let doc = who.document.clone();
    let (shown, key) = (who.shown, who.session_key());
    let own = blocking(state, move |b| {
        // A refusal (the view shown was not today's) means a new view; anything else fails.
        let again = match shown {
            Some(id) => match b.reshow_own_report(&doc, id) {
                Ok(report) => Some(report),
                Err(e) if e.refusal() == Some(ob_bureau::Refusal::UnknownItem) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let report = match again {
            Some(report) => report,
            None => {
                let (report, inquiry) = b.produce_own_report(&doc)?;
                b.remember_session_view(&key, inquiry)?;
                report
            }
        };
        let free_max = b.policy().free_self_views_per_year;
        let own =
            OwnReport { report, free_max, disputes: b.disputes_of_person(&doc)?, flags: b.flags_of_person(&doc)? };
        Ok(own)
    })
    .await?;
    state.metrics.report();
    Ok(own)
}

/// A person's report and what its page shows beside it.
struct OwnReport {
    report: ob_bureau::report::Report,
    free_max: u8,
    disputes: Vec<ob_bureau::rights::DisputeView>,
    flags: Vec<ob_bureau::person::FlagView>,
}

/// `GET /me/report`: the person's own report (see [`own_report`]).
pub async fn report(State(state): State<AppState>, who: SignedIn) -> Result<Response, WebError> {
    let o = own_report(&state, &who).await?;
    Ok(render(&ReportPage::new(Some(nav(&who, "report")), &o.report, o.free_max, &o.disputes, &o.flags)))
}

/// `GET /me/report.pdf`: the same report as a PDF, printed from the page's HTML by headless
/// Chromium (`crate::pdf`); the same self-view as the page. One print at a time
/// (`limits::PDF_RENDERS_MAX`): others get 503 with `Retry-After`.
pub async fn report_pdf(State(state): State<AppState>, who: SignedIn) -> Result<Response, WebError> {
    // Checked before the report is produced: producing it spends a self-view.
    if crate::pdf::chromium().is_none() {
        return Err(WebError::pdf_unavailable(&crate::pdf::PdfError::NoChromium));
    }
    let Ok(permit) = state.web.pdf_renders.clone().try_acquire_owned() else {
        let mut r = WebError::pdf_unavailable(&crate::pdf::PdfError::Chromium("another PDF is being printed".into()))
            .into_response();
        r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("2"));
        return Ok(r);
    };
    let o = own_report(&state, &who).await?;
    let html = super::report_html(&o.report, o.free_max, &o.disputes, &o.flags)
        .map_err(|e| WebError::pdf_unavailable(&e.into()))?;
    let printed = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        crate::pdf::html_to_pdf(&html)
    })
    .await
    .map_err(|_| WebError::from(crate::error::ApiError::internal()))?;
    let pdf = printed.map_err(|e| WebError::pdf_unavailable(&e))?;
    let headers = [
        (axum::http::header::CONTENT_TYPE, "application/pdf"),
        (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"credit-report.pdf\""),
    ];
    Ok((headers, pdf).into_response())
}

/// `GET /me/inquiries`: who looked at the file, when and why; the person's own looks too.
pub async fn inquiries(State(state): State<AppState>, who: SignedIn) -> Result<Response, WebError> {
    let doc = who.document.clone();
    let (log, free_max) =
        blocking(&state, move |b| Ok((b.query_log(&doc)?, b.policy().free_self_views_per_year))).await?;
    Ok(render(&InquiriesPage::new(nav(&who, "inquiries"), free_max, &log)))
}

/// `?done=` after a change.
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /me/authorizations`: the person's consents, each revocable.
pub async fn authorizations(
    State(state): State<AppState>,
    who: SignedIn,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let doc = who.document.clone();
    let (consents, today) = blocking(&state, move |b| Ok((b.consents_of_person(&doc)?, b.clock().today()))).await?;
    let done = done_label(query.as_ref().ok().and_then(|q| q.done.as_deref()));
    Ok(render(&AuthorizationsPage::new(nav(&who, "authorizations"), done, &consents, today)))
}

/// The revoke button's form.
#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    consent: String,
}

/// `POST /me/authorizations/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    who: SignedIn,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(incomplete)?;
    who.check_csrf(&form.csrf)?;
    let doc = who.document.clone();
    blocking(&state, move |b| Ok(b.revoke_consent(&doc, form.consent.trim())?)).await?;
    Ok(done("/me/authorizations", "revoked"))
}

/// What the dispute form may be prefilled with (links from the report and the query log).
#[derive(Deserialize, Default)]
pub struct DisputeQuery {
    item: Option<String>,
    reference: Option<String>,
    month: Option<String>,
    done: Option<String>,
}

fn item_kind(s: Option<&str>) -> &'static str {
    match s {
        Some("inquiry") => "inquiry",
        Some("identity") => "identity",
        Some("special") => "special",
        Some("agreement") => "agreement",
        _ => "account",
    }
}

fn month_of(s: Option<&str>) -> Option<YearMonth> {
    s.map(str::trim).filter(|m| !m.is_empty()).and_then(YearMonth::parse)
}

/// A form's month field: empty is none, anything else must be `YYYY-MM`.
fn optional_month(field: &str) -> Result<Option<YearMonth>, WebError> {
    if field.trim().is_empty() {
        return Ok(None);
    }
    month_of(Some(field)).map(Some).ok_or_else(|| WebError::bad_request("月份格式为 YYYY-MM", "a month is YYYY-MM"))
}

/// `GET /me/disputes`: the form and the person's disputes with every step.
pub async fn disputes(
    State(state): State<AppState>,
    who: SignedIn,
    query: Result<Query<DisputeQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let doc = who.document.clone();
    let (list, notices) =
        blocking(&state, move |b| Ok((b.disputes_of_person(&doc)?, b.recipient_notices_of_person(&doc)?))).await?;
    let item = item_kind(q.item.as_deref());
    let given = q.reference.as_deref();
    let reference = match item {
        "inquiry" => reference(given, 'Q'),
        "special" => special_reference(given.unwrap_or_default()),
        "agreement" => agreement_reference(given.unwrap_or_default()),
        _ => reference(given, 'A'),
    };
    Ok(render(&DisputesPage {
        nav: Some(nav(&who, "disputes")),
        done: done_label(q.done.as_deref()),
        item,
        reference,
        month: month_of(q.month.as_deref()).map(|m| m.to_string()).unwrap_or_default(),
        types: view::dispute_types(),
        disputes: list
            .iter()
            .map(|d| {
                let mut line = view::dispute_line(d);
                line.notices = notices.iter().filter(|n| n.dispute == d.id).map(view::NoticeLine::of).collect();
                line
            })
            .collect(),
    }))
}

/// The form that asks for those who had a disputed item to be told.
#[derive(Deserialize)]
pub struct TellForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    dispute: String,
}

/// Tells, at the person's request, every organization that had a report holding the disputed
/// item in the last six months what became of the dispute (FCRA §611(d)).
pub async fn tell_recipients(
    State(state): State<AppState>,
    who: SignedIn,
    form: Result<Form<TellForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(incomplete)?;
    who.check_csrf(&form.csrf)?;
    let dispute = form
        .dispute
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| WebError::bad_request("请选择异议", "choose the dispute"))?;
    let doc = who.document.clone();
    let made = blocking(&state, move |b| Ok(b.tell_recipients(&doc, ob_store::DisputeId(dispute), None)?)).await?;
    Ok(done("/me/disputes", if made.is_empty() { "none-to-tell" } else { "told" }))
}

/// The dispute form.
#[derive(Deserialize)]
pub struct DisputeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    dispute_type: String,
}

/// `POST /me/disputes`: files a dispute; the item is marked at once.
pub async fn file_dispute(
    State(state): State<AppState>,
    who: SignedIn,
    form: Result<Form<DisputeForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(incomplete)?;
    who.check_csrf(&form.csrf)?;
    let kind = DisputeType::parse(&form.dispute_type)
        .ok_or_else(|| WebError::bad_request("请选择异议类型", "choose the kind of dispute"))?;
    let month = optional_month(&form.month)?;
    let target = match form.item.as_str() {
        "identity" => DisputeTarget::Identity,
        "inquiry" => DisputeTarget::Inquiry(non_empty(reference(Some(&form.reference), 'Q'))?),
        "special" => DisputeTarget::Special(non_empty(special_reference(&form.reference))?),
        "agreement" => DisputeTarget::Agreement(non_empty(agreement_reference(&form.reference))?),
        "account" => {
            let account = non_empty(reference(Some(&form.reference), 'A'))?;
            match month {
                Some(m) => DisputeTarget::Month(account, m),
                None => DisputeTarget::Account(account),
            }
        }
        _ => return Err(WebError::bad_request("请选择异议项目", "choose what you dispute")),
    };
    let doc = who.document.clone();
    blocking(&state, move |b| Ok(b.file_dispute(&doc, &target, kind)?)).await?;
    Ok(done("/me/disputes", "filed"))
}

fn non_empty(reference: String) -> Result<String, WebError> {
    if reference.is_empty() {
        Err(WebError::bad_request(
            "请填写报告中显示的编号（如 A12、Q7）",
            "give the reference your report shows (such as A12 or Q7)",
        ))
    } else {
        Ok(reference)
    }
}

/// What the statement form may be prefilled with.
#[derive(Deserialize, Default)]
pub struct StatementQuery {
    account: Option<String>,
    month: Option<String>,
    done: Option<String>,
}

/// `GET /me/statements`: the form and the person's statements.
pub async fn statements(
    State(state): State<AppState>,
    who: SignedIn,
    query: Result<Query<StatementQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let doc = who.document.clone();
    let (list, policy) = blocking(&state, move |b| Ok((b.statements_of_person(&doc)?, b.policy().clone()))).await?;
    Ok(render(&StatementsPage {
        nav: Some(nav(&who, "statements")),
        done: done_label(q.done.as_deref()),
        account: reference(q.account.as_deref(), 'A'),
        month: month_of(q.month.as_deref()).map(|m| m.to_string()).unwrap_or_default(),
        types: view::statement_types(),
        words_max: policy.statement_words_max,
        chars_max: policy.statement_chars_max,
        statements: view::statement_lines(&list),
    }))
}

/// The statement form.
#[derive(Deserialize)]
pub struct StatementForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    statement_type: String,
    #[serde(default)]
    text: String,
}

/// `POST /me/statements`: adds a statement beside a negative item.
pub async fn add_statement(
    State(state): State<AppState>,
    who: SignedIn,
    form: Result<Form<StatementForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(incomplete)?;
    who.check_csrf(&form.csrf)?;
    let kind = StatementType::parse(&form.statement_type)
        .ok_or_else(|| WebError::bad_request("请选择声明类型", "choose the kind of statement"))?;
    let account = non_empty(reference(Some(&form.account), 'A'))?;
    let month = optional_month(&form.month)?;
    let doc = who.document.clone();
    blocking(&state, move |b| Ok(b.add_statement(&doc, &account, month, kind, &form.text)?)).await?;
    Ok(done("/me/statements", "added"))
}

/// The withdraw button's form.
#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
}

/// `POST /me/statements/withdraw`.
pub async fn withdraw_statement(
    State(state): State<AppState>,
    who: SignedIn,
    form: Result<Form<WithdrawForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(incomplete)?;
    who.check_csrf(&form.csrf)?;
    let id: i64 = form.id.trim().parse().map_err(|_| WebError::bad_request("没有该声明", "no such statement"))?;
    let doc = who.document.clone();
    blocking(&state, move |b| Ok(b.withdraw_statement(&doc, StatementId(id))?)).await?;
    Ok(done("/me/statements", "withdrawn"))
}
