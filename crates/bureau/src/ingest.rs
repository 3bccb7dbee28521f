//! The ingest pipeline: read → validate fields → validate against the batch and the store →
//! consent gate → match the person → store; all accepted records of a batch in one transaction.
//!
//! Rejected records go to the feedback writer as JSON lines (see [`FeedbackLine`]); they never stop
//! the batch. Only a failure of the input stream, the store or the feedback output aborts it, and
//! then nothing of the batch is kept.

use crate::crypto::{self, Keys};
use crate::{Bureau, BureauError, Result, audit};
use ob_formats::jsonl;
use ob_model::policy::Policy;
use ob_model::records::{
    AccountRecord, ConsentRecord, DeleteRecord, Identity, MonthRecord, NoticeRecord, Record, RekeyRecord,
};
use ob_model::{AccountType, Code, ConsentScope, FieldError, YearMonth, limits};
use ob_store::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read, Write};
use std::path::Path;
use time::Date;

/// Name of the canonical format in batch records.
const FORMAT_JSONL: &str = "openbureau.jsonl/1";

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
}

/// Media type of the JSON-lines feedback file.
pub const FEEDBACK_MEDIA_TYPE: &str = "application/x-ndjson";

/// Encryption context of kept feedback files.
const FEEDBACK_CONTEXT: &str = "batch_feedback.body";

/// Writes to the feedback output and keeps a bounded copy.
struct Keep<'a> {
    out: &'a mut dyn Write,
    kept: Option<Vec<u8>>,
    cut: bool,
}

impl Write for Keep<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        // Once cut, nothing more is kept: a later small write would be a fragment of a line.
        if let Some(kept) = self.kept.as_mut().filter(|_| !self.cut) {
            if kept.len() + n <= limits::FEEDBACK_KEPT_BYTES_MAX {
                kept.extend_from_slice(&buf[..n]);
            } else {
                self.cut = true;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl Keep<'_> {
    /// The kept copy, whole lines only, with a last line when it was cut.
    fn into_kept(self) -> Option<Vec<u8>> {
        let mut kept = self.kept?;
        if self.cut {
            let whole = kept.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            kept.truncate(whole);
            kept.extend_from_slice(
                b"{\"truncated\":true,\"message\":\"the kept feedback file was cut at its size limit\"}\n",
            );
        }
        Some(kept)
    }
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

/// One line of the feedback file: a rejected record.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedbackLine<'a> {
    /// 1-based line number of the record in the file.
    pub line: u64,
    /// The first error's code.
    pub code: &'static str,
    /// The first error's field.
    pub field: &'a str,
    /// The first error's message.
    pub message: &'a str,
    /// Every error found in the record.
    pub errors: Vec<FeedbackError<'a>>,
    /// The record as sent.
    pub record: std::borrow::Cow<'a, str>,
}

/// One error within a feedback line.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedbackError<'a> {
    /// Stable code.
    pub code: &'static str,
    /// Field path.
    pub field: &'a str,
    /// Message.
    pub message: &'a str,
}

/// Called with every rejected entry (line, bytes as sent, errors), besides the JSON-lines
/// feedback: a format's own feedback file (e.g. the PBOC-style one) is written from it.
pub type RejectHook<'a> = &'a mut dyn FnMut(u64, &[u8], &[FieldError]);

/// Writes one feedback line.
pub fn write_feedback(out: &mut dyn Write, line: u64, raw: &[u8], errors: &[FieldError]) -> std::io::Result<()> {
    let first = errors.first();
    let fl = FeedbackLine {
        line,
        code: first.map_or("", |e| e.code.as_str()),
        field: first.map_or("", |e| e.field.as_str()),
        message: first.map_or("", |e| e.message.as_str()),
        errors: errors
            .iter()
            .map(|e| FeedbackError { code: e.code.as_str(), field: &e.field, message: &e.message })
            .collect(),
        record: String::from_utf8_lossy(raw),
    };
    serde_json::to_writer(&mut *out, &fl)?;
    out.write_all(b"\n")
}

/// SHA-256 of a file's bytes, streamed.
pub fn file_digest(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finalize().into());
        }
        h.update(&buf[..n]);
    }
}

