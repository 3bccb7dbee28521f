//! A simulated Metro 2 population and its canonical twin (the same seed, `OutputFormat::Metro2`
//! and `OutputFormat::CanonicalUs`) ingested month by month into two bureaus under the US policy:
//! no record is rejected, and every person's reports — today and as of earlier days, before and
//! after corrections and deletions — have the same accounts, months, summary and identity.

use ob_bureau::Bureau;
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::IngestOptions;
use ob_bureau::report::{Report, ReportRequest, Requester};
use ob_model::policy::Policy;
use ob_model::{AccountType, Currency, DocumentNumber, DocumentType, RepaymentStatus, YearMonth};
use ob_sim::{MistakeRates, OutputFormat, PersonTruth, SimConfig, SimSummary};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use time::{Date, OffsetDateTime};

const END_MONTH: &str = "2025-12";

fn config(format: OutputFormat) -> SimConfig {
    SimConfig {
        people: 150,
        months: 12,
        seed: 20_240_615,
        end_month: YearMonth::parse(END_MONTH).unwrap(),
        // More corrections and deletions than by default, so that both occur in 150 people.
        mistakes: MistakeRates {
            corrections_per_million: 60_000,
            malformed_per_million: 0,
            phantoms_per_million: 60_000,
        },
        threads: 2,
        format,
        ..SimConfig::default()
    }
}

/// A simulation ingested file by file, each on its delivery day.
struct Run {
    bureau: Bureau<Box<dyn ob_store::Store>>,
    clock: Arc<ManualClock>,
    sim: SimSummary,
    truth: Vec<PersonTruth>,
    records: u64,
    _dir: tempfile::TempDir,
}

fn simulate_and_ingest(format: OutputFormat, policy: Policy) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let sim = ob_sim::simulate(&config(format), dir.path()).unwrap();
    let clock = Arc::new(ManualClock::new(OffsetDateTime::UNIX_EPOCH));
    let store = ob_store::testing::scratch_from_env();
    let mut bureau = Bureau::new(store, Keys::from_master(&[7; 32]), clock.clone()).unwrap().with_policy(policy);
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max: None,
        // The Metro 2 run looks ahead whatever the store, the twin only where reads are remote:
        // on SQLite the two paths are compared, report by report.
        prefetch: matches!(format, OutputFormat::Metro2).then_some(true),
    };
    let mut records = 0;
    for f in &sim.files {
        clock.set(f.deliver_on.with_hms(2, 0, 0).unwrap().assume_utc());
        let mut feedback = Vec::new();
        let s = bureau.ingest_path(&f.path, &options, &mut feedback, &mut |_| {}).unwrap();
        assert_eq!(s.furnisher, f.furnisher);
        assert_eq!(s.rejected, 0, "{}: {}", f.path.display(), String::from_utf8_lossy(&feedback));
        assert!(feedback.is_empty());
        records += s.records;
    }
    let truth = ob_sim::read_truth(dir.path().join("truth.jsonl")).unwrap();
    Run { bureau, clock, sim, truth, records, _dir: dir }
}

fn report(run: &mut Run, p: &PersonTruth, as_of: Option<Date>) -> Report {
    let document = DocumentNumber::parse(p.document_type, &p.document_number).unwrap();
    run.bureau.produce_report(&ReportRequest { document, as_of, requester: Requester::Person }).unwrap()
}

