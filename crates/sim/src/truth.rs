//! The ground truth: one JSON line per person with exactly what was reported about them, so tests
//! can compare the bureau's reports with what each simulated person really did.

use crate::Behaviour;
use crate::account::SimAccount;
use crate::people::SimPerson;
use ob_model::records::MonthRecord;
use ob_model::{AccountType, DocumentType, RepaymentStatus, YearMonth};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
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
    /// The behaviour type that drove the person's payments.
    pub behaviour: Behaviour,
    /// Every account reported, in furnisher order.
    pub accounts: Vec<AccountTruth>,
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
    /// Credit limit (revolving) or principal (loan), fen.
    #[serde(rename = "credit_limit")]
    pub credit_limit_fen: i64,
    /// Every month reported, in order.
    pub months: Vec<MonthTruth>,
}

/// One reported account-month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthTruth {
    /// The month.
    pub month: YearMonth,
    /// Repayment status reported.
    pub status: RepaymentStatus,
    /// Balance, fen.
    #[serde(rename = "balance")]
    pub balance_fen: i64,
    /// Used amount, fen.
    #[serde(rename = "used_amount")]
    pub used_fen: i64,
    /// Amount past due, fen.
    #[serde(rename = "past_due_amount")]
    pub past_due_fen: i64,
    /// Days past due at the settlement date.
    pub days_past_due: u32,
}

impl MonthTruth {
    fn of(m: &MonthRecord) -> MonthTruth {
        MonthTruth {
            month: m.month,
            status: m.status,
            balance_fen: m.balance_minor,
            used_fen: m.used_minor,
            past_due_fen: m.past_due_minor,
            days_past_due: m.days_past_due,
        }
    }
}

impl AccountTruth {
    fn of(a: &SimAccount) -> AccountTruth {
        AccountTruth {
            furnisher: crate::FURNISHERS[a.furnisher].0.to_owned(),
            account_key: a.account.account_key.clone(),
            account_type: a.account.account_type,
            opened_on: a.account.opened_on,
            credit_limit_fen: a.account.credit_limit_minor,
            months: a.months.iter().map(MonthTruth::of).collect(),
        }
    }
}

impl PersonTruth {
    pub(crate) fn of(p: &SimPerson) -> PersonTruth {
        PersonTruth {
            person: p.index,
            name: p.identity.name.clone(),
            birth_date: p.identity.birth_date,
            document_type: p.identity.document.doc_type(),
            document_number: p.identity.document.expose().to_owned(),
            behaviour: p.behaviour,
            accounts: p.accounts.iter().map(AccountTruth::of).collect(),
        }
    }
}

/// Writes `truth.jsonl`, one person per line.
pub(crate) struct TruthWriter {
    out: BufWriter<File>,
}

impl TruthWriter {
    /// Creates (or truncates) the file.
    pub(crate) fn create(path: &Path) -> io::Result<TruthWriter> {
        Ok(TruthWriter { out: BufWriter::new(File::create(path)?) })
    }

    /// Appends one person.
    pub(crate) fn write(&mut self, person: &SimPerson) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &PersonTruth::of(person))?;
        self.out.write_all(b"\n")
    }

    /// Flushes the file.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Reads a `truth.jsonl` written by [`crate::simulate`]. A line that does not parse is an
/// `InvalidData` error naming its line number.
pub fn read_truth(path: impl AsRef<Path>) -> io::Result<Vec<PersonTruth>> {
    let reader = BufReader::new(File::open(path.as_ref())?);
    let mut people = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let person = serde_json::from_str(&line)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("truth line {}: {e}", i + 1)))?;
        people.push(person);
    }
    Ok(people)
}
