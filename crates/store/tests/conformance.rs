//! The `Store` contract, one suite run against every backend: each test below is a function of a
//! scratch store, and `conformance!` makes a `#[test]` of it for SQLite and one for PostgreSQL.
//! Tests that only make sense for one backend (its files, its migrations) follow the suite.

use ob_model::{RepaymentStatus, YearMonth};
use ob_store::postgres::PgStore;
use ob_store::sqlite::SqliteStore;
use ob_store::testing::{Backend, scratch, scratch_postgres};
use ob_store::*;

/// Makes `#[test]`s `sqlite::NAME` and `postgres::NAME` of each `fn NAME(store: &mut Box<dyn Store>)`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(&mut ob_store::testing::scratch(ob_store::testing::Backend::Sqlite)) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name(&mut ob_store::testing::scratch(ob_store::testing::Backend::Postgres)) })*
        }
    };
}

conformance!(
    months_as_of_pick_the_latest_version_recorded_by_then,
    a_writer_dropped_without_commit_leaves_nothing,
    a_month_version_cannot_be_written_twice,
    account_terms_as_of_pick_the_latest_version_recorded_by_then,
    batch_pages_follow_ids_not_digests,
    every_row_reads_back_as_written,
    a_failed_statement_commits_nothing,
    month_versions_count_rows_not_yet_sent,
    read_ahead_gives_newest_months_and_consents,
    a_person_s_file_reads_the_same_after_listing_their_accounts,
    an_organization_s_kind_is_unset_until_set,
    web_sessions_are_kept_ended_and_pruned_oldest_first,
    every_sealed_value_is_walked_and_resealed_in_key_order,
    a_prefetched_file_reads_as_the_plain_reads,
    batched_reads_answer_as_the_single_ones,
    an_account_sent_apart_from_its_terms_is_found_by_key,
    correction_notices_read_back_per_person_and_per_organization_in_order,
);

type AnyStore = Box<dyn Store>;

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
        detail: Default::default(),
    }
}

fn setup(store: &mut impl Store) -> (AccountId, SubjectId) {
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

fn months_as_of_pick_the_latest_version_recorded_by_then(store: &mut AnyStore) {
    let (account, subject) = setup(store);
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

fn a_writer_dropped_without_commit_leaves_nothing(store: &mut AnyStore) {
    let (account, subject) = setup(store);
    {
        let mut w = store.write().unwrap();
        w.insert_month(&month_row(account, subject, "2024-01", 1, 100, 5_000)).unwrap();
        assert_eq!(w.counts().unwrap().account_months, 1, "a writer sees its own writes");
    }
    assert_eq!(store.read().unwrap().counts().unwrap().account_months, 0);
}

fn a_month_version_cannot_be_written_twice(store: &mut AnyStore) {
    let (account, subject) = setup(store);
    // A backend that sends rows in bulk may learn of the clash only when it sends them: at the
    // insert, or at the latest at commit. Either way nothing is stored.
    let refused = {
        let mut w = store.write().unwrap();
        w.insert_month(&month_row(account, subject, "2024-01", 1, 100, 5_000)).unwrap();
        let failed = match w.insert_month(&month_row(account, subject, "2024-01", 1, 101, 1)) {
            Err(e) => Some(e),
            Ok(()) => w.commit().err(),
        };
        // A clash no other transaction caused would come again: not one to retry.
        failed.is_some_and(|e| !ob_store::postgres::is_retryable(&e))
    };
    assert!(refused, "a second row with the same (account, month, version) is refused, for good");
    assert_eq!(store.read().unwrap().counts().unwrap().account_months, 0);
}

#[test]
fn sqlite_reopening_applies_no_migration_twice_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        setup(&mut store);
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 11, "every migration applied once");
    assert_eq!(store.read().unwrap().counts().unwrap().accounts, 1);
}

fn account_terms_as_of_pick_the_latest_version_recorded_by_then(store: &mut AnyStore) {
    let (account, subject) = setup(store);
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
        contract: Default::default(),
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
            .map(|a| (a.account.account_key, a.terms.version, a.terms.credit_limit_minor))
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
fn sqlite_a_schema_3_store_opens_and_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/schema3.sqlite"), &path).unwrap();
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 11);
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

/// The frozen migrations 1–8, as a schema-8 build applied them.
const SQLITE_SCHEMA_8: [&str; 8] = [
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_rights.sql"),
    include_str!("../migrations/sqlite/0003_score.sql"),
    include_str!("../migrations/sqlite/0004_access.sql"),
    include_str!("../migrations/sqlite/0005_audit_chains.sql"),
    include_str!("../migrations/sqlite/0006_org_type.sql"),
    include_str!("../migrations/sqlite/0007_web_sessions.sql"),
    include_str!("../migrations/sqlite/0008_report_details.sql"),
];

/// Account-months written by a schema-8 build (twenty columns, dates as text) read the same
/// after migration 9 packs them (ob_store::packed), every field and every version.
#[test]
fn sqlite_schema_8_months_read_the_same_once_packed() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT",
        )
        .unwrap();
        for (version, sql) in (1..).zip(SQLITE_SCHEMA_8) {
            db.execute_batch(sql).unwrap();
            let checksum: String = Sha256::digest(sql.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
            db.execute("INSERT INTO schema_migrations VALUES (?1, ?2, 0)", rusqlite::params![version, checksum])
                .unwrap();
        }
        db.execute_batch(
            "INSERT INTO account_months (account_id, month, version, subject_id, batch_id, recorded_at, settled_on,
                 balance_minor, used_minor, due_minor, paid_minor, past_due_minor, days_past_due, status, class5,
                 last_payment_on, closed_on, credit_limit_minor, deleted, detail) VALUES
             (1, 202401, 1, 4, 2, 1700000000, '2024-01-31', 120000, 100000, 3000, 3000, 0, 0, 'N', '1', '2024-01-20',
                 NULL, NULL, 0, NULL),
             (1, 202402, 1, 4, 3, 1700000100, '2024-02-29', 123000, 123000, 3000, 0, 3000, 29, '1', NULL, NULL, NULL,
                 500000, 0, X'01010100'),
             (1, 202402, 2, 4, NULL, 1700000200, '2024-03-02', 0, 0, 0, 0, 0, 0, 'C', '9', '2024-02-01',
                 '2024-03-01', NULL, 1, NULL),
             (9, 209912, 1, 5, 4, 1700000300, '2100-01-05', -5, 9223372036854775807, -9223372036854775808, 7, 1, 4000,
                 '7', '5', '1901-01-01', '2099-12-31', 0, 0, NULL);",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 11);
    let r = store.read().unwrap();
    let ym = |y, m| YearMonth::new(y, m).unwrap();
    let months = |account| r.months(AccountId(account), YearMonth::MIN, YearMonth::MAX, i64::MAX).unwrap();
    assert_eq!(r.month_versions(AccountId(1)).unwrap(), vec![(ym(2024, 1), 1), (ym(2024, 2), 2)]);
    let got = months(1);
    assert_eq!(got.len(), 2, "the latest version of each month");
    let d = |y, m, d| time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
    let first = &got[0];
    assert_eq!(
        (first.month, first.version, first.subject_id, first.batch_id, first.recorded_at, first.settled_on),
        (ym(2024, 1), 1, SubjectId(4), Some(BatchId(2)), 1_700_000_000, d(2024, 1, 31))
    );
    assert_eq!(
        (first.balance_minor, first.used_minor, first.due_minor, first.paid_minor, first.past_due_minor),
        (120_000, 100_000, 3_000, 3_000, 0)
    );
    assert_eq!(
        (first.status, first.class5, first.last_payment_on, first.closed_on, first.credit_limit_minor, first.deleted),
        (RepaymentStatus::Normal, Some(ob_model::Classification::Normal), Some(d(2024, 1, 20)), None, None, false)
    );
    let second = &got[1];
    assert_eq!(
        (second.version, second.batch_id, second.settled_on, second.status, second.closed_on, second.deleted),
        (2, None, d(2024, 3, 2), RepaymentStatus::Settled, Some(d(2024, 3, 1)), true)
    );
    let v1 = r.months(AccountId(1), ym(2024, 2), ym(2024, 2), 1_700_000_150).unwrap();
    assert_eq!((v1[0].version, v1[0].days_past_due, v1[0].past_due_minor), (1, 29, 3_000));
    assert_eq!((v1[0].credit_limit_minor, v1[0].detail.overdue_periods), (Some(500_000), Some(1)));
    let extreme = &months(9)[0];
    assert_eq!(
        (extreme.month, extreme.settled_on, extreme.balance_minor, extreme.used_minor, extreme.due_minor),
        (ym(2099, 12), d(2100, 1, 5), -5, i64::MAX, i64::MIN)
    );
    assert_eq!(
        (extreme.paid_minor, extreme.past_due_minor, extreme.days_past_due, extreme.status, extreme.class5),
        (7, 1, 4_000, RepaymentStatus::Overdue7, Some(ob_model::Classification::Loss))
    );
    assert_eq!(
        (extreme.last_payment_on, extreme.closed_on, extreme.credit_limit_minor),
        (Some(d(1901, 1, 1)), Some(d(2099, 12, 31)), Some(0))
    );
    assert_eq!(r.accounts_with_negative_months().unwrap(), vec![AccountId(1), AccountId(9)]);
}

