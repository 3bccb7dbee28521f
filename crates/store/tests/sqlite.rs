//! The SQLite backend against the `Store` contract.

use ob_model::{RepaymentStatus, YearMonth};
use ob_store::sqlite::SqliteStore;
use ob_store::*;

fn month_row(
    account: AccountId,
    subject: SubjectId,
    month: &str,
    version: u32,
    recorded_at: i64,
    balance: i64,
) -> MonthRow {
    let month = YearMonth::parse(month).unwrap();
    MonthRow {
        account_id: account,
        month,
        version,
        subject_id: subject,
        batch_id: None,
        recorded_at,
        settled_on: month.last_day(),
        balance_minor: balance,
        used_minor: balance,
        due_minor: 0,
        paid_minor: 0,
        past_due_minor: 0,
        days_past_due: 0,
        status: RepaymentStatus::Normal,
        class5: None,
        last_payment_on: None,
        closed_on: None,
        credit_limit_minor: None,
        deleted: false,
    }
}

fn setup(store: &mut SqliteStore) -> (AccountId, SubjectId) {
    let mut w = store.write().unwrap();
    let org = w.insert_org("F1", "Furnisher one", 0).unwrap();
    let subject = w
        .insert_subject(&NewSubject {
            name_enc: vec![1, 2, 3],
            name_mac: [7; 32],
            birth_date: time::macros::date!(1990 - 01 - 01),
            created_at: 0,
        })
        .unwrap();
    let account = w.insert_account(org, "A-1", subject).unwrap();
    w.commit().unwrap();
    (account, subject)
}

#[test]
fn months_as_of_pick_the_latest_version_recorded_by_then() {
    let mut store = SqliteStore::in_memory().unwrap();
    let (account, subject) = setup(&mut store);
    let mut w = store.write().unwrap();
    w.insert_month(&month_row(account, subject, "2024-01", 1, 100, 5_000)).unwrap();
    w.insert_month(&month_row(account, subject, "2024-02", 1, 100, 6_000)).unwrap();
    w.insert_month(&month_row(account, subject, "2024-01", 2, 200, 4_000)).unwrap();
    w.commit().unwrap();

    let r = store.read().unwrap();
    let (from, to) = (YearMonth::parse("2023-01").unwrap(), YearMonth::parse("2024-12").unwrap());
    let balances =
        |at| r.months(account, from, to, at).unwrap().iter().map(|m| (m.version, m.balance_minor)).collect::<Vec<_>>();
    assert_eq!(balances(99), vec![]);
    assert_eq!(balances(150), vec![(1, 5_000), (1, 6_000)]);
    assert_eq!(balances(200), vec![(2, 4_000), (1, 6_000)]);
    let versions = r.month_versions(account).unwrap();
    assert_eq!(versions, vec![(YearMonth::parse("2024-01").unwrap(), 2), (YearMonth::parse("2024-02").unwrap(), 1)]);
    let one = |m| r.month_version(account, YearMonth::parse(m).unwrap()).unwrap();
    assert_eq!((one("2024-01"), one("2024-02"), one("2024-03")), (Some(2), Some(1), None));
}

#[test]
fn a_writer_dropped_without_commit_leaves_nothing() {
    let mut store = SqliteStore::in_memory().unwrap();
    let (account, subject) = setup(&mut store);
    {
        let mut w = store.write().unwrap();
        w.insert_month(&month_row(account, subject, "2024-01", 1, 100, 5_000)).unwrap();
        assert_eq!(w.counts().unwrap().account_months, 1, "a writer sees its own writes");
    }
    assert_eq!(store.read().unwrap().counts().unwrap().account_months, 0);
}

#[test]
fn a_month_version_cannot_be_written_twice() {
    let mut store = SqliteStore::in_memory().unwrap();
    let (account, subject) = setup(&mut store);
    let mut w = store.write().unwrap();
    w.insert_month(&month_row(account, subject, "2024-01", 1, 100, 5_000)).unwrap();
    assert!(w.insert_month(&month_row(account, subject, "2024-01", 1, 101, 1)).is_err());
}

#[test]
fn reopening_applies_no_migration_twice_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        setup(&mut store);
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 4, "every migration applied once");
    assert_eq!(store.read().unwrap().counts().unwrap().accounts, 1);
}

