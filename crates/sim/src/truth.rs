//! The ground truth, in two parts.
//!
//! - `truth.jsonl`: one line per person ([`PersonTruth`]): who they are, their hidden income, their
//!   behaviour and life events, which authorizations they gave or refused, and every account as it
//!   really was, month by month (the corrected values, never the deliberately wrong ones).
//! - `truth/<FURNISHER>/<YYYY-MM>.jsonl`, beside every furnisher file: one line per deliberate
//!   record of that file ([`ExpectedLine`]) saying what the bureau must do with it: reject it with
//!   a code, show its wrong value until a correction arrives, or delete an account.

use crate::Behaviour;
use crate::account::{PRODUCTS, SimAccount};
use crate::jsonw;
use crate::life::LifeEvent;
use crate::output::delivery_date;
use crate::people::SimPerson;
#[cfg(test)]
use ob_model::records::AccountRecord;
use ob_model::records::MonthRecord;
use ob_model::{AccountType, Code, DocumentType, RepaymentStatus, YearMonth};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use time::Date;

/// One person, as simulated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonTruth {
    /// Person index, 0-based.
    pub person: u32,
    /// Full name.
    pub name: String,
    /// Birth date.
    pub birth_date: Date,
    /// Identity document type (always `prc_resident_id`).
    pub document_type: DocumentType,
    /// The whole document number. Test data only: real ID numbers never go in such a file.
    pub document_number: String,
    /// The region code (GB/T 2260) in the ID's first six digits; in US output, the USPS state of
    /// the address.
    pub region: String,
    /// Monthly income, fen: the hidden variable behind limits and trouble. Never reported.
    #[serde(rename = "monthly_income")]
    pub monthly_income_fen: i64,
    /// The behaviour type that drove the person's payments.
    pub behaviour: Behaviour,
    /// What happened in their life, in order.
    pub life_events: Vec<LifeEventTruth>,
    /// Every reporting authorization a lender asked them for (not the collector's, nor a
    /// fraudster's forgery), in product order.
    pub authorizations: Vec<Authorization>,
    /// Every account reported and not deleted, in the order the simulator made them.
    pub accounts: Vec<AccountTruth>,
    /// Accounts reported by mistake and deleted later.
    pub deleted_accounts: Vec<AccountTruth>,
}

/// A life event in a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifeEventTruth {
    /// The month.
    pub month: YearMonth,
    /// What happened.
    pub event: LifeEvent,
}

/// A request for the reporting authorization, granted or refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// The lender asking.
    pub furnisher: String,
    /// The day it asked: the application, or the rollout of reporting to existing users.
    pub asked_on: Date,
    /// Whether the person authorized; refusing costs them the product.
    pub granted: bool,
}

/// Why an account exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountOrigin {
    /// The person's own account.
    Own,
    /// Opened in the person's name by a fraudster; the person never used it.
    Fraud,
    /// Reported by the lender by mistake (a loan that was never drawn), deleted later.
    ReportedByMistake,
    /// A charged-off debt bought by the collector.
    Collection,
}

/// One account, as simulated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountTruth {
    /// Furnisher code.
    pub furnisher: String,
    /// The furnisher's account key.
    pub account_key: String,
    /// PBOC account type.
    pub account_type: AccountType,
    /// Opening date.
    pub opened_on: Date,
    /// Credit limit (revolving) at the first report, principal (loan) or debt bought (C1), fen.
    #[serde(rename = "credit_limit")]
    pub credit_limit_fen: i64,
    /// Why the account exists.
    pub origin: AccountOrigin,
    /// Number of instalments (loans and instalment plans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periods: Option<u16>,
    /// For an instalment plan (R4), the key of its line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_line_key: Option<String>,
    /// For a collection (C1), the key of the account whose debt was bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_from: Option<String>,
    /// First month reported.
    pub first_reported: YearMonth,
    /// For an account reported by mistake, the day the bureau receives its deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_on: Option<Date>,
    /// Every month reported, in order, with its true values.
    pub months: Vec<MonthTruth>,
}