/// A key rotation's walk: every table with sealed values gives them in key order, page by page,
/// and takes them back sealed anew (a document moves to its new blind index).
fn every_sealed_value_is_walked_and_resealed_in_key_order(store: &mut AnyStore) {
    let (account, subject) = setup(store);
    let mut w = store.write().unwrap();
    let org = w.org_by_code("F1").unwrap().unwrap().id;
    let batch =
        w.insert_batch(&NewBatch { org_id: org, file_sha256: [3; 32], format: "x".into(), received_at: 0 }).unwrap();
    let doc_type = ob_model::DocumentType::PrcResidentId;
    for n in [5u8, 9] {
        w.insert_document(&DocumentRow { number_mac: [n; 32], subject_id: subject, doc_type, number_enc: vec![1, n] })
            .unwrap();
    }
    let statement = StatementRow {
        id: StatementId(0),
        subject_id: subject,
        account_id: account,
        month: None,
        statement_type: ob_model::StatementType::LostCard,
        text_enc: vec![1, 4],
        added_at: 0,
        withdrawn_at: None,
    };
    w.insert_statement(&statement).unwrap();
    w.put_batch_feedback(&BatchFeedbackRow { batch_id: batch, media_type: "x".into(), body_enc: vec![1, 6] }).unwrap();
    let session = WebSessionRow {
        token_sha256: [8; 32],
        subject_id: subject,
        doc_type,
        number_enc: vec![1, 8],
        created_at: 0,
        shown_inquiry: None,
    };
    w.insert_web_session(&session).unwrap();
    w.commit().unwrap();
    let walk = |store: &AnyStore, table: SealedTable| {
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let page = store.read().unwrap().sealed_after(table, after.as_ref(), 1).unwrap();
            let Some(last) = page.last() else { return rows };
            after = Some(last.key.clone());
            rows.extend(page);
        }
    };
    let documents = walk(store, SealedTable::Documents);
    assert_eq!(
        documents.iter().map(|r| r.key.clone()).collect::<Vec<_>>(),
        [SealedKey::Digest([5; 32]), SealedKey::Digest([9; 32])]
    );
    assert_eq!(documents[0].doc_type, Some(doc_type));
    let tables: Vec<_> = SealedTable::ALL.iter().map(|t| (*t, walk(store, *t))).collect();
    let mut w = store.write().unwrap();
    for (table, rows) in tables {
        assert!(!rows.is_empty(), "{table:?}");
        for row in rows {
            let mac = matches!(table, SealedTable::Subjects | SealedTable::Documents).then_some([0xAA; 32]);
            // A document's new index: one per row, for the key is unique.
            let mac = mac.map(|m| if let SealedKey::Digest(d) = row.key { [d[0] ^ 0xF0; 32] } else { m });
            assert!(w.reseal(table, &row.key, &[2, 2, 2], mac.as_ref()).unwrap());
        }
        let missing = match table {
            SealedTable::Documents | SealedTable::WebSessions => SealedKey::Digest([0x44; 32]),
            _ => SealedKey::Id(404),
        };
        let mac = matches!(table, SealedTable::Subjects | SealedTable::Documents).then_some([1; 32]);
        assert!(!w.reseal(table, &missing, &[2], mac.as_ref()).unwrap(), "no such row: nothing resealed");
        let wrong = if mac.is_some() { None } else { Some([1; 32]) };
        assert!(
            w.reseal(table, &missing, &[2], wrong.as_ref()).is_err(),
            "an index where none belongs, or none where one does"
        );
    }
    w.commit().unwrap();
    for table in SealedTable::ALL {
        assert!(walk(store, table).iter().all(|r| r.sealed == [2, 2, 2]), "{table:?}");
    }
    let r = store.read().unwrap();
    assert_eq!(r.subject(subject).unwrap().unwrap().name_mac, [0xAA; 32]);
    assert_eq!(r.subject_by_document(&[0x05 ^ 0xF0; 32]).unwrap().map(|s| s.id), Some(subject));
    assert!(r.subject_by_document(&[5; 32]).unwrap().is_none(), "the old index is gone");
    assert_eq!(r.web_session(&[8; 32]).unwrap().unwrap().number_enc, [2, 2, 2]);
}

/// Web sessions read back as written, remember the view shown, end once, and are pruned: the
/// expired first, then the oldest beyond the number kept.
fn web_sessions_are_kept_ended_and_pruned_oldest_first(store: &mut AnyStore) {
    let (_, subject) = setup(store);
    let row = |n: u8, created_at: i64| WebSessionRow {
        token_sha256: [n; 32],
        subject_id: subject,
        doc_type: ob_model::DocumentType::PrcResidentId,
        number_enc: vec![1, n, 2],
        created_at,
        shown_inquiry: None,
    };
    let mut w = store.write().unwrap();
    for (n, at) in [(1, 100), (2, 200), (3, 300), (4, 400)] {
        w.insert_web_session(&row(n, at)).unwrap();
    }
    assert!(w.insert_web_session(&row(1, 500)).is_err(), "one session per token digest");
    drop(w);
    let mut w = store.write().unwrap();
    for (n, at) in [(1, 100), (2, 200), (3, 300), (4, 400)] {
        w.insert_web_session(&row(n, at)).unwrap();
    }
    w.set_web_session_shown(&[2; 32], InquiryId(9)).unwrap();
    w.commit().unwrap();
    let r = store.read().unwrap();
    assert_eq!(r.web_session(&[1; 32]).unwrap(), Some(row(1, 100)));
    assert_eq!(r.web_session(&[2; 32]).unwrap().unwrap().shown_inquiry, Some(InquiryId(9)));
    assert_eq!(r.web_session(&[9; 32]).unwrap(), None);
    assert_eq!(r.web_sessions_held().unwrap(), 4);
    drop(r);
    let mut w = store.write().unwrap();
    assert!(w.delete_web_session(&[4; 32]).unwrap());
    assert!(!w.delete_web_session(&[4; 32]).unwrap(), "ended once");
    // Created at or before 100: expired. Then one kept of the two left: the older goes.
    assert_eq!(w.prune_web_sessions(100, 1).unwrap(), 2);
    w.commit().unwrap();
    let r = store.read().unwrap();
    assert_eq!(r.web_sessions_held().unwrap(), 1);
    assert!(r.web_session(&[3; 32]).unwrap().is_some(), "the newest stays");
    drop(r);
    // A person's own sessions beyond the number kept: their oldest go, others' stay.
    let mut w = store.write().unwrap();
    let other = new_subject(&mut *w, 8, 0);
    w.insert_web_session(&WebSessionRow { subject_id: other, ..row(20, 50) }).unwrap();
    for (n, at) in [(10, 500), (11, 600), (12, 700)] {
        w.insert_web_session(&row(n, at)).unwrap();
    }
    assert_eq!(w.prune_web_sessions_of(subject, 2).unwrap(), 2);
    w.commit().unwrap();
    let r = store.read().unwrap();
    let held = |n: u8| r.web_session(&[n; 32]).unwrap().is_some();
    assert!(!held(3) && !held(10) && held(11) && held(12) && held(20), "the person's two newest, and the other's");
}

