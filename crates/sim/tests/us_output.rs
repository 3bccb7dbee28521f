//! US output: Metro 2 files that validate and map onto exactly the records of their canonical
//! twin, the same people as PRC output under US identities, and the same bytes whatever the
//! threads.

use ob_formats::metro2::{self, DataRecord, to_model};
use ob_model::records::{AccountRecord, Record};
use ob_model::{AccountType, Currency, DocumentType, YearMonth};
use ob_sim::{MistakeRates, OutputFormat, PersonTruth, SimConfig, SimSummary, read_truth, simulate};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

fn config(format: OutputFormat, people: u32) -> SimConfig {
    SimConfig {
        people,
        months: 12,
        seed: 5,
        end_month: YearMonth::parse("2025-06").expect("month"),
        mistakes: MistakeRates {
            corrections_per_million: 50_000,
            malformed_per_million: 0,
            phantoms_per_million: 80_000,
        },
        threads: 2,
        format,
        ..SimConfig::default()
    }
}

fn run(config: &SimConfig) -> (tempfile::TempDir, SimSummary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = simulate(config, dir.path()).expect("simulation runs");
    (dir, summary)
}

/// The records a Metro 2 file maps onto, as the bureau maps them.
fn metro2_records(path: &Path) -> Vec<Record> {
    let mut reader = metro2::Reader::new(BufReader::new(File::open(path).expect("open"))).expect("reads");
    let mut out = Vec::new();
    while let Some(next) = reader.next_record() {
        let rec = next.expect("record reads");
        let data = DataRecord::parse(&rec).expect("record parses");
        out.extend(to_model::to_records(&data).expect("record maps onto the model"));
    }
    out
}

/// The records of a canonical file.
fn jsonl_records(path: &Path) -> Vec<Record> {
    let mut reader = ob_formats::jsonl::Reader::new(BufReader::new(File::open(path).expect("open"))).expect("header");
    let mut out = Vec::new();
    while let Some(entry) = reader.next_entry() {
        out.push(entry.expect("line reads").outcome.expect("line is valid"));
    }
    out
}

#[test]
fn metro2_files_validate_and_map_onto_exactly_the_records_of_their_canonical_twin() {
    let (m2_dir, m2) = run(&config(OutputFormat::Metro2, 120));
    let (twin_dir, twin) = run(&config(OutputFormat::CanonicalUs, 120));
    assert_eq!(
        read_truth(m2_dir.path().join("truth.jsonl")).expect("truth"),
        read_truth(twin_dir.path().join("truth.jsonl")).expect("truth")
    );
    let m2_files: HashMap<_, _> = m2.files.iter().map(|f| ((f.furnisher.clone(), f.month), f)).collect();
    let mut first_account: HashMap<String, AccountRecord> = HashMap::new();
    let (mut months, mut deletes) = (0, 0);
    for t in &twin.files {
        let canonical = jsonl_records(&t.path);
        let wanted: Vec<&Record> =
            canonical.iter().filter(|r| matches!(r, Record::Month(_) | Record::Delete(_))).collect();
        let Some(f) = m2_files.get(&(t.furnisher.clone(), t.month)) else {
            assert!(canonical.is_empty(), "{}: no Metro 2 file for a month with records", t.path.display());
            continue;
        };
        assert_eq!(f.deliver_on, t.deliver_on);
        assert_eq!(f.path, m2_dir.path().join(&f.furnisher).join(format!("{}.m2", f.month)));
        let bytes = std::fs::read(&f.path).expect("read");
        let report = metro2::validate(&bytes[..], f.deliver_on).expect("validates");
        assert!(report.is_valid(), "{}: {:?}", f.path.display(), report.errors);
        assert!(bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).all(|l| l.len() == 426), "one record a line");
        let header = metro2::Reader::new(&bytes[..]).expect("reads").header().expect("header").expect("parses");
        assert!(header.date_created.is_some_and(|d| d <= f.deliver_on));
        assert_eq!(header.activity_date, Some(f.month.last_day()));

        let mapped = metro2_records(&f.path);
        let got: Vec<&Record> = mapped.iter().filter(|r| matches!(r, Record::Month(_) | Record::Delete(_))).collect();
        assert_eq!(got, wanted, "{}: months and deletions, in order", f.path.display());
        months += got.iter().filter(|r| matches!(r, Record::Month(_))).count();
        deletes += got.len() - got.iter().filter(|r| matches!(r, Record::Month(_))).count();
        for r in &mapped {
            if let Record::Account(a) = r {
                first_account.entry(a.account_key.clone()).or_insert_with(|| a.clone());
            }
        }
        for r in &canonical {
            if let Record::Account(a) = r {
                assert_eq!(Some(a), first_account.get(&a.account_key), "account record of {}", a.account_key);
                assert_eq!((a.currency, a.credit_limit_minor % 100), (Currency::USD, 0));
            }
        }
    }
    assert_eq!(months as u64, m2.month_records + m2.corrections);
    assert!(m2.corrections > 0 && m2.deletions > 0 && deletes as u64 == m2.deletions);
    assert!(first_account.values().all(|a| a.account_type != AccountType::R4), "no instalment plans");
    assert!(twin.files.len() > m2.files.len(), "files with nothing to report are left out in Metro 2 only");
}