/// One reported account-month, as it really was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthTruth {
    /// The month.
    pub month: YearMonth,
    /// Repayment status.
    pub status: RepaymentStatus,
    /// Balance, fen.
    #[serde(rename = "balance")]
    pub balance_fen: i64,
    /// Used amount, fen.
    #[serde(rename = "used_amount")]
    pub used_fen: i64,
    /// Amount due this month, fen.
    #[serde(rename = "amount_due")]
    pub due_fen: i64,
    /// Amount paid this month, fen.
    #[serde(rename = "amount_paid")]
    pub paid_fen: i64,
    /// Amount past due, fen.
    #[serde(rename = "past_due_amount")]
    pub past_due_fen: i64,
    /// Days past due at the settlement date.
    pub days_past_due: u32,
    /// The credit limit in force this month, fen.
    #[serde(rename = "credit_limit")]
    pub credit_limit_fen: i64,
}

#[cfg(test)]
impl MonthTruth {
    /// The truth of a month record of `account` (whose limit applies when the month names none).
    pub(crate) fn of(m: &MonthRecord, account: &AccountRecord) -> MonthTruth {
        MonthTruth {
            month: m.month,
            status: m.status,
            balance_fen: m.balance_minor,
            used_fen: m.used_minor,
            due_fen: m.due_minor,
            paid_fen: m.paid_minor,
            past_due_fen: m.past_due_minor,
            days_past_due: m.days_past_due,
            credit_limit_fen: m.credit_limit_minor.unwrap_or(account.credit_limit_minor),
        }
    }
}

#[cfg(test)]
impl AccountTruth {
    fn of(a: &SimAccount) -> AccountTruth {
        AccountTruth {
            furnisher: PRODUCTS[a.furnisher].code().to_owned(),
            account_key: a.account.account_key.clone(),
            account_type: a.account.account_type,
            opened_on: a.account.opened_on,
            credit_limit_fen: a.account.credit_limit_minor,
            origin: a.origin,
            periods: a.account.terms.periods,
            credit_line_key: a.account.credit_line_key.clone(),
            collected_from: a.collected_from.clone(),
            first_reported: a.first_reported,
            deleted_on: a.delete_in.map(delivery_date),
            months: a.months.iter().map(|m| MonthTruth::of(m, &a.account)).collect(),
        }
    }
}

#[cfg(test)]
impl PersonTruth {
    /// The truth of a simulated person.
    pub(crate) fn of(p: &SimPerson) -> PersonTruth {
        let (deleted, kept): (Vec<&SimAccount>, Vec<&SimAccount>) =
            p.accounts.iter().partition(|a| a.delete_in.is_some());
        PersonTruth {
            person: p.index,
            name: p.identity.name.clone(),
            birth_date: p.identity.birth_date,
            document_type: p.identity.document.doc_type(),
            document_number: p.identity.document.expose().to_owned(),
            region: p.region.to_owned(),
            monthly_income_fen: p.income_fen,
            behaviour: p.timeline.behaviour,
            life_events: p
                .timeline
                .events
                .iter()
                .map(|(month, event)| LifeEventTruth { month: *month, event: *event })
                .collect(),
            authorizations: p
                .answers
                .iter()
                .map(|a| Authorization {
                    furnisher: PRODUCTS[a.furnisher].code().to_owned(),
                    asked_on: a.asked_on,
                    granted: a.granted,
                })
                .collect(),
            accounts: kept.into_iter().map(AccountTruth::of).collect(),
            deleted_accounts: deleted.into_iter().map(AccountTruth::of).collect(),
        }
    }
}