/// An organization has no kind until an operator sets one; then every look-up gives it.
fn an_organization_s_kind_is_unset_until_set(store: &mut AnyStore) {
    let mut w = store.write().unwrap();
    let org = w.insert_org("K1", "Kind one", 0).unwrap();
    w.commit().unwrap();
    assert_eq!(store.read().unwrap().org(org).unwrap().unwrap().org_type, None);
    let mut w = store.write().unwrap();
    w.set_org_type(org, ob_model::InstitutionType::ConsumerFinance).unwrap();
    w.commit().unwrap();
    let r = store.read().unwrap();
    let want = Some(ob_model::InstitutionType::ConsumerFinance);
    assert_eq!(r.org(org).unwrap().unwrap().org_type, want);
    assert_eq!(r.org_by_code("K1").unwrap().unwrap().org_type, want);
}

/// Pages of an organization's batches are the next ids in order, whatever their digests.
fn batch_pages_follow_ids_not_digests(store: &mut AnyStore) {
    setup(store);
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

/// Every kind of row comes back from the store as it went in: types, NULLs, dates, digests,
/// booleans and codes all survive the backend's column types.
fn every_row_reads_back_as_written(store: &mut AnyStore) {
    use ob_model::*;
    use time::macros::date;
    let (account, subject) = setup(store);
    let mut w = store.write().unwrap();
    let org = w.org_by_code("F1").unwrap().unwrap().id;
    let batch = w
        .insert_batch(&NewBatch {
            org_id: org,
            file_sha256: [3; 32],
            format: "openbureau.jsonl/1".into(),
            received_at: 7,
        })
        .unwrap();
    w.finish_batch(batch, 10, 9, 1).unwrap();
    let consent = NewConsent {
        subject_id: subject,
        org_id: org,
        scope: ConsentScope::Report,
        purpose: Some(QueryReason::LoanApproval),
        granted_on: date!(2024 - 01 - 02),
        expires_on: date!(2029 - 01 - 02),
        revoked_on: None,
        evidence_sha256: [4; 32],
        consent_ref: Some("C-1".into()),
        batch_id: Some(batch),
        recorded_at: 8,
    };
    let consent_id = w.insert_consent(&consent).unwrap();
    w.revoke_consent(consent_id, date!(2025 - 03 - 04)).unwrap();
    let terms = AccountVersionRow {
        account_id: account,
        version: 1,
        subject_id: subject,
        batch_id: Some(batch),
        recorded_at: 9,
        account_type: AccountType::D1,
        opened_on: date!(2023 - 05 - 06),
        currency: Currency::CNY,
        credit_limit_minor: 12_345_678,
        periods: Some(360),
        due_day: Some(28),
        responsibility: Responsibility::Individual,
        credit_line_id: Some(account),
        deleted: true,
        contract: Default::default(),
    };
    w.insert_account_version(&terms).unwrap();
    let month = MonthRow {
        class5: Some(Classification::Substandard),
        last_payment_on: Some(date!(2024 - 01 - 15)),
        closed_on: Some(date!(2024 - 01 - 31)),
        credit_limit_minor: Some(-1),
        past_due_minor: 77,
        days_past_due: 95,
        status: RepaymentStatus::parse("4").unwrap(),
        deleted: true,
        batch_id: Some(batch),
        ..month_row(account, subject, "2024-01", 1, 10, i64::MIN + 1)
    };
    w.insert_month(&month).unwrap();
    let document = DocumentRow {
        number_mac: [5; 32],
        subject_id: subject,
        doc_type: DocumentType::PrcResidentId,
        number_enc: vec![0, 255, 1],
    };
    w.insert_document(&document).unwrap();
    let inquiry = NewInquiry {
        subject_id: subject,
        org_id: Some(org),
        reason: QueryReason::LoanApproval,
        consent_id: Some(consent_id),
        at: 11,
        hard: true,
    };
    let inquiry_id = w.insert_inquiry(&inquiry).unwrap();
    let seq = w.next_audit_seq().unwrap();
    let audit = AuditRow {
        seq,
        chain: 3,
        at: 12,
        kind: "ingest".into(),
        subject_id: Some(subject),
        org_id: None,
        detail: "{\"a\":1}".into(),
        prev_hash: [0; 32],
        hash: [6; 32],
    };
    w.append_audit(&audit).unwrap();
    let dispute = NewDispute {
        subject_id: subject,
        item: DisputeItem::Month(account, YearMonth::parse("2024-01").unwrap()),
        org_id: Some(org),
        dispute_type: DisputeType::WrongStatus,
        filed_at: 13,
        due_on: date!(2024 - 02 - 20),
    };
    let dispute_id = w.insert_dispute(&dispute).unwrap();
    let event = DisputeEventRow {
        dispute_id,
        subject_id: subject,
        at: 14,
        state: DisputeState::parse("open").unwrap(),
        note: None,
    };
    w.insert_dispute_event(&event).unwrap();
    let notice = NoticeRow {
        account_id: None,
        subject_id: None,
        org_id: org,
        account_key: "A-9".into(),
        notified_on: date!(2024 - 01 - 03),
        channel: NoticeChannel::parse("sms").unwrap(),
        batch_id: None,
        recorded_at: 15,
    };
    w.insert_notice(&notice).unwrap();
    let flag = FlagRow {
        id: FlagId(0),
        subject_id: subject,
        kind: FlagKind::parse("freeze").unwrap(),
        placed_at: 16,
        expires_on: Some(date!(2030 - 01 - 01)),
        lifted_at: None,
    };
    let flag_id = w.insert_flag(&flag).unwrap();
    w.lift_flag(flag_id, 17).unwrap();
    let key =
        ApiKeyRow { key_sha256: [8; 32], org_id: None, label: "operator".into(), created_at: 18, revoked_at: None };
    w.insert_api_key(&key).unwrap();
    assert!(w.revoke_api_key(&[8; 32], 19).unwrap());
    assert!(!w.revoke_api_key(&[8; 32], 20).unwrap(), "revoked once");
    let feedback =
        BatchFeedbackRow { batch_id: batch, media_type: "application/x-ndjson".into(), body_enc: vec![9; 40] };
    w.put_batch_feedback(&feedback).unwrap();
    w.put_batch_feedback(&BatchFeedbackRow { body_enc: vec![1], ..feedback.clone() }).unwrap();
    let score = ScoreModelRow {
        version: 0,
        built_at: 21,
        as_of: date!(2024 - 06 - 30),
        model_json: "{}".into(),
        percentiles_json: "[]".into(),
    };
    assert_eq!(w.insert_score_model(&score).unwrap(), 1);
    let checkpoint = CheckpointRow { seq, at: 22, hash: [6; 32], public_key: [7; 32], signature: vec![1; 64] };
    assert!(w.insert_checkpoint(&checkpoint).unwrap());
    // The same head signed again (two writers at once): the first checkpoint stays.
    assert!(!w.insert_checkpoint(&CheckpointRow { at: 23, signature: vec![2; 64], ..checkpoint.clone() }).unwrap());
    w.set_meta("k", "v1").unwrap();
    w.set_meta("k", "v2").unwrap();
    w.commit().unwrap();

    let r = store.read().unwrap();
    assert_eq!(r.meta("k").unwrap().as_deref(), Some("v2"));
    let b = r.batch(batch).unwrap().unwrap();
    assert_eq!(
        (b.records, b.accepted, b.rejected, b.received_at, b.format.as_str()),
        (10, 9, 1, 7, "openbureau.jsonl/1")
    );
    assert_eq!(r.batch_by_digest(org, &[3; 32]).unwrap().map(|b| b.id), Some(batch));
    let c = r.consent(consent_id).unwrap().unwrap().consent;
    assert_eq!(c, NewConsent { revoked_on: Some(date!(2025 - 03 - 04)), ..consent });
    assert_eq!(r.consents_of(subject).unwrap().len(), 1);
    assert_eq!(r.account_version(account, i64::MAX).unwrap(), Some(terms));
    let months = r.months(account, YearMonth::MIN, YearMonth::MAX, i64::MAX).unwrap();
    assert_eq!(months, vec![month]);
    assert_eq!(r.accounts_with_negative_months().unwrap(), vec![account]);
    assert_eq!(r.documents_of(subject).unwrap(), vec![document]);
    assert_eq!(r.subject_by_document(&[5; 32]).unwrap().map(|s| s.id), Some(subject));
    assert_eq!(r.inquiry(inquiry_id).unwrap().map(|q| q.inquiry), Some(inquiry.clone()));
    assert_eq!(r.inquiries_of(subject, 11, 11).unwrap().len(), 1);
    assert_eq!(r.inquiries_of(subject, 12, 99).unwrap().len(), 0);
    assert_eq!(r.audit_last(3).unwrap(), Some(audit.clone()));
    assert_eq!(r.audit_last(0).unwrap(), None, "chains are apart");
    assert_eq!(r.audit_after(0, 10).unwrap(), vec![audit]);
    assert_eq!(r.dispute(dispute_id).unwrap().map(|d| d.dispute), Some(dispute.clone()));
    assert_eq!(r.disputes_for_org(org).unwrap().len(), 1);
    drop(r);
    // Every kind of item a dispute may name reads back as filed.
    let items = [
        (DisputeItem::Account(account), Some(org)),
        (DisputeItem::Inquiry(inquiry_id), Some(org)),
        (DisputeItem::Identity, None),
        (DisputeItem::Special(account, 3), Some(org)),
        (DisputeItem::Agreement(org, "G-7.2".into()), Some(org)),
    ];
    let mut w = store.write().unwrap();
    let filed: Vec<(DisputeId, NewDispute)> = items
        .into_iter()
        .map(|(item, org_id)| {
            let d = NewDispute { item, org_id, ..dispute.clone() };
            (w.insert_dispute(&d).unwrap(), d)
        })
        .collect();
    w.commit().unwrap();
    let r = store.read().unwrap();
    for (id, d) in filed {
        assert_eq!(r.dispute(id).unwrap().map(|d| d.dispute), Some(d));
    }
    assert_eq!(r.dispute_events(dispute_id).unwrap(), vec![event]);
    assert_eq!(r.pending_notices(org, "A-9").unwrap(), vec![notice]);
    assert!(r.has_pending_notices(org).unwrap());
    assert_eq!(r.flags_of(subject).unwrap(), vec![FlagRow { id: flag_id, lifted_at: Some(17), ..flag }]);
    assert_eq!(r.api_keys_of(None).unwrap(), vec![ApiKeyRow { revoked_at: Some(19), ..key }]);
    assert_eq!(r.batch_feedback(batch).unwrap().map(|f| f.body_enc), Some(vec![1]));
    assert_eq!(r.latest_score_version().unwrap(), Some(1));
    assert_eq!(r.latest_score_model().unwrap(), Some(ScoreModelRow { version: 1, ..score }));
    assert_eq!(r.audit_checkpoints().unwrap(), vec![checkpoint]);
    assert_eq!(r.subjects_after(SubjectId(0), 10).unwrap(), vec![subject]);
    let counts = r.counts().unwrap();
    assert_eq!((counts.accounts, counts.account_months, counts.inquiries, counts.audit_events), (1, 1, 1, 1));
}

/// Correction notices read back as written: all of a person's, and an organization's own as a
/// queue in id order, page by page; a second notice of the same dispute, organization and state
/// is refused.
fn correction_notices_read_back_per_person_and_per_organization_in_order(store: &mut AnyStore) {
    use ob_model::DisputeState;
    let (_, subject) = setup(store);
    let mut w = store.write().unwrap();
    let org = w.org_by_code("F1").unwrap().unwrap().id;
    let other = w.insert_org("F2", "Furnisher two", 0).unwrap();
    let notice = |dispute: i64, org_id: OrgId, state: DisputeState| CorrectionNoticeRow {
        id: CorrectionNoticeId(0),
        subject_id: subject,
        dispute_id: DisputeId(dispute),
        org_id,
        inquiry_id: InquiryId(dispute * 10),
        state,
        created_at: 100 + dispute,
    };
    let mut written = Vec::new();
    for (dispute, org_id, state) in [
        (1, org, DisputeState::Open),
        (1, other, DisputeState::Open),
        (1, org, DisputeState::Deleted),
        (2, org, DisputeState::Corrected),
        (3, org, DisputeState::Suppressed),
    ] {
        let n = notice(dispute, org_id, state);
        written.push(CorrectionNoticeRow { id: w.insert_correction_notice(&n).unwrap(), ..n });
    }
    w.commit().unwrap();
    let r = store.read().unwrap();
    assert_eq!(r.correction_notices_of(subject).unwrap(), written);
    assert_eq!(r.correction_notices_of(SubjectId(subject.0 + 1)).unwrap(), vec![]);
    let mut seen = Vec::new();
    let mut after = CorrectionNoticeId(0);
    loop {
        let page = r.correction_notices_for(org, after, 2).unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        seen.extend(page);
    }
    let own: Vec<_> = written.iter().filter(|n| n.org_id == org).cloned().collect();
    assert_eq!(seen, own);
    drop(r);
    let mut w = store.write().unwrap();
    let twice = w.insert_correction_notice(&notice(1, org, DisputeState::Open)).and_then(|_| w.commit());
    assert!(twice.is_err(), "one notice per dispute, organization and state");
}

/// A writer whose statement failed cannot commit the rest: a batch is all or nothing. A backend
/// that sends rows in bulk learns of the clash when it sends them (at the latest at commit); either
/// way the commit fails and nothing of the transaction is stored.
fn a_failed_statement_commits_nothing(store: &mut AnyStore) {
    let (_, subject) = setup(store);
    let org = store.read().unwrap().org_by_code("F1").unwrap().unwrap().id;
    let committed = {
        let mut w = store.write().unwrap();
        w.insert_account(org, "B-0", subject).unwrap();
        w.insert_account(org, "B-1", subject).unwrap();
        match w.insert_account(org, "B-1", subject) {
            Err(_) => w.commit(),
            // A caller that goes on anyway must not get half the transaction stored.
            Ok(_) => w.insert_account(org, "B-2", subject).and_then(|_| w.commit()),
        }
    };
    assert!(committed.is_err(), "a key taken twice fails the transaction");
    let r = store.read().unwrap();
    for key in ["B-0", "B-1", "B-2"] {
        assert_eq!(r.account_by_key(org, key).unwrap(), None, "nothing of a failed transaction is stored");
    }
}

/// Month versions written in this transaction count, whether or not the backend has sent them.
fn month_versions_count_rows_not_yet_sent(store: &mut AnyStore) {
    let (account, subject) = setup(store);
    let mut w = store.write().unwrap();
    w.insert_month(&month_row(account, subject, "2024-01", 1, 100, 5_000)).unwrap();
    w.insert_month(&month_row(account, subject, "2024-01", 2, 100, 5_000)).unwrap();
    w.insert_month(&month_row(account, subject, "2024-03", 1, 100, 5_000)).unwrap();
    let jan = YearMonth::parse("2024-01").unwrap();
    let mar = YearMonth::parse("2024-03").unwrap();
    assert_eq!(w.month_version(account, jan).unwrap(), Some(2));
    assert_eq!(w.month_versions(account).unwrap(), vec![(jan, 2), (mar, 1)]);
    assert_eq!(w.months(account, jan, mar, i64::MAX).unwrap().len(), 2);
    w.insert_month(&month_row(account, subject, "2024-01", 3, 100, 5_000)).unwrap();
    assert_eq!(w.month_version(account, jan).unwrap(), Some(3));
    w.commit().unwrap();
    assert_eq!(store.read().unwrap().month_version(account, jan).unwrap(), Some(3));
}

/// Reopening a PostgreSQL store applies no migration twice and keeps its rows; a store whose
/// migration differs from this build's is refused.
#[test]
fn postgres_reopening_applies_no_migration_twice() {
    let url = ob_store::testing::scratch_database();
    {
        let mut store = PgStore::open(&url).unwrap();
        setup(&mut store);
    }
    let store = PgStore::open(&url).unwrap();
    assert_eq!(store.schema_version().unwrap(), 7);
    assert_eq!(store.read().unwrap().counts().unwrap().accounts, 1);
    drop(store);
    let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    client.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1", &[]).unwrap();
    let refused = PgStore::open(&url).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("differs"), "{refused}");
}

