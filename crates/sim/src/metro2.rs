//! Metro 2 output (docs/simulator.md, "US output: Metro 2 and its canonical twin"): per furnisher
//! and month a character-format file, one record per line, written by
//! `ob_formats::metro2::Writer` — the header, one base segment per account-month reported, and
//! the trailer the writer computes from the records.
//!
//! Accounts and months reach this module already in the form Metro 2 carries ([`crate::us`]):
//! whole dollars, SSNs, the statuses of its list. Each month becomes one data record as
//! docs/formats/metro2.md ("Ingest mapping onto the model") reads it back: the account's terms
//! and the month's figures together. Consents and notices have no place in Metro 2 and are not
//! written; a deletion is a record with status DA.

use crate::account::{HXAMC, PRODUCTS, SimAccount};
use crate::format::FileFormat;
use crate::output::delivery_date;
use crate::truth::Malformation;
use crate::us::{FURNISHER_NAMES, address, name_parts};
use ob_formats::metro2::{
    BaseSegment, CHARACTER_RECORD_BYTES, Code, DataRecord, Error, HeaderRecord, Reader, Ssn, WriteError, Writer,
    WriterOptions,
};
use ob_model::records::{MonthRecord, Record};
use ob_model::{RepaymentStatus, YearMonth};
use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;
use time::Date;

/// Bytes of a header or trailer line: the record and its line feed.
const LINE_BYTES: usize = CHARACTER_RECORD_BYTES + 1;
/// Months in the payment history profile.
const HISTORY_MONTHS: i32 = 24;
/// The furnishers' address in headers.
const REPORTER_ADDRESS: &str = "1 SIMULATION PLAZA SPRINGFIELD IL 62701";

/// The Metro 2 format: character, fixed-length records, one per line (LF).
pub(crate) struct Metro2;

/// How a product is reported in Metro 2.
struct Kind {
    /// Portfolio type.
    portfolio: &'static str,
    /// Account type (CDIA Exhibit 1).
    account_type: &'static str,
    /// Terms duration of accounts without a number of periods (revolving).
    open_terms: &'static str,
    /// Terms frequency.
    frequency: &'static str,
    /// Interest type indicator.
    interest: &'static str,
}

/// Each product's portfolio and account type, in furnisher order: the line is a line of credit
/// (C, 15), the card a credit card (R, 18), the consumer loan an unsecured instalment loan (I, 01),
/// the mortgage a conventional real-estate mortgage (M, 26), the collector's accounts a collection
/// agency's (O, 48). The bureau maps them back to R1, R2, D1, D1 and C1.
const KINDS: [Kind; 5] = [
    Kind { portfolio: "C", account_type: "15", open_terms: "LOC", frequency: "M", interest: "F" },
    Kind { portfolio: "R", account_type: "18", open_terms: "REV", frequency: "M", interest: "F" },
    Kind { portfolio: "I", account_type: "01", open_terms: "", frequency: "M", interest: "F" },
    Kind { portfolio: "M", account_type: "26", open_terms: "", frequency: "M", interest: "F" },
    Kind { portfolio: "O", account_type: "48", open_terms: "", frequency: "", interest: "" },
];

