//! Golden-file, snapshot and property tests of the PBOC-style reader, validator, writer,
//! feedback and mapping onto the model.
//!
//! Golden files under tests/golden/pboc/ are produced here (valid files by the writer, invalid
//! ones by editing valid lines); each run regenerates them and compares with the committed bytes
//! (set `BLESS_GOLDEN=1` to rewrite them after a deliberate change). The expected feedback of
//! each is an insta snapshot (tests/snapshots/pboc__*.snap).

#[path = "common/golden.rs"]
mod golden_file;
#[path = "pboc_support/mod.rs"]
mod support;

use ob_formats::pboc::{
    ErrorCode, FeedbackFlag, FileName, PbocRecord, ReadError, Reader, RecordType, feedback_file, to_model, to_xml,
    validate,
};
use std::fmt::Write as _;
use support::{INSTITUTION, file, header, model_records, pboc_records};
use time::macros::{date, datetime};

fn golden(name: &str, bytes: &[u8]) -> Vec<u8> {
    golden_file::check("pboc", name, bytes)
}

fn upload_name(t: RecordType) -> FileName {
    FileName {
        institution: INSTITUTION.into(),
        date: date!(2024 - 04 - 01),
        record_type: t,
        serial: 1,
        flag: FeedbackFlag::Upload,
    }
}

/// Every record read, and what the model makes of it.
fn render_mapping(bytes: &[u8]) -> String {
    let mut reader = Reader::new(bytes).unwrap();
    let mut out = format!("header: {:?}\n", reader.header());
    while let Some(entry) = reader.next_entry() {
        let entry = entry.unwrap();
        let record = entry.outcome.unwrap_or_else(|e| panic!("seq {}: {e:?}", entry.seq));
        match to_model::to_records(&record) {
            Ok(records) if records.is_empty() => writeln!(out, "seq {}: nothing the model holds", entry.seq).unwrap(),
            Ok(records) => {
                for r in records {
                    writeln!(out, "seq {}: {r:?}", entry.seq).unwrap();
                }
            }
            Err(e) => writeln!(out, "seq {}: rejected by the mapping {e:?}", entry.seq).unwrap(),
        }
    }
    out
}

/// The validation report as text: the counts, the file's problems, then the feedback file.
fn render_feedback(bytes: &[u8], t: RecordType) -> String {
    let report = validate(bytes).unwrap();
    let mut out = format!("records {} rejected {}\n", report.records, report.rejected);
    for e in &report.file_errors {
        writeln!(out, "file: {} {}", e.code, e.message).unwrap();
    }
    let (name, fb) = feedback_file(&upload_name(t), datetime!(2024-04-01 03:00:00), &report.rejections).unwrap();
    writeln!(out, "feedback file {name}:").unwrap();
    out.push_str(&String::from_utf8(fb).unwrap());
    out
}

#[test]
fn golden_valid_files_for_every_record_type_read_back_and_map_onto_the_model() {
    let all = pboc_records();
    let types: Vec<RecordType> = all.iter().map(|(t, _)| *t).collect();
    assert_eq!(types.len(), RecordType::ALL.len(), "a golden file for every record type: {types:?}");
    for (t, records) in &all {
        let name = format!("valid_{t}.txt");
        let bytes = golden(&name, &file(*t, records));
        let report = validate(bytes.as_slice()).unwrap();
        assert!(report.is_valid(), "{name}: {report:#?}");
        assert_eq!(report.records, records.len() as u64);
        let mut reader = Reader::new(bytes.as_slice()).unwrap();
        let mut back = Vec::new();
        while let Some(e) = reader.next_entry() {
            back.push(e.unwrap().outcome.unwrap());
        }
        assert_eq!(&back, records, "{name}: read back differs");
        insta::assert_snapshot!(name, render_mapping(&bytes));
    }
}

