//! The ingest pipeline and reports, end to end on a real SQLite store.

use ob_bureau::Bureau;
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::{IngestOptions, IngestSummary};
use ob_bureau::report::{Report, ReportRequest, Requester};
use ob_model::{AccountType, DocumentNumber, DocumentType, QueryReason};
use ob_store::Store;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use time::macros::datetime;

const ZHANG: &str =
    r#"{"name":"张三","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}}"#;
const ZHANG_ID: &str = "11010519491231002X";
const EVIDENCE: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

struct World {
    bureau: Bureau<Box<dyn ob_store::Store>>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
    db: ob_store::Location,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let db = ob_store::testing::scratch_location(ob_store::testing::backend_from_env(), dir.path());
    let clock = Arc::new(ManualClock::new(datetime!(2024-06-05 02:00 UTC)));
    let bureau = Bureau::new(ob_store::open(&db).unwrap(), Keys::from_master(&[7; 32]), clock.clone()).unwrap();
    World { bureau, clock, _dir: dir, db }
}

fn header(furnisher: &str) -> String {
    format!(r#"{{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"{furnisher}"}}"#)
}

fn consent(subject: &str, granted: &str) -> String {
    format!(
        r#"{{"kind":"consent","subject":{subject},"scope":"report","granted_on":"{granted}","expires_on":"2030-01-01","evidence_sha256":"{EVIDENCE}"}}"#
    )
}

fn inquire_consent(subject: &str, purpose: &str) -> String {
    format!(
        r#"{{"kind":"consent","subject":{subject},"scope":"inquire","purpose":"{purpose}","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"{EVIDENCE}"}}"#
    )
}

fn account(key: &str, subject: &str) -> String {
    format!(
        r#"{{"kind":"account","account_key":"{key}","subject":{subject},"account_type":"R1","opened_on":"2024-01-10","currency":"CNY","credit_limit":500000}}"#
    )
}

fn month(key: &str, month: &str, balance: i64) -> String {
    format!(
        r#"{{"kind":"month","account_key":"{key}","month":"{month}","balance":{balance},"amount_due":{},"status":"N"}}"#,
        balance / 10
    )
}

fn file(furnisher: &str, lines: &[String]) -> String {
    let mut s = header(furnisher);
    for l in lines {
        s.push('\n');
        s.push_str(l);
    }
    s.push('\n');
    s
}

impl World {
    fn ingest_with_feedback(&mut self, text: &str) -> (IngestSummary, Vec<serde_json::Value>) {
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        let mut feedback = Vec::new();
        let options = IngestOptions {
            register_unknown_furnisher: true,
            expected_furnisher: None,
            keep_feedback: false,
            cached_max: None,
            prefetch: None,
        };
        let summary = self.bureau.ingest_jsonl(text.as_bytes(), digest, &options, &mut feedback, &mut |_| {}).unwrap();
        let lines = String::from_utf8(feedback).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        (summary, lines)
    }

    fn ingest(&mut self, text: &str) -> IngestSummary {
        self.ingest_with_feedback(text).0
    }

    fn report(&mut self, as_of: Option<time::Date>) -> Report {
        let document = DocumentNumber::parse(DocumentType::PrcResidentId, ZHANG_ID).unwrap();
        self.bureau.produce_report(&ReportRequest { document, as_of, requester: Requester::Person }).unwrap()
    }

    fn counts(&self) -> ob_store::Counts {
        self.bureau.store().read().unwrap().counts().unwrap()
    }
}

/// The (code, field) of each feedback line.
fn codes(feedback: &[serde_json::Value]) -> Vec<(u64, String, String)> {
    feedback
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_owned(),
                f["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn line(n: u64, code: &str, field: &str) -> (u64, String, String) {
    (n, code.to_owned(), field.to_owned())
}

#[test]
fn a_record_without_consent_is_rejected_with_its_code() {
    let mut w = world();
    let (s, feedback) = w.ingest_with_feedback(&file("HB", &[account("A1", ZHANG), month("A1", "2024-05", 100)]));
    assert_eq!((s.accepted, s.rejected), (0, 2));
    assert_eq!(codes(&feedback), vec![line(2, "NO_CONSENT", "subject"), line(3, "UNKNOWN_ACCOUNT", "account_key")]);
    assert_eq!(feedback[0]["record"].as_str().unwrap(), account("A1", ZHANG), "the original record comes back");
    assert_eq!(w.counts().subjects, 0, "a rejected record leaves no person's file behind");
    // A consent granted after the month's settlement date does not cover it.
    let (s, feedback) = w.ingest_with_feedback(&file(
        "HB",
        &[consent(ZHANG, "2024-06-01"), account("A1", ZHANG), month("A1", "2024-05", 100)],
    ));
    assert_eq!((s.accepted, s.rejected), (2, 1));
    assert_eq!(codes(&feedback), vec![line(4, "NO_CONSENT", "settled_on")]);
    assert_eq!(w.counts().account_months, 0);
}

#[test]
fn a_furnisher_cannot_touch_another_furnishers_account() {
    let mut w = world();
    w.ingest(&file("HB", &[consent(ZHANG, "2024-01-01"), account("A1", ZHANG), month("A1", "2024-05", 100)]));
    let (s, feedback) =
        w.ingest_with_feedback(&file("OTHER", &[consent(ZHANG, "2024-01-01"), month("A1", "2024-05", 999)]));
    assert_eq!(codes(&feedback), vec![line(3, "NOT_OWN_ACCOUNT", "account_key")]);
    assert_eq!(s.rejected, 1);
    let report = w.report(None);
    let a = &report.account_groups[0].accounts[0];
    assert_eq!(a.latest.as_ref().unwrap().balance, 100, "HB's month is untouched");
    assert_eq!(w.counts().account_months, 1);
}

#[test]
fn a_conflicting_identity_is_not_merged() {
    let mut w = world();
    w.ingest(&file("HB", &[consent(ZHANG, "2024-01-01")]));
    let impostor = ZHANG.replace("张三", "李四");
    let (s, feedback) =
        w.ingest_with_feedback(&file("HB", &[consent(&impostor, "2024-01-01"), account("A2", &impostor)]));
    assert_eq!(s.rejected, 2);
    assert_eq!(
        codes(&feedback),
        vec![line(2, "IDENTITY_CONFLICT", "subject.name"), line(3, "IDENTITY_CONFLICT", "subject.name")]
    );
    assert_eq!((w.counts().subjects, w.counts().accounts), (1, 0));
}

/// A reader that fails after `ok_bytes` bytes: an upload cut off midway.
struct Broken<'a> {
    data: &'a [u8],
    ok_bytes: usize,
}

impl std::io::Read for Broken<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.ok_bytes == 0 {
            return Err(std::io::Error::other("connection reset"));
        }
        let n = buf.len().min(self.ok_bytes).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.ok_bytes -= n;
        Ok(n)
    }
}