/// Writers on separate connections append to audit chains without forks: each holds its chain's
/// head from its look at it until it commits, and writers on other chains do not wait for it.
#[test]
fn postgres_writers_on_many_connections_keep_one_audit_chain() {
    let url = ob_store::testing::scratch_database();
    PgStore::open(&url).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut store = PgStore::open(&url).unwrap();
                for i in 0..25 {
                    let mut w = store.write().unwrap();
                    // Half the writers on chain 0, half on chain 1.
                    let chain = t % 2;
                    let last = w.audit_last(chain).unwrap();
                    let prev_hash = last.as_ref().map_or([0; 32], |e| e.hash);
                    let seq = w.next_audit_seq().unwrap();
                    assert!(last.is_none_or(|l| l.seq < seq), "sequence numbers increase within a chain");
                    let mut hash = [0u8; 32];
                    hash[..8].copy_from_slice(&seq.to_be_bytes());
                    let detail = format!("{t}/{i}");
                    w.append_audit(&AuditRow {
                        seq,
                        chain,
                        at: 0,
                        kind: "test".into(),
                        subject_id: None,
                        org_id: None,
                        detail,
                        prev_hash,
                        hash,
                    })
                    .unwrap();
                    w.commit().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let store = PgStore::open(&url).unwrap();
    let events = store.read().unwrap().audit_after(0, 1_000).unwrap();
    assert_eq!(events.len(), 100);
    for chain in 0..2 {
        let mine: Vec<&AuditRow> = events.iter().filter(|e| e.chain == chain).collect();
        assert_eq!(mine.len(), 50);
        assert_eq!(mine[0].prev_hash, [0; 32]);
        for pair in mine.windows(2) {
            assert!(pair[1].seq > pair[0].seq);
            assert_eq!(pair[1].prev_hash, pair[0].hash, "each event links to the one before in its chain");
        }
    }
}

/// More rows than one COPY holds go in, in several, within one transaction.
#[test]
fn postgres_months_beyond_one_copy() {
    let mut store = scratch_postgres();
    let (account, subject) = setup(&mut store);
    let n = ob_store::postgres::COPY_ROWS_MAX as u32 + 5;
    let mut w = store.write().unwrap();
    for v in 1..=n {
        w.insert_month(&month_row(account, subject, "2024-01", v, 100, 1)).unwrap();
    }
    w.commit().unwrap();
    let r = store.read().unwrap();
    assert_eq!(r.counts().unwrap().account_months, u64::from(n));
    assert_eq!(r.month_version(account, YearMonth::parse("2024-01").unwrap()).unwrap(), Some(n));
}

#[test]
fn store_locations_parse() {
    assert_eq!(Location::parse("sqlite:a/b.sqlite"), Ok(Location::Sqlite("a/b.sqlite".into())));
    assert!(matches!(Location::parse("postgres://u@h/db"), Ok(Location::Postgres(_))));
    assert!(Location::parse("sqlite:").is_err());
    assert!(Location::parse("mysql://x").is_err());
    assert_eq!(Location::parse("postgres://u:secret@h/db").unwrap().display(), "postgres://u:***@h/db");
    let _ = (Backend::Sqlite, scratch(Backend::Sqlite));
}

/// Reading ahead gives each account's newest stored month (counting this transaction's rows),
/// and the consents of many people to one organization come in one read.
fn read_ahead_gives_newest_months_and_consents(store: &mut AnyStore) {
    let (account, subject) = setup(store);
    let mut w = store.write().unwrap();
    let org = w.org_by_code("F1").unwrap().unwrap().id;
    let terms = AccountVersionRow {
        account_id: account,
        version: 1,
        subject_id: subject,
        batch_id: None,
        recorded_at: 1,
        account_type: ob_model::AccountType::R1,
        opened_on: time::macros::date!(2024 - 01 - 01),
        currency: ob_model::Currency::CNY,
        credit_limit_minor: 1,
        periods: None,
        due_day: None,
        responsibility: ob_model::Responsibility::Individual,
        credit_line_id: None,
        deleted: false,
        contract: Default::default(),
    };
    w.insert_account_version(&terms).unwrap();
    let other = w.insert_account(org, "A-2", subject).unwrap();
    w.insert_account_version(&AccountVersionRow { account_id: other, ..terms.clone() }).unwrap();
    let newest = |w: &dyn Writer| {
        w.accounts_from_key(org, "A", 10).unwrap().into_iter().map(|a| a.newest_month).collect::<Vec<_>>()
    };
    assert_eq!(newest(w.as_ref()), vec![None, None]);
    w.insert_month(&month_row(account, subject, "2024-03", 1, 100, 5)).unwrap();
    w.insert_month(&month_row(account, subject, "2024-01", 1, 100, 5)).unwrap();
    assert_eq!(newest(w.as_ref()), vec![YearMonth::parse("2024-03"), None]);
    let consent = |subject_id| NewConsent {
        subject_id,
        org_id: org,
        scope: ob_model::ConsentScope::Report,
        purpose: None,
        granted_on: time::macros::date!(2024 - 01 - 01),
        expires_on: time::macros::date!(2029 - 01 - 01),
        revoked_on: None,
        evidence_sha256: [1; 32],
        consent_ref: None,
        batch_id: None,
        recorded_at: 1,
    };
    let second = w
        .insert_subject(&NewSubject {
            name_enc: vec![1],
            name_mac: [9; 32],
            birth_date: terms.opened_on,
            created_at: 0,
        })
        .unwrap();
    w.insert_consent(&consent(subject)).unwrap();
    w.insert_consent(&consent(second)).unwrap();
    w.insert_consent(&consent(second)).unwrap();
    // Another organization's consent from the same person is not this one's to read.
    let other = w.insert_org("F2", "Furnisher two", 0).unwrap();
    w.insert_consent(&NewConsent { org_id: other, ..consent(subject) }).unwrap();
    w.commit().unwrap();
    let r = store.read().unwrap();
    assert_eq!(r.accounts_from_key(org, "A", 10).unwrap()[0].newest_month, YearMonth::parse("2024-03"));
    let of = |subjects: &[SubjectId]| {
        let mut v: Vec<i64> =
            r.consents_of_subjects(org, subjects).unwrap().iter().map(|c| c.consent.subject_id.0).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(of(&[subject, second, SubjectId(999)]), vec![subject.0, second.0, second.0]);
    assert_eq!(of(&[]), Vec::<i64>::new());
}

/// A connection the server drops (a restart, a failover) fails the transaction it was in with a
/// retryable error; the store connects again for the next one, and what was committed is there.
#[test]
fn postgres_a_lost_connection_is_retryable_and_replaced() {
    let url = ob_store::testing::scratch_database();
    let mut store = PgStore::open(&url).unwrap();
    setup(&mut store);
    let mut admin = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap();
    let mut failures = 0;
    let accounts = loop {
        match store.read().and_then(|r| r.counts()) {
            Ok(c) => break c.accounts,
            Err(e) => {
                assert!(ob_store::postgres::is_retryable(&e), "{e}");
                failures += 1;
                assert!(failures < 3, "the store did not connect again");
            }
        }
    };
    assert_eq!(accounts, 1, "what was committed before is there");
}

/// Two transactions opening the same new person (two furnishers' batches at once): the second to
/// commit fails on the document's key, and the error says it may be retried; run again, it finds
/// the person on file.
#[test]
fn postgres_a_person_opened_twice_at_once_is_a_retryable_conflict() {
    let url = ob_store::testing::scratch_database();
    let (mut first, mut second) = (PgStore::open(&url).unwrap(), PgStore::open(&url).unwrap());
    let open_person = |w: &mut dyn Writer| {
        let subject = new_subject(w, 4, 0);
        w.insert_document(&document(subject, 4, ob_model::DocumentType::PrcResidentId))
    };
    let mut w = first.write().unwrap();
    open_person(&mut *w).unwrap();
    w.commit().unwrap();
    let mut w = second.write().unwrap();
    let failed = open_person(&mut *w).and_then(|()| w.commit()).unwrap_err();
    assert!(ob_store::postgres::is_retryable(&failed), "{failed}");
    // The server's detail quotes the key's value (the document's blind index): never shown.
    let mut shown = format!("{failed} {failed:?}");
    let mut source = std::error::Error::source(&failed);
    while let Some(s) = source {
        shown += &format!(" {s} {s:?}");
        source = s.source();
    }
    assert!(shown.contains("23505") && shown.contains("documents_pkey"), "{shown}");
    assert!(!shown.contains("0404040404"), "{shown}");
    let found = second.read().unwrap().subject_by_document(&[4; 32]).unwrap();
    assert!(found.is_some(), "run again, the person is on file");
}

/// Two bureaus that end batches at once both sign the audit chains' heads after their commits: the
/// second waits for the first's checkpoint row, then leaves it, and commits. (It failed on the
/// checkpoint's key before, after its batch was stored.)
#[test]
fn postgres_two_writers_signing_the_same_head_at_once_both_commit() {
    let url = ob_store::testing::scratch_database();
    let (mut first, mut second) = (PgStore::open(&url).unwrap(), PgStore::open(&url).unwrap());
    let checkpoint = CheckpointRow { seq: 1, at: 1, hash: [6; 32], public_key: [7; 32], signature: vec![1; 64] };
    let mut w = first.write().unwrap();
    assert!(w.insert_checkpoint(&checkpoint).unwrap());
    std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            let mut w = second.write().unwrap();
            let stored = w.insert_checkpoint(&CheckpointRow { at: 2, ..checkpoint.clone() }).unwrap();
            w.commit().unwrap();
            stored
        });
        // Whether the other writer's insert comes before this commit (it waits) or after, it
        // stores nothing and commits.
        std::thread::sleep(std::time::Duration::from_millis(100));
        w.commit().unwrap();
        assert!(!other.join().unwrap(), "the first writer's checkpoint stays");
    });
    assert_eq!(first.read().unwrap().audit_checkpoints().unwrap(), vec![checkpoint]);
}

