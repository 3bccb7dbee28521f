//! Benchmarks of the hot paths: ingesting canonical records into the embedded store, and
//! assembling reports from it.
//!
//! Run: `cargo bench -p ob-bureau --bench bureau`. Figures go to docs/benchmarks.md.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ob_bureau::Bureau;
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::IngestOptions;
use ob_bureau::report::{Copy, ReportContext, ReportRequest, Requester, assemble};
use ob_formats::jsonl::{Header, Writer};
use ob_model::records::{AccountRecord, ConsentRecord, Identity, MonthRecord, NoticeRecord, Record, Terms};
use ob_model::{
    AccountType, ConsentScope, Currency, DocumentNumber, DocumentType, NoticeChannel, QueryReason, RepaymentStatus,
    Responsibility, YearMonth,
};
use ob_store::sqlite::SqliteStore;
use ob_store::{Store, SubjectId};
use std::sync::Arc;
use time::macros::{date, datetime};

/// People in the benchmark file; each has one credit line reported for `MONTHS` months.
const PEOPLE: u32 = 10_000;
const MONTHS: i32 = 24;

fn prc_id(i: u32) -> DocumentNumber {
    let first17 = format!("110105{}{:04}{:03}", 1970 + (i % 30), 101 + (i / 1000 % 12) * 100 + i % 28, i % 1000);
    let check = ob_model::identity::prc_check_char(first17.as_bytes()).expect("17 digits");
    DocumentNumber::parse(DocumentType::PrcResidentId, &format!("{first17}{check}")).expect("valid by construction")
}

fn identity(i: u32) -> Identity {
    let document = prc_id(i);
    Identity { name: format!("测试{i}"), birth_date: document.prc_birth_date().expect("PRC id"), document }
}

/// A canonical file: for each person a consent, an account, and `MONTHS` months.
fn canonical_file() -> (Vec<u8>, u64) {
    let mut w = Writer::new(Vec::new(), &Header::new("BENCH", None, None)).expect("in memory");
    let first = YearMonth::parse("2023-01").expect("constant");
    let mut months = 0;
    for i in 0..PEOPLE {
        let subject = identity(i);
        let consent = ConsentRecord {
            subject: subject.clone(),
            scope: ConsentScope::Report,
            purpose: None,
            granted_on: date!(2022 - 12 - 01),
            expires_on: date!(2030 - 01 - 01),
            evidence_sha256: [i as u8; 32],
            consent_ref: None,
        };
        w.write(&Record::Consent(consent)).expect("in memory");
        let account = AccountRecord {
            account_key: format!("ACC{i:08}"),
            subject,
            account_type: AccountType::R1,
            opened_on: date!(2022 - 12 - 15),
            currency: Currency::CNY,
            credit_limit_minor: 1_000_000,
            terms: Terms { periods: None, due_day: Some(9), ..Terms::default() },
            responsibility: Responsibility::Individual,
            credit_line_key: None,
        };
        w.write(&Record::Account(account)).expect("in memory");
        let mut late_before = false;
        for m in 0..MONTHS {
            let month = first.plus(m);
            let balance = i64::from((i * 7 + m as u32) % 900_000);
            let late = (i + m as u32).is_multiple_of(23);
            if late && !late_before {
                // The person is told before each new late run is reported (the PRC rule).
                let notice = NoticeRecord {
                    account_key: format!("ACC{i:08}"),
                    notified_on: month.first_day(),
                    channel: NoticeChannel::Sms,
                };
                w.write(&Record::Notice(notice)).expect("in memory");
            }
            late_before = late;
            w.write(&Record::Month(MonthRecord {
                account_key: format!("ACC{i:08}"),
                month,
                settled_on: month.last_day(),
                balance_minor: balance,
                used_minor: balance,
                due_minor: balance / 10,
                paid_minor: balance / 10,
                past_due_minor: if late { 1 + balance / 10 } else { 0 },
                days_past_due: if late { 21 } else { 0 },
                status: if late { RepaymentStatus::Overdue1 } else { RepaymentStatus::Normal },
                class5: None,
                last_payment_on: Some(month.day(9)),
                closed_on: None,
                credit_limit_minor: None,
                detail: Default::default(),
            }))
            .expect("in memory");
            months += 1;
        }
    }
    (w.finish().expect("in memory"), months)
}

fn bureau(dir: &std::path::Path) -> Bureau<SqliteStore> {
    let clock = Arc::new(ManualClock::new(datetime!(2025-02-05 02:00 UTC)));
    let store = SqliteStore::open(&dir.join("bench.sqlite")).expect("store");
    Bureau::new(store, Keys::from_master(&[5; 32]), clock).expect("bureau")
}