#[test]
fn a_batch_that_fails_midway_leaves_the_store_unchanged() {
    let mut w = world();
    let months: Vec<String> = (1..=5).map(|m| month("A1", &format!("2024-0{m}"), m * 100)).collect();
    let mut lines = vec![consent(ZHANG, "2024-01-01"), account("A1", ZHANG)];
    lines.extend(months);
    let text = file("HB", &lines);
    let before = w.counts();
    let cut = text.len() * 2 / 3;
    let input = std::io::BufReader::with_capacity(64, Broken { data: text.as_bytes(), ok_bytes: cut });
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max: None,
        prefetch: None,
    };
    let result = w.bureau.ingest_jsonl(input, [1; 32], &options, &mut Vec::new(), &mut |_| {});
    assert!(result.is_err(), "the broken stream fails the batch");
    assert_eq!(w.counts(), before, "nothing of the batch is kept, not even the furnisher or the batch record");
    // The whole file, sent again intact, goes in.
    assert_eq!(w.ingest(&text).accepted, 7);
}

#[test]
fn reingesting_the_same_file_is_a_no_op_that_says_so() {
    let mut w = world();
    let text = file("HB", &[consent(ZHANG, "2024-01-01"), account("A1", ZHANG), month("A1", "2024-05", 100)]);
    let first = w.ingest(&text);
    let after_first = w.counts();
    let again = w.ingest(&text);
    assert!(again.already_ingested);
    assert_eq!(again.batch_id, first.batch_id);
    assert_eq!(w.counts(), after_first);
}

#[test]
fn an_as_of_report_before_a_correction_shows_the_old_value() {
    let mut w = world();
    w.ingest(&file("HB", &[consent(ZHANG, "2024-01-01"), account("A1", ZHANG), month("A1", "2024-05", 100)]));
    w.clock.set(datetime!(2024-06-20 09:00 UTC));
    let corrected = w.ingest(&file("HB", &[month("A1", "2024-05", 250)]));
    assert_eq!(corrected.accepted, 1);
    let balance = |r: &Report| r.account_groups[0].accounts[0].latest.as_ref().unwrap().balance;
    assert_eq!(balance(&w.report(Some(time::macros::date!(2024 - 06 - 10)))), 100);
    assert_eq!(balance(&w.report(None)), 250);
    assert_eq!(w.counts().account_months, 2, "the correction is a new version; the old one stays");
    // Before the first batch there was nothing.
    assert!(w.report(Some(time::macros::date!(2024 - 06 - 01))).account_groups.is_empty());
}

