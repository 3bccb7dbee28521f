//! The embedded backend: SQLite (bundled) in WAL mode.

use crate::checkpoint::Checkpointer;
use crate::*;
use ob_model::{
    AccountType, Classification, ConsentScope, Currency, DocumentType, QueryReason, RepaymentStatus, Responsibility,
    SpecialKind, YearMonth,
};
use rusqlite::config::DbConfig;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use std::cell::Cell;
use std::path::Path;

/// The migrations, in order. A migration once released never changes: its checksum is verified.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_rights.sql")),
    (3, include_str!("../migrations/sqlite/0003_score.sql")),
    (4, include_str!("../migrations/sqlite/0004_access.sql")),
    (5, include_str!("../migrations/sqlite/0005_audit_chains.sql")),
    (6, include_str!("../migrations/sqlite/0006_org_type.sql")),
    (7, include_str!("../migrations/sqlite/0007_web_sessions.sql")),
    (8, include_str!("../migrations/sqlite/0008_report_details.sql")),
    (9, include_str!("../migrations/sqlite/0009_packed_months.sql")),
    (10, include_str!("../migrations/sqlite/0010_dispute_items.sql")),
    (11, include_str!("../migrations/sqlite/0011_correction_notices.sql")),
];

/// Prepared statements kept per connection (every query of this module fits).
const STATEMENT_CACHE_CAPACITY: usize = 128;

/// How long a writer waits for another process's lock before failing, in milliseconds.
const BUSY_TIMEOUT_MS: u64 = 5_000;

/// SQLite page cache size, in KiB (negative `cache_size` means KiB).
const CACHE_KIB: i64 = ob_model::limits::SQLITE_CACHE_KIB;

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// An OpenBureau store in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    /// Copies the write-ahead log into the database file off the writer's thread (a store in a
    /// file; an in-memory one has no log, and a store whose thread could not start checkpoints as
    /// SQLite does by itself). Whichever connection closes last copies what is left and deletes
    /// the log.
    checkpointer: Option<Checkpointer>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let mut store = Self::setup(Connection::open(path).map_err(backend)?)?;
        // Only a matter of speed: without the thread, the writer checkpoints in its commits.
        store.checkpointer = Checkpointer::start(path, &mut store.conn).ok();
        Ok(store)
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> Result<SqliteStore> {
        Self::setup(Connection::open_in_memory().map_err(backend)?)
    }

    fn setup(conn: Connection) -> Result<SqliteStore> {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS)).map_err(backend)?;
        // WAL: readers never block the writer; NORMAL sync is durable across process crashes and
        // atomic across power loss (the last transactions may roll back, never half-apply).
        conn.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(backend)?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB).map_err(backend)?;
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(backend)?;
        // Query plans that do not depend on the values bound. Without it, SQLite compiles again,
        // on every execution, a statement whose plan a bound value might sway — as the join of
        // `subject_by_document`: a tenth of a report's time in the bureau (docs/benchmarks.md).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(backend)?;
        register_pack_month(&conn).map_err(backend)?;
        let mut store = SqliteStore { conn, checkpointer: None };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version now on disk.
    pub fn schema_version(&self) -> Result<u32> {
        self.conn
            .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))
            .map_err(backend)
    }

    fn migrate(&mut self) -> Result<()> {
        self.conn
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT",
            )
            .map_err(backend)?;
        for (version, sql) in MIGRATIONS {
            let checksum = hex_digest(sql);
            let stored: Option<String> = self
                .conn
                .query_row("SELECT checksum FROM schema_migrations WHERE version = ?1", [version], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            match stored {
                Some(s) if s == checksum => continue,
                Some(_) => {
                    return Err(StoreError::Migration(format!(
                        "migration {version} on disk differs from this build's; refusing to open"
                    )));
                }
                None => {}
            }
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
            tx.execute_batch(sql).map_err(backend)?;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            tx.execute("INSERT INTO schema_migrations VALUES (?1, ?2, ?3)", params![version, checksum, now])
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
        }
        let newest: u32 = self.schema_version()?;
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if newest > known {
            return Err(StoreError::Migration(format!(
                "the store has schema version {newest}, newer than this build's {known}"
            )));
        }
        Ok(())
    }
}

impl Store for SqliteStore {
    fn read(&self) -> Result<Box<dyn Reader + '_>> {
        Ok(Box::new(Tx(self.conn.unchecked_transaction().map_err(backend)?, Cell::new(false))))
    }

    fn write(&mut self) -> Result<Box<dyn Writer + '_>> {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.before_write();
        }
        Ok(Box::new(Tx(
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?,
            Cell::new(false),
        )))
    }
}

/// A transaction, used for reads and writes alike, and whether a write of it failed: a batch is
/// all or nothing, so a transaction with a failed write refuses to commit (as PostgreSQL's does).
struct Tx<'c>(Transaction<'c>, Cell<bool>);

fn bad(idx: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, format!("not a valid {what}").into())
}

fn code_col<T>(row: &Row<'_>, idx: usize, parse: fn(&str) -> Option<T>, what: &str) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    parse(&s).ok_or_else(|| bad(idx, what))
}

fn opt_code_col<T>(row: &Row<'_>, idx: usize, parse: fn(&str) -> Option<T>, what: &str) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| parse(&s).ok_or_else(|| bad(idx, what))).transpose()
}

fn digest_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<[u8; 32]> {
    let v: Vec<u8> = row.get(idx)?;
    v.try_into().map_err(|_| bad(idx, "32-byte digest"))
}

/// The key of a month in `account_months` (schema 9): months since January 1901, two bytes.
fn month_key(m: YearMonth) -> i32 {
    m.months_since(YearMonth::MIN)
}

fn month_key_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<YearMonth> {
    let k: i32 = row.get(idx)?;
    if !(0..=YearMonth::MAX.months_since(YearMonth::MIN)).contains(&k) {
        return Err(bad(idx, "month key"));
    }
    Ok(YearMonth::MIN.plus(k))
}

/// Registers `ob_pack_month`, which migration 9 uses to pack the old columns of an account-month
/// into its body as [`crate::packed::encode`] does (the arguments are the old columns from
/// `month` to `detail`, in table order).
fn register_pack_month(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::{Context, FunctionFlags};
    fn invalid(what: &str) -> rusqlite::Error {
        rusqlite::Error::UserFunctionError(format!("ob_pack_month: not a valid {what}").into())
    }
    fn code<T>(ctx: &Context<'_>, idx: usize, parse: fn(&str) -> Option<T>, what: &str) -> rusqlite::Result<Option<T>> {
        let s: Option<String> = ctx.get(idx)?;
        s.map(|s| parse(&s).ok_or_else(|| invalid(what))).transpose()
    }
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("ob_pack_month", 15, flags, |ctx| {
        let month = YearMonth::from_yyyymm(ctx.get(0)?).ok_or_else(|| invalid("yyyymm month"))?;
        let detail: Option<Vec<u8>> = ctx.get(14)?;
        let m = MonthRow {
            account_id: AccountId(0),
            month,
            version: 1,
            subject_id: SubjectId(0),
            batch_id: None,
            recorded_at: 0,
            settled_on: ctx.get(1)?,
            balance_minor: ctx.get(2)?,
            used_minor: ctx.get(3)?,
            due_minor: ctx.get(4)?,
            paid_minor: ctx.get(5)?,
            past_due_minor: ctx.get(6)?,
            days_past_due: ctx.get(7)?,
            status: code(ctx, 8, RepaymentStatus::parse, "repayment status")?.ok_or_else(|| invalid("status"))?,
            class5: code(ctx, 9, Classification::parse, "classification")?,
            last_payment_on: ctx.get(10)?,
            closed_on: ctx.get(11)?,
            credit_limit_minor: ctx.get(12)?,
            deleted: ctx.get(13)?,
            detail: crate::detail::decode_month(detail.as_deref())
                .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?,
        };
        Ok(crate::packed::encode(&m))
    })
}

fn u64_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let v: i64 = row.get(idx)?;
    u64::try_from(v).map_err(|_| bad(idx, "count"))
}

