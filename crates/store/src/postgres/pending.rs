//! Rows a PostgreSQL writer has accepted but not yet sent: ingest's inserts, sent in bulk with
//! binary `COPY`, one per table, when enough have gathered, before a read that does not know of
//! them, and at commit.
//!
//! The reads ingest makes for each record (a person by document, their consents, an account's
//! month versions, months and notices) answer from the database and from here together, so that
//! ingest never waits for a flush. Rows that need an id get one from the table's sequence,
//! reserved in blocks ([`super::ID_BLOCK`]) so that an insert costs no round trip.

use crate::*;
use bytes::{BufMut, Bytes, BytesMut};
use futures_util::SinkExt;
use ob_model::{Classification, QueryReason, YearMonth};
use std::collections::HashMap;
use tokio_postgres::types::{IsNull, ToSql, Type};

use super::{Conn, backend, i32_of, yyyymm};

/// Rows written by the transaction and not yet sent.
#[derive(Default)]
pub(super) struct Pending {
    subjects: Vec<(SubjectId, NewSubject)>,
    subject_index: HashMap<SubjectId, usize>,
    documents: Vec<DocumentRow>,
    document_index: HashMap<[u8; 32], usize>,
    consents: Vec<(ConsentId, NewConsent)>,
    /// Indexes into `consents` by person: ingest asks for a person's consents at each record.
    consent_index: HashMap<SubjectId, Vec<usize>>,
    accounts: Vec<AccountRow>,
    /// Indexes into `accounts` by furnisher and key: ingest looks up the accounts a chunk names.
    account_index: HashMap<(OrgId, String), usize>,
    versions: Vec<AccountVersionRow>,
    /// Index into `versions` of each account's newest version waiting (versions come in order).
    newest_version: HashMap<AccountId, usize>,
    /// Whether a first version waits for an account already sent (the rows were sent between the
    /// account and its terms).
    account_sent_without_terms: bool,
    notices: Vec<NoticeRow>,
    /// Account-months by account.
    months: HashMap<AccountId, Vec<MonthRow>>,
    months_count: usize,
}

impl Pending {
    /// How many rows wait.
    pub(super) fn len(&self) -> usize {
        self.subjects.len()
            + self.documents.len()
            + self.consents.len()
            + self.accounts.len()
            + self.versions.len()
            + self.notices.len()
            + self.months_count
    }

    pub(super) fn add_subject(&mut self, id: SubjectId, s: &NewSubject) {
        self.subject_index.insert(id, self.subjects.len());
        self.subjects.push((id, s.clone()));
    }

    pub(super) fn add_document(&mut self, d: &DocumentRow) {
        self.document_index.insert(d.number_mac, self.documents.len());
        self.documents.push(d.clone());
    }

    pub(super) fn add_consent(&mut self, id: ConsentId, c: &NewConsent) {
        self.consent_index.entry(c.subject_id).or_default().push(self.consents.len());
        self.consents.push((id, c.clone()));
    }

    pub(super) fn add_account(&mut self, a: AccountRow) {
        self.account_index.insert((a.org_id, a.account_key.clone()), self.accounts.len());
        self.accounts.push(a);
    }

    /// Whether an account already sent has its first terms waiting here.
    pub(super) fn has_account_sent_without_terms(&self) -> bool {
        self.account_sent_without_terms
    }

    pub(super) fn add_version(&mut self, v: &AccountVersionRow) {
        let account_waits = || {
            self.accounts.last().is_some_and(|a| a.id == v.account_id)
                || self.accounts.iter().any(|a| a.id == v.account_id)
        };
        if v.version == 1 && !account_waits() {
            self.account_sent_without_terms = true;
        }
        let newer = self.newest_version.get(&v.account_id).is_none_or(|i| self.versions[*i].version < v.version);
        if newer {
            self.newest_version.insert(v.account_id, self.versions.len());
        }
        self.versions.push(v.clone());
    }