#[test]
fn a_malformed_line_is_located_and_the_rest_of_the_batch_goes_in() {
    let mut w = world();
    let text = file(
        "HB",
        &[
            consent(ZHANG, "2024-01-01"),
            account("A1", ZHANG),
            r#"{"kind":"month","account_key":"A1","month":"2024-04""#.to_owned(),
            month("A1", "2024-03", 100).replace("\"N\"", "\"Q\""),
            month("A1", "2024-05", 100),
            month("A1", "2024-05", 120),
            month("A1", "2023-12", 100),
            month("A1", "2024-07", 100),
            month("A1", "2024-04", 900_000),
        ],
    );
    let (s, feedback) = w.ingest_with_feedback(&text);
    assert_eq!(
        codes(&feedback),
        vec![
            line(4, "JSON_SYNTAX", ""),
            line(5, "FIELD_INVALID", "status"),
            line(7, "MONTH_DUPLICATE", "month"),
            line(8, "BEFORE_OPENING", "month"),
            line(9, "DATE_INVALID", "settled_on"),
            line(10, "USED_OVER_LIMIT", "used_amount"),
        ]
    );
    assert_eq!((s.records, s.accepted, s.rejected), (9, 3, 6));
    assert_eq!(w.counts().account_months, 1);
}

#[test]
fn the_stored_database_contains_no_id_number_or_name_in_clear() {
    let mut w = world();
    w.ingest(&file("HB", &[consent(ZHANG, "2024-01-01"), account("A1", ZHANG), month("A1", "2024-05", 100)]));
    let bytes = ob_store::testing::stored_bytes(&w.db);
    assert!(bytes.len() > 300, "the database was written");
    for needle in [ZHANG_ID.as_bytes(), "张三".as_bytes(), b"10519491231"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "found {:?} in clear",
            String::from_utf8_lossy(needle)
        );
    }
    // While the report, produced with the key, shows the name.
    assert_eq!(w.report(None).identity.name, "张三");
}

#[test]
fn an_organization_needs_an_inquiry_consent_for_its_purpose_and_every_report_is_logged() {
    let mut w = world();
    w.ingest(&file("HB", &[consent(ZHANG, "2024-01-01"), account("A1", ZHANG), month("A1", "2024-05", 100)]));
    w.ingest(&file("BANK", &[inquire_consent(ZHANG, "03")]));
    let document = DocumentNumber::parse(DocumentType::PrcResidentId, ZHANG_ID).unwrap();
    let ask = |reason| ReportRequest {
        document: document.clone(),
        as_of: None,
        requester: Requester::Organization { code: "BANK".into(), reason },
    };
    let refused = w.bureau.produce_report(&ask(QueryReason::LoanApproval));
    assert!(matches!(refused, Err(ob_bureau::BureauError::Refused { refusal: ob_bureau::Refusal::NoConsent, .. })));
    assert_eq!(w.counts().inquiries, 0, "a refused request is not an inquiry");
    let report = w.bureau.produce_report(&ask(QueryReason::CardApproval)).unwrap();
    let hidden = &report.account_groups[0].accounts[0].institution;
    assert!(
        hidden.starts_with("机构“") && hidden.contains("” / institution \""),
        "other lenders' names hidden: {hidden}"
    );
    assert_eq!(report.summary.queries.card_approval_queries_1m, 1, "the inquiry was logged before assembly");
    let own = w.report(None);
    assert_eq!(own.account_groups[0].accounts[0].institution, "HB");
    assert_eq!(own.queries.len(), 2);
    assert_eq!(w.counts().inquiries, 2);
    assert_eq!(w.bureau.verify_audit().unwrap(), ob_bureau::audit::Verification::Intact { events: 6 });
}

