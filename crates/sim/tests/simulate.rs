//! End-to-end checks of the simulator: its files read back cleanly, are deterministic, agree with
//! the truth, and the population behaves as configured.

use ob_formats::jsonl::Reader;
use ob_model::records::{AccountRecord, ConsentRecord, MonthRecord, Record};
use ob_model::{DocumentNumber, DocumentType, RepaymentStatus, YearMonth, limits};
use ob_sim::{Behaviour, FURNISHERS, PersonTruth, SimConfig, SimSummary, read_truth, simulate, simulate_with_progress};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io::BufReader;
use std::path::Path;

fn config(people: u32, seed: u64) -> SimConfig {
    SimConfig { people, months: 24, seed, ..SimConfig::default() }
}

fn run(config: &SimConfig) -> (tempfile::TempDir, SimSummary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = simulate(config, dir.path()).expect("simulation runs");
    (dir, summary)
}

/// Every record of a file, in order; panics on any error with its line and problems.
fn read_records(path: &Path) -> (String, Vec<Record>) {
    let mut reader = Reader::new(BufReader::new(File::open(path).expect("open"))).expect("header reads");
    let furnisher = reader.header().furnisher.clone();
    let mut records = Vec::new();
    while let Some(entry) = reader.next_entry() {
        let entry = entry.expect("read");
        match entry.outcome {
            Ok(r) => records.push(r),
            Err(errors) => panic!("{}:{}: {errors:?}", path.display(), entry.line),
        }
    }
    (furnisher, records)
}

/// Every record of every file, keyed by (furnisher, month), in the summary's ingestion order.
fn read_all(summary: &SimSummary) -> Vec<(String, YearMonth, Vec<Record>)> {
    summary
        .files
        .iter()
        .map(|f| {
            let (furnisher, records) = read_records(&f.path);
            assert_eq!(furnisher, f.furnisher, "header names the file's furnisher");
            (furnisher, f.month, records)
        })
        .collect()
}