fn org_row(r: &Row<'_>) -> rusqlite::Result<OrgRow> {
    let org_type = opt_code_col(r, 3, ob_model::InstitutionType::parse, "institution type")?;
    Ok(OrgRow { id: OrgId(r.get(0)?), code: r.get(1)?, name: r.get(2)?, org_type })
}

fn batch_row(r: &Row<'_>) -> rusqlite::Result<BatchRow> {
    Ok(BatchRow {
        id: BatchId(r.get(0)?),
        org_id: OrgId(r.get(1)?),
        received_at: r.get(2)?,
        records: u64_col(r, 3)?,
        accepted: u64_col(r, 4)?,
        rejected: u64_col(r, 5)?,
        format: r.get(6)?,
    })
}

fn sealed_id_row(r: &Row<'_>) -> rusqlite::Result<SealedRow> {
    Ok(SealedRow { key: SealedKey::Id(r.get(0)?), doc_type: None, sealed: r.get(1)? })
}

fn sealed_digest_row(r: &Row<'_>) -> rusqlite::Result<SealedRow> {
    Ok(SealedRow {
        key: SealedKey::Digest(digest_col(r, 0)?),
        doc_type: Some(code_col(r, 1, DocumentType::parse, "document type")?),
        sealed: r.get(2)?,
    })
}

fn api_key_row(r: &Row<'_>) -> rusqlite::Result<ApiKeyRow> {
    let org: Option<i64> = r.get(1)?;
    Ok(ApiKeyRow {
        key_sha256: digest_col(r, 0)?,
        org_id: org.map(OrgId),
        label: r.get(2)?,
        created_at: r.get(3)?,
        revoked_at: r.get(4)?,
    })
}

fn subject_row(r: &Row<'_>) -> rusqlite::Result<SubjectRow> {
    Ok(SubjectRow { id: SubjectId(r.get(0)?), name_enc: r.get(1)?, name_mac: digest_col(r, 2)?, birth_date: r.get(3)? })
}

fn account_row(r: &Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        id: AccountId(r.get(0)?),
        org_id: OrgId(r.get(1)?),
        account_key: r.get(2)?,
        subject_id: SubjectId(r.get(3)?),
    })
}

fn consent_row(r: &Row<'_>) -> rusqlite::Result<ConsentRow> {
    Ok(ConsentRow {
        id: ConsentId(r.get(0)?),
        consent: NewConsent {
            subject_id: SubjectId(r.get(1)?),
            org_id: OrgId(r.get(2)?),
            scope: code_col(r, 3, ConsentScope::parse, "consent scope")?,
            purpose: opt_code_col(r, 4, QueryReason::parse, "query reason")?,
            granted_on: r.get(5)?,
            expires_on: r.get(6)?,
            revoked_on: r.get(7)?,
            evidence_sha256: digest_col(r, 8)?,
            consent_ref: r.get(9)?,
            batch_id: r.get::<_, Option<i64>>(10)?.map(BatchId),
            recorded_at: r.get(11)?,
        },
    })
}

fn version_row(r: &Row<'_>) -> rusqlite::Result<AccountVersionRow> {
    Ok(AccountVersionRow {
        account_id: AccountId(r.get(0)?),
        version: r.get(1)?,
        subject_id: SubjectId(r.get(2)?),
        batch_id: r.get::<_, Option<i64>>(3)?.map(BatchId),
        recorded_at: r.get(4)?,
        account_type: code_col(r, 5, AccountType::parse, "account type")?,
        opened_on: r.get(6)?,
        currency: code_col(r, 7, Currency::parse, "currency")?,
        credit_limit_minor: r.get(8)?,
        periods: r.get(9)?,
        due_day: r.get(10)?,
        responsibility: code_col(r, 11, Responsibility::parse, "responsibility")?,
        credit_line_id: r.get::<_, Option<i64>>(12)?.map(AccountId),
        deleted: r.get(13)?,
        contract: detail_col(r, 14, crate::detail::decode_contract)?,
    })
}

/// A column in `ob_store::detail`'s format, decoded (NULL: nothing reported).
fn detail_col<T>(row: &Row<'_>, idx: usize, decode: fn(Option<&[u8]>) -> Result<T>) -> rusqlite::Result<T> {
    let bytes: Option<Vec<u8>> = row.get(idx)?;
    decode(bytes.as_deref()).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Blob, e.into()))
}

fn month_row(r: &Row<'_>) -> rusqlite::Result<MonthRow> {
    let head = crate::packed::MonthHead {
        account_id: AccountId(r.get(0)?),
        month: month_key_col(r, 1)?,
        version: r.get(2)?,
        subject_id: SubjectId(r.get(3)?),
        batch_id: r.get::<_, Option<i64>>(4)?.map(BatchId),
        recorded_at: r.get(5)?,
    };
    let body = r.get_ref(6)?.as_blob()?;
    crate::packed::decode(head, body).map_err(|e| rusqlite::Error::FromSqlConversionFailure(6, Type::Blob, e.into()))
}

fn inquiry_row(r: &Row<'_>) -> rusqlite::Result<InquiryRow> {
    Ok(InquiryRow {
        id: InquiryId(r.get(0)?),
        inquiry: NewInquiry {
            subject_id: SubjectId(r.get(1)?),
            org_id: r.get::<_, Option<i64>>(2)?.map(OrgId),
            reason: code_col(r, 3, QueryReason::parse, "query reason")?,
            consent_id: r.get::<_, Option<i64>>(4)?.map(ConsentId),
            at: r.get(5)?,
            hard: r.get(6)?,
        },
    })
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: u64_col(r, 0)?,
        at: r.get(1)?,
        kind: r.get(2)?,
        subject_id: r.get::<_, Option<i64>>(3)?.map(SubjectId),
        org_id: r.get::<_, Option<i64>>(4)?.map(OrgId),
        detail: r.get(5)?,
        prev_hash: digest_col(r, 6)?,
        hash: digest_col(r, 7)?,
        chain: r.get(8)?,
    })
}

/// The columns of `notices`, as a literal.
macro_rules! notice_columns {
    () => {
        "account_id, subject_id, org_id, account_key, notified_on, channel, batch_id, recorded_at"
    };
}

fn notice_row(r: &Row<'_>) -> rusqlite::Result<NoticeRow> {
    Ok(NoticeRow {
        account_id: r.get::<_, Option<i64>>(0)?.map(AccountId),
        subject_id: r.get::<_, Option<i64>>(1)?.map(SubjectId),
        org_id: OrgId(r.get(2)?),
        account_key: r.get(3)?,
        notified_on: r.get(4)?,
        channel: code_col(r, 5, ob_model::NoticeChannel::parse, "notice channel")?,
        batch_id: r.get::<_, Option<i64>>(6)?.map(BatchId),
        recorded_at: r.get(7)?,
    })
}

/// The columns of `disputes`, as a literal.
macro_rules! dispute_columns {
    () => {
        "id, subject_id, item_kind, account_id, month, inquiry_id, org_id, dispute_type, filed_at, due_on, item_seq,
         item_key"
    };
}

fn dispute_row(r: &Row<'_>) -> rusqlite::Result<DisputeRow> {
    let kind: String = r.get(2)?;
    let key: Option<String> = r.get(11)?;
    let columns = DisputeColumns {
        kind: &kind,
        account_id: r.get(3)?,
        month: r.get::<_, Option<u32>>(4)?.and_then(YearMonth::from_yyyymm),
        inquiry_id: r.get(5)?,
        item_seq: r.get(10)?,
        item_key: key.as_deref(),
    };
    let org_id = r.get::<_, Option<i64>>(6)?.map(OrgId);
    Ok(DisputeRow {
        id: DisputeId(r.get(0)?),
        dispute: NewDispute {
            subject_id: SubjectId(r.get(1)?),
            item: DisputeItem::from_columns(&columns, org_id).ok_or_else(|| bad(2, "dispute item"))?,
            org_id,
            dispute_type: code_col(r, 7, ob_model::DisputeType::parse, "dispute type")?,
            filed_at: r.get(8)?,
            due_on: r.get(9)?,
        },
    })
}