/// Checks today's report against the truth (which holds the values as reported: whole dollars,
/// Metro 2's statuses): every account not deleted, with its latest month, limit and every
/// month's status and amount past due. Counts the statuses shown; returns the accounts checked.
fn check_against_truth(
    r: &Report,
    p: &PersonTruth,
    statuses: &mut BTreeMap<AccountType, BTreeSet<RepaymentStatus>>,
) -> usize {
    let shown: Vec<_> = r.own_accounts().collect();
    assert_eq!(shown.len(), p.accounts.len(), "person {}: every account reported and not deleted", p.person);
    for a in &p.accounts {
        // (type, opening day) names one account of a person (the simulator keeps them distinct).
        let d = shown.iter().find(|d| d.account_type == a.account_type && d.opened_on == a.opened_on).unwrap();
        let (last, latest) = (a.months.last().unwrap(), d.latest.as_ref().unwrap());
        assert_eq!(
            (latest.month, latest.status, latest.balance, latest.overdue_amount, latest.days_past_due, d.credit_limit),
            (last.month, last.status, last.balance_fen, last.past_due_fen, last.days_past_due, last.credit_limit_fen),
            "{}",
            a.account_key
        );
        assert_eq!((d.currency, d.periods), (Currency::USD, a.periods), "{}", a.account_key);
        for m in &a.months {
            let h = d.history.iter().find(|h| h.month == m.month).unwrap();
            assert_eq!((h.status, h.overdue_amount), (m.status, m.past_due_fen), "{} {}", a.account_key, m.month);
            assert_eq!(m.balance_fen % 100, 0, "whole dollars");
            statuses.entry(a.account_type).or_default().insert(m.status);
        }
    }
    shown.len()
}

#[test]
fn a_simulated_metro2_population_and_its_canonical_twin_give_the_same_reports() {
    let mut m2 = simulate_and_ingest(OutputFormat::Metro2, Policy::us());
    let mut twin = simulate_and_ingest(OutputFormat::CanonicalUs, Policy::us());

    // The same population: the truth is the same, person by person.
    assert_eq!(m2.truth, twin.truth, "the two outputs describe the same people, accounts and months");
    assert!(m2.truth.iter().all(|p| p.document_type == DocumentType::UsSsn));
    let (a, b) = (&m2.sim, &twin.sim);
    assert_eq!(
        (a.accounts, a.month_records, a.corrections, a.deletions),
        (b.accounts, b.month_records, b.corrections, b.deletions)
    );
    assert!(a.corrections > 0 && a.deletions > 0, "corrections {} and deletions {} occur", a.corrections, a.deletions);
    assert_eq!((a.consent_records, a.notices, a.malformed_lines), (0, 0, 0), "Metro 2 carries no consents or notices");
    assert!(b.consent_records > 0 && b.notices > 0, "the twin carries them (harmless under the US policy)");
    assert_eq!(m2.records, a.month_records + a.corrections + a.deletions, "one Metro 2 record per account-month");
    assert!(m2.sim.files.iter().all(|f| f.path.extension().is_some_and(|e| e == "m2")));

    // Reports as of today and as of earlier delivery days.
    let today = YearMonth::parse(END_MONTH).unwrap().plus(1).day(20);
    let earlier: Vec<Date> =
        [-9, -5, -2].iter().map(|k| YearMonth::parse(END_MONTH).unwrap().plus(*k).day(5)).collect();
    for run in [&mut m2, &mut twin] {
        run.clock.set(today.midnight().assume_utc());
    }
    let mut statuses = BTreeMap::new();
    let (mut people, mut accounts) = (0, 0);
    for p in m2.truth.clone() {
        if p.accounts.is_empty() && p.deleted_accounts.is_empty() {
            continue;
        }
        people += 1;
        for as_of in [None].into_iter().chain(earlier.iter().copied().map(Some)) {
            let (x, y) = (report(&mut m2, &p, as_of), report(&mut twin, &p, as_of));
            let what = format!("person {} as of {as_of:?}", p.person);
            assert_eq!(x.account_groups, y.account_groups, "{what}: accounts");
            assert_eq!(x.summary, y.summary, "{what}: summary");
            assert_eq!(x.identity.documents, y.identity.documents, "{what}: documents");
            assert_eq!((&x.identity.name, x.identity.birth_date), (&y.identity.name, y.identity.birth_date), "{what}");
            if as_of.is_none() {
                accounts += check_against_truth(&x, &p, &mut statuses);
            }
        }
    }
    assert!(people > 100 && accounts > 200, "{people} people, {accounts} accounts compared");
    // With this seed every product and every status US output reports occurs.
    use RepaymentStatus as S;
    let want = [
        (AccountType::R1, vec![S::Normal, S::Overdue1, S::Overdue6, S::Settled, S::EndedOther]),
        (AccountType::R2, vec![S::Normal, S::Overdue1, S::BadDebt]),
        (AccountType::D1, vec![S::Normal, S::Overdue1, S::Settled, S::AssetTransfer]),
        (AccountType::C1, vec![S::Overdue6]),
    ];
    for (account_type, shown) in want {
        for s in shown {
            assert!(
                statuses.get(&account_type).is_some_and(|set| set.contains(&s)),
                "{account_type} {s}: {statuses:?}"
            );
        }
    }
}

