//! One entry of a file, all or nothing. An entry (a Metro 2 data record, a PBOC account message)
//! may stand for several records — a new key, the account's terms, its month, its special
//! transactions — and is rejected whole when any of them is: then nothing of it is written.
//!
//! A later record is checked against what the earlier ones change (a month against the terms
//! the same entry brings), so an entry whose records before the last would write is checked in
//! full first, *dry*: each accepted record's effect is applied to the batch's view only, a person
//! not on file gets a stand-in id instead of a file, and nothing reaches the store. The view is
//! then put back and the entry checked again and written, record by record. Only such entries
//! pay for the second check: one whose earlier records are unchanged (an account's terms sent
//! again with each month, the usual case) writes what its last record's check accepted.
//!
//! Stand-in ids are negative, never reused within a batch and never stored: a store's ids are
//! positive.

use super::identity::SubjectInfo;
use super::lookup::{AccountInfo, MonthMark};
use super::{Accepted, Batch, Outcome};
use crate::{BureauError, Result};
use ob_model::YearMonth;
use ob_model::records::Record;
use ob_store::{AccountId, AccountVersionRow, SubjectId};
use std::collections::{BTreeMap, HashMap};

/// The state of a dry check of an entry.
#[derive(Default)]
pub(super) struct Dry {
    /// Whether an entry is being checked dry.
    pub(super) on: bool,
    /// The people not on file given stand-in ids, by the keyed hash of their document.
    pub(super) people: HashMap<[u8; 32], SubjectInfo>,
    /// The (account, month) pairs the dry check added to the batch's months.
    pub(super) marks: Vec<(AccountId, YearMonth)>,
    /// How many stand-in ids were given in the batch.
    stand_ins: i64,
}

impl Dry {
    fn next_stand_in(&mut self) -> i64 {
        self.stand_ins += 1;
        -self.stand_ins
    }

    /// A stand-in id for a person not on file.
    pub(super) fn stand_in_subject(&mut self) -> SubjectId {
        SubjectId(self.next_stand_in())
    }

    /// A stand-in id for an account not on file.
    fn stand_in_account(&mut self) -> AccountId {
        AccountId(self.next_stand_in())
    }
}

/// How to put back the effect of one record on the batch's view.
enum Undo {
    Consent(SubjectId),
    NewAccount { key: String, index: usize },
    Terms { index: usize, old: Box<AccountVersionRow> },
    Month { index: usize, month: YearMonth, old: Option<MonthMark> },
    Months { index: usize, history: Option<BTreeMap<YearMonth, MonthMark>>, marks: Vec<(AccountId, YearMonth)> },
    Rekey { index: usize, old_key: String, new_key: String },
    Notice { index: Option<usize>, key: String },
    Nothing,
}

/// What the dry check of an entry found.
enum Checked<'r> {
    /// A record is rejected: so is the entry.
    Rejected(Vec<ob_model::FieldError>),
    /// Every record is unchanged.
    Unchanged,
    /// Every record but the last is unchanged and the last was accepted with nothing standing in:
    /// what to write.
    Last(Accepted<'r>),
    /// Records before the last would write: check again and write, record by record.
    Again,
}

