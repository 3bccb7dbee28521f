//! Simulated furnisher files through the whole bureau: every rejection is one the truth beside the
//! file names, with its code; every report agrees with the simulator's ground truth; deliberately
//! wrong months show their wrong value until their correction arrives and the right one after;
//! accounts deleted by their furnisher are absent; and every report's summary equals what its
//! own account details add up to.

use ob_bureau::Bureau;
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::IngestOptions;
use ob_bureau::report::{AccountDetail, Report, ReportRequest, Requester};
use ob_model::{AccountType, Currency, DocumentNumber, YearMonth};
use ob_sim::{AccountTruth, Expectation, FURNISHERS, Malformation, MistakeRates, PersonTruth, SimConfig, SimSummary};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use time::{Date, Duration};

/// A simulation ingested month by month.
struct Ingested {
    bureau: Bureau<Box<dyn ob_store::Store>>,
    truth: Vec<PersonTruth>,
    /// Every deliberate line, with the file it is in.
    expected: Vec<(String, ob_sim::ExpectedLine)>,
    /// Rejections checked against the truth.
    rejections: usize,
    _dir: tempfile::TempDir,
}

fn config(people: u32, months: u32, seed: u64) -> SimConfig {
    let end_month = YearMonth::parse("2025-12").unwrap();
    SimConfig { people, months, seed, end_month, threads: 2, ..Default::default() }
}

/// The (line, code) pairs of a feedback file.
fn rejected_lines(feedback: &[u8]) -> BTreeSet<(u64, String)> {
    String::from_utf8_lossy(feedback)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["line"].as_u64().unwrap(), v["code"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// Simulates, ingests month by month on the simulated clock (each file on its delivery day), and
/// checks each file's rejections against the truth beside it: exactly the lines it names, with
/// the codes it names.
fn simulate_and_ingest(config: &SimConfig) -> Ingested {
    simulate_and_ingest_with(config, None, None)
}

/// [`simulate_and_ingest`] with the batch's caches let go past `cached_max` entries, and with
/// the look-ups ahead on or off (`None`: as the store prefers).
fn simulate_and_ingest_with(config: &SimConfig, cached_max: Option<usize>, prefetch: Option<bool>) -> Ingested {
    let dir = tempfile::tempdir().unwrap();
    let sim: SimSummary = ob_sim::simulate(config, dir.path()).unwrap();
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
    let store = ob_store::testing::scratch_from_env();
    let mut bureau = Bureau::new(store, Keys::from_master(&[3; 32]), clock.clone()).unwrap();
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max,
        prefetch,
    };
    let (mut expected, mut rejections) = (Vec::new(), 0);
    for f in &sim.files {
        clock.set(f.deliver_on.with_hms(2, 0, 0).unwrap().assume_utc());
        let mut feedback = Vec::new();
        let s = bureau.ingest_path(&f.path, &options, &mut feedback, &mut |_| {}).unwrap();
        let name = f.path.strip_prefix(dir.path()).unwrap().to_string_lossy().replace('\\', "/");
        let truth = ob_sim::read_expected(&f.truth_path).unwrap();
        let want: BTreeSet<(u64, String)> = truth
            .iter()
            .filter_map(|e| match &e.expect {
                Expectation::Reject { code, .. } => Some((e.line, code.clone())),
                _ => None,
            })
            .collect();
        let got = rejected_lines(&feedback);
        assert_eq!(
            got,
            want,
            "{name}: rejections differ from the truth; feedback:\n{}",
            String::from_utf8_lossy(&feedback)
        );
        assert_eq!(s.rejected as usize, want.len());
        rejections += want.len();
        expected.extend(truth.into_iter().map(|e| (name.clone(), e)));
    }
    clock.set(config.end_month.plus(1).day(20).midnight().assume_utc());
    let truth = ob_sim::read_truth(dir.path().join("truth.jsonl")).unwrap();
    Ingested { bureau, truth, expected, rejections, _dir: dir }
}

fn report(bureau: &mut Bureau<Box<dyn ob_store::Store>>, p: &PersonTruth, as_of: Option<Date>) -> Report {
    let document = DocumentNumber::parse(p.document_type, &p.document_number).unwrap();
    bureau.produce_report(&ReportRequest { document, as_of, requester: Requester::Person }).unwrap()
}

/// Every account the report shows as the person's own, plans under their lines included.
fn details(report: &Report) -> Vec<&AccountDetail> {
    report.own_accounts().collect()
}

fn institution(furnisher: &str) -> &'static str {
    FURNISHERS.iter().find(|(code, _)| *code == furnisher).map(|(_, name)| *name).unwrap()
}