struct SubjectInfo {
    id: SubjectId,
    name_mac: [u8; 32],
    birth_date: Date,
}

struct AccountInfo {
    id: AccountId,
    subject_id: SubjectId,
    terms: AccountVersionRow,
    /// Latest stored version per month; loaded on first use for accounts from earlier batches.
    month_versions: Option<HashMap<YearMonth, u32>>,
    /// Months of this account already in this batch (a handful: a linear scan beats hashing).
    batch_months: Vec<YearMonth>,
    /// Whether a negative month is on file (stored or earlier in this batch); loaded on first need.
    negative_on_file: Option<bool>,
    /// Days of notices given before negative reporting; loaded on first need.
    notices: Option<Vec<Date>>,
    /// Items deleted after a dispute and not certified back; loaded on first use.
    dispute_deleted: Option<DisputeDeleted>,
}

/// What disputes deleted from an account.
#[derive(Default)]
struct DisputeDeleted {
    account: bool,
    months: Vec<YearMonth>,
}

impl AccountInfo {
    fn new(id: AccountId, subject_id: SubjectId, terms: AccountVersionRow, fresh: bool) -> AccountInfo {
        AccountInfo {
            id,
            subject_id,
            terms,
            month_versions: fresh.then(HashMap::new),
            batch_months: Vec::new(),
            negative_on_file: fresh.then_some(false),
            notices: fresh.then(Vec::new),
            dispute_deleted: fresh.then(DisputeDeleted::default),
        }
    }
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
    consents: HashMap<SubjectId, Vec<NewConsent>>,
    /// Accounts touched by this batch, and their index by the furnisher's key.
    accounts: Vec<AccountInfo>,
    account_index: HashMap<String, usize>,
    /// Notices given in this batch for accounts not reported yet, by account key.
    pending_notices: HashMap<String, Vec<Date>>,
    /// Whether earlier batches left notices waiting for accounts (checked once per batch).
    stored_pending_notices: bool,
}

/// The outcome of one record.
enum Outcome {
    Stored,
    Unchanged,
    Rejected(Vec<FieldError>),
}

fn reject(code: Code, field: &str, message: impl Into<String>) -> Result<Outcome> {
    Ok(Outcome::Rejected(vec![FieldError::new(code, field, message)]))
}

impl<S: Store> Bureau<S> {
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
                let mut source = crate::pboc::PbocSource::open(path)?;
                self.ingest_source(&mut source, digest, options, feedback, on_reject, progress)
            }
            FileKind::Jsonl => {
                let file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
                let mut source = JsonlSource(jsonl::Reader::new(file)?);
                self.ingest_source(&mut source, digest, options, feedback, on_reject, progress)
            }
            FileKind::Metro2 => {
                let mut source = crate::metro2::Metro2Source::open(path, self.clock.today())?;
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
}

/// The organization of the file's furnisher, registering it when allowed.
fn furnisher_org(w: &mut dyn Writer, source: &dyn Source, options: &IngestOptions, now: i64) -> Result<OrgId> {
    let (code, name) = source.furnisher();
    if options.expected_furnisher.as_ref().is_some_and(|f| f != code) {
        return Err(BureauError::Refused {
            code: "FURNISHER_MISMATCH",
            message: "the file names another furnisher than the uploader".into(),
        });
    }
    if let Some(org) = w.org_by_code(code)? {
        return Ok(org.id);
    }
    if !options.register_unknown_furnisher {
        return Err(BureauError::Refused {
            code: "UNKNOWN_FURNISHER",
            message: "the furnisher named in the file is not registered".into(),
        });
    }
    let id = w.insert_org(code, name.unwrap_or(code), now)?;
    audit::append(w, now, "org.registered", None, Some(id), &serde_json::json!({"code": code}))?;
    Ok(id)
}