    /// An account waiting under `org`'s `key`, read ahead with its newest terms and month
    /// waiting; `None` when none waits, or it has no terms yet (as a stored one without them
    /// would not be read).
    pub(super) fn account_ahead(&self, org: OrgId, key: &str) -> Option<AccountAhead> {
        let account = &self.accounts[*self.account_index.get(&(org, key.to_owned()))?];
        let terms = self.versions[*self.newest_version.get(&account.id)?].clone();
        let newest_month = self.months_of(account.id).iter().map(|m| m.month).max();
        Some(AccountAhead { account: account.clone(), terms, newest_month })
    }

    /// A stored account read ahead, with the newer terms and months waiting for it.
    pub(super) fn merge_ahead(&self, ahead: &mut AccountAhead) {
        if let Some(i) = self.newest_version.get(&ahead.account.id)
            && self.versions[*i].version > ahead.terms.version
        {
            ahead.terms = self.versions[*i].clone();
        }
        let waiting = self.months_of(ahead.account.id).iter().map(|m| m.month).max();
        ahead.newest_month = ahead.newest_month.max(waiting);
    }

    pub(super) fn add_notice(&mut self, n: &NoticeRow) {
        self.notices.push(n.clone());
    }

    pub(super) fn add_month(&mut self, m: &MonthRow) {
        self.months.entry(m.account_id).or_default().push(m.clone());
        self.months_count += 1;
    }

    /// The person holding a document, when both the document and the person wait here.
    /// `Err(subject)`: the document waits, for a person already sent.
    pub(super) fn subject_by_document(&self, mac: &[u8; 32]) -> Option<std::result::Result<SubjectRow, SubjectId>> {
        let d = &self.documents[*self.document_index.get(mac)?];
        Some(match self.subject_index.get(&d.subject_id) {
            Some(i) => {
                let (id, s) = &self.subjects[*i];
                Ok(SubjectRow { id: *id, name_enc: s.name_enc.clone(), name_mac: s.name_mac, birth_date: s.birth_date })
            }
            None => Err(d.subject_id),
        })
    }

    /// Consents waiting from any of `subjects`.
    pub(super) fn consents_of(&self, subjects: &[SubjectId]) -> Vec<ConsentRow> {
        let mut seen = std::collections::HashSet::new();
        subjects
            .iter()
            .filter(|s| seen.insert(**s))
            .filter_map(|s| self.consent_index.get(s))
            .flatten()
            .map(|i| {
                let (id, c) = &self.consents[*i];
                ConsentRow { id: *id, consent: c.clone() }
            })
            .collect()
    }

    /// The newest version waiting of a month.
    pub(super) fn month_version(&self, account: AccountId, month: YearMonth) -> Option<u32> {
        self.months.get(&account)?.iter().filter(|m| m.month == month).map(|m| m.version).max()
    }

    /// Account-months waiting for one account.
    pub(super) fn months_of(&self, account: AccountId) -> &[MonthRow] {
        self.months.get(&account).map_or(&[], Vec::as_slice)
    }

    /// Notices waiting that `keep` keeps (notices are few: a scan).
    pub(super) fn notices(&self, keep: impl Fn(&NoticeRow) -> bool) -> Vec<NoticeRow> {
        self.notices.iter().filter(|n| keep(n)).cloned().collect()
    }

