//! OpenBureau's application core.
//!
//! [`Bureau`] owns the store, the identifier keys and the clock. It ingests furnisher files
//! ([`ingest`]): each record is validated, checked against the consent ledger, matched to one
//! person, and stored, the whole batch in one transaction. It produces credit reports
//! ([`report`]) only after logging the look as an inquiry, and keeps the audit chain ([`audit`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
pub mod audit;
pub mod clock;
pub mod crypto;
pub mod explain;
pub mod ingest;
mod metro2;
mod pboc;
pub mod person;
pub mod recipients;
pub mod refusal;
pub mod render;
pub mod report;
pub mod retention;
pub mod rights;
pub mod rotation;
pub mod score;
pub mod session;
pub mod stale;

use clock::Clock;
use crypto::Keys;
use ob_model::policy::Policy;
use ob_store::Store;
pub use refusal::{Refusal, RefusalKind};
use std::sync::Arc;

/// Errors of the bureau's operations (not of individual records: those go to feedback).
#[derive(Debug, thiserror::Error)]
pub enum BureauError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] ob_store::StoreError),
    /// Reading the input failed.
    #[error("input: {0}")]
    Read(#[from] ob_formats::jsonl::ReadError),
    /// Writing output (feedback) failed.
    #[error("output: {0}")]
    Io(#[from] std::io::Error),
    /// Key problems.
    #[error(transparent)]
    Key(#[from] crypto::KeyError),
    /// The store was written with another key.
    #[error("this store was created with a different key; use the key file it was created with")]
    WrongKey,
    /// A key rotation was started and not finished (or the key file holds two keys): only
    /// `openbureau key rotate` may open the store until it finishes.
    #[error("a key rotation is unfinished: run `openbureau key rotate` again to finish it")]
    RotationUnfinished,
    /// No credit file for this document.
    #[error("no credit file for this document")]
    NoFile,
    /// The request is refused (no consent, unknown organization…).
    #[error("{}: {detail}", refusal.code())]
    Refused {
        /// Why: the stable code, its kind and general sentences.
        refusal: Refusal,
        /// What exactly, for people (the code given, the limit passed…); never identifiers.
        detail: String,
    },
    /// Training or applying the bureau score failed (not a refusal: nothing the requester can
    /// change).
    #[error("score: {0}")]
    Score(#[from] ob_score::ScoreError),
    /// An invariant of the bureau's own code failed (a fault here, not in the input); what was
    /// being done is undone.
    #[error("internal: {0}")]
    Invariant(&'static str),
}

impl BureauError {
    /// A refusal with its detail.
    pub fn refused(refusal: Refusal, detail: impl Into<String>) -> BureauError {
        BureauError::Refused { refusal, detail: detail.into() }
    }

    /// The refusal, when this is one.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            BureauError::Refused { refusal, .. } => Some(*refusal),
            _ => None,
        }
    }
}

/// Result of bureau operations.
pub type Result<T> = std::result::Result<T, BureauError>;

/// The bureau: a store, the keys that protect identifiers in it, and the clock.
pub struct Bureau<S: Store> {
    store: S,
    keys: Keys,
    clock: Arc<dyn Clock>,
    policy: Policy,
    /// The newest score model, parsed once per version.
    score_cache: Option<Arc<score::ScoreModel>>,
    /// The key file a long-running bureau (the server's) reloads when it changes.
    key_watch: Option<rotation::KeyWatch>,
}

/// Metadata key of the key check value: a store holds it from its first opening on.
pub const META_KEY_CHECK: &str = "key_check";

/// A write transaction on `store`, refused unless the store is still under `keys` (a rotation
/// under way or done by another process since this bureau opened): nothing is ever written under
/// a key the store has left. The check value's row is held until the transaction ends, so a
/// rotation's mark waits for the writers already past the check.
pub(crate) fn checked_write<'s, S: Store>(store: &'s mut S, keys: &Keys) -> Result<Box<dyn ob_store::Writer + 's>> {
    let mut w = store.write()?;
    let stored = w.meta_locked(META_KEY_CHECK)?.unwrap_or_default();
    match rotation::sealing_for(keys, &stored) {
        Some(previous) => {
            keys.seal_with_previous(previous);
            Ok(w)
        }
        None if rotation::is_mark(&stored) => Err(BureauError::RotationUnfinished),
        None => Err(BureauError::WrongKey),
    }
}

