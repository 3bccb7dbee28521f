//! PBOC-style message files through the ingest pipeline: a simulated population reported in this
//! format gives the same reports as its canonical twin, and a 212 correction changes today's
//! report but not the report as of the day before it.

use ob_bureau::Bureau;
use ob_bureau::clock::{Clock, ManualClock};
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::IngestOptions;
use ob_bureau::report::{AccountGroup, Report, ReportRequest, Requester};
use ob_formats::jsonl::{self, Header as JsonlHeader};
use ob_formats::pboc::{self, CorrectedSegment, Correction, PbocRecord, RecordType};
use ob_model::policy::Policy;
use ob_model::records::{AccountRecord, Record};
use ob_model::{DocumentNumber, YearMonth};
use ob_sim::{MistakeRates, SimConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

type TestBureau = Bureau<Box<dyn ob_store::Store>>;

/// Notices have no PBOC-style form and are tested elsewhere; consents travel as canonical records.
fn policy() -> Policy {
    Policy { notice_before_negative: false, ..Policy::prc() }
}

fn bureau(clock: &Arc<ManualClock>) -> TestBureau {
    Bureau::new(ob_store::testing::scratch_from_env(), Keys::from_master(&[6; 32]), clock.clone())
        .unwrap()
        .with_policy(policy())
}

fn read_records(path: &Path) -> Vec<Record> {
    let mut reader = jsonl::Reader::new(std::io::BufReader::new(std::fs::File::open(path).unwrap())).unwrap();
    let mut out = Vec::new();
    while let Some(e) = reader.next_entry() {
        out.push(e.unwrap().outcome.unwrap());
    }
    out
}

/// The 14-character institution code PBOC-style files carry.
fn institution(code: &str) -> String {
    format!("{code:0<14}")
}

/// Ingests a file, looking ahead if `prefetch` whatever the store.
fn ingest(b: &mut TestBureau, path: &Path, prefetch: bool) {
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max: None,
        prefetch: prefetch.then_some(true),
    };
    let mut feedback = Vec::new();
    let s = b.ingest_path(path, &options, &mut feedback, &mut |_| {}).unwrap();
    assert_eq!(s.rejected, 0, "{}: {}", path.display(), String::from_utf8_lossy(&feedback));
}

/// Writes a file's records as a PBOC-style file (and its consents as a canonical side file).
/// Every month travels with its account's latest record, since a 210 names the person in B.
fn twin_files(
    dir: &Path,
    stem: &str,
    furnisher: &str,
    records: &[Record],
    accounts: &mut HashMap<String, AccountRecord>,
) -> (PathBuf, PathBuf) {
    let code = institution(furnisher);
    let consents = dir.join(format!("{stem}.consents.jsonl"));
    let mut w =
        jsonl::Writer::new(std::fs::File::create(&consents).unwrap(), &JsonlHeader::new(&code, None, None)).unwrap();
    let mut input = Vec::new();
    for r in records {
        match r {
            Record::Consent(_) => w.write(r).unwrap(),
            Record::Account(a) => {
                accounts.insert(a.account_key.clone(), a.clone());
            }
            Record::Month(m) => {
                input.push(Record::Account(accounts[&m.account_key].clone()));
                input.push(r.clone());
            }
            other => input.push(other.clone()),
        }
    }
    w.finish().unwrap();
    let converted = pboc::to_model::from_model(&input, &code);
    let lost: Vec<_> = converted.unconverted.iter().filter(|u| u.kind != "notice").collect();
    assert!(lost.is_empty(), "{stem}: {lost:?}");
    let path = dir.join(format!("{stem}.pboc.txt"));
    let created = time::macros::datetime!(2026-01-01 00:00);
    let header = pboc::Header { record_type: RecordType::Account, institution: code, created, count: 0 };
    assert!(converted.records.iter().all(|r| r.record_type() == RecordType::Account));
    pboc::write_file(std::fs::File::create(&path).unwrap(), header, &converted.records).unwrap();
    (consents, path)
}

fn without_names(groups: &[AccountGroup]) -> Vec<AccountGroup> {
    let mut g = groups.to_vec();
    for a in g.iter_mut().flat_map(|g| g.accounts.iter_mut()) {
        a.institution.clear();
        a.account_ref.clear();
        for plan in &mut a.sub_accounts {
            plan.institution.clear();
            plan.account_ref.clear();
        }
    }
    g
}

