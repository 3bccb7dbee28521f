//! People's web pages: server-rendered HTML (askama templates, escaped), usable without
//! JavaScript, in Chinese with English beside it.
//!
//! A person signs in with their document and password (argon2id, verified outside the bureau's
//! lock; unknown documents are verified against a decoy hash so the timing does not tell; a
//! document is locked, for the address that failed, for `SIGNIN_LOCK_S` after
//! `SIGNIN_FAILURES_MAX` failures, see `ob_model::limits`).
//! The session lives in the store ([`session`]), keyed by the SHA-256 of a random token that only
//! the `ob_session` cookie holds (HttpOnly, SameSite=Strict, Path=/, Secure when configured).
//! Every form that changes something carries a token derived from the session, and it is checked.
//!
//! The pages under `/me` show only the signed-in person's own file: no URL takes a person's
//! identifier. Opening `/me/report` is a self-view (本人查询), logged and counted against the
//! year's free ones; the other pages read without counting.

mod pages;
pub mod session;
mod view;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ob_bureau::clock::{Clock, SystemClock};
use session::Failures;
use std::sync::Arc;

/// Largest form accepted, in bytes.
pub const FORM_BYTES_MAX: usize = 16 * 1024;

/// What the pages share: sign-in failures, the cookie setting and the clock that sessions and
/// locks expire by (the sessions themselves are in the store).
pub struct Web {
    failures: Failures,
    /// Password verifications at once (argon2 costs tens of milliseconds of a core each): a flood
    /// of sign-ins waits here instead of taking every core from the API.
    verifications: Arc<tokio::sync::Semaphore>,
    /// PDFs printed at once (each a Chromium process).
    pdf_renders: Arc<tokio::sync::Semaphore>,
    secure_cookies: bool,
    clock: Arc<dyn Clock>,
}

impl Default for Web {
    fn default() -> Web {
        Web {
            failures: Failures::default(),
            verifications: Arc::new(tokio::sync::Semaphore::new(ob_model::limits::SIGNIN_VERIFICATIONS_MAX)),
            pdf_renders: Arc::new(tokio::sync::Semaphore::new(ob_model::limits::PDF_RENDERS_MAX)),
            secure_cookies: false,
            clock: Arc::new(SystemClock),
        }
    }
}

impl Web {
    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }
}

impl AppState {
    /// Marks the session cookie `Secure` (serve behind HTTPS); off by default for
    /// `http://127.0.0.1`.
    pub fn with_secure_cookies(mut self, secure: bool) -> AppState {
        self.web_mut().secure_cookies = secure;
        self
    }

    /// The clock web sessions and sign-in locks expire by (tests set the bureau's manual clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> AppState {
        self.web_mut().clock = clock;
        self
    }

    /// Web sessions held now (in the store, expired ones included until pruned).
    pub async fn web_sessions(&self) -> Result<u64, crate::error::ApiError> {
        crate::blocking(self, |b| Ok(b.sessions_held()?)).await
    }

    fn web_mut(&mut self) -> &mut Web {
        // Set up before the state is shared; a copy of a shared one keeps its settings and starts
        // with no sign-in failures counted.
        if Arc::get_mut(&mut self.web).is_none() {
            let (secure_cookies, clock) = (self.web.secure_cookies, self.web.clock.clone());
            self.web = Arc::new(Web { secure_cookies, clock, ..Web::default() });
        }
        Arc::get_mut(&mut self.web).expect("just made unique")
    }
}

/// A person's report as the report page's HTML without navigation, to print (the CLI's and the
/// server's PDF).
pub fn report_html(
    report: &ob_bureau::report::Report,
    free_self_views_per_year: u8,
    disputes: &[ob_bureau::rights::DisputeView],
    flags: &[ob_bureau::person::FlagView],
) -> Result<String, askama::Error> {
    askama::Template::render(&view::ReportPage::new(None, report, free_self_views_per_year, disputes, flags))
}