#[test]
fn us_output_is_the_same_population_under_us_identities() {
    let (prc_dir, _) = run(&config(OutputFormat::Jsonl, 200));
    let (us_dir, _) = run(&config(OutputFormat::Metro2, 200));
    let prc = read_truth(prc_dir.path().join("truth.jsonl")).expect("truth");
    let us = read_truth(us_dir.path().join("truth.jsonl")).expect("truth");
    let mut ssns = std::collections::HashSet::new();
    for (p, u) in prc.iter().zip(&us) {
        assert_eq!(
            (p.birth_date, p.behaviour, p.monthly_income_fen, &p.life_events, &p.authorizations),
            (u.birth_date, u.behaviour, u.monthly_income_fen, &u.life_events, &u.authorizations)
        );
        assert_eq!(u.document_type, DocumentType::UsSsn);
        assert!(ssns.insert(u.document_number.clone()), "SSNs are unique");
        let words: Vec<&str> = u.name.split(' ').collect();
        assert!(words.len() == 3 && words[1].len() == 1, "{}", u.name);
        assert!(u.name.bytes().all(|b| b.is_ascii_uppercase() || b == b' '));
        let keys = |t: &PersonTruth| -> Vec<String> {
            t.accounts
                .iter()
                .chain(&t.deleted_accounts)
                .filter(|a| a.account_type != AccountType::R4)
                .map(|a| a.account_key.clone())
                .collect()
        };
        assert_eq!(keys(p), keys(u), "the same accounts, instalment plans left out");
        for (pa, ua) in p.accounts.iter().filter(|a| a.account_type != AccountType::R4).zip(&u.accounts) {
            assert_eq!(pa.months.len(), ua.months.len(), "{}", pa.account_key);
            for (pm, um) in pa.months.iter().zip(&ua.months) {
                assert!(um.balance_fen >= pm.balance_fen && um.balance_fen - pm.balance_fen < 100, "rounded up");
                assert_eq!(pm.status.is_negative(), um.status.is_negative(), "{} {}", pa.account_key, pm.month);
            }
        }
    }
}

#[test]
fn metro2_output_is_the_same_whatever_the_threads_and_chunks() {
    let files = |threads: usize, chunk_people: u32| -> BTreeMap<String, Vec<u8>> {
        let (dir, summary) = run(&SimConfig { threads, chunk_people, ..config(OutputFormat::Metro2, 60) });
        let mut out: BTreeMap<String, Vec<u8>> = summary
            .files
            .iter()
            .map(|f| {
                (
                    f.path.strip_prefix(dir.path()).expect("inside").display().to_string(),
                    std::fs::read(&f.path).expect("read"),
                )
            })
            .collect();
        out.insert("truth.jsonl".into(), std::fs::read(dir.path().join("truth.jsonl")).expect("truth"));
        out
    };
    assert_eq!(files(1, 500), files(3, 7));
}