#[test]
fn account_terms_as_of_pick_the_latest_version_recorded_by_then() {
    let mut store = SqliteStore::in_memory().unwrap();
    let (account, subject) = setup(&mut store);
    let version = |version, recorded_at, limit| AccountVersionRow {
        account_id: account,
        version,
        subject_id: subject,
        batch_id: None,
        recorded_at,
        account_type: ob_model::AccountType::R1,
        opened_on: time::macros::date!(2024 - 01 - 01),
        currency: ob_model::Currency::CNY,
        credit_limit_minor: limit,
        periods: None,
        due_day: None,
        responsibility: ob_model::Responsibility::Individual,
        credit_line_id: None,
        deleted: false,
    };
    let mut w = store.write().unwrap();
    for (v, at, limit) in [(1, 100, 1_000), (2, 200, 2_000), (3, 300, 3_000)] {
        w.insert_account_version(&version(v, at, limit)).unwrap();
    }
    w.commit().unwrap();
    let r = store.read().unwrap();
    let limit = |at| r.account_version(account, at).unwrap().map(|v| v.credit_limit_minor);
    assert_eq!((limit(50), limit(100), limit(250), limit(i64::MAX)), (None, Some(1_000), Some(2_000), Some(3_000)));
    drop(r);

    // Reading ahead by key: in key order, from the key given, at most the limit, latest terms.
    let mut w = store.write().unwrap();
    let org = w.org_by_code("F1").unwrap().unwrap().id;
    let other = w.insert_org("F2", "Furnisher two", 0).unwrap();
    for (org, key) in [(org, "A-3"), (org, "A-0"), (org, "A-2"), (other, "A-1x")] {
        let id = w.insert_account(org, key, subject).unwrap();
        w.insert_account_version(&AccountVersionRow { account_id: id, ..version(1, 100, 9) }).unwrap();
    }
    w.commit().unwrap();
    let r = store.read().unwrap();
    let keys = |from, limit| {
        r.accounts_from_key(org, from, limit)
            .unwrap()
            .into_iter()
            .map(|(a, v)| (a.account_key, v.version, v.credit_limit_minor))
            .collect::<Vec<_>>()
    };
    let row = |k: &str, v, l| (k.to_owned(), v, l);
    assert_eq!(keys("A-1", 10), vec![row("A-1", 3, 3_000), row("A-2", 1, 9), row("A-3", 1, 9)]);
    assert_eq!(keys("A-0", 2), vec![row("A-0", 1, 9), row("A-1", 3, 3_000)]);
    assert_eq!(keys("B", 10), vec![]);
}

/// A store written by a schema-3 build (tests/golden/make_schema3.py) opens, migrates to the
/// newest schema and keeps its rows; the new tables work.
#[test]
fn a_schema_3_store_opens_and_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/schema3.sqlite"), &path).unwrap();
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 4);
    let r = store.read().unwrap();
    assert_eq!((r.counts().unwrap().accounts, r.counts().unwrap().subjects), (1, 1));
    let org = r.org_by_code("F1").unwrap().unwrap();
    assert_eq!(r.org_roles(org.id).unwrap(), "", "organizations of old stores have no role yet");
    let batch = r.batch(BatchId(1)).unwrap().unwrap();
    assert_eq!((batch.format.as_str(), batch.accepted), ("openbureau.jsonl/1", 2));
    drop(r);
    let mut w = store.write().unwrap();
    w.set_org_roles(org.id, "furnisher").unwrap();
    w.insert_api_key(&ApiKeyRow {
        key_sha256: [1; 32],
        org_id: Some(org.id),
        label: "k".into(),
        created_at: 5,
        revoked_at: None,
    })
    .unwrap();
    w.commit().unwrap();
    let r = store.read().unwrap();
    assert_eq!(r.api_key(&[1; 32]).unwrap().unwrap().org_id, Some(org.id));
    assert_eq!(r.org_roles(org.id).unwrap(), "furnisher");
}

/// Pages of an organization's batches are the next ids in order, whatever their digests.
#[test]
fn batch_pages_follow_ids_not_digests() {
    let mut store = SqliteStore::in_memory().unwrap();
    setup(&mut store);
    let mut w = store.write().unwrap();
    let org = w.org_by_code("F1").unwrap().unwrap().id;
    let other = w.insert_org("F2", "Furnisher two", 0).unwrap();
    for i in 0..300u32 {
        // Digests in an order unrelated to the ids.
        let mut sha = [0u8; 32];
        sha[..4].copy_from_slice(&(i.wrapping_mul(2_654_435_761)).to_be_bytes());
        let owner = if i % 3 == 0 { other } else { org };
        w.insert_batch(&NewBatch { org_id: owner, file_sha256: sha, format: "x".into(), received_at: 0 }).unwrap();
    }
    w.commit().unwrap();
    let r = store.read().unwrap();
    let mut seen = Vec::new();
    let mut after = BatchId(0);
    loop {
        let page = r.batches_of(org, after, 37).unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        seen.extend(page.iter().map(|b| b.id.0));
    }
    let expected: Vec<i64> = (0..300).filter(|i| i % 3 != 0).map(|i| i + 1).collect();
    assert_eq!(seen, expected);
}