/// The contract terms the bureau reads from the Metro 2 fields a furnisher's accounts are written
/// with (its account type and terms frequency), for the canonical twin to carry the same.
pub(crate) fn contract_of(furnisher: usize) -> ob_model::records::ContractTerms {
    let kind = &KINDS[furnisher];
    ob_formats::metro2::to_model::contract_terms(kind.account_type, kind.frequency)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn write_error(e: WriteError) -> io::Error {
    match e {
        WriteError::Io(e) => e,
        other => invalid(format!("Metro 2 writer: {other}")),
    }
}

/// Whole dollars of an amount in cents, which must be whole dollars (US output rounds them).
fn dollars(minor: i64) -> io::Result<i64> {
    if minor % 100 == 0 { Ok(minor / 100) } else { Err(invalid("an amount is not in whole dollars".into())) }
}

/// The Metro 2 account status and payment rating of a month as US output reports it (the table
/// of docs/simulator.md): 11 current; 71–84 one to six or more payments missed; 13 paid or
/// closed (rating 0), 62 for a collection; 05 a debt charged off and sold (rating L); 97 charged
/// off; 94 foreclosure completed (rating 6).
fn status_code(status: RepaymentStatus, collection: bool) -> io::Result<(&'static str, &'static str)> {
    use RepaymentStatus as S;
    Ok(match status {
        S::Normal | S::NothingDue => ("11", ""),
        S::Overdue1 => ("71", ""),
        S::Overdue2 => ("78", ""),
        S::Overdue3 => ("80", ""),
        S::Overdue4 => ("82", ""),
        S::Overdue5 => ("83", ""),
        S::Overdue6 | S::Overdue7 => ("84", ""),
        S::Settled if collection => ("62", ""),
        S::Settled => ("13", "0"),
        S::EndedOther => ("05", "L"),
        S::BadDebt => ("97", ""),
        S::AssetTransfer => ("94", "6"),
        other => return Err(invalid(format!("status {other} has no Metro 2 account status here"))),
    })
}

/// Whether a Metro 2 status needs the date of first delinquency (docs/formats/metro2.md).
fn needs_first_delinquency(status: &str) -> bool {
    matches!(status, "05" | "61" | "62" | "63" | "64" | "65" | "71" | "78" | "80" | "82" | "83" | "84" | "94" | "97")
}

/// The payment history profile character of a month's status.
fn history_char(status: RepaymentStatus) -> char {
    use RepaymentStatus as S;
    match status {
        S::Overdue1 => '1',
        S::Overdue2 => '2',
        S::Overdue3 => '3',
        S::Overdue4 => '4',
        S::Overdue5 => '5',
        S::Overdue6 | S::Overdue7 => '6',
        S::EndedOther | S::BadDebt => 'L',
        S::AssetTransfer => 'K',
        S::Unknown | S::NotOpen => 'D',
        S::Normal | S::NothingDue | S::Settled | S::GuarantorPaid => '0',
    }
}

/// The month record of `account` for `month`, if reported.
fn reported(account: &SimAccount, month: YearMonth) -> Option<&MonthRecord> {
    let i = account.months.partition_point(|m| m.month < month);
    account.months.get(i).filter(|m| m.month == month)
}

/// The 24 months before `month`, most recent first: the status character of each month
/// reported, `D` (no history) for months the furnisher did not report, `B` before the opening.
fn history_profile(account: &SimAccount, month: YearMonth) -> String {
    let opened = YearMonth::of(account.account.opened_on);
    (1..=HISTORY_MONTHS)
        .map(|k| month.plus(-k))
        .map(|m| if m < opened { 'B' } else { reported(account, m).map_or('D', |r| history_char(r.status)) })
        .collect()
}

/// Whether a month's status is part of a delinquency (for a collection, every month before it
/// is paid).
fn delinquent(status: RepaymentStatus, collection: bool) -> bool {
    use RepaymentStatus as S;
    (collection && status != S::Settled)
        || status.overdue_periods().is_some()
        || matches!(status, S::EndedOther | S::BadDebt | S::AssetTransfer)
}

/// The date of first delinquency of `month`: the first day of the first month of the
/// delinquency it ends or continues, not before the opening nor after the month's settlement.
fn first_delinquency(account: &SimAccount, month: &MonthRecord, collection: bool) -> Date {
    let before = account.months.partition_point(|m| m.month < month.month);
    let mut start = month.month;
    for m in account.months[..before].iter().rev() {
        if m.month != start.plus(-1) || !delinquent(m.status, collection) {
            break;
        }
        start = m.month;
    }
    start.first_day().max(account.account.opened_on).min(month.settled_on)
}

/// The data record of `month` of `account`, with Metro 2 status `status` and rating `rating`.
fn data_record(account: &SimAccount, month: &MonthRecord, status: &str, rating: &str) -> io::Result<DataRecord> {
    let kind = &KINDS[account.furnisher];
    let a = &account.account;
    let who = &a.subject;
    let (first, middle, surname) = name_parts(&who.name);
    let home = address(who);
    let ssn = who.document.expose().parse::<u32>().map_err(|_| invalid("an SSN is not nine digits".into()))?;
    let revolving = a.account_type.is_revolving();
    let collection = account.furnisher == HXAMC;
    let (credit_limit, highest_credit) = if revolving {
        let highest = account.months.iter().take_while(|m| m.month <= month.month).map(|m| m.balance_minor).max();
        (month.credit_limit_minor.unwrap_or(a.credit_limit_minor), highest.unwrap_or(0).max(month.balance_minor))
    } else {
        (0, a.credit_limit_minor)
    };
    let settled_for_less = collection && month.status == RepaymentStatus::Settled && month.paid_minor < month.due_minor;
    let base = BaseSegment {
        processing_indicator: 1,
        time_stamp: month.settled_on.with_hms(23, 59, 59).ok(),
        identification_number: PRODUCTS[account.furnisher].code().to_owned(),
        consumer_account_number: a.account_key.clone(),
        portfolio_type: kind.portfolio.to_owned(),
        account_type: kind.account_type.to_owned(),
        date_opened: Some(a.opened_on),
        credit_limit_dollars: dollars(credit_limit)?,
        highest_credit_dollars: dollars(highest_credit)?,
        terms_duration: a.terms.periods.map_or_else(|| kind.open_terms.to_owned(), |n| format!("{n:03}")),
        terms_frequency: kind.frequency.to_owned(),
        scheduled_monthly_payment_dollars: dollars(month.due_minor)?,
        actual_payment_dollars: dollars(month.paid_minor)?,
        account_status: status.to_owned(),
        payment_rating: rating.to_owned(),
        payment_history_profile: history_profile(account, month.month),
        special_comment: if settled_for_less { "AU" } else { "" }.to_owned(),
        current_balance_dollars: dollars(month.balance_minor)?,
        amount_past_due_dollars: dollars(month.past_due_minor)?,
        original_charge_off_dollars: if status == "97" { dollars(month.balance_minor)? } else { 0 },
        date_account_information: Some(month.settled_on),
        date_first_delinquency: needs_first_delinquency(status).then(|| first_delinquency(account, month, collection)),
        date_closed: month.closed_on,
        date_last_payment: month.last_payment_on,
        interest_type_indicator: kind.interest.to_owned(),
        surname: surname.to_owned(),
        first_name: first.to_owned(),
        middle_name: middle.to_owned(),
        social_security_number: Ssn(ssn),
        date_birth: Some(who.birth_date),
        ecoa_code: "1".to_owned(),
        country_code: "US".to_owned(),
        first_line_address: home.line,
        city: home.city.to_owned(),
        state: home.state.to_owned(),
        zip_code: home.zip.to_owned(),
        address_indicator: "Y".to_owned(),
        ..BaseSegment::default()
    };
    Ok(DataRecord { base, ..DataRecord::default() })
}

/// Appends `record` as the writer writes it: one line (the writer's header and trailer around
/// it are cut off).
fn append(record: &DataRecord, out: &mut Vec<u8>) -> io::Result<u64> {
    let mut writer =
        Writer::new(Vec::with_capacity(4 * LINE_BYTES), WriterOptions::default(), &HeaderRecord::default())
            .map_err(write_error)?;
    writer.write(record).map_err(write_error)?;
    let (bytes, _) = writer.finish().map_err(write_error)?;
    let line = bytes
        .get(LINE_BYTES..bytes.len().saturating_sub(LINE_BYTES))
        .ok_or_else(|| invalid("the writer wrote less than a header and a trailer".into()))?;
    out.extend_from_slice(line);
    Ok(1)
}

/// The header of a furnisher's file for `month`: activity up to the month's end, created on the
/// delivery day.
fn header_record(furnisher: usize, month: YearMonth) -> HeaderRecord {
    HeaderRecord {
        activity_date: Some(month.last_day()),
        date_created: Some(delivery_date(month)),
        reporter_name: FURNISHER_NAMES[furnisher].to_owned(),
        reporter_address: REPORTER_ADDRESS.to_owned(),
        software_vendor_name: "OPENBUREAU".to_owned(),
        software_version_number: "SIM1".to_owned(),
        ..HeaderRecord::default()
    }
}

impl FileFormat for Metro2 {
    fn extension(&self) -> &'static str {
        "m2"
    }

    fn header(&self, furnisher: usize, month: YearMonth) -> io::Result<Vec<u8>> {
        let writer =
            Writer::new(Vec::new(), WriterOptions::default(), &header_record(furnisher, month)).map_err(write_error)?;
        let (mut bytes, _) = writer.finish().map_err(write_error)?;
        bytes.truncate(LINE_BYTES);
        Ok(bytes)
    }

    fn header_lines(&self) -> u64 {
        1
    }

    fn record(&self, record: &Record, _out: &mut Vec<u8>) -> io::Result<u64> {
        match record {
            // Metro 2 has no consents (the US policy needs none) and no notices.
            Record::Consent(_) | Record::Notice(_) => Ok(0),
            _ => Err(invalid("Metro 2 records are written from their account".into())),
        }
    }

    fn account(&self, _account: &SimAccount, _out: &mut Vec<u8>) -> io::Result<u64> {
        // Each month's record carries the account's terms.
        Ok(0)
    }

    fn month(&self, account: &SimAccount, month: &MonthRecord, out: &mut Vec<u8>) -> io::Result<u64> {
        let (status, rating) = status_code(month.status, account.furnisher == HXAMC)?;
        append(&data_record(account, month, status, rating)?, out)
    }

    fn delete(&self, account: &SimAccount, month: YearMonth, out: &mut Vec<u8>) -> io::Result<u64> {
        let before = account.months.partition_point(|m| m.month < month);
        let last = account.months[..before].last().ok_or_else(|| invalid("a deletion of nothing reported".into()))?;
        let mut m = last.clone();
        m.month = month;
        m.settled_on = month.last_day();
        m.closed_on = None;
        append(&data_record(account, &m, "DA", "")?, out)
    }

    fn encoding_malformations(&self) -> &'static [Malformation] {
        &[]
    }

    fn malformed(&self, _kind: Malformation, _base: &Record, _out: &mut Vec<u8>) -> io::Result<()> {
        Err(invalid("US output has no malformed lines".into()))
    }

    /// The trailer the writer computes from the file's data records, read back.
    fn trailer(&self, path: &Path) -> io::Result<Vec<u8>> {
        let options = WriterOptions::default();
        let mut reader = Reader::new(BufReader::new(File::open(path)?)).map_err(read_error)?;
        let mut counter = Writer::new(io::sink(), options, &HeaderRecord::default()).map_err(write_error)?;
        while let Some(next) = reader.next_record() {
            match next {
                Ok(rec) => {
                    let data = DataRecord::parse(&rec).map_err(|_| invalid("a written record reads back".into()))?;
                    counter.write(&data).map_err(write_error)?;
                }
                Err(Error::Fatal(d)) if d.code == Code::TrailerMissing => {}
                Err(e) => return Err(read_error(e)),
            }
        }
        let trailer = counter.trailer();
        let writer = Writer::new(Vec::new(), options, &HeaderRecord::default()).map_err(write_error)?;
        let bytes = writer.finish_with(&trailer).map_err(write_error)?;
        bytes.get(LINE_BYTES..).map(<[u8]>::to_vec).ok_or_else(|| invalid("the writer wrote no trailer".into()))
    }

    fn writes_account_lines(&self) -> bool {
        false
    }

    fn writes_empty_files(&self) -> bool {
        // The bureau refuses a Metro 2 file without data records; a furnisher with nothing to
        // report sends none.
        false
    }
}

