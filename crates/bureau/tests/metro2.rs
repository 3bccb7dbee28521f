//! Metro 2 files through the ingest pipeline: mapped onto the model, every error located, and
//! giving the same reports as their canonical twins.

#[path = "../../formats/tests/metro2_support/mod.rs"]
mod support;

use ob_bureau::Bureau;
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::{IngestOptions, IngestSummary};
use ob_bureau::report::{Report, ReportRequest, Requester};
use ob_formats::metro2::{BaseSegment, DataRecord, HeaderRecord, L1Segment, Writer, WriterOptions};
use ob_model::policy::Policy;
use ob_model::{DocumentNumber, DocumentType};
use std::path::Path;
use std::sync::Arc;
use time::macros::{date, datetime};

fn bureau() -> (Bureau<Box<dyn ob_store::Store>>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(datetime!(2024-06-05 02:00 UTC)));
    let b = Bureau::new(ob_store::testing::scratch_from_env(), Keys::from_master(&[1; 32]), clock.clone()).unwrap();
    (b.with_policy(Policy::us()), clock)
}

fn base(month_end: time::Date, status: &str, balance: i64, past_due: i64) -> BaseSegment {
    BaseSegment {
        account_status: status.into(),
        current_balance_dollars: balance,
        amount_past_due_dollars: past_due,
        date_account_information: Some(month_end),
        date_last_payment: Some(date!(2024 - 04 - 15)),
        date_first_delinquency: (past_due > 0).then_some(date!(2024 - 05 - 20)),
        payment_history_profile: if past_due > 0 {
            "100000000000000000000000".into()
        } else {
            "000000000000000000000000".into()
        },
        time_stamp: Some(month_end.with_hms(23, 0, 0).unwrap()),
        ..support::base(1)
    }
}

fn write(path: &Path, records: &[DataRecord]) {
    let file = std::fs::File::create(path).unwrap();
    let day = records[0].base.date_account_information.unwrap();
    let header = HeaderRecord { activity_date: Some(day), date_created: Some(day), ..support::header() };
    let mut w = Writer::new(file, WriterOptions::default(), &header).unwrap();
    for r in records {
        w.write(r).unwrap();
    }
    w.finish().unwrap();
}

fn record(base: BaseSegment) -> DataRecord {
    DataRecord { base, ..DataRecord::default() }
}

fn ingest(
    b: &mut Bureau<Box<dyn ob_store::Store>>,
    clock: &ManualClock,
    path: &Path,
    at: time::OffsetDateTime,
) -> (IngestSummary, Vec<serde_json::Value>) {
    clock.set(at);
    let mut feedback = Vec::new();
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max: None,
        prefetch: None,
    };
    let s = b.ingest_path(path, &options, &mut feedback, &mut |_| {}).unwrap();
    let lines = String::from_utf8_lossy(&feedback).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (s, lines)
}

fn report(b: &mut Bureau<Box<dyn ob_store::Store>>) -> Report {
    let ssn = format!("{:09}", support::ssn(1).0);
    let document = DocumentNumber::parse(DocumentType::UsSsn, &ssn).unwrap();
    b.produce_report(&ReportRequest { document, as_of: None, requester: Requester::Person }).unwrap()
}