/// Appends the truth line of `p`: the bytes `serde_json` writes for [`PersonTruth::of`], written
/// by hand without building it (the truth is as large as the furnisher files; see the test).
pub(crate) fn write_person_line(p: &SimPerson, out: &mut Vec<u8>) {
    out.push(b'{');
    jsonw::key(out, "person", true);
    jsonw::int(out, i64::from(p.index));
    jsonw::key(out, "name", false);
    jsonw::string(out, &p.identity.name);
    jsonw::key(out, "birth_date", false);
    jsonw::date(out, p.identity.birth_date);
    jsonw::key(out, "document_type", false);
    jsonw::string(out, p.identity.document.doc_type().as_str());
    jsonw::key(out, "document_number", false);
    jsonw::string(out, p.identity.document.expose());
    jsonw::key(out, "region", false);
    jsonw::string(out, p.region);
    jsonw::key(out, "monthly_income", false);
    jsonw::int(out, p.income_fen);
    jsonw::key(out, "behaviour", false);
    jsonw::value(out, &p.timeline.behaviour);
    jsonw::key(out, "life_events", false);
    list(out, &p.timeline.events, |out, (month, event)| {
        out.push(b'{');
        jsonw::key(out, "month", true);
        jsonw::month(out, *month);
        jsonw::key(out, "event", false);
        jsonw::value(out, event);
        out.push(b'}');
    });
    jsonw::key(out, "authorizations", false);
    list(out, &p.answers, |out, a| {
        out.push(b'{');
        jsonw::key(out, "furnisher", true);
        jsonw::string(out, PRODUCTS[a.furnisher].code());
        jsonw::key(out, "asked_on", false);
        jsonw::date(out, a.asked_on);
        jsonw::key(out, "granted", false);
        out.extend_from_slice(if a.granted { b"true" } else { b"false" });
        out.push(b'}');
    });
    let (deleted, kept): (Vec<&SimAccount>, Vec<&SimAccount>) = p.accounts.iter().partition(|a| a.delete_in.is_some());
    jsonw::key(out, "accounts", false);
    list(out, &kept, |out, a| write_account_truth(a, out));
    jsonw::key(out, "deleted_accounts", false);
    list(out, &deleted, |out, a| write_account_truth(a, out));
    out.extend_from_slice(b"}\n");
}

/// Appends a JSON array of `items`.
fn list<T>(out: &mut Vec<u8>, items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

fn write_account_truth(a: &SimAccount, out: &mut Vec<u8>) {
    out.push(b'{');
    jsonw::key(out, "furnisher", true);
    jsonw::string(out, PRODUCTS[a.furnisher].code());
    jsonw::key(out, "account_key", false);
    jsonw::string(out, &a.account.account_key);
    jsonw::key(out, "account_type", false);
    jsonw::string(out, a.account.account_type.as_str());
    jsonw::key(out, "opened_on", false);
    jsonw::date(out, a.account.opened_on);
    jsonw::key(out, "credit_limit", false);
    jsonw::int(out, a.account.credit_limit_minor);
    jsonw::key(out, "origin", false);
    jsonw::value(out, &a.origin);
    if let Some(n) = a.account.terms.periods {
        jsonw::key(out, "periods", false);
        jsonw::int(out, i64::from(n));
    }
    if let Some(k) = &a.account.credit_line_key {
        jsonw::key(out, "credit_line_key", false);
        jsonw::string(out, k);
    }
    if let Some(k) = &a.collected_from {
        jsonw::key(out, "collected_from", false);
        jsonw::string(out, k);
    }
    jsonw::key(out, "first_reported", false);
    jsonw::month(out, a.first_reported);
    if let Some(m) = a.delete_in {
        jsonw::key(out, "deleted_on", false);
        jsonw::date(out, delivery_date(m));
    }
    jsonw::key(out, "months", false);
    list(out, &a.months, |out, m| {
        out.push(b'{');
        jsonw::key(out, "month", true);
        jsonw::month(out, m.month);
        jsonw::key(out, "status", false);
        jsonw::string(out, m.status.as_str());
        let figures = [
            ("balance", m.balance_minor),
            ("used_amount", m.used_minor),
            ("amount_due", m.due_minor),
            ("amount_paid", m.paid_minor),
            ("past_due_amount", m.past_due_minor),
            ("days_past_due", i64::from(m.days_past_due)),
            ("credit_limit", m.credit_limit_minor.unwrap_or(a.account.credit_limit_minor)),
        ];
        for (name, v) in figures {
            jsonw::key(out, name, false);
            jsonw::int(out, v);
        }
        out.push(b'}');
    });
    out.push(b'}');
}

/// A deliberately malformed or wrong line, and the error the bureau must give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Malformation {
    /// A month line cut in half.
    JsonSyntax,
    /// A month line padded past 16 KiB.
    LineTooLong,
    /// A month line of kind `payment`.
    UnknownKind,
    /// A month line without its balance.
    FieldMissing,
    /// A month line with status `X`.
    FieldInvalid,
    /// A month line with a `remark` field.
    FieldUnknown,
    /// A month line naming the merchant (purchase details are banned).
    FieldBanned,
    /// A copy of the person's consent with a wrong ID check character.
    DocumentInvalid,
    /// A header line (`{"kind":"header"}`) in the middle of the file.
    HeaderInvalid,
    /// A month copy with a negative balance.
    OutOfRange,
    /// A month copy with status 1 and nothing past due.
    StatusInconsistent,
    /// A month copy whose last payment is after its settlement date.
    DateOrder,
    /// A month copy for the next month, which has not ended on the delivery day.
    DateInFuture,
    /// The same month record twice.
    MonthDuplicate,
    /// A month copy using twice the credit limit.
    UsedOverLimit,
    /// A month copy for the month before the account was opened.
    BeforeOpening,
    /// A month copy for an account key never opened.
    UnknownAccount,
    /// A month copy for the person's account at another furnisher.
    NotOwnAccount,
    /// A copy of the person's consent under another name.
    IdentityConflict,
    /// A month record for an account after its deletion.
    DeletedAccountMonth,
}