    /// Sends every waiting row, one COPY per table, and forgets them.
    pub(super) fn send(&mut self, client: &Conn) -> Result<()> {
        let pending = std::mem::take(self);
        copy(client, SUBJECTS, &pending.subjects, |w, (id, s)| {
            w.write(&[&id.0, &s.name_enc, &&s.name_mac[..], &s.birth_date, &s.created_at])
        })?;
        copy(client, DOCUMENTS, &pending.documents, |w, d| {
            w.write(&[&&d.number_mac[..], &d.subject_id.0, &d.doc_type.as_str(), &d.number_enc])
        })?;
        copy(client, CONSENTS, &pending.consents, |w, (id, c)| {
            w.write(&[
                &id.0,
                &c.subject_id.0,
                &c.org_id.0,
                &c.scope.as_str(),
                &c.purpose.map(QueryReason::as_str),
                &c.granted_on,
                &c.expires_on,
                &c.revoked_on,
                &&c.evidence_sha256[..],
                &c.consent_ref,
                &c.batch_id.map(|b| b.0),
                &c.recorded_at,
            ])
        })?;
        copy(client, ACCOUNTS, &pending.accounts, |w, a| {
            w.write(&[&a.id.0, &a.org_id.0, &a.account_key, &a.subject_id.0])
        })?;
        let versions: Vec<(i32, &AccountVersionRow)> =
            pending.versions.iter().map(|v| Ok((i32_of(v.version)?, v))).collect::<Result<_>>()?;
        copy(client, VERSIONS, &versions, |w, (version, v)| {
            let contract = crate::detail::encode_contract(&v.contract);
            w.write(&[
                &v.account_id.0,
                version,
                &v.subject_id.0,
                &v.batch_id.map(|b| b.0),
                &v.recorded_at,
                &v.account_type.as_str(),
                &v.opened_on,
                &v.currency.as_str(),
                &v.credit_limit_minor,
                &v.periods.map(i32::from),
                &v.due_day.map(i32::from),
                &v.responsibility.as_str(),
                &v.credit_line_id.map(|a| a.0),
                &v.deleted,
                &contract,
            ])
        })?;
        let mut months: Vec<(i32, i32, i32, &MonthRow)> = pending
            .months
            .values()
            .flatten()
            .map(|m| Ok((yyyymm(m.month)?, i32_of(m.version)?, i32_of(m.days_past_due)?, m)))
            .collect::<Result<_>>()?;
        // In primary-key order: the index takes the rows leaf after leaf, not at random (its pages
        // are then read once a COPY when the index is larger than the server's buffers).
        months.sort_unstable_by_key(|(month, version, _, m)| (m.account_id, *month, *version));
        copy(client, MONTHS, &months, |w, (month, version, days, m)| {
            let detail = crate::detail::encode_month(&m.detail);
            w.write(&[
                &m.account_id.0,
                month,
                version,
                &m.subject_id.0,
                &m.batch_id.map(|b| b.0),
                &m.recorded_at,
                &m.settled_on,
                &m.balance_minor,
                &m.used_minor,
                &m.due_minor,
                &m.paid_minor,
                &m.past_due_minor,
                days,
                &m.status.as_str(),
                &m.class5.map(Classification::as_str),
                &m.last_payment_on,
                &m.closed_on,
                &m.credit_limit_minor,
                &m.deleted,
                &detail,
            ])
        })?;
        copy(client, NOTICES, &pending.notices, |w, n| {
            w.write(&[
                &n.account_id.map(|a| a.0),
                &n.subject_id.map(|s| s.0),
                &n.org_id.0,
                &n.account_key,
                &n.notified_on,
                &n.channel.as_str(),
                &n.batch_id.map(|b| b.0),
                &n.recorded_at,
            ])
        })?;
        Ok(())
    }
}

/// A table's COPY statement and its columns' types, in order.
struct CopyInto {
    sql: &'static str,
    types: &'static [Type],
}

const SUBJECTS: CopyInto = CopyInto {
    sql: "COPY subjects (id, name_enc, name_mac, birth_date, created_at) FROM STDIN (FORMAT binary)",
    types: &[Type::INT8, Type::BYTEA, Type::BYTEA, Type::DATE, Type::INT8],
};

const DOCUMENTS: CopyInto = CopyInto {
    sql: "COPY documents (number_mac, subject_id, doc_type, number_enc) FROM STDIN (FORMAT binary)",
    types: &[Type::BYTEA, Type::INT8, Type::TEXT, Type::BYTEA],
};

const CONSENTS: CopyInto = CopyInto {
    sql: "COPY consents (id, subject_id, org_id, scope, purpose, granted_on, expires_on, revoked_on, \
          evidence_sha256, consent_ref, batch_id, recorded_at) FROM STDIN (FORMAT binary)",
    types: &[
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::DATE,
        Type::DATE,
        Type::DATE,
        Type::BYTEA,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
    ],
};

