//! The PostgreSQL schema as a sharded deployment needs it (issue 13, part 3): deploy/citus.sql
//! names every table once, each distributed table's keys hold its distribution column, a schema
//! version 1 database migrates with its rows, and one batch of a furnisher is written at a time.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use ::postgres::{Client, NoTls};
use ob_store::postgres::PgStore;
use ob_store::testing::scratch_database;
use ob_store::*;

/// How deploy/citus.sql places a table.
#[derive(Debug, PartialEq)]
enum Placement {
    Reference,
    Distributed { column: String, colocate_with: Option<String> },
}

/// The placements deploy/citus.sql states, by table; a table named twice is an error.
fn citus_placements() -> BTreeMap<String, Placement> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/citus.sql");
    let sql = std::fs::read_to_string(path).expect("reading deploy/citus.sql");
    let mut placements = BTreeMap::new();
    for line in sql.lines().filter(|l| l.starts_with("SELECT create_")) {
        let args: Vec<String> = line
            .split_once('(')
            .and_then(|(_, rest)| rest.rsplit_once(')'))
            .map(|(inside, _)| inside.split(',').map(|a| a.trim().to_owned()).collect())
            .unwrap_or_default();
        let quoted = |a: &str| a.trim_start_matches("colocate_with => ").trim_matches('\'').to_owned();
        let table = quoted(&args[0]);
        let placement = if line.starts_with("SELECT create_reference_table(") {
            Placement::Reference
        } else {
            assert!(line.starts_with("SELECT create_distributed_table("), "{line}");
            let colocate_with = args.get(2).map(|a| quoted(a)).filter(|t| t != "none");
            Placement::Distributed { column: quoted(&args[1]), colocate_with }
        };
        assert!(placements.insert(table.clone(), placement).is_none(), "{table} is placed twice");
    }
    placements
}

fn strings(client: &mut Client, sql: &str, params: &[&(dyn ::postgres::types::ToSql + Sync)]) -> Vec<String> {
    client.query(sql, params).unwrap().iter().map(|r| r.get(0)).collect()
}

/// Every table of the schema is placed by deploy/citus.sql, and no other; a distributed table's
/// column is NOT NULL and in each of its primary keys and unique constraints, and tables colocated
/// with another share the type of its column (Citus refuses any of these otherwise).
#[test]
fn postgres_schema_fits_deploy_citus_sql() {
    let url = scratch_database();
    PgStore::open(&url).unwrap();
    let mut client = Client::connect(&url, NoTls).unwrap();
    let placements = citus_placements();
    let tables = strings(&mut client, "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()", &[]);
    let placed: Vec<&String> = placements.keys().collect();
    let mut sorted = tables.clone();
    sorted.sort();
    assert_eq!(placed, sorted.iter().collect::<Vec<_>>(), "deploy/citus.sql places exactly the schema's tables");

    let column_type = |client: &mut Client, table: &str, column: &str| -> (String, bool) {
        let row = client
            .query_one(
                "SELECT format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
                 WHERE attrelid = $1::text::regclass AND attname = $2 AND NOT attisdropped",
                &[&table, &column],
            )
            .unwrap_or_else(|e| panic!("{table}.{column}: {e}"));
        (row.get(0), row.get(1))
    };
    for (table, placement) in &placements {
        let Placement::Distributed { column, colocate_with } = placement else { continue };
        let (ty, not_null) = column_type(&mut client, table, column);
        assert!(not_null, "{table}.{column} is the distribution column and may be NULL");
        if let Some(other) = colocate_with {
            let Some(Placement::Distributed { column: other_column, .. }) = placements.get(other) else {
                panic!("{table} is colocated with {other}, which is not distributed");
            };
            assert_eq!(ty, column_type(&mut client, other, other_column).0, "{table} colocated with {other}");
        }
        let keys = client
            .query(
                "SELECT i.indexrelid::regclass::text,
                        array(SELECT a.attname::text FROM unnest(i.indkey) k
                              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k)
                 FROM pg_index i WHERE i.indrelid = $1::text::regclass AND i.indisunique",
                &[&table],
            )
            .unwrap();
        for key in keys {
            let (name, columns): (String, Vec<String>) = (key.get(0), key.get(1));
            assert!(columns.contains(column), "{name} on {table} ({columns:?}) lacks the distribution column {column}");
        }
    }
}