fn report(b: &mut TestBureau, document: &DocumentNumber, as_of: Option<time::Date>) -> Report {
    b.produce_report(&ReportRequest { document: document.clone(), as_of, requester: Requester::Person }).unwrap()
}

#[test]
fn a_simulated_population_in_pboc_style_gives_the_reports_of_its_canonical_twin() {
    let dir = tempfile::tempdir().unwrap();
    let end_month = YearMonth::parse("2025-12").unwrap();
    let config =
        SimConfig { people: 80, months: 12, seed: 5, end_month, mistakes: MistakeRates::NONE, ..Default::default() };
    let sim = ob_sim::simulate(&config, &dir.path().join("canonical")).unwrap();
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
    let (mut canonical, mut pboc_bureau) = (bureau(&clock), bureau(&clock));
    let mut accounts: HashMap<String, HashMap<String, AccountRecord>> = HashMap::new();
    // The collector's C1 months carry an amount due and a limit, which the PBOC-style J segment
    // has no place for (docs/formats/pboc.md): its files are left out of both bureaus.
    for (i, f) in sim.files.iter().filter(|f| f.furnisher != "HXAMC").enumerate() {
        clock.set(f.deliver_on.with_hms(2, 0, 0).unwrap().assume_utc());
        // The PBOC-style files look ahead whatever the store; the canonical ones only where
        // reads are remote: on SQLite the two paths are compared, report by report.
        ingest(&mut canonical, &f.path, false);
        let records = read_records(&f.path);
        let known = accounts.entry(f.furnisher.clone()).or_default();
        let (consents, pboc_file) = twin_files(dir.path(), &format!("{i:03}"), &f.furnisher, &records, known);
        ingest(&mut pboc_bureau, &consents, true);
        ingest(&mut pboc_bureau, &pboc_file, true);
    }
    clock.set(end_month.plus(1).day(20).midnight().assume_utc());
    let truth = ob_sim::read_truth(dir.path().join("canonical/truth.jsonl")).unwrap();
    let mut compared = 0;
    for p in &truth {
        let document = DocumentNumber::parse(p.document_type, &p.document_number).unwrap();
        let (Ok(a), Ok(b)) = (
            canonical.produce_report(&ReportRequest {
                document: document.clone(),
                as_of: None,
                requester: Requester::Person,
            }),
            pboc_bureau.produce_report(&ReportRequest { document, as_of: None, requester: Requester::Person }),
        ) else {
            continue;
        };
        assert_eq!(without_names(&a.account_groups), without_names(&b.account_groups), "person {}", p.person);
        assert_eq!(a.summary.overdue, b.summary.overdue);
        compared += a.account_groups.iter().map(|g| g.accounts.len()).sum::<usize>();
    }
    assert!(compared > 100, "compared {compared} accounts");
}

/// A bureau holding a small simulated population sent in PBOC-style files (the collection
/// agency's files left out), and every account message sent with a month paid as due, in order,
/// with its furnisher.
fn population(dir: &Path, clock: &Arc<ManualClock>) -> (TestBureau, Vec<(String, pboc::LoanAccount)>) {
    let end_month = YearMonth::parse("2025-06").unwrap();
    let config =
        SimConfig { people: 40, months: 6, seed: 9, end_month, mistakes: MistakeRates::NONE, ..Default::default() };
    let sim = ob_sim::simulate(&config, &dir.join("canonical")).unwrap();
    let mut b = bureau(clock);
    let mut accounts: HashMap<String, HashMap<String, AccountRecord>> = HashMap::new();
    let mut sent = Vec::new();
    for (i, f) in sim.files.iter().filter(|f| f.furnisher != "HXAMC").enumerate() {
        clock.set(f.deliver_on.with_hms(2, 0, 0).unwrap().assume_utc());
        let known = accounts.entry(f.furnisher.clone()).or_default();
        let (consents, pboc_file) = twin_files(dir, &format!("{i:03}"), &f.furnisher, &read_records(&f.path), known);
        ingest(&mut b, &consents, false);
        ingest(&mut b, &pboc_file, true);
        let mut reader = pboc::Reader::new(std::io::BufReader::new(std::fs::File::open(&pboc_file).unwrap())).unwrap();
        while let Some(e) = reader.next_entry() {
            if let Ok(PbocRecord::Account(a)) = e.unwrap().outcome
                && a.monthly.as_ref().is_some_and(|m| m.status == ob_model::RepaymentStatus::Normal)
            {
                sent.push((f.furnisher.clone(), *a));
            }
        }
    }
    (b, sent)
}