const ACCOUNTS: CopyInto = CopyInto {
    sql: "COPY accounts (id, org_id, account_key, subject_id) FROM STDIN (FORMAT binary)",
    types: &[Type::INT8, Type::INT8, Type::TEXT, Type::INT8],
};

const VERSIONS: CopyInto = CopyInto {
    sql: concat!("COPY account_versions (", version_columns!(), ") FROM STDIN (FORMAT binary)"),
    types: &[
        Type::INT8,
        Type::INT4,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::DATE,
        Type::TEXT,
        Type::INT8,
        Type::INT4,
        Type::INT4,
        Type::TEXT,
        Type::INT8,
        Type::BOOL,
        Type::BYTEA,
    ],
};

const MONTHS: CopyInto = CopyInto {
    sql: concat!("COPY account_months (", month_columns!(), ") FROM STDIN (FORMAT binary)"),
    types: &[
        Type::INT8,
        Type::INT4,
        Type::INT4,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::DATE,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::INT4,
        Type::TEXT,
        Type::TEXT,
        Type::DATE,
        Type::DATE,
        Type::INT8,
        Type::BOOL,
        Type::BYTEA,
    ],
};

const NOTICES: CopyInto = CopyInto {
    sql: concat!("COPY notices (", notice_columns!(), ") FROM STDIN (FORMAT binary)"),
    types: &[Type::INT8, Type::INT8, Type::INT8, Type::TEXT, Type::DATE, Type::TEXT, Type::INT8, Type::INT8],
};

/// Rows in PostgreSQL's binary COPY format, as `COPY … FROM STDIN (FORMAT binary)` reads them:
/// a signature and two zero words, then for each row its field count and each field's length
/// (-1 for NULL) and binary value, then -1.
struct CopyRows {
    buf: BytesMut,
    types: &'static [Type],
}

/// The binary COPY format's signature.
const COPY_SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

impl CopyRows {
    fn new(types: &'static [Type]) -> CopyRows {
        let mut buf = BytesMut::new();
        buf.put_slice(COPY_SIGNATURE);
        buf.put_i32(0); // flags
        buf.put_i32(0); // header extension length
        CopyRows { buf, types }
    }

    /// Adds a row: one value for each of the table's types, in order.
    fn write(&mut self, values: &[&(dyn ToSql + Sync)]) -> Result<()> {
        assert_eq!(values.len(), self.types.len(), "a COPY row has a value for each column");
        let fields = i16::try_from(values.len()).map_err(|_| StoreError::Corrupt("too many COPY columns".into()))?;
        self.buf.put_i16(fields);
        for (value, ty) in values.iter().zip(self.types) {
            let at = self.buf.len();
            self.buf.put_i32(0);
            let len = match value.to_sql_checked(ty, &mut self.buf).map_err(StoreError::Backend)? {
                IsNull::Yes => -1,
                IsNull::No => i32::try_from(self.buf.len() - at - 4)
                    .map_err(|_| StoreError::Corrupt("a COPY value over 2 GiB".into()))?,
            };
            self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        }
        Ok(())
    }

    fn finish(mut self) -> Bytes {
        self.buf.put_i16(-1);
        self.buf.freeze()
    }
}

/// Sends `rows` with one binary COPY; checks the server stored them all.
fn copy<T>(client: &Conn, into: CopyInto, rows: &[T], write: impl Fn(&mut CopyRows, &T) -> Result<()>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut data = CopyRows::new(into.types);
    for row in rows {
        write(&mut data, row)?;
    }
    let data = data.finish();
    let sent = client
        .run(async |c| {
            let sink = c.copy_in::<_, Bytes>(into.sql).await?;
            let mut sink = std::pin::pin!(sink);
            sink.send(data).await?;
            sink.as_mut().finish().await
        })
        .map_err(backend)?;
    if sent != rows.len() as u64 {
        return Err(StoreError::Corrupt(format!("COPY stored {sent} of {} rows ({})", rows.len(), into.sql)));
    }
    Ok(())
}