/// The document of the signed-in person whose session cookie `headers` carry, while it lasts.
pub(crate) async fn session_document(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<ob_model::DocumentNumber>, crate::error::ApiError> {
    let Some(token) = session::token_of(headers) else { return Ok(None) };
    Ok(session::get(state, &token).await?.map(|s| s.document))
}

/// The pages' routes, to merge into the API's router.
pub fn routes() -> Router<AppState> {
    let page = |r: axum::routing::MethodRouter<AppState>| r.fallback(method_not_allowed);
    Router::new()
        .route("/", page(get(pages::home)))
        .route("/signin", page(post(pages::sign_in)))
        .route("/signout", page(post(pages::sign_out)))
        .route("/me", page(get(pages::me)))
        .route("/me/report", page(get(pages::report)))
        .route("/me/report.pdf", page(get(pages::report_pdf)))
        .route("/me/inquiries", page(get(pages::inquiries)))
        .route("/me/authorizations", page(get(pages::authorizations)))
        .route("/me/authorizations/revoke", page(post(pages::revoke)))
        .route("/me/disputes", page(get(pages::disputes).post(pages::file_dispute)))
        .route("/me/disputes/tell", page(post(pages::tell_recipients)))
        .route("/me/statements", page(get(pages::statements).post(pages::add_statement)))
        .route("/me/statements/withdraw", page(post(pages::withdraw_statement)))
        .layer(DefaultBodyLimit::max(FORM_BYTES_MAX))
        .layer(middleware::from_fn(page_headers))
}

/// Headers of every page: personal data is not cached, framed, or sent on as a referrer; no
/// script runs, styles are inline, forms post only to this site.
async fn page_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let set = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    ];
    for (name, value) in set {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn method_not_allowed() -> WebError {
    WebError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "此页面不接受该请求方式",
        "this page does not take this method",
    )
}

/// An error on a page: an HTML page with the status and the code, or a redirect to sign in.
#[derive(Debug)]
pub struct WebError {
    status: StatusCode,
    code: &'static str,
    zh: String,
    en: String,
    /// Send the browser here instead (anonymous GETs of pages go to the sign-in form).
    redirect: Option<&'static str>,
}

impl WebError {
    fn new(status: StatusCode, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> WebError {
        WebError { status, code, zh: zh.into(), en: en.into(), redirect: None }
    }

    fn pdf_unavailable(e: &crate::pdf::PdfError) -> WebError {
        let zh = match e {
            crate::pdf::PdfError::NoChromium => "服务器暂不能生成 PDF，请使用浏览器的“打印/另存为 PDF”",
            _ => "PDF 生成失败，请稍后再试，或使用浏览器的“打印/另存为 PDF”",
        };
        WebError::new(StatusCode::SERVICE_UNAVAILABLE, "PDF_UNAVAILABLE", zh, e.to_string())
    }

    fn bad_request(zh: &str, en: &str) -> WebError {
        WebError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", zh, en)
    }

    pub(crate) fn csrf() -> WebError {
        WebError::new(
            StatusCode::FORBIDDEN,
            "CSRF",
            "表单已失效，请返回页面重新提交",
            "the form is stale or did not come from this site: go back, reload and send it again",
        )
    }

    fn sign_in_first(redirect: bool) -> WebError {
        let mut e = WebError::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "请先登录", "sign in first");
        e.redirect = redirect.then_some("/");
        e
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        let zh = match e.code {
            "NO_FILE" => "没有该证件的信用档案",
            "INTERNAL" => "系统内部错误",
            code => ob_bureau::Refusal::from_code(code).map_or("请求未能完成", ob_bureau::Refusal::message_zh),
        };
        WebError::new(e.status, e.code, zh, e.message)
    }
}

impl From<ob_bureau::BureauError> for WebError {
    fn from(e: ob_bureau::BureauError) -> WebError {
        ApiError::from(e).into()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let Some(to) = self.redirect {
            return Redirect::to(to).into_response();
        }
        let page =
            view::ErrorPage { nav: None, status: self.status.as_u16(), code: self.code, zh: &self.zh, en: &self.en };
        match askama::Template::render(&page) {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        }
    }
}

/// Renders a template as a page, or the error page.
fn render(template: &impl askama::Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            crate::log_line(&serde_json::json!({"event": "template_error", "error": e.to_string()}));
            WebError::from(ApiError::internal()).into_response()
        }
    }
}
