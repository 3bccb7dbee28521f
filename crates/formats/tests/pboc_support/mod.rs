//! Sample PBOC-style records and model records, shared by tests/pboc.rs and benches/pboc.rs
//! (included with `#[path]`). A Huabei-style line (R1) with an instalment plan (R4) under it, a
//! consumer loan (D1) of a passport holder, a collection (C1), a card (R2) closed at a month end.
#![allow(dead_code)]

use ob_formats::pboc::{
    AgreementStatus, CorrectedSegment, Correction, CreditAgreement, EventType, Header, IdType, LimitType, PartyType,
    PbocRecord, PersonInfo, RecordType, RelatedParty, ReportReason, SpecialEvent, SpecialTransaction, SpecialTxType,
    Subject, to_model, write_file,
};
use ob_model::identity::prc_check_char;
use ob_model::records::{
    AccountRecord, ContractTerms, DeleteRecord, Identity, MonthRecord, Record, RekeyRecord, Terms,
};
use ob_model::{
    AccountType, Classification, Currency, DocumentNumber, DocumentType, GuaranteeMode, LoanKind, RepayFrequency,
    RepaymentMethod, RepaymentStatus, Responsibility, YearMonth,
};
use time::macros::{date, datetime};
use time::{Date, Month};

/// The reporting institution.
pub const INSTITUTION: &str = "B1234567890ABC";

/// A PRC resident ID from its first 17 digits.
pub fn prc_id(first17: &str) -> DocumentNumber {
    let check = prc_check_char(first17.as_bytes()).expect("17 digits");
    DocumentNumber::parse(DocumentType::PrcResidentId, &format!("{first17}{check}")).expect("valid")
}

/// The birth date a PRC resident ID's first 17 digits carry.
pub fn birth_of(first17: &str) -> Date {
    let n = |r: std::ops::Range<usize>| first17[r].parse::<u32>().expect("digits");
    let month = Month::try_from(n(10..12) as u8).expect("month");
    Date::from_calendar_date(n(6..10) as i32, month, n(12..14) as u8).expect("date")
}

/// A person with a PRC resident ID.
pub fn resident(name: &str, first17: &str) -> Identity {
    Identity { name: name.into(), birth_date: birth_of(first17), document: prc_id(first17) }
}

/// A person with a passport (the birth date travels in `ObBirthDate`).
pub fn passport_holder() -> Identity {
    Identity {
        name: "JOHN SMITH".into(),
        birth_date: date!(1985 - 07 - 04),
        document: DocumentNumber::parse(DocumentType::Passport, "E12345678").expect("valid"),
    }
}

/// The people of the samples.
pub fn zhang() -> Identity {
    resident("张三", "11010519491231002")
}

/// A second person.
pub fn li() -> Identity {
    resident("李四", "44030419900101123")
}

fn account(key: &str, subject: Identity, t: AccountType, opened: Date, limit: i64) -> AccountRecord {
    AccountRecord {
        account_key: key.into(),
        subject,
        account_type: t,
        opened_on: opened,
        currency: Currency::CNY,
        credit_limit_minor: limit,
        terms: Terms::default(),
        responsibility: Responsibility::Individual,
        credit_line_key: None,
    }
}

/// A normal month settled on `settled` with `balance` fen.
pub fn month(key: &str, settled: Date, balance: i64) -> MonthRecord {
    MonthRecord {
        account_key: key.into(),
        month: YearMonth::of(settled),
        settled_on: settled,
        balance_minor: balance,
        used_minor: balance,
        due_minor: balance / 10,
        paid_minor: balance / 10,
        past_due_minor: 0,
        days_past_due: 0,
        status: RepaymentStatus::Normal,
        class5: Some(Classification::Normal),
        last_payment_on: Some(settled.replace_day(1).expect("day 1")),
        closed_on: None,
        credit_limit_minor: None,
        detail: Default::default(),
    }
}

fn overdue(mut m: MonthRecord, days: u32, amount: i64) -> MonthRecord {
    m.status = RepaymentStatus::from_days_past_due(days);
    m.days_past_due = days;
    m.past_due_minor = amount;
    m.class5 = Some(Classification::SpecialMention);
    m
}

fn closed(mut m: MonthRecord, on: Date, status: RepaymentStatus) -> MonthRecord {
    m.status = status;
    m.balance_minor = 0;
    m.used_minor = 0;
    m.closed_on = Some(on);
    m
}

/// Contract terms as a PBOC-style file always has them (guarantee, frequency), unsecured.
fn contract(loan_kind: Option<LoanKind>, maturity_on: Option<Date>, frequency: RepayFrequency) -> ContractTerms {
    ContractTerms {
        loan_kind,
        guarantee: Some(GuaranteeMode::Credit),
        maturity_on,
        frequency: Some(frequency),
        method: None,
    }
}