/// A backend may read a person's whole file once their accounts are listed (PostgreSQL does, for
/// reports): the terms and months read after `accounts_of` are those read without it, at every
/// cut-off.
fn a_person_s_file_reads_the_same_after_listing_their_accounts(store: &mut AnyStore) {
    let (account, subject) = setup(store);
    let mut w = store.write().unwrap();
    for (month, version, at, balance) in [("2024-01", 1, 100, 5), ("2024-02", 1, 100, 6), ("2024-01", 2, 200, 7)] {
        w.insert_month(&month_row(account, subject, month, version, at, balance)).unwrap();
    }
    for (at, amount) in [(100, 1), (200, 2)] {
        w.insert_special(&SpecialRow {
            account_id: account,
            seq: 0,
            subject_id: subject,
            kind: ob_model::SpecialKind::EarlyPartial,
            on: time::macros::date!(2024 - 02 - 03),
            amount_minor: Some(amount),
            months_changed: None,
            batch_id: None,
            recorded_at: at,
        })
        .unwrap();
    }
    w.commit().unwrap();
    let (from, to) = (YearMonth::parse("2023-01").unwrap(), YearMonth::parse("2024-12").unwrap());
    let plain = store.read().unwrap();
    let file_at = |r: &dyn Reader, at: i64| {
        (
            r.months(account, from, to, at).unwrap(),
            r.account_version(account, at).unwrap(),
            r.specials_of(subject, account, at).unwrap(),
        )
    };
    let expected: Vec<_> = [99, 150, 200, i64::MAX].iter().map(|at| file_at(&*plain, *at)).collect();
    assert_eq!(expected[1].2.len(), 1, "the special recorded by then");
    assert_eq!(expected[3].2.iter().map(|x| x.amount_minor).collect::<Vec<_>>(), vec![Some(1), Some(2)]);
    assert_eq!(expected[3].2.iter().map(|x| x.seq).collect::<Vec<_>>(), vec![1, 2], "numbered by the store");
    drop(plain);
    let r = store.read().unwrap();
    assert_eq!(r.accounts_of(subject).unwrap().len(), 1);
    let after: Vec<_> = [99, 150, 200, i64::MAX].iter().map(|at| file_at(&*r, *at)).collect();
    assert_eq!(after, expected);
    assert_eq!(r.specials_of(SubjectId(subject.0 + 1), account, i64::MAX).unwrap(), vec![], "another person's");
    let one_month = r.months(account, to.plus(-10), to.plus(-10), i64::MAX).unwrap();
    assert_eq!(one_month.iter().map(|m| m.balance_minor).collect::<Vec<_>>(), vec![6], "2024-02 alone");
}

