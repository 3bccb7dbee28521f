//! Scratch stores for the test suites of OpenBureau's crates: a fresh SQLite store or a fresh
//! PostgreSQL schema or database per test, so that tests run in parallel and each starts empty.
//!
//! The PostgreSQL server is named by [`POSTGRES_ENV`]; `./x test` starts a throwaway cluster and
//! sets it. A test asking for PostgreSQL without it fails, never skips.

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Location, Store};
use std::sync::atomic::{AtomicU32, Ordering};

/// Environment variable with the URL of a PostgreSQL server the tests may create schemas and
/// databases on (`postgres://postgres@127.0.0.1:PORT/postgres`).
pub const POSTGRES_ENV: &str = "OPENBUREAU_TEST_POSTGRES";

/// Environment variable choosing the backend of the suites that run on one backend at a time
/// (the bureau's and the server's): `sqlite` (default) or `postgres`. `./x test` runs them once
/// with each.
pub const BACKEND_ENV: &str = "OPENBUREAU_TEST_BACKEND";

/// The backends every store test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, in memory or in a temporary file.
    Sqlite,
    /// PostgreSQL, in a fresh schema or database on the server of [`POSTGRES_ENV`].
    Postgres,
}

/// The PostgreSQL server's URL. Panics, saying how to get one, when [`POSTGRES_ENV`] is unset.
pub fn postgres_url() -> String {
    std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_ENV} is not set: the store tests run against PostgreSQL too. Run `./x test` (it starts a \
             throwaway cluster), or set {POSTGRES_ENV}=postgres://USER@HOST:PORT/DB for a server where tests may \
             create schemas and databases"
        )
    })
}

/// A name no other test of any process uses.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The backend [`BACKEND_ENV`] names. Panics on a value that is neither `sqlite` nor `postgres`
/// (a typo must not quietly test SQLite twice).
pub fn backend_from_env() -> Backend {
    match std::env::var(BACKEND_ENV).as_deref() {
        Err(_) | Ok("" | "sqlite") => Backend::Sqlite,
        Ok("postgres") => Backend::Postgres,
        Ok(other) => panic!("{BACKEND_ENV}={other}: use sqlite or postgres"),
    }
}

/// An empty store on the backend [`BACKEND_ENV`] names.
pub fn scratch_from_env() -> Box<dyn Store> {
    scratch(backend_from_env())
}

/// An empty store on `backend`.
pub fn scratch(backend: Backend) -> Box<dyn Store> {
    match backend {
        Backend::Sqlite => Box::new(SqliteStore::in_memory().expect("in-memory SQLite store")),
        Backend::Postgres => Box::new(scratch_postgres()),
    }
}

/// An empty PostgreSQL store in a schema of its own.
pub fn scratch_postgres() -> PgStore {
    let url = postgres_url();
    sweep_once(&url);
    PgStore::open_in_schema(&url, Some(&unique_name("ob_test"))).expect("scratch PostgreSQL store")
}

/// Drops, once per process, the scratch databases and schemas of test processes that are gone:
/// tests leave theirs (a test may fail or be killed before any cleanup), and on a server kept
/// between runs they would pile up. A scratch name carries its process's id ([`unique_name`]);
/// one whose process still runs, or whose liveness cannot be told (not Linux), is left alone.
fn sweep_once(url: &str) {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    // Best effort: a scratch that cannot be dropped now is dropped by a later run. On a thread of
    // its own: the synchronous client starts a runtime, which an async test's thread may not.
    SWEPT.call_once(|| std::thread::scope(|s| drop(s.spawn(|| sweep(url)).join())));
}

fn sweep(url: &str) -> Result<(), ::postgres::Error> {
    let mut client = ::postgres::Client::connect(url, ::postgres::NoTls)?;
    let listed = [
        ("SELECT datname FROM pg_database WHERE datname LIKE 'ob\\_test\\_%'", "DROP DATABASE IF EXISTS"),
        ("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'ob\\_test\\_%'", "DROP SCHEMA IF EXISTS"),
    ];
    for (list, drop_sql) in listed {
        let names: Vec<String> = client.query(list, &[])?.iter().map(|r| r.get(0)).collect();
        for name in names.iter().filter(|n| of_a_gone_process(n)) {
            let cascade = if drop_sql.contains("SCHEMA") { " CASCADE" } else { "" };
            let _ = client.batch_execute(&format!("{drop_sql} {name}{cascade}"));
        }
    }
    Ok(())
}