impl Malformation {
    /// Every malformation.
    pub const ALL: [Malformation; 20] = [
        Malformation::JsonSyntax,
        Malformation::LineTooLong,
        Malformation::UnknownKind,
        Malformation::FieldMissing,
        Malformation::FieldInvalid,
        Malformation::FieldUnknown,
        Malformation::FieldBanned,
        Malformation::DocumentInvalid,
        Malformation::HeaderInvalid,
        Malformation::OutOfRange,
        Malformation::StatusInconsistent,
        Malformation::DateOrder,
        Malformation::DateInFuture,
        Malformation::MonthDuplicate,
        Malformation::UsedOverLimit,
        Malformation::BeforeOpening,
        Malformation::UnknownAccount,
        Malformation::NotOwnAccount,
        Malformation::IdentityConflict,
        Malformation::DeletedAccountMonth,
    ];

    /// The error code the bureau must reject the line with (docs/formats/jsonl.md).
    pub fn code(self) -> Code {
        match self {
            Malformation::JsonSyntax => Code::JsonSyntax,
            Malformation::LineTooLong => Code::LineTooLong,
            Malformation::UnknownKind => Code::UnknownKind,
            Malformation::FieldMissing => Code::FieldMissing,
            Malformation::FieldInvalid => Code::FieldInvalid,
            Malformation::FieldUnknown => Code::FieldUnknown,
            Malformation::FieldBanned => Code::FieldBanned,
            Malformation::DocumentInvalid => Code::DocumentInvalid,
            Malformation::HeaderInvalid => Code::HeaderInvalid,
            Malformation::OutOfRange => Code::OutOfRange,
            Malformation::StatusInconsistent => Code::StatusInconsistent,
            Malformation::DateOrder => Code::DateOrder,
            Malformation::DateInFuture => Code::DateInvalid,
            Malformation::MonthDuplicate => Code::MonthDuplicate,
            Malformation::UsedOverLimit => Code::UsedOverLimit,
            Malformation::BeforeOpening => Code::BeforeOpening,
            Malformation::UnknownAccount => Code::UnknownAccount,
            Malformation::NotOwnAccount => Code::NotOwnAccount,
            Malformation::IdentityConflict => Code::IdentityConflict,
            Malformation::DeletedAccountMonth => Code::AccountConflict,
        }
    }
}