/// The report's account for a truth account: same lender, type and opening day (the simulator
/// keeps these distinct per person).
fn find<'r>(details: &[&'r AccountDetail], a: &AccountTruth) -> Option<&'r AccountDetail> {
    let matches: Vec<_> = details
        .iter()
        .filter(|d| {
            d.institution == institution(&a.furnisher) && d.account_type == a.account_type && d.opened_on == a.opened_on
        })
        .collect();
    assert!(matches.len() <= 1, "{} is ambiguous in the report", a.account_key);
    matches.first().map(|d| **d)
}

/// The summary's account figures, recomputed here independently from the details.
fn recompute(report: &Report) -> Vec<(AccountType, Currency, [i64; 7])> {
    let mut by: BTreeMap<(usize, Currency), ([i64; 7], BTreeSet<String>)> = BTreeMap::new();
    for a in details(report) {
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
    for a in details(report) {
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
        let mut run = simulate_and_ingest(&config(40, 14, seed));
        for p in run.truth.iter().filter(|p| !p.accounts.is_empty() || !p.deleted_accounts.is_empty()) {
            let report = report(&mut run.bureau, p, None);
            prop_assert_eq!(summary_figures(&report), recompute(&report));
            let summary_overdue: BTreeMap<_, _> = report.summary.overdue.iter()
                .map(|o| (o.account_type, (o.accounts, o.months, o.highest_monthly_overdue, o.longest_overdue_months)))
                .collect();
            prop_assert_eq!(summary_overdue, overdue_figures(&report));
        }
    }
}

/// Compares one person's report with the truth; returns the months compared.
fn check_person(report: &Report, p: &PersonTruth) -> usize {
    let shown = details(report);
    assert_eq!(shown.len(), p.accounts.len(), "person {}: accounts shown vs true", p.person);
    let mut months = 0;
    for a in &p.accounts {
        let d = find(&shown, a).unwrap_or_else(|| panic!("person {} account {} missing", p.person, a.account_key));
        let last = a.months.last().unwrap();
        let latest = d.latest.as_ref().unwrap();
        assert_eq!(
            (latest.month, latest.status, latest.balance, latest.overdue_amount, d.credit_limit),
            (last.month, last.status, last.balance_fen, last.past_due_fen, last.credit_limit_fen),
            "{}",
            a.account_key
        );
        for m in &a.months {
            let h = d.history.iter().find(|h| h.month == m.month).unwrap();
            assert_eq!((h.status, h.overdue_amount), (m.status, m.past_due_fen), "{} {}", a.account_key, m.month);
            months += 1;
        }
        if let Some(line_key) = &a.credit_line_key {
            let line = p.accounts.iter().find(|l| &l.account_key == line_key).unwrap();
            let line_number = find(&shown, line).unwrap().number;
            assert_eq!(d.credit_line_number, Some(line_number), "{} names its line", a.account_key);
        }
    }
    for gone in &p.deleted_accounts {
        assert!(find(&shown, gone).is_none(), "deleted account {} is still shown", gone.account_key);
    }
    months
}

#[test]
fn a_batch_that_forgets_what_it_read_after_every_record_has_the_same_outcomes() {
    // Caches of one entry: every record reads the store again (within the batch's transaction).
    // The rejections must still be exactly the truth's, and every report must still match it.
    let mut cfg = config(120, 24, 11);
    cfg.mistakes =
        MistakeRates { corrections_per_million: 20_000, malformed_per_million: 30_000, phantoms_per_million: 50_000 };
    let mut run = simulate_and_ingest_with(&cfg, Some(1), None);
    assert!(run.rejections > 20, "{} rejections compared", run.rejections);
    let mut months = 0;
    for p in run.truth.clone().iter().filter(|p| !p.accounts.is_empty()) {
        months += check_person(&report(&mut run.bureau, p, None), p);
    }
    assert!(months > 1_000, "compared {months} months");
}

#[test]
fn a_batch_that_looks_ahead_has_the_same_outcomes() {
    // Look-ups ahead forced on, whatever the store: with caches of one entry (what was looked up
    // ahead is let go before it is used), then with files of several chunks each (a chunk is
    // 1,024 lines), so that later chunks meet accounts, people and months the earlier ones wrote.
    for (people, months, cached_max) in [(120, 24, Some(1)), (2_500, 3, None)] {
        let mut cfg = config(people, months, 5);
        cfg.mistakes = MistakeRates {
            corrections_per_million: 20_000,
            malformed_per_million: 30_000,
            phantoms_per_million: 50_000,
        };
        let mut run = simulate_and_ingest_with(&cfg, cached_max, Some(true));
        assert!(run.rejections > 20, "{} rejections compared", run.rejections);
        let mut compared = 0;
        for p in run.truth.clone().iter().filter(|p| !p.accounts.is_empty()).take(300) {
            compared += check_person(&report(&mut run.bureau, p, None), p);
        }
        assert!(compared > 500, "compared {compared} months");
    }
}

#[test]
fn every_report_matches_the_ground_truth_and_mistakes_are_handled_as_the_truth_says() {
    let mut cfg = config(300, 24, 7);
    cfg.mistakes =
        MistakeRates { corrections_per_million: 10_000, malformed_per_million: 30_000, phantoms_per_million: 50_000 };
    let mut run = simulate_and_ingest(&cfg);
    let mut months = 0;
    let by_key: HashMap<String, usize> = run
        .truth
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.accounts.iter().chain(&p.deleted_accounts).map(move |a| (a.account_key.clone(), i)))
        .collect();
    for p in run.truth.clone().iter().filter(|p| !p.accounts.is_empty() || !p.deleted_accounts.is_empty()) {
        let report = report(&mut run.bureau, p, None);
        months += check_person(&report, p);
    }
    assert!(months > 6_000, "compared {months} months");
    let kinds: BTreeSet<Malformation> = run
        .expected
        .iter()
        .filter_map(
            |(_, e)| if let Expectation::Reject { malformation, .. } = e.expect { Some(malformation) } else { None },
        )
        .collect();
    assert_eq!(kinds.len(), Malformation::ALL.len(), "every malformation was exercised: {kinds:?}");
    assert!(run.rejections > 100, "{} rejections compared", run.rejections);
    let (mut corrected, mut deleted) = (0, 0);
    for (file, e) in run.expected.clone() {
        let person = run.truth[by_key[&e.account_key]].clone();
        match &e.expect {
            Expectation::Corrected { month, sent, correct, corrected_on, .. } => {
                let before = report(&mut run.bureau, &person, Some(*corrected_on - Duration::days(1)));
                let after = report(&mut run.bureau, &person, None);
                for (r, want, when) in [(&before, sent, "before"), (&after, correct, "after")] {
                    let account = person.accounts.iter().find(|a| a.account_key == e.account_key).unwrap();
                    let d = find(&details(r), account).unwrap();
                    let h = d.history.iter().find(|h| h.month == *month).unwrap();
                    assert_eq!(
                        (h.status, h.overdue_amount),
                        (want.status, want.past_due_fen),
                        "{file}:{} {when}",
                        e.line
                    );
                }
                corrected += 1;
            }
            Expectation::DeletedLater { deleted_on, .. } => {
                let account = person.deleted_accounts.iter().find(|a| a.account_key == e.account_key).unwrap();
                let before = report(&mut run.bureau, &person, Some(*deleted_on - Duration::days(1)));
                assert!(find(&details(&before), account).is_some(), "{file}:{} shown before its deletion", e.line);
                let after = report(&mut run.bureau, &person, Some(*deleted_on));
                assert!(find(&details(&after), account).is_none(), "{file}:{} absent from its deletion", e.line);
                deleted += 1;
            }
            _ => {}
        }
    }
    assert!(corrected >= 20 && deleted >= 5, "{corrected} corrections, {deleted} deletions checked");
}

