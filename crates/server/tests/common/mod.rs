//! A bureau with two people who sign in (P: 张三, Q: 李四), one who has a file but no sign-in
//! (王五), two furnishers, a lender holding P's and Q's inquiry consents and one holding none,
//! for the web tests and the browser test.
#![allow(dead_code)]

use ob_bureau::Bureau;
use ob_bureau::access::{Role, hash_password};
use ob_bureau::clock::ManualClock;
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::IngestOptions;
use ob_bureau::report::{ReportRequest, Requester};
use ob_model::{DocumentNumber, DocumentType, QueryReason, RepaymentStatus};
use ob_server::AppState;
use ob_store::Store;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use time::macros::datetime;

pub const P_NAME: &str = "张三";
pub const P_ID: &str = "11010519491231002X";
pub const P_PASSWORD: &str = "zhang-san-password";
pub const Q_NAME: &str = "李四";
pub const Q_ID: &str = "110105199001011232";
pub const Q_PASSWORD: &str = "li-si-password-456";
/// A person with a file and no sign-in.
pub const W_ID: &str = "110105198505054565";
/// A valid document with no file.
pub const NOBODY_ID: &str = "110101200001010010";

/// The SHA-256 of the signed authorization documents (every consent's evidence here).
pub const EVIDENCE: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn subject(name: &str, birth: &str, id: &str) -> String {
    format!(r#"{{"name":"{name}","birth_date":"{birth}","document":{{"type":"prc_resident_id","number":"{id}"}}}}"#)
}

pub fn p_subject() -> String {
    subject(P_NAME, "1949-12-31", P_ID)
}

pub fn q_subject() -> String {
    subject(Q_NAME, "1990-01-01", Q_ID)
}

fn w_subject() -> String {
    subject("王五", "1985-05-05", W_ID)
}

fn file(furnisher: &str, name: &str, lines: &[String]) -> String {
    let mut s = format!(
        r#"{{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"{furnisher}","furnisher_name":"{name}"}}"#
    );
    for l in lines {
        s.push('\n');
        s.push_str(l);
    }
    s + "\n"
}

fn consent(subject: &str, scope: &str, purpose: Option<&str>) -> String {
    let purpose = purpose.map(|p| format!(r#","purpose":"{p}""#)).unwrap_or_default();
    format!(
        r#"{{"kind":"consent","subject":{subject},"scope":"{scope}"{purpose},"granted_on":"2022-01-01","expires_on":"2030-01-01","evidence_sha256":"{EVIDENCE}"}}"#
    )
}

fn account(key: &str, subject: &str, kind: &str, opened: &str, limit: i64) -> String {
    format!(
        r#"{{"kind":"account","account_key":"{key}","subject":{subject},"account_type":"{kind}","opened_on":"{opened}","currency":"CNY","credit_limit":{limit}}}"#
    )
}

fn month(key: &str, month: &str, days_late: u32) -> String {
    let status = RepaymentStatus::from_days_past_due(days_late);
    let past_due = if days_late > 0 { 5_000 } else { 0 };
    format!(
        r#"{{"kind":"month","account_key":"{key}","month":"{month}","balance":120000,"used_amount":120000,"amount_due":12000,"past_due_amount":{past_due},"days_past_due":{days_late},"status":"{status}"}}"#
    )
}

fn notice(key: &str, on: &str) -> String {
    format!(r#"{{"kind":"notice","account_key":"{key}","notified_on":"{on}","channel":"sms"}}"#)
}

/// Months `from`..=`to` of 2022–2024 as `YYYY-MM`.
fn months(from: (i32, u8), to: (i32, u8)) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = from;
    while (y, m) <= to {
        out.push(format!("{y}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// P's file at Alpha Bank: a credit line since 2022-03, late in 2023-08 and 2023-09.
fn alpha_file() -> String {
    let p = p_subject();
    let mut lines = vec![
        consent(&p, "report", None),
        account("ZH-LINE-1", &p, "R1", "2022-03-10", 800_000).replace(
            r#""credit_limit":800000"#,
            r#""credit_limit":800000,"terms":{"due_day":10,"loan_kind":"91","guarantee":"4","frequency":"03","method":"21"}"#,
        ),
        notice("ZH-LINE-1", "2023-08-01"),
    ];
    for m in months((2022, 4), (2024, 5)) {
        let late = match m.as_str() {
            "2023-08" => 20,
            "2023-09" => 45,
            _ => 0,
        };
        lines.push(month("ZH-LINE-1", &m, late));
    }
    // The line's credit agreement (授信协议), and an instalment plan drawn under the line, shown
    // under it, and its early repayment.
    lines.push(format!(
        r#"{{"kind":"agreement","agreement_key":"ZH-LINE-1","subject":{p},"limit_type":"10","currency":"CNY","credit_limit":800000,"effective_on":"2022-03-10","expires_on":"2025-03-09"}}"#
    ));
    lines.push(format!(
        r#"{{"kind":"account","account_key":"ZH-LINE-1-P1","subject":{p},"account_type":"R4","opened_on":"2024-04-12","currency":"CNY","credit_limit":60000,"terms":{{"periods":6,"due_day":10,"maturity_on":"2024-10-10","method":"11"}},"credit_line_key":"ZH-LINE-1"}}"#
    ));
    lines.push(
        r#"{"kind":"month","account_key":"ZH-LINE-1-P1","month":"2024-05","balance":40000,"amount_due":10000,"amount_paid":10000,"status":"N","detail":{"remaining_periods":4}}"#
            .to_owned(),
    );
    lines.push(
        r#"{"kind":"special","account_key":"ZH-LINE-1-P1","special_type":"14","on":"2024-05-20","amount":10000}"#
            .to_owned(),
    );
    file("FURNA", "Alpha Bank", &lines)
}

/// Q's and 王五's files at Beta Finance.
fn beta_file() -> String {
    let (q, w) = (q_subject(), w_subject());
    let mut lines = vec![
        consent(&q, "report", None),
        consent(&w, "report", None),
        account("LI-LOAN-9", &q, "R1", "2023-01-15", 300_000),
        account("WANG-1", &w, "R1", "2023-01-15", 100_000),
    ];
    for m in months((2023, 2), (2024, 5)) {
        lines.push(month("LI-LOAN-9", &m, 0));
        lines.push(month("WANG-1", &m, 0));
    }
    file("FURNB", "Beta Finance", &lines)
}

/// The lenders: Cautious Lender holds P's and Q's consent for loan approval; Nosy Lender none.
fn lender_files() -> [String; 2] {
    [
        file(
            "LENDC",
            "Cautious Lender",
            &[consent(&p_subject(), "inquire", Some("02")), consent(&q_subject(), "inquire", Some("02"))],
        ),
        file("LENDN", "Nosy Lender", &[]),
    ]
}

pub fn doc(id: &str) -> DocumentNumber {
    DocumentNumber::parse(DocumentType::PrcResidentId, id).unwrap()
}

/// The world: the state (the router is `ob_server::router(state.clone())`), its clock, and the
/// API keys.
pub struct World {
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    /// Furnisher A (Alpha Bank, P's account).
    pub key_a: String,
    /// Furnisher B (Beta Finance, Q's account).
    pub key_b: String,
    /// Cautious Lender, holding P's and Q's consent for loan approval.
    pub key_lc: String,
    /// Nosy Lender, holding no consent.
    pub key_ln: String,
    /// An operator (admin).
    pub admin_key: String,
}

/// Builds the world over `store`: files ingested, passwords set for P and Q, and one loan-approval
/// inquiry by Cautious Lender on P's file (on 2024-06-03).
pub fn world(store: impl Store + 'static) -> World {
    let clock = Arc::new(ManualClock::new(datetime!(2024-06-03 10:15 UTC)));
    let mut bureau = Bureau::new(store, Keys::from_master(&[7; 32]), clock.clone()).unwrap();
    let mut texts = vec![alpha_file(), beta_file()];
    texts.extend(lender_files());
    for text in texts {
        let options = IngestOptions {
            register_unknown_furnisher: true,
            expected_furnisher: None,
            keep_feedback: false,
            cached_max: None,
            prefetch: None,
        };
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        let mut feedback = Vec::new();
        let s = bureau.ingest_jsonl(text.as_bytes(), digest, &options, &mut feedback, &mut |_| {}).unwrap();
        assert_eq!(s.rejected, 0, "{}", String::from_utf8_lossy(&feedback));
    }
    for (id, password) in [(P_ID, P_PASSWORD), (Q_ID, Q_PASSWORD)] {
        bureau.set_password(&doc(id), &hash_password(password).unwrap()).unwrap();
    }
    let lender = Requester::Organization { code: "LENDC".into(), reason: QueryReason::LoanApproval };
    bureau.produce_report(&ReportRequest { document: doc(P_ID), as_of: None, requester: lender }).unwrap();
    let mut key = |code: &str, name: &str, roles: &[Role]| {
        bureau.add_org(code, name, roles).unwrap();
        bureau.issue_key(Some(code), "test").unwrap()
    };
    let key_a = key("FURNA", "Alpha Bank", &[Role::Furnisher]);
    let key_b = key("FURNB", "Beta Finance", &[Role::Furnisher]);
    let key_lc = key("LENDC", "Cautious Lender", &[Role::Lender, Role::Furnisher]);
    let key_ln = key("LENDN", "Nosy Lender", &[Role::Lender]);
    let admin_key = bureau.issue_key(None, "operator").unwrap();
    clock.set(datetime!(2024-06-05 02:00 UTC));
    let state = AppState::new(bureau).with_log(false).with_clock(clock.clone());
    World { state, clock, key_a, key_b, key_lc, key_ln, admin_key }
}