/// A line of a file, named by its path relative to the output folder (with `/`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLine {
    /// The file, e.g. `HUABEI/2024-03.jsonl`.
    pub file: String,
    /// 1-based line number (the header is line 1).
    pub line: u64,
}

/// The values of a month that a deliberate error changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthValues {
    /// Repayment status.
    pub status: RepaymentStatus,
    /// Amount past due, fen.
    #[serde(rename = "past_due_amount")]
    pub past_due_fen: i64,
    /// Days past due.
    pub days_past_due: u32,
}

impl MonthValues {
    /// The values of a month record.
    pub fn of(m: &MonthRecord) -> MonthValues {
        MonthValues { status: m.status, past_due_fen: m.past_due_minor, days_past_due: m.days_past_due }
    }
}

/// What the bureau must do with a deliberate line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "expect", rename_all = "snake_case")]
pub enum Expectation {
    /// Reject the line with `code`.
    Reject {
        /// The error code (docs/formats/jsonl.md).
        code: String,
        /// What is wrong with the line.
        malformation: Malformation,
    },
    /// Accept this wrong month; reports as of days before `corrected_on` show `sent`, later ones
    /// `correct`.
    Corrected {
        /// The month.
        month: YearMonth,
        /// The values sent here.
        sent: MonthValues,
        /// The true values.
        correct: MonthValues,
        /// The line that corrects it.
        corrected_by: FileLine,
        /// The day the correcting file is delivered.
        corrected_on: Date,
    },
    /// Accept this month record: it corrects an earlier one.
    Correction {
        /// The month corrected.
        month: YearMonth,
        /// The wrong line.
        of: FileLine,
    },
    /// Accept this account (opening): it was reported by mistake and is deleted later.
    DeletedLater {
        /// The deletion.
        deleted_by: FileLine,
        /// The day the deletion is delivered.
        deleted_on: Date,
    },
    /// Accept this deletion: from `deleted_on` the account is absent from reports.
    Delete {
        /// The day this file is delivered.
        deleted_on: Date,
    },
}

/// One deliberate line of a furnisher file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedLine {
    /// 1-based line number in the file.
    pub line: u64,
    /// The account the line is about.
    pub account_key: String,
    /// What the bureau must do.
    #[serde(flatten)]
    pub expect: Expectation,
}

fn read_lines<T: DeserializeOwned>(path: &Path, what: &str) -> io::Result<Vec<T>> {
    let reader = BufReader::new(File::open(path)?);
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(&line)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{what} line {}: {e}", i + 1)))?;
        out.push(item);
    }
    Ok(out)
}

/// Reads a `truth.jsonl` written by [`crate::simulate`]. A line that does not parse is an
/// `InvalidData` error naming its line number.
pub fn read_truth(path: impl AsRef<Path>) -> io::Result<Vec<PersonTruth>> {
    read_lines(path.as_ref(), "truth")
}

/// Reads the truth beside one furnisher file ([`crate::SimFile::truth_path`]).
pub fn read_expected(path: impl AsRef<Path>) -> io::Result<Vec<ExpectedLine>> {
    read_lines(path.as_ref(), "expected")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_truth_lines_equal_serde_json_and_read_back() {
        let config = crate::SimConfig { people: 400, months: 24, ..crate::SimConfig::default() };
        let window = crate::window_of(&config).expect("window");
        let space = crate::people::IdentitySpace::new(config.seed, false);
        let mut deleted = 0;
        for index in 0..config.people {
            let (person, _) = crate::people::generate(&config, &window, &space, index).expect("person");
            let mut line = Vec::new();
            write_person_line(&person, &mut line);
            let truth = PersonTruth::of(&person);
            let mut reference = serde_json::to_vec(&truth).expect("json");
            reference.push(b'\n');
            assert_eq!(String::from_utf8_lossy(&line), String::from_utf8_lossy(&reference));
            assert_eq!(serde_json::from_slice::<PersonTruth>(&line).expect("reads"), truth);
            deleted += truth.deleted_accounts.len();
        }
        assert!(deleted > 0, "some accounts were reported by mistake");
    }
}