impl<S: Store> Bureau<S> {
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
        let mut w = self.store.write()?;
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
        let mut state = Batch {
            w,
            keys: &self.keys,
            policy: &self.policy,
            org,
            batch,
            now: now.unix_timestamp(),
            today: now.date(),
            subjects: HashMap::new(),
            consents: HashMap::new(),
            accounts: Vec::new(),
            account_index: HashMap::new(),
            pending_notices: HashMap::new(),
            stored_pending_notices: false,
        };
        state.stored_pending_notices = state.w.has_pending_notices(org)?;
        let mut feedback = Keep { out: feedback, kept: options.keep_feedback.then(Vec::new), cut: false };
        while let Some(entry) = source.next_entry() {
            let entry = entry?;
            let outcome = match &entry.outcome {
                Ok(records) => state.apply_all(records)?,
                Err(errors) => Outcome::Rejected(errors.clone()),
            };
            if let Outcome::Rejected(errors) = &outcome {
                on_reject(entry.line, entry.raw, errors);
            }
            summary.count(outcome, entry.line, entry.raw, &mut feedback)?;
            if summary.records.is_multiple_of(limits::PROGRESS_EVERY_RECORDS) {
                progress(Progress { records: summary.records, bytes: source.bytes_read() });
            }
        }
        progress(Progress { records: summary.records, bytes: source.bytes_read() });
        feedback.flush()?;
        if let Some(kept) = feedback.into_kept() {
            let body_enc = self.keys.encrypt(FEEDBACK_CONTEXT, &kept)?;
            state.w.put_batch_feedback(&BatchFeedbackRow {
                batch_id: state.batch,
                media_type: FEEDBACK_MEDIA_TYPE.into(),
                body_enc,
            })?;
        }
        state.finish(&summary)?;
        // A signed checkpoint after every batch: outsiders can verify the chain up to here.
        self.checkpoint_audit()?;
        Ok(summary)
    }
}

impl IngestSummary {
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

/// The furnisher formats the bureau reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Canonical JSON lines: the first byte that is not white space (or a byte-order mark) is `{`.
    Jsonl,
    /// PBOC-style messages: the file starts with the `A050` header.
    Pboc,
    /// Anything else is read as Metro 2 (it starts with a record or block descriptor word).
    Metro2,
}

/// Recognises a file's format from its first bytes.
pub fn file_kind(path: &Path) -> std::io::Result<FileKind> {
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)?.read(&mut head)?;
    let head = &head[..n];
    if crate::pboc::looks_like_pboc(head) {
        return Ok(FileKind::Pboc);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let jsonl = text.iter().find(|b| !b.is_ascii_whitespace()).is_none_or(|b| *b == b'{');
    Ok(if jsonl { FileKind::Jsonl } else { FileKind::Metro2 })
}

/// One entry of a furnisher file: a line (JSON lines) or a data record (Metro 2).
pub(crate) struct Entry<'a> {
    /// Line or record number, 1-based.
    pub(crate) line: u64,
    /// The entry as sent, for the feedback file.
    pub(crate) raw: &'a [u8],
    /// The records it stands for, or every problem found in it.
    pub(crate) outcome: std::result::Result<Vec<Record>, Vec<FieldError>>,
}

/// A furnisher file being read.
pub(crate) trait Source {
    /// The furnisher's code and name.
    fn furnisher(&self) -> (&str, Option<&str>);
    /// Format name, for the batch record.
    fn format(&self) -> &'static str;
    /// The next entry.
    fn next_entry(&mut self) -> Option<Result<Entry<'_>>>;
    /// Bytes read so far.
    fn bytes_read(&self) -> u64;
}

struct JsonlSource<R>(jsonl::Reader<R>);

impl<R: BufRead> Source for JsonlSource<R> {
    fn furnisher(&self) -> (&str, Option<&str>) {
        let h = self.0.header();
        (&h.furnisher, h.furnisher_name.as_deref())
    }

    fn format(&self) -> &'static str {
        FORMAT_JSONL
    }

    fn next_entry(&mut self) -> Option<Result<Entry<'_>>> {
        Some(match self.0.next_entry()? {
            Ok(e) => Ok(Entry { line: e.line, raw: e.raw, outcome: e.outcome.map(|r| vec![r]) }),
            Err(e) => Err(e.into()),
        })
    }

    fn bytes_read(&self) -> u64 {
        self.0.bytes_read()
    }
}