/// The columns of `correction_notices`, as a literal.
macro_rules! correction_notice_columns {
    () => {
        "id, subject_id, dispute_id, org_id, inquiry_id, state, created_at"
    };
}

fn correction_notice_row(r: &Row<'_>) -> rusqlite::Result<CorrectionNoticeRow> {
    Ok(CorrectionNoticeRow {
        id: CorrectionNoticeId(r.get(0)?),
        subject_id: SubjectId(r.get(1)?),
        dispute_id: DisputeId(r.get(2)?),
        org_id: OrgId(r.get(3)?),
        inquiry_id: InquiryId(r.get(4)?),
        state: code_col(r, 5, ob_model::DisputeState::parse, "dispute state")?,
        created_at: r.get(6)?,
    })
}

/// Sorts rows by a key (queries avoid ORDER BY, see below).
fn sorted<T, K: Ord>(mut rows: Vec<T>, key: impl FnMut(&T) -> K) -> Result<Vec<T>> {
    rows.sort_by_key(key);
    Ok(rows)
}

/// The columns of `agreements`, as a literal.
macro_rules! agreement_columns {
    () => {
        "org_id, agreement_key, version, subject_id, batch_id, recorded_at, kind, currency, limit_minor, effective_on, \
         expires_on, ended, responsibility"
    };
}

fn agreement_row(r: &Row<'_>) -> rusqlite::Result<AgreementRow> {
    Ok(AgreementRow {
        org_id: OrgId(r.get(0)?),
        agreement_key: r.get(1)?,
        version: r.get(2)?,
        subject_id: SubjectId(r.get(3)?),
        batch_id: r.get::<_, Option<i64>>(4)?.map(BatchId),
        recorded_at: r.get(5)?,
        kind: code_col(r, 6, ob_model::AgreementKind::parse, "agreement kind")?,
        currency: code_col(r, 7, Currency::parse, "currency")?,
        limit_minor: r.get(8)?,
        effective_on: r.get(9)?,
        expires_on: r.get(10)?,
        ended: r.get(11)?,
        responsibility: code_col(r, 12, Responsibility::parse, "responsibility")?,
    })
}

/// The columns of `consents` that `consent_row` reads, as a literal.
macro_rules! consent_columns {
    () => {
        "id, subject_id, org_id, scope, purpose, granted_on, expires_on, revoked_on, evidence_sha256, consent_ref, \
         batch_id, recorded_at"
    };
}

/// The columns of `account_months` (the body packed by [`crate::packed`]), as a literal so that statements are built at compile time.
macro_rules! month_columns {
    () => {
        "account_id, month, version, subject_id, batch_id, recorded_at, body"
    };
}

// Hot queries have no ORDER BY or GROUP BY: before query plans were made independent of bound
// values (SQLITE_DBCONFIG_ENABLE_QPSG, see `setup`), this SQLite recompiled (sqlite3Reprepare) a
// statement with ORDER BY/GROUP BY and an equality on a bound parameter every time the parameter
// changed, which cost 13% of ingest. Rows are sorted and reduced in Rust (docs/benchmarks.md).
impl Tx<'_> {
    fn one<T>(&self, sql: &str, p: impl rusqlite::Params, f: fn(&Row<'_>) -> rusqlite::Result<T>) -> Result<Option<T>> {
        let mut st = self.0.prepare_cached(sql).map_err(backend)?;
        st.query_row(p, f).optional().map_err(backend)
    }

    fn all<T>(&self, sql: &str, p: impl rusqlite::Params, f: fn(&Row<'_>) -> rusqlite::Result<T>) -> Result<Vec<T>> {
        let mut st = self.0.prepare_cached(sql).map_err(backend)?;
        let rows = st.query_map(p, f).map_err(backend)?;
        rows.collect::<rusqlite::Result<Vec<T>>>().map_err(backend)
    }

    /// Notes a failed write and passes the result on.
    fn check<T>(&self, r: rusqlite::Result<T>) -> Result<T> {
        r.map_err(|e| {
            self.1.set(true);
            backend(e)
        })
    }

    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<()> {
        self.check(self.0.prepare_cached(sql).and_then(|mut st| st.execute(p))).map(drop)
    }

    fn insert(&self, sql: &str, p: impl rusqlite::Params) -> Result<i64> {
        self.check(self.0.prepare_cached(sql).and_then(|mut st| st.insert(p)))
    }

    /// Runs a write; the rows it changed.
    fn changed(&self, sql: &str, p: impl rusqlite::Params) -> Result<usize> {
        self.check(self.0.prepare_cached(sql).and_then(|mut st| st.execute(p)))
    }

    fn count(&self, table: &str) -> Result<u64> {
        let n: i64 = self.0.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).map_err(backend)?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count in {table}")))
    }
}