/// Every read a report makes of a person's file answers the same after
/// [`Reader::prefetch_file`] (a backend may answer from what it read ahead), at every cutoff, and
/// another person's reads in the same reader are their own.
fn a_prefetched_file_reads_as_the_plain_reads(store: &mut AnyStore) {
    use ob_model::*;
    use time::macros::date;
    let (account, subject) = setup(store);
    let mut w = store.write().unwrap();
    let org = w.org_by_code("F1").unwrap().unwrap().id;
    let lender = w.insert_org("L1", "Lender one", 0).unwrap();
    let other = w
        .insert_subject(&NewSubject {
            name_enc: vec![4],
            name_mac: [8; 32],
            birth_date: date!(1980 - 02 - 03),
            created_at: 0,
        })
        .unwrap();
    let other_account = w.insert_account(org, "B-1", other).unwrap();
    for (who, number) in [(subject, 1), (subject, 2), (other, 3)] {
        let doc_type = if number == 2 { DocumentType::Passport } else { DocumentType::PrcResidentId };
        w.insert_document(&DocumentRow {
            number_mac: [number; 32],
            subject_id: who,
            doc_type,
            number_enc: vec![number],
        })
        .unwrap();
    }
    for (a, who, version, at) in
        [(account, subject, 1, 100), (account, subject, 2, 200), (other_account, other, 1, 100)]
    {
        w.insert_account_version(&AccountVersionRow { recorded_at: at, ..terms(a, who, version) }).unwrap();
    }
    for (a, who, month, version, at, balance) in [
        (account, subject, "2024-01", 1, 100, 5),
        (account, subject, "2024-02", 1, 150, 6),
        (account, subject, "2024-01", 2, 200, 7),
        (other_account, other, "2024-01", 1, 100, 9),
    ] {
        w.insert_month(&month_row(a, who, month, version, at, balance)).unwrap();
    }
    w.insert_special(&SpecialRow {
        account_id: account,
        seq: 0,
        subject_id: subject,
        kind: SpecialKind::EarlyPartial,
        on: date!(2024 - 02 - 03),
        amount_minor: Some(3),
        months_changed: None,
        batch_id: None,
        recorded_at: 150,
    })
    .unwrap();
    for (version, at, limit) in [(1, 100, 10), (2, 200, 20)] {
        w.insert_agreement(&AgreementRow {
            org_id: org,
            agreement_key: "G-1".into(),
            version,
            subject_id: subject,
            batch_id: None,
            recorded_at: at,
            kind: AgreementKind::RevolvingLoan,
            currency: Currency::CNY,
            limit_minor: limit,
            effective_on: date!(2023 - 01 - 01),
            expires_on: None,
            ended: false,
            responsibility: Responsibility::Individual,
        })
        .unwrap();
    }
    let mut inquiries = Vec::new();
    for (who, by, at) in
        [(subject, Some(lender), 120), (subject, None, 120), (subject, Some(lender), 180), (other, Some(org), 130)]
    {
        let q = NewInquiry {
            subject_id: who,
            org_id: by,
            reason: QueryReason::LoanApproval,
            consent_id: None,
            at,
            hard: true,
        };
        inquiries.push(w.insert_inquiry(&q).unwrap());
    }
    let dispute = w
        .insert_dispute(&NewDispute {
            subject_id: subject,
            item: DisputeItem::Inquiry(inquiries[0]),
            org_id: Some(lender),
            dispute_type: DisputeType::NotMine,
            filed_at: 130,
            due_on: date!(2024 - 02 - 20),
        })
        .unwrap();
    let quiet = w
        .insert_dispute(&NewDispute {
            subject_id: subject,
            item: DisputeItem::Identity,
            org_id: None,
            dispute_type: DisputeType::NotMine,
            filed_at: 140,
            due_on: date!(2024 - 02 - 20),
        })
        .unwrap();
    for (state, at) in [("open", 130), ("corrected", 160)] {
        let state = DisputeState::parse(state).unwrap();
        w.insert_dispute_event(&DisputeEventRow { dispute_id: dispute, subject_id: subject, at, state, note: None })
            .unwrap();
    }
    w.insert_statement(&StatementRow {
        id: StatementId(0),
        subject_id: subject,
        account_id: account,
        month: YearMonth::parse("2024-01"),
        statement_type: StatementType::AnnualFee,
        text_enc: vec![1, 2],
        added_at: 170,
        withdrawn_at: None,
    })
    .unwrap();
    let flag = FlagRow {
        id: FlagId(0),
        subject_id: subject,
        kind: FlagKind::FraudAlert,
        placed_at: 110,
        expires_on: None,
        lifted_at: None,
    };
    w.insert_flag(&flag).unwrap();
    w.insert_flag(&FlagRow { subject_id: other, ..flag }).unwrap();
    w.commit().unwrap();

    let reads = |r: &dyn Reader, who: SubjectId, at: i64| {
        let accounts = r.accounts_of(who).unwrap();
        let histories: Vec<_> = accounts
            .iter()
            .map(|a| {
                (
                    r.account_version(a.id, at).unwrap(),
                    r.months(a.id, YearMonth::MIN, YearMonth::MAX, at).unwrap(),
                    r.specials_of(who, a.id, at).unwrap(),
                    r.org(a.org_id).unwrap(),
                )
            })
            .collect();
        let disputes = r.disputes_of(who).unwrap();
        let events: Vec<_> = disputes.iter().map(|d| r.dispute_events(d.id).unwrap()).collect();
        let inquiries = r.inquiries_of(who, 0, at).unwrap();
        let by: Vec<_> = inquiries.iter().map(|q| q.inquiry.org_id.map(|o| r.org(o).unwrap())).collect();
        format!(
            "{:?}",
            (
                r.subject(who).unwrap(),
                r.documents_of(who).unwrap(),
                accounts,
                histories,
                r.agreements_of(who, at).unwrap(),
                (inquiries, by, r.inquiries_of(who, 121, 180).unwrap()),
                (disputes, events),
                r.statements_of(who).unwrap(),
                r.flags_of(who).unwrap(),
                r.latest_score_version().unwrap(),
            )
        )
    };
    let cutoffs = [99, 120, 150, 199, 200, i64::MAX];
    let plain = store.read().unwrap();
    let expected: Vec<String> = cutoffs.iter().map(|at| reads(&*plain, subject, *at)).collect();
    let expected_other: Vec<String> = cutoffs.iter().map(|at| reads(&*plain, other, *at)).collect();
    assert_ne!(expected[0], expected[5], "the cutoffs see different files");
    assert!(expected[5].contains("Corrected") && expected[5].contains("L1"), "{}", expected[5]);
    let _ = quiet;
    drop(plain);
    let r = store.read().unwrap();
    r.prefetch_file(subject).unwrap();
    for (i, at) in cutoffs.iter().enumerate() {
        assert_eq!(reads(&*r, subject, *at), expected[i], "cutoff {at}");
        assert_eq!(reads(&*r, other, *at), expected_other[i], "another person, cutoff {at}");
    }
    drop(r);
    let r = store.read().unwrap();
    r.prefetch_file(other).unwrap();
    assert_eq!(reads(&*r, subject, i64::MAX), expected[5], "prefetched another person's");
}