/// A 210 file as the writer wrote it before segment C's `BusiDtlLines` and `RepayMode` and H's
/// `RemRepPrd` (all optional): it still validates, and maps with no kind, method or instalments
/// left, which it never said.
#[test]
fn a_file_from_before_the_report_details_still_reads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/pboc/valid_210_format_before_details.txt");
    let bytes = std::fs::read(path).unwrap();
    let report = validate(bytes.as_slice()).unwrap();
    assert!(report.is_valid(), "{report:#?}");
    let mut reader = Reader::new(bytes.as_slice()).unwrap();
    let mut mapped = Vec::new();
    while let Some(e) = reader.next_entry() {
        mapped.extend(to_model::to_records(&e.unwrap().outcome.unwrap()).unwrap());
    }
    let accounts: Vec<_> = mapped
        .iter()
        .filter_map(|r| match r {
            ob_model::records::Record::Account(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(accounts.len(), 6);
    for a in accounts {
        let c = a.terms.contract;
        assert_eq!((c.loan_kind, c.method), (None, None), "{}", a.account_key);
        assert_eq!(c.guarantee, Some(ob_model::GuaranteeMode::Credit), "GuarMode was always there");
    }
    for r in &mapped {
        if let ob_model::records::Record::Month(m) = r {
            assert_eq!(m.detail.remaining_periods, None);
        }
    }
}

#[test]
fn the_model_round_trips_through_the_samples() {
    let converted = to_model::from_model(&model_records(), INSTITUTION);
    let back: Vec<_> = converted.records.iter().flat_map(|r| to_model::to_records(r).unwrap()).collect();
    assert_eq!(back, model_records());
}

/// The XML line of a sample record.
fn line(r: &PbocRecord) -> String {
    let mut s = String::new();
    to_xml(r, &mut s);
    s
}

/// The 210 lines of the samples, by account code and reason.
fn account_line(code: &str, reason: &str) -> String {
    let all = pboc_records();
    let (_, accounts) = all.iter().find(|(t, _)| *t == RecordType::Account).unwrap();
    accounts
        .iter()
        .map(line)
        .find(|l| l.contains(&format!("<AcctCode>{code}</AcctCode>")) && l.contains(&format!("<RptDateCode>{reason}<")))
        .unwrap_or_else(|| panic!("no 210 line for {code} {reason}"))
}

fn first_line(t: RecordType) -> String {
    let all = pboc_records();
    line(&all.iter().find(|(u, _)| *u == t).unwrap().1[0])
}

/// `line` with `from` replaced by `to` (which must occur).
fn edit(line: &str, from: &str, to: &str) -> String {
    assert!(line.contains(from), "{from} not in {line}");
    line.replacen(from, to, 1)
}

/// `line` without the element (or segment) `name`.
fn drop(line: &str, name: &str) -> String {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let start = line.find(&open).unwrap_or_else(|| panic!("{name} not in {line}"));
    let end = line[start..].find(&close).unwrap() + start + close.len();
    format!("{}{}", &line[..start], &line[end..])
}

/// A file of the given lines (the header counts them).
fn lines_file(t: RecordType, lines: &[String]) -> Vec<u8> {
    let mut out = header(t, lines.len() as u64).line().unwrap().into_bytes();
    for l in lines {
        out.push(b'\n');
        out.extend_from_slice(l.as_bytes());
    }
    out.push(b'\n');
    out
}

fn invalid_format() -> Vec<String> {
    let new = account_line("HB-1", "10");
    let month = account_line("HB-1", "30");
    vec![
        new[..new.len() / 2].to_owned(),
        edit(&new, "<InfRecType>210<", "<InfRecType>211<"),
        drop(&new, "Name"),
        edit(&edit(&new, "<AcctType>R1<", "<AcctType>R9<"), "<RptDateCode>10<", "<RptDateCode>50<"),
        edit(&edit(&month, "<AcctBal>1800.00<", "<AcctBal>1800.001<"), "<TotOverd>0.00<", "<TotOverd>-1.00<"),
        edit(
            &edit(&month, "<RptDate>2024-02-29<", "<RptDate>2100-02-28<"),
            "<SettDate>2024-02-29<",
            "<SettDate>2024-02-30<",
        ),
        edit(&new, "11010519491231002X", "110105194912310021"),
        edit(
            &edit(&new, "<Name>", "<Nickname>x</Nickname><Religion>x</Religion><Name>"),
            "<AcctBal>",
            "<Merchant>m</Merchant><AcctBal>",
        ),
        edit(&new, "<Name>张三<", &format!("<Name>{}<", "张".repeat(61))),
        edit(&new, "<Document>", "<Document version=\"2\">"),
        new.replace("AcctCredLine>", "LoanAmt>"),
        edit(&new, "<Cy>CNY<", "<Cy>JPY<"),
        edit(&new, "<MngmtOrgCode>B1234567890ABC<", "<MngmtOrgCode>short<"),
        edit(&month, "</AcctCode>", "</AcctCode><RptDate>2024-02-29</RptDate>"),
        "<Document><AcctBsSgmt><InfRecType>210</InfRecType><Name>\u{1}</Name></AcctBsSgmt></Document>".into(),
    ]
}

fn invalid_reasons() -> Vec<String> {
    let new = account_line("HB-1", "10");
    let month = account_line("HB-1", "30");
    let r4 = account_line("HB-1-I1", "10");
    let d1 = account_line("CL-77", "31");
    let c1_new = account_line("COL-9", "10");
    let c1_40 = account_line("COL-9", "40");
    let c1_close = account_line("COL-9", "20");
    let j = {
        let start = c1_40.find("<AcctDbtInfSgmt>").unwrap();
        let end = c1_40.find("</AcctDbtInfSgmt>").unwrap() + "</AcctDbtInfSgmt>".len();
        c1_40[start..end].to_owned()
    };
    let h = {
        let start = month.find("<AcctMthlyBlgInfSgmt>").unwrap();
        let end = month.find("</AcctMthlyBlgInfSgmt>").unwrap() + "</AcctMthlyBlgInfSgmt>".len();
        month[start..end].replace("2024-02", "2024-01")
    };
    vec![
        drop(&new, "AcctBsInfSgmt"),
        drop(&new, "AcctMthlyBlgInfSgmt"),
        drop(&r4, "AcctCredSgmt"),
        edit(&new, "<OpenDate>2024-01-05<", "<OpenDate>2023-12-01<"),
        edit(&month, "<RptDateCode>30<", "<RptDateCode>20<"),
        drop(&month, "AcctMthlyBlgInfSgmt"),
        edit(&c1_40, "<RptDateCode>40<", "<RptDateCode>30<"),
        edit(
            &edit(&d1, "<RptDate>2024-01-31<", "<RptDate>2024-01-30<"),
            "<SettDate>2024-01-31<",
            "<SettDate>2024-01-30<",
        ),
        edit(&c1_close, "<RptDateCode>20<", "<RptDateCode>32<"),
        edit(&month, "<RptDateCode>30<", "<RptDateCode>40<"),
        edit(&month, "</Document>", &format!("{j}</Document>")),
        edit(&c1_new, "<AcctDbtInfSgmt>", &format!("{h}<AcctDbtInfSgmt>")),
        edit(
            &c1_new,
            "<AcctDbtInfSgmt>",
            "<AcctCredSgmt><ContractCode>HB-1</ContractCode></AcctCredSgmt><AcctDbtInfSgmt>",
        ),
    ]
}

fn invalid_dates() -> Vec<String> {
    let new = account_line("HB-1", "10");
    let month = account_line("HB-1", "30");
    let d1 = account_line("CL-77", "31");
    let c1_close = account_line("COL-9", "20");
    vec![
        edit(&new, "<OpenDate>2024-01-05<", "<OpenDate>2024-02-01<"),
        edit(&month, "<RptDate>2024-02-29<", "<RptDate>2024-02-28<"),
        edit(&c1_close, "<CloseDate>2024-03-15<", "<CloseDate>2024-03-16<"),
        edit(
            &edit(&month, "<RptDate>2024-02-29<", "<RptDate>2024-03-01<"),
            "<SettDate>2024-02-29<",
            "<SettDate>2024-03-01<",
        ),
        edit(&month, "<LatRpyDate>2024-02-01<", "<LatRpyDate>2024-03-05<"),
        edit(&d1, "<DueDate>2025-06-15<", "<DueDate>2023-01-01<"),
        edit(&d1, "<ObBirthDate>1985-07-04<", "<ObBirthDate>1900-12-31<"),
    ]
}

fn invalid_consistency() -> Vec<String> {
    let new = account_line("HB-1", "10");
    let month = account_line("HB-1", "30");
    let overdue = month_line("2024-03");
    let d1 = account_line("CL-77", "31");
    vec![
        edit(&month, "<RpyStatus>N<", "<RpyStatus>1<"),
        edit(&month, "<OverdPrd>0<", "<OverdPrd>2<"),
        edit(&month, "<RpyStatus>N<", "<RpyStatus>C<"),
        edit(&month, "<AcctStatus>1<", "<AcctStatus>3<"),
        edit(
            &month,
            "<LatRpyDate>2024-02-01</LatRpyDate>",
            "<LatRpyDate>2024-02-01</LatRpyDate><CloseDate>2024-02-29</CloseDate>",
        ),
        edit(&overdue, "<ObDaysPastDue>20<", "<ObDaysPastDue>45<"),
        drop(&d1, "ObBirthDate"),
        edit(&new, "</MngmtOrgCode>", "</MngmtOrgCode><ObBirthDate>1950-01-01</ObBirthDate>"),
        edit(&overdue, "<CurRpyAmt>", "<OverdPrinc>999.00</OverdPrinc><CurRpyAmt>"),
        drop(&d1, "RepayPrd"),
        edit(&month, "<AcctStatus>1<", "<AcctStatus>9<"),
    ]
}

/// The line's March (overdue) month.
fn month_line(month: &str) -> String {
    let all = pboc_records();
    let (_, accounts) = all.iter().find(|(t, _)| *t == RecordType::Account).unwrap();
    accounts
        .iter()
        .map(line)
        .find(|l| l.contains("<AcctCode>HB-1<") && l.contains(&format!("<Month>{month}<")))
        .unwrap()
}

fn invalid_other_types() -> Vec<(RecordType, Vec<String>)> {
    let rekey = first_line(RecordType::IdChange);
    let correction = first_line(RecordType::Correction);
    let del = first_line(RecordType::SegmentDeletion);
    let del_all = first_line(RecordType::AccountDeletion);
    let event = first_line(RecordType::SpecialEvent);
    let agreement = first_line(RecordType::Agreement);
    let person = first_line(RecordType::Person);
    let c_segment = {
        let new = account_line("HB-1", "10");
        let start = new.find("<AcctBsInfSgmt>").unwrap();
        let end = new.find("</AcctBsInfSgmt>").unwrap() + "</AcctBsInfSgmt>".len();
        new[start..end].to_owned()
    };
    vec![
        (RecordType::IdChange, vec![edit(&rekey, "CL-77-NEW", "CL-77"), drop(&rekey, "NwBnesCode")]),
        (
            RecordType::Correction,
            vec![
                edit(&correction, "<MdfcSgmtCode>H<", "<MdfcSgmtCode>C<"),
                edit(
                    &edit(&drop(&correction, "AcctMthlyBlgInfSgmt"), "<MdfcSgmtCode>H<", "<MdfcSgmtCode>C<"),
                    "</Document>",
                    &format!("{c_segment}</Document>"),
                ),
                edit(&correction, "</Document>", &format!("{c_segment}</Document>")),
            ],
        ),
        (
            RecordType::SegmentDeletion,
            vec![
                edit(&del, "<DelEndDate>2024-03-31<", "<DelEndDate>2024-01-31<"),
                edit(&del, "<DelSgmtCode>H<", "<DelSgmtCode>K<"),
            ],
        ),
        (RecordType::AccountDeletion, vec![drop(&del_all, "DelRecCode"), edit(&del_all, "CARD-5", &"K".repeat(61))]),
        (
            RecordType::SpecialEvent,
            vec![
                edit(&event, "<SpecEvtType>2<", "<SpecEvtType>7<"),
                edit(&event, "<Month>2024-03<", "<Month>2024-13<"),
            ],
        ),
        (
            RecordType::Agreement,
            vec![
                edit(&agreement, "<ConExpDate>2027-01-31<", "<ConExpDate>2023-01-31<"),
                edit(&agreement, "<CreditLimType>10<", "<CreditLimType>40<"),
                edit(&agreement, "<RptDateCode>10<", "<RptDateCode>30<"),
            ],
        ),
        (
            RecordType::Person,
            vec![
                edit(&person, "<DOB>1949-12-31<", "<DOB>1949-12-30<"),
                edit(&person, "<DOB>", "<Sex>1</Sex><Religion>x</Religion><DOB>"),
                edit(&person, "<DOB>1949-12-31<", "<DOB>2025-01-01<"),
            ],
        ),
    ]
}

#[test]
fn invalid_files_get_every_error_with_its_code_in_the_feedback() {
    let mut cases: Vec<(String, RecordType, Vec<u8>)> = vec![
        ("invalid_format.txt".into(), RecordType::Account, lines_file(RecordType::Account, &invalid_format())),
        ("invalid_reasons.txt".into(), RecordType::Account, lines_file(RecordType::Account, &invalid_reasons())),
        ("invalid_dates.txt".into(), RecordType::Account, lines_file(RecordType::Account, &invalid_dates())),
        (
            "invalid_consistency.txt".into(),
            RecordType::Account,
            lines_file(RecordType::Account, &invalid_consistency()),
        ),
    ];
    for (t, lines) in invalid_other_types() {
        cases.push((format!("invalid_{t}.txt"), t, lines_file(t, &lines)));
    }
    for (name, t, bytes) in cases {
        let bytes = golden(&name, &bytes);
        let report = validate(bytes.as_slice()).unwrap();
        assert_eq!(report.rejected, report.records, "{name}: every record is wrong: {report:#?}");
        for f in &report.rejections {
            assert!(!f.errors.is_empty(), "{name}");
            for e in &f.errors {
                assert!(ErrorCode::ALL.iter().any(|c| c.as_str() == e.code), "{name}: {}", e.code);
                assert!(e.message.chars().count() <= 100);
            }
        }
        insta::assert_snapshot!(name.clone(), render_feedback(&bytes, t));
    }
}

#[test]
fn file_level_problems() {
    let good = support::account_file();
    let text = String::from_utf8(good.clone()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let more = lines[0].replace("0000000013", "0000000015");
    lines[0] = &more;
    let count = lines.join("\n");
    let mut long = text.clone();
    long.push_str(&format!("<Document>{}</Document>\n", "x".repeat(70_000)));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("invalid_count.txt", count.into_bytes()),
        ("invalid_header.txt", text.replacen("A050210", "A050219", 1).into_bytes()),
        ("invalid_long_line.txt", long.into_bytes()),
        ("invalid_empty.txt", Vec::new()),
    ];
    for (name, bytes) in cases {
        let bytes = golden(name, &bytes);
        insta::assert_snapshot!(name, render_feedback(&bytes, RecordType::Account));
    }
}

#[test]
fn the_reader_reports_a_count_mismatch_once_at_the_end() {
    let bytes = support::account_file();
    let text = String::from_utf8(bytes).unwrap();
    let fewer = text.replacen("0000000013", "0000000012", 1);
    let mut reader = Reader::new(fewer.as_bytes()).unwrap();
    let mut seen = 0;
    let mut count_errors = 0;
    while let Some(e) = reader.next_entry() {
        match e {
            Ok(_) => seen += 1,
            Err(ReadError::File { error, .. }) => {
                assert_eq!(error.code.as_str(), "OBF003");
                count_errors += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((seen, count_errors), (13, 1));
}

#[test]
fn the_writer_refuses_another_record_type_and_a_wrong_count() {
    let records = pboc_records();
    let (_, rekeys) = records.iter().find(|(t, _)| *t == RecordType::IdChange).unwrap();
    let mut w = ob_formats::pboc::Writer::new(Vec::new(), header(RecordType::Account, 1)).unwrap();
    assert!(w.write(&rekeys[0]).is_err());
    assert!(w.finish().is_err());
}

mod properties {
    use super::*;
    use ob_model::identity::prc_check_char;
    use ob_model::records::{
        AccountRecord, ContractTerms, DeleteRecord, Identity, MonthDetail, MonthRecord, Record, RekeyRecord, Terms,
    };
    use ob_model::{
        AccountType, Classification, Currency, DocumentNumber, DocumentType, GuaranteeMode, LoanKind, RepayFrequency,
        RepaymentMethod, RepaymentStatus, Responsibility, YearMonth,
    };
    use proptest::prelude::*;
    use time::Date;

    fn identity() -> impl Strategy<Value = Identity> {
        let prc = (
            prop::sample::select(vec![11u32, 31, 44, 51, 65]),
            0u32..10_000,
            1940i32..2000,
            1u8..=12,
            1u8..=28,
            0u32..1000,
        )
            .prop_map(|(prov, area, year, month, day, seq)| {
                let first17 = format!("{prov:02}{area:04}{year:04}{month:02}{day:02}{seq:03}");
                let check = prc_check_char(first17.as_bytes()).unwrap();
                let document =
                    DocumentNumber::parse(DocumentType::PrcResidentId, &format!("{first17}{check}")).unwrap();
                let birth_date = document.prc_birth_date().unwrap();
                Identity { name: "王小明".into(), birth_date, document }
            });
        let passport =
            ("[A-Z][0-9]{8}", 1940i32..2000, 1u16..=365, "[A-Z]{2,10}( [A-Z]{2,10})?").prop_map(|(n, y, d, name)| {
                Identity {
                    name,
                    birth_date: Date::from_ordinal_date(y, d).unwrap(),
                    document: DocumentNumber::parse(DocumentType::Passport, &n).unwrap(),
                }
            });
        prop_oneof![prc, passport]
    }

    fn status() -> impl Strategy<Value = RepaymentStatus> {
        use RepaymentStatus as S;
        prop::sample::select(vec![
            S::Normal,
            S::Overdue1,
            S::Overdue2,
            S::Overdue3,
            S::Overdue4,
            S::Overdue5,
            S::Overdue6,
            S::Overdue7,
            S::NothingDue,
            S::Unknown,
            S::GuarantorPaid,
            S::AssetTransfer,
            S::BadDebt,
            S::EndedOther,
            S::Settled,
        ])
    }

    /// Raw draws for one month; made consistent by [`month_of`].
    type MonthDraw = (RepaymentStatus, u32, [i64; 5], Option<u8>, Option<Classification>, Option<i64>, u8, bool);

    fn month_draw() -> impl Strategy<Value = MonthDraw> {
        (
            status(),
            0u32..=30,
            [0i64..=1_000_000_000, 0i64..=1_000_000_000, 0i64..=1_000_000, 0i64..=1_000_000, 1i64..=1_000_000],
            prop::option::of(1u8..=28),
            prop::option::of(prop::sample::select(Classification::ALL.to_vec())),
            prop::option::of(0i64..=1_000_000_000),
            1u8..=28,
            any::<bool>(),
        )
    }

    /// A month consistent with the model's rules for an account of type `t`.
    fn month_of(key: &str, t: AccountType, m: YearMonth, settled: Date, last: bool, d: MonthDraw) -> MonthRecord {
        use RepaymentStatus as S;
        let (mut status, extra_days, amounts, paid_day, class5, limit, _, close) = d;
        if !last && status.is_terminal() {
            status = S::Normal;
        }
        let closing = last && close && status.is_terminal();
        let (days, past_due) = match status.overdue_periods() {
            Some(7) => (181 + extra_days * 10, amounts[4]),
            Some(p) => (u32::from(p - 1) * 30 + 1 + extra_days.min(29), amounts[4]),
            None if matches!(status, S::Normal | S::NothingDue | S::Settled) => (0, 0),
            None => (extra_days, amounts[3]),
        };
        let balance = if status == S::Settled { 0 } else { amounts[0] };
        let c1 = t == AccountType::C1;
        MonthRecord {
            account_key: key.into(),
            month: m,
            settled_on: settled,
            balance_minor: balance,
            used_minor: if c1 { balance } else { amounts[1] },
            // "*" is "nothing due": no amount due with it.
            due_minor: if c1 || status == S::NothingDue { 0 } else { amounts[2] },
            paid_minor: amounts[3],
            past_due_minor: past_due,
            days_past_due: days,
            status,
            class5,
            last_payment_on: paid_day.map(|day| m.day(day).min(settled)),
            closed_on: closing.then_some(settled),
            credit_limit_minor: if c1 { None } else { limit },
            detail: detail_of(c1, status, past_due, extra_days),
        }
    }

    /// Segment H's detail, drawn from the month's other draws: a count of overdue periods above
    /// the status's, the overdue principal and its ages, instalments left (J, for C1, carries the
    /// count only).
    fn detail_of(c1: bool, status: RepaymentStatus, past_due: i64, n: u32) -> MonthDetail {
        let overdue_periods = (status == RepaymentStatus::Overdue7 && n.is_multiple_of(5)).then_some(9 + n as u16);
        if c1 {
            return MonthDetail { overdue_periods, ..MonthDetail::default() };
        }
        let principal = (past_due > 0 && n.is_multiple_of(2)).then_some(past_due / 2);
        let quarter = principal.map(|p| p / 4).filter(|_| n.is_multiple_of(4));
        MonthDetail {
            overdue_periods,
            overdue_principal_minor: principal,
            overdue_by_age_minor: [quarter, None, quarter, None],
            remaining_periods: n.is_multiple_of(3).then_some(n as u16),
        }
    }

    type AccountDraw = (
        AccountType,
        Identity,
        (i32, u8, u8),
        i64,
        Option<u16>,
        Option<u8>,
        Responsibility,
        Option<String>,
        u8,
        Vec<MonthDraw>,
        (Option<LoanKind>, GuaranteeMode, RepayFrequency, Option<RepaymentMethod>, i64),
    );

    fn account_draw() -> impl Strategy<Value = AccountDraw> {
        (
            prop::sample::select(AccountType::ALL.to_vec()),
            identity(),
            (2000i32..2023, 1u8..=12, 1u8..=28),
            0i64..=10_000_000_000,
            prop::option::of(1u16..=360),
            prop::option::of(1u8..=28),
            prop::sample::select(Responsibility::ALL.to_vec()),
            prop::option::of("[A-Z]{2}-[0-9]{1,4}"),
            0u8..=3,
            prop::collection::vec(month_draw(), 1..4),
            (
                prop::option::of(prop::sample::select(LoanKind::ALL.to_vec())),
                prop::sample::select(GuaranteeMode::ALL.to_vec()),
                prop::sample::select(RepayFrequency::ALL.to_vec()),
                prop::option::of(prop::sample::select(RepaymentMethod::ALL.to_vec())),
                0i64..=20_000,
            ),
        )
    }

    /// An account and its months, in the order a lender sends them.
    fn account_records(i: usize, d: AccountDraw) -> Vec<Record> {
        let (t, subject, (y, mo, day), limit, periods, due_day, responsibility, line, offset, months, c) = d;
        let key = format!("ACC-{i}");
        let opened = Date::from_calendar_date(y, time::Month::try_from(mo).unwrap(), day).unwrap();
        let periods = if t == AccountType::D1 { Some(periods.unwrap_or(12)) } else { periods };
        // What a PBOC-style file always carries (guarantee, frequency; a maturity with instalments)
        // is always there, so that the round trip is exact.
        let (loan_kind, guarantee, frequency, method, days) = c;
        let contract = ContractTerms {
            loan_kind,
            guarantee: Some(guarantee),
            maturity_on: periods.map(|_| opened + time::Duration::days(days)),
            frequency: Some(frequency),
            method,
        };
        let account = AccountRecord {
            account_key: key.clone(),
            subject,
            account_type: t,
            opened_on: opened,
            currency: Currency::CNY,
            credit_limit_minor: limit,
            terms: Terms { periods, due_day, contract },
            responsibility,
            credit_line_key: if t == AccountType::R4 { line } else { None },
        };
        let first = YearMonth::of(opened).plus(i32::from(offset));
        let n = months.len();
        let mut out = vec![Record::Account(account)];
        for (k, draw) in months.into_iter().enumerate() {
            let m = first.plus(k as i32);
            let month_end = k == 0 && (offset == 0 || t == AccountType::C1) || draw.7;
            let settled = if month_end { m.last_day() } else { m.day(draw.6).max(opened) };
            out.push(Record::Month(month_of(&key, t, m, settled, k + 1 == n, draw)));
        }
        out
    }

    fn canonical() -> impl Strategy<Value = Vec<Record>> {
        (
            prop::collection::vec(account_draw(), 1..5),
            prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, 0i32..3), 0..3),
        )
            .prop_map(|(accounts, ops)| {
                let n = accounts.len();
                let mut out: Vec<Record> =
                    accounts.into_iter().enumerate().flat_map(|(i, d)| account_records(i, d)).collect();
                for (at, op, len) in ops {
                    let key = format!("ACC-{}", at.index(n));
                    out.push(match op {
                        0 => Record::Rekey(RekeyRecord {
                            account_key: key.clone(),
                            new_account_key: format!("{key}-NEW"),
                        }),
                        1 => {
                            let from = YearMonth::new(2010, 1).unwrap().plus(len * 7);
                            Record::Delete(DeleteRecord { account_key: key, months: Some((from, from.plus(len))) })
                        }
                        _ => Record::Delete(DeleteRecord { account_key: key, months: None }),
                    });
                }
                out
            })
    }

    /// The record type a model record travels in.
    fn target(r: &Record) -> RecordType {
        match r {
            Record::Rekey(_) => RecordType::IdChange,
            Record::Delete(DeleteRecord { months: Some(_), .. }) => RecordType::SegmentDeletion,
            Record::Delete(_) => RecordType::AccountDeletion,
            _ => RecordType::Account,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Canonical model records → PBOC-style records → files (one per record type) → read →
        /// model records: nothing the model holds is lost, and every file validates clean.
        #[test]
        fn the_model_round_trips_through_pboc_files(records in canonical()) {
            let converted = to_model::from_model(&records, INSTITUTION);
            prop_assert!(converted.unconverted.is_empty(), "{:?}", converted.unconverted);
            for t in [RecordType::Account, RecordType::IdChange, RecordType::SegmentDeletion, RecordType::AccountDeletion] {
                let of_type: Vec<PbocRecord> = converted.records.iter().filter(|r| r.record_type() == t).cloned().collect();
                let bytes = file(t, &of_type);
                let report = validate(bytes.as_slice()).unwrap();
                prop_assert!(report.is_valid(), "{t}: {:#?}\n{}", report.rejections, String::from_utf8_lossy(&bytes));
                let mut reader = Reader::new(bytes.as_slice()).unwrap();
                let mut back = Vec::new();
                while let Some(e) = reader.next_entry() {
                    back.extend(to_model::to_records(&e.unwrap().outcome.unwrap()).unwrap());
                }
                let expected: Vec<Record> = records.iter().filter(|r| target(r) == t).cloned().collect();
                prop_assert_eq!(back, expected, "{}", t);
            }
        }

        #[test]
        fn random_bytes_give_errors_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
            let report = validate(bytes.as_slice()).unwrap();
            prop_assert!(!report.is_valid() || bytes.is_empty() && !report.file_errors.is_empty() || report.records == 0);
            let mut with_header = header(RecordType::Account, 1).line().unwrap().into_bytes();
            with_header.push(b'\n');
            with_header.extend_from_slice(&bytes);
            let report = validate(with_header.as_slice()).unwrap();
            for f in &report.rejections {
                prop_assert!(!f.errors.is_empty());
            }
        }

        #[test]
        fn mutated_valid_files_never_panic(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
        ) {
            let mut bytes = support::account_file();
            for (at, byte, op) in edits {
                let i = at.index(bytes.len());
                match op {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => { bytes.remove(i); }
                }
            }
            let report = validate(bytes.as_slice()).unwrap();
            for f in &report.rejections {
                prop_assert!(!f.errors.is_empty());
                for e in &f.errors {
                    prop_assert!(ErrorCode::ALL.iter().any(|c| c.as_str() == e.code), "{}", e.code);
                }
            }
        }

        #[test]
        fn mutated_lines_of_every_type_never_panic(
            pick in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
        ) {
            let all = pboc_records();
            let (t, records) = &all[pick.index(all.len())];
            let mut bytes = file(*t, records);
            for (at, byte, op) in edits {
                let i = at.index(bytes.len());
                match op {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => { bytes.remove(i); }
                }
            }
            let _ = validate(bytes.as_slice()).unwrap();
        }
    }
}
