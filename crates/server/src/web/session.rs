//! Web sessions (kept in the store by the bureau) and sign-in failures (in memory).
//!
//! A session is created at sign-in from 32 random bytes (the token). The browser holds the token,
//! hex-encoded, in the `ob_session` cookie; the store keeps only its SHA-256 with the person's
//! document, encrypted (`ob_bureau::session`), so that a restart signs no one out and a copy of
//! the store opens no session. Sessions last at most [`limits::SESSION_S_MAX`] seconds; at most
//! [`limits::SESSIONS_MAX`] are held, the oldest going first. Forms carry a CSRF token, the hex of
//! SHA-256(`"csrf"` ‖ token): it can be computed only from the cookie, which scripts of other
//! sites never see.
//!
//! A session remembers the self-view it showed (the report page's inquiry), so a refresh shows the
//! same view again instead of spending another of the year's free self-views.
//!
//! Failed sign-ins are counted per document and client address (by the SHA-256 of the document's
//! type and number and the address); after [`limits::SIGNIN_FAILURES_MAX`] in a row that pair is
//! locked for [`limits::SIGNIN_LOCK_S`] seconds, whatever the password, each further lock twice
//! as long up to [`limits::SIGNIN_LOCK_S_MAX`]. A person signing in from elsewhere is not locked
//! out by someone failing on purpose. A pair quiet for [`limits::SIGNIN_FORGET_S`] is forgotten.
//! These stay in memory: a restart forgets them, which only the operator can cause.

use super::WebError;
use crate::error::ApiError;
use crate::{AppState, blocking};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use ob_bureau::session::SessionView;
use ob_model::{DocumentNumber, limits};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Name of the session cookie.
pub const COOKIE: &str = "ob_session";

/// Bytes of randomness in a session token.
pub const TOKEN_BYTES: usize = 32;

fn digest(token: &[u8; TOKEN_BYTES]) -> [u8; 32] {
    Sha256::digest(token).into()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing here is left half-changed by a panic worth refusing service for.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The CSRF token of a session token.
pub fn csrf_of(token: &[u8; TOKEN_BYTES]) -> String {
    let mut h = Sha256::new();
    h.update(b"csrf");
    h.update(token);
    hex::encode(h.finalize())
}

/// Equality in time independent of where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Opens a session for `document` (its password verified); returns the token for the cookie
/// (hex). The store keeps only the token's SHA-256.
pub async fn create(state: &AppState, document: DocumentNumber) -> Result<String, WebError> {
    let mut token = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut token).map_err(|_| WebError::from(ApiError::internal()))?;
    let (d, now) = (digest(&token), state.web.now());
    blocking(state, move |b| Ok(b.open_session(&d, &document, now)?)).await?;
    Ok(hex::encode(token))
}

/// The session whose token is `token`, while it lasts.
pub(crate) async fn get(state: &AppState, token: &[u8; TOKEN_BYTES]) -> Result<Option<SessionView>, ApiError> {
    let (d, now) = (digest(token), state.web.now());
    blocking(state, move |b| Ok(b.session(&d, now)?)).await
}

/// Ends the session whose token is `token` (sign-out), if there is one.
pub async fn end(state: &AppState, token: &[u8; TOKEN_BYTES]) -> Result<(), ApiError> {
    let d = digest(token);
    blocking(state, move |b| Ok(b.end_session(&d).map(drop)?)).await
}

/// One (document, address) pair's failed sign-ins.
#[derive(Clone, Copy, Debug, Default)]
struct Failure {
    count: u32,
    last_at: i64,
    locked_until: i64,
    /// Locks so far: each one twice as long as the one before.
    locks: u32,
}

/// Failed sign-ins per document and client address.
#[derive(Default)]
pub struct Failures(Mutex<HashMap<[u8; 32], Failure>>);

/// The key failures are counted by: SHA-256 of the document's type and number and the client's
/// address (`None`, when the server was not told it, is one address for all). An IPv6 address
/// counts by its /64, the block one subscriber gets: otherwise one client would have 2^64
/// addresses to fail from.
fn failure_key(document: &DocumentNumber, from: Option<std::net::IpAddr>) -> [u8; 32] {
    let from = from.map(|a| match a {
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            std::net::IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    });
    let mut h = Sha256::new();
    h.update(document.doc_type().as_str().as_bytes());
    h.update(b":");
    h.update(document.expose().as_bytes());
    h.update(b"@");
    h.update(from.map(|a| a.to_string()).unwrap_or_default().as_bytes());
    h.finalize().into()
}

/// How long the `locks`-th lock lasts.
fn lock_s(locks: u32) -> i64 {
    let doubled = limits::SIGNIN_LOCK_S.saturating_mul(1_i64 << locks.saturating_sub(1).min(30));
    doubled.min(limits::SIGNIN_LOCK_S_MAX)
}

impl Failures {
    /// Whether the document is locked now for sign-ins from `from`.
    pub fn locked(&self, document: &DocumentNumber, from: Option<std::net::IpAddr>, now: i64) -> bool {
        lock(&self.0).get(&failure_key(document, from)).is_some_and(|f| f.locked_until > now)
    }

