//! The ingest pipeline: read → validate fields → validate against the batch and the store →
//! consent gate → match the person → store; all accepted records of a batch in one transaction.
//!
//! Rejected records go to the feedback writer as JSON lines (see [`FeedbackLine`]); they never stop
//! the batch. Only a failure of the input stream, the store or the feedback output aborts it, and
//! then nothing of the batch is kept.
//!
//! One module per step:
//!
//! - `source`: the input formats ([`FileKind`], [`file_kind`]) and the `Source` they are read
//!   through, one entry at a time;
//! - `parallel`: a canonical file parsed on a thread of its own, beside the checks and writes;
//! - `chunked`: the other formats read a chunk ahead, so that their records are looked up ahead
//!   too;
//! - `check`: each record against the batch so far and the store — dates, duplicates, terms,
//!   ownership, consent, notice, dispute deletions —, ending in what the record is to write
//!   (`Accepted`) or why it stops (`Outcome`);
//! - `identity`: matching the person by the keyed hash of the document (`IDENTITY_CONFLICT`);
//! - `lookup`: what the batch knows of the store — accounts (read ahead in key order), consents,
//!   month versions, notices, dispute deletions —, each loaded on first use and kept, up to
//!   `limits::INGEST_CACHED_MAX` entries, then let go and read again when needed;
//! - `write`: storing what was accepted, then the batch row, the kept feedback and the audit event;
//! - `feedback`: the feedback lines.
//!
//! This module runs the batch: the transaction, the furnisher, the loop over entries, the counts.

mod check;
mod chunked;
mod entry;
mod feedback;
mod identity;
mod lookup;
mod parallel;
mod source;
mod write;

pub use feedback::{FEEDBACK_MEDIA_TYPE, FeedbackError, FeedbackLine, RejectHook, write_feedback};
pub(crate) use source::{Entry, Named, Source};
pub use source::{FileKind, file_digest, file_kind, furnisher_of};
pub(crate) use write::tombstone;

use crate::crypto::Keys;
use crate::{Bureau, BureauError, Refusal, Result, audit};
pub(crate) use feedback::FEEDBACK_CONTEXT;
use feedback::Keep;
use identity::SubjectInfo;
use lookup::AccountInfo;
use ob_formats::jsonl;
use ob_model::policy::Policy;
use ob_model::records::{MonthRecord, NoticeRecord, SpecialRecord};
use ob_model::{Code, FieldError, YearMonth, limits};
use ob_store::*;
use serde::Serialize;
use source::JsonlSource;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::Path;
use time::Date;

/// How a batch is to be taken.
#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    /// Register the header's furnisher if it is unknown (operator use). Otherwise unknown
    /// furnishers are refused.
    pub register_unknown_furnisher: bool,
    /// When set, the file's header must name this furnisher (the authenticated uploader).
    pub expected_furnisher: Option<String>,
    /// Keep the JSON-lines feedback file in the store, encrypted, with the batch (up to
    /// [`limits::FEEDBACK_KEPT_BYTES_MAX`]), so that it can be fetched again later.
    pub keep_feedback: bool,
    /// Accounts, people and consent lists kept in memory during the batch, each, before they
    /// are let go; `None`: [`limits::INGEST_CACHED_MAX`]. Only memory and speed depend on it,
    /// never an outcome (tests set it tiny to prove that).
    pub cached_max: Option<usize>,
    /// Look up what each chunk of records read ahead needs (people, consents, accounts, the
    /// months on file of accounts with a negative month) in a few reads, before checking its
    /// records one by one; `None`: when the store's reads each pay a round trip
    /// ([`ob_store::Reader::reads_are_remote`]). Only speed depends on it, never an outcome.
    pub prefetch: Option<bool>,
}

/// What happened to a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    /// The furnisher named in the header.
    pub furnisher: String,
    /// The batch id; for a file sent before, the earlier batch's id.
    pub batch_id: i64,
    /// True when this exact file was already ingested: nothing was changed.
    pub already_ingested: bool,
    /// Records read.
    pub records: u64,
    /// Records accepted (stored, or identical to what is stored).
    pub accepted: u64,
    /// Of the accepted, those identical to what was already stored.
    pub unchanged: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Rejections per error code (first error of each record).
    pub rejected_by_code: BTreeMap<String, u64>,
}

/// Progress of a batch, reported every [`limits::PROGRESS_EVERY_RECORDS`] records.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Records read so far.
    pub records: u64,
    /// Bytes of input read so far.
    pub bytes: u64,
}

