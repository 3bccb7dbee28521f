//! People's rights and the bureau's duties, each workflow end to end under a test clock.

use ob_bureau::Bureau;
use ob_bureau::audit::Verification;
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::{IngestOptions, IngestSummary};
use ob_bureau::report::{Report, ReportRequest, Requester};
use ob_bureau::rights::{Answer, DisputeTarget};
use ob_model::policy::Policy;
use ob_model::{
    DisputeState, DisputeType, DocumentNumber, DocumentType, FlagKind, QueryReason, StatementType, YearMonth,
};
use ob_store::Store;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

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

fn world_with(policy: Policy) -> World {
    let dir = tempfile::tempdir().unwrap();
    let db = ob_store::testing::scratch_location(ob_store::testing::backend_from_env(), dir.path());
    let clock = Arc::new(ManualClock::new(datetime!(2024-06-05 02:00 UTC)));
    let bureau = Bureau::new(ob_store::open(&db).unwrap(), Keys::from_master(&[7; 32]), clock.clone())
        .unwrap()
        .with_policy(policy);
    World { bureau, clock, _dir: dir, db }
}

fn world() -> World {
    world_with(Policy::prc())
}

fn zhang() -> DocumentNumber {
    DocumentNumber::parse(DocumentType::PrcResidentId, ZHANG_ID).unwrap()
}