    /// Counts a failure from `from`; the last allowed one locks the pair.
    pub fn fail(&self, document: &DocumentNumber, from: Option<std::net::IpAddr>, now: i64) {
        let mut map = lock(&self.0);
        if map.len() >= limits::SESSIONS_MAX {
            map.retain(|_, f| f.locked_until > now || f.last_at + limits::SIGNIN_FORGET_S > now);
        }
        if map.len() >= limits::SESSIONS_MAX {
            // Full of recent failures: an attack on many documents at once. Forget the oldest,
            // unlocked first; the map never grows past its bound (a lock may be forgotten early).
            let oldest = map.iter().min_by_key(|(_, f)| (f.locked_until > now, f.last_at)).map(|(k, _)| *k);
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        let f = map.entry(failure_key(document, from)).or_default();
        if f.last_at + limits::SIGNIN_FORGET_S <= now {
            *f = Failure::default();
        }
        f.count += 1;
        f.last_at = now;
        if f.count >= limits::SIGNIN_FAILURES_MAX {
            f.locks += 1;
            f.locked_until = now + lock_s(f.locks);
            f.count = 0;
        }
    }

    /// Forgets the pair's failures (a successful sign-in).
    pub fn succeed(&self, document: &DocumentNumber, from: Option<std::net::IpAddr>) {
        lock(&self.0).remove(&failure_key(document, from));
    }
}

/// The session token sent in the `ob_session` cookie, if well formed.
pub fn token_of(headers: &HeaderMap) -> Option<[u8; TOKEN_BYTES]> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)?
        .1;
    let mut token = [0u8; TOKEN_BYTES];
    hex::decode_to_slice(value.trim(), &mut token).ok()?;
    Some(token)
}

/// The `Set-Cookie` value opening a session.
pub fn set_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}", limits::SESSION_S_MAX)
}

/// The `Set-Cookie` value ending it.
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}")
}

/// The signed-in person, from the session cookie. An API key opens nothing here. Without a
/// session, a page (GET) redirects to the sign-in form; anything else is 401.
pub struct SignedIn {
    /// Their document: the only file these pages open.
    pub document: DocumentNumber,
    /// The CSRF token their forms carry.
    pub csrf: String,
    /// The self-view this session's report page showed last (the bureau says whether it is
    /// still today's).
    pub shown: Option<ob_store::InquiryId>,
    token: [u8; TOKEN_BYTES],
}

impl SignedIn {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if same(sent, &self.csrf) { Ok(()) } else { Err(WebError::csrf()) }
    }

    /// The SHA-256 of the session's token: the session's key in the store.
    pub fn session_key(&self) -> [u8; 32] {
        digest(&self.token)
    }

    /// Ends the session.
    pub async fn end(&self, state: &AppState) -> Result<(), ApiError> {
        end(state, &self.token).await
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, WebError> {
        let page = parts.method == Method::GET || parts.method == Method::HEAD;
        let token = token_of(&parts.headers).ok_or_else(|| WebError::sign_in_first(page))?;
        let session = get(state, &token).await?.ok_or_else(|| WebError::sign_in_first(page))?;
        Ok(SignedIn { document: session.document, csrf: csrf_of(&token), shown: session.shown, token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ob_model::DocumentType;

    fn doc() -> DocumentNumber {
        DocumentNumber::parse(DocumentType::PrcResidentId, "11010519491231002X").unwrap()
    }

    #[test]
    fn failures_lock_the_pair_with_backoff_then_forget() {
        let f = Failures::default();
        let (here, there) = (Some([10, 0, 0, 1].into()), Some([10, 0, 0, 2].into()));
        let fail_until_locked = |at: i64| {
            for i in 0..limits::SIGNIN_FAILURES_MAX {
                assert!(!f.locked(&doc(), here, at), "not locked after {i}");
                f.fail(&doc(), here, at);
            }
        };
        fail_until_locked(100);
        assert!(f.locked(&doc(), here, 100));
        assert!(!f.locked(&doc(), there, 100), "the same document from elsewhere is not locked");
        let (v6, same_block) = (Some("2001:db8:1:2::5".parse().unwrap()), Some("2001:db8:1:2::99".parse().unwrap()));
        for _ in 0..limits::SIGNIN_FAILURES_MAX {
            f.fail(&doc(), v6, 100);
        }
        assert!(f.locked(&doc(), same_block, 100), "an IPv6 client counts by its /64");
        assert!(f.locked(&doc(), here, 100 + limits::SIGNIN_LOCK_S - 1));
        assert!(!f.locked(&doc(), here, 100 + limits::SIGNIN_LOCK_S));
        // The second lock lasts twice as long, and so on up to the longest.
        let t = 100 + limits::SIGNIN_LOCK_S;
        fail_until_locked(t);
        assert!(f.locked(&doc(), here, t + 2 * limits::SIGNIN_LOCK_S - 1));
        assert!(!f.locked(&doc(), here, t + 2 * limits::SIGNIN_LOCK_S));
        assert_eq!(lock_s(30), limits::SIGNIN_LOCK_S_MAX);
        // A quiet day forgets it all; a success forgets it at once.
        let later = t + limits::SIGNIN_FORGET_S + 1;
        f.fail(&doc(), here, later);
        assert_eq!(lock(&f.0).get(&failure_key(&doc(), here)).map(|x| x.locks), Some(0));
        f.succeed(&doc(), here);
        assert!(!lock(&f.0).contains_key(&failure_key(&doc(), here)));
    }

    #[test]
    fn cookie_and_csrf() {
        let mut h = HeaderMap::new();
        let token = [7u8; 32];
        h.append(header::COOKIE, format!("a=b; {COOKIE}={}", hex::encode(token)).parse().unwrap());
        assert_eq!(token_of(&h), Some(token));
        h.clear();
        h.append(header::COOKIE, format!("{COOKIE}=zz").parse().unwrap());
        assert_eq!(token_of(&h), None);
        assert_eq!(csrf_of(&token).len(), 64);
        assert_ne!(csrf_of(&token), hex::encode(digest(&token)), "the CSRF token is not the session's key");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        let c = set_cookie("00", true);
        for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure", "Max-Age="] {
            assert!(c.contains(part), "{c}");
        }
        assert!(!set_cookie("00", false).contains("Secure"));
    }
}