#[test]
fn metro2_and_its_canonical_twin_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let (may, june) = (dir.path().join("may.m2"), dir.path().join("june.m2"));
    write(&may, &[record(base(date!(2024 - 05 - 31), "11", 1_200, 0))]);
    let mut bad = base(date!(2024 - 06 - 30), "XX", 10, 0);
    bad.consumer_account_number = "ACCT-BAD".into();
    write(&june, &[record(base(date!(2024 - 06 - 30), "71", 1_300, 35)), record(bad)]);

    let (mut m2, m2_clock) = bureau();
    let (s, feedback) = ingest(&mut m2, &m2_clock, &may, datetime!(2024-06-05 02:00 UTC));
    assert_eq!((s.furnisher.as_str(), s.accepted, s.rejected), ("OBTEST0001", 1, 0));
    let (s, feedback_june) = ingest(&mut m2, &m2_clock, &june, datetime!(2024-07-05 02:00 UTC));
    assert!(feedback.is_empty());
    assert_eq!((s.accepted, s.rejected), (1, 1));
    assert_eq!(feedback_june[0]["line"], 3, "data record 3 of the file (after the header)");
    assert!(feedback_june[0]["code"].as_str().unwrap().starts_with("M2_"), "{}", feedback_june[0]);
    assert!(feedback_june[0]["field"].as_str().unwrap().contains("accountStatus"), "{}", feedback_june[0]);

    let ssn = format!("{:09}", support::ssn(1).0);
    let subject =
        format!(r#"{{"name":"JANE Q DOE","birth_date":"1980-05-17","document":{{"type":"us_ssn","number":"{ssn}"}}}}"#);
    let header = r#"{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"OBTEST0001","furnisher_name":"OPENBUREAU TEST LENDER"}"#;
    let account = format!(
        r#"{{"kind":"account","account_key":"ACCT000000000001","subject":{subject},"account_type":"R2","opened_on":"2019-03-15","currency":"USD","credit_limit":500000,"terms":{{"frequency":"03"}}}}"#
    );
    let may_twin = format!(
        "{header}\n{account}\n{}\n",
        r#"{"kind":"month","account_key":"ACCT000000000001","month":"2024-05","settled_on":"2024-05-31","balance":120000,"amount_due":3500,"amount_paid":3500,"status":"N","last_payment_on":"2024-04-15","credit_limit":500000}"#
    );
    let june_twin = format!(
        "{header}\n{account}\n{}\n",
        r#"{"kind":"month","account_key":"ACCT000000000001","month":"2024-06","settled_on":"2024-06-30","balance":130000,"amount_due":3500,"amount_paid":3500,"past_due_amount":3500,"days_past_due":30,"status":"1","last_payment_on":"2024-04-15","credit_limit":500000}"#
    );
    let (mut canonical, c_clock) = bureau();
    for (text, at) in [(may_twin, datetime!(2024-06-05 02:00 UTC)), (june_twin, datetime!(2024-07-05 02:00 UTC))] {
        let path = dir.path().join("twin.jsonl");
        std::fs::write(&path, text).unwrap();
        let (s, f) = ingest(&mut canonical, &c_clock, &path, at);
        assert_eq!(s.rejected, 0, "{f:?}");
    }
    let (a, b) = (report(&mut m2), report(&mut canonical));
    assert_eq!(a.account_groups, b.account_groups);
    assert_eq!(a.summary, b.summary);
    assert_eq!(a.identity.documents, b.identity.documents);
    let history: Vec<&str> =
        a.account_groups[0].accounts[0].history.iter().rev().take(2).map(|h| h.status.as_str()).collect();
    assert_eq!(history, vec!["1", "N"]);
    assert_eq!(a.account_groups[0].accounts[0].latest.as_ref().unwrap().balance, 130_000, "dollars become cents");
}

#[test]
fn deletions_and_account_number_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (may, june, july) = (dir.path().join("may.m2"), dir.path().join("june.m2"), dir.path().join("july.m2"));
    write(&may, &[record(base(date!(2024 - 05 - 31), "11", 1_200, 0))]);
    let mut moved = record(base(date!(2024 - 06 - 30), "11", 1_100, 0));
    moved.l1 = Some(L1Segment {
        change_indicator: 1,
        new_consumer_account_number: "NEWACCT0001".into(),
        ..L1Segment::default()
    });
    write(&june, &[moved]);
    let mut gone = base(date!(2024 - 07 - 31), "DA", 0, 0);
    gone.consumer_account_number = "NEWACCT0001".into();
    write(&july, &[record(gone)]);
    let (mut b, clock) = bureau();
    ingest(&mut b, &clock, &may, datetime!(2024-06-05 02:00 UTC));
    let (s, f) = ingest(&mut b, &clock, &june, datetime!(2024-07-05 02:00 UTC));
    assert_eq!((s.accepted, s.rejected), (1, 0), "{f:?}");
    let history = report(&mut b).account_groups[0].accounts[0].history.len();
    assert_eq!(history, 60);
    assert_eq!(report(&mut b).own_accounts().count(), 1, "one account, its history kept under the new number");
    let (s, f) = ingest(&mut b, &clock, &july, datetime!(2024-08-05 02:00 UTC));
    assert_eq!((s.accepted, s.rejected), (1, 0), "{f:?}");
    assert!(report(&mut b).account_groups.is_empty(), "DA deletes the account");
}