fn file(furnisher: &str, lines: &[String]) -> String {
    let mut s = format!(r#"{{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"{furnisher}"}}"#);
    for l in lines {
        s.push('\n');
        s.push_str(l);
    }
    s + "\n"
}

fn consent(scope: &str, purpose: Option<&str>) -> String {
    let purpose = purpose.map(|p| format!(r#","purpose":"{p}""#)).unwrap_or_default();
    format!(
        r#"{{"kind":"consent","subject":{ZHANG},"scope":"{scope}"{purpose},"granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"{EVIDENCE}"}}"#
    )
}

fn account(key: &str) -> String {
    format!(
        r#"{{"kind":"account","account_key":"{key}","subject":{ZHANG},"account_type":"R1","opened_on":"2024-01-10","currency":"CNY","credit_limit":500000}}"#
    )
}

fn month(key: &str, month: &str, days_late: u32) -> String {
    let status = ob_model::RepaymentStatus::from_days_past_due(days_late);
    let past_due = if days_late > 0 { 5_000 } else { 0 };
    format!(
        r#"{{"kind":"month","account_key":"{key}","month":"{month}","balance":50000,"past_due_amount":{past_due},"days_past_due":{days_late},"status":"{status}"}}"#
    )
}

fn notice(key: &str, on: &str) -> String {
    format!(r#"{{"kind":"notice","account_key":"{key}","notified_on":"{on}","channel":"sms"}}"#)
}

impl World {
    fn ingest(&mut self, text: &str) -> (IngestSummary, Vec<String>) {
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        let mut feedback = Vec::new();
        let options = IngestOptions {
            register_unknown_furnisher: true,
            expected_furnisher: None,
            keep_feedback: false,
            cached_max: None,
            prefetch: None,
        };
        let s = self.bureau.ingest_jsonl(text.as_bytes(), digest, &options, &mut feedback, &mut |_| {}).unwrap();
        let codes = String::from_utf8(feedback)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["code"].as_str().unwrap().to_owned())
            .collect();
        (s, codes)
    }

    fn at(&self, t: OffsetDateTime) {
        self.clock.set(t);
    }

    fn report(&mut self) -> Report {
        self.bureau
            .produce_report(&ReportRequest { document: zhang(), as_of: None, requester: Requester::Person })
            .unwrap()
    }

    fn report_as_of(&mut self, day: Date) -> Report {
        self.bureau
            .produce_report(&ReportRequest { document: zhang(), as_of: Some(day), requester: Requester::Person })
            .unwrap()
    }

    fn ask(&mut self, org: &str, reason: QueryReason) -> ob_bureau::Result<Report> {
        self.bureau.produce_report(&ReportRequest {
            document: zhang(),
            as_of: None,
            requester: Requester::Organization { code: org.into(), reason },
        })
    }

    /// An account with months 2024-02 (N), 2024-03 (late, with notice), 2024-04 (N).
    fn with_history(&mut self) {
        let (s, codes) = self.ingest(&file(
            "HB",
            &[
                consent("report", None),
                account("A1"),
                month("A1", "2024-02", 0),
                notice("A1", "2024-03-02"),
                month("A1", "2024-03", 20),
                month("A1", "2024-04", 0),
            ],
        ));
        assert_eq!((s.rejected, codes), (0, Vec::<String>::new()));
    }
}

fn statuses(r: &Report) -> Vec<(String, String)> {
    r.account_groups
        .iter()
        .flat_map(|g| &g.accounts)
        .flat_map(|a| &a.history)
        .filter(|h| h.status != ob_model::RepaymentStatus::NotOpen)
        .map(|h| (h.month.to_string(), h.status.to_string()))
        .collect()
}

fn month_target(r: &Report, m: &str) -> DisputeTarget {
    DisputeTarget::Month(r.account_groups[0].accounts[0].account_ref.clone(), YearMonth::parse(m).unwrap())
}

#[test]
fn a_dispute_answered_in_time_is_marked_then_shows_its_outcome() {
    let mut w = world();
    w.with_history();
    let target = month_target(&w.report(), "2024-03");
    let id = w.bureau.file_dispute(&zhang(), &target, DisputeType::DenyOverdue).unwrap();
    let marked = w.report();
    assert_eq!(marked.header.dispute_marks, 1, "marked at once");
    let mark = &marked.account_groups[0].accounts[0].disputes[0];
    assert_eq!((mark.state, mark.due_on), (DisputeState::Open, date!(2024 - 06 - 25)), "20 days by default");
    let queue = w.bureau.dispute_queue("HB").unwrap();
    assert_eq!(queue.len(), 1, "the furnisher sees it in its queue");
    assert!(w.bureau.answer_dispute(Some("OTHER"), id, Answer::Verified, None).is_err(), "only the furnisher answers");
    w.at(datetime!(2024-06-20 09:00 UTC));
    w.bureau.answer_dispute(Some("HB"), id, Answer::Verified, Some("statement of account checked")).unwrap();
    let answered = w.report();
    assert_eq!(answered.header.dispute_marks, 0);
    assert_eq!(answered.account_groups[0].accounts[0].disputes[0].state, DisputeState::Verified);
    assert_eq!(statuses(&answered)[2], ("2024-03".into(), "1".into()), "verified data stays");
    let mine = w.bureau.disputes_of_person(&zhang()).unwrap();
    let steps: Vec<DisputeState> = mine[0].history.iter().map(|h| h.1).collect();
    assert_eq!(steps, vec![DisputeState::Open, DisputeState::Verified]);
    assert!(w.bureau.answer_dispute(Some("HB"), id, Answer::Deleted, None).is_err(), "answered once");
}

/// After the deadline an unanswered dispute suppresses the item under the US policy (FCRA
/// §611(a)(5)); under the PRC policy the item stays, marked disputed (异议标注), until answered.
#[test]
fn an_unanswered_dispute_suppresses_the_item_only_where_the_policy_says_so() {
    for (policy, suppressed) in [(Policy::us(), true), (Policy::prc(), false)] {
        let name = policy.name.clone();
        let mut w = world_with(policy);
        w.with_history();
        let target = month_target(&w.report(), "2024-03");
        w.bureau.file_dispute(&zhang(), &target, DisputeType::WrongStatus).unwrap();
        let deadline = if suppressed { datetime!(2024-07-05 23:00 UTC) } else { datetime!(2024-06-25 23:00 UTC) };
        w.at(deadline);
        assert_eq!(statuses(&w.report())[2], ("2024-03".into(), "1".into()), "{name}: shown on the last day");
        w.at(deadline + time::Duration::hours(10));
        let report = w.report();
        let mine = w.bureau.disputes_of_person(&zhang()).unwrap();
        if suppressed {
            assert_eq!(statuses(&report)[2], ("2024-03".into(), "#".into()), "{name}: suppressed the day after");
            assert!(report.summary.overdue.is_empty(), "and gone from the summary");
            assert_eq!(mine[0].state, DisputeState::Suppressed);
            assert_eq!(mine[0].history.last().unwrap().1, DisputeState::Suppressed, "the suppression is recorded");
        } else {
            assert_eq!(statuses(&report)[2], ("2024-03".into(), "1".into()), "{name}: the item stays");
            assert_eq!((report.header.dispute_marks, report.summary.overdue.len()), (1, 1), "{name}: marked");
            let marks = &report.account_groups[0].accounts[0].disputes;
            assert_eq!(marks[0].state, DisputeState::Unresolved, "{name}: recorded beside it, unresolved");
            assert_eq!(mine[0].state, DisputeState::Unresolved, "{name}: the person's result");
            assert_eq!(mine[0].history.last().unwrap().1, DisputeState::Unresolved, "{name}: recorded as a step");
        }
        // Suppressed, the item's dispute still waits for its answer; unresolved, the person had
        // their result and may dispute again. Either way a late answer takes effect.
        let again = w.bureau.file_dispute(&zhang(), &target, DisputeType::WrongStatus);
        if suppressed {
            assert_eq!(refused(again), Some("DISPUTE_OPEN"), "{name}");
        } else {
            assert!(again.is_ok(), "{name}: disputed again");
        }
        let id = ob_store::DisputeId(mine[0].id);
        w.bureau.answer_dispute(Some("HB"), id, Answer::Verified, None).unwrap();
        let report = w.report();
        assert_eq!(statuses(&report)[2], ("2024-03".into(), "1".into()), "{name}: verified, shown");
        let marks = u32::from(!suppressed);
        assert_eq!(report.header.dispute_marks, marks, "{name}: only the second dispute's mark, if any");
    }
}

/// A report as of an earlier day shows a dispute as it stood that day: under the US policy an
/// item is suppressed only from the day after its deadline, not in a report as of a day before.
#[test]
fn a_report_as_of_an_earlier_day_shows_the_dispute_as_it_stood_then() {
    let mut w = world_with(Policy::us());
    w.with_history();
    let target = month_target(&w.report(), "2024-03");
    w.bureau.file_dispute(&zhang(), &target, DisputeType::WrongStatus).unwrap();
    w.at(datetime!(2024-07-10 09:00 UTC));
    assert_eq!(statuses(&w.report())[2], ("2024-03".into(), "#".into()), "suppressed now");
    let then = w.report_as_of(date!(2024 - 06 - 20));
    assert_eq!(statuses(&then)[2], ("2024-03".into(), "1".into()), "shown on 2024-06-20, before the deadline");
    assert_eq!(then.header.dispute_marks, 1, "and marked, the dispute open then");

    // A lender is never given the file as it stood: the month suppressed since would be
    // furnished again. Refused before anything is logged; its copy as of today is given.
    w.ingest(&file("HB", &[consent("inquire", Some("01"))]));
    let inquiries = w.report().queries.len();
    let lender = |as_of| ReportRequest {
        document: zhang(),
        as_of,
        requester: Requester::Organization { code: "HB".into(), reason: QueryReason::PostLoan },
    };
    let refused = w.bureau.produce_report(&lender(Some(date!(2024 - 06 - 20))));
    assert!(
        matches!(refused, Err(ob_bureau::BureauError::Refused { refusal: ob_bureau::Refusal::AsOfOwnCopy, .. })),
        "{refused:?}"
    );
    let today = w.bureau.produce_report(&lender(Some(date!(2024 - 07 - 10)))).unwrap();
    assert_eq!(statuses(&today)[2], ("2024-03".into(), "#".into()), "as of today: suppressed");
    assert_eq!(w.report().queries.len(), inquiries + 2, "the lender's one look and this self-view");
}

/// A month can be disputed only when the account reports it; a month the furnisher left out can
/// be disputed as missing, within the account's life.
#[test]
fn a_dispute_on_a_month_not_on_file_is_refused() {
    let mut w = world();
    w.with_history();
    let account_ref = month_target(&w.report(), "2024-03");
    let DisputeTarget::Month(a, _) = account_ref else { panic!("a month target") };
    let on = |m: &str| DisputeTarget::Month(a.clone(), YearMonth::parse(m).unwrap());
    let refused = |r: ob_bureau::Result<ob_store::DisputeId>| r.err().and_then(|e| e.refusal()).map(|r| r.code());
    for month in ["2023-12", "2024-05", "2031-01"] {
        assert_eq!(
            refused(w.bureau.file_dispute(&zhang(), &on(month), DisputeType::WrongStatus)),
            Some("UNKNOWN_ITEM"),
            "{month}"
        );
    }
    assert_eq!(
        refused(w.bureau.file_dispute(&zhang(), &on("2023-12"), DisputeType::MissingInfo)),
        Some("UNKNOWN_ITEM"),
        "before opening"
    );
    assert!(w.bureau.file_dispute(&zhang(), &on("2024-05"), DisputeType::MissingInfo).is_ok(), "a month left out");
    assert!(w.bureau.file_dispute(&zhang(), &on("2024-03"), DisputeType::WrongStatus).is_ok());
}

#[test]
fn a_deleted_item_comes_back_only_when_certified_and_the_person_is_told() {
    let mut w = world();
    w.with_history();
    let target = month_target(&w.report(), "2024-03");
    let id = w.bureau.file_dispute(&zhang(), &target, DisputeType::DenyOverdue).unwrap();
    w.at(datetime!(2024-06-10 09:00 UTC));
    w.bureau.answer_dispute(Some("HB"), id, Answer::Deleted, None).unwrap();
    assert_eq!(statuses(&w.report())[2], ("2024-03".into(), "#".into()));
    w.at(datetime!(2024-06-12 09:00 UTC));
    let (_, codes) = w.ingest(&file("HB", &[month("A1", "2024-03", 20), month("A1", "2024-05", 0)]));
    assert_eq!(codes, vec!["DISPUTE_DELETED"], "the deleted month cannot simply be sent again");
    w.bureau.certify_reinsertion("HB", id, "payment records attached").unwrap();
    w.at(datetime!(2024-06-13 09:00 UTC));
    let (s, codes) = w.ingest(&file("HB", &[month("A1", "2024-03", 20)]));
    assert_eq!((s.accepted, codes.len()), (1, 0));
    assert_eq!(statuses(&w.report())[2], ("2024-03".into(), "1".into()));
    let mine = w.bureau.disputes_of_person(&zhang()).unwrap();
    let last = mine[0].history.last().unwrap();
    assert_eq!(last.1, DisputeState::Reinserted);
    assert!(last.2.as_deref().unwrap().contains("certified"), "the person is told why");
}

#[test]
fn a_corrected_answer_needs_the_corrected_record() {
    let mut w = world();
    w.with_history();
    let target = month_target(&w.report(), "2024-03");
    let id = w.bureau.file_dispute(&zhang(), &target, DisputeType::WrongStatus).unwrap();
    w.at(datetime!(2024-06-08 09:00 UTC));
    assert!(w.bureau.answer_dispute(Some("HB"), id, Answer::Corrected, None).is_err());
    w.ingest(&file("HB", &[month("A1", "2024-03", 0)]));
    w.bureau.answer_dispute(Some("HB"), id, Answer::Corrected, None).unwrap();
    assert_eq!(statuses(&w.report())[2], ("2024-03".into(), "N".into()));
    assert_eq!(statuses(&w.report_as_of(date!(2024 - 06 - 07)))[2], ("2024-03".into(), "1".into()));
}

#[test]
fn statements_show_beside_negative_items_only() {
    let mut w = world();
    w.with_history();
    let a = w.report().account_groups[0].accounts[0].account_ref.clone();
    let text = "逾期系单位工资延迟发放所致 salary paid late by my employer";
    let march = YearMonth::parse("2024-03").unwrap();
    w.bureau.add_statement(&zhang(), &a, Some(march), StatementType::ThirdPartyLate, text).unwrap();
    let refused = w.bureau.add_statement(&zhang(), &a, YearMonth::parse("2024-02"), StatementType::Other, "fine month");
    assert!(matches!(refused, Err(ob_bureau::BureauError::Refused { refusal: ob_bureau::Refusal::NotNegative, .. })));
    let long = "word ".repeat(101);
    assert!(
        w.bureau.add_statement(&zhang(), &a, Some(march), StatementType::Other, &long).is_err(),
        "100 words at most"
    );
    let report = w.report();
    let shown = &report.account_groups[0].accounts[0].statements;
    assert_eq!((shown.len(), shown[0].text.as_str()), (1, text));
    assert!(ob_bureau::render::text(&report).contains(text));
    let bytes = ob_store::testing::stored_bytes(&w.db);
    let needle = "salary paid late".as_bytes();
    assert!(bytes.len() > 1_000, "the store was read");
    assert!(!bytes.windows(needle.len()).any(|x| x == needle), "stored encrypted");
}

#[test]
fn retention_purges_exactly_the_expired_negative_months() {
    let mut w = world();
    w.at(datetime!(2019-09-05 02:00 UTC));
    let consent_2019 = consent("report", None).replace("2024-01-01", "2019-01-01");
    let acct = account("A1").replace("2024-01-10", "2019-01-10");
    let (s, codes) = w.ingest(&file(
        "HB",
        &[
            consent_2019,
            acct,
            month("A1", "2019-02", 0),
            notice("A1", "2019-03-01"),
            month("A1", "2019-03", 20),
            month("A1", "2019-04", 40),
            month("A1", "2019-05", 0),
            notice("A1", "2019-06-10"),
            month("A1", "2019-06", 10),
            month("A1", "2019-07", 0),
        ],
    ));
    assert_eq!((s.rejected, codes), (0, Vec::<String>::new()));
    let before = w.bureau.store().read().unwrap().counts().unwrap().account_months;
    // The first delinquency ended with 2019-05 (settled 2019-05-31): it expires after 2024-05-31;
    // the second ended with 2019-07: after 2024-07-31.
    w.at(datetime!(2024-06-15 02:00 UTC));
    let report = w.report();
    let shown = statuses(&report);
    assert!(
        shown.contains(&("2019-03".into(), "#".into())) && shown.contains(&("2019-06".into(), "1".into())),
        "{shown:?}"
    );
    assert_eq!(
        w.report_as_of(date!(2019 - 09 - 05)).account_groups[0].accounts[0]
            .history
            .iter()
            .filter(|h| h.status.overdue_periods().is_some())
            .count(),
        1,
        "as-of reports follow the same rule"
    );
    // Expired but not yet purged: no report shows 2019-03, so it cannot be disputed; 2019-06 can.
    let expired = w.bureau.file_dispute(&zhang(), &month_target(&report, "2019-03"), DisputeType::WrongStatus);
    assert_eq!(refused(expired), Some("UNKNOWN_ITEM"));
    assert!(w.bureau.file_dispute(&zhang(), &month_target(&report, "2019-06"), DisputeType::WrongStatus).is_ok());
    // Nor can a statement go beside it: it would show beside nothing.
    let a = report.account_groups[0].accounts[0].account_ref.clone();
    let m = YearMonth::parse("2019-03");
    let beside = w.bureau.add_statement(&zhang(), &a, m, StatementType::ThirdPartyLate, "salary paid late");
    assert_eq!(beside.err().and_then(|e| e.refusal()).map(|r| r.code()), Some("UNKNOWN_ITEM"));
    // A statement on the whole account stands while a negative month is shown, and leaves with the last.
    let a = report.account_groups[0].accounts[0].account_ref.clone();
    w.bureau.add_statement(&zhang(), &a, None, StatementType::ThirdPartyLate, "salary paid late").unwrap();
    assert_eq!(w.report().account_groups[0].accounts[0].statements.len(), 1);
    let purged = w.bureau.run_retention().unwrap();
    assert_eq!((purged.months_purged, purged.versions_deleted), (2, 2));
    let counts = w.bureau.store().read().unwrap().counts().unwrap();
    assert_eq!(counts.account_months, before - 2, "exactly the expired months, nothing else");
    w.at(datetime!(2024-08-01 02:00 UTC));
    assert_eq!(w.bureau.run_retention().unwrap().months_purged, 1);
    assert_eq!(w.bureau.run_retention().unwrap().months_purged, 0, "nothing left to purge");
    assert!(w.report().summary.overdue.is_empty());
    assert_eq!(statuses(&w.report()).iter().filter(|(_, s)| s == "N").count(), 3, "normal months stay");
    assert!(w.report().account_groups[0].accounts[0].statements.is_empty(), "the statement left with them");
    assert!(matches!(w.bureau.verify_audit().unwrap(), Verification::Intact { .. }));
}

/// Revoking stops inquiries and new accounts; the accounts already open go on being reported to
/// their end, late months and payoff alike, so a revocation neither freezes a debt at "late" nor
/// hides it (征信业管理条例 art. 29, PIPL art. 13(2)).
#[test]
fn a_revoked_consent_stops_inquiries_and_new_accounts_not_the_open_ones() {
    let mut w = world();
    w.with_history();
    w.ingest(&file("BANK", &[consent("inquire", Some("02"))]));
    assert!(w.ask("BANK", QueryReason::LoanApproval).is_ok());
    let consents = w.bureau.consents_of_person(&zhang()).unwrap();
    assert_eq!(consents.len(), 2);
    w.at(datetime!(2024-06-10 09:00 UTC));
    for c in &consents {
        w.bureau.revoke_consent(&zhang(), &c.consent_ref).unwrap();
    }
    assert!(w.bureau.revoke_consent(&zhang(), &consents[0].consent_ref).is_err(), "revoked once");
    let refused = w.ask("BANK", QueryReason::LoanApproval);
    assert!(matches!(refused, Err(ob_bureau::BureauError::Refused { refusal: ob_bureau::Refusal::NoConsent, .. })));
    w.at(datetime!(2024-07-05 02:00 UTC));
    let new_account = account("A2").replace("2024-01-10", "2024-06-20");
    let raised_limit = account("A1").replace("500000", "600000");
    let (s, codes) = w.ingest(&file(
        "HB",
        &[
            notice("A1", "2024-05-12"),
            month("A1", "2024-05", 20),
            month("A1", "2024-06", 0),
            raised_limit,
            new_account,
            month("A2", "2024-06", 0),
        ],
    ));
    assert_eq!(codes, vec!["NO_CONSENT".to_owned(), "UNKNOWN_ACCOUNT".to_owned()], "only the new account is refused");
    assert_eq!(s.accepted, 4);
    let grid = statuses(&w.report());
    assert_eq!(grid.len(), 6, "the open account's late month and payoff are on file: {grid:?}");

    // The lender cannot undo the revocation by sending a consent again: not the same signed
    // authorization (whatever its dates), nor another of the same purpose dated before it.
    let later_expiry = consent("inquire", Some("02")).replace("2030-01-01", "2031-01-01");
    let back_dated =
        consent("inquire", Some("02")).replace(EVIDENCE, &"b".repeat(64)).replace("2024-01-01", "2024-06-10");
    let (_, codes) = w.ingest(&file("BANK", &[later_expiry, back_dated]));
    assert_eq!(codes, vec!["CONSENT_REVOKED".to_owned(); 2]);
    // The revoked consent itself, sent again unchanged (a furnisher resending its whole list),
    // changes nothing and is no error: it stays revoked.
    // (With another line: the very same file would be recognised as one already ingested.)
    let other = consent("report", None).replace(EVIDENCE, &"d".repeat(64));
    let (s, codes) = w.ingest(&file("BANK", &[consent("inquire", Some("02")), other]));
    assert_eq!((s.unchanged, codes), (1, Vec::<String>::new()));
    assert!(w.ask("BANK", QueryReason::LoanApproval).is_err(), "still refused");
    // A new authorization, signed after the revocation, is taken.
    let signed_after =
        consent("inquire", Some("02")).replace(EVIDENCE, &"c".repeat(64)).replace("2024-01-01", "2024-06-11");
    let (s, codes) = w.ingest(&file("BANK", &[signed_after]));
    assert_eq!((s.accepted, codes), (1, Vec::<String>::new()));
    assert!(w.ask("BANK", QueryReason::LoanApproval).is_ok());
}

/// A guarantee (相关还款责任) is responsibility for someone else's debt: it shows in its own section
/// and summary line, never among the person's own accounts nor in their own debt.
#[test]
fn a_guarantee_is_shown_apart_and_never_counted_as_own_debt() {
    let mut w = world();
    w.with_history();
    let guarantee =
        account("G1").replace(r#""credit_limit":500000"#, r#""credit_limit":2000000,"responsibility":"guarantor""#);
    let joint = account("J1").replace(r#""credit_limit":500000"#, r#""credit_limit":300000,"responsibility":"joint""#);
    let (s, codes) = w.ingest(&file("HB", &[guarantee, month("G1", "2024-04", 0), joint, month("J1", "2024-04", 0)]));
    assert_eq!((s.rejected, codes), (0, Vec::<String>::new()));
    let r = w.report();
    let own: Vec<_> = r.own_accounts().collect();
    assert_eq!(own.len(), 2, "the own and the joint account");
    assert!(own.iter().all(|a| a.responsibility != ob_model::Responsibility::Guarantor));
    assert_eq!(r.guarantees.len(), 1);
    assert_eq!((r.guarantees[0].credit_limit, r.guarantees[0].number), (2_000_000, 3));
    let r1 = r.summary.by_type.iter().find(|t| t.account_type == ob_model::AccountType::R1).unwrap();
    assert_eq!((r1.accounts, r1.total_credit_limit, r1.balance), (2, 800_000, 100_000), "own debt: A1 and J1 only");
    let g = &r.summary.guarantees;
    assert_eq!((g.len(), g[0].accounts, g[0].responsibility_amount, g[0].balance), (1, 1, 2_000_000, 50_000));
    let text = ob_bureau::render::text(&r);
    assert!(text.contains("相关还款责任信息") && text.contains("共同借款 joint loan"), "{text}");
}

#[test]
fn the_first_negative_month_needs_a_prior_notice() {
    let mut w = world();
    let (s, codes) = w.ingest(&file(
        "HB",
        &[consent("report", None), account("A1"), month("A1", "2024-02", 0), month("A1", "2024-03", 20)],
    ));
    assert_eq!((s.rejected, codes), (1, vec!["NO_NOTICE".to_owned()]));
    w.at(datetime!(2024-06-06 02:00 UTC));
    let late_notice = w.ingest(&file("HB", &[notice("A1", "2024-04-02"), month("A1", "2024-03", 20)]));
    assert_eq!(late_notice.1, vec!["NO_NOTICE"], "a notice after the month does not count");
    w.at(datetime!(2024-06-07 02:00 UTC));
    let ok =
        w.ingest(&file("HB", &[notice("A1", "2024-03-01"), month("A1", "2024-03", 20), month("A1", "2024-04", 40)]));
    assert_eq!(ok.1, Vec::<String>::new(), "later negative months need no new notice");
    let mut us = world_with(Policy { notice_before_negative: false, ..Policy::us() });
    let off = us.ingest(&file("HB", &[consent("report", None), account("A1"), month("A1", "2024-03", 20)]));
    assert_eq!(off.1, Vec::<String>::new(), "a policy may turn the rule off");
}

/// Under the PRC policy each new late run needs its own notice, dated after the run before; a
/// month cannot be more than one period later than the month before; "*" (nothing due) carries no
/// amount due.
#[test]
fn each_late_run_needs_its_notice_and_statuses_move_one_step_a_month() {
    let mut w = world();
    w.with_history(); // a run in 2024-03 (noticed on 2024-03-02), paid in 2024-04
    w.at(datetime!(2024-07-05 02:00 UTC));
    let old_notice = w.ingest(&file("HB", &[month("A1", "2024-05", 20)]));
    assert_eq!(old_notice.1, vec!["NO_NOTICE"], "the notice of the first run does not cover the second");
    let (s, codes) =
        w.ingest(&file("HB", &[notice("A1", "2024-05-10"), month("A1", "2024-05", 20), month("A1", "2024-06", 80)]));
    assert_eq!((s.accepted, codes), (2, vec!["STATUS_INCONSISTENT".to_owned()]), "1 to 4 in a month");
    let nothing_due = month("A1", "2024-06", 0).replace(r#""status":"N""#, r#""status":"*","amount_due":100"#);
    assert_eq!(w.ingest(&file("HB", &[nothing_due])).1, vec!["STATUS_INCONSISTENT"]);
    let (s, codes) = w.ingest(&file("HB", &[month("A1", "2024-06", 40)]));
    assert_eq!((s.accepted, codes), (1, Vec::<String>::new()), "1 to 2: the run goes on, no new notice");
}

/// An open account its furnisher stopped reporting is shown as not updated, with its last
/// reported month, once 3 months are missing: its state is then as of that month, not now.
#[test]
fn an_account_not_reported_for_three_months_is_marked_not_updated() {
    let mut w = world();
    w.with_history(); // last reported month 2024-04
    let stale = |w: &mut World| w.report().account_groups[0].accounts[0].stale;
    w.at(datetime!(2024-07-20 02:00 UTC));
    assert!(!stale(&mut w), "2024-05 and 2024-06 missing: not yet");
    w.at(datetime!(2024-08-05 02:00 UTC));
    assert!(stale(&mut w), "2024-05 to 2024-07 missing");
    assert!(ob_bureau::render::text(&w.report()).contains("未更新 not reported since 2024-04"));
    w.ingest(&file("HB", &[month("A1", "2024-05", 0), month("A1", "2024-06", 0), month("A1", "2024-07", 0)]));
    assert!(!stale(&mut w), "reported again");
}

/// A debt in collection (C1, 被追偿) is shown as the PBOC report lays it out — received on,
/// amount, status at transfer, balance, last repayment — with no repayment grid, and counted in
/// its own summary line; a card written off is 呆账 and counted in its own.
#[test]
fn collections_and_bad_debts_have_their_own_layout_and_summary_lines() {
    let mut w = world();
    let collected =
        account("C-1").replace(r#""account_type":"R1""#, r#""account_type":"C1""#).replace("2024-01-10", "2024-03-15");
    let card = account("K-1").replace(r#""account_type":"R1""#, r#""account_type":"R2""#);
    let late = |key: &str, m: &str, days: u32| month(key, m, days).replace(r#""balance":50000"#, r#""balance":45000"#);
    let written_off = month("K-1", "2024-04", 100).replace(r#""status":"4""#, r#""status":"B""#);
    let (s, codes) = w.ingest(&file(
        "HB",
        &[
            consent("report", None),
            collected,
            notice("C-1", "2024-03-16"),
            late("C-1", "2024-03", 200),
            late("C-1", "2024-04", 230),
            card,
            notice("K-1", "2024-03-01"),
            month("K-1", "2024-03", 70),
            written_off,
        ],
    ));
    assert_eq!((s.rejected, codes), (0, Vec::<String>::new()));
    let r = w.report();
    let accounts: Vec<_> = r.own_accounts().collect();
    let c1 = accounts.iter().find(|a| a.account_type == ob_model::AccountType::C1).unwrap();
    let c = c1.collection.as_ref().expect("the collection layout");
    assert_eq!((c.received_on, c.amount, c.balance), (time::macros::date!(2024 - 03 - 15), 500_000, 45_000));
    assert_eq!(c.status_at_transfer, Some(ob_model::RepaymentStatus::Overdue7));
    assert_eq!(c1.state, ob_model::AccountState::InCollection);
    let k = accounts.iter().find(|a| a.account_type == ob_model::AccountType::R2).unwrap();
    assert_eq!((k.state, k.collection.is_none()), (ob_model::AccountState::BadDebt, true));
    let (cs, bs) = (&r.summary.collections, &r.summary.bad_debts);
    assert_eq!((cs.len(), cs[0].accounts, cs[0].balance), (1, 1, 45_000));
    assert_eq!((bs.len(), bs[0].accounts, bs[0].balance), (1, 1, 50_000));
    let text = ob_bureau::render::text(&r);
    let block = text.split("[1]").nth(1).unwrap_or_default().split("[2]").next().unwrap_or_default();
    assert!(block.contains("债权接收日期 received 2024-03-15") && !block.contains("近5年历史"), "{block}");
    assert!(text.contains("被追偿信息汇总") && text.contains("呆账信息汇总"), "{text}");
}

/// A collection account is negative information in itself: it leaves reports with its negative
/// months (US: 7 years from 180 days after the first), not only its months; under the PRC rule a
/// delinquency that has not ended does not expire, and the collection stays.
#[test]
fn a_collection_leaves_reports_with_its_negative_months() {
    for (policy, kept) in [(Policy::us(), false), (Policy::prc(), true)] {
        let name = policy.name.clone();
        let mut w = world_with(policy);
        let collected = account("C-1")
            .replace(r#""account_type":"R1""#, r#""account_type":"C1""#)
            .replace("2024-01-10", "2024-03-15");
        let (s, codes) = w.ingest(&file(
            "HB",
            &[
                consent("report", None),
                collected,
                notice("C-1", "2024-03-16"),
                month("C-1", "2024-03", 200),
                month("C-1", "2024-04", 230),
            ],
        ));
        assert_eq!((s.rejected, codes), (0, Vec::<String>::new()));
        let collections = |r: &Report| (r.own_accounts().count(), r.summary.collections.len());
        w.at(datetime!(2031-09-27 12:00 UTC));
        let last_day = w.report();
        assert_eq!(collections(&last_day), (1, 1), "{name}: shown on 2031-09-27");
        let target = DisputeTarget::Account(last_day.account_groups[0].accounts[0].account_ref.clone());
        w.at(datetime!(2031-09-28 12:00 UTC));
        let next_day = w.report();
        let disputed = w.bureau.file_dispute(&zhang(), &target, DisputeType::WrongStatus);
        if kept {
            assert_eq!(collections(&next_day), (1, 1), "{name}: the delinquency has not ended");
            assert!(disputed.is_ok(), "{name}");
        } else {
            assert_eq!(collections(&next_day), (0, 0), "{name}: gone with its months");
            assert_eq!(refused(disputed), Some("UNKNOWN_ITEM"), "{name}: no report shows it");
            assert_eq!(w.bureau.run_retention().unwrap().months_purged, 2);
            assert_eq!(collections(&w.report()), (0, 0), "{name}: and stays gone once its months are purged");
        }
    }
}

/// An account whose last months were negative leaves reports whole once they expire: the months
/// before them would show it open and current, owing an old balance. After `retention run` purges
/// those months, it stays off.
#[test]
fn an_account_whose_last_months_expire_leaves_reports_whole() {
    for (policy, kept) in [(Policy::us(), false), (Policy::prc(), true)] {
        let name = policy.name.clone();
        let mut w = world_with(policy);
        let card = account("K-1").replace(r#""account_type":"R1""#, r#""account_type":"R2""#);
        let written_off = month("K-1", "2024-04", 50).replace(r#""status":"2""#, r#""status":"B""#);
        let (s, codes) = w.ingest(&file(
            "HB",
            &[
                consent("report", None),
                card,
                month("K-1", "2024-02", 0),
                notice("K-1", "2024-03-01"),
                month("K-1", "2024-03", 20),
                written_off,
            ],
        ));
        assert_eq!((s.rejected, codes), (0, Vec::<String>::new()), "{name}");
        let shown = |r: &Report| (r.own_accounts().count(), r.summary.bad_debts.len());
        w.at(datetime!(2031-09-27 12:00 UTC));
        let last_day = w.report();
        assert_eq!(shown(&last_day), (1, 1), "{name}: the charge-off on 2031-09-27");
        let target = DisputeTarget::Account(last_day.account_groups[0].accounts[0].account_ref.clone());
        w.at(datetime!(2031-09-28 12:00 UTC));
        let next_day = w.report();
        if kept {
            assert_eq!(shown(&next_day), (1, 1), "{name}: a bad debt has not ended: it stays");
            continue;
        }
        assert_eq!(shown(&next_day), (0, 0), "{name}: not an open card with February's balance");
        let disputed = w.bureau.file_dispute(&zhang(), &target, DisputeType::WrongStatus);
        assert_eq!(refused(disputed), Some("UNKNOWN_ITEM"), "{name}");
        let purged = w.bureau.run_retention().unwrap();
        assert_eq!((purged.months_purged, purged.accounts_removed), (2, 1), "{name}");
        assert_eq!(shown(&w.report()), (0, 0), "{name}: off for good once purged");
        assert_eq!(w.bureau.run_retention().unwrap().accounts_removed, 0, "{name}: removed once");
        let before = w.report_as_of(date!(2031 - 09 - 27));
        assert_eq!(shown(&before), (0, 0), "{name}: nor in a copy as of a day before the run");
        let again = account("K-1").replace(r#""account_type":"R1""#, r#""account_type":"R2""#);
        let (_, codes) = w.ingest(&file("HB", &[again]));
        assert_eq!(codes, ["ACCOUNT_CONFLICT"], "{name}: not brought back by sending it again");
    }
}

/// A report's time is Beijing time under the PRC policy, UTC under the US one, to the second.
#[test]
fn report_times_follow_the_policy_s_offset() {
    for (policy, shown) in [(Policy::prc(), "2024-06-05T10:00:00+08:00"), (Policy::us(), "2024-06-05T02:00:00Z")] {
        let mut w = world_with(policy);
        w.with_history();
        w.at(datetime!(2024-06-05 02:00:00.123456789 UTC));
        assert_eq!(w.report().header.produced_at, shown);
    }
}

#[test]
fn a_banned_field_is_rejected_and_nothing_of_it_is_stored() {
    let mut w = world();
    w.with_history();
    let line =
        month("A1", "2024-05", 0).replace(r#""status":"N""#, r#""status":"N","merchant":"Hangzhou Teahouse 杭州茶馆""#);
    let religion = account("A2").replace(r#""name":"张三","#, r#""name":"张三","religion":"Buddhist","#);
    let (s, codes) = w.ingest(&file("HB", &[line, religion]));
    assert_eq!((s.accepted, codes), (0, vec!["FIELD_BANNED".to_owned(), "FIELD_BANNED".to_owned()]));
    drop(w.bureau);
    let bytes = ob_store::testing::stored_bytes(&w.db);
    for needle in ["Teahouse".as_bytes(), "杭州茶馆".as_bytes(), b"Buddhist", b"merchant"] {
        assert!(
            !bytes.windows(needle.len()).any(|x| x == needle),
            "{:?} reached the database",
            String::from_utf8_lossy(needle)
        );
    }
}

#[test]
fn editing_an_audit_row_by_hand_breaks_verification_at_that_row() {
    let mut w = world();
    w.with_history();
    w.report();
    w.report();
    w.bureau.checkpoint_audit().unwrap();
    let events = match w.bureau.verify_audit().unwrap() {
        Verification::Intact { events } => events,
        broken => panic!("{broken:?}"),
    };
    assert!(events >= 4);
    let by_hand = |sql: &str| ob_store::testing::execute_by_hand(&w.db, sql);
    by_hand("UPDATE audit_events SET detail = '{\"reason\":\"02\"}' WHERE seq = 3");
    assert_eq!(
        w.bureau.verify_audit().unwrap(),
        Verification::Broken { seq: 3, reason: "content does not match its hash".into() }
    );
    // Recomputing that row's hash to hide the edit breaks the next link instead.
    by_hand("UPDATE audit_events SET hash = prev_hash WHERE seq = 3");
    let Verification::Broken { seq, .. } = w.bureau.verify_audit().unwrap() else { panic!() };
    assert_eq!(seq, 3);
    by_hand("DELETE FROM audit_events WHERE seq = 3");
    assert!(matches!(w.bureau.verify_audit().unwrap(), Verification::Broken { seq: 4, .. }), "a removed row is a gap");
}

#[test]
fn a_checkpoint_signed_by_another_key_or_altered_fails() {
    let mut w = world();
    w.with_history();
    w.bureau.checkpoint_audit().unwrap();
    assert!(matches!(w.bureau.verify_audit().unwrap(), Verification::Intact { .. }));
    ob_store::testing::execute_by_hand(&w.db, "UPDATE audit_checkpoints SET at = at + 1");
    let Verification::Broken { reason, .. } = w.bureau.verify_audit().unwrap() else { panic!("tampering unseen") };
    assert_eq!(reason, "checkpoint signature does not verify");
}

#[test]
fn post_loan_management_needs_an_open_account_at_the_lender() {
    let mut w = world();
    w.with_history();
    w.ingest(&file("BANK", &[consent("inquire", Some("01"))]));
    w.ingest(&file("HB", &[consent("inquire", Some("01"))]));
    let refused = w.ask("BANK", QueryReason::PostLoan);
    assert!(
        matches!(refused, Err(ob_bureau::BureauError::Refused { refusal: ob_bureau::Refusal::NoOpenAccount, .. })),
        "{refused:?}"
    );
    assert!(w.ask("HB", QueryReason::PostLoan).is_ok(), "HB holds A1, open");
}

/// A lender's copy carries references of its own: stable for it, another for every other lender,
/// so that two lenders comparing copies cannot link an account one names to the other's code.
#[test]
fn each_lender_s_copy_has_references_of_its_own() {
    let mut w = world();
    w.with_history();
    w.ingest(&file("BANK", &[consent("inquire", Some("02"))]));
    w.ingest(&file("HB", &[consent("inquire", Some("01"))]));
    let refs = |r: &Report| {
        let a = &r.account_groups[0].accounts[0];
        (a.account_ref.clone(), r.queries.last().map(|q| q.inquiry_ref.clone()))
    };
    let bank = refs(&w.ask("BANK", QueryReason::LoanApproval).unwrap());
    assert_eq!(refs(&w.ask("BANK", QueryReason::LoanApproval).unwrap()), bank, "stable for one lender");
    let hb = refs(&w.ask("HB", QueryReason::PostLoan).unwrap());
    let own = refs(&w.report());
    assert!(bank.0 != hb.0 && bank.1 != hb.1, "another for another lender: {bank:?} {hb:?}");
    assert!(own.0 != bank.0 && own.0 != hb.0 && own.0.len() < bank.0.len(), "the person's own: {own:?}");
}

#[test]
fn a_frozen_file_refuses_approval_inquiries_until_lifted() {
    let mut w = world();
    w.with_history();
    w.ingest(&file("BANK", &[consent("inquire", Some("02"))]));
    w.ingest(&file("HB", &[consent("inquire", Some("01"))]));
    w.bureau.place_flag(&zhang(), FlagKind::Freeze).unwrap();
    let refused = w.ask("BANK", QueryReason::LoanApproval);
    assert!(matches!(refused, Err(ob_bureau::BureauError::Refused { refusal: ob_bureau::Refusal::Frozen, .. })));
    assert!(w.ask("HB", QueryReason::PostLoan).is_ok(), "post-loan management of an open account goes on");
    w.bureau.lift_flag(&zhang(), FlagKind::Freeze).unwrap();
    assert!(w.ask("BANK", QueryReason::LoanApproval).is_ok(), "lifting is immediate");
    assert!(w.bureau.lift_flag(&zhang(), FlagKind::Freeze).is_err());
}

#[test]
fn a_fraud_alert_shows_in_the_header_for_a_year() {
    let mut w = world();
    w.with_history();
    assert!(!w.report().header.fraud_alert);
    w.bureau.place_flag(&zhang(), FlagKind::FraudAlert).unwrap();
    assert!(w.report().header.fraud_alert);
    w.at(datetime!(2025-06-06 02:00 UTC));
    assert!(!w.report().header.fraud_alert, "expires after 365 days");
}

#[test]
fn an_inquiry_the_person_did_not_authorize_can_be_disputed_and_deleted() {
    let mut w = world();
    w.with_history();
    w.ingest(&file("BANK", &[consent("inquire", Some("03"))]));
    w.ask("BANK", QueryReason::CardApproval).unwrap();
    let q = w.report().queries.iter().find(|q| q.reason == QueryReason::CardApproval).unwrap().inquiry_ref.clone();
    let id = w.bureau.file_dispute(&zhang(), &DisputeTarget::Inquiry(q), DisputeType::UnauthorizedQuery).unwrap();
    assert!(w.report().queries.iter().any(|q| q.disputed));
    w.bureau.answer_dispute(Some("BANK"), id, Answer::Deleted, None).unwrap();
    let report = w.report();
    assert!(report.queries.iter().all(|q| q.reason != QueryReason::CardApproval));
    assert_eq!(report.summary.queries.card_approval_queries_1m, 0);
}

#[test]
fn self_views_beyond_the_free_allowance_are_marked() {
    let mut w = world();
    w.with_history();
    let free: Vec<Option<bool>> = (0..3).map(|_| w.report().header.free_self_view).collect();
    assert_eq!(free, vec![Some(true), Some(true), Some(false)]);
    w.at(datetime!(2025-01-02 09:00 UTC));
    assert_eq!(w.report().header.free_self_view, Some(true), "a new year, a new allowance");
}

#[test]
fn a_notice_may_come_before_the_account_is_first_reported() {
    let mut w = world();
    // Told in one file, before the account exists at the bureau; the account then arrives already
    // late in a later file, and in the same file as its notice for a second account.
    let (s, codes) = w.ingest(&file("HB", &[consent("report", None), notice("A1", "2024-03-01")]));
    assert_eq!((s.accepted, codes), (2, Vec::<String>::new()));
    w.at(datetime!(2024-06-06 02:00 UTC));
    let (s, codes) = w.ingest(&file(
        "HB",
        &[
            account("A1"),
            month("A1", "2024-03", 20),
            notice("A2", "2024-03-02"),
            account("A2"),
            month("A2", "2024-03", 20),
        ],
    ));
    assert_eq!((s.accepted, codes), (5, Vec::<String>::new()));
    let (_, codes) = w.ingest(&file("OTHER", &[consent("report", None), notice("A1", "2024-03-01")]));
    assert_eq!(codes, vec!["NOT_OWN_ACCOUNT"], "a notice names only the furnisher's own accounts");
}

#[test]
fn an_unknown_organization_is_refused_naming_the_code_given_and_the_codes_on_file() {
    let mut w = world();
    let refused = w.bureau.dispute_queue("NOPE").unwrap_err();
    assert_eq!(refused.refusal(), Some(ob_bureau::Refusal::UnknownOrganization));
    assert!(refused.to_string().ends_with("; no organization is registered"), "{refused}");
    for i in (0..12).rev() {
        w.bureau.add_org(&format!("ORG{i:02}"), "", &[ob_bureau::access::Role::Lender]).unwrap();
    }
    let text = w.bureau.issue_key(Some("NOPE"), "label").unwrap_err().to_string();
    assert!(
        text.starts_with(
            r#"UNKNOWN_ORGANIZATION: no organization has the code "NOPE"; the codes on file: ORG00, ORG01,"#
        ),
        "sorted: {text}"
    );
    assert!(text.ends_with("ORG09… (12 in all)") && !text.contains("ORG10"), "the first ten: {text}");
    let text = w.bureau.dispute_queue(&"X".repeat(100)).unwrap_err().to_string();
    assert!(text.contains(&format!(r#""{}…""#, "X".repeat(20))), "the code given, cut: {text}");
}

fn special(key: &str, on: &str, amount: i64) -> String {
    format!(r#"{{"kind":"special","account_key":"{key}","special_type":"14","on":"{on}","amount":{amount}}}"#)
}

fn agreement(key: &str, limit: i64) -> String {
    format!(
        r#"{{"kind":"agreement","agreement_key":"{key}","subject":{ZHANG},"limit_type":"10","currency":"CNY","credit_limit":{limit},"effective_on":"2024-01-10","expires_on":"2027-01-09"}}"#
    )
}

fn specials(r: &Report) -> Vec<(String, i64, usize)> {
    r.own_accounts()
        .flat_map(|a| &a.specials)
        .map(|x| (x.special_ref.clone(), x.amount.unwrap_or(0), x.disputes.len()))
        .collect()
}

fn refused(r: ob_bureau::Result<ob_store::DisputeId>) -> Option<&'static str> {
    r.err().and_then(|e| e.refusal()).map(|r| r.code())
}

/// A person may dispute any item of their file (征信业管理条例 art. 25): a special transaction
/// on its own, not only with its whole account. Deleted, it stays off every report, cannot simply
/// be sent again, and comes back only when certified.
#[test]
fn a_special_transaction_can_be_disputed_and_deleted_on_its_own() {
    let mut w = world();
    w.with_history();
    let (s, codes) = w.ingest(&file("HB", &[special("A1", "2024-03-18", 10_000), special("A1", "2024-04-02", 200)]));
    assert_eq!((s.accepted, codes.len()), (2, 0));
    let shown = specials(&w.report());
    assert_eq!(shown.iter().map(|x| x.1).collect::<Vec<_>>(), vec![10_000, 200]);
    let disputed = shown[0].0.clone();
    assert!(disputed.ends_with(".S1"), "{disputed}");
    let (account, _) = disputed.split_once('.').unwrap();
    for wrong in [format!("{account}.S9"), format!("{account}.S"), "A999.S1".to_owned(), account.to_owned()] {
        let target = DisputeTarget::Special(wrong.clone());
        assert_eq!(
            refused(w.bureau.file_dispute(&zhang(), &target, DisputeType::WrongBasicInfo)),
            Some("UNKNOWN_ITEM")
        );
    }
    let target = DisputeTarget::Special(disputed.clone());
    let id = w.bureau.file_dispute(&zhang(), &target, DisputeType::WrongBasicInfo).unwrap();
    assert_eq!(refused(w.bureau.file_dispute(&zhang(), &target, DisputeType::Fraud)), Some("DISPUTE_OPEN"));
    let marked = w.report();
    assert_eq!(marked.header.dispute_marks, 1);
    assert_eq!(specials(&marked).iter().map(|x| x.2).collect::<Vec<_>>(), vec![1, 0], "the mark is on that one");
    assert!(marked.own_accounts().all(|a| a.disputes.is_empty()), "not on the whole account");
    let queue = w.bureau.dispute_queue("HB").unwrap();
    assert_eq!((queue[0].item, queue[0].special_ref.as_deref()), ("special", Some(disputed.as_str())));
    assert_eq!(queue[0].furnisher_key.as_deref(), Some("A1"), "the furnisher is told its own key");
    let mine = w.bureau.disputes_of_person(&zhang()).unwrap();
    assert_eq!(mine[0].furnisher_key, None, "the person's list does not carry it");

    w.at(datetime!(2024-06-10 09:00 UTC));
    w.bureau.answer_dispute(Some("HB"), id, Answer::Deleted, None).unwrap();
    assert_eq!(specials(&w.report()).iter().map(|x| x.1).collect::<Vec<_>>(), vec![200], "deleted");
    let again = w.bureau.file_dispute(&zhang(), &DisputeTarget::Special(disputed.clone()), DisputeType::Fraud).unwrap();
    assert_eq!(specials(&w.report()).len(), 1, "a second dispute does not bring it back");
    w.bureau.answer_dispute(Some("HB"), again, Answer::Verified, None).unwrap();
    assert_eq!(specials(&w.report()).len(), 1, "nor does its answer: only a certified reinsertion");
    let (s, codes) = w.ingest(&file("HB", &[special("A1", "2024-04-02", 200), special("A1", "2024-03-18", 10_000)]));
    assert_eq!((s.rejected, codes), (1, vec!["DISPUTE_DELETED".to_owned()]), "not simply sent again");
    w.bureau.certify_reinsertion("HB", id, "the contract's schedule attached").unwrap();
    assert_eq!(specials(&w.report()).len(), 2, "back once certified");
    let (s, codes) = w.ingest(&file("HB", &[special("A1", "2024-03-18", 10_000)]));
    assert_eq!((s.rejected, codes.len()), (0, 0));
}

/// Only a special a report shows can be disputed: not one on an account a dispute deleted, nor
/// a month of that account.
#[test]
fn a_special_transaction_no_report_shows_cannot_be_disputed() {
    let mut w = world();
    w.with_history();
    w.ingest(&file("HB", &[special("A1", "2024-03-18", 10_000)]));
    let report = w.report();
    let (account, special) =
        (report.own_accounts().next().unwrap().account_ref.clone(), specials(&report)[0].0.clone());
    let id = w.bureau.file_dispute(&zhang(), &DisputeTarget::Account(account), DisputeType::NotMine).unwrap();
    w.bureau.answer_dispute(Some("HB"), id, Answer::Deleted, None).unwrap();
    assert!(specials(&w.report()).is_empty());
    let target = DisputeTarget::Special(special);
    assert_eq!(refused(w.bureau.file_dispute(&zhang(), &target, DisputeType::NotMine)), Some("UNKNOWN_ITEM"));
    let month = month_target(&report, "2024-03");
    assert_eq!(
        refused(w.bureau.file_dispute(&zhang(), &month, DisputeType::NotMine)),
        Some("UNKNOWN_ITEM"),
        "nor its months"
    );
    let account = DisputeTarget::Account(report.own_accounts().next().unwrap().account_ref.clone());
    assert!(w.bureau.file_dispute(&zhang(), &account, DisputeType::MissingInfo).is_ok(), "but as missing");
    assert_eq!(w.report().header.dispute_marks, 0, "the header counts only the marks it shows");
}

/// One open dispute an item at a time, whatever its type; another item (a month, the account)
/// is another dispute. A dispute past its deadline still waits for its answer.
#[test]
fn one_open_dispute_an_item_at_a_time() {
    let mut w = world_with(Policy::us());
    w.with_history();
    let report = w.report();
    let march = month_target(&report, "2024-03");
    let first = w.bureau.file_dispute(&zhang(), &march, DisputeType::WrongStatus).unwrap();
    assert_eq!(refused(w.bureau.file_dispute(&zhang(), &march, DisputeType::DenyOverdue)), Some("DISPUTE_OPEN"));
    let account = DisputeTarget::Account(report.own_accounts().next().unwrap().account_ref.clone());
    w.bureau.file_dispute(&zhang(), &month_target(&report, "2024-02"), DisputeType::WrongStatus).unwrap();
    w.bureau.file_dispute(&zhang(), &account, DisputeType::WrongBasicInfo).unwrap();
    assert_eq!(w.report().header.dispute_marks, 3);
    w.at(datetime!(2024-07-10 09:00 UTC));
    assert_eq!(refused(w.bureau.file_dispute(&zhang(), &march, DisputeType::DenyOverdue)), Some("DISPUTE_OPEN"));
    w.bureau.answer_dispute(Some("HB"), first, Answer::Verified, Some("late, but checked")).unwrap();
    assert!(w.bureau.file_dispute(&zhang(), &march, DisputeType::DenyOverdue).is_ok(), "answered: again");
}

/// "Corrected" needs the corrected special on file; the one disputed is then no longer shown.
#[test]
fn a_corrected_special_transaction_replaces_the_one_disputed() {
    let mut w = world();
    w.with_history();
    w.ingest(&file("HB", &[special("A1", "2024-03-18", 10_000)]));
    let disputed = specials(&w.report())[0].0.clone();
    let id = w.bureau.file_dispute(&zhang(), &DisputeTarget::Special(disputed), DisputeType::WrongBasicInfo).unwrap();
    w.at(datetime!(2024-06-08 09:00 UTC));
    let refusal = w.bureau.answer_dispute(Some("HB"), id, Answer::Corrected, None).err().and_then(|e| e.refusal());
    assert_eq!(refusal.map(|r| r.code()), Some("NO_CORRECTION"));
    w.ingest(&file("HB", &[special("A1", "2024-03-18", 1_000)]));
    w.bureau.answer_dispute(Some("HB"), id, Answer::Corrected, None).unwrap();
    assert_eq!(specials(&w.report()).iter().map(|x| x.1).collect::<Vec<_>>(), vec![1_000]);
    let before = w.report_as_of(date!(2024 - 06 - 07));
    assert_eq!(specials(&before).iter().map(|x| x.1).collect::<Vec<_>>(), vec![10_000], "as it stood then");
}

/// A credit agreement can be disputed: marked at once; unanswered past the deadline it is
/// suppressed where the policy says so; deleted, the lender cannot send it again uncertified.
#[test]
fn a_credit_agreement_can_be_disputed_suppressed_and_deleted() {
    for (policy, suppressed) in [(Policy::us(), true), (Policy::prc(), false)] {
        let name = policy.name.clone();
        let mut w = world_with(policy);
        w.with_history();
        let (s, codes) = w.ingest(&file("HB", &[agreement("L1", 500_000), agreement("L2", 80_000)]));
        assert_eq!((s.accepted, codes.len()), (2, 0), "{name}");
        let report = w.report();
        let refs: Vec<String> = report.agreements.iter().map(|a| a.agreement_ref.clone()).collect();
        assert!(refs.iter().all(|r| r.len() == 13 && !r.contains('L')), "{name}: no contract number in {refs:?}");
        let disputed = report.agreements.iter().find(|a| a.credit_limit == 500_000).unwrap().agreement_ref.clone();
        let bogus = DisputeTarget::Agreement("G000000000000".into());
        assert_eq!(refused(w.bureau.file_dispute(&zhang(), &bogus, DisputeType::NotMine)), Some("UNKNOWN_ITEM"));
        let typed = DisputeTarget::Agreement(disputed.to_ascii_uppercase());
        let id = w.bureau.file_dispute(&zhang(), &typed, DisputeType::NotMine);
        let id = id.unwrap();
        let marked = w.report();
        let entry = marked.agreements.iter().find(|a| a.agreement_ref == disputed).unwrap();
        assert_eq!((marked.header.dispute_marks, entry.disputes.len()), (1, 1), "{name}");
        assert_eq!(w.bureau.dispute_queue("HB").unwrap()[0].furnisher_key.as_deref(), Some("L1"), "{name}");
        w.at(datetime!(2024-07-06 09:00 UTC));
        let limits: Vec<i64> = w.report().agreements.iter().map(|a| a.credit_limit).collect();
        if suppressed {
            assert_eq!(limits, vec![80_000], "{name}: suppressed after the deadline");
        } else {
            assert_eq!(limits.len(), 2, "{name}: stays, marked");
        }
        w.bureau.answer_dispute(Some("HB"), id, Answer::Deleted, Some("opened by fraud")).unwrap();
        assert_eq!(w.report().agreements.len(), 1, "{name}: deleted");
        let (s, codes) = w.ingest(&file("HB", &[agreement("L1", 600_000)]));
        assert_eq!((s.rejected, codes), (1, vec!["DISPUTE_DELETED".to_owned()]), "{name}");
    }
}

/// FCRA §611(d): at the person's request, the organizations that had a report holding a disputed
/// item in the last six months are told what became of it — only those whose report showed the
/// item, each once per outcome, the item named as its own copy named it.
#[test]
fn those_who_had_a_disputed_item_are_told_at_the_persons_request() {
    let mut w = world_with(Policy::us());
    w.with_history();
    for (org, purpose) in [("BANK", "02"), ("CARD", "03"), ("OLD", "02")] {
        w.ingest(&file(org, &[consent("inquire", Some(purpose))]));
    }
    // OLD looked a day more than six months before the requests; BANK twice within them.
    w.at(datetime!(2024-06-09 09:00 UTC));
    let old = w.ask("OLD", QueryReason::LoanApproval).unwrap();
    w.at(datetime!(2024-11-20 09:00 UTC));
    let bank_first = w.ask("BANK", QueryReason::LoanApproval).unwrap();
    w.at(datetime!(2024-12-10 09:00 UTC));
    let bank = w.ask("BANK", QueryReason::LoanApproval).unwrap();
    let target = month_target(&w.report(), "2024-03");
    let id = w.bureau.file_dispute(&zhang(), &target, DisputeType::DenyOverdue).unwrap();
    let none = w.bureau.tell_recipients(&zhang(), id, None).unwrap();
    let told: Vec<_> = none.iter().map(|n| (n.organization.as_str(), n.state, n.inquired_on)).collect();
    assert_eq!(told, vec![("BANK", DisputeState::Open, date!(2024 - 12 - 10))], "open: the newest report before it");
    // Unanswered past the deadline, the month is suppressed: CARD's report that day did not show it.
    w.at(datetime!(2025-01-11 09:00 UTC));
    w.ask("CARD", QueryReason::CardApproval).unwrap();
    w.at(datetime!(2025-01-12 09:00 UTC));
    w.bureau.answer_dispute(Some("HB"), id, Answer::Deleted, None).unwrap();
    let looks = w.report().queries;
    let look = |who: &str, on: Date| {
        looks.iter().find(|q| q.institution == who && q.on == on).map(|q| q.inquiry_ref.clone()).unwrap()
    };
    let older = look("BANK", date!(2024 - 11 - 20));
    for refs in [vec!["Q99".to_owned()], vec![look("CARD", date!(2025 - 01 - 11))]] {
        assert!(w.bureau.tell_recipients(&zhang(), id, Some(&refs)).is_err(), "{refs:?} is not a report that held it");
    }
    let made = w.bureau.tell_recipients(&zhang(), id, Some(std::slice::from_ref(&older))).unwrap();
    let told: Vec<_> = made.iter().map(|n| (n.organization.as_str(), n.state, n.inquired_on)).collect();
    assert_eq!(told, vec![("BANK", DisputeState::Deleted, date!(2024 - 11 - 20))], "the report the person chose");
    assert!(w.bureau.tell_recipients(&zhang(), id, None).unwrap().is_empty(), "told once");
    assert_eq!(w.bureau.recipient_notices_of_person(&zhang()).unwrap().len(), 2);
    // BANK reads them by the references of its own copies; OLD and CARD were sent nothing.
    let queue = w.bureau.correction_notices_for("BANK", 0).unwrap();
    let states: Vec<_> = queue.iter().map(|n| n.state).collect();
    assert_eq!(states, vec![DisputeState::Open, DisputeState::Deleted]);
    let own_ref = &bank.account_groups[0].accounts[0].account_ref;
    assert_eq!(queue[1].account_ref.as_ref(), Some(own_ref));
    assert_eq!((queue[1].item, queue[1].month), ("month", YearMonth::parse("2024-03")));
    assert_eq!((&queue[0].report_id, &queue[1].report_id), (&bank.header.report_id, &bank_first.header.report_id));
    assert!(w.bureau.correction_notices_for("BANK", queue[1].id).unwrap().is_empty(), "a queue read on");
    assert!(w.bureau.correction_notices_for("OLD", 0).unwrap().is_empty(), "{}", old.header.report_id);
    assert!(w.bureau.correction_notices_for("CARD", 0).unwrap().is_empty());
    assert!(w.bureau.correction_notices_for("HB", 0).unwrap().is_empty(), "the furnisher answered it itself");
    assert!(matches!(w.bureau.verify_audit().unwrap(), Verification::Intact { .. }));
}

/// A lender's copy lists and counts soft inquiries (post-loan management, the person's own views)
/// where the PBOC institution report does (PRC), and only hard ones under the FCRA (US), where
/// soft inquiries are shown to the person alone; the person's copy lists every one either way.
#[test]
fn soft_inquiries_reach_a_lenders_copy_only_where_the_policy_says_so() {
    for (policy, shown) in [(Policy::prc(), true), (Policy::us(), false)] {
        let name = policy.name.clone();
        let mut w = world_with(policy);
        w.with_history();
        w.ingest(&file("HB", &[consent("inquire", Some("01"))]));
        w.ingest(&file("BANK", &[consent("inquire", Some("02"))]));
        w.report();
        w.ask("HB", QueryReason::PostLoan).unwrap();
        let copy = w.ask("BANK", QueryReason::LoanApproval).unwrap();
        let reasons: Vec<QueryReason> = copy.queries.iter().map(|q| q.reason).collect();
        let q = &copy.summary.queries;
        if shown {
            let all = vec![QueryReason::LoanApproval, QueryReason::PostLoan, QueryReason::SelfQuery];
            assert_eq!(reasons, all, "{name}");
            assert_eq!((q.self_queries_1m, q.post_loan_queries_2y), (1, 1), "{name}");
        } else {
            assert_eq!(reasons, vec![QueryReason::LoanApproval], "{name}: hard ones only");
            assert_eq!((q.self_queries_1m, q.post_loan_queries_2y), (0, 0), "{name}");
        }
        assert_eq!(q.loan_approval_queries_1m, 1, "{name}");
        assert_eq!(w.report().queries.len(), 4, "{name}: the person sees every look, this one too");
    }
}