#[test]
fn a_lender_s_copy_names_its_own_accounts_and_inquiries_and_others_by_kind_and_a_stable_code() {
    let mut w = world();
    w.ingest(&file("HB", &[consent(ZHANG, "2024-01-01"), account("A1", ZHANG), month("A1", "2024-05", 100)]));
    let bank =
        [consent(ZHANG, "2024-01-01"), inquire_consent(ZHANG, "03"), account("B1", ZHANG), month("B1", "2024-05", 200)];
    w.ingest(&file("BANK", &bank));
    w.bureau.set_org_type("HB", ob_model::InstitutionType::ConsumerFinance).unwrap();
    let document = DocumentNumber::parse(DocumentType::PrcResidentId, ZHANG_ID).unwrap();
    let ask = ReportRequest {
        document,
        as_of: None,
        requester: Requester::Organization { code: "BANK".into(), reason: QueryReason::CardApproval },
    };
    let names =
        |r: &ob_bureau::report::Report| -> Vec<String> { r.own_accounts().map(|a| a.institution.clone()).collect() };
    let first = w.bureau.produce_report(&ask).unwrap();
    let shown = names(&first);
    assert!(shown.contains(&"BANK".to_owned()), "its own account by its name: {shown:?}");
    let other = shown.iter().find(|n| *n != "BANK").unwrap();
    let code: String = other.chars().skip_while(|c| *c != '“').skip(1).take_while(|c| *c != '”').collect();
    assert!(code.len() == 4 && code.bytes().all(|b| b.is_ascii_uppercase()), "{other}");
    assert_eq!(*other, format!("消费金融公司“{code}” / consumer finance company \"{code}\""));
    assert!(!other.contains("HB"));
    let again = w.bureau.produce_report(&ask).unwrap();
    assert_eq!(names(&again), shown, "the same code in every report");
    assert!(again.queries.iter().all(|q| q.institution == "BANK"), "its own inquiries by its name");
    let own = w.report(None);
    assert!(names(&own).contains(&"HB".to_owned()), "the person's copy names every lender");
}