/// Whether a scratch name (`ob_test_PID_…`) is of a process that no longer runs.
fn of_a_gone_process(name: &str) -> bool {
    let pid = name.strip_prefix("ob_test_").and_then(|rest| rest.split('_').next()).and_then(|p| p.parse::<u32>().ok());
    let proc_dir = std::path::Path::new("/proc");
    pid.is_some_and(|pid| {
        pid != std::process::id() && proc_dir.join("self").exists() && !proc_dir.join(pid.to_string()).exists()
    })
}

/// The location of an empty store on `backend` that programs can open by URL: a new SQLite file
/// in `dir`, or a new PostgreSQL database.
pub fn scratch_location(backend: Backend, dir: &std::path::Path) -> Location {
    match backend {
        Backend::Sqlite => Location::Sqlite(dir.join(format!("{}.sqlite", unique_name("store")))),
        Backend::Postgres => Location::Postgres(scratch_database()),
    }
}

/// Creates an empty PostgreSQL database; its URL.
pub fn scratch_database() -> String {
    let admin = postgres_url();
    sweep_once(&admin);
    let name = unique_name("ob_test");
    let mut client = ::postgres::Client::connect(&admin, ::postgres::NoTls).expect("connecting to the test server");
    client.batch_execute(&format!("CREATE DATABASE {name}")).expect("creating a scratch database");
    with_database(&admin, &name)
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// Every byte the store at `location` holds, as the tests that look for data in clear need it: an
/// SQLite file with its write-ahead log; every row of every table of a PostgreSQL database, each
/// value as text except binary columns, which are given as their bytes.
pub fn stored_bytes(location: &Location) -> Vec<u8> {
    match location {
        Location::Sqlite(path) => {
            let mut bytes = std::fs::read(path).unwrap_or_default();
            let mut wal = path.clone().into_os_string();
            wal.push("-wal");
            bytes.extend(std::fs::read(std::path::PathBuf::from(wal)).unwrap_or_default());
            bytes
        }
        Location::Postgres(url) => postgres_rows_bytes(url),
    }
}

fn postgres_rows_bytes(url: &str) -> Vec<u8> {
    use ::postgres::SimpleQueryMessage;
    let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connecting to the test database");
    let tables: Vec<String> = client
        .query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()", &[])
        .expect("listing tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut bytes = Vec::new();
    for table in tables {
        for message in client.simple_query(&format!("SELECT * FROM {table}")).expect("reading a table") {
            let SimpleQueryMessage::Row(row) = message else { continue };
            for i in 0..row.len() {
                let Some(text) = row.get(i) else { continue };
                // bytea comes as text in hex: `\x` and two digits a byte.
                match text.strip_prefix("\\x").and_then(hex_bytes) {
                    Some(raw) => bytes.extend(raw),
                    None => bytes.extend(text.as_bytes()),
                }
                bytes.push(b'\n');
            }
        }
    }
    bytes
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// Runs `sql` on the store at `location` behind the bureau's back, as someone editing the
/// database by hand would (tests of tamper evidence).
pub fn execute_by_hand(location: &Location, sql: &str) {
    match location {
        Location::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).expect("opening the SQLite file");
            conn.execute_batch(sql).expect("running SQL by hand");
        }
        Location::Postgres(url) => {
            let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connecting");
            client.batch_execute(sql).expect("running SQL by hand");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_scratches_of_gone_processes_are_swept() {
        let me = std::process::id();
        assert!(!super::of_a_gone_process(&format!("ob_test_{me}_0_1")), "this process runs");
        assert!(!super::of_a_gone_process("ob_test_1_0_1"), "init runs");
        assert!(!super::of_a_gone_process("openbureau_scale_100000"));
        assert!(!super::of_a_gone_process("ob_test_x_0_1"));
        if std::path::Path::new("/proc/self").exists() {
            // Above Linux's largest pid (2^22): no process has it.
            assert!(super::of_a_gone_process("ob_test_4194305_0_1"));
        }
    }

    #[test]
    fn database_replaced_in_urls() {
        let check = |url, expect: &str| assert_eq!(super::with_database(url, "x"), expect);
        check("postgres://u@h:1/postgres", "postgres://u@h:1/x");
        check("postgres://u@h:1", "postgres://u@h:1/x");
        check("postgres://u:p@h/db?sslmode=disable", "postgres://u:p@h/x?sslmode=disable");
    }
}