impl Batch<'_> {
    fn finish(mut self, s: &IngestSummary) -> Result<()> {
        self.w.finish_batch(self.batch, s.records, s.accepted, s.rejected)?;
        let detail = serde_json::json!({
            "batch": self.batch.0, "records": s.records, "accepted": s.accepted,
            "unchanged": s.unchanged, "rejected": s.rejected,
        });
        audit::append(self.w.as_mut(), self.now, "batch.ingested", None, Some(self.org), &detail)?;
        self.w.commit()?;
        Ok(())
    }

    /// Applies the records of one entry; the entry is rejected if any of them is.
    fn apply_all(&mut self, records: &[Record]) -> Result<Outcome> {
        let mut result = Outcome::Unchanged;
        for record in records {
            match self.apply(record)? {
                Outcome::Rejected(errors) => return Ok(Outcome::Rejected(errors)),
                Outcome::Stored => result = Outcome::Stored,
                Outcome::Unchanged => {}
            }
        }
        Ok(result)
    }

    fn apply(&mut self, record: &Record) -> Result<Outcome> {
        match record {
            Record::Consent(c) => self.consent(c),
            Record::Account(a) => self.account(a),
            Record::Month(m) => self.month(m),
            Record::Delete(d) => self.delete(d),
            Record::Notice(n) => self.notice(n),
            Record::Rekey(k) => self.rekey(k),
        }
    }

    fn not_future(&self, field: &str, d: Date) -> Option<FieldError> {
        (d > self.today).then(|| FieldError::new(Code::DateInvalid, field, "date is in the future"))
    }

    /// Finds the person by document, or opens a file. A known document under another name or
    /// birth date is refused: merging would mix two people's files.
    fn subject(&mut self, who: &Identity) -> Result<std::result::Result<SubjectId, FieldError>> {
        let doc_mac = self.keys.document_mac(&who.document);
        let name_mac = self.keys.name_mac(&who.name);
        if !self.subjects.contains_key(&doc_mac)
            && let Some(row) = self.w.subject_by_document(&doc_mac)?
        {
            let info = SubjectInfo { id: row.id, name_mac: row.name_mac, birth_date: row.birth_date };
            self.subjects.insert(doc_mac, info);
        }
        if let Some(known) = self.subjects.get(&doc_mac) {
            let (field, differs) = if known.name_mac != name_mac {
                ("subject.name", "name")
            } else if known.birth_date != who.birth_date {
                ("subject.birth_date", "birth date")
            } else {
                return Ok(Ok(known.id));
            };
            return Ok(Err(FieldError::new(
                Code::IdentityConflict,
                field,
                format!("this document is on file with a different {differs}; not merged (possible mixed file)"),
            )));
        }
        let id = self.w.insert_subject(&NewSubject {
            name_enc: self.keys.encrypt_text(crypto::NAME_CONTEXT, &who.name)?,
            name_mac,
            birth_date: who.birth_date,
            created_at: self.now,
        })?;
        self.w.insert_document(&DocumentRow {
            number_mac: doc_mac,
            subject_id: id,
            doc_type: who.document.doc_type(),
            number_enc: self
                .keys
                .encrypt_text(&crypto::document_context(who.document.doc_type()), who.document.expose())?,
        })?;
        self.subjects.insert(doc_mac, SubjectInfo { id, name_mac, birth_date: who.birth_date });
        Ok(Ok(id))
    }

    /// This furnisher's consents from `subject`, loaded once per batch.
    fn consents_of(&mut self, subject: SubjectId) -> Result<&mut Vec<NewConsent>> {
        if !self.consents.contains_key(&subject) {
            let rows = self.w.consents_of(subject)?;
            let mine = rows.into_iter().map(|r| r.consent).filter(|c| c.org_id == self.org).collect();
            self.consents.insert(subject, mine);
        }
        Ok(self.consents.entry(subject).or_default())
    }

    fn has_report_consent(&mut self, subject: SubjectId, day: Date) -> Result<bool> {
        Ok(self.consents_of(subject)?.iter().any(|c| c.scope == ConsentScope::Report && c.active_on(day)))
    }

    fn consent(&mut self, c: &ConsentRecord) -> Result<Outcome> {
        if let Some(e) = self.not_future("granted_on", c.granted_on) {
            return Ok(Outcome::Rejected(vec![e]));
        }
        let subject = match self.subject(&c.subject)? {
            Ok(s) => s,
            Err(e) => return Ok(Outcome::Rejected(vec![e])),
        };
        let new = NewConsent {
            subject_id: subject,
            org_id: self.org,
            scope: c.scope,
            purpose: c.purpose,
            granted_on: c.granted_on,
            expires_on: c.expires_on,
            revoked_on: None,
            evidence_sha256: c.evidence_sha256,
            consent_ref: c.consent_ref.clone(),
            batch_id: Some(self.batch),
            recorded_at: self.now,
        };
        let same = |k: &NewConsent| {
            (k.scope, k.purpose, k.granted_on, k.expires_on, k.evidence_sha256)
                == (new.scope, new.purpose, new.granted_on, new.expires_on, new.evidence_sha256)
        };
        if self.consents_of(subject)?.iter().any(same) {
            return Ok(Outcome::Unchanged);
        }
        self.w.insert_consent(&new)?;
        self.consents_of(subject)?.push(new);
        Ok(Outcome::Stored)
    }

    /// The batch's index of the account with this key, loading it from the store on first use.
    fn load_account(&mut self, key: &str) -> Result<Option<usize>> {
        if let Some(i) = self.account_index.get(key) {
            return Ok(Some(*i));
        }
        let Some(row) = self.w.account_by_key(self.org, key)? else { return Ok(None) };
        let terms = self
            .w
            .account_version(row.id, i64::MAX)?
            .ok_or_else(|| StoreError::Corrupt(format!("account {} has no terms", row.id.0)))?;
        Ok(Some(self.add_account(key, AccountInfo::new(row.id, row.subject_id, terms, false))))
    }

    fn add_account(&mut self, key: &str, info: AccountInfo) -> usize {
        self.accounts.push(info);
        self.account_index.insert(key.to_owned(), self.accounts.len() - 1);
        self.accounts.len() - 1
    }

    fn account(&mut self, a: &AccountRecord) -> Result<Outcome> {
        if let Some(e) = self.not_future("opened_on", a.opened_on) {
            return Ok(Outcome::Rejected(vec![e]));
        }
        let subject = match self.subject(&a.subject)? {
            Ok(s) => s,
            Err(e) => return Ok(Outcome::Rejected(vec![e])),
        };
        if self.policy.report_consent_required && !self.has_report_consent(subject, self.today)? {
            return reject(Code::NoConsent, "subject", "no reporting consent from this person is in force");
        }
        let mut terms = AccountVersionRow {
            account_id: AccountId(0),
            version: 1,
            subject_id: subject,
            batch_id: Some(self.batch),
            recorded_at: self.now,
            account_type: a.account_type,
            opened_on: a.opened_on,
            currency: a.currency,
            credit_limit_minor: a.credit_limit_minor,
            periods: a.terms.periods,
            due_day: a.terms.due_day,
            responsibility: a.responsibility,
            credit_line_id: None,
            deleted: false,
        };
        if let Some(line_key) = &a.credit_line_key {
            match self.load_account(line_key)? {
                Some(i) if self.accounts[i].terms.account_type.is_revolving() && !self.accounts[i].terms.deleted => {
                    terms.credit_line_id = Some(self.accounts[i].id);
                }
                _ => {
                    return reject(
                        Code::UnknownAccount,
                        "credit_line_key",
                        "no open revolving line of this furnisher has this key",
                    );
                }
            }
        }
        let Some(index) = self.load_account(&a.account_key)? else {
            let id = self.w.insert_account(self.org, &a.account_key, subject)?;
            terms.account_id = id;
            self.w.insert_account_version(&terms)?;
            let mut info = AccountInfo::new(id, subject, terms, true);
            if self.stored_pending_notices {
                info.notices = None; // load them, with the waiting ones, when a negative month needs them
            } else if let Some(days) = self.pending_notices.remove(&a.account_key) {
                info.notices = Some(days);
            }
            self.add_account(&a.account_key, info);
            return Ok(Outcome::Stored);
        };
        if self.dispute_deleted(index)?.account {
            return reject(
                Code::DisputeDeleted,
                "account_key",
                "this account was deleted after a dispute; certify it to report it again",
            );
        }
        let info = &mut self.accounts[index];
        if info.subject_id != subject {
            return reject(Code::AccountConflict, "subject", "this account key is on file for another person");
        }
        let old = &info.terms;
        let same = !old.deleted
            && (
                old.account_type,
                old.opened_on,
                old.currency,
                old.credit_limit_minor,
                old.periods,
                old.due_day,
                old.responsibility,
            ) == (
                terms.account_type,
                terms.opened_on,
                terms.currency,
                terms.credit_limit_minor,
                terms.periods,
                terms.due_day,
                terms.responsibility,
            );
        if same {
            return Ok(Outcome::Unchanged);
        }
        terms.account_id = info.id;
        terms.version = old.version + 1;
        self.w.insert_account_version(&terms)?;
        info.terms = terms;
        Ok(Outcome::Stored)
    }

    /// The batch index of one of this furnisher's live accounts, or the rejection to give.
    fn own_account(&mut self, key: &str) -> Result<std::result::Result<usize, Outcome>> {
        let Some(index) = self.load_account(key)? else {
            let outcome = if self.w.account_key_held_elsewhere(self.org, key)? {
                reject(Code::NotOwnAccount, "account_key", "this account belongs to another furnisher")?
            } else {
                reject(Code::UnknownAccount, "account_key", "no account with this key: send its account record first")?
            };
            return Ok(Err(outcome));
        };
        if self.accounts[index].terms.deleted {
            return Ok(Err(reject(
                Code::AccountConflict,
                "account_key",
                "this account was deleted; send its account record to restore it",
            )?));
        }
        Ok(Ok(index))
    }

    fn month(&mut self, m: &MonthRecord) -> Result<Outcome> {
        if let Some(e) = self.not_future("settled_on", m.settled_on) {
            return Ok(Outcome::Rejected(vec![e]));
        }
        let index = match self.own_account(&m.account_key)? {
            Ok(i) => i,
            Err(outcome) => return Ok(outcome),
        };
        let info = &mut self.accounts[index];
        let (account, subject) = (info.id, info.subject_id);
        if let Some(errors) = check_against_terms(m, &info.terms) {
            return Ok(Outcome::Rejected(errors));
        }
        if info.batch_months.contains(&m.month) {
            return reject(Code::MonthDuplicate, "month", "this month of this account is already in this batch");
        }
        info.batch_months.push(m.month);
        if self.policy.report_consent_required && !self.has_report_consent(subject, m.settled_on)? {
            return reject(
                Code::NoConsent,
                "settled_on",
                "no reporting consent from this person was in force on this date",
            );
        }
        if self.dispute_deleted(index)?.months.contains(&m.month) {
            return reject(
                Code::DisputeDeleted,
                "month",
                "this month was deleted after a dispute; certify it to report it again",
            );
        }
        if let Some(outcome) = self.check_notice(index, m)? {
            return Ok(outcome);
        }
        let version = self.next_month_version(index, m.month)?;
        self.w.insert_month(&month_row(m, account, subject, version, self.batch, self.now))?;
        Ok(Outcome::Stored)
    }

    /// Deletes months (tombstone versions) or the whole account (a deleted version of its terms).
    fn delete(&mut self, d: &DeleteRecord) -> Result<Outcome> {
        let index = match self.own_account(&d.account_key)? {
            Ok(i) => i,
            Err(outcome) => return Ok(outcome),
        };
        let Some((from, to)) = d.months else {
            let info = &mut self.accounts[index];
            let mut terms = info.terms.clone();
            terms.version += 1;
            terms.deleted = true;
            terms.batch_id = Some(self.batch);
            terms.recorded_at = self.now;
            self.w.insert_account_version(&terms)?;
            info.terms = terms;
            return Ok(Outcome::Stored);
        };
        self.next_month_version(index, from)?; // loads the stored months
        let info = &mut self.accounts[index];
        let mut stored: Vec<YearMonth> = info
            .month_versions
            .as_ref()
            .map(|v| v.keys().copied().filter(|m| (from..=to).contains(m)).collect())
            .unwrap_or_default();
        stored.sort();
        info.batch_months.retain(|m| !(from..=to).contains(m));
        let (account, subject) = (info.id, info.subject_id);
        if stored.is_empty() {
            return Ok(Outcome::Unchanged);
        }
        for month in stored {
            let version = self.next_month_version(index, month)?;
            self.w.insert_month(&tombstone(account, subject, month, version, Some(self.batch), self.now))?;
        }
        Ok(Outcome::Stored)
    }

    /// Moves an account to a new key; its history stays with it.
    fn rekey(&mut self, k: &RekeyRecord) -> Result<Outcome> {
        let index = match self.own_account(&k.account_key)? {
            Ok(i) => i,
            Err(outcome) => return Ok(outcome),
        };
        if self.load_account(&k.new_account_key)?.is_some()
            || self.w.account_key_held_elsewhere(self.org, &k.new_account_key)?
        {
            return reject(Code::AccountConflict, "new_account_key", "an account with the new key exists already");
        }
        self.w.rekey_account(self.accounts[index].id, &k.new_account_key)?;
        self.account_index.remove(&k.account_key);
        self.account_index.insert(k.new_account_key.clone(), index);
        Ok(Outcome::Stored)
    }

    /// Records a notice. One for an account this furnisher has not reported yet waits, keyed by the
    /// account key, for the account's first report (a furnisher tells the person before it reports).
    fn notice(&mut self, n: &NoticeRecord) -> Result<Outcome> {
        if let Some(e) = self.not_future("notified_on", n.notified_on) {
            return Ok(Outcome::Rejected(vec![e]));
        }
        let mut row = NoticeRow {
            account_id: None,
            subject_id: None,
            org_id: self.org,
            account_key: n.account_key.clone(),
            notified_on: n.notified_on,
            channel: n.channel,
            batch_id: Some(self.batch),
            recorded_at: self.now,
        };
        match self.load_account(&n.account_key)? {
            Some(index) => {
                let index = match self.own_account(&n.account_key)? {
                    Ok(_) => index,
                    Err(outcome) => return Ok(outcome),
                };
                row.account_id = Some(self.accounts[index].id);
                row.subject_id = Some(self.accounts[index].subject_id);
                if let Some(days) = self.accounts[index].notices.as_mut() {
                    days.push(n.notified_on);
                }
            }
            None if self.w.account_key_held_elsewhere(self.org, &n.account_key)? => {
                return reject(Code::NotOwnAccount, "account_key", "this account belongs to another furnisher");
            }
            None => {
                self.pending_notices.entry(n.account_key.clone()).or_default().push(n.notified_on);
            }
        }
        self.w.insert_notice(&row)?;
        Ok(Outcome::Stored)
    }

    /// A first negative month needs a notice given on or before its settlement date.
    fn check_notice(&mut self, index: usize, m: &MonthRecord) -> Result<Option<Outcome>> {
        let negative = m.status.is_negative() || m.past_due_minor > 0;
        if !negative || !self.policy.notice_before_negative {
            return Ok(None);
        }
        let account = self.accounts[index].id;
        if self.accounts[index].negative_on_file.is_none() {
            let any = self.w.months(account, YearMonth::MIN, YearMonth::MAX, i64::MAX)?;
            self.accounts[index].negative_on_file =
                Some(any.iter().any(|r| !r.deleted && crate::rights::is_negative(r)));
        }
        if self.accounts[index].notices.is_none() {
            let mut days: Vec<Date> = self.w.notices_of(account)?.iter().map(|n| n.notified_on).collect();
            days.extend(self.w.pending_notices(self.org, &m.account_key)?.iter().map(|n| n.notified_on));
            self.accounts[index].notices = Some(days);
        }
        let info = &mut self.accounts[index];
        let noticed = info.notices.as_ref().is_some_and(|d| d.iter().any(|day| *day <= m.settled_on));
        if info.negative_on_file == Some(false) && !noticed {
            return Ok(Some(Outcome::Rejected(vec![FieldError::new(
                Code::NoNotice,
                "status",
                "the first negative month of an account needs a notice to the person first",
            )])));
        }
        info.negative_on_file = Some(true);
        Ok(None)
    }

    /// What disputes deleted from the account (and the furnisher did not certify back).
    fn dispute_deleted(&mut self, index: usize) -> Result<&DisputeDeleted> {
        if self.accounts[index].dispute_deleted.is_none() {
            let (account, subject) = (self.accounts[index].id, self.accounts[index].subject_id);
            let mut deleted = DisputeDeleted::default();
            for d in self.w.disputes_of(subject)? {
                let last = self.w.dispute_events(d.id)?.last().map(|e| e.state);
                if last != Some(ob_model::DisputeState::Deleted) {
                    continue;
                }
                match d.dispute.item {
                    DisputeItem::Account(a) if a == account => deleted.account = true,
                    DisputeItem::Month(a, m) if a == account => deleted.months.push(m),
                    _ => {}
                }
            }
            self.accounts[index].dispute_deleted = Some(deleted);
        }
        Ok(self.accounts[index].dispute_deleted.get_or_insert_with(DisputeDeleted::default))
    }

    fn next_month_version(&mut self, index: usize, month: YearMonth) -> Result<u32> {
        let info = &mut self.accounts[index];
        if info.month_versions.is_none() {
            info.month_versions = Some(self.w.month_versions(info.id)?.into_iter().collect());
        }
        let versions = info.month_versions.get_or_insert_with(HashMap::new);
        let next = versions.get(&month).map_or(1, |v| v + 1);
        versions.insert(month, next);
        Ok(next)
    }
}