/// Issue 14: the summary's 信贷交易信息提示 (accounts by type and the month of the first) and the
/// columns the PBOC report has: the average amount due over 6 months, and the highest and lowest
/// single limits of cards.
#[test]
fn the_summary_gives_hints_the_average_due_and_the_single_card_limits() {
    let mut w = world();
    let card = |key: &str, opened: &str, limit: i64| {
        format!(
            r#"{{"kind":"account","account_key":"{key}","subject":{ZHANG},"account_type":"R2","opened_on":"{opened}","currency":"CNY","credit_limit":{limit}}}"#
        )
    };
    let classified = month("A1", "2024-05", 3000).replace(r#""status":"N""#, r#""status":"N","class5":"2""#);
    w.ingest(&file(
        "HB",
        &[consent(ZHANG, "2024-01-01"), account("A1", ZHANG), month("A1", "2024-04", 1000), classified],
    ));
    w.ingest(&file(
        "BANK",
        &[consent(ZHANG, "2024-01-01"), card("C1", "2024-02-03", 500_000), month("C1", "2024-05", 100)],
    ));
    w.ingest(&file(
        "OTHER",
        &[consent(ZHANG, "2024-01-01"), card("C2", "2024-03-04", 2_000_000), month("C2", "2024-05", 100)],
    ));
    let s = w.report(None).summary;
    let hints: Vec<(AccountType, u32, String)> =
        s.hints.iter().map(|h| (h.account_type, h.accounts, h.first_month.to_string())).collect();
    assert_eq!(hints, [(AccountType::R1, 1, "2024-01".to_owned()), (AccountType::R2, 2, "2024-02".to_owned())]);
    let r1 = s.by_type.iter().find(|t| t.account_type == AccountType::R1).unwrap();
    assert_eq!(r1.due_6m_avg, (100 + 300) / 2, "the average of the months' amounts due");
    let r2 = s.by_type.iter().find(|t| t.account_type == AccountType::R2).unwrap();
    assert_eq!((r2.highest_single_limit, r2.lowest_single_limit), (Some(2_000_000), Some(500_000)));
    let text = ob_bureau::render::text(&w.report(None));
    assert!(text.contains("贷记卡账户 Credit cards: 2 账户 accounts, 首笔 first in 2024-02"), "{text}");
    assert!(text.contains("R2 单家最高授信额 highest single limit CNY 20000.00, 最低 lowest CNY 5000.00"), "{text}");
    // The five-level classification the lender reported (五级分类), stored all along, shown.
    let report = w.report(None);
    let a1 = report.own_accounts().find(|a| a.account_type == AccountType::R1).unwrap();
    assert_eq!(a1.latest.as_ref().unwrap().classification, Some(ob_model::Classification::SpecialMention));
    assert!(text.contains("五级分类 Classification 2 关注 special mention"), "{text}");
}

#[test]
fn a_store_opened_with_another_key_is_refused() {
    let w = world();
    drop(w.bureau);
    let other = Bureau::new(ob_store::open(&w.db).unwrap(), Keys::from_master(&[8; 32]), w.clock.clone());
    assert!(matches!(other, Err(ob_bureau::BureauError::WrongKey)));
}

#[test]
fn report_json_snapshot() {
    let mut w = world();
    let mut late = month("A1", "2024-04", 90_000);
    late = late.replace(
        r#""status":"N""#,
        r#""status":"1","days_past_due":20,"past_due_amount":9000,"detail":{"overdue_principal":8000}"#,
    );
    // The line with its contract's terms, and an instalment plan drawn under it.
    let line = account("A1", ZHANG).replace(
        r#""credit_limit":500000"#,
        r#""credit_limit":500000,"terms":{"due_day":9,"loan_kind":"91","guarantee":"4","frequency":"03","method":"21"}"#,
    );
    let plan = format!(
        r#"{{"kind":"account","account_key":"A1-P1","subject":{ZHANG},"account_type":"R4","opened_on":"2024-03-12","currency":"CNY","credit_limit":60000,"terms":{{"periods":6,"due_day":9,"maturity_on":"2024-09-09","method":"11"}},"credit_line_key":"A1"}}"#
    );
    let plan_month = month("A1-P1", "2024-05", 40_000)
        .replace(r#""status":"N""#, r#""status":"N","detail":{"remaining_periods":4}"#);
    let early = r#"{"kind":"special","account_key":"A1-P1","special_type":"14","on":"2024-05-18","amount":10000}"#;
    let s = w.ingest(&file(
        "HB",
        &[
            consent(ZHANG, "2024-01-01"),
            line,
            month("A1", "2024-02", 50_000),
            month("A1", "2024-03", 80_000),
            r#"{"kind":"notice","account_key":"A1","notified_on":"2024-04-25","channel":"app"}"#.to_owned(),
            late,
            month("A1", "2024-05", 20_000),
            plan,
            plan_month,
            early.to_owned(),
        ],
    ));
    assert_eq!(s.rejected, 0);
    let report = w.report(None);
    insta::assert_json_snapshot!(report);
    let text = ob_bureau::render::text(&report);
    insta::assert_snapshot!(text);
    check_grid_alignment(&text);
}

/// Every cell of the text report's 5-year grid sits under its month's label, measured in the
/// columns a terminal gives each character (Chinese ones take two).
fn check_grid_alignment(text: &str) {
    use unicode_width::UnicodeWidthStr;
    let lines: Vec<&str> = text.lines().collect();
    let labels: Vec<usize> = lines.iter().enumerate().filter(|(_, l)| l.contains("01 02 03")).map(|(i, _)| i).collect();
    assert!(!labels.is_empty(), "a grid in\n{text}");
    for at in labels {
        let label = lines[at];
        // The display column where each month's two-character label ends.
        let ends: Vec<usize> = (1..=12)
            .map(|m| {
                let i = label.find(&format!(" {m:02}")).unwrap_or_else(|| panic!("month {m} in {label:?}"));
                label[..i + 3].width()
            })
            .collect();
        let is_row = |l: &&&str| l.trim_start().get(..4).is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit()));
        let mut cells = 0;
        for row in lines[at + 1..].iter().take_while(is_row) {
            let year_end = row.len() - row.trim_start().len() + 4;
            // Each cell is a run of non-blank characters after the year; where it ends, in columns.
            let mut i = year_end;
            while let Some(start) = row[i..].find(|c: char| c != ' ').map(|s| i + s) {
                let end = row[start..].find(' ').map_or(row.len(), |e| start + e);
                let col = row[..end].width();
                assert!(ends.contains(&col), "a cell ending at column {col}, under no label:\n{label}\n{row}");
                cells += 1;
                i = end;
            }
        }
        assert!(cells > 0, "cells under\n{label}");
    }
}