fn ingest(b: &mut Bureau<SqliteStore>, file: &[u8]) {
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max: None,
        prefetch: None,
    };
    let digest = [9; 32];
    let s = b.ingest_jsonl(file, digest, &options, &mut std::io::sink(), &mut |_| {}).expect("ingest");
    assert_eq!(s.rejected, 0);
}

fn bench_ingest(c: &mut Criterion) {
    let (file, months) = canonical_file();
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.throughput(Throughput::Elements(months));
    g.bench_function("canonical_jsonl_account_months_into_sqlite", |bench| {
        bench.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let b = bureau(dir.path());
                (dir, b)
            },
            |(dir, mut b)| {
                ingest(&mut b, &file);
                (dir, b)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// The same people as a PBOC-style file: each month travels in a 210 record with its account.
/// Consents have no place in the format, so this benchmark runs under a policy that does not
/// require them (the US one); notices are not needed there either.
fn pboc_file(canonical: &[u8], dir: &std::path::Path) -> (std::path::PathBuf, u64) {
    let mut reader = ob_formats::jsonl::Reader::new(canonical).expect("canonical");
    let (mut records, mut accounts) = (Vec::new(), std::collections::HashMap::new());
    while let Some(e) = reader.next_entry() {
        match e.expect("in memory").outcome.expect("valid") {
            Record::Account(a) => {
                accounts.insert(a.account_key.clone(), a);
            }
            Record::Month(m) => {
                records.push(Record::Account(accounts[&m.account_key].clone()));
                records.push(Record::Month(m));
            }
            _ => {}
        }
    }
    let institution = "BENCH000000000";
    let converted = ob_formats::pboc::to_model::from_model(&records, institution);
    let created = datetime!(2025-02-05 02:00);
    let header = ob_formats::pboc::Header {
        record_type: ob_formats::pboc::RecordType::Account,
        institution: institution.into(),
        created,
        count: 0,
    };
    let path = dir.join("bench.pboc.txt");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("file"));
    ob_formats::pboc::write_file(file, header, &converted.records).expect("write");
    (path, converted.records.len() as u64)
}

fn bench_ingest_pboc(c: &mut Criterion) {
    let (canonical, _) = canonical_file();
    let files = tempfile::tempdir().expect("tempdir");
    let (path, records) = pboc_file(&canonical, files.path());
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.throughput(Throughput::Elements(records));
    g.bench_function("pboc_style_210_records_into_sqlite", |bench| {
        bench.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let b = bureau(dir.path()).with_policy(ob_model::policy::Policy::us());
                (dir, b)
            },
            |(dir, mut b)| {
                let options = IngestOptions {
                    register_unknown_furnisher: true,
                    expected_furnisher: None,
                    keep_feedback: false,
                    cached_max: None,
                    prefetch: None,
                };
                let s = b.ingest_path(&path, &options, &mut std::io::sink(), &mut |_| {}).expect("ingest");
                assert_eq!(s.rejected, 0);
                (dir, b)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn bench_reports(c: &mut Criterion) {
    let (file, _) = canonical_file();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = bureau(dir.path());
    ingest(&mut b, &file);
    let ctx = ReportContext {
        report_id: "BENCH".into(),
        produced_at: datetime!(2025-02-05 03:00 UTC),
        as_of: date!(2025 - 02 - 05),
        copy: Copy::Person,
        reason: QueryReason::SelfQuery,
        institution: None,
        querying_org: None,
    };
    let mut g = c.benchmark_group("report");
    g.throughput(Throughput::Elements(1));
    let mut i = 0i64;
    g.bench_function("assemble_from_sqlite", |bench| {
        bench.iter(|| {
            i = i % i64::from(PEOPLE) + 1;
            let reader = b.store().read().expect("read");
            assemble(reader.as_ref(), b.keys(), b.policy(), SubjectId(i), &ctx).expect("report")
        })
    });
    let mut n = 0u32;
    g.bench_function("produce_with_inquiry_logged", |bench| {
        bench.iter(|| {
            n = (n + 1) % PEOPLE;
            let request = ReportRequest { document: prc_id(n), as_of: None, requester: Requester::Person };
            b.produce_report(&request).expect("report")
        })
    });
    g.finish();
}

criterion_group!(benches, bench_ingest, bench_ingest_pboc, bench_reports);
criterion_main!(benches);