/// A database left at schema version 1 (as a release before the distribution keys made it) is
/// migrated to the latest version on open, and its rows read back.
#[test]
fn postgres_a_schema_1_store_opens_and_migrates() {
    use sha2::{Digest, Sha256};
    let url = scratch_database();
    let v1 = include_str!("../migrations/postgres/0001_init.sql");
    let checksum: String = Sha256::digest(v1.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let mut client = Client::connect(&url, NoTls).unwrap();
    client
        .batch_execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .unwrap();
    client.batch_execute(v1).unwrap();
    client.execute("INSERT INTO schema_migrations VALUES (1, $1, 0)", &[&checksum]).unwrap();
    client
        .batch_execute(
            "INSERT INTO organizations (code, name, created_at) VALUES ('BANK', 'Bank', 0);
             INSERT INTO subjects (name_enc, name_mac, birth_date, created_at) VALUES ('\\x00', '\\x01', '1990-01-01', 0);
             INSERT INTO accounts (org_id, account_key, subject_id) VALUES (1, 'A-1', 1);
             INSERT INTO account_months (account_id, month, version, subject_id, recorded_at, settled_on, balance_minor,
                 used_minor, due_minor, paid_minor, past_due_minor, days_past_due, status)
             VALUES (1, 202401, 1, 1, 0, '2024-01-31', 500, 500, 100, 100, 0, 0, 'N');",
        )
        .unwrap();
    drop(client);
    let store = PgStore::open(&url).unwrap();
    assert_eq!(store.schema_version().unwrap(), 7);
    let r = store.read().unwrap();
    let account = r.account_by_key(OrgId(1), "A-1").unwrap().expect("the account survives the migration");
    let months = r.months(account.id, ob_model::YearMonth::MIN, ob_model::YearMonth::MAX, i64::MAX).unwrap();
    assert_eq!((months.len(), months[0].balance_minor), (1, 500));
}

/// One batch of a furnisher at a time: a second writer's lock on the same furnisher waits until
/// the first commits; a writer for another furnisher does not wait.
#[test]
fn postgres_one_batch_of_a_furnisher_at_a_time() {
    let url = scratch_database();
    let mut store = PgStore::open(&url).unwrap();
    let mut w = store.write().unwrap();
    let (bank, other) = (w.insert_org("BANK", "Bank", 0).unwrap(), w.insert_org("OTHER", "Other", 0).unwrap());
    w.commit().unwrap();

    let mut first = store.write().unwrap();
    first.lock_furnisher(bank).unwrap();
    let first_committed = Arc::new(AtomicBool::new(false));
    let locked = Arc::new(Barrier::new(2));
    let waiters: Vec<_> = [(bank, true), (other, false)]
        .into_iter()
        .map(|(org, waits)| {
            let (url, first_committed, locked) = (url.clone(), first_committed.clone(), locked.clone());
            std::thread::spawn(move || {
                let mut store = PgStore::open(&url).unwrap();
                let mut w = store.write().unwrap();
                w.lock_furnisher(org).unwrap();
                assert_eq!(first_committed.load(Ordering::SeqCst), waits, "furnisher {org:?}");
                if !waits {
                    locked.wait();
                }
                w.commit().unwrap();
            })
        })
        .collect();
    // The writer for the other furnisher got its lock while the first holds the bank's.
    locked.wait();
    std::thread::sleep(Duration::from_millis(200));
    first_committed.store(true, Ordering::SeqCst);
    first.commit().unwrap();
    for waiter in waiters {
        waiter.join().unwrap();
    }
}