/// The state of one batch while it is being ingested.
struct Batch<'w> {
    w: Box<dyn Writer + 'w>,
    keys: &'w Keys,
    policy: &'w Policy,
    org: OrgId,
    batch: BatchId,
    now: i64,
    today: Date,
    subjects: HashMap<[u8; 32], SubjectInfo>,
    /// Documents a look-up ahead found on no file (the batch opens a file for the first of them,
    /// which `subjects` then holds); let go with `subjects`.
    absent_documents: HashSet<[u8; 32]>,
    consents: HashMap<SubjectId, Vec<NewConsent>>,
    /// Accounts touched by this batch (at most `cached_max` of them, then let go), and their
    /// index by the furnisher's key.
    accounts: Vec<AccountInfo>,
    account_index: HashMap<String, usize>,
    /// Every (account, month) a month record of this batch named, stored or not: a second one is
    /// a duplicate. Kept for the whole batch (16 bytes a month), unlike the caches.
    batch_months: std::collections::BTreeSet<(AccountId, YearMonth)>,
    /// How many accounts, people or consent lists the caches hold before they are let go.
    cached_max: usize,
    /// Spans of keys, from the key to the value (inclusive; `None`: to the last), whose stored
    /// accounts are all in `accounts`: a key in a span and not in the cache is not on file. One
    /// span per read-ahead since the caches were last let go (a look-up ahead reads several
    /// before the records that need them come).
    keys_read: BTreeMap<String, Option<String>>,
    /// Keys a look-up ahead found on no account of the furnisher (a record of the batch may then
    /// open one, which `accounts` then holds); let go with `accounts`.
    absent_keys: HashSet<String>,
    /// What disputes deleted from this furnisher's accounts, read once per batch (disputes do
    /// not change during a batch).
    dispute_deleted: lookup::DeletedItems,
    /// Notices given in this batch for accounts not reported yet, by account key.
    pending_notices: HashMap<String, Vec<Date>>,
    /// Whether earlier batches left notices waiting for accounts (checked once per batch).
    stored_pending_notices: bool,
    /// Whether what the records read ahead need is looked up together
    /// ([`IngestOptions::prefetch`]).
    prefetch: bool,
    /// The dry check of an entry of several records (`entry`).
    dry: entry::Dry,
}

/// The outcome of one record.
enum Outcome {
    Stored,
    Unchanged,
    Rejected(Vec<FieldError>),
}

/// The result of a check: `Ok` to go on, or the outcome the record stops at (rejected, or
/// unchanged: nothing to write).
type Verdict<T> = std::result::Result<T, Outcome>;