/// `subjects_by_documents` and `months_of_accounts` answer as `subject_by_document` and `months`
/// asked one at a time: rows stored before, rows this writer has not sent yet, a deleted month,
/// several versions, an unknown document or key, an account with no month and one asked twice;
/// and `accounts_by_keys`, `notices_of_accounts` and `month_versions_of` likewise.
fn batched_reads_answer_as_the_single_ones(store: &mut AnyStore) {
    let (account, subject) = setup(store);
    let mut w = store.write().unwrap();
    let org = w.org_by_code("F1").unwrap().unwrap().id;
    w.insert_document(&document(subject, 1, ob_model::DocumentType::PrcResidentId)).unwrap();
    let quiet = w.insert_account(org, "A-2", subject).unwrap();
    for (a, version) in [(account, 1), (quiet, 1), (account, 2)] {
        w.insert_account_version(&terms(a, subject, version)).unwrap();
    }
    w.insert_month(&month_row(account, subject, "2024-01", 1, 100, 5)).unwrap();
    w.insert_month(&month_row(account, subject, "2024-02", 1, 100, 6)).unwrap();
    w.insert_month(&MonthRow { deleted: true, ..month_row(account, subject, "2024-02", 2, 110, 6) }).unwrap();
    w.insert_notice(&notice(org, Some((account, subject)), "A-1", "2024-01-05")).unwrap();
    w.insert_notice(&notice(org, None, "C-1", "2024-02-05")).unwrap();
    w.insert_notice(&notice(org, None, "Z-9", "2024-02-06")).unwrap();
    w.commit().unwrap();

    let mut w = store.write().unwrap();
    let newcomer = new_subject(&mut *w, 5, 1);
    w.insert_document(&document(newcomer, 2, ob_model::DocumentType::Passport)).unwrap();
    let fresh = w.insert_account(org, "C-1", newcomer).unwrap();
    w.insert_account_version(&terms(fresh, newcomer, 1)).unwrap();
    w.insert_account_version(&terms(quiet, subject, 2)).unwrap();
    w.insert_month(&month_row(account, subject, "2024-01", 2, 200, 7)).unwrap();
    w.insert_month(&month_row(account, subject, "2024-03", 1, 200, 8)).unwrap();
    w.insert_month(&month_row(fresh, newcomer, "2024-03", 1, 200, 9)).unwrap();
    w.insert_notice(&notice(org, Some((account, subject)), "A-1", "2024-03-05")).unwrap();
    w.insert_notice(&notice(org, None, "C-1", "2024-03-06")).unwrap();
    w.insert_notice(&notice(org, Some((quiet, subject)), "A-2", "2024-03-07")).unwrap();
    let check = |r: &dyn Reader| {
        let macs = [[2; 32], [9; 32], [1; 32]];
        let mut batched = r.subjects_by_documents(&macs).unwrap();
        batched.sort_by_key(|(mac, _)| *mac);
        let mut single: Vec<_> =
            macs.iter().filter_map(|mac| r.subject_by_document(mac).unwrap().map(|row| (*mac, row))).collect();
        single.sort_by_key(|(mac, _)| *mac);
        assert_eq!(batched.len(), 2, "{batched:?}");
        assert_eq!(batched, single);
        let key = |m: &MonthRow| (m.account_id, m.month);
        let mut batched = r.months_of_accounts(&[fresh, account, quiet, account]).unwrap();
        batched.sort_by_key(key);
        let mut single: Vec<MonthRow> = [fresh, account, quiet]
            .iter()
            .flat_map(|a| r.months(*a, YearMonth::MIN, YearMonth::MAX, i64::MAX).unwrap())
            .collect();
        single.sort_by_key(key);
        assert_eq!(batched.len(), 4, "{batched:?}");
        assert_eq!(batched, single);
        let keys = ["C-1", "Z-9", "A-2", "A-1", "A-1"];
        let mut batched = r.accounts_by_keys(org, &keys).unwrap();
        batched.sort_by_key(|a| a.account.id);
        let mut single: Vec<_> =
            ["C-1", "A-2", "A-1"].iter().flat_map(|k| r.accounts_from_key(org, k, 1).unwrap()).collect();
        single.sort_by_key(|a| a.account.id);
        assert_eq!(batched.len(), 3, "{batched:?}");
        assert_eq!(format!("{batched:?}"), format!("{single:?}"));
        let asked = [(account, "A-1"), (fresh, "C-1"), (account, "A-1")];
        let day = |n: &NoticeRow| (n.notified_on, n.account_key.clone());
        let mut batched = r.notices_of_accounts(org, &asked).unwrap();
        batched.sort_by_key(day);
        let mut single: Vec<NoticeRow> = asked[..2]
            .iter()
            .flat_map(|(a, k)| [r.notices_of(*a).unwrap(), r.pending_notices(org, k).unwrap()].concat())
            .collect();
        single.sort_by_key(day);
        assert_eq!(batched.len(), 4, "{batched:?}");
        assert_eq!(batched, single);
        let months = ["2024-01", "2024-02", "2024-03", "2024-04"].map(|m| YearMonth::parse(m).unwrap());
        let asked: Vec<(AccountId, YearMonth)> =
            [account, fresh, quiet, account].iter().flat_map(|a| months.map(|m| (*a, m))).collect();
        let mut batched = r.month_versions_of(&asked).unwrap();
        batched.sort();
        let mut single: Vec<_> =
            asked[..12].iter().filter_map(|(a, m)| r.month_version(*a, *m).unwrap().map(|v| (*a, *m, v))).collect();
        single.sort();
        assert_eq!(batched.len(), 4, "{batched:?}");
        assert_eq!(batched, single);
    };
    check(&*w);
    w.commit().unwrap();
    check(&*store.read().unwrap());
}

