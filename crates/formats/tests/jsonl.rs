//! Data-driven tests of the canonical JSON-lines reader and writer.

use ob_formats::jsonl::{Header, Reader, Writer, parse_record};
use ob_model::records::{
    AccountRecord, AgreementRecord, ConsentRecord, ContractTerms, Identity, MonthDetail, MonthRecord, Record,
    SpecialRecord, Terms,
};
use ob_model::{
    AccountType, AgreementKind, Classification, ConsentScope, Currency, DocumentNumber, DocumentType, GuaranteeMode,
    LoanKind, QueryReason, RepayFrequency, RepaymentMethod, RepaymentStatus, Responsibility, SpecialKind, YearMonth,
    identity::prc_check_char,
};
use proptest::prelude::*;
use std::fmt::Write as _;

/// Reads a whole file and renders one line per entry: `line N: ok KIND` or each error.
fn render(input: &[u8]) -> String {
    let mut reader = match Reader::new(input) {
        Ok(r) => r,
        Err(e) => return format!("file error: {e}\n"),
    };
    let mut out = format!("header: furnisher {}\n", reader.header().furnisher);
    while let Some(entry) = reader.next_entry() {
        let entry = entry.expect("reading from memory cannot fail");
        match entry.outcome {
            Ok(r) => writeln!(out, "line {}: ok {}", entry.line, r.kind()).unwrap(),
            Err(errors) => {
                for e in errors {
                    writeln!(out, "line {}: {} [{}] {}", entry.line, e.code, e.field, e.message).unwrap();
                }
            }
        }
    }
    out
}

#[test]
fn golden_mixed_file() {
    let input = include_bytes!("golden/mixed.jsonl");
    insta::assert_snapshot!(render(input));
}

fn check(input: &str, expect: &str) {
    assert_eq!(render(input.as_bytes()).trim_end(), expect.trim_end(), "input: {input}");
}

#[test]
fn header_problems() {
    check("", "file error: line 1: HEADER_INVALID at : the file is empty");
    check(
        "{\"kind\":\"month\"}\n",
        "file error: line 1: HEADER_INVALID at : not a header line: missing field `format` at line 1 column 16",
    );
    check(
        r#"{"kind":"header","format":"openbureau.jsonl","version":9,"furnisher":"X"}"#,
        "file error: line 1: HEADER_INVALID at version: unsupported format version",
    );
    check(
        "\n\n{\"kind\":\"header\",\"format\":\"openbureau.jsonl\",\"version\":1,\"furnisher\":\"A B\"}",
        "file error: line 3: HEADER_INVALID at furnisher: furnisher code is 1–20 letters, digits, '_' or '-'",
    );
}

#[test]
fn long_line_is_reported_and_reading_goes_on() {
    let header = r#"{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"X"}"#;
    let long = format!("{{\"kind\":\"month\",\"account_key\":\"{}\"}}", "k".repeat(20_000));
    let input = format!("{header}\n{long}\r\n{{}}\n");
    check(
        &input,
        "header: furnisher X\nline 2: LINE_TOO_LONG [] line longer than 16384 bytes\nline 3: FIELD_MISSING [kind] required field is missing",
    );
}

fn prc_id() -> impl Strategy<Value = (String, time::Date)> {
    (prop::sample::select(vec![11u32, 31, 44, 51, 65]), 0u32..10_000, 1950i32..2005, 1u8..=12, 1u8..=28, 0u32..1000)
        .prop_map(|(prov, area, year, month, day, seq)| {
            let first17 = format!("{prov:02}{area:04}{year:04}{month:02}{day:02}{seq:03}");
            let check = prc_check_char(first17.as_bytes()).unwrap();
            let born = time::Date::from_calendar_date(year, time::Month::try_from(month).unwrap(), day).unwrap();
            (format!("{first17}{check}"), born)
        })
}

fn identity() -> impl Strategy<Value = Identity> {
    (prc_id(), "[一-龥]{2,3}").prop_map(|((id, born), name)| Identity {
        name,
        birth_date: born,
        document: DocumentNumber::parse(DocumentType::PrcResidentId, &id).unwrap(),
    })
}

fn date() -> impl Strategy<Value = time::Date> {
    (2005i32..2030, 1u8..=12, 1u8..=28)
        .prop_map(|(y, m, d)| time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap())
}

