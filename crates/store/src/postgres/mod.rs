//! The server backend: PostgreSQL (15 or newer), through `tokio-postgres`, driven on a small
//! runtime of each connection's own (the bureau's calls stay synchronous).
//!
//! One [`PgStore`] is one connection; several bureau workers each open their own. The contract is
//! the same as SQLite's, with what a network database needs on top:
//!
//! - **Readers** run in a `REPEATABLE READ READ ONLY` transaction: one snapshot, as SQLite's WAL
//!   readers have. A report's reader reads the person's whole file in one round trip
//!   ([`Reader::prefetch_file`]: fourteen statements, pipelined) and answers the report's reads
//!   from it.
//! - **Writers** run in `READ COMMITTED`. Appending to an audit chain must see its newest event and
//!   no other writer may append to it at the same time, so a writer's first look at a chain's
//!   head ([`Reader::audit_last`]) takes a transaction-scoped advisory lock on that chain. The
//!   store keeps [`AUDIT_CHAINS`] chains, so writers overlap in everything but the end of one
//!   chain, and each chain stays unbroken.
//! - **Round trips**: statements sent together are pipelined. A transaction's BEGIN goes with its
//!   first statement; a lock and the read that must follow it go together, and the server runs
//!   them in order.
//! - **Ingest's rows go in bulk**: people, documents, consents, accounts, terms, months and notices
//!   wait in the transaction (pending.rs) and go with one binary `COPY` per table every
//!   [`COPY_ROWS_MAX`] rows, before a read that does not know of them, and at commit. The reads
//!   ingest makes per record answer from the database and the waiting rows together, so ingest
//!   never waits for a flush; ids come from the sequences, reserved in blocks.
//! - Statements are prepared once per connection and kept.
//! - Migrations run under a session advisory lock, so workers starting together apply each one
//!   once.

use crate::*;
use futures_util::future::{try_join, try_join_all};
use ob_model::{
    AccountType, Classification, ConsentScope, Currency, DocumentType, QueryReason, RepaymentStatus, Responsibility,
    YearMonth,
};
use std::cell::{Cell, RefCell, RefMut};
use std::collections::HashMap;
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{Client, NoTls, Row, Statement};

/// The migrations, in order. A migration once released never changes: its checksum is verified.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (2, include_str!("../../migrations/postgres/0002_distribution_keys.sql")),
    (3, include_str!("../../migrations/postgres/0003_org_type.sql")),
    (4, include_str!("../../migrations/postgres/0004_web_sessions.sql")),
    (5, include_str!("../../migrations/postgres/0005_report_details.sql")),
    (6, include_str!("../../migrations/postgres/0006_dispute_items.sql")),
    (7, include_str!("../../migrations/postgres/0007_correction_notices.sql")),
];

/// Account-month rows buffered before a `COPY` is sent.
pub const COPY_ROWS_MAX: usize = 20_000;

/// Advisory lock key of audit chain 0's head (any constant unique to OpenBureau); chain c's is this
/// plus c.
const AUDIT_LOCK_KEY: i64 = 0x4f42_4155_4449_5400;

/// Audit chains a PostgreSQL store keeps: workers appending to different chains never wait for
/// each other, so up to this many reports commit side by side.
pub const AUDIT_CHAINS: u32 = 16;
/// First key of a furnisher's ingest lock (the two-key advisory lock space, apart from the
/// one-key space of the others); the second is the organization's id.
const FURNISHER_LOCK_KEY: i32 = 0x4f42_4655;
/// Advisory lock key of the metadata: shared by [`Writer::meta_locked`], exclusive for
/// [`Writer::set_meta`]. The lock manager's queue is fair (a waiting writer of metadata, e.g. a
/// key rotation's mark, is not overtaken by readers that come after it), which row locks taken
/// `FOR SHARE` are not.
const META_LOCK_KEY: i64 = 0x4f42_4d45_5441_0000;
/// Advisory lock key held while migrations run.
const MIGRATION_LOCK_KEY: i64 = 0x4f42_4d49_4752_4101;

/// Parameters of a statement.
type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub(crate) fn backend(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(Box::new(PgError(e)))
}

/// A driver error, shown without the server's DETAIL, HINT or context: a unique violation's
/// detail quotes the key's value (a document's blind index, which stands for the person), and
/// store errors go to logs and to the command line's error output (ARCHITECTURE.md, "What must
/// never be logged"). Neither its `Display`, its `Debug` nor a `source` gives the driver's error.
pub struct PgError(tokio_postgres::Error);

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(db) = self.0.as_db_error() else {
            // The driver's own errors (connecting, I/O) hold no stored values: their causes too.
            write!(f, "{}", self.0)?;
            let mut cause = std::error::Error::source(&self.0);
            while let Some(c) = cause {
                write!(f, ": {c}")?;
                cause = c.source();
            }
            return Ok(());
        };
        write!(f, "{} {}: {}", db.severity(), db.code().code(), db.message())?;
        match db.constraint() {
            Some(c) => write!(f, " (constraint {c})"),
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgError({self})")
    }
}

impl std::error::Error for PgError {}

/// Unique keys that two transactions may both find free and then both write: a new person's
/// document (two batches naming them), a new furnisher's code (two first uploads), a file's digest
/// (the same file sent twice at once). Each is checked before it is written, so only such a race
/// violates it, and the transaction run again finds the other's row.
const RACED_KEYS: [&str; 3] = ["documents_pkey", "organizations_code_key", "batches_org_id_file_sha256_key"];

/// Whether a store error is one a client may retry after a moment: the connection was lost
/// (server restarting, failover), the server is shutting down or not yet accepting connections, a
/// serialization failure, a deadlock, or one of the unique keys two transactions may race for
/// ([`RACED_KEYS`]: two furnishers' batches opening the same new person at once; run again, the
/// second finds the person on file). The transaction did not commit. Any other unique violation
/// would come again on every attempt, and is not retryable.
pub fn is_retryable(e: &StoreError) -> bool {
    let StoreError::Backend(inner) = e else { return false };
    let Some(PgError(pg)) = inner.downcast_ref::<PgError>() else { return false };
    if pg.is_closed() {
        return true;
    }
    match pg.code() {
        Some(code) => {
            let c = code.code();
            // 08: connection exception; 40001 serialization failure; 40P01 deadlock; 23505 unique
            // violation (of a raced key); 57P01-57P03: admin shutdown, crash shutdown, cannot
            // connect now.
            let raced = || pg.as_db_error().and_then(|d| d.constraint()).is_some_and(|k| RACED_KEYS.contains(&k));
            c.starts_with("08") || c == "40001" || c == "40P01" || c.starts_with("57P0") || (c == "23505" && raced())
        }
        // No SQLSTATE: the driver's own error. Retryable when it is about the connection
        // (refused, reset, closed, a standby that does not allow writes yet); a value it could
        // not convert, a statement's wrong parameter count, fail the same way again.
        None => connection_failed(pg),
    }
}

/// Whether a driver error without SQLSTATE is about the connection. The driver gives no kind,
/// only its message's start: connecting, communicating, closed, timed out
/// (`tokio_postgres::error::Kind`'s `Display`; the unit test below pins what this build's driver
/// says).
fn connection_failed(e: &tokio_postgres::Error) -> bool {
    const ABOUT_THE_CONNECTION: [&str; 4] = [
        "error connecting to server",
        "error communicating with the server",
        "connection closed",
        "timeout waiting for server",
    ];
    let said = e.to_string();
    ABOUT_THE_CONNECTION.iter().any(|start| said.starts_with(start))
}

/// Runs `f` where the synchronous driver may block: on this thread, or on a scoped thread of its
/// own when this one is inside a Tokio runtime (the driver runs its own runtime, and Tokio
/// refuses to start one inside another). Bureau workers are plain threads and pay nothing; async
/// code holding a store (tests, a server shutting down) still works.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| s.spawn(f).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
}

/// A connection: its client, the single-threaded runtime that drives its socket while a call
/// waits, and the statements prepared on it. Statements sent together are pipelined: a
/// transaction's BEGIN goes with its first statement, a report's reads go in one round trip.
struct Conn {
    /// Always `Some` until dropped (then dropped where blocking is allowed, see [`off_runtime`]).
    rt: Option<tokio::runtime::Runtime>,
    /// Always `Some` until dropped.
    client: Option<Client>,
    /// The task that reads and writes the socket; it ends when the client is dropped.
    driver: Option<tokio::task::JoinHandle<()>>,
    prepared: HashMap<&'static str, Statement>,
}

impl Conn {
    /// Connects, with every table in `schema` when one is given.
    fn open(url: &str, schema: Option<&str>) -> Result<Conn> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let (client, connection) = off_runtime(|| rt.block_on(tokio_postgres::connect(url, NoTls))).map_err(backend)?;
        let driver = rt.spawn(async move {
            // A connection that fails shows as a closed client: the next call says so.
            let _ = connection.await;
        });
        let conn = Conn { rt: Some(rt), client: Some(client), driver: Some(driver), prepared: HashMap::new() };
        if let Some(schema) = schema {
            let sql = format!("CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}");
            conn.run(async |c| c.batch_execute(&sql).await).map_err(backend)?;
        }
        Ok(conn)
    }

    /// Runs the future `f` makes on the client until it is done (see [`off_runtime`]).
    fn run<T: Send>(&self, f: impl AsyncFnOnce(&Client) -> T + Send) -> T {
        let client = self.client.as_ref().expect("a connection has its client until dropped");
        let rt = self.rt.as_ref().expect("a connection has its runtime until dropped");
        off_runtime(move || rt.block_on(f(client)))
    }

    fn is_closed(&self) -> bool {
        self.client.as_ref().is_none_or(Client::is_closed)
    }

    /// The statements of `sqls`, prepared on this connection once: those not yet prepared are
    /// prepared together, in one round trip.
    fn statements(&mut self, sqls: &[&'static str]) -> Result<Vec<Statement>> {
        let missing: Vec<&'static str> = sqls.iter().copied().filter(|sql| !self.prepared.contains_key(sql)).collect();
        if !missing.is_empty() {
            let made =
                self.run(async |c| try_join_all(missing.iter().map(|sql| c.prepare(sql))).await).map_err(backend)?;
            self.prepared.extend(missing.into_iter().zip(made));
        }
        sqls.iter()
            .map(|sql| {
                self.prepared.get(sql).cloned().ok_or_else(|| StoreError::Corrupt(format!("not prepared: {sql}")))
            })
            .collect()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Dropping the client tells the server goodbye; the driver then writes it and ends.
        drop(self.client.take());
        let (rt, driver) = (self.rt.take(), self.driver.take());
        off_runtime(move || {
            if let (Some(rt), Some(driver)) = (&rt, driver) {
                let _ = rt.block_on(driver);
            }
            // A runtime may not be dropped inside another: this is a thread of its own there.
            drop(rt);
        });
    }
}