/// The canonical (model) side of the samples, in the order a lender sends them.
pub fn model_records() -> Vec<Record> {
    let mut line = account("HB-1", zhang(), AccountType::R1, date!(2024 - 01 - 05), 500_000);
    line.terms.due_day = Some(9);
    line.terms.contract = contract(Some(LoanKind::OtherConsumer), None, RepayFrequency::Monthly);
    line.terms.contract.method = Some(RepaymentMethod::Revolving);
    let mut plan = account("HB-1-I1", zhang(), AccountType::R4, date!(2024 - 02 - 10), 120_000);
    plan.terms.periods = Some(6);
    plan.terms.contract = contract(Some(LoanKind::OtherConsumer), Some(date!(2024 - 08 - 10)), RepayFrequency::Monthly);
    plan.terms.contract.method = Some(RepaymentMethod::EqualInstalments);
    plan.credit_line_key = Some("HB-1".into());
    let mut loan = account("CL-77", passport_holder(), AccountType::D1, date!(2023 - 06 - 15), 2_000_000);
    let mortgage = contract(Some(LoanKind::Housing), Some(date!(2025 - 06 - 15)), RepayFrequency::Monthly);
    loan.terms = Terms { periods: Some(24), due_day: Some(15), contract: mortgage };
    loan.terms.contract.guarantee = Some(GuaranteeMode::Mortgage);
    loan.responsibility = Responsibility::Joint;
    let mut collection = account("COL-9", li(), AccountType::C1, date!(2024 - 01 - 20), 80_000);
    collection.terms.contract = contract(None, None, RepayFrequency::Irregular);
    let mut card = account("CARD-5", li(), AccountType::R2, date!(2021 - 03 - 01), 3_000_000);
    card.terms.contract = contract(None, None, RepayFrequency::Irregular);
    let mut c1_first = month("COL-9", date!(2024 - 01 - 31), 80_000);
    c1_first = overdue(c1_first, 200, 80_000);
    c1_first.detail.overdue_periods = Some(8);
    let mut plan_feb = month("HB-1-I1", date!(2024 - 02 - 29), 120_000);
    plan_feb.detail.remaining_periods = Some(5);
    let mut hb_mar = overdue(month("HB-1", date!(2024 - 03 - 31), 150_000), 20, 30_000);
    hb_mar.detail.overdue_principal_minor = Some(25_000);
    (c1_first.due_minor, c1_first.paid_minor, c1_first.last_payment_on) = (0, 0, None);
    let mut c1_recovered = overdue(month("COL-9", date!(2024 - 02 - 20), 50_000), 220, 50_000);
    (c1_recovered.due_minor, c1_recovered.paid_minor) = (0, 30_000);
    let mut c1_closed =
        closed(month("COL-9", date!(2024 - 03 - 15), 0), date!(2024 - 03 - 15), RepaymentStatus::Settled);
    (c1_closed.due_minor, c1_closed.paid_minor) = (0, 50_000);
    let mut hb_feb = month("HB-1", date!(2024 - 02 - 29), 180_000);
    hb_feb.used_minor = 200_000;
    hb_feb.credit_limit_minor = Some(600_000);
    vec![
        Record::Account(line),
        Record::Month(month("HB-1", date!(2024 - 01 - 31), 100_000)),
        Record::Account(plan),
        Record::Month(plan_feb),
        Record::Month(hb_feb),
        Record::Month(hb_mar),
        Record::Month(month("HB-1-I1", date!(2024 - 03 - 31), 100_000)),
        Record::Account(loan),
        Record::Month(month("CL-77", date!(2024 - 01 - 31), 1_500_000)),
        Record::Month(month("CL-77", date!(2024 - 02 - 15), 1_420_000)),
        Record::Account(collection),
        Record::Month(c1_first),
        Record::Month(c1_recovered),
        Record::Month(c1_closed),
        Record::Account(card),
        Record::Month(month("CARD-5", date!(2024 - 02 - 29), 40_000)),
        Record::Month(closed(
            month("CARD-5", date!(2024 - 03 - 31), 0),
            date!(2024 - 03 - 31),
            RepaymentStatus::Settled,
        )),
        Record::Rekey(RekeyRecord { account_key: "CL-77".into(), new_account_key: "CL-77-NEW".into() }),
        Record::Delete(DeleteRecord {
            account_key: "HB-1".into(),
            months: Some((YearMonth::new(2024, 2).expect("month"), YearMonth::new(2024, 3).expect("month"))),
        }),
        Record::Delete(DeleteRecord { account_key: "CARD-5".into(), months: None }),
    ]
}