fn record() -> impl Strategy<Value = Record> {
    let consent =
        (identity(), date(), 0i64..3000, any::<[u8; 32]>(), prop::option::of("[A-Z0-9-]{1,20}"), any::<bool>())
            .prop_map(|(subject, granted_on, days, evidence_sha256, consent_ref, inquire)| {
                Record::Consent(ConsentRecord {
                    subject,
                    scope: if inquire { ConsentScope::Inquire } else { ConsentScope::Report },
                    purpose: inquire.then_some(QueryReason::LoanApproval),
                    granted_on,
                    expires_on: granted_on + time::Duration::days(days),
                    evidence_sha256,
                    consent_ref,
                })
            });
    let account = (
        identity(),
        "[A-Za-z0-9-]{1,30}",
        prop::sample::select(AccountType::ALL.to_vec()),
        date(),
        0i64..1_000_000_000,
        1u16..360,
        contract(),
    )
        .prop_map(|(subject, account_key, account_type, opened_on, limit, periods, mut contract)| {
            contract.maturity_on =
                contract.maturity_on.map(|_| opened_on + time::Duration::days(i64::from(periods) * 30));
            Record::Account(AccountRecord {
                account_key,
                subject,
                account_type,
                opened_on,
                currency: Currency::CNY,
                credit_limit_minor: limit,
                terms: Terms { periods: Some(periods), due_day: Some(9), contract },
                responsibility: Responsibility::Individual,
                credit_line_key: None,
            })
        });
    let month = (
        "[A-Za-z0-9-]{1,30}",
        2005i32..2030,
        1u8..=12,
        0i64..1_000_000,
        0u32..400,
        any::<bool>(),
        prop::option::of(0i64..9_000_000),
        (prop::option::of(0u16..500), any::<bool>(), prop::option::of(0u16..360)),
    )
        .prop_map(|(account_key, y, m, balance, dpd, class, limit, (periods, principal, remaining))| {
            let month = YearMonth::new(y, m).unwrap();
            let status = RepaymentStatus::from_days_past_due(dpd);
            Record::Month(MonthRecord {
                account_key,
                month,
                settled_on: month.last_day(),
                balance_minor: balance,
                used_minor: balance,
                due_minor: balance / 10,
                paid_minor: 0,
                past_due_minor: if dpd > 0 { 1 + balance / 10 } else { 0 },
                days_past_due: dpd,
                status,
                class5: class.then_some(Classification::Normal),
                last_payment_on: Some(month.first_day()),
                closed_on: None,
                credit_limit_minor: limit,
                detail: MonthDetail {
                    // The status's count (more only under `7`), when given.
                    overdue_periods: periods.map(|n| match status.overdue_periods() {
                        Some(7) => 7 + n,
                        Some(p) => u16::from(p),
                        None => 0,
                    }),
                    // At most what is past due, its ages adding up to at most itself.
                    overdue_principal_minor: (principal && dpd > 0).then_some(1 + balance / 10),
                    overdue_by_age_minor: [(principal && dpd > 30).then_some(1), None, None, None],
                    remaining_periods: remaining,
                },
            })
        });
    let special =
        ("[A-Za-z0-9-]{1,30}", prop::sample::select(SpecialKind::ALL.to_vec()), date(), 0i64..9_000_000, 1u16..60)
            .prop_map(|(account_key, kind, on, amount, months)| {
                let moves = matches!(kind, SpecialKind::Extension | SpecialKind::LenderDeferral);
                Record::Special(SpecialRecord {
                    account_key,
                    kind,
                    on,
                    amount_minor: (!kind.is_event()).then_some(amount),
                    months_changed: moves.then_some(months),
                })
            });
    let agreement = (
        identity(),
        "[A-Za-z0-9-]{1,30}",
        prop::sample::select(AgreementKind::ALL.to_vec()),
        date(),
        0i64..9_000_000,
        prop::option::of(0i64..4000),
        any::<bool>(),
    )
        .prop_map(|(subject, agreement_key, kind, effective_on, limit, days, ended)| {
            Record::Agreement(AgreementRecord {
                agreement_key,
                subject,
                kind,
                currency: Currency::CNY,
                limit_minor: limit,
                effective_on,
                expires_on: days.map(|d| effective_on + time::Duration::days(d)),
                ended,
                responsibility: Responsibility::Individual,
            })
        });
    prop_oneof![consent, account, month, special, agreement]
}

fn contract() -> impl Strategy<Value = ContractTerms> {
    (
        prop::option::of(prop::sample::select(LoanKind::ALL.to_vec())),
        prop::option::of(prop::sample::select(GuaranteeMode::ALL.to_vec())),
        any::<bool>(),
        prop::option::of(prop::sample::select(RepayFrequency::ALL.to_vec())),
        prop::option::of(prop::sample::select(RepaymentMethod::ALL.to_vec())),
    )
        .prop_map(|(loan_kind, guarantee, matures, frequency, method)| ContractTerms {
            loan_kind,
            guarantee,
            // Set from the opening date by the caller.
            maturity_on: matures.then_some(time::Date::MIN),
            frequency,
            method,
        })
}

proptest! {
    #[test]
    fn records_round_trip(records in prop::collection::vec(record(), 1..20)) {
        let mut w = Writer::new(Vec::new(), &Header::new("F1", Some("测试"), None)).unwrap();
        for r in &records {
            w.write(r).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut reader = Reader::new(bytes.as_slice()).unwrap();
        let mut back = Vec::new();
        while let Some(entry) = reader.next_entry() {
            back.push(entry.unwrap().outcome.unwrap());
        }
        prop_assert_eq!(back, records);
    }

    #[test]
    fn any_line_gives_a_record_or_located_errors(line in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Err(errors) = parse_record(&line) {
            prop_assert!(!errors.is_empty());
        }
    }
}