fn delete(key: &str, months: Option<(&str, &str)>) -> String {
    match months {
        Some((from, to)) => {
            format!(r#"{{"kind":"delete","account_key":"{key}","from_month":"{from}","to_month":"{to}"}}"#)
        }
        None => format!(r#"{{"kind":"delete","account_key":"{key}"}}"#),
    }
}

#[test]
fn deletions_are_versions_that_as_of_reports_see_through() {
    let mut w = world();
    let months: Vec<String> = ["2024-02", "2024-03", "2024-04"].iter().map(|m| month("A1", m, 100)).collect();
    let mut lines = vec![consent(ZHANG, "2024-01-01"), account("A1", ZHANG)];
    lines.extend(months);
    w.ingest(&file("HB", &lines));
    w.clock.set(datetime!(2024-06-10 09:00 UTC));
    let s = w.ingest(&file("HB", &[delete("A1", Some(("2024-03", "2024-04"))), month("A1", "2024-04", 300)]));
    assert_eq!((s.accepted, s.rejected), (2, 0), "a deleted month may be reported again in the same file");
    let shown = |r: &Report| {
        r.account_groups[0].accounts[0]
            .history
            .iter()
            .filter(|h| h.status != ob_model::RepaymentStatus::NotOpen)
            .map(|h| (h.month.to_string(), h.status.as_str()))
            .collect::<Vec<_>>()
    };
    let before = w.report(Some(time::macros::date!(2024 - 06 - 06)));
    assert_eq!(
        shown(&before)[..],
        [("2024-01".into(), "#"), ("2024-02".into(), "N"), ("2024-03".into(), "N"), ("2024-04".into(), "N")]
    );
    let after = w.report(None);
    assert_eq!(
        shown(&after)[..],
        [("2024-01".into(), "#"), ("2024-02".into(), "N"), ("2024-03".into(), "#"), ("2024-04".into(), "N")]
    );
    assert_eq!(after.account_groups[0].accounts[0].latest.as_ref().unwrap().balance, 300);

    w.clock.set(datetime!(2024-06-12 09:00 UTC));
    let (s, feedback) = w.ingest_with_feedback(&file("HB", &[delete("A1", None), month("A1", "2024-05", 1)]));
    assert_eq!(s.accepted, 1);
    assert_eq!(codes(&feedback), vec![line(3, "ACCOUNT_CONFLICT", "account_key")]);
    assert!(w.report(None).account_groups.is_empty(), "a deleted account leaves the report");
    assert_eq!(w.report(Some(time::macros::date!(2024 - 06 - 11))).account_groups.len(), 1, "but not the past");
    w.clock.set(datetime!(2024-06-13 09:00 UTC));
    w.ingest(&file("HB", &[account("A1", ZHANG)]));
    assert_eq!(w.report(None).account_groups.len(), 1, "sending the account again restores it");
}

/// The furnisher's feedback warning for stale accounts: open accounts with no month in the 3
/// months before this one, in key order and in pages; closed, recent and other furnishers'
/// accounts are not listed.
#[test]
fn a_furnisher_is_warned_of_its_open_accounts_not_reported_for_3_months() {
    let mut w = world();
    let closed = month("A4", "2024-02", 0).replace(r#""status":"N""#, r#""status":"C","closed_on":"2024-02-20""#);
    w.ingest(&file(
        "HB",
        &[
            consent(ZHANG, "2024-01-01"),
            account("A1", ZHANG),
            month("A1", "2024-02", 50_000),
            account("A2", ZHANG),
            month("A2", "2024-03", 50_000),
            account("A3", ZHANG),
            account("A4", ZHANG),
            closed,
            account("A5", ZHANG),
            month("A5", "2024-02", 1_000),
            month("A5", "2024-05", 1_000),
            r#"{"kind":"delete","account_key":"A5","from_month":"2024-05","to_month":"2024-05"}"#.to_owned(),
        ],
    ));
    w.ingest(&file("OTHER", &[consent(ZHANG, "2024-01-01"), account("B1", ZHANG)]));
    let org = w.bureau.store().read().unwrap().org_by_code("HB").unwrap().unwrap().id;
    let today = time::macros::date!(2024 - 06 - 05);
    let page = w.bureau.stale_accounts(org, None, 1000, today).unwrap();
    let listed: Vec<_> = page
        .accounts
        .iter()
        .map(|s| (s.account_key.as_str(), s.last_reported_month.map(|m| m.to_string()), s.months_silent))
        .collect();
    // June: A1's last month is February (March, April, May missing); A3 never reported since
    // January; A2's March leaves two months missing; A4 is closed. A5's May was sent, then
    // deleted: the furnisher has written about May, so it is not told it fell silent (its
    // report, which leaves the deleted month out, marks it).
    assert_eq!(listed, vec![("A1", Some("2024-02".to_owned()), 3), ("A3", None, 5)]);
    assert_eq!(page.next_after, None);
    assert!(page.accounts.iter().all(|s| s.code == "STALE_ACCOUNT"));
    let first = w.bureau.stale_accounts(org, None, 1, today).unwrap();
    assert_eq!((first.accounts.len(), first.next_after.as_deref()), (1, Some("A1")));
    let rest = w.bureau.stale_accounts(org, first.next_after.as_deref(), 1, today).unwrap();
    assert_eq!((rest.accounts[0].account_key.as_str(), rest.next_after.as_deref()), ("A3", Some("A3")));
    let in_may = w.bureau.stale_accounts(org, None, 1000, time::macros::date!(2024 - 05 - 31)).unwrap();
    assert_eq!(in_may.accounts.iter().map(|s| s.account_key.as_str()).collect::<Vec<_>>(), vec!["A3"]);
    let mut all = Vec::new();
    let n = w.bureau.each_stale_account("HB", today, &mut |s| all.push(s.account_key.clone())).unwrap();
    assert_eq!((n, all), (2, vec!["A1".to_owned(), "A3".to_owned()]));
    let report = w.report(Some(today));
    let marked: Vec<bool> = report.own_accounts().map(|a| a.stale).collect();
    assert_eq!(marked.iter().filter(|s| **s).count(), 4, "the report marks A1, A3, A5 and the other lender's B1");
}

/// Credit agreements (授信协议, record 220) are agreements, not accounts: their own section, with
/// the line that reports under the agreement's key and the plans drawn under it; versions as
/// the terms change; the key is one person's; a new one needs the person's consent.
#[test]
fn credit_agreements_are_shown_with_the_accounts_drawn_under_them() {
    const LI: &str = r#"{"name":"李四","birth_date":"1990-01-01","document":{"type":"prc_resident_id","number":"440304199001011233"}}"#;
    let mut w = world();
    let agreement = |key: &str, subject: &str, limit: i64, extra: &str| {
        format!(
            r#"{{"kind":"agreement","agreement_key":"{key}","subject":{subject},"limit_type":"10","currency":"CNY","credit_limit":{limit},"effective_on":"2024-01-10","expires_on":"2027-01-09"{extra}}}"#
        )
    };
    let plan = format!(
        r#"{{"kind":"account","account_key":"A1-P1","subject":{ZHANG},"account_type":"R4","opened_on":"2024-03-01","currency":"CNY","credit_limit":60000,"terms":{{"periods":6}},"credit_line_key":"A1"}}"#
    );
    // A plan may name an agreement whose line reports under another key: no line to go under.
    let plan_under = |line: &str| {
        plan.replace("A1-P1", &format!("{line}-P1"))
            .replace(r#""credit_line_key":"A1""#, &format!(r#""credit_line_key":"{line}""#))
    };
    let lines = [
        agreement("A1", ZHANG, 500_000, ""),
        consent(ZHANG, "2024-01-01"),
        agreement("A1", ZHANG, 500_000, ""),
        agreement("A1", ZHANG, 500_000, ""),
        account("A1", ZHANG),
        month("A1", "2024-05", 80_000),
        plan.clone(),
        month("A1-P1", "2024-05", 40_000),
        agreement("A1", LI, 500_000, ""),
        agreement("AG-2", ZHANG, 90_000, ""),
        plan_under("AG-2"),
        plan_under("NOPE"),
    ];
    let (s, feedback) = w.ingest_with_feedback(&file("HB", &lines));
    assert_eq!(
        codes(&feedback),
        vec![
            line(2, "NO_CONSENT", "subject"),
            line(10, "ACCOUNT_CONFLICT", "subject"),
            line(13, "UNKNOWN_ACCOUNT", "credit_line_key")
        ],
        "{feedback:?}"
    );
    assert_eq!((s.accepted, s.unchanged), (9, 1));
    let report = w.report(None);
    let types: Vec<_> = report.account_groups.iter().map(|g| g.account_type).collect();
    assert_eq!(
        types,
        vec![ob_model::AccountType::R4, ob_model::AccountType::R1],
        "no account for an agreement; AG-2's plan alone"
    );
    let a = &report.agreements;
    assert_eq!(a.len(), 2);
    let a1 = a.iter().find(|a| a.credit_limit == 500_000).unwrap();
    assert_eq!(a1.accounts, vec![2, 3], "the line and its plan (the lone plan is [1])");
    assert_eq!((a1.kind, a1.ended), (ob_model::AgreementKind::RevolvingLoan, false));
    assert_eq!(a1.used_amount, 80_000 + 40_000);
    assert_eq!(a1.expires_on, Some(time::macros::date!(2027 - 01 - 09)));
    w.clock.set(datetime!(2024-06-20 09:00 UTC));
    w.ingest(&file("HB", &[agreement("A1", ZHANG, 800_000, r#","ended":true"#)]));
    let report = w.report(None);
    let a1 = report.agreements.iter().find(|a| a.credit_limit == 800_000).unwrap();
    assert!(a1.ended, "a new version, ended: listed after those in force");
    assert_eq!(report.agreements.last(), Some(a1));
    let before = w.report(Some(time::macros::date!(2024 - 06 - 10)));
    assert!(before.agreements.iter().any(|a| a.credit_limit == 500_000), "a past day shows the version of then");
    w.clock.set(datetime!(2027-02-01 09:00 UTC));
    let ag2 = w.report(None).agreements.into_iter().find(|a| a.credit_limit == 90_000).unwrap();
    assert!(ag2.ended, "past its last day (2027-01-09) an agreement has ended, said or not");
    let text = ob_bureau::render::text(&report);
    assert!(text.contains("授信协议信息 Credit agreements") && text.contains("账户 accounts [2] [3]"), "{text}");
}

/// Special transactions and events (segment K, record 215): on the furnisher's own accounts,
/// within their life, once; shown under the account with no free text.
#[test]
fn special_transactions_and_events_are_recorded_once_and_shown() {
    let mut w = world();
    let special = |kind: &str, on: &str, extra: &str| {
        format!(r#"{{"kind":"special","account_key":"A1","special_type":"{kind}","on":"{on}"{extra}}}"#)
    };
    let early = special("14", "2024-05-20", r#","amount":120000"#);
    let lines = [
        consent(ZHANG, "2024-01-01"),
        account("A1", ZHANG),
        early.clone(),
        early.clone(),
        special("E2", "2024-06-01", ""),
        special("11", "2023-12-01", r#","amount":0,"months_changed":6"#),
        special("14", "2024-05-20", r#","amount":1"#).replace("\"A1\"", "\"NOPE\""),
    ];
    let (s, feedback) = w.ingest_with_feedback(&file("HB", &lines));
    assert_eq!(
        codes(&feedback),
        vec![line(7, "BEFORE_OPENING", "on"), line(8, "UNKNOWN_ACCOUNT", "account_key")],
        "{feedback:?}"
    );
    assert_eq!((s.accepted, s.unchanged), (5, 1), "the same transaction twice is stored once");
    let (_, feedback) = w.ingest_with_feedback(&file("OTHER", &[special("16", "2024-05-01", r#","amount":5"#)]));
    assert_eq!(codes(&feedback), vec![line(2, "NOT_OWN_ACCOUNT", "account_key")]);
    let report = w.report(None);
    let shown: Vec<_> = report.own_accounts().flat_map(|a| &a.specials).map(|x| (x.kind, x.on, x.amount)).collect();
    assert_eq!(
        shown,
        vec![
            (ob_model::SpecialKind::EarlyPartial, time::macros::date!(2024 - 05 - 20), Some(120_000)),
            (ob_model::SpecialKind::Untraceable, time::macros::date!(2024 - 06 - 01), None),
        ]
    );
    let as_before = w.report(Some(time::macros::date!(2024 - 01 - 31)));
    assert!(
        as_before.own_accounts().all(|a| a.specials.is_empty()),
        "a report as of a past day shows what was known then"
    );
}

#[test]
fn notices_and_credit_lines_are_recorded() {
    let mut w = world();
    let r4 = format!(
        r#"{{"kind":"account","account_key":"A1-I1","subject":{ZHANG},"account_type":"R4","opened_on":"2024-03-01","currency":"CNY","credit_limit":60000,"terms":{{"periods":6}},"credit_line_key":"A1"}}"#
    );
    let orphan = r4.replace("A1-I1", "A1-I2").replace(r#""credit_line_key":"A1""#, r#""credit_line_key":"NOPE""#);
    let notice = r#"{"kind":"notice","account_key":"A1","notified_on":"2024-05-02","channel":"sms"}"#.to_owned();
    let (s, feedback) =
        w.ingest_with_feedback(&file("HB", &[consent(ZHANG, "2024-01-01"), account("A1", ZHANG), r4, orphan, notice]));
    assert_eq!(codes(&feedback), vec![line(5, "UNKNOWN_ACCOUNT", "credit_line_key")]);
    assert_eq!(s.accepted, 4);
    let report = w.report(None);
    let numbers: Vec<(ob_model::AccountType, u32, Option<u32>)> =
        report.own_accounts().map(|a| (a.account_type, a.number, a.credit_line_number)).collect();
    assert_eq!(numbers, vec![(ob_model::AccountType::R1, 1, None), (ob_model::AccountType::R4, 2, Some(1))]);
    // The plan is under its line, as the PBOC report shows it, not an account of its own.
    assert_eq!(report.account_groups.len(), 1);
    assert_eq!(report.account_groups[0].accounts[0].sub_accounts.len(), 1);
    let r4 = report.summary.by_type.iter().find(|t| t.account_type == ob_model::AccountType::R4);
    assert_eq!(r4.map(|t| t.accounts), Some(1), "its debt still counts, as 循环额度下分账户");
    let r = w.bureau.store().read().unwrap();
    let account = r.accounts_of(ob_store::SubjectId(1)).unwrap()[0].id;
    let notices = r.notices_of(account).unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].channel, ob_model::NoticeChannel::Sms);
}
