//! People's web sessions, kept in the store so that a restart (or a switch to the replica) signs
//! no one out.
//!
//! The server makes the token (32 random bytes, sent to the browser in a cookie) and gives the
//! bureau only its SHA-256: the bureau never sees a token, and a copy of the store opens no
//! session. The document signed in with is stored encrypted, as in the documents table. A session
//! lasts [`limits::SESSION_S_MAX`] seconds from its opening; at most [`limits::SESSIONS_MAX`] are
//! held, and at most [`limits::SESSIONS_PER_PERSON_MAX`] of one person's, the oldest going first
//! when a new one opens.

use crate::{Bureau, BureauError, Result, crypto};
use ob_model::{DocumentNumber, limits};
use ob_store::{InquiryId, Store, StoreError, WebSessionRow};

/// A session as the pages use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The document signed in with: the only file the session opens.
    pub document: DocumentNumber,
    /// The self-view the report page last showed in this session.
    pub shown: Option<InquiryId>,
}

impl<S: Store> Bureau<S> {
    /// Opens a session, under the SHA-256 of its token, for the person holding `document`
    /// (whose password the caller has verified), at `now` (unix seconds). Expired sessions go
    /// first, then the oldest while the store holds the most it may.
    pub fn open_session(&mut self, token_sha256: &[u8; 32], document: &DocumentNumber, now: i64) -> Result<()> {
        // Sealed after the writer opens: it says which key seals now (see `checked_write`).
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let number_enc = self.keys.encrypt_text(&crypto::document_context(document.doc_type()), document.expose())?;
        let subject = crate::subject_by_document(w.as_ref(), &self.keys, document)?.ok_or(BureauError::NoFile)?;
        let keep = u64::try_from(limits::SESSIONS_MAX - 1).unwrap_or(u64::MAX);
        w.prune_web_sessions(now - limits::SESSION_S_MAX, keep)?;
        w.prune_web_sessions_of(subject.id, limits::SESSIONS_PER_PERSON_MAX - 1)?;
        w.insert_web_session(&WebSessionRow {
            token_sha256: *token_sha256,
            subject_id: subject.id,
            doc_type: document.doc_type(),
            number_enc,
            created_at: now,
            shown_inquiry: None,
        })?;
        w.commit()?;
        Ok(())
    }

    /// The session whose token has this SHA-256, while it lasts at `now`. An expired session
    /// met here is deleted at once: its document is kept no longer than it serves.
    pub fn session(&mut self, token_sha256: &[u8; 32], now: i64) -> Result<Option<SessionView>> {
        let Some(row) = self.store.read()?.web_session(token_sha256)? else { return Ok(None) };
        if row.created_at + limits::SESSION_S_MAX <= now {
            self.end_session(token_sha256)?;
            return Ok(None);
        }
        let number = self.keys.decrypt_text(&crypto::document_context(row.doc_type), &row.number_enc)?;
        let document = DocumentNumber::parse(row.doc_type, &number)
            .map_err(|e| StoreError::Corrupt(format!("a session's document does not validate: {e}")))?;
        Ok(Some(SessionView { document, shown: row.shown_inquiry }))
    }

    /// Notes the self-view the session's report page shows, so that a refresh shows it again.
    pub fn remember_session_view(&mut self, token_sha256: &[u8; 32], inquiry: InquiryId) -> Result<()> {
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        w.set_web_session_shown(token_sha256, inquiry)?;
        w.commit()?;
        Ok(())
    }

    /// Ends the session (sign-out); whether there was one.
    pub fn end_session(&mut self, token_sha256: &[u8; 32]) -> Result<bool> {
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let ended = w.delete_web_session(token_sha256)?;
        w.commit()?;
        Ok(ended)
    }

    /// Sessions held, expired ones included until pruned.
    pub fn sessions_held(&self) -> Result<u64> {
        Ok(self.store.read()?.web_sessions_held()?)
    }
}