/// Terms of an account, version `version`, recorded at `100 * version`.
fn terms(account: AccountId, subject: SubjectId, version: u32) -> AccountVersionRow {
    use ob_model::*;
    AccountVersionRow {
        account_id: account,
        version,
        subject_id: subject,
        batch_id: None,
        recorded_at: 100 * i64::from(version),
        account_type: AccountType::R2,
        opened_on: time::macros::date!(2023 - 05 - 06),
        currency: Currency::CNY,
        credit_limit_minor: 1_000 * i64::from(version),
        periods: None,
        due_day: None,
        responsibility: Responsibility::Individual,
        credit_line_id: None,
        deleted: false,
        contract: Default::default(),
    }
}

/// A notice of `org` on `day`, for an account (with its person) or, before its first report, for
/// a key alone.
fn notice(org: OrgId, account: Option<(AccountId, SubjectId)>, key: &str, day: &str) -> NoticeRow {
    NoticeRow {
        account_id: account.map(|(a, _)| a),
        subject_id: account.map(|(_, s)| s),
        org_id: org,
        account_key: key.into(),
        notified_on: time::Date::parse(day, &time::format_description::well_known::Iso8601::DATE).unwrap(),
        channel: ob_model::NoticeChannel::Sms,
        batch_id: None,
        recorded_at: 100,
    }
}

/// A new person whose name's index is `[mac; 32]`, created at `created_at`.
fn new_subject(w: &mut dyn Writer, mac: u8, created_at: i64) -> SubjectId {
    let birth_date = time::macros::date!(1990 - 01 - 01);
    w.insert_subject(&NewSubject { name_enc: vec![mac], name_mac: [mac; 32], birth_date, created_at }).unwrap()
}

/// A document of `subject` whose keyed hash is `[mac; 32]`.
fn document(subject: SubjectId, mac: u8, doc_type: ob_model::DocumentType) -> DocumentRow {
    DocumentRow { number_mac: [mac; 32], subject_id: subject, doc_type, number_enc: vec![mac] }
}

/// An account whose row was sent (a backend sending rows in bulk fills a batch with it) while its
/// first terms still wait is found by key, as one whose rows were all sent or all wait.
fn an_account_sent_apart_from_its_terms_is_found_by_key(store: &mut AnyStore) {
    let (account, subject) = setup(store);
    let mut w = store.write().unwrap();
    let org = w.org_by_code("F1").unwrap().unwrap().id;
    // One row short of PostgreSQL's bulk: the account's row fills it, its terms wait alone.
    let rows_max = u32::try_from(ob_store::postgres::COPY_ROWS_MAX).unwrap();
    for version in 1..rows_max {
        w.insert_month(&month_row(account, subject, "2024-01", version, 100, 5)).unwrap();
    }
    let split = w.insert_account(org, "S-1", subject).unwrap();
    w.insert_account_version(&terms(split, subject, 1)).unwrap();
    let found = w.accounts_by_keys(org, &["S-1"]).unwrap();
    assert_eq!(found.iter().map(|a| a.account.id).collect::<Vec<_>>(), [split]);
    assert_eq!(found[0].terms, terms(split, subject, 1));
}