impl Reader for Tx<'_> {
    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.one("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
    }

    fn org_by_code(&self, code: &str) -> Result<Option<OrgRow>> {
        self.one("SELECT id, code, name, org_type FROM organizations WHERE code = ?1", [code], org_row)
    }

    fn org(&self, id: OrgId) -> Result<Option<OrgRow>> {
        self.one("SELECT id, code, name, org_type FROM organizations WHERE id = ?1", [id.0], org_row)
    }

    fn subject_by_document(&self, number_mac: &[u8; 32]) -> Result<Option<SubjectRow>> {
        self.one(
            "SELECT s.id, s.name_enc, s.name_mac, s.birth_date FROM documents d
             JOIN subjects s ON s.id = d.subject_id WHERE d.number_mac = ?1",
            [&number_mac[..]],
            subject_row,
        )
    }

    fn subject(&self, id: SubjectId) -> Result<Option<SubjectRow>> {
        self.one("SELECT id, name_enc, name_mac, birth_date FROM subjects WHERE id = ?1", [id.0], subject_row)
    }

    fn documents_of(&self, subject: SubjectId) -> Result<Vec<DocumentRow>> {
        self.all(
            "SELECT number_mac, subject_id, doc_type, number_enc FROM documents WHERE subject_id = ?1",
            [subject.0],
            |r| {
                Ok(DocumentRow {
                    number_mac: digest_col(r, 0)?,
                    subject_id: SubjectId(r.get(1)?),
                    doc_type: code_col(r, 2, DocumentType::parse, "document type")?,
                    number_enc: r.get(3)?,
                })
            },
        )
        .map(|mut v| {
            v.sort_by_key(|d| d.doc_type);
            v
        })
    }

    fn consents_of(&self, subject: SubjectId) -> Result<Vec<ConsentRow>> {
        self.all(
            concat!("SELECT ", consent_columns!(), " FROM consents WHERE subject_id = ?1"),
            [subject.0],
            consent_row,
        )
        .map(|mut v| {
            v.sort_by_key(|c| c.id);
            v
        })
    }

    fn account_by_key(&self, org: OrgId, account_key: &str) -> Result<Option<AccountRow>> {
        self.one(
            "SELECT id, org_id, account_key, subject_id FROM accounts WHERE org_id = ?1 AND account_key = ?2",
            params![org.0, account_key],
            account_row,
        )
    }

    fn account_key_held_elsewhere(&self, org: OrgId, account_key: &str) -> Result<bool> {
        let found: Option<i64> = self.one(
            "SELECT 1 FROM accounts WHERE account_key = ?1 AND org_id <> ?2 LIMIT 1",
            params![account_key, org.0],
            |r| r.get(0),
        )?;
        Ok(found.is_some())
    }

    fn month_versions(&self, account: AccountId) -> Result<Vec<(YearMonth, u32)>> {
        let rows: Vec<(YearMonth, u32)> =
            self.all("SELECT month, version FROM account_months WHERE account_id = ?1", [account.0], |r| {
                Ok((month_key_col(r, 0)?, r.get(1)?))
            })?;
        let mut latest = std::collections::BTreeMap::new();
        for (month, version) in rows {
            let v = latest.entry(month).or_insert(version);
            *v = (*v).max(version);
        }
        Ok(latest.into_iter().collect())
    }

    fn accounts_from_key(&self, org: OrgId, from: &str, limit: u32) -> Result<Vec<AccountAhead>> {
        // The index of UNIQUE (org_id, account_key) yields the keys in order: no sort. Every
        // version of each account comes back; the latest is kept below. The newest month is one
        // seek at the end of the account's range of the primary key.
        let rows = self.all(
            "SELECT v.account_id, v.version, v.subject_id, v.batch_id, v.recorded_at, v.account_type, v.opened_on,
                    v.currency, v.credit_limit_minor, v.periods, v.due_day, v.responsibility, v.credit_line_id,
                    v.deleted, v.contract, a.id, a.org_id, a.account_key, a.subject_id,
                    (SELECT MAX(month) FROM account_months m WHERE m.account_id = a.id)
             FROM (SELECT id, org_id, account_key, subject_id FROM accounts
                   WHERE org_id = ?1 AND account_key >= ?2 ORDER BY account_key LIMIT ?3) AS a
             JOIN account_versions AS v ON v.account_id = a.id",
            params![org.0, from, limit],
            |r| {
                let account = AccountRow {
                    id: AccountId(r.get(15)?),
                    org_id: OrgId(r.get(16)?),
                    account_key: r.get(17)?,
                    subject_id: SubjectId(r.get(18)?),
                };
                let newest_month = match r.get_ref(19)? {
                    rusqlite::types::ValueRef::Null => None,
                    _ => Some(month_key_col(r, 19)?),
                };
                Ok(AccountAhead { account, terms: version_row(r)?, newest_month })
            },
        )?;
        let mut latest: Vec<AccountAhead> = Vec::with_capacity(rows.len());
        let mut rows = rows;
        rows.sort_by(|a, b| (&a.account.account_key, a.terms.version).cmp(&(&b.account.account_key, b.terms.version)));
        for row in rows {
            match latest.last_mut() {
                Some(last) if last.account.id == row.account.id => *last = row,
                _ => latest.push(row),
            }
        }
        Ok(latest)
    }

    fn consents_of_subjects(&self, org: OrgId, subjects: &[SubjectId]) -> Result<Vec<ConsentRow>> {
        // In the index's order, so that the seeks go one way through it.
        let mut sorted: Vec<SubjectId> = subjects.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut rows = Vec::new();
        for subject in sorted {
            rows.extend(self.all(
                concat!("SELECT ", consent_columns!(), " FROM consents WHERE subject_id = ?1 AND org_id = ?2"),
                params![subject.0, org.0],
                consent_row,
            )?);
        }
        Ok(rows)
    }

    fn month_version(&self, account: AccountId, month: YearMonth) -> Result<Option<u32>> {
        // The primary key (account_id, month, version) answers MAX(version) from its last entry.
        self.0
            .prepare_cached("SELECT MAX(version) FROM account_months WHERE account_id = ?1 AND month = ?2")
            .and_then(|mut st| st.query_row(params![account.0, month_key(month)], |r| r.get(0)))
            .map_err(backend)
    }

    fn batch_by_digest(&self, org: OrgId, file_sha256: &[u8; 32]) -> Result<Option<BatchRow>> {
        self.one(
            "SELECT id, org_id, received_at, records, accepted, rejected, format FROM batches
             WHERE org_id = ?1 AND file_sha256 = ?2",
            params![org.0, &file_sha256[..]],
            batch_row,
        )
    }

    fn batch(&self, id: BatchId) -> Result<Option<BatchRow>> {
        self.one(
            "SELECT id, org_id, received_at, records, accepted, rejected, format FROM batches WHERE id = ?1",
            [id.0],
            batch_row,
        )
    }

    fn batches_of(&self, org: OrgId, after: BatchId, limit: u32) -> Result<Vec<BatchRow>> {
        // A page must be the next `limit` ids: ORDER BY id, or SQLite may walk the
        // (org_id, file_sha256) index and return ids in hash order.
        self.all(
            "SELECT id, org_id, received_at, records, accepted, rejected, format FROM batches
             WHERE org_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            params![org.0, after.0, limit],
            batch_row,
        )
    }

    fn batch_feedback(&self, id: BatchId) -> Result<Option<BatchFeedbackRow>> {
        self.one("SELECT batch_id, media_type, body_enc FROM batch_feedback WHERE batch_id = ?1", [id.0], |r| {
            Ok(BatchFeedbackRow { batch_id: BatchId(r.get(0)?), media_type: r.get(1)?, body_enc: r.get(2)? })
        })
    }

    fn orgs(&self) -> Result<Vec<OrgRow>> {
        let mut rows = self.all("SELECT id, code, name, org_type FROM organizations", [], org_row)?;
        rows.sort_by_key(|o| o.id.0);
        Ok(rows)
    }

    fn org_roles(&self, id: OrgId) -> Result<String> {
        Ok(self.one("SELECT roles FROM organizations WHERE id = ?1", [id.0], |r| r.get(0))?.unwrap_or_default())
    }

    fn api_key(&self, key_sha256: &[u8; 32]) -> Result<Option<ApiKeyRow>> {
        self.one(
            "SELECT key_sha256, org_id, label, created_at, revoked_at FROM api_keys WHERE key_sha256 = ?1",
            [&key_sha256[..]],
            api_key_row,
        )
    }

    fn api_keys_of(&self, org: Option<OrgId>) -> Result<Vec<ApiKeyRow>> {
        let mut rows = self.all(
            "SELECT key_sha256, org_id, label, created_at, revoked_at FROM api_keys WHERE org_id IS ?1",
            [org.map(|o| o.0)],
            api_key_row,
        )?;
        rows.sort_by_key(|k| k.created_at);
        Ok(rows)
    }

    fn person_login(&self, subject: SubjectId) -> Result<Option<PersonLoginRow>> {
        self.one(
            "SELECT subject_id, password_phc, created_at, updated_at FROM person_logins WHERE subject_id = ?1",
            [subject.0],
            |r| {
                Ok(PersonLoginRow {
                    subject_id: SubjectId(r.get(0)?),
                    password_phc: r.get(1)?,
                    created_at: r.get(2)?,
                    updated_at: r.get(3)?,
                })
            },
        )
    }

    fn accounts_of(&self, subject: SubjectId) -> Result<Vec<AccountRow>> {
        self.all(
            "SELECT id, org_id, account_key, subject_id FROM accounts WHERE subject_id = ?1",
            [subject.0],
            account_row,
        )
        .map(|mut v| {
            v.sort_by_key(|a| a.id);
            v
        })
    }

    fn account_version(&self, account: AccountId, recorded_at_max: i64) -> Result<Option<AccountVersionRow>> {
        self.all(
            "SELECT account_id, version, subject_id, batch_id, recorded_at, account_type, opened_on, currency,
                    credit_limit_minor, periods, due_day, responsibility, credit_line_id, deleted, contract
             FROM account_versions WHERE account_id = ?1 AND recorded_at <= ?2",
            params![account.0, recorded_at_max],
            version_row,
        )
        .map(|v| v.into_iter().max_by_key(|v| v.version))
    }

    fn months(
        &self,
        account: AccountId,
        from: YearMonth,
        to: YearMonth,
        recorded_at_max: i64,
    ) -> Result<Vec<MonthRow>> {
        // Latest version per month among those recorded by the cut-off: SQLite's bare-column
        // rule for MAX() returns the other columns from the row holding the maximum.
        const SQL: &str = concat!(
            "SELECT ",
            month_columns!(),
            " FROM account_months
             WHERE account_id = ?1 AND month BETWEEN ?2 AND ?3 AND recorded_at <= ?4"
        );
        let rows = self.all(SQL, params![account.0, month_key(from), month_key(to), recorded_at_max], month_row)?;
        Ok(latest_per_month(rows))
    }

    fn agreements_of(&self, subject: SubjectId, recorded_at_max: i64) -> Result<Vec<AgreementRow>> {
        const SQL: &str =
            concat!("SELECT ", agreement_columns!(), " FROM agreements WHERE subject_id = ?1 AND recorded_at <= ?2");
        Ok(latest_agreements(self.all(SQL, params![subject.0, recorded_at_max], agreement_row)?))
    }

    fn agreement_by_key(&self, org: OrgId, agreement_key: &str) -> Result<Option<AgreementRow>> {
        const SQL: &str =
            concat!("SELECT ", agreement_columns!(), " FROM agreements WHERE org_id = ?1 AND agreement_key = ?2");
        Ok(self.all(SQL, params![org.0, agreement_key], agreement_row)?.into_iter().max_by_key(|a| a.version))
    }

    fn specials_of(&self, subject: SubjectId, account: AccountId, recorded_at_max: i64) -> Result<Vec<SpecialRow>> {
        let rows = self.all(
            "SELECT account_id, subject_id, kind, on_date, amount_minor, months_changed, batch_id, recorded_at, seq
             FROM specials WHERE account_id = ?1 AND subject_id = ?2 AND recorded_at <= ?3",
            params![account.0, subject.0, recorded_at_max],
            |r| {
                let row = SpecialRow {
                    account_id: AccountId(r.get(0)?),
                    seq: r.get(8)?,
                    subject_id: SubjectId(r.get(1)?),
                    kind: code_col(r, 2, SpecialKind::parse, "special kind")?,
                    on: r.get(3)?,
                    amount_minor: r.get(4)?,
                    months_changed: r.get(5)?,
                    batch_id: r.get::<_, Option<i64>>(6)?.map(BatchId),
                    recorded_at: r.get(7)?,
                };
                Ok(row)
            },
        )?;
        sorted(rows, |row| row.seq)
    }

    fn notices_of(&self, account: AccountId) -> Result<Vec<NoticeRow>> {
        const SQL: &str = concat!("SELECT ", notice_columns!(), " FROM notices WHERE account_id = ?1");
        sorted(self.all(SQL, [account.0], notice_row)?, |n| (n.notified_on, n.recorded_at))
    }

    fn pending_notices(&self, org: OrgId, account_key: &str) -> Result<Vec<NoticeRow>> {
        const SQL: &str = concat!(
            "SELECT ",
            notice_columns!(),
            " FROM notices WHERE org_id = ?1 AND account_key = ?2 AND account_id IS NULL"
        );
        sorted(self.all(SQL, params![org.0, account_key], notice_row)?, |n| (n.notified_on, n.recorded_at))
    }

    fn has_pending_notices(&self, org: OrgId) -> Result<bool> {
        let found: Option<i64> =
            self.one("SELECT 1 FROM notices WHERE org_id = ?1 AND account_id IS NULL LIMIT 1", [org.0], |r| r.get(0))?;
        Ok(found.is_some())
    }

    fn inquiries_of(&self, subject: SubjectId, from_at: i64, to_at: i64) -> Result<Vec<InquiryRow>> {
        self.all(
            "SELECT id, subject_id, org_id, reason, consent_id, at, hard FROM inquiries
             WHERE subject_id = ?1 AND at BETWEEN ?2 AND ?3",
            params![subject.0, from_at, to_at],
            inquiry_row,
        )
        .map(|mut v| {
            v.sort_by_key(|q| (q.inquiry.at, q.id));
            v
        })
    }

    fn audit_chains(&self) -> u32 {
        // One writer at a time: one chain, the chain of every store before schema 5.
        1
    }

    fn audit_last(&self, chain: u32) -> Result<Option<AuditRow>> {
        self.one(
            "SELECT seq, at, kind, subject_id, org_id, detail, prev_hash, hash, chain FROM audit_events
             WHERE seq = (SELECT MAX(seq) FROM audit_events WHERE chain = ?1)",
            [chain],
            audit_row,
        )
    }

    fn audit_after(&self, after: u64, limit: u32) -> Result<Vec<AuditRow>> {
        let after = i64::try_from(after).map_err(|_| StoreError::Corrupt("audit sequence overflow".into()))?;
        self.all(
            "SELECT seq, at, kind, subject_id, org_id, detail, prev_hash, hash, chain FROM audit_events
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            params![after, limit],
            audit_row,
        )
    }

    fn counts(&self) -> Result<Counts> {
        Ok(Counts {
            organizations: self.count("organizations")?,
            subjects: self.count("subjects")?,
            accounts: self.count("accounts")?,
            account_months: self.count("account_months")?,
            consents: self.count("consents")?,
            batches: self.count("batches")?,
            inquiries: self.count("inquiries")?,
            audit_events: self.count("audit_events")?,
        })
    }

    fn consent(&self, id: ConsentId) -> Result<Option<ConsentRow>> {
        self.one(concat!("SELECT ", consent_columns!(), " FROM consents WHERE id = ?1"), [id.0], consent_row)
    }

    fn inquiry(&self, id: InquiryId) -> Result<Option<InquiryRow>> {
        self.one(
            "SELECT id, subject_id, org_id, reason, consent_id, at, hard FROM inquiries WHERE id = ?1",
            [id.0],
            inquiry_row,
        )
    }

    fn account(&self, id: AccountId) -> Result<Option<AccountRow>> {
        self.one("SELECT id, org_id, account_key, subject_id FROM accounts WHERE id = ?1", [id.0], account_row)
    }

    fn dispute(&self, id: DisputeId) -> Result<Option<DisputeRow>> {
        self.one(concat!("SELECT ", dispute_columns!(), " FROM disputes WHERE id = ?1"), [id.0], dispute_row)
    }

    fn disputes_of(&self, subject: SubjectId) -> Result<Vec<DisputeRow>> {
        sorted(
            self.all(
                concat!("SELECT ", dispute_columns!(), " FROM disputes WHERE subject_id = ?1"),
                [subject.0],
                dispute_row,
            )?,
            |d| d.id,
        )
    }

    fn disputes_for_org(&self, org: OrgId) -> Result<Vec<DisputeRow>> {
        sorted(
            self.all(concat!("SELECT ", dispute_columns!(), " FROM disputes WHERE org_id = ?1"), [org.0], dispute_row)?,
            |d| d.id,
        )
    }

    fn dispute_events(&self, dispute: DisputeId) -> Result<Vec<DisputeEventRow>> {
        let rows = self.all(
            "SELECT id, dispute_id, subject_id, at, state, note FROM dispute_events WHERE dispute_id = ?1",
            [dispute.0],
            |r| {
                let id: i64 = r.get(0)?;
                let event = DisputeEventRow {
                    dispute_id: DisputeId(r.get(1)?),
                    subject_id: SubjectId(r.get(2)?),
                    at: r.get(3)?,
                    state: code_col(r, 4, ob_model::DisputeState::parse, "dispute state")?,
                    note: r.get(5)?,
                };
                Ok((id, event))
            },
        )?;
        Ok(sorted(rows, |(id, _)| *id)?.into_iter().map(|(_, e)| e).collect())
    }

    fn statements_of(&self, subject: SubjectId) -> Result<Vec<StatementRow>> {
        sorted(
            self.all(
                "SELECT id, subject_id, account_id, month, statement_type, text_enc, added_at, withdrawn_at
                 FROM statements WHERE subject_id = ?1",
                [subject.0],
                |r| {
                    Ok(StatementRow {
                        id: StatementId(r.get(0)?),
                        subject_id: SubjectId(r.get(1)?),
                        account_id: AccountId(r.get(2)?),
                        month: r
                            .get::<_, Option<u32>>(3)?
                            .map(|m| YearMonth::from_yyyymm(m).ok_or_else(|| bad(3, "month")))
                            .transpose()?,
                        statement_type: code_col(r, 4, ob_model::StatementType::parse, "statement type")?,
                        text_enc: r.get(5)?,
                        added_at: r.get(6)?,
                        withdrawn_at: r.get(7)?,
                    })
                },
            )?,
            |s| s.id,
        )
    }

    fn flags_of(&self, subject: SubjectId) -> Result<Vec<FlagRow>> {
        sorted(
            self.all(
                "SELECT id, subject_id, kind, placed_at, expires_on, lifted_at FROM file_flags WHERE subject_id = ?1",
                [subject.0],
                |r| {
                    Ok(FlagRow {
                        id: FlagId(r.get(0)?),
                        subject_id: SubjectId(r.get(1)?),
                        kind: code_col(r, 2, ob_model::FlagKind::parse, "flag kind")?,
                        placed_at: r.get(3)?,
                        expires_on: r.get(4)?,
                        lifted_at: r.get(5)?,
                    })
                },
            )?,
            |f| f.id,
        )
    }

    fn correction_notices_of(&self, subject: SubjectId) -> Result<Vec<CorrectionNoticeRow>> {
        sorted(
            self.all(
                concat!("SELECT ", correction_notice_columns!(), " FROM correction_notices WHERE subject_id = ?1"),
                [subject.0],
                correction_notice_row,
            )?,
            |n| n.id,
        )
    }

    fn correction_notices_for(
        &self,
        org: OrgId,
        after: CorrectionNoticeId,
        limit: u32,
    ) -> Result<Vec<CorrectionNoticeRow>> {
        self.all(
            concat!(
                "SELECT ",
                correction_notice_columns!(),
                " FROM correction_notices WHERE org_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
            ),
            params![org.0, after.0, limit],
            correction_notice_row,
        )
    }

    fn accounts_with_negative_months(&self) -> Result<Vec<AccountId>> {
        // The body is packed (crate::packed): every month is read and judged here. The rows come in
        // primary-key order, so an account's months are together.
        let mut accounts: Vec<AccountId> = Vec::new();
        let mut st =
            self.0.prepare_cached(concat!("SELECT ", month_columns!(), " FROM account_months")).map_err(backend)?;
        let mut rows = st.query([]).map_err(backend)?;
        while let Some(row) = rows.next().map_err(backend)? {
            let m = month_row(row).map_err(backend)?;
            if (m.status.is_negative() || m.past_due_minor > 0) && accounts.last() != Some(&m.account_id) {
                accounts.push(m.account_id);
            }
        }
        Ok(accounts)
    }

    fn subjects_after(&self, after: SubjectId, limit: u32) -> Result<Vec<SubjectId>> {
        let ids = self.all("SELECT id FROM subjects WHERE id > ?1 LIMIT ?2", params![after.0, limit], |r| {
            Ok(SubjectId(r.get(0)?))
        })?;
        sorted(ids, |s| *s)
    }

    fn latest_score_version(&self) -> Result<Option<u32>> {
        let v: Option<Option<u32>> = self.one("SELECT MAX(version) FROM score_models", [], |r| r.get(0))?;
        Ok(v.flatten())
    }

    fn latest_score_model(&self) -> Result<Option<ScoreModelRow>> {
        self.one(
            "SELECT version, built_at, as_of, model_json, percentiles_json FROM score_models
             WHERE version = (SELECT MAX(version) FROM score_models)",
            [],
            |r| {
                Ok(ScoreModelRow {
                    version: r.get(0)?,
                    built_at: r.get(1)?,
                    as_of: r.get(2)?,
                    model_json: r.get(3)?,
                    percentiles_json: r.get(4)?,
                })
            },
        )
    }

    fn audit_checkpoints(&self) -> Result<Vec<CheckpointRow>> {
        let rows = self.all("SELECT seq, at, hash, public_key, signature FROM audit_checkpoints", [], |r| {
            Ok(CheckpointRow {
                seq: u64_col(r, 0)?,
                at: r.get(1)?,
                hash: digest_col(r, 2)?,
                public_key: digest_col(r, 3)?,
                signature: r.get(4)?,
            })
        })?;
        sorted(rows, |c| c.seq)
    }

    fn web_session(&self, token_sha256: &[u8; 32]) -> Result<Option<WebSessionRow>> {
        self.one(
            "SELECT token_sha256, subject_id, doc_type, number_enc, created_at, shown_inquiry
             FROM web_sessions WHERE token_sha256 = ?1",
            [&token_sha256[..]],
            |r| {
                Ok(WebSessionRow {
                    token_sha256: digest_col(r, 0)?,
                    subject_id: SubjectId(r.get(1)?),
                    doc_type: code_col(r, 2, DocumentType::parse, "document type")?,
                    number_enc: r.get(3)?,
                    created_at: r.get(4)?,
                    shown_inquiry: r.get::<_, Option<i64>>(5)?.map(InquiryId),
                })
            },
        )
    }

    fn web_sessions_held(&self) -> Result<u64> {
        self.count("web_sessions")
    }

    fn sealed_after(&self, table: SealedTable, after: Option<&SealedKey>, limit: u32) -> Result<Vec<SealedRow>> {
        let (sql, by_id) = match table {
            SealedTable::Subjects => ("SELECT id, name_enc FROM subjects WHERE id > ?1 ORDER BY id LIMIT ?2", true),
            SealedTable::Statements => ("SELECT id, text_enc FROM statements WHERE id > ?1 ORDER BY id LIMIT ?2", true),
            SealedTable::BatchFeedback => {
                ("SELECT batch_id, body_enc FROM batch_feedback WHERE batch_id > ?1 ORDER BY batch_id LIMIT ?2", true)
            }
            SealedTable::Documents => (
                "SELECT number_mac, doc_type, number_enc FROM documents WHERE number_mac > ?1 ORDER BY number_mac LIMIT ?2",
                false,
            ),
            SealedTable::WebSessions => (
                "SELECT token_sha256, doc_type, number_enc FROM web_sessions WHERE token_sha256 > ?1
                 ORDER BY token_sha256 LIMIT ?2",
                false,
            ),
        };
        match (by_id, after) {
            (true, Some(SealedKey::Id(id))) => self.all(sql, params![id, limit], sealed_id_row),
            (true, _) => self.all(sql, params![i64::MIN, limit], sealed_id_row),
            (false, Some(SealedKey::Digest(d))) => self.all(sql, params![&d[..], limit], sealed_digest_row),
            (false, _) => self.all(sql, params![&[0u8; 0][..], limit], sealed_digest_row),
        }
    }
}