/// A record that passed every check, with what it is to write. Indexes are into
/// [`Batch::accounts`].
enum Accepted<'r> {
    /// A new consent.
    Consent(NewConsent),
    /// A new account under the furnisher's key, with its first terms.
    NewAccount { key: &'r str, terms: AccountVersionRow },
    /// New terms of an account on file.
    AccountTerms { index: usize, terms: AccountVersionRow },
    /// A month of an account.
    Month { index: usize, month: &'r MonthRecord },
    /// The deletion of a whole account.
    DeleteAccount { index: usize },
    /// The deletion of the months `from..=to` of an account.
    DeleteMonths { index: usize, from: YearMonth, to: YearMonth },
    /// A new key for an account.
    Rekey { index: usize, old_key: &'r str, new_key: &'r str },
    /// A notice, for an account on file or (`None`) one not reported yet.
    Notice { index: Option<usize>, notice: &'r NoticeRecord },
    /// A special transaction or event on an account.
    Special { index: usize, special: &'r SpecialRecord },
    /// A version of a credit agreement.
    Agreement(ob_store::AgreementRow),
}

/// A rejection with one error.
fn reject<T>(code: Code, field: &str, message: impl Into<String>) -> Result<Verdict<T>> {
    Ok(Err(Outcome::Rejected(vec![FieldError::new(code, field, message)])))
}

impl<S: Store> Bureau<S> {
    /// The feedback file kept with batch `batch` of the furnisher whose code is `furnisher`, as
    /// [`Bureau::batch_feedback`] gives it; `None` when there is no such furnisher or batch, or
    /// none was kept.
    pub fn kept_feedback(&self, furnisher: &str, batch: BatchId) -> Result<Option<Vec<u8>>> {
        let org = match self.store.read()?.org_by_code(furnisher)? {
            Some(org) => org.id,
            None => return Ok(None),
        };
        self.batch_feedback(org, batch)
    }

    /// The feedback file kept with one of `org`'s batches (see [`IngestOptions::keep_feedback`]);
    /// `None` when the batch is not `org`'s or kept none.
    pub fn batch_feedback(&self, org: OrgId, batch: BatchId) -> Result<Option<Vec<u8>>> {
        let r = self.store.read()?;
        match r.batch(batch)? {
            Some(b) if b.org_id == org => {}
            _ => return Ok(None),
        }
        let Some(row) = r.batch_feedback(batch)? else { return Ok(None) };
        Ok(Some(self.keys.decrypt(FEEDBACK_CONTEXT, &row.body_enc)?.to_vec()))
    }

    /// One of `org`'s batches; `None` when there is no such batch or it is another's.
    pub fn batch_of(&self, org: OrgId, batch: BatchId) -> Result<Option<BatchRow>> {
        Ok(self.store.read()?.batch(batch)?.filter(|b| b.org_id == org))
    }

    /// `org`'s batches with ids above `after`, oldest first, at most `limit`
    /// (capped at [`limits::BATCHES_PAGE_MAX`]).
    pub fn batches_of(&self, org: OrgId, after: BatchId, limit: u32) -> Result<Vec<BatchRow>> {
        Ok(self.store.read()?.batches_of(org, after, limit.min(limits::BATCHES_PAGE_MAX))?)
    }

    /// Ingests a furnisher file from disk, canonical JSON lines or Metro 2 (recognised by its
    /// first byte), writing rejections to `feedback`.
    pub fn ingest_path(
        &mut self,
        path: &Path,
        options: &IngestOptions,
        feedback: &mut dyn Write,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<IngestSummary> {
        self.ingest_path_with(path, options, feedback, &mut |_, _, _| {}, progress)
    }

    /// [`Bureau::ingest_path`], also handing every rejected entry to `on_reject`.
    pub fn ingest_path_with(
        &mut self,
        path: &Path,
        options: &IngestOptions,
        feedback: &mut dyn Write,
        on_reject: RejectHook<'_>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<IngestSummary> {
        let digest = file_digest(path)?;
        match file_kind(path)? {
            FileKind::Pboc => {
                let mut source = chunked::Chunked::new(crate::pboc::PbocSource::open(path)?);
                self.ingest_source(&mut source, digest, options, feedback, on_reject, progress)
            }
            FileKind::Jsonl => {
                let file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
                let mut source = parallel::ParallelJsonl::start(jsonl::Reader::new(file)?)?;
                self.ingest_source(&mut source, digest, options, feedback, on_reject, progress)
            }
            FileKind::Metro2 => {
                let mut source = chunked::Chunked::new(crate::metro2::Metro2Source::open(path, self.clock.today())?);
                self.ingest_source(&mut source, digest, options, feedback, on_reject, progress)
            }
        }
    }

    /// Ingests a canonical JSON-lines stream whose bytes hash to `file_sha256`.
    pub fn ingest_jsonl(
        &mut self,
        input: impl BufRead,
        file_sha256: [u8; 32],
        options: &IngestOptions,
        feedback: &mut dyn Write,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<IngestSummary> {
        let mut source = JsonlSource(jsonl::Reader::new(input)?);
        self.ingest_source(&mut source, file_sha256, options, feedback, &mut |_, _, _| {}, progress)
    }

    /// Runs a batch from any source: one transaction, feedback for every rejected entry.
    fn ingest_source(
        &mut self,
        source: &mut dyn Source,
        file_sha256: [u8; 32],
        options: &IngestOptions,
        feedback: &mut dyn Write,
        on_reject: RejectHook<'_>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<IngestSummary> {
        let now = self.clock.now();
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let org = furnisher_org(w.as_mut(), source, options, now.unix_timestamp())?;
        let furnisher = source.furnisher().0.to_owned();
        let mut summary = IngestSummary {
            furnisher,
            batch_id: 0,
            already_ingested: false,
            records: 0,
            accepted: 0,
            unchanged: 0,
            rejected: 0,
            rejected_by_code: BTreeMap::new(),
        };
        if let Some(done) = w.batch_by_digest(org, &file_sha256)? {
            summary.batch_id = done.id.0;
            summary.already_ingested = true;
            (summary.records, summary.accepted, summary.rejected) = (done.records, done.accepted, done.rejected);
            return Ok(summary);
        }
        let batch = w.insert_batch(&NewBatch {
            org_id: org,
            file_sha256,
            format: source.format().into(),
            received_at: now.unix_timestamp(),
        })?;
        summary.batch_id = batch.0;
        let mut state = Batch::new(w, &self.keys, &self.policy, org, batch, now)?;
        state.cached_max = options.cached_max.unwrap_or(limits::INGEST_CACHED_MAX).max(1);
        // Mid-rotation a document has two blind indexes: the look-up ahead knows only one.
        state.prefetch =
            options.prefetch.unwrap_or_else(|| state.w.reads_are_remote()) && self.keys.previous_version().is_none();
        source.look_ahead(state.prefetch);
        let mut feedback = Keep::new(feedback, options.keep_feedback);
        loop {
            let fresh = {
                let ahead = source.ahead();
                state.prefetch_for(&ahead)?;
                !ahead.is_empty()
            };
            if fresh {
                state.prefetch_named(&source.ahead_named())?;
            }
            let Some(entry) = source.next_entry() else { break };
            let entry = entry?;
            let outcome = match &entry.outcome {
                Ok(records) => match state.check_named(entry.named.as_ref(), records)? {
                    Some(refused) => refused,
                    None => state.apply_all(records)?,
                },
                Err(errors) => Outcome::Rejected(errors.clone()),
            };
            if let Outcome::Rejected(errors) = &outcome {
                on_reject(entry.line, entry.raw, errors);
            }
            summary.count(outcome, entry.line, entry.raw, &mut feedback)?;
            state.trim_caches();
            if summary.records.is_multiple_of(limits::PROGRESS_EVERY_RECORDS) {
                progress(Progress { records: summary.records, bytes: source.bytes_read() });
            }
        }
        progress(Progress { records: summary.records, bytes: source.bytes_read() });
        feedback.flush()?;
        state.finish(&summary, feedback.into_kept())?;
        // A signed checkpoint after every batch: outsiders can verify the chain up to here.
        self.checkpoint_after_commit();
        Ok(summary)
    }
}

/// The organization of the file's furnisher, registering it when allowed.
fn furnisher_org(w: &mut dyn Writer, source: &dyn Source, options: &IngestOptions, now: i64) -> Result<OrgId> {
    let (code, name) = source.furnisher();
    if options.expected_furnisher.as_ref().is_some_and(|f| f != code) {
        return Err(BureauError::refused(
            Refusal::FurnisherMismatch,
            "the file names another furnisher than the uploader",
        ));
    }
    // The furnisher's ingest lock comes before any other (an audit chain's): one order, no
    // deadlock between two ingests.
    if let Some(org) = w.org_by_code(code)? {
        w.lock_furnisher(org.id)?;
        return Ok(org.id);
    }
    if !options.register_unknown_furnisher {
        return Err(BureauError::refused(
            Refusal::UnknownFurnisher,
            "the furnisher named in the file is not registered",
        ));
    }
    let id = w.insert_org(code, name.unwrap_or(code), now)?;
    w.lock_furnisher(id)?;
    audit::append(w, now, "org.registered", None, Some(id), &serde_json::json!({"code": code}))?;
    Ok(id)
}

impl IngestSummary {
    /// Counts one entry's outcome, writing its feedback line when it was rejected.
    fn count(&mut self, outcome: Outcome, line: u64, raw: &[u8], feedback: &mut dyn Write) -> Result<()> {
        self.records += 1;
        match outcome {
            Outcome::Stored => self.accepted += 1,
            Outcome::Unchanged => {
                self.accepted += 1;
                self.unchanged += 1;
            }
            Outcome::Rejected(errors) => {
                self.rejected += 1;
                let code = errors.first().map_or("", |e| e.code.as_str());
                *self.rejected_by_code.entry(code.to_owned()).or_default() += 1;
                write_feedback(feedback, line, raw, &errors)?;
            }
        }
        Ok(())
    }
}

impl<'w> Batch<'w> {
    /// A batch in the write transaction `w`, its row already inserted.
    fn new(
        w: Box<dyn Writer + 'w>,
        keys: &'w Keys,
        policy: &'w Policy,
        org: OrgId,
        batch: BatchId,
        now: time::OffsetDateTime,
    ) -> Result<Batch<'w>> {
        let stored_pending_notices = w.has_pending_notices(org)?;
        let dispute_deleted = lookup::dispute_deleted_of(w.as_ref(), org)?;
        Ok(Batch {
            w,
            keys,
            policy,
            org,
            batch,
            now: now.unix_timestamp(),
            today: now.date(),
            subjects: HashMap::new(),
            absent_documents: HashSet::new(),
            consents: HashMap::new(),
            accounts: Vec::new(),
            account_index: HashMap::new(),
            batch_months: std::collections::BTreeSet::new(),
            cached_max: limits::INGEST_CACHED_MAX,
            keys_read: BTreeMap::new(),
            absent_keys: HashSet::new(),
            dispute_deleted,
            pending_notices: HashMap::new(),
            stored_pending_notices,
            prefetch: false,
            dry: entry::Dry::default(),
        })
    }
}
