//! Organizations' and operators' API keys: `Authorization: Bearer KEY`, checked against the store
//! (only the key's SHA-256 is kept there), cached for [`limits::KEY_CACHE_S`], and rate-limited
//! per key.

use crate::AppState;
use crate::error::ApiError;
use axum::http::{HeaderMap, header};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ob_bureau::access::{Principal, Role, key_digest};
use ob_model::limits;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The store's answer about a key (`None`: unknown or revoked) and when it was asked.
type CachedAnswer = (Option<Principal>, Instant);

/// Cached answers of the store about keys, and the per-key rate limiter.
pub struct KeyGuard {
    cache: Mutex<HashMap<[u8; 32], CachedAnswer>>,
    limiter: DefaultKeyedRateLimiter<[u8; 32]>,
}

/// Keys cached at most; the cache is emptied when full (unknown keys could fill it).
const KEY_CACHE_ENTRIES_MAX: usize = 100_000;

impl KeyGuard {
    /// A guard allowing `per_s` requests a second per key, in bursts of `burst`.
    pub fn new(per_s: u32, burst: u32) -> KeyGuard {
        let per_s = NonZeroU32::new(per_s).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(per_s);
        KeyGuard { cache: Mutex::default(), limiter: RateLimiter::keyed(Quota::per_second(per_s).allow_burst(burst)) }
    }

    fn cached(&self, digest: &[u8; 32]) -> Option<Option<Principal>> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let (principal, at) = cache.get(digest)?;
        (at.elapsed() < Duration::from_secs(limits::KEY_CACHE_S)).then(|| principal.clone())
    }

    fn remember(&self, digest: [u8; 32], principal: Option<Principal>) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= KEY_CACHE_ENTRIES_MAX {
            cache.clear();
            self.limiter.retain_recent();
        }
        cache.insert(digest, (principal, Instant::now()));
    }

    /// Forgets every cached answer (after a key is revoked or roles change over the API).
    pub fn forget_all(&self) {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

impl Default for KeyGuard {
    fn default() -> KeyGuard {
        KeyGuard::new(limits::HTTP_RATE_PER_KEY_PER_S, limits::HTTP_BURST_PER_KEY)
    }
}

/// The bearer key of a request, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The caller, when it holds `role`: 401 without a known key, 429 over its rate, 403 without
/// the role.
pub async fn authenticate(state: &AppState, headers: &HeaderMap, role: Role) -> Result<Principal, ApiError> {
    let key = bearer(headers).ok_or_else(ApiError::unauthenticated)?;
    let digest = key_digest(key);
    let principal = match state.keys.cached(&digest) {
        Some(p) => p,
        None => {
            let key = key.to_owned();
            let p = crate::blocking(state, move |b| Ok(b.principal_for_key(&key)?)).await?;
            state.keys.remember(digest, p.clone());
            p
        }
    };
    let principal = principal.ok_or_else(ApiError::unauthenticated)?;
    if let Err(not_until) = state.keys.limiter.check_key(&digest) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        return Err(ApiError::rate_limited(wait.as_secs().max(1)));
    }
    if !principal.has(role) {
        return Err(ApiError::forbidden(
            "ROLE_REQUIRED",
            format!("this key may not do this: it needs the {} role", role.as_str()),
        ));
    }
    Ok(principal)
}