/// An OpenBureau store in a PostgreSQL database.
pub struct PgStore {
    conn: RefCell<Conn>,
    /// Where to connect again when the connection is lost (a server restart, a failover).
    url: String,
    schema: Option<String>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`, libpq's URL form) and applies pending
    /// migrations.
    pub fn open(url: &str) -> Result<PgStore> {
        Self::open_in_schema(url, None)
    }

    /// Connects with every table in `schema` (created if missing) instead of the connection's
    /// default: several stores in one database, as the tests use.
    pub fn open_in_schema(url: &str, schema: Option<&str>) -> Result<PgStore> {
        if let Some(schema) = schema
            && (schema.is_empty() || !schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(StoreError::Migration(format!("schema name {schema:?}: letters, digits and _ only")));
        }
        let store = PgStore {
            conn: RefCell::new(Conn::open(url, schema)?),
            url: url.to_owned(),
            schema: schema.map(str::to_owned),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version now in the database.
    pub fn schema_version(&self) -> Result<u32> {
        let c = self.conn.borrow();
        let row = c
            .run(async |c| c.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await)
            .map_err(backend)?;
        u32_of(row.try_get::<_, i32>(0).map_err(backend)?)
    }

    fn migrate(&self) -> Result<()> {
        let lock = |sql: &'static str| {
            let c = self.conn.borrow();
            c.run(async |c| c.execute(sql, &[&MIGRATION_LOCK_KEY]).await).map_err(backend)
        };
        lock("SELECT pg_advisory_lock($1)")?;
        let outcome = self.apply_migrations();
        lock("SELECT pg_advisory_unlock($1)")?;
        outcome
    }

    fn apply_migrations(&self) -> Result<()> {
        self.conn.borrow().run(async |client| {
            client
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                )
                .await
                .map_err(backend)?;
            for (version, sql) in MIGRATIONS {
                let checksum = hex_digest(sql);
                let v = i32_of(*version)?;
                let stored = client
                    .query_opt("SELECT checksum FROM schema_migrations WHERE version = $1", &[&v])
                    .await
                    .map_err(backend)?
                    .map(|r| r.try_get::<_, String>(0))
                    .transpose()
                    .map_err(backend)?;
                match stored {
                    Some(s) if s == checksum => continue,
                    Some(_) => {
                        return Err(StoreError::Migration(format!(
                            "migration {version} in the database differs from this build's; refusing to open"
                        )));
                    }
                    None => {}
                }
                // One transaction: the migration and its record, or neither.
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                let applied = async {
                    client.batch_execute("BEGIN").await?;
                    client.batch_execute(sql).await?;
                    client.execute("INSERT INTO schema_migrations VALUES ($1, $2, $3)", &[&v, &checksum, &now]).await?;
                    client.batch_execute("COMMIT").await
                };
                if let Err(e) = applied.await {
                    let _ = client.batch_execute("ROLLBACK").await;
                    return Err(backend(e));
                }
            }
            Ok(())
        })?;
        let newest = self.schema_version()?;
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if newest > known {
            return Err(StoreError::Migration(format!(
                "the database has schema version {newest}, newer than this build's {known}"
            )));
        }
        Ok(())
    }

    fn begin(&self, write: bool) -> Result<PgTx<'_>> {
        let mut conn = self
            .conn
            .try_borrow_mut()
            .map_err(|_| StoreError::Backend("a transaction is already open on this connection".into()))?;
        // A connection the server closed (restart, failover, idle timeout) is replaced: the
        // request that found it closed failed with a retryable error, the next one goes on.
        if conn.is_closed() {
            *conn = Conn::open(&self.url, self.schema.as_deref())?;
        }
        let begin = if write {
            "BEGIN ISOLATION LEVEL READ COMMITTED"
        } else {
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        };
        Ok(PgTx {
            conn: RefCell::new(conn),
            writer: write,
            begin: Cell::new(Some(begin)),
            open: Cell::new(true),
            failed: Cell::new(false),
            audit_locked: RefCell::new(Vec::new()),
            pending: RefCell::new(Pending::default()),
            file: RefCell::new(HashMap::new()),
            person: RefCell::new(None),
            ids: RefCell::new(HashMap::new()),
        })
    }
}

impl Store for PgStore {
    fn read(&self) -> Result<Box<dyn Reader + '_>> {
        Ok(Box::new(self.begin(false)?))
    }

    fn write(&mut self) -> Result<Box<dyn Writer + '_>> {
        Ok(Box::new(self.begin(true)?))
    }
}

/// Every stored version of an account's terms and of its months, and its special transactions.
#[derive(Default)]
struct AccountHistory {
    versions: Vec<AccountVersionRow>,
    months: Vec<MonthRow>,
    specials: Vec<SpecialRow>,
}

/// A transaction, for reads and writes alike. Dropped without commit, it rolls back.
struct PgTx<'c> {
    conn: RefCell<RefMut<'c, Conn>>,
    /// Whether `Store::write` opened it.
    writer: bool,
    /// Its BEGIN, until sent: it goes with the first statement, in the same round trip.
    begin: Cell<Option<&'static str>>,
    /// Whether it is still to be committed or rolled back.
    open: Cell<bool>,
    /// Whether a statement failed: PostgreSQL then aborts the transaction, and a COMMIT would
    /// quietly roll it back, so commit refuses instead.
    failed: Cell<bool>,
    /// The audit chains whose lock this transaction holds.
    audit_locked: RefCell<Vec<u32>>,
    /// Rows written and not yet sent.
    pending: RefCell<Pending>,
    /// For a reader: every version of the terms and of the months of the accounts
    /// [`Reader::accounts_of`] listed, read in two queries; the per-account reads a report makes
    /// then answer from here (one snapshot: nothing changes under a reader).
    file: RefCell<HashMap<AccountId, AccountHistory>>,
    /// For a reader: the person's file [`Reader::prefetch_file`] read.
    person: RefCell<Option<PersonFile>>,
    /// Ids reserved from each table's sequence and not yet used (used from the end), and the size
    /// of the next block to reserve.
    ids: RefCell<HashMap<&'static str, (Vec<i64>, i64)>>,
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        // A transaction that sent nothing has nothing to roll back.
        if self.open.get() && self.begin.get().is_none() {
            // A failed rollback leaves nothing to undo: the server discards an open transaction
            // when the connection ends.
            let _ = self.conn.get_mut().run(async |c| c.batch_execute("ROLLBACK").await);
        }
    }
}

// ---- column readers -------------------------------------------------------------------------

fn col<'a, T: FromSql<'a>>(r: &'a Row, idx: usize) -> Result<T> {
    r.try_get(idx).map_err(backend)
}

fn bad(idx: usize, what: &str) -> StoreError {
    StoreError::Corrupt(format!("column {idx}: not a valid {what}"))
}

fn code_col<T>(r: &Row, idx: usize, parse: fn(&str) -> Option<T>, what: &str) -> Result<T> {
    let s: &str = col(r, idx)?;
    parse(s).ok_or_else(|| bad(idx, what))
}

fn opt_code_col<T>(r: &Row, idx: usize, parse: fn(&str) -> Option<T>, what: &str) -> Result<Option<T>> {
    let s: Option<&str> = col(r, idx)?;
    s.map(|s| parse(s).ok_or_else(|| bad(idx, what))).transpose()
}

fn digest_col(r: &Row, idx: usize) -> Result<[u8; 32]> {
    let v: &[u8] = col(r, idx)?;
    v.try_into().map_err(|_| bad(idx, "32-byte digest"))
}

fn month_of(v: i32, idx: usize) -> Result<YearMonth> {
    u32::try_from(v).ok().and_then(YearMonth::from_yyyymm).ok_or_else(|| bad(idx, "yyyymm month"))
}

fn month_col(r: &Row, idx: usize) -> Result<YearMonth> {
    month_of(col(r, idx)?, idx)
}

fn opt_month_col(r: &Row, idx: usize) -> Result<Option<YearMonth>> {
    col::<Option<i32>>(r, idx)?.map(|m| month_of(m, idx)).transpose()
}

fn u32_col(r: &Row, idx: usize) -> Result<u32> {
    u32::try_from(col::<i32>(r, idx)?).map_err(|_| bad(idx, "non-negative number"))
}

fn u64_col(r: &Row, idx: usize) -> Result<u64> {
    u64::try_from(col::<i64>(r, idx)?).map_err(|_| bad(idx, "count"))
}

fn u32_of(v: i32) -> Result<u32> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative number {v}")))
}

fn i32_of(v: u32) -> Result<i32> {
    i32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{v} exceeds PostgreSQL's INTEGER")))
}

fn i64_of(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt("count exceeds i64".into()))
}

fn yyyymm(m: YearMonth) -> Result<i32> {
    i32_of(m.yyyymm())
}

fn org_row(r: &Row) -> Result<OrgRow> {
    let org_type = opt_code_col(r, 3, ob_model::InstitutionType::parse, "institution type")?;
    Ok(OrgRow { id: OrgId(col(r, 0)?), code: col(r, 1)?, name: col(r, 2)?, org_type })
}

fn batch_row(r: &Row) -> Result<BatchRow> {
    Ok(BatchRow {
        id: BatchId(col(r, 0)?),
        org_id: OrgId(col(r, 1)?),
        received_at: col(r, 2)?,
        records: u64_col(r, 3)?,
        accepted: u64_col(r, 4)?,
        rejected: u64_col(r, 5)?,
        format: col(r, 6)?,
    })
}

fn sealed_id_row(r: &Row) -> Result<SealedRow> {
    Ok(SealedRow { key: SealedKey::Id(col(r, 0)?), doc_type: None, sealed: col(r, 1)? })
}

fn sealed_digest_row(r: &Row) -> Result<SealedRow> {
    Ok(SealedRow {
        key: SealedKey::Digest(digest_col(r, 0)?),
        doc_type: Some(code_col(r, 1, DocumentType::parse, "document type")?),
        sealed: col(r, 2)?,
    })
}

fn api_key_row(r: &Row) -> Result<ApiKeyRow> {
    Ok(ApiKeyRow {
        key_sha256: digest_col(r, 0)?,
        org_id: col::<Option<i64>>(r, 1)?.map(OrgId),
        label: col(r, 2)?,
        created_at: col(r, 3)?,
        revoked_at: col(r, 4)?,
    })
}

fn subject_row(r: &Row) -> Result<SubjectRow> {
    Ok(SubjectRow {
        id: SubjectId(col(r, 0)?),
        name_enc: col(r, 1)?,
        name_mac: digest_col(r, 2)?,
        birth_date: col(r, 3)?,
    })
}

fn account_row(r: &Row) -> Result<AccountRow> {
    Ok(AccountRow {
        id: AccountId(col(r, 0)?),
        org_id: OrgId(col(r, 1)?),
        account_key: col(r, 2)?,
        subject_id: SubjectId(col(r, 3)?),
    })
}

/// The columns of `consents`, as a literal.
macro_rules! consent_columns {
    () => {
        "id, subject_id, org_id, scope, purpose, granted_on, expires_on, revoked_on, evidence_sha256, consent_ref, \
         batch_id, recorded_at"
    };
}

fn consent_row(r: &Row) -> Result<ConsentRow> {
    Ok(ConsentRow {
        id: ConsentId(col(r, 0)?),
        consent: NewConsent {
            subject_id: SubjectId(col(r, 1)?),
            org_id: OrgId(col(r, 2)?),
            scope: code_col(r, 3, ConsentScope::parse, "consent scope")?,
            purpose: opt_code_col(r, 4, QueryReason::parse, "query reason")?,
            granted_on: col(r, 5)?,
            expires_on: col(r, 6)?,
            revoked_on: col(r, 7)?,
            evidence_sha256: digest_col(r, 8)?,
            consent_ref: col(r, 9)?,
            batch_id: col::<Option<i64>>(r, 10)?.map(BatchId),
            recorded_at: col(r, 11)?,
        },
    })
}

/// The columns of `account_versions`, as a literal.
macro_rules! version_columns {
    () => {
        "account_id, version, subject_id, batch_id, recorded_at, account_type, opened_on, currency, \
         credit_limit_minor, periods, due_day, responsibility, credit_line_id, deleted, contract"
    };
}

fn version_row(r: &Row) -> Result<AccountVersionRow> {
    Ok(AccountVersionRow {
        account_id: AccountId(col(r, 0)?),
        version: u32_col(r, 1)?,
        subject_id: SubjectId(col(r, 2)?),
        batch_id: col::<Option<i64>>(r, 3)?.map(BatchId),
        recorded_at: col(r, 4)?,
        account_type: code_col(r, 5, AccountType::parse, "account type")?,
        opened_on: col(r, 6)?,
        currency: code_col(r, 7, Currency::parse, "currency")?,
        credit_limit_minor: col(r, 8)?,
        periods: col::<Option<i32>>(r, 9)?
            .map(|p| u16::try_from(p).map_err(|_| bad(9, "number of periods")))
            .transpose()?,
        due_day: col::<Option<i32>>(r, 10)?.map(|d| u8::try_from(d).map_err(|_| bad(10, "due day"))).transpose()?,
        responsibility: code_col(r, 11, Responsibility::parse, "responsibility")?,
        credit_line_id: col::<Option<i64>>(r, 12)?.map(AccountId),
        deleted: col(r, 13)?,
        contract: crate::detail::decode_contract(col(r, 14)?)?,
    })
}

/// The columns of `agreements`, as a literal.
macro_rules! agreement_columns {
    () => {
        "org_id, agreement_key, version, subject_id, batch_id, recorded_at, kind, currency, limit_minor, effective_on, \
         expires_on, ended, responsibility"
    };
}

fn agreement_row(r: &Row) -> Result<AgreementRow> {
    Ok(AgreementRow {
        org_id: OrgId(col(r, 0)?),
        agreement_key: col(r, 1)?,
        version: u32_col(r, 2)?,
        subject_id: SubjectId(col(r, 3)?),
        batch_id: col::<Option<i64>>(r, 4)?.map(BatchId),
        recorded_at: col(r, 5)?,
        kind: code_col(r, 6, ob_model::AgreementKind::parse, "agreement kind")?,
        currency: code_col(r, 7, Currency::parse, "currency")?,
        limit_minor: col(r, 8)?,
        effective_on: col(r, 9)?,
        expires_on: col(r, 10)?,
        ended: col(r, 11)?,
        responsibility: code_col(r, 12, Responsibility::parse, "responsibility")?,
    })
}

/// The columns of `account_months`, as a literal so that statements are built at compile time.
macro_rules! month_columns {
    () => {
        "account_id, month, version, subject_id, batch_id, recorded_at, settled_on, balance_minor, used_minor, \
         due_minor, paid_minor, past_due_minor, days_past_due, status, class5, last_payment_on, closed_on, \
         credit_limit_minor, deleted, detail"
    };
}

fn month_row(r: &Row) -> Result<MonthRow> {
    Ok(MonthRow {
        account_id: AccountId(col(r, 0)?),
        month: month_col(r, 1)?,
        version: u32_col(r, 2)?,
        subject_id: SubjectId(col(r, 3)?),
        batch_id: col::<Option<i64>>(r, 4)?.map(BatchId),
        recorded_at: col(r, 5)?,
        settled_on: col(r, 6)?,
        balance_minor: col(r, 7)?,
        used_minor: col(r, 8)?,
        due_minor: col(r, 9)?,
        paid_minor: col(r, 10)?,
        past_due_minor: col(r, 11)?,
        days_past_due: u32_col(r, 12)?,
        status: code_col(r, 13, RepaymentStatus::parse, "repayment status")?,
        class5: opt_code_col(r, 14, Classification::parse, "classification")?,
        last_payment_on: col(r, 15)?,
        closed_on: col(r, 16)?,
        credit_limit_minor: col(r, 17)?,
        deleted: col(r, 18)?,
        detail: crate::detail::decode_month(col(r, 19)?)?,
    })
}

fn inquiry_row(r: &Row) -> Result<InquiryRow> {
    Ok(InquiryRow {
        id: InquiryId(col(r, 0)?),
        inquiry: NewInquiry {
            subject_id: SubjectId(col(r, 1)?),
            org_id: col::<Option<i64>>(r, 2)?.map(OrgId),
            reason: code_col(r, 3, QueryReason::parse, "query reason")?,
            consent_id: col::<Option<i64>>(r, 4)?.map(ConsentId),
            at: col(r, 5)?,
            hard: col(r, 6)?,
        },
    })
}

fn audit_row(r: &Row) -> Result<AuditRow> {
    Ok(AuditRow {
        seq: u64_col(r, 0)?,
        at: col(r, 1)?,
        kind: col(r, 2)?,
        subject_id: col::<Option<i64>>(r, 3)?.map(SubjectId),
        org_id: col::<Option<i64>>(r, 4)?.map(OrgId),
        detail: col(r, 5)?,
        prev_hash: digest_col(r, 6)?,
        hash: digest_col(r, 7)?,
        chain: u32_col(r, 8)?,
    })
}

/// The columns of `notices`, as a literal.
macro_rules! notice_columns {
    () => {
        "account_id, subject_id, org_id, account_key, notified_on, channel, batch_id, recorded_at"
    };
}

fn notice_row(r: &Row) -> Result<NoticeRow> {
    Ok(NoticeRow {
        account_id: col::<Option<i64>>(r, 0)?.map(AccountId),
        subject_id: col::<Option<i64>>(r, 1)?.map(SubjectId),
        org_id: OrgId(col(r, 2)?),
        account_key: col(r, 3)?,
        notified_on: col(r, 4)?,
        channel: code_col(r, 5, ob_model::NoticeChannel::parse, "notice channel")?,
        batch_id: col::<Option<i64>>(r, 6)?.map(BatchId),
        recorded_at: col(r, 7)?,
    })
}

/// The columns of `correction_notices`, as a literal.
macro_rules! correction_notice_columns {
    () => {
        "id, subject_id, dispute_id, org_id, inquiry_id, state, created_at"
    };
}

fn correction_notice_row(r: &Row) -> Result<CorrectionNoticeRow> {
    Ok(CorrectionNoticeRow {
        id: CorrectionNoticeId(col(r, 0)?),
        subject_id: SubjectId(col(r, 1)?),
        dispute_id: DisputeId(col(r, 2)?),
        org_id: OrgId(col(r, 3)?),
        inquiry_id: InquiryId(col(r, 4)?),
        state: code_col(r, 5, ob_model::DisputeState::parse, "dispute state")?,
        created_at: col(r, 6)?,
    })
}

/// The columns of `disputes`, as a literal.
macro_rules! dispute_columns {
    () => {
        "id, subject_id, item_kind, account_id, month, inquiry_id, org_id, dispute_type, filed_at, due_on, item_seq,
         item_key"
    };
}

fn dispute_row(r: &Row) -> Result<DisputeRow> {
    let columns = DisputeColumns {
        kind: col(r, 2)?,
        account_id: col(r, 3)?,
        month: opt_month_col(r, 4)?,
        inquiry_id: col(r, 5)?,
        item_seq: col::<Option<i32>>(r, 10)?.map(|n| u32::try_from(n).map_err(|_| bad(10, "item seq"))).transpose()?,
        item_key: col(r, 11)?,
    };
    let org_id = col::<Option<i64>>(r, 6)?.map(OrgId);
    Ok(DisputeRow {
        id: DisputeId(col(r, 0)?),
        dispute: NewDispute {
            subject_id: SubjectId(col(r, 1)?),
            item: DisputeItem::from_columns(&columns, org_id).ok_or_else(|| bad(2, "dispute item"))?,
            org_id,
            dispute_type: code_col(r, 7, ob_model::DisputeType::parse, "dispute type")?,
            filed_at: col(r, 8)?,
            due_on: col(r, 9)?,
        },
    })
}

fn statement_row(r: &Row) -> Result<StatementRow> {
    Ok(StatementRow {
        id: StatementId(col(r, 0)?),
        subject_id: SubjectId(col(r, 1)?),
        account_id: AccountId(col(r, 2)?),
        month: opt_month_col(r, 3)?,
        statement_type: code_col(r, 4, ob_model::StatementType::parse, "statement type")?,
        text_enc: col(r, 5)?,
        added_at: col(r, 6)?,
        withdrawn_at: col(r, 7)?,
    })
}

fn flag_row(r: &Row) -> Result<FlagRow> {
    Ok(FlagRow {
        id: FlagId(col(r, 0)?),
        subject_id: SubjectId(col(r, 1)?),
        kind: code_col(r, 2, ob_model::FlagKind::parse, "flag kind")?,
        placed_at: col(r, 3)?,
        expires_on: col(r, 4)?,
        lifted_at: col(r, 5)?,
    })
}

mod pending;
use pending::Pending;

/// The read-ahead statement up to its LIMIT.
macro_rules! read_ahead_columns {
    () => {
        concat!(
            ahead_columns!(),
            " FROM (SELECT id, org_id, account_key, subject_id FROM accounts
               WHERE org_id = $1 AND account_key >= $2 ORDER BY account_key"
        )
    };
}

/// The columns [`read_ahead_row`] reads, of accounts `a` and their latest terms `v`.
macro_rules! ahead_columns {
    () => {
        "v.account_id, v.version, v.subject_id, v.batch_id, v.recorded_at, v.account_type, v.opened_on, v.currency,
                v.credit_limit_minor, v.periods, v.due_day, v.responsibility, v.credit_line_id, v.deleted,
                v.contract, a.id, a.org_id, a.account_key, a.subject_id,
                (SELECT m.month FROM account_months m WHERE m.account_id = a.id ORDER BY m.month DESC LIMIT 1)"
    };
}

/// The read-ahead statement after its LIMIT.
macro_rules! read_ahead_tail {
    () => {
        ") AS a
         CROSS JOIN LATERAL (SELECT * FROM account_versions v WHERE v.account_id = a.id
                             ORDER BY v.version DESC LIMIT 1) AS v
         ORDER BY a.account_key"
    };
}

/// Accounts one read-ahead statement returns at most, as written into it.
macro_rules! read_ahead_rows {
    () => {
        "1000"
    };
}

/// [`read_ahead_rows!`] as a number.
const READ_AHEAD_ROWS: usize = 1_000;

const _: () = assert!(
    ob_model::limits::INGEST_READ_AHEAD_ACCOUNTS as usize <= READ_AHEAD_ROWS,
    "ingest's read-ahead fits the statement's literal limit"
);

fn read_ahead_row(r: &Row) -> Result<AccountAhead> {
    let account = AccountRow {
        id: AccountId(col(r, 15)?),
        org_id: OrgId(col(r, 16)?),
        account_key: col(r, 17)?,
        subject_id: SubjectId(col(r, 18)?),
    };
    Ok(AccountAhead { account, terms: version_row(r)?, newest_month: opt_month_col(r, 19)? })
}

/// The columns of `specials` that [`special_row`] reads.
macro_rules! special_columns {
    () => {
        "account_id, subject_id, kind, on_date, amount_minor, months_changed, batch_id, recorded_at, seq"
    };
}

fn special_row(r: &Row) -> Result<SpecialRow> {
    Ok(SpecialRow {
        account_id: AccountId(col(r, 0)?),
        subject_id: SubjectId(col(r, 1)?),
        kind: code_col(r, 2, ob_model::SpecialKind::parse, "special kind")?,
        on: col(r, 3)?,
        amount_minor: col(r, 4)?,
        months_changed: col::<Option<i32>>(r, 5)?
            .map(|m| u16::try_from(m).map_err(|_| bad(5, "months changed")))
            .transpose()?,
        batch_id: col::<Option<i64>>(r, 6)?.map(BatchId),
        recorded_at: col(r, 7)?,
        seq: u32::try_from(col::<i32>(r, 8)?).map_err(|_| bad(8, "special seq"))?,
    })
}

// ---- a person's file, read in one round trip -------------------------------------------------

const META_SQL: &str = "SELECT value FROM meta WHERE key = $1";
const SUBJECT_SQL: &str = "SELECT id, name_enc, name_mac, birth_date FROM subjects WHERE id = $1";
const DOCUMENTS_SQL: &str = "SELECT number_mac, subject_id, doc_type, number_enc FROM documents WHERE subject_id = $1";
const ACCOUNTS_SQL: &str = "SELECT id, org_id, account_key, subject_id FROM accounts WHERE subject_id = $1 ORDER BY id";
const DISPUTES_SQL: &str = concat!("SELECT ", dispute_columns!(), " FROM disputes WHERE subject_id = $1 ORDER BY id");
const STATEMENTS_SQL: &str =
    "SELECT id, subject_id, account_id, month, statement_type, text_enc, added_at, withdrawn_at
     FROM statements WHERE subject_id = $1 ORDER BY id";
const FLAGS_SQL: &str =
    "SELECT id, subject_id, kind, placed_at, expires_on, lifted_at FROM file_flags WHERE subject_id = $1 ORDER BY id";
const SCORE_VERSION_SQL: &str = "SELECT MAX(version) FROM score_models";

/// The statements [`Reader::prefetch_file`] sends together, each with the person's id as `$1`
/// (but the last), in the order [`PersonFile::read`] takes their rows. Each names the person in
/// the table it reads (its distribution key on Citus: one shard answers).
const PERSON_FILE_SQL: [&str; 14] = [
    SUBJECT_SQL,
    DOCUMENTS_SQL,
    ACCOUNTS_SQL,
    concat!(
        "SELECT ",
        version_columns!(),
        " FROM account_versions WHERE subject_id = $1 AND account_id IN (SELECT id FROM accounts WHERE subject_id = $1)"
    ),
    concat!(
        "SELECT ",
        month_columns!(),
        " FROM account_months WHERE subject_id = $1 AND account_id IN (SELECT id FROM accounts WHERE subject_id = $1)"
    ),
    concat!(
        "SELECT ",
        special_columns!(),
        " FROM specials WHERE subject_id = $1 AND account_id IN (SELECT id FROM accounts WHERE subject_id = $1)
         ORDER BY account_id, seq"
    ),
    concat!("SELECT ", agreement_columns!(), " FROM agreements WHERE subject_id = $1"),
    "SELECT id, subject_id, org_id, reason, consent_id, at, hard FROM inquiries WHERE subject_id = $1 ORDER BY at, id",
    DISPUTES_SQL,
    "SELECT dispute_id, subject_id, at, state, note FROM dispute_events
     WHERE subject_id = $1 AND dispute_id IN (SELECT id FROM disputes WHERE subject_id = $1) ORDER BY id",
    STATEMENTS_SQL,
    FLAGS_SQL,
    "SELECT id, code, name, org_type FROM organizations WHERE id IN (
         SELECT org_id FROM accounts WHERE subject_id = $1
         UNION SELECT org_id FROM inquiries WHERE subject_id = $1
         UNION SELECT org_id FROM agreements WHERE subject_id = $1)",
    SCORE_VERSION_SQL,
];

/// One person's file as a reader saw it, read by [`Reader::prefetch_file`] in one round trip: the
/// reads a report makes of it then answer from here (one snapshot: nothing changes under a
/// reader). The terms, months and special transactions of their accounts go to [`PgTx::file`].
struct PersonFile {
    subject_id: SubjectId,
    subject: Option<SubjectRow>,
    documents: Vec<DocumentRow>,
    accounts: Vec<AccountRow>,
    /// Every stored version of every agreement.
    agreements: Vec<AgreementRow>,
    /// Every inquiry, by time then id.
    inquiries: Vec<InquiryRow>,
    disputes: Vec<DisputeRow>,
    /// The events of each of `disputes`, in order.
    dispute_events: HashMap<DisputeId, Vec<DisputeEventRow>>,
    statements: Vec<StatementRow>,
    flags: Vec<FlagRow>,
    /// The organizations the file names (accounts, inquiries, agreements).
    orgs: HashMap<OrgId, OrgRow>,
    score_version: Option<u32>,
}

impl PersonFile {
    /// Decodes the rows of [`PERSON_FILE_SQL`]'s statements; fills `file` with the accounts'
    /// histories.
    fn read(
        subject_id: SubjectId,
        results: Vec<Vec<Row>>,
        file: &mut HashMap<AccountId, AccountHistory>,
    ) -> Result<PersonFile> {
        let [
            subject,
            documents,
            accounts,
            versions,
            months,
            specials,
            agreements,
            inquiries,
            disputes,
            events,
            statements,
            flags,
            orgs,
            score,
        ] = <[Vec<Row>; 14]>::try_from(results)
            .map_err(|_| StoreError::Corrupt("a statement of a person's file went unanswered".into()))?;
        let accounts: Vec<AccountRow> = accounts.iter().map(account_row).collect::<Result<_>>()?;
        // What was read of these accounts before is replaced: the same snapshot, read again.
        for a in &accounts {
            file.insert(a.id, AccountHistory::default());
        }
        for v in versions.iter().map(version_row) {
            let v = v?;
            file.entry(v.account_id).or_default().versions.push(v);
        }
        for m in months.iter().map(month_row) {
            let m = m?;
            file.entry(m.account_id).or_default().months.push(m);
        }
        for x in specials.iter().map(special_row) {
            let x = x?;
            file.entry(x.account_id).or_default().specials.push(x);
        }
        let mut dispute_events: HashMap<DisputeId, Vec<DisputeEventRow>> = HashMap::new();
        for e in events.iter().map(dispute_event_row) {
            let e = e?;
            dispute_events.entry(e.dispute_id).or_default().push(e);
        }
        let score_version: Option<i32> = score.first().map(|r| col(r, 0)).transpose()?.flatten();
        Ok(PersonFile {
            subject_id,
            subject: subject.first().map(subject_row).transpose()?,
            documents: sorted_documents(all(documents, document_row)?),
            accounts,
            agreements: all(agreements, agreement_row)?,
            inquiries: all(inquiries, inquiry_row)?,
            disputes: all(disputes, dispute_row)?,
            dispute_events,
            statements: all(statements, statement_row)?,
            flags: all(flags, flag_row)?,
            orgs: all(orgs, org_row)?.into_iter().map(|o| (o.id, o)).collect(),
            score_version: score_version.map(u32_of).transpose()?,
        })
    }
}

/// Decodes every row of `rows` with `f`.
fn all<T>(rows: Vec<Row>, f: fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

/// A person's documents in the order readers give them: by type.
fn sorted_documents(mut rows: Vec<DocumentRow>) -> Vec<DocumentRow> {
    rows.sort_by_key(|d| d.doc_type);
    rows
}

fn document_row(r: &Row) -> Result<DocumentRow> {
    Ok(DocumentRow {
        number_mac: digest_col(r, 0)?,
        subject_id: SubjectId(col(r, 1)?),
        doc_type: code_col(r, 2, DocumentType::parse, "document type")?,
        number_enc: col(r, 3)?,
    })
}

fn dispute_event_row(r: &Row) -> Result<DisputeEventRow> {
    Ok(DisputeEventRow {
        dispute_id: DisputeId(col(r, 0)?),
        subject_id: SubjectId(col(r, 1)?),
        at: col(r, 2)?,
        state: code_col(r, 3, ob_model::DisputeState::parse, "dispute state")?,
        note: col(r, 4)?,
    })
}

/// The most accounts whose history a reader reads in one go ([`PgTx::load_file`]); a person with
/// more is read account by account.
const FILE_ACCOUNTS_MAX: usize = 64;

/// The most ids reserved from a table's sequence at a time, so that buffered inserts need no round
/// trip. A transaction reserves 1, then 2, 4… up to this: a small transaction (an API call, a
/// short batch) leaves no gap in the ids, which people see as references (`A17`), and ingest soon
/// reserves a thousand at once.
const ID_BLOCK_MAX: i64 = 1_024;

// ---- the transaction's plumbing --------------------------------------------------------------

impl PgTx<'_> {
    /// Notes a failure (the transaction is aborted from then on) and passes it on.
    fn check<T>(&self, r: Result<T>) -> Result<T> {
        if r.is_err() {
            self.failed.set(true);
        }
        r
    }

    /// Runs the future `f` makes on the client, with the transaction's BEGIN in front of it when
    /// not yet sent: both go in one round trip.
    fn call<T: Send>(
        &self,
        f: impl AsyncFnOnce(&Client) -> std::result::Result<T, tokio_postgres::Error> + Send,
    ) -> Result<T> {
        let begin = self.begin.take();
        let out = self.conn.borrow().run(async move |c| {
            match begin {
                // The join polls BEGIN first, so it is sent first.
                Some(begin) => try_join(c.batch_execute(begin), f(c)).await.map(|((), t)| t),
                None => f(c).await,
            }
        });
        self.check(out.map_err(backend))
    }

    fn query(&self, sql: &'static str, p: Params<'_>) -> Result<Vec<Row>> {
        Ok(self.query_many(&[(sql, p)])?.pop().unwrap_or_default())
    }

    /// Runs the statements of `batch` in one round trip (pipelined), in order; the rows of each.
    fn query_many(&self, batch: &[(&'static str, Params<'_>)]) -> Result<Vec<Vec<Row>>> {
        let sqls: Vec<&'static str> = batch.iter().map(|(sql, _)| *sql).collect();
        let statements = self.check(self.conn.borrow_mut().statements(&sqls))?;
        self.call(async |c| try_join_all(statements.iter().zip(batch).map(|(st, (_, p))| c.query(st, p))).await)
    }

    fn one<T>(&self, sql: &'static str, p: Params<'_>, f: fn(&Row) -> Result<T>) -> Result<Option<T>> {
        self.query(sql, p)?.first().map(f).transpose()
    }

    fn all<T>(&self, sql: &'static str, p: Params<'_>, f: fn(&Row) -> Result<T>) -> Result<Vec<T>> {
        self.query(sql, p)?.iter().map(f).collect()
    }

    fn exec(&self, sql: &'static str, p: Params<'_>) -> Result<u64> {
        let statements = self.check(self.conn.borrow_mut().statements(&[sql]))?;
        self.call(async |c| c.execute(&statements[0], p).await)
    }

    /// Runs an `INSERT … RETURNING id`.
    fn insert(&self, sql: &'static str, p: Params<'_>) -> Result<i64> {
        let rows = self.query(sql, p)?;
        let row = rows.first().ok_or_else(|| StoreError::Corrupt("INSERT returned no id".into()))?;
        col(row, 0)
    }

    fn count(&self, sql: &'static str) -> Result<u64> {
        let rows = self.query(sql, &[])?;
        let row = rows.first().ok_or_else(|| StoreError::Corrupt("COUNT returned no row".into()))?;
        u64_col(row, 0)
    }

    /// Sends every row written and not yet sent (see [`Pending`]).
    fn sync(&self) -> Result<()> {
        if self.pending.borrow().len() == 0 {
            return Ok(());
        }
        let mut rows = std::mem::take(&mut *self.pending.borrow_mut());
        if let Some(begin) = self.begin.take() {
            self.call(async |c| c.batch_execute(begin).await)?;
        }
        let sent = rows.send(&self.conn.borrow());
        self.check(sent)
    }

    /// Reads every version of the terms and months of `accounts`, two queries in all, for the
    /// reads that follow in this (read-only) transaction.
    fn load_file(&self, accounts: &[AccountRow]) -> Result<()> {
        // An account read before is not read again: its rows would be added twice.
        let ids: Vec<i64> = {
            let file = self.file.borrow();
            accounts.iter().filter(|a| !file.contains_key(&a.id)).map(|a| a.id.0).collect()
        };
        if ids.is_empty() || ids.len() > FILE_ACCOUNTS_MAX {
            return Ok(());
        }
        let versions = self.all(
            concat!("SELECT ", version_columns!(), " FROM account_versions WHERE account_id = ANY($1)"),
            &[&ids],
            version_row,
        )?;
        let months = self.all(
            concat!("SELECT ", month_columns!(), " FROM account_months WHERE account_id = ANY($1)"),
            &[&ids],
            month_row,
        )?;
        let specials = self.all(
            concat!(
                "SELECT ",
                special_columns!(),
                " FROM specials WHERE account_id = ANY($1) ORDER BY account_id, seq"
            ),
            &[&ids],
            special_row,
        )?;
        let mut file = self.file.borrow_mut();
        for id in &ids {
            file.entry(AccountId(*id)).or_default();
        }
        for v in versions {
            file.entry(v.account_id).or_default().versions.push(v);
        }
        for m in months {
            file.entry(m.account_id).or_default().months.push(m);
        }
        for x in specials {
            file.entry(x.account_id).or_default().specials.push(x);
        }
        Ok(())
    }

    /// What `read` finds in the file [`Reader::prefetch_file`] read, when it is `subject`'s.
    fn in_file<T>(&self, subject: SubjectId, read: impl FnOnce(&PersonFile) -> T) -> Option<T> {
        self.person.borrow().as_ref().filter(|p| p.subject_id == subject).map(read)
    }

    /// Keeps a written row for later sending; sends all when enough have gathered.
    fn buffer(&self, add: impl FnOnce(&mut Pending)) -> Result<()> {
        let full = {
            let mut pending = self.pending.borrow_mut();
            add(&mut pending);
            pending.len() >= COPY_ROWS_MAX
        };
        if full { self.sync() } else { Ok(()) }
    }

    /// A new id for a row of `table`, from the ids reserved from its sequence.
    fn next_id(&self, table: &'static str) -> Result<i64> {
        let size = {
            let mut ids = self.ids.borrow_mut();
            let (reserved, next_size) = ids.entry(table).or_insert((Vec::new(), 1));
            if let Some(id) = reserved.pop() {
                return Ok(id);
            }
            let size = *next_size;
            *next_size = (size * 2).min(ID_BLOCK_MAX);
            size
        };
        let mut block: Vec<i64> = self.all(
            "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2::bigint)",
            &[&table, &size],
            |r| col(r, 0),
        )?;
        block.reverse();
        let id = block.pop().ok_or_else(|| StoreError::Corrupt(format!("no id reserved for {table}")))?;
        if let Some((reserved, _)) = self.ids.borrow_mut().get_mut(table) {
            *reserved = block;
        }
        Ok(id)
    }
}

impl Reader for PgTx<'_> {
    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.one(META_SQL, &[&key], |r| col(r, 0))
    }

    fn org_by_code(&self, code: &str) -> Result<Option<OrgRow>> {
        self.one("SELECT id, code, name, org_type FROM organizations WHERE code = $1", &[&code], org_row)
    }

    fn org(&self, id: OrgId) -> Result<Option<OrgRow>> {
        if let Some(row) = self.person.borrow().as_ref().and_then(|p| p.orgs.get(&id).cloned()) {
            return Ok(Some(row));
        }
        self.one("SELECT id, code, name, org_type FROM organizations WHERE id = $1", &[&id.0], org_row)
    }

    fn orgs(&self) -> Result<Vec<OrgRow>> {
        self.all("SELECT id, code, name, org_type FROM organizations ORDER BY id", &[], org_row)
    }

    fn org_roles(&self, id: OrgId) -> Result<String> {
        Ok(self.one("SELECT roles FROM organizations WHERE id = $1", &[&id.0], |r| col(r, 0))?.unwrap_or_default())
    }

    fn api_key(&self, key_sha256: &[u8; 32]) -> Result<Option<ApiKeyRow>> {
        self.one(
            "SELECT key_sha256, org_id, label, created_at, revoked_at FROM api_keys WHERE key_sha256 = $1",
            &[&&key_sha256[..]],
            api_key_row,
        )
    }

    fn api_keys_of(&self, org: Option<OrgId>) -> Result<Vec<ApiKeyRow>> {
        self.all(
            "SELECT key_sha256, org_id, label, created_at, revoked_at FROM api_keys
             WHERE org_id IS NOT DISTINCT FROM $1 ORDER BY created_at",
            &[&org.map(|o| o.0)],
            api_key_row,
        )
    }

    fn batch(&self, id: BatchId) -> Result<Option<BatchRow>> {
        self.one(
            "SELECT id, org_id, received_at, records, accepted, rejected, format FROM batches WHERE id = $1",
            &[&id.0],
            batch_row,
        )
    }

    fn batches_of(&self, org: OrgId, after: BatchId, limit: u32) -> Result<Vec<BatchRow>> {
        self.all(
            "SELECT id, org_id, received_at, records, accepted, rejected, format FROM batches
             WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            &[&org.0, &after.0, &i64::from(limit)],
            batch_row,
        )
    }

    fn batch_feedback(&self, id: BatchId) -> Result<Option<BatchFeedbackRow>> {
        self.one("SELECT batch_id, media_type, body_enc FROM batch_feedback WHERE batch_id = $1", &[&id.0], |r| {
            Ok(BatchFeedbackRow { batch_id: BatchId(col(r, 0)?), media_type: col(r, 1)?, body_enc: col(r, 2)? })
        })
    }

    fn person_login(&self, subject: SubjectId) -> Result<Option<PersonLoginRow>> {
        self.one(
            "SELECT subject_id, password_phc, created_at, updated_at FROM person_logins WHERE subject_id = $1",
            &[&subject.0],
            |r| {
                Ok(PersonLoginRow {
                    subject_id: SubjectId(col(r, 0)?),
                    password_phc: col(r, 1)?,
                    created_at: col(r, 2)?,
                    updated_at: col(r, 3)?,
                })
            },
        )
    }

    fn subject_by_document(&self, number_mac: &[u8; 32]) -> Result<Option<SubjectRow>> {
        let waiting = self.pending.borrow().subject_by_document(number_mac);
        match waiting {
            Some(Ok(row)) => return Ok(Some(row)),
            // The document waits but its person was sent: send the document too, then read.
            Some(Err(_)) => self.sync()?,
            None => {}
        }
        self.one(
            "SELECT s.id, s.name_enc, s.name_mac, s.birth_date FROM documents d
             JOIN subjects s ON s.id = d.subject_id WHERE d.number_mac = $1",
            &[&&number_mac[..]],
            subject_row,
        )
    }

    fn subjects_by_documents(&self, number_macs: &[[u8; 32]]) -> Result<Vec<([u8; 32], SubjectRow)>> {
        let (mut found, mut ask, mut sent_person) = (Vec::new(), Vec::new(), false);
        {
            let pending = self.pending.borrow();
            for mac in number_macs {
                match pending.subject_by_document(mac) {
                    Some(Ok(row)) => found.push((*mac, row)),
                    Some(Err(_)) => {
                        sent_person = true;
                        ask.push(&mac[..]);
                    }
                    None => ask.push(&mac[..]),
                }
            }
        }
        if ask.is_empty() {
            return Ok(found);
        }
        // A document that waits for a person already sent: send the document too, then read.
        if sent_person {
            self.sync()?;
        }
        found.extend(self.all(
            "SELECT s.id, s.name_enc, s.name_mac, s.birth_date, d.number_mac FROM documents d
             JOIN subjects s ON s.id = d.subject_id WHERE d.number_mac = ANY($1)",
            &[&ask],
            |r| Ok((digest_col(r, 4)?, subject_row(r)?)),
        )?);
        Ok(found)
    }

    fn reads_are_remote(&self) -> bool {
        true
    }

    fn prefetch_file(&self, subject: SubjectId) -> Result<()> {
        if self.writer || self.in_file(subject, |_| ()).is_some() {
            return Ok(());
        }
        let person: [&(dyn ToSql + Sync); 1] = [&subject.0];
        let batch: Vec<(&'static str, Params<'_>)> = PERSON_FILE_SQL
            .iter()
            .map(|sql| (*sql, if *sql == SCORE_VERSION_SQL { &[] } else { &person[..] }))
            .collect();
        let results = self.query_many(&batch)?;
        let file = PersonFile::read(subject, results, &mut self.file.borrow_mut())?;
        *self.person.borrow_mut() = Some(file);
        Ok(())
    }

    fn subject(&self, id: SubjectId) -> Result<Option<SubjectRow>> {
        if let Some(row) = self.in_file(id, |p| p.subject.clone()) {
            return Ok(row);
        }
        self.sync()?;
        self.one(SUBJECT_SQL, &[&id.0], subject_row)
    }

    fn documents_of(&self, subject: SubjectId) -> Result<Vec<DocumentRow>> {
        if let Some(rows) = self.in_file(subject, |p| p.documents.clone()) {
            return Ok(rows);
        }
        self.sync()?;
        Ok(sorted_documents(self.all(DOCUMENTS_SQL, &[&subject.0], document_row)?))
    }

    fn consents_of(&self, subject: SubjectId) -> Result<Vec<ConsentRow>> {
        let mut rows = self.all(
            concat!("SELECT ", consent_columns!(), " FROM consents WHERE subject_id = $1"),
            &[&subject.0],
            consent_row,
        )?;
        rows.extend(self.pending.borrow().consents_of(&[subject]));
        rows.sort_by_key(|c| c.id);
        Ok(rows)
    }

    fn account_by_key(&self, org: OrgId, account_key: &str) -> Result<Option<AccountRow>> {
        self.sync()?;
        self.one(
            "SELECT id, org_id, account_key, subject_id FROM accounts WHERE org_id = $1 AND account_key = $2",
            &[&org.0, &account_key],
            account_row,
        )
    }

    fn account_key_held_elsewhere(&self, org: OrgId, account_key: &str) -> Result<bool> {
        self.sync()?;
        let found: Option<i32> = self.one(
            "SELECT 1 FROM accounts WHERE account_key = $1 AND org_id <> $2 LIMIT 1",
            &[&account_key, &org.0],
            |r| col(r, 0),
        )?;
        Ok(found.is_some())
    }

    fn month_versions(&self, account: AccountId) -> Result<Vec<(YearMonth, u32)>> {
        let rows: Vec<(YearMonth, u32)> = self.all(
            "SELECT month, MAX(version) FROM account_months WHERE account_id = $1 GROUP BY month",
            &[&account.0],
            |r| Ok((month_col(r, 0)?, u32_col(r, 1)?)),
        )?;
        let mut latest: std::collections::BTreeMap<YearMonth, u32> = rows.into_iter().collect();
        for m in self.pending.borrow().months_of(account) {
            let v = latest.entry(m.month).or_insert(m.version);
            *v = (*v).max(m.version);
        }
        Ok(latest.into_iter().collect())
    }

    fn accounts_from_key(&self, org: OrgId, from: &str, limit: u32) -> Result<Vec<AccountAhead>> {
        // Once per thousand accounts in ingest: the rows written so far are sent first. Each
        // account's latest terms and newest month are one index probe each (LATERAL … LIMIT 1).
        // The limit is written into the statement: with `LIMIT $3` a generic plan cannot know
        // it is small, and PostgreSQL then sorts the furnisher's every account (80 ms instead
        // of 10 at 100,000 people).
        self.sync()?;
        if limit as usize > READ_AHEAD_ROWS {
            return self.all(
                concat!("SELECT ", read_ahead_columns!(), " LIMIT $3", read_ahead_tail!()),
                &[&org.0, &from, &i64::from(limit)],
                read_ahead_row,
            );
        }
        let mut rows = self.all(
            concat!("SELECT ", read_ahead_columns!(), " LIMIT ", read_ahead_rows!(), read_ahead_tail!()),
            &[&org.0, &from],
            read_ahead_row,
        )?;
        rows.truncate(limit as usize);
        Ok(rows)
    }

    fn accounts_by_keys(&self, org: OrgId, keys: &[&str]) -> Result<Vec<AccountAhead>> {
        // Rows written and not yet sent are merged in, not sent first: ingest's look-up ahead
        // then never waits for them.
        let mut unique = std::collections::HashSet::new();
        let keys: Vec<&str> = keys.iter().copied().filter(|k| unique.insert(*k)).collect();
        // An account sent while its first terms still wait here is neither read by the query
        // (it joins the stored terms) nor found among the waiting accounts: send them first.
        if self.pending.borrow().has_account_sent_without_terms() {
            self.sync()?;
        }
        let mut found = self.all(
            concat!(
                "SELECT ",
                ahead_columns!(),
                " FROM accounts a
                 CROSS JOIN LATERAL (SELECT * FROM account_versions v WHERE v.account_id = a.id
                                     ORDER BY v.version DESC LIMIT 1) AS v
                 WHERE a.org_id = $1 AND a.account_key = ANY($2)"
            ),
            &[&org.0, &keys],
            read_ahead_row,
        )?;
        let pending = self.pending.borrow();
        for ahead in &mut found {
            pending.merge_ahead(ahead);
        }
        found.extend(keys.iter().filter_map(|k| pending.account_ahead(org, k)));
        Ok(found)
    }

    fn consents_of_subjects(&self, org: OrgId, subjects: &[SubjectId]) -> Result<Vec<ConsentRow>> {
        let ids: Vec<i64> = subjects.iter().map(|s| s.0).collect();
        let mut rows = self.all(
            concat!("SELECT ", consent_columns!(), " FROM consents WHERE subject_id = ANY($1) AND org_id = $2"),
            &[&ids, &org.0],
            consent_row,
        )?;
        rows.extend(self.pending.borrow().consents_of(subjects).into_iter().filter(|c| c.consent.org_id == org));
        Ok(rows)
    }

    fn month_version(&self, account: AccountId, month: YearMonth) -> Result<Option<u32>> {
        let stored: Option<Option<i32>> = self.one(
            "SELECT MAX(version) FROM account_months WHERE account_id = $1 AND month = $2",
            &[&account.0, &yyyymm(month)?],
            |r| col(r, 0),
        )?;
        let stored = stored.flatten().map(u32_of).transpose()?;
        Ok(stored.max(self.pending.borrow().month_version(account, month)))
    }

    fn month_versions_of(&self, months: &[(AccountId, YearMonth)]) -> Result<Vec<(AccountId, YearMonth, u32)>> {
        let mut unique = std::collections::HashSet::new();
        let months: Vec<(AccountId, YearMonth)> = months.iter().copied().filter(|m| unique.insert(*m)).collect();
        if months.is_empty() {
            return Ok(Vec::new());
        }
        let accounts: Vec<i64> = months.iter().map(|(a, _)| a.0).collect();
        let yms: Vec<i32> = months.iter().map(|(_, m)| yyyymm(*m)).collect::<Result<_>>()?;
        let stored = self.all(
            "SELECT m.account_id, m.month, MAX(m.version) FROM account_months m
             JOIN unnest($1::bigint[], $2::integer[]) AS q (account_id, month)
               ON m.account_id = q.account_id AND m.month = q.month
             GROUP BY m.account_id, m.month",
            &[&accounts, &yms],
            |r| Ok((AccountId(col(r, 0)?), month_col(r, 1)?, u32_col(r, 2)?)),
        )?;
        let mut latest: HashMap<(AccountId, YearMonth), u32> =
            stored.into_iter().map(|(a, m, v)| ((a, m), v)).collect();
        let pending = self.pending.borrow();
        for (account, month) in months {
            if let Some(waiting) = pending.month_version(account, month) {
                let v = latest.entry((account, month)).or_insert(waiting);
                *v = (*v).max(waiting);
            }
        }
        Ok(latest.into_iter().map(|((a, m), v)| (a, m, v)).collect())
    }

    fn batch_by_digest(&self, org: OrgId, file_sha256: &[u8; 32]) -> Result<Option<BatchRow>> {
        self.one(
            "SELECT id, org_id, received_at, records, accepted, rejected, format FROM batches
             WHERE org_id = $1 AND file_sha256 = $2",
            &[&org.0, &&file_sha256[..]],
            batch_row,
        )
    }

    fn accounts_of(&self, subject: SubjectId) -> Result<Vec<AccountRow>> {
        if let Some(rows) = self.in_file(subject, |p| p.accounts.clone()) {
            return Ok(rows);
        }
        self.sync()?;
        let accounts = self.all(ACCOUNTS_SQL, &[&subject.0], account_row)?;
        if !self.writer {
            self.load_file(&accounts)?;
        }
        Ok(accounts)
    }

    fn account_version(&self, account: AccountId, recorded_at_max: i64) -> Result<Option<AccountVersionRow>> {
        if let Some(AccountHistory { versions, .. }) = self.file.borrow().get(&account) {
            return Ok(versions.iter().filter(|v| v.recorded_at <= recorded_at_max).max_by_key(|v| v.version).cloned());
        }
        self.sync()?;
        self.one(
            concat!(
                "SELECT ",
                version_columns!(),
                " FROM account_versions WHERE account_id = $1 AND recorded_at <= $2 ORDER BY version DESC LIMIT 1"
            ),
            &[&account.0, &recorded_at_max],
            version_row,
        )
    }

    fn months(
        &self,
        account: AccountId,
        from: YearMonth,
        to: YearMonth,
        recorded_at_max: i64,
    ) -> Result<Vec<MonthRow>> {
        if let Some(AccountHistory { months, .. }) = self.file.borrow().get(&account) {
            let in_view = |m: &&MonthRow| (from..=to).contains(&m.month) && m.recorded_at <= recorded_at_max;
            return Ok(latest_per_month(months.iter().filter(in_view).cloned().collect()));
        }
        let mut rows = self.all(
            concat!(
                "SELECT DISTINCT ON (month) ",
                month_columns!(),
                " FROM account_months
                 WHERE account_id = $1 AND month BETWEEN $2 AND $3 AND recorded_at <= $4
                 ORDER BY month, version DESC"
            ),
            &[&account.0, &yyyymm(from)?, &yyyymm(to)?, &recorded_at_max],
            month_row,
        )?;
        let pending = self.pending.borrow();
        let waiting = pending.months_of(account);
        if waiting.is_empty() {
            return Ok(rows);
        }
        let in_view = |m: &&MonthRow| (from..=to).contains(&m.month) && m.recorded_at <= recorded_at_max;
        rows.extend(waiting.iter().filter(in_view).cloned());
        Ok(latest_per_month(rows))
    }

    fn months_of_accounts(&self, accounts: &[AccountId]) -> Result<Vec<MonthRow>> {
        let mut unique = std::collections::HashSet::new();
        let accounts: Vec<AccountId> = accounts.iter().copied().filter(|a| unique.insert(*a)).collect();
        // Accounts whose file this reader holds answer from it; the others in one query.
        let (held, ask): (Vec<AccountId>, Vec<AccountId>) =
            accounts.iter().partition(|a| self.file.borrow().contains_key(a));
        let mut out = Vec::new();
        for account in held {
            out.extend(self.months(account, YearMonth::MIN, YearMonth::MAX, i64::MAX)?);
        }
        if ask.is_empty() {
            return Ok(out);
        }
        let ids: Vec<i64> = ask.iter().map(|a| a.0).collect();
        let rows = self.all(
            concat!(
                "SELECT DISTINCT ON (account_id, month) ",
                month_columns!(),
                " FROM account_months WHERE account_id = ANY($1) ORDER BY account_id, month, version DESC"
            ),
            &[&ids],
            month_row,
        )?;
        let mut stored: HashMap<AccountId, Vec<MonthRow>> = HashMap::new();
        for row in rows {
            stored.entry(row.account_id).or_default().push(row);
        }
        let pending = self.pending.borrow();
        for account in ask {
            let mut months = stored.remove(&account).unwrap_or_default();
            let waiting = pending.months_of(account);
            if !waiting.is_empty() {
                months.extend(waiting.iter().cloned());
                months = latest_per_month(months);
            }
            out.extend(months);
        }
        Ok(out)
    }

    fn agreements_of(&self, subject: SubjectId, recorded_at_max: i64) -> Result<Vec<AgreementRow>> {
        let in_view =
            |p: &PersonFile| p.agreements.iter().filter(|a| a.recorded_at <= recorded_at_max).cloned().collect();
        if let Some(rows) = self.in_file(subject, in_view) {
            return Ok(latest_agreements(rows));
        }
        let rows = self.all(
            concat!("SELECT ", agreement_columns!(), " FROM agreements WHERE subject_id = $1 AND recorded_at <= $2"),
            &[&subject.0, &recorded_at_max],
            agreement_row,
        )?;
        Ok(latest_agreements(rows))
    }

    fn agreement_by_key(&self, org: OrgId, agreement_key: &str) -> Result<Option<AgreementRow>> {
        let rows = self.all(
            concat!(
                "SELECT ",
                agreement_columns!(),
                " FROM agreements WHERE org_id = $1 AND agreement_key = $2 ORDER BY version DESC LIMIT 1"
            ),
            &[&org.0, &agreement_key],
            agreement_row,
        )?;
        Ok(rows.into_iter().next())
    }

    fn specials_of(&self, subject: SubjectId, account: AccountId, recorded_at_max: i64) -> Result<Vec<SpecialRow>> {
        if let Some(AccountHistory { specials, .. }) = self.file.borrow().get(&account) {
            let in_view = |x: &&SpecialRow| x.subject_id == subject && x.recorded_at <= recorded_at_max;
            return Ok(specials.iter().filter(in_view).cloned().collect());
        }
        self.all(
            concat!(
                "SELECT ",
                special_columns!(),
                " FROM specials WHERE account_id = $1 AND subject_id = $2 AND recorded_at <= $3 ORDER BY seq"
            ),
            &[&account.0, &subject.0, &recorded_at_max],
            special_row,
        )
    }

    fn notices_of(&self, account: AccountId) -> Result<Vec<NoticeRow>> {
        self.all(
            concat!(
                "SELECT ",
                notice_columns!(),
                " FROM notices WHERE account_id = $1 ORDER BY notified_on, recorded_at, id"
            ),
            &[&account.0],
            notice_row,
        )
        .map(|mut rows| {
            let waiting = self.pending.borrow().notices(|n| n.account_id == Some(account));
            if !waiting.is_empty() {
                rows.extend(waiting);
                rows.sort_by_key(|n| (n.notified_on, n.recorded_at));
            }
            rows
        })
    }

    fn notices_of_accounts(&self, org: OrgId, accounts: &[(AccountId, &str)]) -> Result<Vec<NoticeRow>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let ids: std::collections::HashSet<i64> = accounts.iter().map(|(a, _)| a.0).collect();
        let keys: std::collections::HashSet<&str> = accounts.iter().map(|(_, k)| *k).collect();
        let (id_list, key_list): (Vec<i64>, Vec<&str>) =
            (ids.iter().copied().collect(), keys.iter().copied().collect());
        let results = self.query_many(&[
            (concat!("SELECT ", notice_columns!(), " FROM notices WHERE account_id = ANY($1)"), &[&id_list]),
            (
                concat!(
                    "SELECT ",
                    notice_columns!(),
                    " FROM notices WHERE org_id = $1 AND account_key = ANY($2) AND account_id IS NULL"
                ),
                &[&org.0, &key_list],
            ),
        ])?;
        let mut rows: Vec<NoticeRow> = results.iter().flatten().map(notice_row).collect::<Result<_>>()?;
        rows.extend(self.pending.borrow().notices(|n| match n.account_id {
            Some(a) => ids.contains(&a.0),
            None => n.org_id == org && keys.contains(n.account_key.as_str()),
        }));
        Ok(rows)
    }

    fn pending_notices(&self, org: OrgId, account_key: &str) -> Result<Vec<NoticeRow>> {
        self.all(
            concat!(
                "SELECT ",
                notice_columns!(),
                " FROM notices WHERE org_id = $1 AND account_key = $2 AND account_id IS NULL
                 ORDER BY notified_on, recorded_at, id"
            ),
            &[&org.0, &account_key],
            notice_row,
        )
        .map(|mut rows| {
            let waiting = self
                .pending
                .borrow()
                .notices(|n| n.account_id.is_none() && n.org_id == org && n.account_key == account_key);
            if !waiting.is_empty() {
                rows.extend(waiting);
                rows.sort_by_key(|n| (n.notified_on, n.recorded_at));
            }
            rows
        })
    }

    fn has_pending_notices(&self, org: OrgId) -> Result<bool> {
        self.sync()?;
        let found: Option<i32> =
            self.one("SELECT 1 FROM notices WHERE org_id = $1 AND account_id IS NULL LIMIT 1", &[&org.0], |r| {
                col(r, 0)
            })?;
        Ok(found.is_some())
    }

    fn inquiries_of(&self, subject: SubjectId, from_at: i64, to_at: i64) -> Result<Vec<InquiryRow>> {
        let in_range = |p: &PersonFile| {
            p.inquiries.iter().filter(|q| (from_at..=to_at).contains(&q.inquiry.at)).cloned().collect()
        };
        if let Some(rows) = self.in_file(subject, in_range) {
            return Ok(rows);
        }
        self.all(
            "SELECT id, subject_id, org_id, reason, consent_id, at, hard FROM inquiries
             WHERE subject_id = $1 AND at BETWEEN $2 AND $3 ORDER BY at, id",
            &[&subject.0, &from_at, &to_at],
            inquiry_row,
        )
    }

    fn audit_chains(&self) -> u32 {
        AUDIT_CHAINS
    }

    fn audit_last(&self, chain: u32) -> Result<Option<AuditRow>> {
        // A writer reads the head to append after it: hold the chain until commit, then read the
        // head as committed by whoever held it before (READ COMMITTED: a fresh snapshot).
        const HEAD: &str = "SELECT seq, at, kind, subject_id, org_id, detail, prev_hash, hash, chain FROM audit_events
             WHERE chain = $1 ORDER BY seq DESC LIMIT 1";
        let lock = self.writer && !self.audit_locked.borrow().contains(&chain);
        let key = AUDIT_LOCK_KEY + i64::from(chain);
        let chain_i32 = i32::try_from(chain).map_err(|_| StoreError::Corrupt(format!("audit chain {chain}")))?;
        let rows = if lock {
            // Pipelined, and run in order: the head is read (a fresh snapshot) once the lock is
            // held.
            let mut both = self.query_many(&[("SELECT pg_advisory_xact_lock($1)", &[&key]), (HEAD, &[&chain_i32])])?;
            self.audit_locked.borrow_mut().push(chain);
            both.pop().unwrap_or_default()
        } else {
            self.query(HEAD, &[&chain_i32])?
        };
        rows.first().map(audit_row).transpose()
    }

    fn audit_after(&self, after: u64, limit: u32) -> Result<Vec<AuditRow>> {
        self.all(
            "SELECT seq, at, kind, subject_id, org_id, detail, prev_hash, hash, chain FROM audit_events
             WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&i64_of(after)?, &i64::from(limit)],
            audit_row,
        )
    }

    fn counts(&self) -> Result<Counts> {
        self.sync()?;
        Ok(Counts {
            organizations: self.count("SELECT COUNT(*) FROM organizations")?,
            subjects: self.count("SELECT COUNT(*) FROM subjects")?,
            accounts: self.count("SELECT COUNT(*) FROM accounts")?,
            account_months: self.count("SELECT COUNT(*) FROM account_months")?,
            consents: self.count("SELECT COUNT(*) FROM consents")?,
            batches: self.count("SELECT COUNT(*) FROM batches")?,
            inquiries: self.count("SELECT COUNT(*) FROM inquiries")?,
            audit_events: self.count("SELECT COUNT(*) FROM audit_events")?,
        })
    }

    fn consent(&self, id: ConsentId) -> Result<Option<ConsentRow>> {
        self.sync()?;
        self.one(concat!("SELECT ", consent_columns!(), " FROM consents WHERE id = $1"), &[&id.0], consent_row)
    }

    fn inquiry(&self, id: InquiryId) -> Result<Option<InquiryRow>> {
        self.one(
            "SELECT id, subject_id, org_id, reason, consent_id, at, hard FROM inquiries WHERE id = $1",
            &[&id.0],
            inquiry_row,
        )
    }

    fn account(&self, id: AccountId) -> Result<Option<AccountRow>> {
        self.sync()?;
        self.one("SELECT id, org_id, account_key, subject_id FROM accounts WHERE id = $1", &[&id.0], account_row)
    }

    fn dispute(&self, id: DisputeId) -> Result<Option<DisputeRow>> {
        self.one(concat!("SELECT ", dispute_columns!(), " FROM disputes WHERE id = $1"), &[&id.0], dispute_row)
    }

    fn disputes_of(&self, subject: SubjectId) -> Result<Vec<DisputeRow>> {
        if let Some(rows) = self.in_file(subject, |p| p.disputes.clone()) {
            return Ok(rows);
        }
        self.all(DISPUTES_SQL, &[&subject.0], dispute_row)
    }

    fn correction_notices_of(&self, subject: SubjectId) -> Result<Vec<CorrectionNoticeRow>> {
        self.all(
            concat!(
                "SELECT ",
                correction_notice_columns!(),
                " FROM correction_notices WHERE subject_id = $1 ORDER BY id"
            ),
            &[&subject.0],
            correction_notice_row,
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
                " FROM correction_notices WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3"
            ),
            &[&org.0, &after.0, &i64::from(limit)],
            correction_notice_row,
        )
    }

    fn disputes_for_org(&self, org: OrgId) -> Result<Vec<DisputeRow>> {
        self.all(
            concat!("SELECT ", dispute_columns!(), " FROM disputes WHERE org_id = $1 ORDER BY id"),
            &[&org.0],
            dispute_row,
        )
    }

    fn dispute_events(&self, dispute: DisputeId) -> Result<Vec<DisputeEventRow>> {
        let prefetched = self.person.borrow().as_ref().and_then(|p| {
            p.disputes
                .iter()
                .any(|d| d.id == dispute)
                .then(|| p.dispute_events.get(&dispute).cloned().unwrap_or_default())
        });
        if let Some(rows) = prefetched {
            return Ok(rows);
        }
        self.all(
            "SELECT dispute_id, subject_id, at, state, note FROM dispute_events WHERE dispute_id = $1 ORDER BY id",
            &[&dispute.0],
            dispute_event_row,
        )
    }

    fn statements_of(&self, subject: SubjectId) -> Result<Vec<StatementRow>> {
        if let Some(rows) = self.in_file(subject, |p| p.statements.clone()) {
            return Ok(rows);
        }
        self.all(STATEMENTS_SQL, &[&subject.0], statement_row)
    }

    fn flags_of(&self, subject: SubjectId) -> Result<Vec<FlagRow>> {
        if let Some(rows) = self.in_file(subject, |p| p.flags.clone()) {
            return Ok(rows);
        }
        self.all(FLAGS_SQL, &[&subject.0], flag_row)
    }

    fn accounts_with_negative_months(&self) -> Result<Vec<AccountId>> {
        self.sync()?;
        self.all(
            "SELECT DISTINCT account_id FROM account_months
             WHERE status IN ('1', '2', '3', '4', '5', '6', '7', 'B', 'D', 'Z') OR past_due_minor > 0
             ORDER BY account_id",
            &[],
            |r| Ok(AccountId(col(r, 0)?)),
        )
    }

    fn subjects_after(&self, after: SubjectId, limit: u32) -> Result<Vec<SubjectId>> {
        self.sync()?;
        self.all("SELECT id FROM subjects WHERE id > $1 ORDER BY id LIMIT $2", &[&after.0, &i64::from(limit)], |r| {
            Ok(SubjectId(col(r, 0)?))
        })
    }

    fn latest_score_version(&self) -> Result<Option<u32>> {
        if let Some(v) = self.person.borrow().as_ref().map(|p| p.score_version) {
            return Ok(v);
        }
        let v: Option<Option<i32>> = self.one(SCORE_VERSION_SQL, &[], |r| col(r, 0))?;
        v.flatten().map(u32_of).transpose()
    }

    fn latest_score_model(&self) -> Result<Option<ScoreModelRow>> {
        self.one(
            "SELECT version, built_at, as_of, model_json, percentiles_json FROM score_models
             ORDER BY version DESC LIMIT 1",
            &[],
            |r| {
                Ok(ScoreModelRow {
                    version: u32_col(r, 0)?,
                    built_at: col(r, 1)?,
                    as_of: col(r, 2)?,
                    model_json: col(r, 3)?,
                    percentiles_json: col(r, 4)?,
                })
            },
        )
    }

    fn audit_checkpoints(&self) -> Result<Vec<CheckpointRow>> {
        self.all("SELECT seq, at, hash, public_key, signature FROM audit_checkpoints ORDER BY seq", &[], |r| {
            Ok(CheckpointRow {
                seq: u64_col(r, 0)?,
                at: col(r, 1)?,
                hash: digest_col(r, 2)?,
                public_key: digest_col(r, 3)?,
                signature: col(r, 4)?,
            })
        })
    }

    fn web_session(&self, token_sha256: &[u8; 32]) -> Result<Option<WebSessionRow>> {
        self.one(
            "SELECT token_sha256, subject_id, doc_type, number_enc, created_at, shown_inquiry
             FROM web_sessions WHERE token_sha256 = $1",
            &[&&token_sha256[..]],
            |r| {
                Ok(WebSessionRow {
                    token_sha256: digest_col(r, 0)?,
                    subject_id: SubjectId(col(r, 1)?),
                    doc_type: code_col(r, 2, DocumentType::parse, "document type")?,
                    number_enc: col(r, 3)?,
                    created_at: col(r, 4)?,
                    shown_inquiry: col::<Option<i64>>(r, 5)?.map(InquiryId),
                })
            },
        )
    }

    fn web_sessions_held(&self) -> Result<u64> {
        self.count("SELECT COUNT(*) FROM web_sessions")
    }

    fn sealed_after(&self, table: SealedTable, after: Option<&SealedKey>, limit: u32) -> Result<Vec<SealedRow>> {
        self.sync()?;
        let limit = i64::from(limit);
        let (sql, by_id): (&'static str, bool) = match table {
            SealedTable::Subjects => ("SELECT id, name_enc FROM subjects WHERE id > $1 ORDER BY id LIMIT $2", true),
            SealedTable::Statements => ("SELECT id, text_enc FROM statements WHERE id > $1 ORDER BY id LIMIT $2", true),
            SealedTable::BatchFeedback => {
                ("SELECT batch_id, body_enc FROM batch_feedback WHERE batch_id > $1 ORDER BY batch_id LIMIT $2", true)
            }
            SealedTable::Documents => (
                "SELECT number_mac, doc_type, number_enc FROM documents WHERE number_mac > $1 ORDER BY number_mac LIMIT $2",
                false,
            ),
            SealedTable::WebSessions => (
                "SELECT token_sha256, doc_type, number_enc FROM web_sessions WHERE token_sha256 > $1
                 ORDER BY token_sha256 LIMIT $2",
                false,
            ),
        };
        match (by_id, after) {
            (true, Some(SealedKey::Id(id))) => self.all(sql, &[id, &limit], sealed_id_row),
            (true, _) => self.all(sql, &[&i64::MIN, &limit], sealed_id_row),
            (false, Some(SealedKey::Digest(d))) => self.all(sql, &[&&d[..], &limit], sealed_digest_row),
            (false, _) => self.all(sql, &[&&[0u8; 0][..], &limit], sealed_digest_row),
        }
    }
}

impl Writer for PgTx<'_> {
    fn lock_furnisher(&mut self, org: OrgId) -> Result<()> {
        // Ids past 2^31 share a lock with a smaller one: they wait more, never less.
        let second = i32::try_from(org.0.rem_euclid(i64::from(i32::MAX))).unwrap_or(0);
        self.exec("SELECT pg_advisory_xact_lock($1, $2)", &[&FURNISHER_LOCK_KEY, &second]).map(drop)
    }

    fn meta_locked(&mut self, key: &str) -> Result<Option<String>> {
        // Pipelined, and run in order: the value is read (a fresh snapshot) once the lock is held.
        let mut both =
            self.query_many(&[("SELECT pg_advisory_xact_lock_shared($1)", &[&META_LOCK_KEY]), (META_SQL, &[&key])])?;
        both.pop().unwrap_or_default().first().map(|r| col(r, 0)).transpose()
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.exec("SELECT pg_advisory_xact_lock($1)", &[&META_LOCK_KEY])?;
        self.exec(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&key, &value],
        )
        .map(drop)
    }

    fn insert_org(&mut self, code: &str, name: &str, created_at: i64) -> Result<OrgId> {
        self.insert(
            "INSERT INTO organizations (code, name, created_at) VALUES ($1, $2, $3) RETURNING id",
            &[&code, &name, &created_at],
        )
        .map(OrgId)
    }

    fn set_org_roles(&mut self, id: OrgId, roles: &str) -> Result<()> {
        self.exec("UPDATE organizations SET roles = $2 WHERE id = $1", &[&id.0, &roles]).map(drop)
    }

    fn set_org_type(&mut self, id: OrgId, org_type: ob_model::InstitutionType) -> Result<()> {
        self.exec("UPDATE organizations SET org_type = $2 WHERE id = $1", &[&id.0, &org_type.as_str()]).map(drop)
    }

    fn insert_api_key(&mut self, k: &ApiKeyRow) -> Result<()> {
        self.exec(
            "INSERT INTO api_keys (key_sha256, org_id, label, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5)",
            &[&&k.key_sha256[..], &k.org_id.map(|o| o.0), &k.label, &k.created_at, &k.revoked_at],
        )
        .map(drop)
    }

    fn revoke_api_key(&mut self, key_sha256: &[u8; 32], at: i64) -> Result<bool> {
        let n = self.exec(
            "UPDATE api_keys SET revoked_at = $2 WHERE key_sha256 = $1 AND revoked_at IS NULL",
            &[&&key_sha256[..], &at],
        )?;
        Ok(n == 1)
    }

    fn put_batch_feedback(&mut self, f: &BatchFeedbackRow) -> Result<()> {
        self.exec(
            "INSERT INTO batch_feedback (batch_id, media_type, body_enc) VALUES ($1, $2, $3)
             ON CONFLICT (batch_id) DO UPDATE SET media_type = EXCLUDED.media_type, body_enc = EXCLUDED.body_enc",
            &[&f.batch_id.0, &f.media_type, &f.body_enc],
        )
        .map(drop)
    }

    fn put_person_login(&mut self, l: &PersonLoginRow) -> Result<()> {
        self.exec(
            "INSERT INTO person_logins (subject_id, password_phc, created_at, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (subject_id) DO UPDATE SET password_phc = EXCLUDED.password_phc,
                 updated_at = EXCLUDED.updated_at",
            &[&l.subject_id.0, &l.password_phc, &l.created_at, &l.updated_at],
        )
        .map(drop)
    }

    fn insert_batch(&mut self, b: &NewBatch) -> Result<BatchId> {
        self.insert(
            "INSERT INTO batches (org_id, file_sha256, format, received_at) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&b.org_id.0, &&b.file_sha256[..], &b.format, &b.received_at],
        )
        .map(BatchId)
    }

    fn finish_batch(&mut self, id: BatchId, records: u64, accepted: u64, rejected: u64) -> Result<()> {
        self.exec(
            "UPDATE batches SET records = $2, accepted = $3, rejected = $4 WHERE id = $1",
            &[&id.0, &i64_of(records)?, &i64_of(accepted)?, &i64_of(rejected)?],
        )
        .map(drop)
    }

    fn insert_subject(&mut self, subject: &NewSubject) -> Result<SubjectId> {
        let id = SubjectId(self.next_id("subjects")?);
        self.buffer(|p| p.add_subject(id, subject))?;
        Ok(id)
    }

    fn insert_document(&mut self, document: &DocumentRow) -> Result<()> {
        self.buffer(|p| p.add_document(document))
    }

    fn insert_consent(&mut self, consent: &NewConsent) -> Result<ConsentId> {
        let id = ConsentId(self.next_id("consents")?);
        self.buffer(|p| p.add_consent(id, consent))?;
        Ok(id)
    }

    fn insert_account(&mut self, org: OrgId, account_key: &str, subject: SubjectId) -> Result<AccountId> {
        let id = AccountId(self.next_id("accounts")?);
        let row = AccountRow { id, org_id: org, account_key: account_key.to_owned(), subject_id: subject };
        self.buffer(|p| p.add_account(row))?;
        Ok(id)
    }

    fn rekey_account(&mut self, account: AccountId, new_key: &str) -> Result<()> {
        self.sync()?;
        self.exec("UPDATE accounts SET account_key = $2 WHERE id = $1", &[&account.0, &new_key]).map(drop)
    }

    fn insert_account_version(&mut self, version: &AccountVersionRow) -> Result<()> {
        // Checked here, not at COPY time, so that the error names the row that caused it.
        i32_of(version.version)?;
        self.buffer(|p| p.add_version(version))
    }

    fn insert_month(&mut self, month: &MonthRow) -> Result<()> {
        // Checked here, not at COPY time, so that the error names the row that caused it.
        i32_of(month.version)?;
        i32_of(month.days_past_due)?;
        yyyymm(month.month)?;
        self.buffer(|p| p.add_month(month))
    }

    fn insert_agreement(&mut self, a: &AgreementRow) -> Result<()> {
        self.exec(
            concat!(
                "INSERT INTO agreements (",
                agreement_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ),
            &[
                &a.org_id.0,
                &a.agreement_key,
                &i32::try_from(a.version).map_err(|_| StoreError::Corrupt("agreement version".into()))?,
                &a.subject_id.0,
                &a.batch_id.map(|b| b.0),
                &a.recorded_at,
                &a.kind.as_str(),
                &a.currency.as_str(),
                &a.limit_minor,
                &a.effective_on,
                &a.expires_on,
                &a.ended,
                &a.responsibility.as_str(),
            ],
        )
        .map(drop)
    }

    fn insert_special(&mut self, x: &SpecialRow) -> Result<()> {
        // The next number is read first: Citus routes an INSERT … VALUES to one shard only when it
        // holds no subquery.
        let seq: Option<i32> = self.one(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM specials WHERE account_id = $1 AND subject_id = $2",
            &[&x.account_id.0, &x.subject_id.0],
            |r| col(r, 0),
        )?;
        self.exec(
            "INSERT INTO specials (account_id, seq, subject_id, kind, on_date, amount_minor, months_changed, batch_id,
                                   recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &x.account_id.0,
                &seq.unwrap_or(1),
                &x.subject_id.0,
                &x.kind.as_str(),
                &x.on,
                &x.amount_minor,
                &x.months_changed.map(i32::from),
                &x.batch_id.map(|b| b.0),
                &x.recorded_at,
            ],
        )
        .map(drop)
    }

    fn insert_notice(&mut self, notice: &NoticeRow) -> Result<()> {
        self.buffer(|p| p.add_notice(notice))
    }

    fn insert_inquiry(&mut self, q: &NewInquiry) -> Result<InquiryId> {
        self.insert(
            "INSERT INTO inquiries (subject_id, org_id, reason, consent_id, at, hard)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&q.subject_id.0, &q.org_id.map(|o| o.0), &q.reason.as_str(), &q.consent_id.map(|c| c.0), &q.at, &q.hard],
        )
        .map(InquiryId)
    }

    fn next_audit_seq(&mut self) -> Result<u64> {
        let seq: Option<i64> = self.one("SELECT nextval('audit_seq')", &[], |r| col(r, 0))?;
        seq.and_then(|s| u64::try_from(s).ok()).ok_or_else(|| StoreError::Corrupt("audit sequence".into()))
    }

    fn append_audit(&mut self, e: &AuditRow) -> Result<()> {
        let chain = i32::try_from(e.chain).map_err(|_| StoreError::Corrupt(format!("audit chain {}", e.chain)))?;
        self.exec(
            "INSERT INTO audit_events (seq, at, kind, subject_id, org_id, detail, prev_hash, hash, chain)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &i64_of(e.seq)?,
                &e.at,
                &e.kind,
                &e.subject_id.map(|s| s.0),
                &e.org_id.map(|o| o.0),
                &e.detail,
                &&e.prev_hash[..],
                &&e.hash[..],
                &chain,
            ],
        )
        .map(drop)
    }

    fn insert_dispute(&mut self, d: &NewDispute) -> Result<DisputeId> {
        let c = d.item.columns();
        let month = c.month.map(yyyymm).transpose()?;
        let seq = c.item_seq.map(|n| i32::try_from(n).map_err(|_| bad(10, "item seq"))).transpose()?;
        self.insert(
            "INSERT INTO disputes (subject_id, item_kind, account_id, month, inquiry_id, org_id, dispute_type,
                 filed_at, due_on, item_seq, item_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            &[
                &d.subject_id.0,
                &c.kind,
                &c.account_id,
                &month,
                &c.inquiry_id,
                &d.org_id.map(|o| o.0),
                &d.dispute_type.as_str(),
                &d.filed_at,
                &d.due_on,
                &seq,
                &c.item_key,
            ],
        )
        .map(DisputeId)
    }

    fn insert_dispute_event(&mut self, e: &DisputeEventRow) -> Result<()> {
        self.exec(
            "INSERT INTO dispute_events (dispute_id, subject_id, at, state, note) VALUES ($1, $2, $3, $4, $5)",
            &[&e.dispute_id.0, &e.subject_id.0, &e.at, &e.state.as_str(), &e.note],
        )
        .map(drop)
    }

    fn insert_statement(&mut self, st: &StatementRow) -> Result<StatementId> {
        let month = st.month.map(yyyymm).transpose()?;
        self.insert(
            "INSERT INTO statements (subject_id, account_id, month, statement_type, text_enc, added_at, withdrawn_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &st.subject_id.0,
                &st.account_id.0,
                &month,
                &st.statement_type.as_str(),
                &st.text_enc,
                &st.added_at,
                &st.withdrawn_at,
            ],
        )
        .map(StatementId)
    }

    fn withdraw_statement(&mut self, id: StatementId, at: i64) -> Result<()> {
        self.exec("UPDATE statements SET withdrawn_at = $2 WHERE id = $1 AND withdrawn_at IS NULL", &[&id.0, &at])
            .map(drop)
    }

    fn insert_flag(&mut self, f: &FlagRow) -> Result<FlagId> {
        self.insert(
            "INSERT INTO file_flags (subject_id, kind, placed_at, expires_on, lifted_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&f.subject_id.0, &f.kind.as_str(), &f.placed_at, &f.expires_on, &f.lifted_at],
        )
        .map(FlagId)
    }

    fn lift_flag(&mut self, id: FlagId, at: i64) -> Result<()> {
        self.exec("UPDATE file_flags SET lifted_at = $2 WHERE id = $1 AND lifted_at IS NULL", &[&id.0, &at]).map(drop)
    }

    fn insert_correction_notice(&mut self, n: &CorrectionNoticeRow) -> Result<CorrectionNoticeId> {
        self.insert(
            "INSERT INTO correction_notices (subject_id, dispute_id, org_id, inquiry_id, state, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&n.subject_id.0, &n.dispute_id.0, &n.org_id.0, &n.inquiry_id.0, &n.state.as_str(), &n.created_at],
        )
        .map(CorrectionNoticeId)
    }

    fn revoke_consent(&mut self, id: ConsentId, on: time::Date) -> Result<()> {
        self.sync()?;
        self.exec("UPDATE consents SET revoked_on = $2 WHERE id = $1 AND revoked_on IS NULL", &[&id.0, &on]).map(drop)
    }

    fn purge_month(&mut self, account: AccountId, month: YearMonth) -> Result<u64> {
        self.sync()?;
        self.exec("DELETE FROM account_months WHERE account_id = $1 AND month = $2", &[&account.0, &yyyymm(month)?])
    }

    fn insert_score_model(&mut self, m: &ScoreModelRow) -> Result<u32> {
        let id = self.insert(
            "INSERT INTO score_models (built_at, as_of, model_json, percentiles_json) VALUES ($1, $2, $3, $4)
             RETURNING version::BIGINT",
            &[&m.built_at, &m.as_of, &m.model_json, &m.percentiles_json],
        )?;
        u32::try_from(id).map_err(|_| StoreError::Corrupt("score model version overflow".into()))
    }

    fn insert_checkpoint(&mut self, c: &CheckpointRow) -> Result<bool> {
        // Another transaction's uncommitted row for the same seq is waited for, then left (or,
        // if that transaction rolls back, this row is stored).
        self.exec(
            "INSERT INTO audit_checkpoints (seq, at, hash, public_key, signature) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (seq) DO NOTHING",
            &[&i64_of(c.seq)?, &c.at, &&c.hash[..], &&c.public_key[..], &c.signature],
        )
        .map(|rows| rows == 1)
    }

    fn insert_web_session(&mut self, w: &WebSessionRow) -> Result<()> {
        self.exec(
            "INSERT INTO web_sessions (token_sha256, subject_id, doc_type, number_enc, created_at, shown_inquiry)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &&w.token_sha256[..],
                &w.subject_id.0,
                &w.doc_type.as_str(),
                &w.number_enc,
                &w.created_at,
                &w.shown_inquiry.map(|i| i.0),
            ],
        )
        .map(drop)
    }

    fn delete_web_session(&mut self, token_sha256: &[u8; 32]) -> Result<bool> {
        Ok(self.exec("DELETE FROM web_sessions WHERE token_sha256 = $1", &[&&token_sha256[..]])? == 1)
    }

    fn set_web_session_shown(&mut self, token_sha256: &[u8; 32], inquiry: InquiryId) -> Result<()> {
        self.exec(
            "UPDATE web_sessions SET shown_inquiry = $2 WHERE token_sha256 = $1",
            &[&&token_sha256[..], &inquiry.0],
        )
        .map(drop)
    }

    fn prune_web_sessions_of(&mut self, subject: SubjectId, keep: u64) -> Result<u64> {
        self.exec(
            "DELETE FROM web_sessions WHERE token_sha256 IN (SELECT token_sha256 FROM web_sessions WHERE subject_id = $1
             ORDER BY created_at DESC, token_sha256 DESC OFFSET $2)",
            &[&subject.0, &i64::try_from(keep).unwrap_or(i64::MAX)],
        )
    }

    fn prune_web_sessions(&mut self, created_at_max: i64, keep: u64) -> Result<u64> {
        let expired = self.exec("DELETE FROM web_sessions WHERE created_at <= $1", &[&created_at_max])?;
        let excess = i64::try_from(self.web_sessions_held()?.saturating_sub(keep)).unwrap_or(i64::MAX);
        let oldest = self.exec(
            "DELETE FROM web_sessions WHERE token_sha256 IN
             (SELECT token_sha256 FROM web_sessions ORDER BY created_at, token_sha256 LIMIT $1)",
            &[&excess],
        )?;
        Ok(expired + oldest)
    }

    fn reseal(&mut self, table: SealedTable, key: &SealedKey, sealed: &[u8], mac: Option<&[u8; 32]>) -> Result<bool> {
        self.sync()?;
        let n = match (table, key, mac) {
            (SealedTable::Subjects, SealedKey::Id(id), Some(mac)) => {
                self.exec("UPDATE subjects SET name_enc = $2, name_mac = $3 WHERE id = $1", &[id, &sealed, &&mac[..]])?
            }
            (SealedTable::Statements, SealedKey::Id(id), None) => {
                self.exec("UPDATE statements SET text_enc = $2 WHERE id = $1", &[id, &sealed])?
            }
            (SealedTable::BatchFeedback, SealedKey::Id(id), None) => {
                self.exec("UPDATE batch_feedback SET body_enc = $2 WHERE batch_id = $1", &[id, &sealed])?
            }
            // Deleted and inserted again, not updated: on Citus `number_mac` is the distribution
            // column, which an UPDATE may not change (deploy/citus.sql).
            (SealedTable::Documents, SealedKey::Digest(d), Some(mac)) => {
                let gone = self
                    .query("DELETE FROM documents WHERE number_mac = $1 RETURNING subject_id, doc_type", &[&&d[..]])?;
                for row in &gone {
                    let (subject, doc_type): (i64, &str) = (col(row, 0)?, col(row, 1)?);
                    self.exec(
                        "INSERT INTO documents (number_mac, subject_id, doc_type, number_enc) VALUES ($1, $2, $3, $4)",
                        &[&&mac[..], &subject, &doc_type, &sealed],
                    )?;
                }
                gone.len() as u64
            }
            (SealedTable::WebSessions, SealedKey::Digest(d), None) => {
                self.exec("UPDATE web_sessions SET number_enc = $2 WHERE token_sha256 = $1", &[&&d[..], &sealed])?
            }
            _ => return Err(StoreError::Corrupt(format!("no {table:?} row is keyed {key:?} with that index"))),
        };
        if n > 1 {
            return Err(StoreError::Corrupt(format!("{table:?} row {key:?}: {n} rows resealed, not 1")));
        }
        Ok(n == 1)
    }

    fn commit(self: Box<Self>) -> Result<()> {
        self.sync()?;
        if self.failed.get() {
            return Err(StoreError::Backend(
                "a statement of this transaction failed: it was rolled back, nothing was committed".into(),
            ));
        }
        // A transaction that sent nothing has nothing to commit.
        if self.begin.get().is_none() {
            self.conn.borrow().run(async |c| c.batch_execute("COMMIT").await).map_err(backend)?;
        }
        self.open.set(false);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_error(e: tokio_postgres::Error) -> StoreError {
        StoreError::Backend(Box::new(PgError(e)))
    }

    #[test]
    fn a_refused_connection_is_retryable_and_a_value_of_the_wrong_type_is_not() {
        // Port 1 on loopback: nothing listens there, the connection is refused.
        let refused = ::postgres::Client::connect("postgres://postgres@127.0.0.1:1/none", ::postgres::NoTls)
            .err()
            .expect("nothing listens on port 1");
        assert!(refused.to_string().starts_with("error connecting to server"), "{refused}");
        assert!(is_retryable(&store_error(refused)));
        let mut client = ::postgres::Client::connect(&crate::testing::postgres_url(), ::postgres::NoTls).unwrap();
        let row = client.query_one("SELECT 1::int4", &[]).unwrap();
        let wrong_type = row.try_get::<_, i64>(0).expect_err("an int4 is no i64");
        assert!(wrong_type.code().is_none(), "no SQLSTATE: the driver's own error");
        assert!(wrong_type.to_string().starts_with("error deserializing column"), "{wrong_type}");
        assert!(!is_retryable(&store_error(wrong_type)), "the same conversion fails again");
    }
}