#[test]
fn every_record_reads_back_without_errors() {
    let cfg = config(200, 7);
    let (dir, summary) = run(&cfg);
    assert_eq!(summary.files.len(), FURNISHERS.len() * 24);
    let all = read_all(&summary);
    let (mut consents, mut accounts, mut months) = (0, 0, 0);
    for (_, _, records) in &all {
        for r in records {
            match r {
                Record::Consent(_) => consents += 1,
                Record::Account(_) => accounts += 1,
                Record::Month(_) => months += 1,
                other => panic!("the first simulator writes no {} records", other.kind()),
            }
        }
    }
    assert_eq!((consents, accounts, months), (summary.consent_records, summary.accounts, summary.month_records));
    assert!(summary.accounts >= 200, "everyone holds the Huabei-like line");
    assert!(summary.month_records > 200 * 12);
    let leftovers: Vec<_> = walk(dir.path()).into_iter().filter(|p| !p.ends_with(".jsonl")).collect();
    assert!(leftovers.is_empty(), "scratch files left behind: {leftovers:?}");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[test]
fn files_are_in_ingestion_order_with_expected_names_and_dates() {
    let (dir, summary) = run(&config(20, 3));
    let first = YearMonth::new(2024, 1).expect("month");
    for (i, f) in summary.files.iter().enumerate() {
        let month = first.plus(i32::try_from(i / 3).expect("small"));
        assert_eq!(f.month, month);
        assert_eq!(f.path, dir.path().join(&f.furnisher).join(format!("{month}.jsonl")));
        assert_eq!(f.deliver_on, month.plus(1).day(5));
        let reader = Reader::new(BufReader::new(File::open(&f.path).expect("open"))).expect("header");
        let created = format!("{}-05T02:00:00Z", month.plus(1));
        assert_eq!(reader.header().created_at.as_deref(), Some(created.as_str()));
    }
    let codes: Vec<_> = summary.files[..3].iter().map(|f| f.furnisher.as_str()).collect();
    assert_eq!(codes, ["HUABEI", "XFLOAN", "ZSBANK"], "sorted by (month, furnisher)");
}

/// Within a file: consents and openings first, then month records; each consent is followed by
/// the account of the same person; both parts in person order.
fn check_file_layout(records: &[Record]) {
    let first_month = records.iter().position(|r| matches!(r, Record::Month(_))).unwrap_or(records.len());
    assert!(records[first_month..].iter().all(|r| matches!(r, Record::Month(_))), "months come last");
    let openings = &records[..first_month];
    assert_eq!(openings.len() % 2, 0);
    let mut keys = Vec::new();
    for pair in openings.chunks(2) {
        let (Record::Consent(c), Record::Account(a)) = (&pair[0], &pair[1]) else {
            panic!("a consent then its account, got {} then {}", pair[0].kind(), pair[1].kind());
        };
        assert_eq!(c.subject, a.subject, "consent and account are about the same person");
        keys.push(a.account_key.clone());
    }
    assert!(keys.is_sorted(), "openings in person order");
    let month_keys: Vec<_> = records[first_month..]
        .iter()
        .filter_map(|r| if let Record::Month(m) = r { Some(m.account_key.clone()) } else { None })
        .collect();
    assert!(month_keys.is_sorted(), "months in person order");
}

/// Account-level rules across files: consent before account before months; months consecutive
/// from the first reported one; nothing after C; used amount within 150% of the limit.
struct AccountCheck {
    account: AccountRecord,
    consent: ConsentRecord,
    last_month: Option<YearMonth>,
    closed: bool,
}

fn check_month(state: &mut AccountCheck, file_month: YearMonth, m: &MonthRecord) {
    assert_eq!(m.month, file_month, "a month record sits in its month's file");
    assert!(!state.closed, "{}: reported after closing", m.account_key);
    if let Some(last) = state.last_month {
        assert_eq!(m.month, last.plus(1), "{}: months are consecutive", m.account_key);
    } else {
        assert!(state.consent.granted_on <= state.account.opened_on);
        assert!(state.consent.granted_on < m.settled_on, "consent before the first settlement date");
    }
    assert!(state.consent.expires_on > m.settled_on, "consent in force");
    assert!(m.settled_on >= state.account.opened_on, "{}: settled before opening", m.account_key);
    let limit = state.account.credit_limit_minor;
    assert!(m.used_minor * 100 <= limit * limits::USED_OVER_LIMIT_PERCENT_MAX, "{}: used over 150%", m.account_key);
    assert!(m.past_due_minor <= m.balance_minor, "{}: past due above balance", m.account_key);
    assert!(m.check().is_empty());
    if m.status == RepaymentStatus::Settled {
        assert!(m.closed_on.is_some_and(|d| d >= state.account.opened_on && YearMonth::of(d) == m.month));
        state.closed = true;
    }
    state.last_month = Some(m.month);
}

#[test]
fn records_respect_layout_consent_and_account_rules() {
    let (_dir, summary) = run(&config(200, 11));
    let mut accounts: HashMap<(String, String), AccountCheck> = HashMap::new();
    let mut pending_consent: Option<ConsentRecord> = None;
    for (furnisher, month, records) in read_all(&summary) {
        check_file_layout(&records);
        for r in records {
            match r {
                Record::Consent(c) => pending_consent = Some(c),
                Record::Account(a) => {
                    let consent = pending_consent.take().expect("consent precedes account");
                    let key = (furnisher.clone(), a.account_key.clone());
                    let fresh = AccountCheck { account: a, consent, last_month: None, closed: false };
                    assert!(accounts.insert(key, fresh).is_none(), "account opened once");
                }
                Record::Month(m) => {
                    let state = accounts
                        .get_mut(&(furnisher.clone(), m.account_key.clone()))
                        .expect("account opened before its months");
                    check_month(state, month, &m);
                }
                other => panic!("unexpected {} record", other.kind()),
            }
        }
    }
    let last = YearMonth::new(2025, 12).expect("month");
    for state in accounts.values() {
        assert!(state.closed || state.last_month == Some(last), "open accounts are reported to the window's end");
    }
}

fn file_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|p| {
            (p.strip_prefix(dir.to_str().expect("utf-8")).expect("prefix").to_owned(), fs::read(&p).expect("read"))
        })
        .collect()
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_does_not() {
    let (a, _) = run(&config(200, 42));
    let (b, _) = run(&config(200, 42));
    let (c, _) = run(&config(200, 43));
    let (fa, fb, fc) = (file_bytes(a.path()), file_bytes(b.path()), file_bytes(c.path()));
    assert_eq!(fa.len(), 3 * 24 + 1);
    assert!(fa == fb, "same seed, same bytes");
    assert_eq!(fa.keys().collect::<Vec<_>>(), fc.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert_ne!(Some(bytes), fc.get(name), "{name} should differ under another seed");
    }
}

