//! OpenBureau storage.
//!
//! [`Store`] is what the bureau needs from a database: read handles ([`Reader`]) and one write
//! transaction at a time ([`Writer`]) that commits everything or nothing. [`sqlite::SqliteStore`]
//! is the embedded backend (WAL mode, bundled SQLite, no server); [`postgres::PgStore`] the
//! server one. [`Location`] names either (`sqlite:PATH` or `postgres://…`) and [`open`] opens it
//! behind `Box<dyn Store>`, which is itself a [`Store`].
//!
//! The store never sees a name or document number in clear: the bureau hands it ciphertexts and
//! keyed hashes. It never overwrites a month: corrections are new versions, so any past report
//! can be rebuilt.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backup;
mod checkpoint;
pub mod detail;
pub mod packed;
pub mod postgres;
mod rows;
pub mod sqlite;
pub mod testing;

pub use rows::*;

/// Errors from a storage backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (I/O, constraint, lock).
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored value could not be read back as the type it should be: the store is damaged or
    /// was written by an incompatible version.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// The schema on disk does not match this build's migrations.
    #[error("schema migration problem: {0}")]
    Migration(String),
}

/// The hex SHA-256 of a migration's text: its checksum in `schema_migrations`.
fn hex_digest(s: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The latest version of each month among `rows`: sorted by (month, version), the last of each.
fn latest_per_month(mut rows: Vec<MonthRow>) -> Vec<MonthRow> {
    rows.sort_by_key(|m| (m.month, m.version));
    let mut latest: Vec<MonthRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match latest.last_mut() {
            Some(last) if last.month == row.month => *last = row,
            _ => latest.push(row),
        }
    }
    latest
}

/// The latest version of each (furnisher, key) among `rows`, in that order.
fn latest_agreements(mut rows: Vec<AgreementRow>) -> Vec<AgreementRow> {
    rows.sort_by(|a, b| (a.org_id, &a.agreement_key, a.version).cmp(&(b.org_id, &b.agreement_key, b.version)));
    let mut latest: Vec<AgreementRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match latest.last_mut() {
            Some(last) if (last.org_id, &last.agreement_key) == (row.org_id, &row.agreement_key) => *last = row,
            _ => latest.push(row),
        }
    }
    latest
}

/// Result of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A database holding OpenBureau's data.
pub trait Store: Send {
    /// A consistent read view.
    fn read(&self) -> Result<Box<dyn Reader + '_>>;
    /// Starts the one write transaction. Dropping the writer without [`Writer::commit`] rolls back.
    fn write(&mut self) -> Result<Box<dyn Writer + '_>>;
}

impl Store for Box<dyn Store> {
    fn read(&self) -> Result<Box<dyn Reader + '_>> {
        (**self).read()
    }

    fn write(&mut self) -> Result<Box<dyn Writer + '_>> {
        (**self).write()
    }
}

/// Where a store is: an SQLite file or a PostgreSQL database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The embedded store in this file.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL database, by libpq URL (`postgres://user@host:port/db`).
    Postgres(String),
}

impl Location {
    /// Parses `sqlite:PATH`, `postgres://…` or `postgresql://…`.
    pub fn parse(text: &str) -> std::result::Result<Location, String> {
        if let Some(path) = text.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err("sqlite: needs a path, e.g. sqlite:data/openbureau.sqlite".into());
            }
            return Ok(Location::Sqlite(path.into()));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Location::Postgres(text.to_owned()));
        }
        Err("a store is sqlite:PATH or postgres://user@host:port/database".into())
    }

    /// Whether the backend takes several writers at once (so a server may run a pool of bureau
    /// workers over it).
    pub fn concurrent(&self) -> bool {
        matches!(self, Location::Postgres(_))
    }

    /// The location for people to read: a PostgreSQL URL loses its password.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => format!("sqlite:{}", p.display()),
            Location::Postgres(url) => redact_password(url),
        }
    }
}

