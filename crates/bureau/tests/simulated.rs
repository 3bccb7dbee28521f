//! Simulated furnisher files through the whole bureau: every report agrees with the simulator's
//! ground truth, and every report's summary equals what its own account details add up to.

use ob_bureau::Bureau;
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::IngestOptions;
use ob_bureau::report::{AccountDetail, Report, ReportRequest, Requester};
use ob_model::{AccountType, Currency, DocumentNumber, YearMonth};
use ob_sim::{PersonTruth, SimConfig};
use ob_store::sqlite::SqliteStore;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Simulates, ingests month by month on the simulated clock, and returns the bureau and the truth.
fn simulate_and_ingest(
    people: u32,
    months: u32,
    seed: u64,
) -> (Bureau<SqliteStore>, Arc<ManualClock>, Vec<PersonTruth>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let end_month = YearMonth::parse("2025-12").unwrap();
    let config = SimConfig { people, months, seed, end_month, ..Default::default() };
    let sim = ob_sim::simulate(&config, dir.path()).unwrap();
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
    let store = SqliteStore::in_memory().unwrap();
    let mut bureau = Bureau::new(store, Keys::from_master(&[3; 32]), clock.clone()).unwrap();
    let options = IngestOptions { register_unknown_furnisher: true, expected_furnisher: None };
    for f in &sim.files {
        clock.set(f.deliver_on.with_hms(2, 0, 0).unwrap().assume_utc());
        let mut feedback = Vec::new();
        let s = bureau.ingest_path(&f.path, &options, &mut feedback, &mut |_| {}).unwrap();
        assert_eq!(s.rejected, 0, "{}: {}", f.path.display(), String::from_utf8_lossy(&feedback));
    }
    clock.set(end_month.plus(1).day(20).midnight().assume_utc());
    let truth = ob_sim::read_truth(dir.path().join("truth.jsonl")).unwrap();
    (bureau, clock, truth, dir)
}

fn self_report(bureau: &mut Bureau<SqliteStore>, p: &PersonTruth) -> Report {
    let document = DocumentNumber::parse(p.document_type, &p.document_number).unwrap();
    bureau.produce_report(&ReportRequest { document, as_of: None, requester: Requester::Person }).unwrap()
}

/// The summary's account figures, recomputed here independently from the details.
fn recompute(report: &Report) -> Vec<(AccountType, Currency, [i64; 7])> {
    let mut by: BTreeMap<(usize, Currency), ([i64; 7], BTreeSet<String>)> = BTreeMap::new();
    let accounts: Vec<&AccountDetail> = report.account_groups.iter().flat_map(|g| &g.accounts).collect();
    for a in accounts {
        let rank = AccountType::REPORT_ORDER.iter().position(|t| *t == a.account_type).unwrap();
        let (v, inst) = by.entry((rank, a.currency)).or_default();
        v[0] += 1;
        if !a.closed {
            v[1] += 1;
            inst.insert(a.institution.clone());
            v[3] += a.credit_limit;
            v[4] += a.latest.as_ref().unwrap().balance;
            v[5] += a.latest.as_ref().unwrap().used_amount;
            v[6] += a.used_6m_avg;
        }
        v[2] = inst.len() as i64;
    }
    by.into_iter().map(|((rank, c), (v, _))| (AccountType::REPORT_ORDER[rank], c, v)).collect()
}

fn summary_figures(report: &Report) -> Vec<(AccountType, Currency, [i64; 7])> {
    report
        .summary
        .by_type
        .iter()
        .map(|t| {
            let v = [
                t.accounts as i64,
                t.open_accounts as i64,
                t.institutions as i64,
                t.total_credit_limit,
                t.balance,
                t.used_amount,
                t.used_6m_avg,
            ];
            (t.account_type, t.currency, v)
        })
        .collect()
}

fn overdue_figures(report: &Report) -> BTreeMap<AccountType, (u32, u32, i64, u8)> {
    let mut out = BTreeMap::new();
    for a in report.account_groups.iter().flat_map(|g| &g.accounts) {
        let late: Vec<_> = a.history.iter().filter(|h| h.status.overdue_periods().is_some()).collect();
        if late.is_empty() {
            continue;
        }
        let e = out.entry(a.account_type).or_insert((0, 0, 0, 0));
        e.0 += 1;
        e.1 += late.len() as u32;
        e.2 = e.2.max(late.iter().map(|h| h.overdue_amount).max().unwrap());
        e.3 = e.3.max(late.iter().map(|h| h.status.overdue_periods().unwrap()).max().unwrap());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, ..ProptestConfig::default() })]

    #[test]
    fn report_summaries_equal_their_own_details(seed in any::<u64>()) {
        let (mut bureau, _clock, truth, _dir) = simulate_and_ingest(40, 14, seed);
        for p in &truth {
            let report = self_report(&mut bureau, p);
            prop_assert_eq!(summary_figures(&report), recompute(&report));
            let summary_overdue: BTreeMap<_, _> = report.summary.overdue.iter()
                .map(|o| (o.account_type, (o.accounts, o.months, o.highest_monthly_overdue, o.longest_overdue_months)))
                .collect();
            prop_assert_eq!(summary_overdue, overdue_figures(&report));
        }
    }
}

#[test]
fn every_report_matches_the_ground_truth() {
    let (mut bureau, _clock, truth, _dir) = simulate_and_ingest(150, 24, 7);
    let mut months = 0;
    for p in &truth {
        let report = self_report(&mut bureau, p);
        let details: Vec<&AccountDetail> = report.account_groups.iter().flat_map(|g| &g.accounts).collect();
        assert_eq!(details.len(), p.accounts.len(), "person {}", p.person);
        for a in &p.accounts {
            let d = details
                .iter()
                .find(|d| d.opened_on == a.opened_on && d.account_type == a.account_type)
                .unwrap_or_else(|| panic!("person {} account {} missing", p.person, a.account_key));
            let last = a.months.last().unwrap();
            let latest = d.latest.as_ref().unwrap();
            assert_eq!(
                (latest.month, latest.status, latest.balance),
                (last.month, last.status, last.balance_fen),
                "{}",
                a.account_key
            );
            for m in &a.months {
                let shown = d.history.iter().find(|h| h.month == m.month).unwrap();
                assert_eq!(
                    (shown.status, shown.overdue_amount),
                    (m.status, m.past_due_fen),
                    "{} {}",
                    a.account_key,
                    m.month
                );
                months += 1;
            }
        }
    }
    assert!(months > 3_000, "compared {months} months");
}