#[test]
fn a_person_does_not_depend_on_how_many_others_are_simulated() {
    let (small, _) = run(&config(30, 5));
    let (large, _) = run(&config(200, 5));
    let small = read_truth(small.path().join("truth.jsonl")).expect("truth");
    let large = read_truth(large.path().join("truth.jsonl")).expect("truth");
    assert_eq!(small[..], large[..30]);
}

#[test]
fn truth_agrees_with_the_files() {
    let (dir, summary) = run(&config(200, 9));
    let truth = read_truth(dir.path().join("truth.jsonl")).expect("truth reads");
    assert_eq!(truth.len(), 200);
    let mut reported = HashMap::new();
    let mut opened = HashMap::new();
    for (furnisher, _, records) in read_all(&summary) {
        for r in records {
            match r {
                Record::Month(m) => {
                    reported.insert((furnisher.clone(), m.account_key.clone(), m.month), m);
                }
                Record::Account(a) => {
                    opened.insert((furnisher.clone(), a.account_key.clone()), a);
                }
                Record::Consent(_) | Record::Delete(_) | Record::Notice(_) | Record::Rekey(_) => {}
            }
        }
    }
    let mut truth_months = 0;
    for (i, p) in truth.iter().enumerate() {
        assert_eq!(p.person as usize, i);
        for a in &p.accounts {
            let acct = &opened[&(a.furnisher.clone(), a.account_key.clone())];
            assert_eq!(
                (acct.opened_on, acct.credit_limit_minor, acct.account_type),
                (a.opened_on, a.credit_limit_fen, a.account_type)
            );
            assert_eq!(acct.subject.document.expose(), p.document_number);
            assert_eq!(acct.subject.name, p.name);
            for t in &a.months {
                let m =
                    reported.get(&(a.furnisher.clone(), a.account_key.clone(), t.month)).expect("truth month reported");
                let got = (m.status, m.balance_minor, m.used_minor, m.past_due_minor, m.days_past_due);
                assert_eq!(
                    got,
                    (t.status, t.balance_fen, t.used_fen, t.past_due_fen, t.days_past_due),
                    "{} {}",
                    a.account_key,
                    t.month
                );
                truth_months += 1;
            }
        }
    }
    assert_eq!(truth_months, reported.len(), "every reported month is in the truth");
    assert_eq!(opened.len() as u64, summary.accounts);
}

#[test]
fn identities_are_valid_unique_and_carry_their_birth_dates() {
    let (dir, _) = run(&config(2_000, 13));
    let truth = read_truth(dir.path().join("truth.jsonl")).expect("truth");
    let mut numbers = HashSet::new();
    for p in &truth {
        assert_eq!(p.document_type, DocumentType::PrcResidentId);
        let doc = DocumentNumber::parse(DocumentType::PrcResidentId, &p.document_number).expect("valid resident ID");
        assert_eq!(doc.prc_birth_date(), Some(p.birth_date));
        assert!((1960..=2004).contains(&p.birth_date.year()));
        assert!((2..=4).contains(&p.name.chars().count()), "{}", p.name);
        assert!(numbers.insert(p.document_number.clone()), "duplicate ID");
        assert!(p.accounts.iter().any(|a| a.furnisher == "HUABEI"), "everyone has the line");
        assert!((1..=3).contains(&p.accounts.len()));
    }
}