/// Issue 15: the plain-words explanation of a person's file, checked sentence by sentence against
/// the simulator's truth and the store: every lender and the day of its authorization, every
/// value it sends, every late month and the day it leaves; the fields never sent are the
/// validator's own lists.
#[test]
fn the_explanation_says_what_the_file_holds_each_value_and_each_leaving_day() {
    let mut run = simulate_and_ingest(&config(80, 30, 23));
    let (mut lenders, mut values, mut late, mut looks) = (0, 0, 0, 0);
    for p in run.truth.clone().iter().filter(|p| !p.accounts.is_empty()) {
        let document = DocumentNumber::parse(p.document_type, &p.document_number).unwrap();
        report(&mut run.bureau, p, None); // a self-view, to be listed among the looks
        let e = run.bureau.explain(&document).unwrap();
        let text = e.text();
        assert_eq!(e.never_sent_purchase, ob_model::minimization::PURCHASE_FIELDS);
        assert_eq!(e.never_sent_banned, ob_model::minimization::BANNED_CATEGORY_FIELDS);
        for field in e.never_sent_purchase.iter().chain(e.never_sent_banned) {
            assert!(text.contains(field), "the text lists {field}");
        }
        // Each look of the last 2 years, as the query log has it.
        let since = YearMonth::of(e.as_of).plus(-24);
        let log: Vec<(Date, Option<String>, &str)> = run
            .bureau
            .query_log(&document)
            .unwrap()
            .into_iter()
            .filter(|q| YearMonth::of(q.at.date()) >= since)
            .map(|q| (q.at.date(), q.institution, q.reason.title().1))
            .collect();
        let said: Vec<(Date, Option<String>, &str)> =
            e.looks.iter().map(|l| (l.on, l.institution.clone(), l.reason.en)).collect();
        assert_eq!(said, log, "person {}: the looks", p.person);
        for (on, who, why) in &log {
            let line = match who {
                Some(who) => format!("{on}: {who} looked, for {why}."),
                None => format!("{on}: you looked at your own file."),
            };
            assert!(text.contains(&line), "{line} in\n{text}");
            looks += 1;
        }
        // Each lender, with the day the person authorized it (the store's consents).
        let consents = run.bureau.consents_of_person(&document).unwrap();
        let truth_lenders: BTreeSet<&str> = p.accounts.iter().map(|a| institution(&a.furnisher)).collect();
        let said: BTreeSet<&str> = e.reporters.iter().map(|r| r.institution.as_str()).collect();
        assert_eq!(said, truth_lenders, "person {}", p.person);
        for r in &e.reporters {
            let authorized = consents
                .iter()
                .filter(|c| c.organization == r.institution && c.scope == ob_model::ConsentScope::Report)
                .map(|c| c.granted_on)
                .min();
            assert_eq!(r.authorized_on, authorized, "{}", r.institution);
            if let Some(day) = authorized {
                assert!(text.contains(&format!("{}: you authorized it on {day}", r.institution)), "{text}");
            }
            lenders += 1;
            // Each account's values are the truth's last month.
            for s in &r.accounts {
                let a = p
                    .accounts
                    .iter()
                    .find(|a| {
                        institution(&a.furnisher) == r.institution
                            && a.opened_on == s.opened_on
                            && a.account_type.title_en() == s.account_type.en
                    })
                    .unwrap_or_else(|| panic!("{} {} is no true account", r.institution, s.account_ref));
                let last = a.months.last().unwrap();
                let money = |fen: i64| format!("CNY {}", Currency::CNY.format_minor(fen));
                let want = [
                    ("credit limit", money(last.credit_limit_fen)),
                    ("balance", money(last.balance_fen)),
                    ("amount of the limit used", money(last.used_fen)),
                    ("amount due this month", money(last.due_fen)),
                    ("amount paid this month", money(last.paid_fen)),
                    ("amount past due", money(last.past_due_fen)),
                    ("days past due", last.days_past_due.to_string()),
                ];
                assert_eq!(s.month, Some(last.month));
                for (field, value) in want {
                    let got = s.values.iter().find(|v| v.field.en == field).map(|v| v.value.clone());
                    assert_eq!(got.as_deref(), Some(value.as_str()), "{} {field}", a.account_key);
                    assert!(text.contains(&format!("{field} {value}")), "{field} {value} in\n{text}");
                    values += 1;
                }
                let status = s.values.iter().find(|v| v.field.en == "repayment status").unwrap();
                assert!(status.value.starts_with(&format!("{} (", last.status)), "{}", status.value);
            }
        }
        // Each late month, and the month its delinquency ended (the leaving day is 5 years after
        // that month's settlement) — computed here from the truth, apart from the bureau's code.
        let mut want_late = BTreeMap::new();
        for a in &p.accounts {
            let mut run_months: Vec<YearMonth> = Vec::new();
            for m in &a.months {
                let negative = m.status.is_negative() || m.past_due_fen > 0;
                let settles = matches!(m.status.as_str(), "C" | "G" | "Z");
                if negative {
                    run_months.push(m.month);
                    if settles {
                        want_late.extend(run_months.drain(..).map(|r| ((a.account_key.clone(), r), Some(m.month))));
                    }
                } else if !run_months.is_empty() {
                    want_late.extend(run_months.drain(..).map(|r| ((a.account_key.clone(), r), Some(m.month))));
                }
            }
            want_late.extend(run_months.drain(..).map(|r| ((a.account_key.clone(), r), None)));
        }
        assert_eq!(e.late_months.len(), want_late.len(), "person {}: late months", p.person);
        for l in &e.late_months {
            let key = p
                .accounts
                .iter()
                .find(|a| {
                    let r = e.reporters.iter().find(|r| r.institution == l.institution).unwrap();
                    let s = r.accounts.iter().find(|s| s.account_ref == l.account_ref).unwrap();
                    institution(&a.furnisher) == l.institution
                        && a.opened_on == s.opened_on
                        && a.account_type.title_en() == s.account_type.en
                })
                .unwrap()
                .account_key
                .clone();
            let ended =
                want_late.get(&(key.clone(), l.month)).unwrap_or_else(|| panic!("{key} {} is not late", l.month));
            let leaves_in = l.shows_until.map(|d| YearMonth::of(d.replace_year(d.year() - 5).unwrap_or(d)));
            assert_eq!(leaves_in, *ended, "{key} {}: 5 years after the month its delinquency ended", l.month);
            let said = match l.shows_until {
                Some(day) => format!("{}, {} (status {}): shows until {day}.", l.account_ref, l.month, l.status),
                None => format!("{}, {} (status {}): the delinquency goes on", l.account_ref, l.month, l.status),
            };
            assert!(text.contains(&said), "{said} in\n{text}");
            late += 1;
        }
    }
    assert!(
        lenders > 50 && values > 500 && late > 20 && looks > 50,
        "checked {lenders} lenders, {values} values, {late} late months, {looks} looks"
    );
}