fn i64_of(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt("count exceeds i64".into()))
}

impl Writer for Tx<'_> {
    fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.exec(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
            [key, value],
        )
    }

    fn insert_org(&mut self, code: &str, name: &str, created_at: i64) -> Result<OrgId> {
        self.insert(
            "INSERT INTO organizations (code, name, created_at) VALUES (?1, ?2, ?3)",
            params![code, name, created_at],
        )
        .map(OrgId)
    }

    fn set_org_roles(&mut self, id: OrgId, roles: &str) -> Result<()> {
        self.exec("UPDATE organizations SET roles = ?2 WHERE id = ?1", params![id.0, roles])
    }

    fn set_org_type(&mut self, id: OrgId, org_type: ob_model::InstitutionType) -> Result<()> {
        self.exec("UPDATE organizations SET org_type = ?2 WHERE id = ?1", params![id.0, org_type.as_str()])
    }

    fn insert_api_key(&mut self, k: &ApiKeyRow) -> Result<()> {
        self.exec(
            "INSERT INTO api_keys (key_sha256, org_id, label, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![&k.key_sha256[..], k.org_id.map(|o| o.0), k.label, k.created_at, k.revoked_at],
        )
    }

    fn revoke_api_key(&mut self, key_sha256: &[u8; 32], at: i64) -> Result<bool> {
        let n = self.check(
            self.0
                .prepare_cached("UPDATE api_keys SET revoked_at = ?2 WHERE key_sha256 = ?1 AND revoked_at IS NULL")
                .and_then(|mut st| st.execute(params![&key_sha256[..], at])),
        )?;
        Ok(n == 1)
    }

    fn put_batch_feedback(&mut self, f: &BatchFeedbackRow) -> Result<()> {
        self.exec(
            "INSERT OR REPLACE INTO batch_feedback (batch_id, media_type, body_enc) VALUES (?1, ?2, ?3)",
            params![f.batch_id.0, f.media_type, f.body_enc],
        )
    }

    fn put_person_login(&mut self, l: &PersonLoginRow) -> Result<()> {
        self.exec(
            "INSERT INTO person_logins (subject_id, password_phc, created_at, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (subject_id) DO UPDATE SET password_phc = excluded.password_phc, updated_at = excluded.updated_at",
            params![l.subject_id.0, l.password_phc, l.created_at, l.updated_at],
        )
    }

    fn insert_batch(&mut self, b: &NewBatch) -> Result<BatchId> {
        self.insert(
            "INSERT INTO batches (org_id, file_sha256, format, received_at) VALUES (?1, ?2, ?3, ?4)",
            params![b.org_id.0, &b.file_sha256[..], b.format, b.received_at],
        )
        .map(BatchId)
    }

    fn finish_batch(&mut self, id: BatchId, records: u64, accepted: u64, rejected: u64) -> Result<()> {
        self.exec(
            "UPDATE batches SET records = ?2, accepted = ?3, rejected = ?4 WHERE id = ?1",
            params![id.0, i64_of(records)?, i64_of(accepted)?, i64_of(rejected)?],
        )
    }

    fn insert_subject(&mut self, s: &NewSubject) -> Result<SubjectId> {
        self.insert(
            "INSERT INTO subjects (name_enc, name_mac, birth_date, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![s.name_enc, &s.name_mac[..], s.birth_date, s.created_at],
        )
        .map(SubjectId)
    }

    fn insert_document(&mut self, d: &DocumentRow) -> Result<()> {
        self.exec(
            "INSERT INTO documents (number_mac, subject_id, doc_type, number_enc) VALUES (?1, ?2, ?3, ?4)",
            params![&d.number_mac[..], d.subject_id.0, d.doc_type.as_str(), d.number_enc],
        )
    }

    fn insert_consent(&mut self, c: &NewConsent) -> Result<ConsentId> {
        self.insert(
            "INSERT INTO consents (subject_id, org_id, scope, purpose, granted_on, expires_on, revoked_on,
                 evidence_sha256, consent_ref, batch_id, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                c.subject_id.0,
                c.org_id.0,
                c.scope.as_str(),
                c.purpose.map(QueryReason::as_str),
                c.granted_on,
                c.expires_on,
                c.revoked_on,
                &c.evidence_sha256[..],
                c.consent_ref,
                c.batch_id.map(|b| b.0),
                c.recorded_at
            ],
        )
        .map(ConsentId)
    }

    fn insert_account(&mut self, org: OrgId, account_key: &str, subject: SubjectId) -> Result<AccountId> {
        self.insert(
            "INSERT INTO accounts (org_id, account_key, subject_id) VALUES (?1, ?2, ?3)",
            params![org.0, account_key, subject.0],
        )
        .map(AccountId)
    }

    fn rekey_account(&mut self, account: AccountId, new_key: &str) -> Result<()> {
        self.exec("UPDATE accounts SET account_key = ?2 WHERE id = ?1", params![account.0, new_key])
    }

    fn insert_account_version(&mut self, v: &AccountVersionRow) -> Result<()> {
        self.exec(
            "INSERT INTO account_versions (account_id, version, subject_id, batch_id, recorded_at, account_type,
                 opened_on, currency, credit_limit_minor, periods, due_day, responsibility, credit_line_id, deleted,
                 contract)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                v.account_id.0,
                v.version,
                v.subject_id.0,
                v.batch_id.map(|b| b.0),
                v.recorded_at,
                v.account_type.as_str(),
                v.opened_on,
                v.currency.as_str(),
                v.credit_limit_minor,
                v.periods,
                v.due_day,
                v.responsibility.as_str(),
                v.credit_line_id.map(|a| a.0),
                v.deleted,
                crate::detail::encode_contract(&v.contract)
            ],
        )
    }

    fn insert_month(&mut self, m: &MonthRow) -> Result<()> {
        const SQL: &str =
            concat!("INSERT INTO account_months (", month_columns!(), ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        self.exec(
            SQL,
            params![
                m.account_id.0,
                month_key(m.month),
                m.version,
                m.subject_id.0,
                m.batch_id.map(|b| b.0),
                m.recorded_at,
                crate::packed::encode(m)
            ],
        )
    }

    fn insert_agreement(&mut self, a: &AgreementRow) -> Result<()> {
        const SQL: &str = concat!(
            "INSERT INTO agreements (",
            agreement_columns!(),
            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        );
        self.exec(
            SQL,
            params![
                a.org_id.0,
                a.agreement_key,
                a.version,
                a.subject_id.0,
                a.batch_id.map(|b| b.0),
                a.recorded_at,
                a.kind.as_str(),
                a.currency.as_str(),
                a.limit_minor,
                a.effective_on,
                a.expires_on,
                a.ended,
                a.responsibility.as_str()
            ],
        )
    }

    fn insert_special(&mut self, x: &SpecialRow) -> Result<()> {
        self.exec(
            "INSERT INTO specials (account_id, seq, subject_id, kind, on_date, amount_minor, months_changed, batch_id,
                                   recorded_at)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM specials WHERE account_id = ?1), ?2, ?3, ?4, ?5, ?6,
                     ?7, ?8)",
            params![
                x.account_id.0,
                x.subject_id.0,
                x.kind.as_str(),
                x.on,
                x.amount_minor,
                x.months_changed,
                x.batch_id.map(|b| b.0),
                x.recorded_at
            ],
        )
    }

    fn insert_notice(&mut self, n: &NoticeRow) -> Result<()> {
        self.exec(
            "INSERT INTO notices (account_id, subject_id, org_id, account_key, notified_on, channel, batch_id, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                n.account_id.map(|a| a.0),
                n.subject_id.map(|s| s.0),
                n.org_id.0,
                n.account_key,
                n.notified_on,
                n.channel.as_str(),
                n.batch_id.map(|b| b.0),
                n.recorded_at
            ],
        )
    }

    fn insert_inquiry(&mut self, q: &NewInquiry) -> Result<InquiryId> {
        self.insert(
            "INSERT INTO inquiries (subject_id, org_id, reason, consent_id, at, hard) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![q.subject_id.0, q.org_id.map(|o| o.0), q.reason.as_str(), q.consent_id.map(|c| c.0), q.at, q.hard],
        )
        .map(InquiryId)
    }

    fn next_audit_seq(&mut self) -> Result<u64> {
        // The one writer holds the store: the next after the largest is free.
        let last: Option<i64> = self.one("SELECT MAX(seq) FROM audit_events", [], |r| r.get(0))?.flatten();
        u64::try_from(last.unwrap_or(0) + 1).map_err(|_| StoreError::Corrupt("audit sequence overflow".into()))
    }

    fn append_audit(&mut self, e: &AuditRow) -> Result<()> {
        self.exec(
            "INSERT INTO audit_events (seq, at, kind, subject_id, org_id, detail, prev_hash, hash, chain)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                i64_of(e.seq)?,
                e.at,
                e.kind,
                e.subject_id.map(|s| s.0),
                e.org_id.map(|o| o.0),
                e.detail,
                &e.prev_hash[..],
                &e.hash[..],
                e.chain
            ],
        )
    }

    fn insert_dispute(&mut self, d: &NewDispute) -> Result<DisputeId> {
        let c = d.item.columns();
        self.insert(
            "INSERT INTO disputes (subject_id, item_kind, account_id, month, inquiry_id, org_id, dispute_type, filed_at, due_on,
                                   item_seq, item_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                d.subject_id.0,
                c.kind,
                c.account_id,
                c.month.map(YearMonth::yyyymm),
                c.inquiry_id,
                d.org_id.map(|o| o.0),
                d.dispute_type.as_str(),
                d.filed_at,
                d.due_on,
                c.item_seq,
                c.item_key
            ],
        )
        .map(DisputeId)
    }

    fn insert_dispute_event(&mut self, e: &DisputeEventRow) -> Result<()> {
        self.exec(
            "INSERT INTO dispute_events (dispute_id, subject_id, at, state, note) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![e.dispute_id.0, e.subject_id.0, e.at, e.state.as_str(), e.note],
        )
    }

    fn insert_statement(&mut self, st: &StatementRow) -> Result<StatementId> {
        self.insert(
            "INSERT INTO statements (subject_id, account_id, month, statement_type, text_enc, added_at, withdrawn_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                st.subject_id.0,
                st.account_id.0,
                st.month.map(YearMonth::yyyymm),
                st.statement_type.as_str(),
                st.text_enc,
                st.added_at,
                st.withdrawn_at
            ],
        )
        .map(StatementId)
    }

    fn withdraw_statement(&mut self, id: StatementId, at: i64) -> Result<()> {
        self.exec("UPDATE statements SET withdrawn_at = ?2 WHERE id = ?1 AND withdrawn_at IS NULL", params![id.0, at])
    }

    fn insert_flag(&mut self, f: &FlagRow) -> Result<FlagId> {
        self.insert(
            "INSERT INTO file_flags (subject_id, kind, placed_at, expires_on, lifted_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![f.subject_id.0, f.kind.as_str(), f.placed_at, f.expires_on, f.lifted_at],
        )
        .map(FlagId)
    }

    fn lift_flag(&mut self, id: FlagId, at: i64) -> Result<()> {
        self.exec("UPDATE file_flags SET lifted_at = ?2 WHERE id = ?1 AND lifted_at IS NULL", params![id.0, at])
    }

    fn insert_correction_notice(&mut self, n: &CorrectionNoticeRow) -> Result<CorrectionNoticeId> {
        self.insert(
            "INSERT INTO correction_notices (subject_id, dispute_id, org_id, inquiry_id, state, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![n.subject_id.0, n.dispute_id.0, n.org_id.0, n.inquiry_id.0, n.state.as_str(), n.created_at],
        )
        .map(CorrectionNoticeId)
    }

    fn revoke_consent(&mut self, id: ConsentId, on: time::Date) -> Result<()> {
        self.exec("UPDATE consents SET revoked_on = ?2 WHERE id = ?1 AND revoked_on IS NULL", params![id.0, on])
    }

    fn purge_month(&mut self, account: AccountId, month: YearMonth) -> Result<u64> {
        let n = self.check(
            self.0
                .prepare_cached("DELETE FROM account_months WHERE account_id = ?1 AND month = ?2")
                .and_then(|mut st| st.execute(params![account.0, month_key(month)])),
        )?;
        Ok(n as u64)
    }

    fn insert_score_model(&mut self, m: &ScoreModelRow) -> Result<u32> {
        let id = self.insert(
            "INSERT INTO score_models (built_at, as_of, model_json, percentiles_json) VALUES (?1, ?2, ?3, ?4)",
            params![m.built_at, m.as_of, m.model_json, m.percentiles_json],
        )?;
        u32::try_from(id).map_err(|_| StoreError::Corrupt("score model version overflow".into()))
    }

    fn insert_checkpoint(&mut self, c: &CheckpointRow) -> Result<bool> {
        let sql = "INSERT INTO audit_checkpoints (seq, at, hash, public_key, signature) VALUES (?1, ?2, ?3, ?4, ?5)
                   ON CONFLICT (seq) DO NOTHING";
        let params = params![i64_of(c.seq)?, c.at, &c.hash[..], &c.public_key[..], c.signature];
        Ok(self.changed(sql, params)? == 1)
    }

    fn insert_web_session(&mut self, w: &WebSessionRow) -> Result<()> {
        self.exec(
            "INSERT INTO web_sessions (token_sha256, subject_id, doc_type, number_enc, created_at, shown_inquiry)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                &w.token_sha256[..],
                w.subject_id.0,
                w.doc_type.as_str(),
                w.number_enc,
                w.created_at,
                w.shown_inquiry.map(|i| i.0)
            ],
        )
    }

    fn delete_web_session(&mut self, token_sha256: &[u8; 32]) -> Result<bool> {
        let n = self.check(
            self.0
                .prepare_cached("DELETE FROM web_sessions WHERE token_sha256 = ?1")
                .and_then(|mut st| st.execute([&token_sha256[..]])),
        )?;
        Ok(n == 1)
    }

    fn set_web_session_shown(&mut self, token_sha256: &[u8; 32], inquiry: InquiryId) -> Result<()> {
        self.exec(
            "UPDATE web_sessions SET shown_inquiry = ?2 WHERE token_sha256 = ?1",
            params![&token_sha256[..], inquiry.0],
        )
    }

    fn prune_web_sessions_of(&mut self, subject: SubjectId, keep: u64) -> Result<u64> {
        let n = self.changed(
            "DELETE FROM web_sessions WHERE token_sha256 IN (SELECT token_sha256 FROM web_sessions WHERE subject_id = ?1
             ORDER BY created_at DESC, token_sha256 DESC LIMIT -1 OFFSET ?2)",
            params![subject.0, i64::try_from(keep).unwrap_or(i64::MAX)],
        )?;
        Ok(n as u64)
    }

    fn prune_web_sessions(&mut self, created_at_max: i64, keep: u64) -> Result<u64> {
        let expired = self.check(
            self.0
                .prepare_cached("DELETE FROM web_sessions WHERE created_at <= ?1")
                .and_then(|mut st| st.execute([created_at_max])),
        )?;
        let excess = self.count("web_sessions")?.saturating_sub(keep);
        let oldest = self.check(
            self.0
                .prepare_cached(
                    "DELETE FROM web_sessions WHERE token_sha256 IN
                     (SELECT token_sha256 FROM web_sessions ORDER BY created_at, token_sha256 LIMIT ?1)",
                )
                .and_then(|mut st| st.execute([i64::try_from(excess).unwrap_or(i64::MAX)])),
        )?;
        Ok((expired + oldest) as u64)
    }

    fn reseal(&mut self, table: SealedTable, key: &SealedKey, sealed: &[u8], mac: Option<&[u8; 32]>) -> Result<bool> {
        let n = match (table, key, mac) {
            (SealedTable::Subjects, SealedKey::Id(id), Some(mac)) => self.changed(
                "UPDATE subjects SET name_enc = ?2, name_mac = ?3 WHERE id = ?1",
                params![id, sealed, &mac[..]],
            ),
            (SealedTable::Statements, SealedKey::Id(id), None) => {
                self.changed("UPDATE statements SET text_enc = ?2 WHERE id = ?1", params![id, sealed])
            }
            (SealedTable::BatchFeedback, SealedKey::Id(id), None) => {
                self.changed("UPDATE batch_feedback SET body_enc = ?2 WHERE batch_id = ?1", params![id, sealed])
            }
            (SealedTable::Documents, SealedKey::Digest(d), Some(mac)) => self.changed(
                "UPDATE documents SET number_enc = ?2, number_mac = ?3 WHERE number_mac = ?1",
                params![&d[..], sealed, &mac[..]],
            ),
            (SealedTable::WebSessions, SealedKey::Digest(d), None) => {
                self.changed("UPDATE web_sessions SET number_enc = ?2 WHERE token_sha256 = ?1", params![&d[..], sealed])
            }
            _ => return Err(StoreError::Corrupt(format!("no {table:?} row is keyed {key:?} with that index"))),
        }?;
        if n > 1 {
            return Err(StoreError::Corrupt(format!("{table:?} row {key:?}: {n} rows resealed, not 1")));
        }
        Ok(n == 1)
    }

    fn commit(self: Box<Self>) -> Result<()> {
        if self.1.get() {
            return Err(StoreError::Backend(
                "a write of this transaction failed: it was rolled back, nothing was committed".into(),
            ));
        }
        self.0.commit().map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    /// Every statement of this module fits the prepared-statement cache: one that did not would
    /// be compiled again each time it came back (a logged report took 40% longer once the
    /// statements outgrew a cache of 64; docs/benchmarks.md).
    #[test]
    fn every_statement_fits_the_cache() {
        let source = include_str!("sqlite.rs");
        let starts = ["SELECT", "INSERT", "UPDATE", "DELETE"].map(|w| format!("\"{w} "));
        let statements: usize = starts.iter().map(|s| source.matches(s.as_str()).count()).sum();
        assert!(statements > 50, "the count finds the statements: {statements}");
        let capacity = super::STATEMENT_CACHE_CAPACITY;
        assert!(statements <= capacity, "{statements} statements, a cache of {capacity}");
    }
}