/// The samples as PBOC-style records, by record type: what the model converts to, plus the
/// record types and segments the model has no use for.
pub fn pboc_records() -> Vec<(RecordType, Vec<PbocRecord>)> {
    let converted = to_model::from_model(&model_records(), INSTITUTION);
    assert!(converted.unconverted.is_empty(), "{:?}", converted.unconverted);
    let mut out: Vec<(RecordType, Vec<PbocRecord>)> = Vec::new();
    for r in converted.records {
        match out.iter_mut().find(|(t, _)| *t == r.record_type()) {
            Some((_, v)) => v.push(r),
            None => out.push((r.record_type(), vec![r])),
        }
    }
    if let Some((_, accounts)) = out.iter_mut().find(|(t, _)| *t == RecordType::Account) {
        accounts.push(with_parties_and_special(accounts[0].clone()));
    }
    out.push((RecordType::Person, vec![person()]));
    out.push((RecordType::Correction, vec![correction()]));
    out.push((RecordType::SpecialEvent, vec![special_event()]));
    out.push((RecordType::Agreement, vec![agreement()]));
    out.sort_by_key(|(t, _)| *t);
    out
}

fn subject(i: &Identity) -> Subject {
    let embedded = i.document.prc_birth_date() == Some(i.birth_date);
    Subject {
        name: i.name.clone(),
        id_type: IdType::of(i.document.doc_type()),
        document: i.document.clone(),
        birth_date: (!embedded).then_some(i.birth_date),
    }
}

/// A copy of the first 210 (the line's opening) with segments D and K, under another code.
fn with_parties_and_special(mut r: PbocRecord) -> PbocRecord {
    if let PbocRecord::Account(a) = &mut r {
        a.base.account_code = "HB-2".into();
        let l = li();
        a.parties.push(RelatedParty {
            name: l.name,
            id_type: IdType::ResidentId,
            document: l.document,
            party_type: PartyType::Guarantor,
            amount_fen: Some(250_000),
        });
        a.special.push(SpecialTransaction {
            kind: SpecialTxType::EarlyPartial,
            date: date!(2024 - 01 - 20),
            amount_fen: 50_000,
            months_changed: None,
            detail: Some("提前还款 & <部分>".into()),
        });
    }
    r
}

/// A 110 record.
pub fn person() -> PbocRecord {
    let z = zhang();
    PbocRecord::Person(PersonInfo {
        subject: Subject { birth_date: None, ..subject(&z) },
        source_org: INSTITUTION.into(),
        report_date: date!(2024 - 03 - 31),
        birth_date: z.birth_date,
    })
}

/// A 212 record correcting the line's March: the overdue was an error.
pub fn correction() -> PbocRecord {
    let m = month("HB-1", date!(2024 - 03 - 31), 150_000);
    let converted = to_model::from_model(
        &[Record::Account(account("HB-1", zhang(), AccountType::R1, date!(2024 - 01 - 05), 500_000)), Record::Month(m)],
        INSTITUTION,
    );
    let Some(PbocRecord::Account(a)) = converted.records.into_iter().next() else { panic!("a 210") };
    let h = a.monthly.expect("H");
    PbocRecord::Correction(Box::new(Correction {
        account_code: "HB-1".into(),
        account_type: AccountType::R1,
        segment: CorrectedSegment::Monthly(h),
    }))
}

/// A 215 record.
pub fn special_event() -> PbocRecord {
    PbocRecord::SpecialEvent(SpecialEvent {
        account_code: "CL-77-NEW".into(),
        month: YearMonth::new(2024, 3).expect("month"),
        kind: EventType::Untraceable,
        description: Some("借款人失联".into()),
    })
}

/// A 220 record: the credit agreement of a second Huabei-style line.
pub fn agreement() -> PbocRecord {
    let mut a: CreditAgreement = to_model::agreement_of(
        &account("HB-3", li(), AccountType::R1, date!(2024 - 02 - 01), 300_000),
        INSTITUTION,
        date!(2024 - 02 - 02),
    );
    a.expiry = Some(date!(2027 - 01 - 31));
    a.status = AgreementStatus::Active;
    a.limit_type = LimitType::RevolvingLoan;
    a.reason = ReportReason::New;
    PbocRecord::Agreement(Box::new(a))
}

/// A header for `records` of type `t`.
pub fn header(t: RecordType, count: u64) -> Header {
    Header { record_type: t, institution: INSTITUTION.into(), created: datetime!(2024-04-01 02:00:00), count }
}

/// A whole file of records of type `t`.
pub fn file(t: RecordType, records: &[PbocRecord]) -> Vec<u8> {
    write_file(Vec::new(), header(t, 0), records).expect("writes")
}

/// The 210 file of the samples.
pub fn account_file() -> Vec<u8> {
    let all = pboc_records();
    let (_, accounts) = all.iter().find(|(t, _)| *t == RecordType::Account).expect("210 records");
    file(RecordType::Account, accounts)
}