impl Batch<'_> {
    /// Applies the records of one entry, all or nothing: the entry is rejected if any of them
    /// is, and then nothing of it is written.
    pub(super) fn apply_all(&mut self, records: &[Record]) -> Result<Outcome> {
        let checked = self.check_dry(records);
        match checked? {
            Checked::Rejected(errors) => Ok(Outcome::Rejected(errors)),
            Checked::Unchanged => Ok(Outcome::Unchanged),
            Checked::Last(accepted) => self.write(accepted),
            Checked::Again => self.write_entry(records),
        }
    }

    /// Checks an entry's records in order, each against the effects of those before it, writing
    /// nothing; the view is put back before returning.
    fn check_dry<'r>(&mut self, records: &'r [Record]) -> Result<Checked<'r>> {
        // A single record is checked as it is written: its check opens nothing that it rejects.
        self.dry.on = records.len() > 1;
        let mut undo = Vec::new();
        let checked = self.check_each(records, &mut undo);
        let again = matches!(checked, Ok(Checked::Again));
        self.put_back(undo, again);
        self.dry.on = false;
        checked
    }

    fn check_each<'r>(&mut self, records: &'r [Record], undo: &mut Vec<Undo>) -> Result<Checked<'r>> {
        let mut again = false;
        for (i, record) in records.iter().enumerate() {
            match self.check(record)? {
                Err(Outcome::Rejected(errors)) => return Ok(Checked::Rejected(errors)),
                Err(_) => {}
                Ok(accepted) if i + 1 == records.len() => {
                    // A stand-in in what the last record would write (a person or an account
                    // not on file) is no id to store: check again for real.
                    return Ok(if again || !self.dry.people.is_empty() {
                        Checked::Again
                    } else {
                        Checked::Last(accepted)
                    });
                }
                Ok(accepted) => {
                    undo.push(self.apply_to_view(&accepted)?);
                    again = true;
                }
            }
        }
        Ok(if again { Checked::Again } else { Checked::Unchanged })
    }

    /// Checks again and writes an entry that passed its dry check. Each record passes again: the
    /// view it is checked against is what the dry check saw, now written; a record rejected now
    /// is a fault of this module, and the batch fails whole rather than keep half an entry.
    fn write_entry(&mut self, records: &[Record]) -> Result<Outcome> {
        let mut result = Outcome::Unchanged;
        for record in records {
            let accepted = match self.check(record)? {
                Ok(accepted) => accepted,
                Err(Outcome::Rejected(_)) => {
                    return Err(BureauError::Invariant("a record of an entry that passed its dry check was rejected"));
                }
                Err(_) => continue,
            };
            if let Outcome::Stored = self.write(accepted)? {
                result = Outcome::Stored;
            }
        }
        Ok(result)
    }

    /// Applies an accepted record's effect to the batch's view (what later checks read), as
    /// [`Batch::write`] would, without writing; how to put it back. What [`Batch::write`] leaves
    /// to be read from the transaction later (an account's months and notices not loaded yet) is
    /// loaded first: the store will not hold this record when a later one reads it.
    fn apply_to_view(&mut self, accepted: &Accepted<'_>) -> Result<Undo> {
        Ok(match accepted {
            Accepted::Consent(new) => {
                self.consents.entry(new.subject_id).or_default().push(new.clone());
                Undo::Consent(new.subject_id)
            }
            Accepted::NewAccount { key, terms } => {
                let id = self.dry.stand_in_account();
                let mut info = AccountInfo::new(id, terms.subject_id, terms.clone(), true);
                if self.stored_pending_notices {
                    info.notices = None;
                } else if let Some(days) = self.pending_notices.get(*key) {
                    info.notices = Some(days.clone());
                }
                let index = self.add_account(key, info);
                Undo::NewAccount { key: (*key).to_owned(), index }
            }
            Accepted::AccountTerms { index, terms } => {
                let info = &mut self.accounts[*index];
                let new = AccountVersionRow { account_id: info.id, version: info.terms.version + 1, ..terms.clone() };
                let old = std::mem::replace(&mut info.terms, new);
                Undo::Terms { index: *index, old: Box::new(old) }
            }
            Accepted::DeleteAccount { index } => {
                let info = &mut self.accounts[*index];
                let new = AccountVersionRow { deleted: true, ..info.terms.clone() };
                let old = std::mem::replace(&mut info.terms, new);
                Undo::Terms { index: *index, old: Box::new(old) }
            }
            Accepted::Month { index, month } => {
                self.load_history(*index)?;
                let mark = MonthMark::of(month);
                let history = self.accounts[*index].history.get_or_insert_with(BTreeMap::new);
                let old = if mark.matters() { history.insert(month.month, mark) } else { history.remove(&month.month) };
                Undo::Month { index: *index, month: month.month, old }
            }
            Accepted::DeleteMonths { index, from, to } => {
                self.load_history(*index)?;
                let info = &mut self.accounts[*index];
                let history = info.history.clone();
                if let Some(h) = info.history.as_mut() {
                    h.retain(|m, _| !(*from..=*to).contains(m));
                }
                let marks: Vec<_> = self.batch_months.range((info.id, *from)..=(info.id, *to)).copied().collect();
                for mark in &marks {
                    self.batch_months.remove(mark);
                }
                Undo::Months { index: *index, history, marks }
            }
            Accepted::Rekey { index, old_key, new_key } => {
                self.account_index.remove(*old_key);
                self.account_index.insert((*new_key).to_owned(), *index);
                Undo::Rekey { index: *index, old_key: (*old_key).to_owned(), new_key: (*new_key).to_owned() }
            }
            Accepted::Notice { index, notice } => {
                let days = match index {
                    Some(i) => {
                        self.load_notices(*i, &notice.account_key)?;
                        self.accounts[*i].notices.get_or_insert_with(Vec::new)
                    }
                    None => self.pending_notices.entry(notice.account_key.clone()).or_default(),
                };
                days.push(notice.notified_on);
                Undo::Notice { index: *index, key: notice.account_key.clone() }
            }
            // Later checks read agreements and special transactions from the store: a record
            // after one of them in the same entry (no format sends one) would see it only when
            // checked again, and a disagreement fails the batch (`write_entry`).
            Accepted::Agreement(_) | Accepted::Special { .. } => Undo::Nothing,
        })
    }

    /// Puts the batch's view back as it was before the entry's dry check, last effect first.
    /// The (account, month) pairs the dry check named stay named when the entry is rejected (a
    /// month named twice in a batch is a duplicate, stored or not), and are taken back when the
    /// entry is to be checked again.
    fn put_back(&mut self, undo: Vec<Undo>, again: bool) {
        for u in undo.into_iter().rev() {
            self.undo(u);
        }
        // Drained, not taken: most entries come and go without allocating.
        for mark in self.dry.marks.drain(..) {
            if again {
                self.batch_months.remove(&mark);
            }
        }
        for (_, person) in self.dry.people.drain() {
            self.consents.remove(&person.id());
        }
    }

    fn undo(&mut self, u: Undo) {
        match u {
            Undo::Consent(subject) => {
                if let Some(list) = self.consents.get_mut(&subject) {
                    list.pop();
                }
            }
            Undo::NewAccount { key, index } => {
                self.account_index.remove(&key);
                // Accounts read ahead after it stay (unindexed, it is never read again).
                if index + 1 == self.accounts.len() {
                    self.accounts.pop();
                }
            }
            Undo::Terms { index, old } => self.accounts[index].terms = *old,
            Undo::Month { index, month, old } => {
                if let Some(history) = self.accounts[index].history.as_mut() {
                    match old {
                        Some(mark) => history.insert(month, mark),
                        None => history.remove(&month),
                    };
                }
            }
            Undo::Months { index, history, marks } => {
                self.accounts[index].history = history;
                self.batch_months.extend(marks);
            }
            Undo::Rekey { index, old_key, new_key } => {
                self.account_index.remove(&new_key);
                self.account_index.insert(old_key, index);
            }
            Undo::Notice { index, key } => {
                let days = match index {
                    Some(i) => self.accounts[i].notices.as_mut(),
                    None => self.pending_notices.get_mut(&key),
                };
                if let Some(days) = days {
                    days.pop();
                }
            }
            Undo::Nothing => {}
        }
    }
}

