//! Storing what the checks accepted, keeping the batch's view of the store up to date; at the end,
//! the batch row's counts, the kept feedback, the audit event and the commit.

use super::feedback::{FEEDBACK_CONTEXT, FEEDBACK_MEDIA_TYPE};
use super::lookup::AccountInfo;
use super::{Accepted, Batch, IngestSummary, Outcome};
use crate::{Result, audit};
use ob_model::YearMonth;
use ob_model::records::{MonthRecord, NoticeRecord};
use ob_store::{AccountId, AccountVersionRow, BatchFeedbackRow, BatchId, MonthRow, NoticeRow, SpecialRow, SubjectId};

impl Batch<'_> {
    /// Writes an accepted record.
    pub(super) fn write(&mut self, accepted: Accepted<'_>) -> Result<Outcome> {
        match accepted {
            Accepted::Consent(new) => {
                self.w.insert_consent(&new)?;
                self.consents_of(new.subject_id)?.push(new);
                Ok(Outcome::Stored)
            }
            Accepted::NewAccount { key, terms } => self.write_new_account(key, terms),
            Accepted::AccountTerms { index, mut terms } => {
                let info = &mut self.accounts[index];
                terms.account_id = info.id;
                terms.version = info.terms.version + 1;
                self.w.insert_account_version(&terms)?;
                info.terms = terms;
                Ok(Outcome::Stored)
            }
            Accepted::Month { index, month } => self.write_month(index, month),
            Accepted::DeleteAccount { index } => {
                let info = &mut self.accounts[index];
                let mut terms = info.terms.clone();
                terms.version += 1;
                terms.deleted = true;
                terms.batch_id = Some(self.batch);
                terms.recorded_at = self.now;
                self.w.insert_account_version(&terms)?;
                info.terms = terms;
                Ok(Outcome::Stored)
            }
            Accepted::DeleteMonths { index, from, to } => self.delete_months(index, from, to),
            Accepted::Rekey { index, old_key, new_key } => {
                self.w.rekey_account(self.accounts[index].id, new_key)?;
                self.account_index.remove(old_key);
                self.account_index.insert(new_key.to_owned(), index);
                Ok(Outcome::Stored)
            }
            Accepted::Notice { index, notice } => self.write_notice(index, notice),
            Accepted::Agreement(row) => {
                self.w.insert_agreement(&row)?;
                Ok(Outcome::Stored)
            }
            Accepted::Special { index, special } => {
                let info = &self.accounts[index];
                self.w.insert_special(&SpecialRow {
                    account_id: info.id,
                    seq: 0,
                    subject_id: info.subject_id,
                    kind: special.kind,
                    on: special.on,
                    amount_minor: special.amount_minor,
                    months_changed: special.months_changed,
                    batch_id: Some(self.batch),
                    recorded_at: self.now,
                })?;
                Ok(Outcome::Stored)
            }
        }
    }

    /// Opens an account with its first terms; notices that waited for its key come with it.
    fn write_new_account(&mut self, key: &str, mut terms: AccountVersionRow) -> Result<Outcome> {
        let subject = terms.subject_id;
        let id = self.w.insert_account(self.org, key, subject)?;
        terms.account_id = id;
        self.w.insert_account_version(&terms)?;
        let mut info = AccountInfo::new(id, subject, terms, true);
        if self.stored_pending_notices {
            info.notices = None; // load them, with the waiting ones, when a negative month needs them
        } else if let Some(days) = self.pending_notices.remove(key) {
            info.notices = Some(days);
        }
        self.add_account(key, info);
        Ok(Outcome::Stored)
    }

    fn write_month(&mut self, index: usize, m: &MonthRecord) -> Result<Outcome> {
        let version = self.next_month_version(index, m.month)?;
        let (account, subject) = (self.accounts[index].id, self.accounts[index].subject_id);
        self.w.insert_month(&month_row(m, account, subject, version, self.batch, self.now))?;
        if let Some(history) = self.accounts[index].history.as_mut() {
            // A new version of a month that no longer matters to the rules leaves the map.
            let mark = super::lookup::MonthMark::of(m);
            if mark.matters() {
                history.insert(m.month, mark);
            } else {
                history.remove(&m.month);
            }
        }
        Ok(Outcome::Stored)
    }

    /// Deletes the stored months `from..=to` of an account (tombstone versions).
    fn delete_months(&mut self, index: usize, from: YearMonth, to: YearMonth) -> Result<Outcome> {
        let mut stored: Vec<YearMonth> =
            self.load_all_month_versions(index)?.keys().copied().filter(|m| (from..=to).contains(m)).collect();
        stored.sort();
        let (account, subject) = (self.accounts[index].id, self.accounts[index].subject_id);
        let deleted: Vec<_> = self.batch_months.range((account, from)..=(account, to)).copied().collect();
        for key in deleted {
            self.batch_months.remove(&key);
        }
        if stored.is_empty() {
            return Ok(Outcome::Unchanged);
        }
        if let Some(history) = self.accounts[index].history.as_mut() {
            history.retain(|m, _| !(from..=to).contains(m));
        }
        for month in stored {
            let version = self.next_month_version(index, month)?;
            self.w.insert_month(&tombstone(account, subject, month, version, Some(self.batch), self.now))?;
        }
        Ok(Outcome::Stored)
    }

    /// Records a notice: with its account when it is on file, else waiting under its key.
    fn write_notice(&mut self, index: Option<usize>, n: &NoticeRecord) -> Result<Outcome> {
        let mut row = NoticeRow {
            account_id: None,
            subject_id: None,
            org_id: self.org,
            account_key: n.account_key.clone(),
            notified_on: n.notified_on,
            channel: n.channel,
            batch_id: Some(self.batch),
            recorded_at: self.now,
        };
        match index {
            Some(index) => {
                row.account_id = Some(self.accounts[index].id);
                row.subject_id = Some(self.accounts[index].subject_id);
                if let Some(days) = self.accounts[index].notices.as_mut() {
                    days.push(n.notified_on);
                }
            }
            None => self.pending_notices.entry(n.account_key.clone()).or_default().push(n.notified_on),
        }
        self.w.insert_notice(&row)?;
        Ok(Outcome::Stored)
    }

    /// Ends the batch: the kept feedback (encrypted), the batch row's counts, its audit event; commits.
    pub(super) fn finish(mut self, s: &IngestSummary, kept_feedback: Option<Vec<u8>>) -> Result<()> {
        if let Some(kept) = kept_feedback {
            let body_enc = self.keys.encrypt(FEEDBACK_CONTEXT, &kept)?;
            self.w.put_batch_feedback(&BatchFeedbackRow {
                batch_id: self.batch,
                media_type: FEEDBACK_MEDIA_TYPE.into(),
                body_enc,
            })?;
        }
        self.w.finish_batch(self.batch, s.records, s.accepted, s.rejected)?;
        let detail = serde_json::json!({
            "batch": self.batch.0, "records": s.records, "accepted": s.accepted,
            "unchanged": s.unchanged, "rejected": s.rejected,
        });
        audit::append(self.w.as_mut(), self.now, "batch.ingested", None, Some(self.org), &detail)?;
        self.w.commit()?;
        Ok(())
    }
}