/// The person whose document this is, found by its blind index under the current key or, mid-
/// rotation, under the key being left.
pub(crate) fn subject_by_document(
    r: &dyn ob_store::Reader,
    keys: &Keys,
    document: &ob_model::DocumentNumber,
) -> Result<Option<ob_store::SubjectRow>> {
    for mac in keys.document_macs(document) {
        if let Some(row) = r.subject_by_document(&mac)? {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

impl<S: Store> Bureau<S> {
    /// Opens the bureau over a store. A new store remembers the key's check value; a store made
    /// with another key is refused.
    pub fn new(mut store: S, keys: Keys, clock: Arc<dyn Clock>) -> Result<Bureau<S>> {
        // Mid-rotation, rows and blind indexes are under two keys: no look-up could be trusted,
        // so nothing but the rotation opens the store.
        let check = keys.check_value();
        let stored = store.read()?.meta(META_KEY_CHECK)?;
        if keys.previous_version().is_some() || stored.as_deref().is_some_and(rotation::is_mark) {
            return Err(BureauError::RotationUnfinished);
        }
        match stored {
            Some(s) if s != check => return Err(BureauError::WrongKey),
            Some(_) => {}
            None => {
                let mut w = store.write()?;
                w.set_meta(META_KEY_CHECK, &check)?;
                w.commit()?;
            }
        }
        Ok(Bureau { store, keys, clock, policy: Policy::prc(), score_cache: None, key_watch: None })
    }

    /// The same bureau over its store behind `Box<dyn Store>`, so that code holding bureaus over
    /// different backends names one type.
    pub fn boxed(self) -> Bureau<Box<dyn Store>>
    where
        S: 'static,
    {
        Bureau {
            store: Box::new(self.store),
            keys: self.keys,
            clock: self.clock,
            policy: self.policy,
            score_cache: self.score_cache,
            key_watch: self.key_watch,
        }
    }

    /// Uses another policy than the PRC default.
    pub fn with_policy(mut self, policy: Policy) -> Bureau<S> {
        self.policy = policy;
        self
    }

    /// The newest score model, from the cache when its version is still the newest.
    pub fn current_score_model(&mut self) -> Result<Option<Arc<score::ScoreModel>>> {
        let latest = self.store.read()?.latest_score_version()?;
        self.score_model_of_version(latest)
    }

    /// The score model of version `latest` (the newest, as a read just saw it), from the cache
    /// when it holds that version.
    fn score_model_of_version(&mut self, latest: Option<u32>) -> Result<Option<Arc<score::ScoreModel>>> {
        if latest.is_some() && self.score_cache.as_ref().map(|m| m.version) != latest {
            self.score_cache = self.score_model()?.map(Arc::new);
        }
        Ok(self.score_cache.clone().filter(|_| latest.is_some()))
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The store, for reads.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, for administrative writes (metadata).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// The keys.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Verifies the audit chain end to end, and every signed checkpoint against this bureau's key.
    pub fn verify_audit(&self) -> Result<audit::Verification> {
        let r = self.store.read()?;
        match audit::verify(r.as_ref())? {
            audit::Verification::Intact { events } => {
                Ok(audit::verify_checkpoints(r.as_ref(), &self.keys.audit_public_key())?
                    .unwrap_or(audit::Verification::Intact { events }))
            }
            broken => Ok(broken),
        }
    }

    /// [`Bureau::checkpoint_audit`] after a committed batch or run. What was committed stands
    /// whatever happens here, and must not be reported as undone (a batch would be sent again as
    /// "already ingested", its feedback dropped). A checkpoint that fails is left to the next,
    /// which signs every head not signed yet: after a lost connection, the next write's; after a
    /// key rotation marked the store (this bureau's writes are refused until it takes the new
    /// key), the rotation's own, with the old key.
    pub(crate) fn checkpoint_after_commit(&mut self) {
        let _ = self.checkpoint_audit();
    }

    /// Signs a checkpoint of the audit chain's newest event; `None` when the chain is empty.
    pub fn checkpoint_audit(&mut self) -> Result<Option<u64>> {
        let now = self.clock.now().unix_timestamp();
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let seq = audit::checkpoint(w.as_mut(), &self.keys, now)?;
        w.commit()?;
        Ok(seq)
    }

    /// Runs `f` in one write transaction with the current time, appending an audit event of `kind`
    /// for `subject` with the detail `f` returns, and commits. For the person's rights operations.
    fn audited<T>(
        &mut self,
        kind: &str,
        subject: Option<ob_store::SubjectId>,
        org: Option<ob_store::OrgId>,
        f: impl FnOnce(&mut dyn ob_store::Writer, &Keys, &Policy, time::OffsetDateTime) -> Result<(T, serde_json::Value)>,
    ) -> Result<T> {
        let now = self.clock.now();
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        // About one person: the chain their event goes to is held from the start (PostgreSQL: until
        // commit), so that what `f` checks (a dispute still open, a consent not yet revoked) holds
        // when it writes: two requests about one person at once take their turns. (Work about no
        // one, a retention run say, takes the shared chain only to append, as before.)
        if subject.is_some() {
            w.audit_last(audit::chain_of(subject, w.audit_chains()))?;
        }
        let (value, detail) = f(w.as_mut(), &self.keys, &self.policy, now)?;
        audit::append(w.as_mut(), now.unix_timestamp(), kind, subject, org, &detail)?;
        w.commit()?;
        Ok(value)
    }
}
