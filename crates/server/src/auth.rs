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

/// Known keys' principals and when the store was asked.
type Known = HashMap<[u8; 32], (Principal, Instant)>;
/// Unknown or revoked keys and when the store was asked.
type Unknown = HashMap<[u8; 32], Instant>;

/// Cached answers of the store about keys, and the per-key rate limiter.
pub struct KeyGuard {
    /// Both maps, and the generation: raised by [`KeyGuard::forget_all`], so that an answer
    /// asked for before a revocation is not remembered after it.
    cache: Mutex<(Known, Unknown, u64)>,
    limiter: DefaultKeyedRateLimiter<[u8; 32]>,
}

/// Known keys cached at most; the map is emptied when full.
const KNOWN_KEYS_CACHED_MAX: usize = 100_000;
/// Unknown keys cached at most, apart from the known ones so that guessing cannot evict them.
const UNKNOWN_KEYS_CACHED_MAX: usize = 10_000;

impl KeyGuard {
    /// A guard allowing `per_s` requests a second per key, in bursts of `burst`.
    pub fn new(per_s: u32, burst: u32) -> KeyGuard {
        let per_s = NonZeroU32::new(per_s).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(per_s);
        KeyGuard { cache: Mutex::default(), limiter: RateLimiter::keyed(Quota::per_second(per_s).allow_burst(burst)) }
    }

    /// The cached answer (`Some(None)`: known to be unknown), and the generation it was read in.
    fn cached(&self, digest: &[u8; 32]) -> (Option<Option<Principal>>, u64) {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = |at: &Instant| at.elapsed() < Duration::from_secs(limits::KEY_CACHE_S);
        let answer = match (cache.0.get(digest), cache.1.get(digest)) {
            (Some((p, at)), _) if fresh(at) => Some(Some(p.clone())),
            (_, Some(at)) if fresh(at) => Some(None),
            _ => None,
        };
        (answer, cache.2)
    }

    /// Remembers the store's answer, unless keys changed since it was asked (`generation`).
    fn remember(&self, digest: [u8; 32], principal: Option<Principal>, generation: u64) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.2 != generation {
            return;
        }
        match principal {
            Some(p) => {
                if cache.0.len() >= KNOWN_KEYS_CACHED_MAX {
                    cache.0.clear();
                    self.limiter.retain_recent();
                }
                cache.1.remove(&digest);
                cache.0.insert(digest, (p, Instant::now()));
            }
            None => {
                if cache.1.len() >= UNKNOWN_KEYS_CACHED_MAX {
                    cache.1.clear();
                }
                cache.0.remove(&digest);
                cache.1.insert(digest, Instant::now());
            }
        }
    }

    /// Forgets every cached answer (after a key is revoked or roles change over the API).
    pub fn forget_all(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.0.clear();
        cache.1.clear();
        cache.2 += 1;
    }
}

impl Default for KeyGuard {
    fn default() -> KeyGuard {
        KeyGuard::new(limits::HTTP_RATE_PER_KEY_PER_S, limits::HTTP_BURST_PER_KEY)
    }
}

/// The bearer key of a request, if it has the shape of a key (64 hex digits): anything else is
/// refused without asking the store.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let key = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")?.trim();
    (key.len() == 2 * ob_bureau::access::KEY_BYTES && key.bytes().all(|b| b.is_ascii_hexdigit())).then_some(key)
}

/// The caller, when it holds `role`: 401 without a known key, 429 over its rate, 403 without
/// the role.
pub async fn authenticate(state: &AppState, headers: &HeaderMap, role: Role) -> Result<Principal, ApiError> {
    authenticate_any(state, headers, &[role]).await
}

/// [`authenticate`], for a caller holding any of `roles`.
pub async fn authenticate_any(state: &AppState, headers: &HeaderMap, roles: &[Role]) -> Result<Principal, ApiError> {
    let key = bearer(headers).ok_or_else(ApiError::unauthenticated)?;
    let digest = key_digest(key);
    let principal = match state.keys.cached(&digest) {
        (Some(p), _) => p,
        (None, generation) => {
            let key = key.to_owned();
            let p = crate::blocking(state, move |b| Ok(b.principal_for_key(&key)?)).await?;
            state.keys.remember(digest, p.clone(), generation);
            p
        }
    };
    let principal = principal.ok_or_else(ApiError::unauthenticated)?;
    if let Err(not_until) = state.keys.limiter.check_key(&digest) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        return Err(ApiError::rate_limited(wait.as_secs().max(1)));
    }
    if !roles.iter().any(|r| principal.has(*r)) {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        return Err(ApiError::forbidden(
            "ROLE_REQUIRED",
            format!("this key may not do this: it needs the {} role", names.join(" or ")),
        ));
    }
    Ok(principal)
}