fn month_row(
    m: &MonthRecord,
    account: AccountId,
    subject: SubjectId,
    version: u32,
    batch: BatchId,
    now: i64,
) -> MonthRow {
    MonthRow {
        account_id: account,
        month: m.month,
        version,
        subject_id: subject,
        batch_id: Some(batch),
        recorded_at: now,
        settled_on: m.settled_on,
        balance_minor: m.balance_minor,
        used_minor: m.used_minor,
        due_minor: m.due_minor,
        paid_minor: m.paid_minor,
        past_due_minor: m.past_due_minor,
        days_past_due: m.days_past_due,
        status: m.status,
        class5: m.class5,
        last_payment_on: m.last_payment_on,
        closed_on: m.closed_on,
        credit_limit_minor: m.credit_limit_minor,
        deleted: false,
        detail: m.detail,
    }
}

/// A version that deletes a month: reports treat the month as never reported from then on.
pub(crate) fn tombstone(
    account: AccountId,
    subject: SubjectId,
    month: YearMonth,
    version: u32,
    batch: Option<BatchId>,
    now: i64,
) -> MonthRow {
    MonthRow {
        account_id: account,
        month,
        version,
        subject_id: subject,
        batch_id: batch,
        recorded_at: now,
        settled_on: month.last_day(),
        balance_minor: 0,
        used_minor: 0,
        due_minor: 0,
        paid_minor: 0,
        past_due_minor: 0,
        days_past_due: 0,
        status: ob_model::RepaymentStatus::Unknown,
        class5: None,
        last_payment_on: None,
        closed_on: None,
        credit_limit_minor: None,
        deleted: true,
        detail: Default::default(),
    }
}