/// A URL with any password replaced by `***` (URLs are printed; passwords must not be).
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (auth, host) = match rest.split_once('@') {
        Some(parts) => parts,
        None => return url.to_owned(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Opens (creating and migrating when needed) the store at `location`.
pub fn open(location: &Location) -> Result<Box<dyn Store>> {
    Ok(match location {
        Location::Sqlite(path) => Box::new(sqlite::SqliteStore::open(path)?),
        Location::Postgres(url) => Box::new(postgres::PgStore::open(url)?),
    })
}

/// Reads, within one consistent view.
pub trait Reader {
    /// A value from the store's metadata table.
    fn meta(&self, key: &str) -> Result<Option<String>>;
    /// An organization by code.
    fn org_by_code(&self, code: &str) -> Result<Option<OrgRow>>;
    /// An organization by id.
    fn org(&self, id: OrgId) -> Result<Option<OrgRow>>;
    /// Every organization, by id.
    fn orgs(&self) -> Result<Vec<OrgRow>>;
    /// An organization's roles, as set by an operator (comma-separated; empty when none).
    fn org_roles(&self, id: OrgId) -> Result<String>;
    /// An API key by the SHA-256 of its text.
    fn api_key(&self, key_sha256: &[u8; 32]) -> Result<Option<ApiKeyRow>>;
    /// An organization's keys (`None`: operators' keys).
    fn api_keys_of(&self, org: Option<OrgId>) -> Result<Vec<ApiKeyRow>>;
    /// A batch by id.
    fn batch(&self, id: BatchId) -> Result<Option<BatchRow>>;
    /// An organization's batches with ids above `after`, oldest first, at most `limit`.
    fn batches_of(&self, org: OrgId, after: BatchId, limit: u32) -> Result<Vec<BatchRow>>;
    /// A batch's feedback file.
    fn batch_feedback(&self, id: BatchId) -> Result<Option<BatchFeedbackRow>>;
    /// A person's web sign-in.
    fn person_login(&self, subject: SubjectId) -> Result<Option<PersonLoginRow>>;
    /// The subject holding a document, by the document's keyed hash.
    fn subject_by_document(&self, number_mac: &[u8; 32]) -> Result<Option<SubjectRow>>;
    /// The subjects holding any of these documents, each with its document's keyed hash, in one
    /// read (ingest looks up the people of the records it has read ahead together). A document
    /// on no file is left out; order unspecified. The default asks [`Reader::subject_by_document`]
    /// for each.
    fn subjects_by_documents(&self, number_macs: &[[u8; 32]]) -> Result<Vec<([u8; 32], SubjectRow)>> {
        let mut found = Vec::new();
        for mac in number_macs {
            if let Some(row) = self.subject_by_document(mac)? {
                found.push((*mac, row));
            }
        }
        Ok(found)
    }
    /// Whether each read pays a round trip to another process (a database server): ingest then
    /// looks up what the records it has read ahead need together, in a few reads, rather than one
    /// at a time as each record comes. Only speed depends on it. The default (an embedded store)
    /// says no.
    fn reads_are_remote(&self) -> bool {
        false
    }
    /// A subject by id.
    fn subject(&self, id: SubjectId) -> Result<Option<SubjectRow>>;
    /// A hint that much of `subject`'s file is about to be read (a report): a store that pays a
    /// round trip for each read may read it all now, in one, and answer the reads that follow
    /// from what it read, within this reader's one view. The default reads nothing.
    fn prefetch_file(&self, subject: SubjectId) -> Result<()> {
        let _ = subject;
        Ok(())
    }
    /// Every document of a subject.
    fn documents_of(&self, subject: SubjectId) -> Result<Vec<DocumentRow>>;
    /// Every consent a subject gave, to any organization.
    fn consents_of(&self, subject: SubjectId) -> Result<Vec<ConsentRow>>;
    /// An account by its furnisher and the furnisher's key.
    fn account_by_key(&self, org: OrgId, account_key: &str) -> Result<Option<AccountRow>>;
    /// Whether any organization other than `org` holds an account with this key.
    fn account_key_held_elsewhere(&self, org: OrgId, account_key: &str) -> Result<bool>;
    /// For each month already stored for the account, its latest version number.
    fn month_versions(&self, account: AccountId) -> Result<Vec<(ob_model::YearMonth, u32)>>;
    /// Up to `limit` of the organization's accounts whose keys are `from` or after, in key order,
    /// each with its latest terms (by version, whenever recorded) and the newest month stored for
    /// it. Ingest reads ahead with it: furnishers' files usually list accounts in key order, so
    /// one sequential read serves the next records instead of a seek each; and a month newer than
    /// the newest stored is a first version without asking.
    fn accounts_from_key(&self, org: OrgId, from: &str, limit: u32) -> Result<Vec<AccountAhead>>;
    /// The organization's accounts under any of these keys, each as [`Reader::accounts_from_key`]
    /// gives it, in one read (ingest reads those a chunk of records names); a key of no account
    /// is left out, and one named twice is read once. Order unspecified. The default asks
    /// `accounts_from_key` for one account at each key.
    fn accounts_by_keys(&self, org: OrgId, keys: &[&str]) -> Result<Vec<AccountAhead>> {
        let mut found = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for key in keys.iter().filter(|k| seen.insert(**k)) {
            let at = self.accounts_from_key(org, key, 1)?;
            found.extend(at.into_iter().filter(|a| a.account.account_key == *key));
        }
        Ok(found)
    }
    /// Every consent the subjects gave to `org`, in one read (ingest loads those of the accounts
    /// it reads ahead; the index on (subject, organization) leaves the others unread). Order
    /// unspecified.
    fn consents_of_subjects(&self, org: OrgId, subjects: &[SubjectId]) -> Result<Vec<ConsentRow>>;
    /// The latest version stored of one month of the account: one index seek, however long the
    /// account's history (ingest asks it for each month record).
    fn month_version(&self, account: AccountId, month: ob_model::YearMonth) -> Result<Option<u32>>;
    /// The latest version of each of these months of these accounts, as [`Reader::month_version`]
    /// gives it, in one read; a month with no version is left out, one named twice is read once.
    /// Order unspecified. The default asks `month_version` for each.
    fn month_versions_of(
        &self,
        months: &[(AccountId, ob_model::YearMonth)],
    ) -> Result<Vec<(AccountId, ob_model::YearMonth, u32)>> {
        let mut found = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (account, month) in months.iter().filter(|m| seen.insert(**m)) {
            if let Some(version) = self.month_version(*account, *month)? {
                found.push((*account, *month, version));
            }
        }
        Ok(found)
    }
    /// A batch by furnisher and file digest (to recognise a file sent twice).
    fn batch_by_digest(&self, org: OrgId, file_sha256: &[u8; 32]) -> Result<Option<BatchRow>>;
    /// Every account of a subject.
    fn accounts_of(&self, subject: SubjectId) -> Result<Vec<AccountRow>>;
    /// The latest version of an account's terms recorded at or before `recorded_at_max`.
    fn account_version(&self, account: AccountId, recorded_at_max: i64) -> Result<Option<AccountVersionRow>>;
    /// For each month in `from..=to`, the latest version recorded at or before `recorded_at_max`.
    fn months(
        &self,
        account: AccountId,
        from: ob_model::YearMonth,
        to: ob_model::YearMonth,
        recorded_at_max: i64,
    ) -> Result<Vec<MonthRow>>;
    /// Every month on file of each account, at its latest version (deleted ones included), as
    /// [`Reader::months`] gives them over all months and all times, in one read; an account
    /// named twice is read once. Order unspecified. The default asks `months` for each account.
    fn months_of_accounts(&self, accounts: &[AccountId]) -> Result<Vec<MonthRow>> {
        let mut rows = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for account in accounts.iter().filter(|a| seen.insert(**a)) {
            rows.extend(self.months(*account, ob_model::YearMonth::MIN, ob_model::YearMonth::MAX, i64::MAX)?);
        }
        Ok(rows)
    }
    /// Special transactions and events on an account of `subject` (the distribution key, so that a
    /// sharded store reads one shard), oldest first, recorded at or before `recorded_at_max`.
    fn specials_of(&self, subject: SubjectId, account: AccountId, recorded_at_max: i64) -> Result<Vec<SpecialRow>>;
    /// The latest version of each credit agreement of a subject recorded at or before
    /// `recorded_at_max`, by furnisher and key.
    fn agreements_of(&self, subject: SubjectId, recorded_at_max: i64) -> Result<Vec<AgreementRow>>;
    /// The latest version of a furnisher's agreement, by its key.
    fn agreement_by_key(&self, org: OrgId, agreement_key: &str) -> Result<Option<AgreementRow>>;
    /// Notices given for an account, oldest first.
    fn notices_of(&self, account: AccountId) -> Result<Vec<NoticeRow>>;
    /// Notices a furnisher gave for an account key before the account was first reported.
    fn pending_notices(&self, org: OrgId, account_key: &str) -> Result<Vec<NoticeRow>>;
    /// For each of `org`'s accounts (id and key), its notices and those given under its key
    /// before it was first reported, as [`Reader::notices_of`] and [`Reader::pending_notices`]
    /// give them, in one read; an account named twice is read once. Order unspecified. The
    /// default asks both for each account.
    fn notices_of_accounts(&self, org: OrgId, accounts: &[(AccountId, &str)]) -> Result<Vec<NoticeRow>> {
        let mut rows = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (account, key) in accounts.iter().filter(|a| seen.insert(**a)) {
            rows.extend(self.notices_of(*account)?);
            rows.extend(self.pending_notices(org, key)?);
        }
        Ok(rows)
    }
    /// Whether a furnisher has any notice waiting for its account to be reported.
    fn has_pending_notices(&self, org: OrgId) -> Result<bool>;
    /// Inquiries into a subject's file with `from_at <= at <= to_at`, oldest first.
    fn inquiries_of(&self, subject: SubjectId, from_at: i64, to_at: i64) -> Result<Vec<InquiryRow>>;
    /// How many audit chains the store keeps: 1 for a store with one writer, more where writers
    /// run side by side, so that they do not queue for one chain's head.
    fn audit_chains(&self) -> u32;
    /// The newest event of one audit chain. Read through a [`Writer`] (to append after it), it
    /// holds that chain until the transaction ends, so that no other writer appends to it.
    fn audit_last(&self, chain: u32) -> Result<Option<AuditRow>>;
    /// Audit events with `seq > after`, oldest first, at most `limit`.
    fn audit_after(&self, after: u64, limit: u32) -> Result<Vec<AuditRow>>;
    /// Row counts, for summaries.
    fn counts(&self) -> Result<Counts>;
    /// A consent by id.
    fn consent(&self, id: ConsentId) -> Result<Option<ConsentRow>>;
    /// An inquiry by id.
    fn inquiry(&self, id: InquiryId) -> Result<Option<InquiryRow>>;
    /// An account by id.
    fn account(&self, id: AccountId) -> Result<Option<AccountRow>>;
    /// A dispute by id.
    fn dispute(&self, id: DisputeId) -> Result<Option<DisputeRow>>;
    /// Every dispute on a subject's file, oldest first.
    fn disputes_of(&self, subject: SubjectId) -> Result<Vec<DisputeRow>>;
    /// Every dispute an organization must answer, oldest first.
    fn disputes_for_org(&self, org: OrgId) -> Result<Vec<DisputeRow>>;
    /// The steps of a dispute, oldest first.
    fn dispute_events(&self, dispute: DisputeId) -> Result<Vec<DisputeEventRow>>;
    /// Every statement on a subject's file.
    fn statements_of(&self, subject: SubjectId) -> Result<Vec<StatementRow>>;
    /// Every flag ever placed on a subject's file.
    fn flags_of(&self, subject: SubjectId) -> Result<Vec<FlagRow>>;
    /// The correction notices made about a person's disputes, oldest first.
    fn correction_notices_of(&self, subject: SubjectId) -> Result<Vec<CorrectionNoticeRow>>;
    /// The correction notices an organization was sent, after id `after`, oldest first, at most
    /// `limit`.
    fn correction_notices_for(
        &self,
        org: OrgId,
        after: CorrectionNoticeId,
        limit: u32,
    ) -> Result<Vec<CorrectionNoticeRow>>;
    /// Accounts holding at least one stored month with a negative status (retention candidates).
    fn accounts_with_negative_months(&self) -> Result<Vec<AccountId>>;
    /// Subjects with an id above `after`, in id order, at most `limit` (to walk the population).
    fn subjects_after(&self, after: SubjectId, limit: u32) -> Result<Vec<SubjectId>>;
    /// The newest bureau score model's version (cheap: to know whether a cached model is current).
    fn latest_score_version(&self) -> Result<Option<u32>>;
    /// The newest bureau score model.
    fn latest_score_model(&self) -> Result<Option<ScoreModelRow>>;
    /// Every signed audit checkpoint, oldest first.
    fn audit_checkpoints(&self) -> Result<Vec<CheckpointRow>>;
    /// The web session whose token has this SHA-256, expired or not.
    fn web_session(&self, token_sha256: &[u8; 32]) -> Result<Option<WebSessionRow>>;
    /// Web sessions held, expired ones included until pruned.
    fn web_sessions_held(&self) -> Result<u64>;
    /// Up to `limit` sealed values of `table` whose row keys come after `after` (from the first
    /// when `None`), in key order: a key rotation's walk.
    fn sealed_after(&self, table: SealedTable, after: Option<&SealedKey>, limit: u32) -> Result<Vec<SealedRow>>;
}

/// The one write transaction. Reads through it see its own writes.
pub trait Writer: Reader {
    /// Holds the furnisher `org`'s ingest lock until this transaction ends, so that one batch of a
    /// furnisher is written at a time: its account keys stay one account each (the check a
    /// sharded database cannot make as a constraint) and its months apply in the order its batches
    /// began. A store with one writer at a time has nothing to do.
    fn lock_furnisher(&mut self, org: OrgId) -> Result<()> {
        let _ = org;
        Ok(())
    }
    /// Sets a metadata value.
    fn set_meta(&mut self, key: &str, value: &str) -> Result<()>;
    /// Adds an organization.
    fn insert_org(&mut self, code: &str, name: &str, created_at: i64) -> Result<OrgId>;
    /// Sets an organization's roles (comma-separated).
    fn set_org_roles(&mut self, id: OrgId, roles: &str) -> Result<()>;
    /// Sets an organization's kind (机构类型).
    fn set_org_type(&mut self, id: OrgId, org_type: ob_model::InstitutionType) -> Result<()>;
    /// Adds an API key.
    fn insert_api_key(&mut self, key: &ApiKeyRow) -> Result<()>;
    /// Revokes an API key; false when no such unrevoked key.
    fn revoke_api_key(&mut self, key_sha256: &[u8; 32], at: i64) -> Result<bool>;
    /// Keeps a batch's feedback file (replacing any earlier one).
    fn put_batch_feedback(&mut self, feedback: &BatchFeedbackRow) -> Result<()>;
    /// Sets a person's web sign-in (creating or replacing the password hash).
    fn put_person_login(&mut self, login: &PersonLoginRow) -> Result<()>;
    /// Opens a batch record.
    fn insert_batch(&mut self, batch: &NewBatch) -> Result<BatchId>;
    /// Writes a batch's final counts.
    fn finish_batch(&mut self, id: BatchId, records: u64, accepted: u64, rejected: u64) -> Result<()>;
    /// Adds a subject.
    fn insert_subject(&mut self, subject: &NewSubject) -> Result<SubjectId>;
    /// Adds a document to a subject.
    fn insert_document(&mut self, document: &DocumentRow) -> Result<()>;
    /// Adds a consent.
    fn insert_consent(&mut self, consent: &NewConsent) -> Result<ConsentId>;
    /// Adds an account identity (furnisher, key, subject).
    fn insert_account(&mut self, org: OrgId, account_key: &str, subject: SubjectId) -> Result<AccountId>;
    /// Changes an account's key (its history stays with it).
    fn rekey_account(&mut self, account: AccountId, new_key: &str) -> Result<()>;
    /// Adds a version of an account's terms.
    fn insert_account_version(&mut self, version: &AccountVersionRow) -> Result<()>;
    /// Adds a version of an account-month.
    fn insert_month(&mut self, month: &MonthRow) -> Result<()>;
    /// Adds a version of a credit agreement.
    fn insert_agreement(&mut self, agreement: &AgreementRow) -> Result<()>;
    /// Adds a special transaction or event.
    fn insert_special(&mut self, special: &SpecialRow) -> Result<()>;
    /// Adds a notice.
    fn insert_notice(&mut self, notice: &NoticeRow) -> Result<()>;
    /// Adds an inquiry.
    fn insert_inquiry(&mut self, inquiry: &NewInquiry) -> Result<InquiryId>;
    /// The next audit sequence number: unique across chains, and above every one taken before.
    fn next_audit_seq(&mut self) -> Result<u64>;
    /// Appends an audit event (its hashes computed by the caller).
    fn append_audit(&mut self, event: &AuditRow) -> Result<()>;
    /// Files a dispute.
    fn insert_dispute(&mut self, dispute: &NewDispute) -> Result<DisputeId>;
    /// Adds a step to a dispute.
    fn insert_dispute_event(&mut self, event: &DisputeEventRow) -> Result<()>;
    /// Adds a statement.
    fn insert_statement(&mut self, statement: &StatementRow) -> Result<StatementId>;
    /// Withdraws a statement.
    fn withdraw_statement(&mut self, id: StatementId, at: i64) -> Result<()>;
    /// Places a flag.
    fn insert_flag(&mut self, flag: &FlagRow) -> Result<FlagId>;
    /// Lifts a flag.
    fn lift_flag(&mut self, id: FlagId, at: i64) -> Result<()>;
    /// Records a correction notice (`id` ignored); one per dispute, organization and state.
    fn insert_correction_notice(&mut self, notice: &CorrectionNoticeRow) -> Result<CorrectionNoticeId>;
    /// Records a consent's revocation (the only change made to a stored consent).
    fn revoke_consent(&mut self, id: ConsentId, on: time::Date) -> Result<()>;
    /// Deletes every version of one month of an account (retention); returns rows deleted.
    fn purge_month(&mut self, account: AccountId, month: ob_model::YearMonth) -> Result<u64>;
    /// Stores a new score model; returns its version.
    fn insert_score_model(&mut self, model: &ScoreModelRow) -> Result<u32>;
    /// Stores a signed audit checkpoint; returns whether it was stored. One for a sequence number
    /// already signed is left out: on a store with several writers, two may sign the same chain
    /// head at once, and the event a sequence number names never changes.
    fn insert_checkpoint(&mut self, checkpoint: &CheckpointRow) -> Result<bool>;
    /// Reads a metadata value and holds it against change until this transaction ends (a
    /// PostgreSQL row lock; an SQLite write transaction holds the whole store already).
    fn meta_locked(&mut self, key: &str) -> Result<Option<String>> {
        self.meta(key)
    }
    /// Stores a new web session.
    fn insert_web_session(&mut self, session: &WebSessionRow) -> Result<()>;
    /// Ends a web session; whether there was one.
    fn delete_web_session(&mut self, token_sha256: &[u8; 32]) -> Result<bool>;
    /// Notes the self-view a session's report page showed.
    fn set_web_session_shown(&mut self, token_sha256: &[u8; 32], inquiry: InquiryId) -> Result<()>;
    /// Deletes the sessions created at or before `created_at_max`, then the oldest while more than
    /// `keep` remain; returns how many went.
    fn prune_web_sessions(&mut self, created_at_max: i64, keep: u64) -> Result<u64>;
    /// Deletes a person's oldest sessions while more than `keep` remain; returns how many went.
    fn prune_web_sessions_of(&mut self, subject: SubjectId, keep: u64) -> Result<u64>;
    /// Replaces the sealed value of the row `key` of `table` and, for subjects and documents, its
    /// blind index (`mac`; a document's is its key, so the row moves); `false` when no such row
    /// is held (a session ended meanwhile).
    fn reseal(&mut self, table: SealedTable, key: &SealedKey, sealed: &[u8], mac: Option<&[u8; 32]>) -> Result<bool>;
    /// Makes every write of this transaction durable and visible, all at once.
    fn commit(self: Box<Self>) -> Result<()>;
}