#[cfg(test)]
mod tests {
    //! Entries of shapes the formats make and of some they do not, each checked against a batch
    //! that already took `before` (one record an entry): the outcome, and what the store holds.

    use super::super::Batch;
    use super::Outcome;
    use crate::crypto::Keys;
    use ob_model::policy::Policy;
    use ob_model::records::Record;
    use ob_store::{NewBatch, Store, Writer};

    const ZHANG: &str = r#"{"name":"张三","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}}"#;
    const ZHANG_RENAMED: &str = r#"{"name":"李四","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}}"#;

    fn consent() -> String {
        format!(
            r#"{{"kind":"consent","subject":{ZHANG},"scope":"report","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}"#
        )
    }

    fn account(key: &str, subject: &str, limit: i64) -> String {
        format!(
            r#"{{"kind":"account","account_key":"{key}","subject":{subject},"account_type":"R1","opened_on":"2024-01-10","currency":"CNY","credit_limit":{limit}}}"#
        )
    }

    fn month(key: &str, month: &str, balance: i64) -> String {
        format!(
            r#"{{"kind":"month","account_key":"{key}","month":"{month}","balance":{balance},"amount_due":100,"status":"N"}}"#
        )
    }

    fn late(key: &str, month: &str) -> String {
        format!(
            r#"{{"kind":"month","account_key":"{key}","month":"{month}","balance":1000,"amount_due":100,"past_due_amount":100,"days_past_due":20,"status":"1"}}"#
        )
    }