#[test]
fn a_file_with_a_bad_trailer_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.m2");
    write(&path, &[record(base(date!(2024 - 05 - 31), "11", 1_200, 0))]);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes.truncate(n - 426);
    std::fs::write(&path, bytes).unwrap();
    let (mut b, _) = bureau();
    let result = b.ingest_path(
        &path,
        &IngestOptions {
            register_unknown_furnisher: true,
            expected_furnisher: None,
            keep_feedback: false,
            cached_max: None,
            prefetch: None,
        },
        &mut Vec::new(),
        &mut |_| {},
    );
    assert!(
        matches!(result, Err(ob_bureau::BureauError::Refused { refusal: ob_bureau::Refusal::FileInvalid, .. })),
        "{result:?}"
    );
}

#[test]
fn a_data_record_is_stored_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let (may, june, july) = (dir.path().join("may.m2"), dir.path().join("june.m2"), dir.path().join("july.m2"));
    write(&may, &[record(base(date!(2024 - 05 - 31), "11", 1_200, 0))]);
    // June's month, then the same account again under a new number (L1) with a higher limit,
    // its month June again: the second record's month is a duplicate, so neither the new number
    // nor the new limit may be kept.
    let mut moved = record(base(date!(2024 - 06 - 30), "11", 1_100, 0));
    moved.base.credit_limit_dollars = 9_000;
    moved.l1 = Some(L1Segment {
        change_indicator: 1,
        new_consumer_account_number: "NEWACCT0001".into(),
        ..L1Segment::default()
    });
    write(&june, &[record(base(date!(2024 - 06 - 30), "11", 1_100, 0)), moved]);
    write(&july, &[record(base(date!(2024 - 07 - 31), "11", 1_000, 0))]);
    let (mut b, clock) = bureau();
    ingest(&mut b, &clock, &may, datetime!(2024-06-05 02:00 UTC));
    let (s, f) = ingest(&mut b, &clock, &june, datetime!(2024-07-05 02:00 UTC));
    assert_eq!((s.accepted, s.rejected), (1, 1), "{f:?}");
    assert_eq!((f[0]["line"].as_u64(), f[0]["code"].as_str()), (Some(3), Some("MONTH_DUPLICATE")), "{f:?}");
    let account = report(&mut b).own_accounts().next().unwrap().clone();
    assert_eq!(account.credit_limit, 500_000, "the rejected record's limit is not kept");
    // The account still answers to its old number: July's record under it is its next month.
    let (s, f) = ingest(&mut b, &clock, &july, datetime!(2024-08-05 02:00 UTC));
    assert_eq!((s.accepted, s.rejected), (1, 0), "{f:?}");
    let r = report(&mut b);
    assert_eq!(r.own_accounts().count(), 1, "no second account under the old number");
    let latest = r.own_accounts().next().unwrap().latest.clone().unwrap();
    assert_eq!(latest.balance, 100_000);
}

#[test]
fn a_new_account_whose_month_is_rejected_leaves_no_account_and_no_person() {
    let dir = tempfile::tempdir().unwrap();
    let june = dir.path().join("june.m2");
    // A person and an account not on file; the month uses 180 % of the limit.
    let mut over = base(date!(2024 - 06 - 30), "11", 9_000, 0);
    over.consumer_account_number = "ACCT-OVER".into();
    over.social_security_number = support::ssn(2);
    write(&june, &[record(base(date!(2024 - 06 - 30), "11", 1_100, 0)), record(over)]);
    let (mut b, clock) = bureau();
    let (s, f) = ingest(&mut b, &clock, &june, datetime!(2024-07-05 02:00 UTC));
    assert_eq!((s.accepted, s.rejected), (1, 1), "{f:?}");
    assert_eq!((f[0]["line"].as_u64(), f[0]["code"].as_str()), (Some(3), Some("USED_OVER_LIMIT")), "{f:?}");
    let counts = b.store().read().unwrap().counts().unwrap();
    assert_eq!((counts.subjects, counts.accounts, counts.account_months), (1, 1, 1), "the first record's only");
}