/// Writes one PBOC-style file of account messages.
fn account_file(path: &Path, furnisher: &str, messages: Vec<pboc::LoanAccount>) {
    let header = pboc::Header {
        record_type: RecordType::Account,
        institution: institution(furnisher),
        created: time::macros::datetime!(2026-01-01 00:00),
        count: 0,
    };
    let records: Vec<_> = messages.into_iter().map(|m| PbocRecord::Account(Box::new(m))).collect();
    pboc::write_file(std::fs::File::create(path).unwrap(), header, &records).unwrap();
}

#[test]
fn a_message_of_months_alone_is_refused_unless_it_names_the_accounts_holder() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
    let (mut b, sent) = population(dir.path(), &clock);
    let (furnisher, x) = sent.last().expect("an account was reported").clone();
    let other = sent
        .iter()
        .find(|(f, a)| *f == furnisher && a.base.subject.document != x.base.subject.document)
        .map(|(_, a)| a.base.subject.clone())
        .expect("the furnisher reports on two people");
    // Months alone (no segment C): the model keeps no person with them.
    let alone = |subject: pboc::Subject| {
        let mut m = x.clone();
        (m.info, m.agreement_code, m.base.subject) = (None, None, subject);
        m.base.reason = pboc::ReportReason::Monthly;
        m.monthly.as_mut().expect("a month paid as due").paid_fen += 1;
        m
    };
    let renamed = pboc::Subject { name: format!("{}甲", x.base.subject.name), ..x.base.subject.clone() };
    let check = |b: &mut TestBureau, stem: &str, subject: pboc::Subject, expect: Option<&str>| {
        let path = dir.path().join(format!("{stem}.pboc.txt"));
        account_file(&path, &furnisher, vec![alone(subject)]);
        // Read ahead (as over PostgreSQL): the people the messages name are looked up together.
        let options = IngestOptions { prefetch: Some(true), ..IngestOptions::default() };
        let mut feedback = Vec::new();
        let s = b.ingest_path(&path, &options, &mut feedback, &mut |_| {}).unwrap();
        let feedback = String::from_utf8_lossy(&feedback);
        match expect {
            None => assert_eq!(s.rejected, 0, "{stem}: {feedback}"),
            Some(element) => {
                assert_eq!(s.rejected_by_code.get("ACCOUNT_CONFLICT"), Some(&1), "{stem}: {feedback}");
                assert!(feedback.contains(element), "{stem}: {feedback}");
            }
        }
    };
    check(&mut b, "another-person", other, Some("AcctBsSgmt.IDNum"));
    check(&mut b, "another-name", renamed, Some("AcctBsSgmt.Name"));
    check(&mut b, "the-holder", x.base.subject.clone(), None);
}

#[test]
fn a_212_correction_changes_todays_report_and_not_the_day_before() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
    let (mut b, sent) = population(dir.path(), &clock);
    let (furnisher, account) = sent.last().expect("an account was reported").clone();
    let mut monthly = account.monthly.clone().expect("a 210 carries its month");
    let before = clock.today();
    monthly.balance_fen += 12_345;
    monthly.used_fen = monthly.used_fen.map(|u| u + 12_345);
    let correction = PbocRecord::Correction(Box::new(Correction {
        account_code: account.base.account_code.clone(),
        account_type: account.base.account_type,
        segment: CorrectedSegment::Monthly(monthly.clone()),
    }));
    let path = dir.path().join("correction.pboc.txt");
    let header = pboc::Header {
        record_type: RecordType::Correction,
        institution: institution(&furnisher),
        created: time::macros::datetime!(2026-01-01 00:00),
        count: 0,
    };
    pboc::write_file(std::fs::File::create(&path).unwrap(), header, &[correction]).unwrap();
    clock.set((before + time::Duration::days(3)).midnight().assume_utc());
    ingest(&mut b, &path, true);
    let document = account.base.subject.document.clone();
    let balance_of = |r: &Report| {
        r.account_groups
            .iter()
            .flat_map(|g| &g.accounts)
            .flat_map(|a| a.latest.iter())
            .find(|l| l.month == monthly.month)
            .map(|l| l.balance)
    };
    let today = balance_of(&report(&mut b, &document, None));
    let day_before = balance_of(&report(&mut b, &document, Some(before + time::Duration::days(2))));
    assert_eq!(today, Some(monthly.balance_fen), "today's report shows the correction");
    assert_eq!(day_before, Some(monthly.balance_fen - 12_345), "the day before does not");
}