    fn notice(key: &str, day: &str) -> String {
        format!(r#"{{"kind":"notice","account_key":"{key}","notified_on":"{day}","channel":"sms"}}"#)
    }

    fn records(lines: &[String]) -> Vec<Record> {
        lines.iter().map(|l| ob_formats::jsonl::parse_record(l.as_bytes()).expect("a valid line")).collect()
    }

    /// The outcome of `entry` after `before`, and the store's people, accounts and months then.
    fn run(policy: Policy, before: &[String], entry: &[String]) -> String {
        let mut store = ob_store::sqlite::SqliteStore::in_memory().unwrap();
        let mut w: Box<dyn Writer + '_> = store.write().unwrap();
        let org = w.insert_org("HB", "HB", 0).unwrap();
        let batch = w
            .insert_batch(&NewBatch { org_id: org, file_sha256: [0; 32], format: "test".into(), received_at: 0 })
            .unwrap();
        let keys = Keys::from_master(&[3; 32]);
        let now = time::macros::datetime!(2024-07-05 02:00 UTC);
        let mut b = Batch::new(w, &keys, &policy, org, batch, now).unwrap();
        for record in records(before) {
            let outcome = b.apply_all(std::slice::from_ref(&record)).unwrap();
            assert!(!matches!(outcome, Outcome::Rejected(_)), "{record:?} is rejected");
        }
        let outcome = match b.apply_all(&records(entry)) {
            Ok(Outcome::Stored) => "stored".to_owned(),
            Ok(Outcome::Unchanged) => "unchanged".to_owned(),
            Ok(Outcome::Rejected(errors)) => format!("rejected {}", errors[0].code.as_str()),
            Err(e) => format!("error {e}"),
        };
        let c = b.w.counts().unwrap();
        format!("{outcome}; people {}, accounts {}, months {}", c.subjects, c.accounts, c.account_months)
    }

    fn check(before: &[String], entry: &[String], expect: &str) {
        assert_eq!(run(Policy::prc(), before, entry), expect, "before {before:?}, entry {entry:?}");
    }

    #[test]
    fn an_entry_is_stored_whole_or_not_at_all() {
        let on_file = [consent(), account("A1", ZHANG, 500_000), month("A1", "2024-05", 1_000)];
        // A new account with its month; the same with the month twice.
        check(
            &[consent()],
            &[account("A2", ZHANG, 500_000), month("A2", "2024-05", 1_000)],
            "stored; people 1, accounts 1, months 1",
        );
        check(
            &[consent()],
            &[account("A2", ZHANG, 500_000), month("A2", "2024-05", 1_000), month("A2", "2024-05", 2_000)],
            "rejected MONTH_DUPLICATE; people 1, accounts 0, months 0",
        );
        // The month is checked against the terms its entry brings: 2,000 yuan is over 150 % of
        // the new 1,000 yuan limit, though not of the 5,000 on file.
        check(
            &on_file,
            &[account("A1", ZHANG, 100_000), month("A1", "2024-06", 200_000)],
            "rejected USED_OVER_LIMIT; people 1, accounts 1, months 1",
        );
        check(
            &on_file,
            &[account("A1", ZHANG, 100_000), month("A1", "2024-06", 1_000)],
            "stored; people 1, accounts 1, months 2",
        );
        // A notice earlier in the entry counts for the late month after it.
        check(&on_file, &[notice("A1", "2024-06-01"), late("A1", "2024-06")], "stored; people 1, accounts 1, months 2");
        check(
            &on_file,
            &[month("A1", "2024-06", 1_000), late("A1", "2024-06")],
            "rejected MONTH_DUPLICATE; people 1, accounts 1, months 1",
        );
    }

    #[test]
    fn a_person_not_on_file_is_opened_only_with_an_entry_that_passes() {
        // Without a consent, nobody is opened; a person given a stand-in during the dry check
        // is compared as one on file: the same document under another name is a conflict.
        check(
            &[],
            &[account("A1", ZHANG, 500_000), month("A1", "2024-05", 1_000)],
            "rejected NO_CONSENT; people 0, accounts 0, months 0",
        );
        let us = |before: &[String], entry: &[String]| run(Policy::us(), before, entry);
        assert_eq!(
            us(&[], &[account("A1", ZHANG, 500_000), account("A2", ZHANG_RENAMED, 500_000)]),
            "rejected IDENTITY_CONFLICT; people 0, accounts 0, months 0"
        );
        assert_eq!(
            us(&[], &[account("A1", ZHANG, 500_000), month("A1", "2024-05", 1_000)]),
            "stored; people 1, accounts 1, months 1"
        );
    }
}