/// Rules of a month against its account's terms: not before opening; used amount within reason.
fn check_against_terms(m: &MonthRecord, terms: &AccountVersionRow) -> Option<Vec<FieldError>> {
    let mut errors = Vec::new();
    if m.month < YearMonth::of(terms.opened_on) {
        errors.push(FieldError::new(Code::BeforeOpening, "month", "month reported before the account was opened"));
    }
    let limit = m.credit_limit_minor.unwrap_or(terms.credit_limit_minor);
    if terms.account_type != AccountType::C1
        && i128::from(m.used_minor) * 100 > i128::from(limit) * i128::from(limits::USED_OVER_LIMIT_PERCENT_MAX)
    {
        errors.push(FieldError::new(
            Code::UsedOverLimit,
            "used_amount",
            "used amount is more than 150% of the credit limit",
        ));
    }
    (!errors.is_empty()).then_some(errors)
}

fn month_row(
    m: &MonthRecord,
    account: AccountId,
    subject: SubjectId,
    version: u32,
    batch: BatchId,
    now: i64,
) -> MonthRow {
    MonthRow {
        account_id: account,
        month: m.month,
        version,
        subject_id: subject,
        batch_id: Some(batch),
        recorded_at: now,
        settled_on: m.settled_on,
        balance_minor: m.balance_minor,
        used_minor: m.used_minor,
        due_minor: m.due_minor,
        paid_minor: m.paid_minor,
        past_due_minor: m.past_due_minor,
        days_past_due: m.days_past_due,
        status: m.status,
        class5: m.class5,
        last_payment_on: m.last_payment_on,
        closed_on: m.closed_on,
        credit_limit_minor: m.credit_limit_minor,
        deleted: false,
    }
}

/// A version that deletes a month: reports treat the month as never reported from then on.
pub(crate) fn tombstone(
    account: AccountId,
    subject: SubjectId,
    month: YearMonth,
    version: u32,
    batch: Option<BatchId>,
    now: i64,
) -> MonthRow {
    MonthRow {
        account_id: account,
        month,
        version,
        subject_id: subject,
        batch_id: batch,
        recorded_at: now,
        settled_on: month.last_day(),
        balance_minor: 0,
        used_minor: 0,
        due_minor: 0,
        paid_minor: 0,
        past_due_minor: 0,
        days_past_due: 0,
        status: ob_model::RepaymentStatus::Unknown,
        class5: None,
        last_payment_on: None,
        closed_on: None,
        credit_limit_minor: None,
        deleted: true,
    }
}
