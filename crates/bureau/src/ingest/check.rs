//! Each record against the batch so far and the store: dates not in the future, months not
//! before opening nor twice in a batch, used amounts within reason, the furnisher's own accounts
//! (`NOT_OWN_ACCOUNT`), a reporting consent in force (`NO_CONSENT`), a notice before the first
//! negative month (`NO_NOTICE`), items deleted after a dispute (`DISPUTE_DELETED`), no consent
//! the person revoked brought back (`CONSENT_REVOKED`). A record that
//! passes comes out as what it is to write ([`Accepted`]); nothing is written here but the file
//! of a person not on file yet, and only for a record that passed (see `identity`).

use super::lookup::MonthMark;
use super::{Accepted, Batch, Outcome, Verdict, reject};
use crate::Result;
use ob_model::records::{
    AccountRecord, AgreementRecord, ConsentRecord, DeleteRecord, Identity, MonthRecord, NoticeRecord, Record,
    RekeyRecord, SpecialRecord,
};
use ob_model::{AccountType, Code, ConsentScope, FieldError, YearMonth, limits};
use ob_store::{AccountId, AccountVersionRow, NewConsent, SubjectId};
use time::Date;

/// Whether `new` would bring back `stored`, a consent the person revoked: the same signed
/// authorization sent again (with any dates), or another of the same scope and purpose granted on
/// or before the revocation. Either would undo the person's withdrawal without their asking (PIPL
/// art. 15; 征信业管理条例 art. 18); an authorization signed after it is a new one.
fn revives(stored: &NewConsent, new: &NewConsent) -> bool {
    stored.revoked_on.is_some_and(|on| {
        stored.org_id == new.org_id
            && (stored.evidence_sha256 == new.evidence_sha256
                || ((stored.scope, stored.purpose) == (new.scope, new.purpose) && new.granted_on <= on))
    })
}