fn statuses(p: &PersonTruth) -> impl Iterator<Item = RepaymentStatus> + '_ {
    p.accounts.iter().flat_map(|a| a.months.iter().map(|m| m.status))
}

#[test]
fn behaviours_follow_the_mix_and_drive_statuses() {
    let cfg = config(2_000, 21);
    let (dir, _) = run(&cfg);
    let truth = read_truth(dir.path().join("truth.jsonl")).expect("truth");
    for b in Behaviour::ALL {
        let count = truth.iter().filter(|p| p.behaviour == b).count();
        let share = 100.0 * count as f64 / truth.len() as f64;
        let expected = cfg.mix.percent(b);
        assert!((share - expected).abs() <= 4.0, "{b:?}: {share:.1}% vs {expected:.1}%");
    }
    let calm = [RepaymentStatus::Normal, RepaymentStatus::Settled, RepaymentStatus::NothingDue];
    for p in
        truth.iter().filter(|p| matches!(p.behaviour, Behaviour::Transactor | Behaviour::Revolver | Behaviour::Closer))
    {
        assert!(statuses(p).all(|s| calm.contains(&s)), "{:?} person {} went overdue", p.behaviour, p.person);
    }
    for p in truth.iter().filter(|p| p.behaviour != Behaviour::Closer) {
        assert!(
            statuses(p).all(|s| s != RepaymentStatus::Settled)
                || p.accounts.iter().any(|a| a.account_type == ob_model::AccountType::D1)
        );
    }
    let struggling: Vec<_> = truth.iter().filter(|p| p.behaviour == Behaviour::Struggling).collect();
    let deep = struggling.iter().filter(|p| statuses(p).any(|s| s.overdue_periods().is_some_and(|n| n >= 3))).count();
    let seven = struggling.iter().filter(|p| statuses(p).any(|s| s == RepaymentStatus::Overdue7)).count();
    assert!(deep * 2 > struggling.len(), "most struggling people reach status 3+: {deep} of {}", struggling.len());
    assert!(seven > 0, "some reach status 7");
    let cured = struggling.iter().filter(|p| {
        p.accounts.iter().any(|a| {
            a.months
                .windows(2)
                .any(|w| w[0].status.overdue_periods().is_some() && w[1].status == RepaymentStatus::Normal)
        })
    });
    assert!(cured.count() > 0, "some struggling people cure");
    let closers = truth.iter().filter(|p| p.behaviour == Behaviour::Closer);
    let closed = closers.filter(|p| statuses(p).any(|s| s == RepaymentStatus::Settled)).count();
    assert!(closed > 0, "closers close");
    let nothing_due = truth.iter().filter(|p| statuses(p).any(|s| s == RepaymentStatus::NothingDue)).count();
    assert!(nothing_due > 0, "idle months show *");
}

#[test]
fn progress_reports_people_done() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut seen = Vec::new();
    simulate_with_progress(&config(2_500, 1), dir.path(), &mut |n| seen.push(n)).expect("runs");
    assert_eq!(seen, [1_000, 2_000, 2_500]);
}

#[test]
fn bad_configurations_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    for cfg in [
        SimConfig { months: 0, ..SimConfig::default() },
        SimConfig { months: 121, ..SimConfig::default() },
        SimConfig {
            mix: ob_sim::BehaviourMix { transactor: 0, revolver: 0, struggling: 0, closer: 0 },
            ..SimConfig::default()
        },
        SimConfig { end_month: YearMonth::new(1905, 1).expect("month"), ..SimConfig::default() },
    ] {
        let err = simulate(&cfg, dir.path()).expect_err("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}