#[test]
fn the_canonical_twin_also_passes_the_prc_policy() {
    // Consents before every account and notices before every first negative month: nothing is
    // refused where the policy requires both.
    let run = simulate_and_ingest(OutputFormat::CanonicalUs, Policy::prc());
    assert!(run.records > 2_000, "{} records", run.records);
}

/// Every file of `sim` ingested on its delivery day into a new bureau under the US policy, with
/// `prefetch` and `cached_max`; each file's summary and feedback, as text.
fn ingest_each(
    sim: &SimSummary,
    prefetch: bool,
    cached_max: Option<usize>,
) -> (Bureau<Box<dyn ob_store::Store>>, Vec<String>) {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::UNIX_EPOCH));
    let store = ob_store::testing::scratch_from_env();
    let mut bureau = Bureau::new(store, Keys::from_master(&[7; 32]), clock.clone()).unwrap().with_policy(Policy::us());
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max,
        prefetch: Some(prefetch),
    };
    let mut outcomes = Vec::new();
    for f in &sim.files {
        clock.set(f.deliver_on.with_hms(2, 0, 0).unwrap().assume_utc());
        let mut feedback = Vec::new();
        let s = bureau.ingest_path(&f.path, &options, &mut feedback, &mut |_| {}).unwrap();
        let counts = (s.records, s.accepted, s.unchanged, s.rejected, s.rejected_by_code);
        outcomes.push(format!("{}: {counts:?} {}", f.path.display(), String::from_utf8_lossy(&feedback)));
    }
    (bureau, outcomes)
}

#[test]
fn metro2_files_read_ahead_have_the_same_outcomes() {
    // Look-ups ahead forced on (whatever the store) against forced off: files of more than a chunk
    // of 1,024 records, so that later chunks meet accounts and people the earlier ones wrote;
    // then with caches of one entry (what was looked up ahead is let go before it is used).
    let mut cfg = config(OutputFormat::Metro2);
    (cfg.people, cfg.months) = (3_000, 3);
    let dir = tempfile::tempdir().unwrap();
    let sim = ob_sim::simulate(&cfg, dir.path()).unwrap();
    let longest = sim.files.iter().map(|f| std::fs::read(&f.path).unwrap().split(|b| *b == b'\n').count()).max();
    assert!(longest.unwrap() > 1_024, "files of more than a chunk: {longest:?} records at most");
    assert!(sim.corrections > 0 && sim.deletions > 0, "{} corrections, {} deletions", sim.corrections, sim.deletions);
    let (mut plain, want) = ingest_each(&sim, false, None);
    let truth = ob_sim::read_truth(dir.path().join("truth.jsonl")).unwrap();
    let requests: Vec<ReportRequest> = truth
        .iter()
        .filter(|p| !p.accounts.is_empty() || !p.deleted_accounts.is_empty())
        .map(|p| ReportRequest {
            document: DocumentNumber::parse(p.document_type, &p.document_number).unwrap(),
            as_of: None,
            requester: Requester::Person,
        })
        .collect();
    assert!(requests.len() > 2_000, "{} people with accounts", requests.len());
    // Each bureau is asked once for each person, so that the self-queries they count agree.
    let reports: Vec<Report> = requests.iter().map(|r| plain.produce_report(r).unwrap()).collect();
    for cached_max in [None, Some(1)] {
        let (mut ahead, got) = ingest_each(&sim, true, cached_max);
        assert_eq!(got, want, "cached_max {cached_max:?}: the same outcome for every file");
        for (request, x) in requests.iter().zip(&reports) {
            let y = ahead.produce_report(request).unwrap();
            assert_eq!((&x.account_groups, &x.summary), (&y.account_groups, &y.summary), "cached_max {cached_max:?}");
        }
    }
}