impl Batch<'_> {
    /// Checks one record.
    pub(super) fn check<'r>(&mut self, record: &'r Record) -> Result<Verdict<Accepted<'r>>> {
        match record {
            Record::Consent(c) => self.check_consent(c),
            Record::Account(a) => self.check_account(a),
            Record::Month(m) => self.check_month(m),
            Record::Delete(d) => self.check_delete(d),
            Record::Notice(n) => self.check_notice(n),
            Record::Rekey(k) => self.check_rekey(k),
            Record::Special(x) => self.check_special(x),
            Record::Agreement(a) => self.check_agreement(a),
        }
    }

    fn not_future(&self, field: &str, d: Date) -> Option<FieldError> {
        (d > self.today).then(|| FieldError::new(Code::DateInvalid, field, "date is in the future"))
    }

    fn has_report_consent(&mut self, subject: SubjectId, day: Date) -> Result<bool> {
        Ok(self.consents_of(subject)?.iter().any(|c| c.scope == ConsentScope::Report && c.active_on(day)))
    }

    /// The person of a record that opens something (an account, an agreement), with a reporting
    /// consent in force today when the policy wants one. A person not on file (`None`) has given
    /// none; their file is opened only when none is needed, so a rejected record leaves no name
    /// or document behind.
    fn consenting_person(&mut self, person: Option<SubjectId>, who: &Identity) -> Result<Verdict<SubjectId>> {
        let required = self.policy.report_consent_required;
        let consented = match person {
            Some(subject) => !required || self.has_report_consent(subject, self.today)?,
            None => !required,
        };
        if !consented {
            return reject(Code::NoConsent, "subject", "no reporting consent from this person is in force");
        }
        Ok(Ok(match person {
            Some(subject) => subject,
            None => self.open_subject(who)?,
        }))
    }

    /// Whether a reporting consent covers, on `day`, an account of `subject` opened on
    /// `opened_on`: one in force on `day`, or one granted by `day` that was still in force when
    /// the account opened. Revoking an authorization (or its expiry) stops new accounts and
    /// inquiries, not the reporting of accounts already open, which goes on to their end — the
    /// late months and the payoff alike (征信业管理条例 art. 29, PIPL art. 13(2); docs/rights.md).
    fn consent_covers(&mut self, subject: SubjectId, day: Date, opened_on: Date) -> Result<bool> {
        Ok(self.consents_of(subject)?.iter().any(|c| {
            let open_while_in_force = opened_on <= c.expires_on && c.revoked_on.is_none_or(|r| opened_on < r);
            c.scope == ConsentScope::Report && c.granted_on <= day && (c.active_on(day) || open_while_in_force)
        }))
    }

    fn check_consent<'r>(&mut self, c: &'r ConsentRecord) -> Result<Verdict<Accepted<'r>>> {
        if let Some(e) = self.not_future("granted_on", c.granted_on) {
            return Ok(Err(Outcome::Rejected(vec![e])));
        }
        let subject = match self.find_subject(&c.subject)? {
            Ok(Some(s)) => s,
            Ok(None) => self.open_subject(&c.subject)?,
            Err(e) => return Ok(Err(Outcome::Rejected(vec![e]))),
        };
        let new = NewConsent {
            subject_id: subject,
            org_id: self.org,
            scope: c.scope,
            purpose: c.purpose,
            granted_on: c.granted_on,
            expires_on: c.expires_on,
            revoked_on: None,
            evidence_sha256: c.evidence_sha256,
            consent_ref: c.consent_ref.clone(),
            batch_id: Some(self.batch),
            recorded_at: self.now,
        };
        let same = |k: &NewConsent| {
            (k.scope, k.purpose, k.granted_on, k.expires_on, k.evidence_sha256)
                == (new.scope, new.purpose, new.granted_on, new.expires_on, new.evidence_sha256)
        };
        // A consent on file sent again (revoked or not) changes nothing, as before; only a new one
        // that would revive a revoked one is refused.
        let consents = self.consents_of(subject)?;
        if consents.iter().any(same) {
            return Ok(Err(Outcome::Unchanged));
        }
        if let Some(revoked) = consents.iter().find(|k| revives(k, &new)) {
            let on = revoked.revoked_on.map_or_else(String::new, |d| d.to_string());
            let e = FieldError::new(
                Code::ConsentRevoked,
                "granted_on",
                format!("the person revoked this authorization on {on}: send one signed after it"),
            );
            return Ok(Err(Outcome::Rejected(vec![e])));
        }
        Ok(Ok(Accepted::Consent(new)))
    }

    fn check_account<'r>(&mut self, a: &'r AccountRecord) -> Result<Verdict<Accepted<'r>>> {
        if let Some(e) = self.not_future("opened_on", a.opened_on) {
            return Ok(Err(Outcome::Rejected(vec![e])));
        }
        // A person not on file (`None`) has given no consent and holds no account: their file is
        // opened only when the record passes.
        let person = match self.find_subject(&a.subject)? {
            Ok(p) => p,
            Err(e) => return Ok(Err(Outcome::Rejected(vec![e]))),
        };
        let mut terms = AccountVersionRow {
            account_id: AccountId(0),
            version: 1,
            subject_id: SubjectId(0),
            batch_id: Some(self.batch),
            recorded_at: self.now,
            account_type: a.account_type,
            opened_on: a.opened_on,
            currency: a.currency,
            credit_limit_minor: a.credit_limit_minor,
            periods: a.terms.periods,
            due_day: a.terms.due_day,
            responsibility: a.responsibility,
            credit_line_id: None,
            deleted: false,
            contract: a.terms.contract,
        };
        if let Some(line_key) = &a.credit_line_key {
            match self.load_account(line_key)? {
                Some(i) if self.accounts[i].terms.account_type.is_revolving() && !self.accounts[i].terms.deleted => {
                    terms.credit_line_id = Some(self.accounts[i].id);
                }
                // A plan drawn under an agreement (220) whose line reports under another key:
                // accepted, shown on its own (no line account to put it under).
                None if self.w.agreement_by_key(self.org, line_key)?.is_some() => {}
                _ => {
                    return reject(
                        Code::UnknownAccount,
                        "credit_line_key",
                        "no open revolving line of this furnisher has this key",
                    );
                }
            }
        }
        let required = self.policy.report_consent_required;
        let Some(index) = self.load_account(&a.account_key)? else {
            terms.subject_id = match self.consenting_person(person, &a.subject)? {
                Ok(subject) => subject,
                Err(outcome) => return Ok(Err(outcome)),
            };
            return Ok(Ok(Accepted::NewAccount { key: &a.account_key, terms }));
        };
        if self.dispute_deleted(index).is_some_and(|d| d.account) {
            return reject(
                Code::DisputeDeleted,
                "account_key",
                "this account was deleted after a dispute; certify it to report it again",
            );
        }
        if self.removed_by_retention(index) {
            return reject(
                Code::AccountConflict,
                "account_key",
                "this account left the file when its negative information expired (retention): it is not reported again",
            );
        }
        let info = &self.accounts[index];
        let subject = info.subject_id;
        if person != Some(subject) {
            return reject(Code::AccountConflict, "subject", "this account key is on file for another person");
        }
        terms.subject_id = subject;
        let opened_on = info.terms.opened_on;
        if required && !self.consent_covers(subject, self.today, opened_on)? {
            return reject(Code::NoConsent, "subject", "no reporting consent from this person covers this account");
        }
        let old = &self.accounts[index].terms;
        let same = !old.deleted
            && (
                old.account_type,
                old.opened_on,
                old.currency,
                old.credit_limit_minor,
                old.periods,
                old.due_day,
                old.responsibility,
                old.contract,
            ) == (
                terms.account_type,
                terms.opened_on,
                terms.currency,
                terms.credit_limit_minor,
                terms.periods,
                terms.due_day,
                terms.responsibility,
                terms.contract,
            );
        if same {
            return Ok(Err(Outcome::Unchanged));
        }
        Ok(Ok(Accepted::AccountTerms { index, terms }))
    }

    /// The batch index of one of this furnisher's live accounts, or the rejection to give.
    fn own_account(&mut self, key: &str) -> Result<Verdict<usize>> {
        let Some(index) = self.load_account(key)? else {
            return if self.held_elsewhere(key)? {
                reject(Code::NotOwnAccount, "account_key", "this account belongs to another furnisher")
            } else {
                reject(Code::UnknownAccount, "account_key", "no account with this key: send its account record first")
            };
        };
        if self.accounts[index].terms.deleted {
            return reject(
                Code::AccountConflict,
                "account_key",
                "this account was deleted; send its account record to restore it",
            );
        }
        Ok(Ok(index))
    }

    fn check_month<'r>(&mut self, m: &'r MonthRecord) -> Result<Verdict<Accepted<'r>>> {
        if let Some(e) = self.not_future("settled_on", m.settled_on) {
            return Ok(Err(Outcome::Rejected(vec![e])));
        }
        let index = match self.own_account(&m.account_key)? {
            Ok(i) => i,
            Err(outcome) => return Ok(Err(outcome)),
        };
        let info = &mut self.accounts[index];
        let (subject, opened_on) = (info.subject_id, info.terms.opened_on);
        if let Some(errors) = check_against_terms(m, &info.terms) {
            return Ok(Err(Outcome::Rejected(errors)));
        }
        if !self.batch_months.insert((info.id, m.month)) {
            return reject(Code::MonthDuplicate, "month", "this month of this account is already in this batch");
        }
        if self.dry.on {
            self.dry.marks.push((info.id, m.month));
        }
        if self.policy.report_consent_required && !self.consent_covers(subject, m.settled_on, opened_on)? {
            return reject(
                Code::NoConsent,
                "settled_on",
                "no reporting consent from this person covers this account on this date",
            );
        }
        if self.dispute_deleted(index).is_some_and(|d| d.months.contains(&m.month)) {
            return reject(
                Code::DisputeDeleted,
                "month",
                "this month was deleted after a dispute; certify it to report it again",
            );
        }
        if let Some(outcome) = self.check_negative_notice(index, m)? {
            return Ok(Err(outcome));
        }
        Ok(Ok(Accepted::Month { index, month: m }))
    }

    /// A first negative month needs a notice given on or before its settlement date.
    /// The rules on a negative month, against the account's months on file: within a late run
    /// its days past due grow by no more than the days since the month before, give or take a
    /// 30-day band (`limits::DAYS_PAST_DUE_SLACK_DAYS`): a status does not jump from 3 to 5,
    /// and under a policy that wants notices, each new late run (a negative month after
    /// one that was not) needs a notice to the person dated after the previous run and by this
    /// month's settlement (征信业管理条例 art. 15).
    fn check_negative_notice(&mut self, index: usize, m: &MonthRecord) -> Result<Option<Outcome>> {
        let mark = MonthMark::of(m);
        if !mark.negative {
            return Ok(None);
        }
        self.load_history(index)?;
        let history = self.accounts[index].history.as_ref().expect("loaded above");
        let before = history.get(&m.month.plus(-1)).copied();
        // Within a run (the month before was late too; a run may start at any status, since the
        // month before may be wrong and corrected later), the days past due grow by at most the
        // days between the two settlements, give or take a band (limits.rs): 20 days late in May
        // cannot be 100 in June.
        if let Some(b) = before
            && b.days_past_due > 0
        {
            let elapsed = (m.settled_on - b.settled_on).whole_days().max(0);
            if i64::from(m.days_past_due) > i64::from(b.days_past_due) + elapsed + limits::DAYS_PAST_DUE_SLACK_DAYS {
                let why = format!("days past due go from {} to {} in {elapsed} days", b.days_past_due, m.days_past_due);
                return Ok(Some(Outcome::Rejected(vec![FieldError::new(
                    Code::StatusInconsistent,
                    "days_past_due",
                    why,
                )])));
            }
        }
        let starts_run = !before.is_some_and(|b| b.negative);
        if !starts_run || !self.policy.notice_before_negative {
            return Ok(None);
        }
        // The previous run ended by its last negative month before this one.
        let previous = history.range(..m.month).rev().find(|(_, b)| b.negative).map(|(_, b)| b.settled_on);
        self.load_notices(index, &m.account_key)?;
        let notices = self.accounts[index].notices.as_deref().unwrap_or_default();
        let noticed = notices.iter().any(|day| *day <= m.settled_on && previous.is_none_or(|p| *day > p));
        if !noticed {
            let why = "each new late run needs a notice to the person first, dated after the previous run";
            return Ok(Some(Outcome::Rejected(vec![FieldError::new(Code::NoNotice, "status", why)])));
        }
        Ok(None)
    }

    fn check_delete<'r>(&mut self, d: &'r DeleteRecord) -> Result<Verdict<Accepted<'r>>> {
        let index = match self.own_account(&d.account_key)? {
            Ok(i) => i,
            Err(outcome) => return Ok(Err(outcome)),
        };
        Ok(Ok(match d.months {
            None => Accepted::DeleteAccount { index },
            Some((from, to)) => Accepted::DeleteMonths { index, from, to },
        }))
    }

    fn check_rekey<'r>(&mut self, k: &'r RekeyRecord) -> Result<Verdict<Accepted<'r>>> {
        let index = match self.own_account(&k.account_key)? {
            Ok(i) => i,
            Err(outcome) => return Ok(Err(outcome)),
        };
        if self.load_account(&k.new_account_key)?.is_some() || self.held_elsewhere(&k.new_account_key)? {
            return reject(Code::AccountConflict, "new_account_key", "an account with the new key exists already");
        }
        Ok(Ok(Accepted::Rekey { index, old_key: &k.account_key, new_key: &k.new_account_key }))
    }

    /// A credit agreement: the person's file (made when new), a reporting consent in force for a
    /// new one, the key the furnisher's for this person only; the same terms again are unchanged.
    fn check_agreement<'r>(&mut self, a: &'r AgreementRecord) -> Result<Verdict<Accepted<'r>>> {
        if let Some(e) = self.not_future("effective_on", a.effective_on) {
            return Ok(Err(Outcome::Rejected(vec![e])));
        }
        let person = match self.find_subject(&a.subject)? {
            Ok(p) => p,
            Err(e) => return Ok(Err(Outcome::Rejected(vec![e]))),
        };
        let mut row = ob_store::AgreementRow {
            org_id: self.org,
            agreement_key: a.agreement_key.clone(),
            version: 1,
            subject_id: SubjectId(0),
            batch_id: Some(self.batch),
            recorded_at: self.now,
            kind: a.kind,
            currency: a.currency,
            limit_minor: a.limit_minor,
            effective_on: a.effective_on,
            expires_on: a.expires_on,
            ended: a.ended,
            responsibility: a.responsibility,
        };
        let Some(old) = self.w.agreement_by_key(self.org, &a.agreement_key)? else {
            row.subject_id = match self.consenting_person(person, &a.subject)? {
                Ok(subject) => subject,
                Err(outcome) => return Ok(Err(outcome)),
            };
            return Ok(Ok(Accepted::Agreement(row)));
        };
        let subject = old.subject_id;
        if person != Some(subject) {
            return reject(Code::AccountConflict, "subject", "this agreement key is on file for another person");
        }
        if self.agreement_deleted(&a.agreement_key) {
            return reject(
                Code::DisputeDeleted,
                "agreement_key",
                "this agreement was deleted after a dispute; certify it to report it again",
            );
        }
        row.subject_id = subject;
        if self.policy.report_consent_required && !self.consent_covers(subject, self.today, old.effective_on)? {
            return reject(Code::NoConsent, "subject", "no reporting consent from this person covers this agreement");
        }
        let terms = |r: &ob_store::AgreementRow| {
            (r.kind, r.currency, r.limit_minor, r.effective_on, r.expires_on, r.ended, r.responsibility)
        };
        if terms(&old) == terms(&row) {
            return Ok(Err(Outcome::Unchanged));
        }
        Ok(Ok(Accepted::Agreement(ob_store::AgreementRow { version: old.version + 1, ..row })))
    }

    /// A special transaction or event: on one of the furnisher's own accounts, within its life,
    /// under a reporting consent that covers the account; the same one sent again is unchanged.
    fn check_special<'r>(&mut self, x: &'r SpecialRecord) -> Result<Verdict<Accepted<'r>>> {
        if let Some(e) = self.not_future("on", x.on) {
            return Ok(Err(Outcome::Rejected(vec![e])));
        }
        let index = match self.own_account(&x.account_key)? {
            Ok(i) => i,
            Err(outcome) => return Ok(Err(outcome)),
        };
        let info = &self.accounts[index];
        let (id, subject, opened_on) = (info.id, info.subject_id, info.terms.opened_on);
        // An event is reported by month: its day is the month's first, which may precede opening.
        let first_day = if x.kind.is_event() { YearMonth::of(opened_on).first_day() } else { opened_on };
        if x.on < first_day {
            return reject(Code::BeforeOpening, "on", "before the account was opened");
        }
        if self.policy.report_consent_required && !self.consent_covers(subject, x.on, opened_on)? {
            return reject(Code::NoConsent, "on", "no reporting consent from this person covers this account");
        }
        let key = |k: &ob_store::SpecialRow| (k.kind, k.on, k.amount_minor, k.months_changed);
        let on_file = self.w.specials_of(subject, id, i64::MAX)?;
        let Some(same) = on_file.iter().find(|k| key(k) == (x.kind, x.on, x.amount_minor, x.months_changed)) else {
            return Ok(Ok(Accepted::Special { index, special: x }));
        };
        if self.dispute_deleted(index).is_some_and(|d| d.specials.contains(&same.seq)) {
            return reject(
                Code::DisputeDeleted,
                "on",
                "this special transaction was deleted after a dispute; certify it to report it again",
            );
        }
        Ok(Err(Outcome::Unchanged))
    }

    /// A notice for an account on file must be for one of the furnisher's own; one for an account
    /// not reported yet waits for it (a furnisher tells the person before it reports).
    fn check_notice<'r>(&mut self, n: &'r NoticeRecord) -> Result<Verdict<Accepted<'r>>> {
        if let Some(e) = self.not_future("notified_on", n.notified_on) {
            return Ok(Err(Outcome::Rejected(vec![e])));
        }
        match self.load_account(&n.account_key)? {
            Some(_) => match self.own_account(&n.account_key)? {
                Ok(index) => Ok(Ok(Accepted::Notice { index: Some(index), notice: n })),
                Err(outcome) => Ok(Err(outcome)),
            },
            None if self.held_elsewhere(&n.account_key)? => {
                reject(Code::NotOwnAccount, "account_key", "this account belongs to another furnisher")
            }
            None => Ok(Ok(Accepted::Notice { index: None, notice: n })),
        }
    }
}

/// Rules of a month against its account's terms: not before opening; used amount within reason.
fn check_against_terms(m: &MonthRecord, terms: &AccountVersionRow) -> Option<Vec<FieldError>> {
    let mut errors = Vec::new();
    if m.month < YearMonth::of(terms.opened_on) {
        errors.push(FieldError::new(Code::BeforeOpening, "month", "month reported before the account was opened"));
    }
    let limit = m.credit_limit_minor.unwrap_or(terms.credit_limit_minor);
    if terms.account_type != AccountType::C1
        && i128::from(m.used_minor) * 100 > i128::from(limit) * i128::from(limits::USED_OVER_LIMIT_PERCENT_MAX)
    {
        errors.push(FieldError::new(
            Code::UsedOverLimit,
            "used_amount",
            "used amount is more than 150% of the credit limit",
        ));
    }
    (!errors.is_empty()).then_some(errors)
}
