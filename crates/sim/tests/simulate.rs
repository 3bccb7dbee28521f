//! End-to-end checks of the simulator: its files read back cleanly and follow the format's and
//! the bureau's rules, are deterministic whatever the threads, agree with the truth (mistakes
//! included), and every product behaves as docs/simulator.md says.

use ob_formats::jsonl::Reader;
use ob_model::records::{AccountRecord, ConsentRecord, MonthRecord, Record};
use ob_model::{AccountType, Code, DocumentNumber, DocumentType, RepaymentStatus, YearMonth, limits};
use ob_sim::arith::plan_fee_fen;
use ob_sim::params::{self, PLAN_TERMS, YOUNG_CUT_LIMIT_FEN};
use ob_sim::{
    AccountOrigin, Expectation, FURNISHERS, Malformation, MistakeRates, PersonTruth, SimConfig, SimSummary,
    read_expected, read_truth, simulate, simulate_counting, simulate_with_progress,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io::BufReader;
use std::path::Path;
use time::Date;

fn config(people: u32, seed: u64) -> SimConfig {
    SimConfig { people, months: 24, seed, threads: 2, ..SimConfig::default() }
}

fn clean(people: u32, seed: u64) -> SimConfig {
    SimConfig { mistakes: MistakeRates::NONE, ..config(people, seed) }
}

fn run(config: &SimConfig) -> (tempfile::TempDir, SimSummary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = simulate(config, dir.path()).expect("simulation runs");
    (dir, summary)
}

/// One line of a file: number, and the record or the codes of its errors.
struct Line {
    number: u64,
    outcome: Result<Record, Vec<Code>>,
}

fn read_lines(path: &Path) -> (String, Vec<Line>) {
    let mut reader = Reader::new(BufReader::new(File::open(path).expect("open"))).expect("header reads");
    let furnisher = reader.header().furnisher.clone();
    let mut lines = Vec::new();
    while let Some(entry) = reader.next_entry() {
        let entry = entry.expect("read");
        let outcome = entry.outcome.map_err(|errors| errors.iter().map(|e| e.code).collect());
        lines.push(Line { number: entry.line, outcome });
    }
    (furnisher, lines)
}

/// Every record of every file in ingestion order, panicking on any line that does not parse.
fn read_all(summary: &SimSummary) -> Vec<(String, YearMonth, Date, Vec<Record>)> {
    summary
        .files
        .iter()
        .map(|f| {
            let (furnisher, lines) = read_lines(&f.path);
            assert_eq!(furnisher, f.furnisher, "header names the file's furnisher");
            let records = lines
                .into_iter()
                .map(|l| l.outcome.unwrap_or_else(|e| panic!("{}:{}: {e:?}", f.path.display(), l.number)))
                .collect();
            (furnisher, f.month, f.deliver_on, records)
        })
        .collect()
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
fn every_line_reads_back_and_the_counts_match_the_summary() {
    let (dir, summary) = run(&clean(300, 7));
    assert_eq!(summary.files.len(), FURNISHERS.len() * 24);
    let (mut consents, mut accounts, mut months, mut notices) = (0, 0, 0, 0);
    for (_, _, _, records) in read_all(&summary) {
        for r in records {
            match r {
                Record::Consent(_) => consents += 1,
                Record::Account(_) => accounts += 1,
                Record::Month(_) => months += 1,
                Record::Notice(_) => notices += 1,
                Record::Delete(_) => panic!("no deletions without mistakes"),
                Record::Rekey(_) | Record::Special(_) | Record::Agreement(_) => {
                    panic!("the simulator changes no account keys and reports no specials")
                }
            }
        }
    }
    assert_eq!(
        (consents, accounts, months, notices),
        (summary.consent_records, summary.accounts, summary.month_records, summary.notices)
    );
    assert_eq!((summary.corrections, summary.deletions, summary.malformed_lines), (0, 0, 0));
    assert!(summary.month_records > 300 * 15, "{} account-months", summary.month_records);
    for f in &summary.files {
        assert!(read_expected(&f.truth_path).expect("truth beside the file").is_empty());
    }
    let files = walk(dir.path());
    assert_eq!(files.len(), 2 * FURNISHERS.len() * 24 + 1, "files, their truth, truth.jsonl");
    let counted = simulate_counting(&clean(300, 7)).expect("counting run");
    assert_eq!(SimSummary { files: summary.files.clone(), ..counted }, summary, "the counting sink counts the same");
}

#[test]
fn files_are_in_ingestion_order_with_expected_names_and_dates() {
    let (dir, summary) = run(&config(20, 3));
    let first = YearMonth::new(2024, 1).expect("month");
    let mut codes: Vec<&str> = FURNISHERS.iter().map(|(code, _)| *code).collect();
    codes.sort_unstable();
    for (i, f) in summary.files.iter().enumerate() {
        let month = first.plus(i32::try_from(i / FURNISHERS.len()).expect("small"));
        assert_eq!((f.month, f.furnisher.as_str()), (month, codes[i % FURNISHERS.len()]));
        assert_eq!(f.path, dir.path().join(&f.furnisher).join(format!("{month}.jsonl")));
        assert_eq!(f.truth_path, dir.path().join("truth").join(&f.furnisher).join(format!("{month}.jsonl")));
        assert_eq!(f.deliver_on, month.plus(1).day(5));
        let reader = Reader::new(BufReader::new(File::open(&f.path).expect("open"))).expect("header");
        let created = format!("{}-05T02:00:00Z", month.plus(1));
        assert_eq!(reader.header().created_at.as_deref(), Some(created.as_str()));
    }
}

/// Who each record is about, for the layout check.
fn person_of(r: &Record, by_doc: &HashMap<String, u32>, by_key: &mut HashMap<String, u32>) -> (u32, u8) {
    match r {
        Record::Consent(c) => (by_doc[c.subject.document.expose()], 0),
        Record::Account(a) => {
            let p = by_doc[a.subject.document.expose()];
            by_key.insert(a.account_key.clone(), p);
            (p, 1)
        }
        Record::Notice(n) => (by_key[&n.account_key], 2),
        Record::Month(m) => (by_key[&m.account_key], 3),
        Record::Delete(d) => (by_key[&d.account_key], 5),
        Record::Rekey(k) => panic!("unexpected key change of {}", k.account_key),
        Record::Special(x) => panic!("unexpected special record of {}", x.account_key),
        Record::Agreement(a) => panic!("unexpected agreement {}", a.agreement_key),
    }
}

#[test]
fn a_persons_lines_are_contiguous_in_person_order_consents_accounts_notices_months() {
    let (dir, summary) = run(&clean(300, 11));
    let truth = read_truth(dir.path().join("truth.jsonl")).expect("truth");
    let by_doc: HashMap<String, u32> = truth.iter().map(|p| (p.document_number.clone(), p.person)).collect();
    let mut by_key = HashMap::new();
    for (furnisher, month, _, records) in read_all(&summary) {
        let order: Vec<(u32, u8)> = records.iter().map(|r| person_of(r, &by_doc, &mut by_key)).collect();
        assert!(order.is_sorted(), "{furnisher} {month}: lines out of person or kind order");
    }
}

/// What the rules check needs to know about an account.
struct Seen {
    account: AccountRecord,
    last: Option<YearMonth>,
    ended: bool,
    negative_before: bool,
    notices: Vec<Date>,
}

fn in_force(consents: &[ConsentRecord], day: Date) -> bool {
    consents.iter().any(|c| c.granted_on <= day && day <= c.expires_on)
}

fn check_month(seen: &mut Seen, consents: &[ConsentRecord], file_month: YearMonth, m: &MonthRecord) {
    let key = &m.account_key;
    assert_eq!(m.month, file_month, "{key}: a month record sits in its month's file");
    assert!(!seen.ended, "{key}: reported after its last month");
    match seen.last {
        Some(last) => assert_eq!(m.month, last.plus(1), "{key}: months are consecutive"),
        None => assert!(m.month >= YearMonth::of(seen.account.opened_on), "{key}: not before opening"),
    }
    assert!(in_force(consents, m.settled_on), "{key} {}: consent in force on the settlement date", m.month);
    let limit = m.credit_limit_minor.unwrap_or(seen.account.credit_limit_minor);
    if seen.account.account_type != AccountType::C1 {
        assert!(m.used_minor * 100 <= limit * limits::USED_OVER_LIMIT_PERCENT_MAX, "{key}: used over 150%");
    }
    assert!(m.check().is_empty(), "{key} {}: {:?}", m.month, m.check());
    let negative = m.status.is_negative();
    if negative && !seen.negative_before {
        let noticed = seen.notices.iter().any(|d| *d <= m.settled_on && *d >= seen.account.opened_on);
        assert!(noticed, "{key} {}: first negative month without a notice before it", m.month);
    }
    seen.negative_before = negative;
    seen.ended =
        m.status.is_terminal() || matches!(m.status, RepaymentStatus::BadDebt | RepaymentStatus::AssetTransfer);
    seen.last = Some(m.month);
}

#[test]
fn records_follow_the_consent_account_notice_and_month_rules() {
    let (_dir, summary) = run(&clean(400, 12));
    let mut consents: HashMap<(String, String), Vec<ConsentRecord>> = HashMap::new();
    let mut accounts: HashMap<(String, String), Seen> = HashMap::new();
    for (furnisher, month, deliver_on, records) in read_all(&summary) {
        for r in records {
            match r {
                Record::Consent(c) => {
                    consents.entry((furnisher.clone(), c.subject.document.expose().to_owned())).or_default().push(c)
                }
                Record::Account(a) => {
                    let held = &consents[&(furnisher.clone(), a.subject.document.expose().to_owned())];
                    assert!(in_force(held, deliver_on), "{}: consent in force when the account arrives", a.account_key);
                    if let Some(line) = &a.credit_line_key {
                        let l = &accounts[&(furnisher.clone(), line.clone())].account;
                        assert_eq!(
                            (a.account_type, l.account_type, &l.subject),
                            (AccountType::R4, AccountType::R1, &a.subject)
                        );
                        assert!(l.opened_on <= a.opened_on, "{}: a plan opens after its line", a.account_key);
                    }
                    let fresh =
                        Seen { account: a, last: None, ended: false, negative_before: false, notices: Vec::new() };
                    assert!(accounts.insert((furnisher.clone(), fresh.account.account_key.clone()), fresh).is_none());
                }
                Record::Notice(n) => {
                    let seen =
                        accounts.get_mut(&(furnisher.clone(), n.account_key.clone())).expect("notice after account");
                    assert!(YearMonth::of(n.notified_on) <= month && n.notified_on < deliver_on);
                    seen.notices.push(n.notified_on);
                }
                Record::Month(m) => {
                    let seen = accounts.get_mut(&(furnisher.clone(), m.account_key.clone())).expect("opened first");
                    let held = &consents[&(furnisher.clone(), seen.account.subject.document.expose().to_owned())];
                    check_month(seen, held, month, &m);
                }
                Record::Delete(_) => panic!("no deletions without mistakes"),
                Record::Rekey(_) | Record::Special(_) | Record::Agreement(_) => {
                    panic!("the simulator changes no account keys and reports no specials")
                }
            }
        }
    }
    let last = YearMonth::new(2025, 12).expect("month");
    for seen in accounts.values() {
        assert!(seen.ended || seen.last == Some(last), "{}: reported to the end", seen.account.account_key);
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
fn the_same_seed_gives_the_same_bytes_whatever_the_threads_and_chunks() {
    let one = SimConfig { threads: 1, chunk_people: 500, ..config(300, 42) };
    let four = SimConfig { threads: 4, chunk_people: 7, ..config(300, 42) };
    let (a, _) = run(&one);
    let (b, _) = run(&four);
    let (c, _) = run(&config(300, 43));
    let (fa, fb, fc) = (file_bytes(a.path()), file_bytes(b.path()), file_bytes(c.path()));
    assert_eq!(fa.len(), 2 * FURNISHERS.len() * 24 + 1);
    assert!(fa == fb, "1 thread and 4 threads, chunks of 500 and of 7: the same bytes");
    assert_eq!(fa.keys().collect::<Vec<_>>(), fc.keys().collect::<Vec<_>>());
    for name in ["/HUABEI/2025-06.jsonl", "/truth.jsonl"] {
        assert_ne!(fa.get(name), fc.get(name), "{name} should differ under another seed");
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
fn corrections_and_malformed_lines_change_nothing_but_the_files() {
    let quiet = MistakeRates { phantoms_per_million: 0, ..MistakeRates::default() };
    let (a, _) = run(&clean(200, 8));
    let (b, sb) = run(&SimConfig { mistakes: quiet, ..config(200, 8) });
    assert_eq!(fs::read(a.path().join("truth.jsonl")).ok(), fs::read(b.path().join("truth.jsonl")).ok());
    assert!(sb.corrections > 0 && sb.malformed_lines > 0, "{sb:?}");
}

/// Every line the truth beside each file names, by (file, line).
fn expectations(summary: &SimSummary, dir: &Path) -> HashMap<(String, u64), Expectation> {
    let mut out = HashMap::new();
    for f in &summary.files {
        let name = f.path.strip_prefix(dir).expect("inside").to_string_lossy().replace('\\', "/");
        for e in read_expected(&f.truth_path).expect("truth") {
            assert!(out.insert((name.clone(), e.line), e.expect).is_none());
        }
    }
    out
}

/// Malformations the reader itself rejects (the others parse, and the bureau rejects them).
fn rejected_by_the_reader(m: Malformation) -> bool {
    use Malformation as M;
    !matches!(
        m,
        M::DateInFuture
            | M::MonthDuplicate
            | M::UsedOverLimit
            | M::BeforeOpening
            | M::UnknownAccount
            | M::NotOwnAccount
            | M::IdentityConflict
            | M::DeletedAccountMonth
    )
}

/// The state the files add up to: accounts (with their last terms) and their months, as a bureau
/// keeping only the latest versions would hold them.
#[derive(Default)]
struct Replay {
    accounts: HashMap<String, (AccountRecord, bool)>,
    months: HashMap<String, BTreeMap<YearMonth, MonthRecord>>,
}

#[test]
fn the_files_add_up_to_the_truth_and_every_deliberate_line_is_as_the_truth_says() {
    let mut cfg = config(400, 9);
    cfg.mistakes =
        MistakeRates { corrections_per_million: 20_000, malformed_per_million: 100_000, phantoms_per_million: 50_000 };
    let (dir, summary) = run(&cfg);
    let expected = expectations(&summary, dir.path());
    let mut replay = Replay::default();
    let mut kinds = HashSet::new();
    for f in &summary.files {
        let name = f.path.strip_prefix(dir.path()).expect("inside").to_string_lossy().replace('\\', "/");
        for line in read_lines(&f.path).1 {
            match (expected.get(&(name.clone(), line.number)), line.outcome) {
                (Some(Expectation::Reject { code, malformation }), outcome) => {
                    kinds.insert(*malformation);
                    match outcome {
                        Err(codes) => {
                            assert!(rejected_by_the_reader(*malformation), "{name}:{}", line.number);
                            assert_eq!(codes[0].as_str(), code, "{name}:{}", line.number);
                        }
                        Ok(_) => assert!(!rejected_by_the_reader(*malformation), "{name}:{} parsed", line.number),
                    }
                }
                (_, Err(codes)) => panic!("{name}:{}: unexpected {codes:?}", line.number),
                (_, Ok(record)) => apply(&mut replay, record),
            }
        }
    }
    assert_eq!(kinds.len(), Malformation::ALL.len(), "every kind of malformation appears: {kinds:?}");
    let truth = read_truth(dir.path().join("truth.jsonl")).expect("truth");
    let mut kept = 0;
    for p in &truth {
        for a in &p.accounts {
            let (account, deleted) = &replay.accounts[&a.account_key];
            assert!(!deleted);
            let limit = account.credit_limit_minor;
            let months: Vec<_> = replay.months[&a.account_key].values().collect();
            assert_eq!(months.len(), a.months.len(), "{}", a.account_key);
            for (m, t) in months.iter().zip(&a.months) {
                let got =
                    (m.month, m.status, m.balance_minor, m.used_minor, m.due_minor, m.paid_minor, m.past_due_minor);
                let want = (t.month, t.status, t.balance_fen, t.used_fen, t.due_fen, t.paid_fen, t.past_due_fen);
                assert_eq!(got, want, "{}", a.account_key);
                assert_eq!(
                    (m.days_past_due, m.credit_limit_minor.unwrap_or(limit)),
                    (t.days_past_due, t.credit_limit_fen)
                );
            }
            kept += 1;
        }
        for a in &p.deleted_accounts {
            assert!(replay.accounts[&a.account_key].1, "{} deleted", a.account_key);
            assert_eq!(a.origin, AccountOrigin::ReportedByMistake);
        }
    }
    let live = replay.accounts.values().filter(|(_, deleted)| !deleted).count();
    assert_eq!(live, kept, "no account beyond the truth's");
    check_corrections(&expected, &summary, dir.path());
}

fn apply(replay: &mut Replay, record: Record) {
    match record {
        Record::Account(a) => {
            replay.accounts.insert(a.account_key.clone(), (a, false));
        }
        Record::Month(m) => {
            replay.months.entry(m.account_key.clone()).or_default().insert(m.month, m);
        }
        Record::Delete(d) => {
            assert!(d.months.is_none(), "the simulator deletes whole accounts");
            if let Some(a) = replay.accounts.get_mut(&d.account_key) {
                a.1 = true;
            }
            replay.months.remove(&d.account_key);
        }
        Record::Consent(_) | Record::Notice(_) => {}
        Record::Rekey(k) => panic!("unexpected key change of {}", k.account_key),
        Record::Special(x) => panic!("unexpected special record of {}", x.account_key),
        Record::Agreement(a) => panic!("unexpected agreement {}", a.agreement_key),
    }
}

/// Each wrong month holds the values the truth says were sent; its correction the right ones.
fn check_corrections(expected: &HashMap<(String, u64), Expectation>, summary: &SimSummary, dir: &Path) {
    let mut lines: HashMap<(String, u64), Record> = HashMap::new();
    for f in &summary.files {
        let name = f.path.strip_prefix(dir).expect("inside").to_string_lossy().replace('\\', "/");
        for l in read_lines(&f.path).1 {
            if let Ok(r) = l.outcome {
                lines.insert((name.clone(), l.number), r);
            }
        }
    }
    let month_at = |file: &str, line: u64| match &lines[&(file.to_owned(), line)] {
        Record::Month(m) => m.clone(),
        other => panic!("{file}:{line} is a {} record", other.kind()),
    };
    let mut corrected = 0;
    for ((file, line), e) in expected {
        if let Expectation::Corrected { month, sent, correct, corrected_by, corrected_on } = e {
            let wrong = month_at(file, *line);
            let right = month_at(&corrected_by.file, corrected_by.line);
            assert_eq!((wrong.month, right.month), (*month, *month));
            assert_eq!(ob_sim::MonthValues::of(&wrong), *sent);
            assert_eq!(ob_sim::MonthValues::of(&right), *correct);
            assert_ne!(sent, correct);
            let fixer = summary.files.iter().find(|f| f.path.ends_with(&corrected_by.file)).expect("file");
            assert_eq!(fixer.deliver_on, *corrected_on);
            assert!(matches!(
                expected[&(corrected_by.file.clone(), corrected_by.line)],
                Expectation::Correction { .. }
            ));
            corrected += 1;
        }
    }
    assert!(corrected > 50, "{corrected} corrections checked");
}

#[test]
fn identities_are_valid_unique_and_carry_their_birth_dates_and_regions() {
    let (dir, _) = run(&clean(2_000, 13));
    let truth = read_truth(dir.path().join("truth.jsonl")).expect("truth");
    let mut numbers = HashSet::new();
    for p in &truth {
        assert_eq!(p.document_type, DocumentType::PrcResidentId);
        let doc = DocumentNumber::parse(DocumentType::PrcResidentId, &p.document_number).expect("valid resident ID");
        assert_eq!(doc.prc_birth_date(), Some(p.birth_date));
        assert_eq!(&p.document_number[..6], p.region);
        assert!((1960..=2004).contains(&p.birth_date.year()));
        assert!((2..=4).contains(&p.name.chars().count()), "{}", p.name);
        assert!(numbers.insert(p.document_number.clone()), "duplicate ID");
        assert!(p.monthly_income_fen >= 200_000 && p.monthly_income_fen < 6_000_000);
    }
}

/// Whether any reported month of the person is overdue.
fn ever_overdue(p: &PersonTruth) -> bool {
    p.accounts
        .iter()
        .filter(|a| a.origin == AccountOrigin::Own)
        .flat_map(|a| &a.months)
        .any(|m| m.status.overdue_periods().is_some())
}

#[test]
fn only_trouble_makes_people_overdue_and_charge_offs_end_as_each_product_says() {
    let (dir, _) = run(&clean(3_000, 21));
    let truth = read_truth(dir.path().join("truth.jsonl")).expect("truth");
    for p in &truth {
        if ever_overdue(p) {
            assert!(!p.life_events.is_empty(), "person {} is overdue without trouble", p.person);
        }
        for a in &p.accounts {
            let ends: Vec<_> = a.months.iter().filter(|m| matches!(m.status.as_str(), "G" | "B" | "Z")).collect();
            if let Some(end) = ends.first() {
                assert_eq!(ends.len(), 1, "{}: one ending", a.account_key);
                assert_eq!(end.month, a.months.last().expect("months").month, "{}: the ending is last", a.account_key);
                let before = &a.months[a.months.len().saturating_sub(2)];
                let long = a.months.len() < 2 || before.days_past_due > 150 || a.account_type == AccountType::R4;
                assert!(long, "{}: ended after a long delinquency", a.account_key);
                let want = match (a.furnisher.as_str(), a.account_type) {
                    ("ZSBANK", _) => "B",
                    ("JSBANK", _) => "Z",
                    (_, AccountType::C1) => "G",
                    _ => "G",
                };
                assert_eq!(end.status.as_str(), want, "{}", a.account_key);
                let bought = p.accounts.iter().find(|c| c.collected_from.as_deref() == Some(&a.account_key));
                let sold = want == "G" && a.account_type != AccountType::C1 && a.account_type != AccountType::R4;
                let next_in_window = end.month < YearMonth::new(2025, 12).expect("month");
                assert_eq!(bought.is_some(), sold && next_in_window, "{}: collected iff sold", a.account_key);
                if let Some(c) = bought {
                    assert_eq!((c.account_type, c.furnisher.as_str()), (AccountType::C1, "HXAMC"));
                    assert_eq!(c.first_reported, end.month.plus(1));
                    let first = c.months[0].status.as_str();
                    assert!(c.credit_limit_fen > 0 && ["7", "G", "C"].contains(&first), "{}: {first}", c.account_key);
                }
            }
        }
    }
    let collections = truth.iter().flat_map(|p| &p.accounts).filter(|a| a.account_type == AccountType::C1).count();
    assert!(collections > 20, "{collections} debts bought by the collector");
}

#[test]
fn plans_repay_principal_plus_fee_and_limits_move_as_the_rules_say() {
    let (dir, _) = run(&clean(3_000, 22));
    let truth = read_truth(dir.path().join("truth.jsonl")).expect("truth");
    let (mut plans_checked, mut raised, mut cut) = (0, 0, 0);
    for p in &truth {
        for a in &p.accounts {
            if a.account_type == AccountType::R4 && YearMonth::of(a.opened_on) == a.first_reported {
                let clean_end = a.months.last().is_some_and(|m| m.status == RepaymentStatus::Settled);
                let never_late = a.months.iter().all(|m| m.past_due_fen == 0);
                let periods = a.periods.expect("plans state their periods");
                let fee_bp = PLAN_TERMS.iter().find(|t| t.0 == periods).expect("a plan term").1;
                if clean_end && never_late && a.months.len() == usize::from(periods) + 1 {
                    let paid: i64 = a.months.iter().map(|m| m.paid_fen).sum();
                    assert_eq!(
                        paid,
                        a.credit_limit_fen + plan_fee_fen(a.credit_limit_fen, fee_bp),
                        "{}",
                        a.account_key
                    );
                    plans_checked += 1;
                }
            }
            if matches!(a.account_type, AccountType::R1 | AccountType::R2) {
                for (i, w) in a.months.windows(2).enumerate() {
                    if w[1].credit_limit_fen > w[0].credit_limit_fen {
                        // Decided after month i's settlement: it and the five before it were clean.
                        let recent = &a.months[i.saturating_sub(5)..=i];
                        assert!(recent.iter().all(|m| m.past_due_fen == 0), "{}: raised while late", a.account_key);
                        raised += 1;
                    } else if w[1].credit_limit_fen < w[0].credit_limit_fen {
                        let december = w[1].month;
                        assert_eq!((a.furnisher.as_str(), december.month()), ("HUABEI", 12), "{}", a.account_key);
                        assert!(december < YearMonth::new(2025, 1).expect("month"), "only the first December");
                        let had_birthday = (p.birth_date.month() as u8, p.birth_date.day()) <= (12, 1);
                        let age = december.year() - p.birth_date.year() - i32::from(!had_birthday);
                        assert!(age < params::YOUNG_CUT_AGE_BELOW_YEARS, "{}: cut at {age}", a.account_key);
                        assert!(
                            w[1].credit_limit_fen >= YOUNG_CUT_LIMIT_FEN
                                && w[1].used_fen <= w[1].credit_limit_fen * 3 / 2
                        );
                        cut += 1;
                    }
                }
            }
        }
    }
    assert!(plans_checked > 50 && raised > 50 && cut > 5, "{plans_checked} plans, {raised} raises, {cut} cuts");
}

#[test]
fn the_lines_reporting_rolls_out_over_a_year_and_the_banks_report_from_the_start() {
    let (dir, _) = run(&clean(2_000, 23));
    let truth = read_truth(dir.path().join("truth.jsonl")).expect("truth");
    let first = YearMonth::new(2024, 1).expect("month");
    let mut rollout_months = HashSet::new();
    for p in &truth {
        for a in p.accounts.iter().filter(|a| a.origin == AccountOrigin::Own && a.account_type != AccountType::R4) {
            let opened = YearMonth::of(a.opened_on);
            let asked = p.authorizations.iter().find(|x| x.furnisher == a.furnisher).expect("asked").asked_on;
            match a.furnisher.as_str() {
                "HUABEI" if opened < YearMonth::of(asked) => {
                    assert_eq!(a.first_reported, YearMonth::of(asked), "{}: reported from its rollout", a.account_key);
                    rollout_months.insert(a.first_reported);
                }
                _ => assert_eq!(a.first_reported, opened.max(first), "{}: reported from opening", a.account_key),
            }
        }
    }
    let expected: HashSet<YearMonth> = (0..params::HUABEI.rollout_months as i32).map(|i| first.plus(i)).collect();
    assert_eq!(rollout_months, expected, "existing users reached month by month over the rollout");
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
    let none = ob_sim::BehaviourMix { transactor: 0, revolver: 0, struggling: 0, closer: 0, fraud_victim: 0 };
    let too_many = MistakeRates { malformed_per_million: 1_000_001, ..MistakeRates::NONE };
    for cfg in [
        SimConfig { months: 0, ..SimConfig::default() },
        SimConfig { months: 121, ..SimConfig::default() },
        SimConfig { mix: none, ..SimConfig::default() },
        SimConfig { end_month: YearMonth::new(1905, 1).expect("month"), ..SimConfig::default() },
        SimConfig { chunk_people: 0, ..SimConfig::default() },
        SimConfig { mistakes: too_many, ..SimConfig::default() },
    ] {
        let err = simulate(&cfg, dir.path()).expect_err("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}