fn read_error(e: Error) -> io::Error {
    match e {
        Error::Io(e) => e,
        Error::Skipped(d) | Error::Fatal(d) => invalid(format!("a written Metro 2 file reads back: {}", d.message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::truth::AccountOrigin;
    use ob_model::records::{AccountRecord, Identity, Terms};
    use ob_model::{AccountType, Currency, DocumentNumber, DocumentType, NoticeChannel, Responsibility};
    use time::macros::date;

    fn card() -> SimAccount {
        let subject = Identity {
            name: "JANE Q DOE".into(),
            birth_date: date!(1980 - 05 - 17),
            document: DocumentNumber::parse(DocumentType::UsSsn, "123456789").expect("ssn"),
        };
        let month = |ym: &str, status: RepaymentStatus, past_due: i64, days: u32| MonthRecord {
            account_key: "ZS0000000001".into(),
            month: YearMonth::parse(ym).expect("month"),
            settled_on: YearMonth::parse(ym).expect("month").last_day(),
            balance_minor: 120_000,
            used_minor: 120_000,
            due_minor: 3_500,
            paid_minor: 0,
            past_due_minor: past_due,
            days_past_due: days,
            status,
            class5: None,
            last_payment_on: None,
            closed_on: None,
            credit_limit_minor: Some(500_000),
            detail: Default::default(),
        };
        SimAccount {
            furnisher: 1,
            origin: AccountOrigin::Own,
            consent: None,
            account: AccountRecord {
                account_key: "ZS0000000001".into(),
                subject,
                account_type: AccountType::R2,
                opened_on: date!(2024 - 02 - 10),
                currency: Currency::USD,
                credit_limit_minor: 500_000,
                // What Metro 2 carries of a card's contract: its terms frequency, monthly.
                terms: Terms { contract: contract_of(1), ..Terms::default() },
                responsibility: Responsibility::Individual,
                credit_line_key: None,
            },
            first_reported: YearMonth::parse("2024-03").expect("month"),
            months: vec![
                month("2024-03", RepaymentStatus::Normal, 0, 0),
                month("2024-04", RepaymentStatus::Overdue1, 3_500, 30),
                month("2024-05", RepaymentStatus::Overdue2, 7_000, 60),
            ],
            notice_channel: NoticeChannel::Sms,
            collected_from: None,
            delete_in: None,
        }
    }

    #[test]
    fn a_month_is_one_valid_line_that_maps_back_onto_it() {
        let account = card();
        let month = YearMonth::parse("2024-05").expect("month");
        let mut file = Metro2.header(1, month).expect("header");
        for m in &account.months {
            assert_eq!(Metro2.month(&account, m, &mut file).expect("month"), 1);
        }
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("f.m2");
        std::fs::write(&path, &file).expect("write");
        let trailer = Metro2.trailer(&path).expect("trailer");
        file.extend_from_slice(&trailer);
        assert_eq!(file.iter().filter(|b| **b == b'\n').count(), 5, "header, three records, trailer");
        let report = ob_formats::metro2::validate(&file[..], date!(2024 - 06 - 05)).expect("validates");
        assert!(report.is_valid(), "{:?}", report.errors);

        let mut reader = Reader::new(&file[..]).expect("reads");
        let mut records = Vec::new();
        while let Some(Ok(rec)) = reader.next_record() {
            records.push(DataRecord::parse(&rec).expect("parses"));
        }
        let last = &records[2].base;
        assert_eq!(last.payment_history_profile, "10DBBBBBBBBBBBBBBBBBBBBB");
        assert_eq!(last.date_first_delinquency, Some(date!(2024 - 04 - 01)));
        let mapped = ob_formats::metro2::to_model::to_records(&records[2]).expect("maps");
        assert_eq!(mapped[1], Record::Month(account.months[2].clone()), "the month comes back as it was");
        let Record::Account(a) = &mapped[0] else { panic!("an account record first") };
        assert_eq!(a, &account.account);
    }
}
