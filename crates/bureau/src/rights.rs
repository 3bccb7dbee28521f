//! People's rights and the bureau's duties (docs/domain/rules.md): disputes (异议), personal
//! statements (本人声明), consent revocation, fraud alerts and freezes. Every step is one
//! transaction with its audit event. Deadlines and limits come from the [`Policy`].

use crate::crypto::Keys;
use crate::{Bureau, BureauError, Refusal, Result};
use ob_model::policy::Policy;
use ob_model::{
    ConsentScope, DisputeState, DisputeType, DocumentNumber, FlagKind, QueryReason, StatementType, YearMonth,
};
use ob_store::*;
use serde::Serialize;
use serde_json::json;
use time::{Date, Duration};

/// The encryption context of statement texts.
pub(crate) const STATEMENT_CONTEXT: &str = "statement:text";

/// What a person disputes, named as their report names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisputeTarget {
    /// A whole account (`account_ref` from the report, e.g. `A12`).
    Account(String),
    /// One month of an account.
    Month(String, YearMonth),
    /// An inquiry (`inquiry_ref` from the report, e.g. `Q7`): "I did not authorize this".
    Inquiry(String),
    /// The identity section.
    Identity,
    /// A special transaction or event (`special_ref` from the report, e.g. `A12.S2`).
    Special(String),
    /// A credit agreement (`agreement_ref` from the report, e.g. `G3f9c0a12b7d4`).
    Agreement(String),
}

/// A furnisher's answer to a dispute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The data was wrong; the corrected record has been sent (it must be on file by now).
    Corrected,
    /// The data is right.
    Verified,
    /// The item is deleted.
    Deleted,
}

impl Answer {
    /// The answer named `corrected`, `verified` or `deleted` (its state's code).
    pub fn parse(s: &str) -> Option<Answer> {
        [Answer::Corrected, Answer::Verified, Answer::Deleted].into_iter().find(|a| a.state().as_str() == s)
    }

    fn state(self) -> DisputeState {
        match self {
            Answer::Corrected => DisputeState::Corrected,
            Answer::Verified => DisputeState::Verified,
            Answer::Deleted => DisputeState::Deleted,
        }
    }
}

/// A dispute as the person and the furnisher see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DisputeView {
    /// Id.
    pub id: i64,
    /// `account`, `month`, `inquiry`, `identity`, `special` or `agreement`.
    pub item: &'static str,
    /// The account, as reports name it (for an account, a month or a special).
    pub account_ref: Option<String>,
    /// The month.
    pub month: Option<YearMonth>,
    /// The inquiry, as reports name it.
    pub inquiry_ref: Option<String>,
    /// The special transaction or event, as reports name it.
    pub special_ref: Option<String>,
    /// The credit agreement, as reports name it.
    pub agreement_ref: Option<String>,
    /// In the furnisher's queue only: its own key for the account or agreement disputed, so it
    /// can find the item in its books (never shown to anyone else).
    pub furnisher_key: Option<String>,
    /// Type.
    pub dispute_type: DisputeType,
    /// State now (an open dispute past its deadline is `suppressed`).
    pub state: DisputeState,
    /// Filed on.
    pub filed_on: Date,
    /// Answer due by.
    pub due_on: Date,
    /// Every step: (day, state, note).
    pub history: Vec<(Date, DisputeState, Option<String>)>,
}

/// A consent as the person sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsentView {
    /// Reference to revoke it by, e.g. `C3`.
    pub consent_ref: String,
    /// The organization authorized.
    pub organization: String,
    /// Report or inquire.
    pub scope: ConsentScope,
    /// Purpose, for inquiries.
    pub purpose: Option<QueryReason>,
    /// First day.
    pub granted_on: Date,
    /// Last day.
    pub expires_on: Date,
    /// Revoked on.
    pub revoked_on: Option<Date>,
}

/// The reference reports give an account.
pub fn account_ref(id: AccountId) -> String {
    format!("A{}", id.0)
}

/// The reference reports give an inquiry.
pub fn inquiry_ref(id: InquiryId) -> String {
    format!("Q{}", id.0)
}

/// The reference reports give a special transaction or event: its account's and its number.
pub fn special_ref(account: AccountId, seq: u32) -> String {
    format!("{}.S{seq}", account_ref(account))
}

/// The reference reports give a credit agreement ([`Keys::agreement_ref`]): never the lender's
/// contract number, which no report shows to another lender.
pub fn agreement_ref(keys: &Keys, org: OrgId, agreement_key: &str) -> String {
    keys.agreement_ref(org.0, agreement_key)
}

/// An agreement's reference as typed: `G` or `g`, then the hex digits in lower case.
fn normalized_agreement_ref(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix(['G', 'g']) {
        Some(hex) => format!("G{}", hex.to_ascii_lowercase()),
        None => s.to_owned(),
    }
}

fn parse_ref(prefix: char, s: &str) -> Option<i64> {
    s.strip_prefix(prefix).and_then(|n| n.parse().ok())
}

/// A dispute's state: its latest step, with an open dispute past its deadline counting as
/// [`unanswered_state`].
pub fn effective_state(events: &[DisputeEventRow], due_on: Date, today: Date, policy: &Policy) -> DisputeState {
    match events.last().map(|e| e.state) {
        Some(DisputeState::Open) | None if today > due_on => unanswered_state(policy),
        Some(state) => state,
        None => DisputeState::Open,
    }
}

/// What an open dispute becomes the day after its deadline: suppressed where the policy
/// suppresses unanswered disputes (FCRA §611(a)(5)); elsewhere unresolved, the item staying on
/// reports with its mark (征信业管理条例 art. 25: the check and the dispute are recorded).
fn unanswered_state(policy: &Policy) -> DisputeState {
    if policy.suppress_unanswered_disputes { DisputeState::Suppressed } else { DisputeState::Unresolved }
}

/// Waiting for the furnisher's answer: open, or past its deadline without one.
pub(crate) fn awaits_answer(state: DisputeState) -> bool {
    matches!(state, DisputeState::Open | DisputeState::Suppressed | DisputeState::Unresolved)
}

pub(crate) fn subject_of(w: &dyn Reader, keys: &Keys, document: &DocumentNumber) -> Result<SubjectId> {
    Ok(crate::subject_by_document(w, keys, document)?.ok_or(BureauError::NoFile)?.id)
}

/// The person's account named by `account_ref`.
fn own_account(r: &dyn Reader, subject: SubjectId, account_ref: &str) -> Result<AccountRow> {
    parse_ref('A', account_ref)
        .map(AccountId)
        .map(|id| r.account(id))
        .transpose()?
        .flatten()
        .filter(|a| a.subject_id == subject)
        .ok_or_else(|| BureauError::refused(Refusal::UnknownItem, "no such account on this file"))
}

/// [`own_account`] with the months a report reads of it, as long as reports show it: not deleted
/// (by a dispute, or by its furnisher) unless `deleted_too`, and not taken off reports by
/// retention. A deleted account may still be disputed as `missing_info`: a lender that dropped a
/// good account leaves the file incomplete.
fn shown_account(
    (r, policy, today): (&dyn Reader, &Policy, Date),
    subject: SubjectId,
    account_ref: &str,
    deleted_too: bool,
) -> Result<(AccountRow, Vec<MonthRow>)> {
    let account = own_account(r, subject, account_ref)?;
    let gone = || BureauError::refused(Refusal::UnknownItem, "this account is no longer on reports");
    let terms = r.account_version(account.id, i64::MAX)?;
    if terms.as_ref().is_none_or(|t| t.deleted) && !deleted_too {
        return Err(gone());
    }
    let (from, to) = crate::report::report_window(today);
    let months = r.months(account.id, from, to, i64::MAX)?;
    if let Some(t) = terms
        && !crate::retention::account_shown(&months, t.account_type, t.opened_on, policy, today)
    {
        return Err(gone());
    }
    Ok((account, months))
}

fn org_id(r: &dyn Reader, code: Option<&str>) -> Result<Option<OrgId>> {
    code.map(|c| Ok(crate::access::org_by_code(r, c)?.id)).transpose()
}

/// Every step of the subject's disputes, with the dispute.
pub(crate) fn disputes_with_events(
    r: &dyn Reader,
    subject: SubjectId,
) -> Result<Vec<(DisputeRow, Vec<DisputeEventRow>)>> {
    r.disputes_of(subject)?.into_iter().map(|d| Ok((d.clone(), r.dispute_events(d.id)?))).collect()
}

/// Records what the subject's open disputes past their deadline became ([`unanswered_state`]), so
/// that the person's list shows the result as a step. Returns how many.
pub fn sweep(w: &mut dyn Writer, policy: &Policy, subject: SubjectId, now: i64, today: Date) -> Result<u64> {
    let state = unanswered_state(policy);
    let note = match state {
        DisputeState::Suppressed => "no answer by the deadline: the item is suppressed",
        _ => "no answer by the deadline: not confirmed; the dispute is recorded and the item stays marked",
    };
    let mut n = 0;
    for (d, events) in disputes_with_events(w, subject)? {
        let last = events.last().map(|e| e.state);
        if last == Some(DisputeState::Open) && today > d.dispute.due_on {
            let note = Some(note.to_owned());
            w.insert_dispute_event(&DisputeEventRow { dispute_id: d.id, subject_id: subject, at: now, state, note })?;
            n += 1;
        }
    }
    Ok(n)
}

/// A disputed item as a copy names it: its kind, and the references of the copy's reader.
pub(crate) struct ItemRefs {
    /// `account`, `month`, `inquiry`, `identity`, `special` or `agreement`.
    pub(crate) item: &'static str,
    /// The account (of an account, a month or a special).
    pub(crate) account_ref: Option<String>,
    /// The month.
    pub(crate) month: Option<YearMonth>,
    /// The inquiry.
    pub(crate) inquiry_ref: Option<String>,
    /// The special transaction or event.
    pub(crate) special_ref: Option<String>,
    /// The credit agreement.
    pub(crate) agreement_ref: Option<String>,
}

impl ItemRefs {
    /// `item` by the bureau's references (the person's copy, the furnisher's queue), or, with
    /// `lender`, by those that lender's copies give it ([`Keys::lender_ref`]).
    pub(crate) fn of(keys: &Keys, item: &DisputeItem, lender: Option<OrgId>) -> ItemRefs {
        let named = |prefix: char, reference: String| match lender {
            Some(org) => Some(keys.lender_ref(org.0, prefix, &reference)),
            None => Some(reference),
        };
        let mut v = ItemRefs {
            item: "",
            account_ref: None,
            month: None,
            inquiry_ref: None,
            special_ref: None,
            agreement_ref: None,
        };
        v.item = match item {
            DisputeItem::Account(a) => {
                v.account_ref = named('A', account_ref(*a));
                "account"
            }
            DisputeItem::Month(a, m) => {
                (v.account_ref, v.month) = (named('A', account_ref(*a)), Some(*m));
                "month"
            }
            DisputeItem::Inquiry(q) => {
                v.inquiry_ref = named('Q', inquiry_ref(*q));
                "inquiry"
            }
            DisputeItem::Identity => "identity",
            DisputeItem::Special(a, seq) => {
                (v.account_ref, v.special_ref) = (named('A', account_ref(*a)), named('S', special_ref(*a, *seq)));
                "special"
            }
            DisputeItem::Agreement(org, key) => {
                v.agreement_ref = named('G', agreement_ref(keys, *org, key));
                "agreement"
            }
        };
        v
    }
}

fn view(keys: &Keys, d: &DisputeRow, events: &[DisputeEventRow], today: Date, policy: &Policy) -> DisputeView {
    let day = |at: i64| time::OffsetDateTime::from_unix_timestamp(at).map_or(Date::MIN, |t| t.date());
    let ItemRefs { item, account_ref, month, inquiry_ref, special_ref, agreement_ref } =
        ItemRefs::of(keys, &d.dispute.item, None);
    DisputeView {
        id: d.id.0,
        item,
        account_ref,
        month,
        inquiry_ref,
        special_ref,
        agreement_ref,
        furnisher_key: None,
        dispute_type: d.dispute.dispute_type,
        state: effective_state(events, d.dispute.due_on, today, policy),
        filed_on: day(d.dispute.filed_at),
        due_on: d.dispute.due_on,
        history: events.iter().map(|e| (day(e.at), e.state, e.note.clone())).collect(),
    }
}

/// [`view`] for the answering furnisher: with its own key for the item.
fn furnisher_view(
    (r, keys): (&dyn Reader, &Keys),
    d: &DisputeRow,
    today: Date,
    policy: &Policy,
) -> Result<DisputeView> {
    let mut v = view(keys, d, &r.dispute_events(d.id)?, today, policy);
    v.furnisher_key = match &d.dispute.item {
        DisputeItem::Account(a) | DisputeItem::Month(a, _) | DisputeItem::Special(a, _) => {
            r.account(*a)?.map(|a| a.account_key)
        }
        DisputeItem::Agreement(_, key) => Some(key.clone()),
        DisputeItem::Inquiry(_) | DisputeItem::Identity => None,
    };
    Ok(v)
}

impl<S: Store> Bureau<S> {
    /// Files a dispute on an item of the person's own file. The item is marked disputed on every
    /// report from now on; the furnisher (or the bureau, for identity) must answer by the deadline.
    pub fn file_dispute(
        &mut self,
        document: &DocumentNumber,
        target: &DisputeTarget,
        kind: DisputeType,
    ) -> Result<DisputeId> {
        let subject = subject_of(self.store.read()?.as_ref(), &self.keys, document)?;
        self.audited("dispute.filed", Some(subject), None, |w, keys, policy, now| {
            let (item, org) = resolve_target((w, keys, policy), subject, target, kind, now.date())?;
            refuse_a_second_open(w, subject, &item)?;
            let due_on = now.date().saturating_add(Duration::days(i64::from(policy.dispute_answer_days)));
            let id = w.insert_dispute(&NewDispute {
                subject_id: subject,
                item,
                org_id: org,
                dispute_type: kind,
                filed_at: now.unix_timestamp(),
                due_on,
            })?;
            let event = DisputeEventRow {
                dispute_id: id,
                subject_id: subject,
                at: now.unix_timestamp(),
                state: DisputeState::Open,
                note: None,
            };
            w.insert_dispute_event(&event)?;
            Ok((id, json!({"dispute": id.0, "type": kind.as_str(), "due_on": due_on.to_string()})))
        })
    }

    /// Answers a dispute: `answerer` is the organization code that must answer, or `None` for the
    /// bureau itself (identity disputes). A late answer is recorded after the suppression.
    pub fn answer_dispute(
        &mut self,
        answerer: Option<&str>,
        dispute: DisputeId,
        answer: Answer,
        note: Option<&str>,
    ) -> Result<()> {
        let (d, org) = self.answerable(answerer, dispute)?;
        let subject = d.dispute.subject_id;
        self.audited("dispute.answered", Some(subject), org, |w, _, policy, now| {
            let events = w.dispute_events(dispute)?;
            match events.last().map(|e| e.state) {
                Some(s) if awaits_answer(s) => {}
                _ => {
                    return Err(BureauError::refused(Refusal::DisputeClosed, "this dispute has already been answered"));
                }
            }
            sweep(w, policy, subject, now.unix_timestamp(), now.date())?;
            match answer {
                Answer::Corrected => require_correction(w, &d)?,
                Answer::Deleted => delete_item(w, &d, now.unix_timestamp())?,
                Answer::Verified => {}
            }
            let event = DisputeEventRow {
                dispute_id: dispute,
                subject_id: subject,
                at: now.unix_timestamp(),
                state: answer.state(),
                note: note.map(str::to_owned),
            };
            w.insert_dispute_event(&event)?;
            Ok(((), json!({"dispute": dispute.0, "answer": answer.state().as_str()})))
        })
    }

    /// Lets a deleted item come back: the furnisher certifies the data is complete and accurate.
    /// The person sees the reinsertion and its note in their dispute list.
    pub fn certify_reinsertion(&mut self, answerer: &str, dispute: DisputeId, note: &str) -> Result<()> {
        let (d, org) = self.answerable(Some(answerer), dispute)?;
        self.audited("dispute.reinserted", Some(d.dispute.subject_id), org, |w, _, _, now| {
            if w.dispute_events(dispute)?.last().map(|e| e.state) != Some(DisputeState::Deleted) {
                return Err(BureauError::refused(Refusal::DisputeNotDeleted, "only a deleted item can be reinserted"));
            }
            let event = DisputeEventRow {
                dispute_id: dispute,
                subject_id: d.dispute.subject_id,
                at: now.unix_timestamp(),
                state: DisputeState::Reinserted,
                note: Some(format!("the furnisher certified the item as accurate; it may be reported again: {note}")),
            };
            w.insert_dispute_event(&event)?;
            Ok(((), json!({"dispute": dispute.0})))
        })
    }

    fn answerable(&self, answerer: Option<&str>, dispute: DisputeId) -> Result<(DisputeRow, Option<OrgId>)> {
        let r = self.store.read()?;
        let org = org_id(r.as_ref(), answerer)?;
        let d = r.dispute(dispute)?.filter(|d| d.dispute.org_id == org);
        Ok((d.ok_or_else(|| BureauError::refused(Refusal::UnknownDispute, "no such dispute for this answerer"))?, org))
    }

    /// One dispute of `answerer`'s queue as it stands.
    pub fn dispute_view(&self, answerer: &str, dispute: DisputeId) -> Result<DisputeView> {
        let (d, _) = self.answerable(Some(answerer), dispute)?;
        furnisher_view((self.store.read()?.as_ref(), &self.keys), &d, self.clock.today(), &self.policy)
    }

    /// The disputes an organization must answer (its queue), oldest first.
    pub fn dispute_queue(&self, org_code: &str) -> Result<Vec<DisputeView>> {
        let r = self.store.read()?;
        let org = crate::access::org_by_code(r.as_ref(), org_code)?.id;
        let today = self.clock.today();
        r.disputes_for_org(org)?
            .iter()
            .map(|d| furnisher_view((r.as_ref(), &self.keys), d, today, &self.policy))
            .collect()
    }

    /// The person's disputes and every step of them.
    pub fn disputes_of_person(&self, document: &DocumentNumber) -> Result<Vec<DisputeView>> {
        let r = self.store.read()?;
        let subject = subject_of(r.as_ref(), &self.keys, document)?;
        let today = self.clock.today();
        Ok(disputes_with_events(r.as_ref(), subject)?
            .iter()
            .map(|(d, e)| view(&self.keys, d, e, today, &self.policy))
            .collect())
    }

    /// Adds a personal statement beside a negative item of the person's file.
    pub fn add_statement(
        &mut self,
        document: &DocumentNumber,
        account_ref: &str,
        month: Option<YearMonth>,
        kind: StatementType,
        text: &str,
    ) -> Result<StatementId> {
        check_statement_text(&self.policy, text)?;
        let subject = subject_of(self.store.read()?.as_ref(), &self.keys, document)?;
        self.audited("statement.added", Some(subject), None, |w, keys, policy, now| {
            // Beside what reports show: an account on them, negative information not past retention.
            let (account, months) = shown_account((w, policy, now.date()), subject, account_ref, false)?;
            if let Some(m) = month {
                refuse_if_expired(&months, policy, m, now.date())?;
            }
            require_negative(&months, policy, month, now.date())?;
            let row = StatementRow {
                id: StatementId(0),
                subject_id: subject,
                account_id: account.id,
                month,
                statement_type: kind,
                text_enc: keys.encrypt_text(STATEMENT_CONTEXT, text.trim())?,
                added_at: now.unix_timestamp(),
                withdrawn_at: None,
            };
            let id = w.insert_statement(&row)?;
            Ok((id, json!({"statement": id.0, "type": kind.as_str()})))
        })
    }

    /// Withdraws one of the person's statements.
    pub fn withdraw_statement(&mut self, document: &DocumentNumber, statement: StatementId) -> Result<()> {
        let subject = subject_of(self.store.read()?.as_ref(), &self.keys, document)?;
        self.audited("statement.withdrawn", Some(subject), None, |w, _, _, now| {
            if !w.statements_of(subject)?.iter().any(|s| s.id == statement && s.withdrawn_at.is_none()) {
                return Err(BureauError::refused(Refusal::UnknownItem, "no such statement on this file"));
            }
            w.withdraw_statement(statement, now.unix_timestamp())?;
            Ok(((), json!({"statement": statement.0})))
        })
    }

    /// Places a fraud alert or a freeze on the person's file (at once; idempotent).
    pub fn place_flag(&mut self, document: &DocumentNumber, kind: FlagKind) -> Result<FlagId> {
        let subject = subject_of(self.store.read()?.as_ref(), &self.keys, document)?;
        self.audited("flag.placed", Some(subject), None, |w, _, policy, now| {
            let (at, today) = (now.unix_timestamp(), now.date());
            if let Some(f) = w.flags_of(subject)?.into_iter().find(|f| f.kind == kind && f.holds_at(at, today)) {
                return Ok((f.id, json!({"flag": f.id.0, "kind": kind.as_str(), "already": true})));
            }
            let expires_on = (kind == FlagKind::FraudAlert)
                .then(|| today.saturating_add(Duration::days(i64::from(policy.fraud_alert_days))));
            let id = w.insert_flag(&FlagRow {
                id: FlagId(0),
                subject_id: subject,
                kind,
                placed_at: at,
                expires_on,
                lifted_at: None,
            })?;
            Ok((id, json!({"flag": id.0, "kind": kind.as_str()})))
        })
    }

    /// Lifts the person's fraud alert or freeze, at once.
    pub fn lift_flag(&mut self, document: &DocumentNumber, kind: FlagKind) -> Result<()> {
        let subject = subject_of(self.store.read()?.as_ref(), &self.keys, document)?;
        self.audited("flag.lifted", Some(subject), None, |w, _, _, now| {
            let (at, today) = (now.unix_timestamp(), now.date());
            let holding: Vec<FlagRow> =
                w.flags_of(subject)?.into_iter().filter(|f| f.kind == kind && f.holds_at(at, today)).collect();
            if holding.is_empty() {
                return Err(BureauError::refused(Refusal::NotPlaced, "no such flag is on this file"));
            }
            for f in &holding {
                w.lift_flag(f.id, at)?;
            }
            Ok(((), json!({"kind": kind.as_str()})))
        })
    }

    /// The person's consents, with the organizations' names.
    pub fn consents_of_person(&self, document: &DocumentNumber) -> Result<Vec<ConsentView>> {
        let r = self.store.read()?;
        let subject = subject_of(r.as_ref(), &self.keys, document)?;
        let mut out = Vec::new();
        for c in r.consents_of(subject)? {
            let organization = r.org(c.consent.org_id)?.map_or_else(|| "?".to_owned(), |o| o.name);
            let k = c.consent;
            out.push(ConsentView {
                consent_ref: format!("C{}", c.id.0),
                organization,
                scope: k.scope,
                purpose: k.purpose,
                granted_on: k.granted_on,
                expires_on: k.expires_on,
                revoked_on: k.revoked_on,
            });
        }
        Ok(out)
    }

    /// Records an inquiry authorization (授权) the person gave `org_code` for `purpose`, from
    /// today to `expires_on`, with the SHA-256 of its evidence (the signed form): what a lender
    /// needs on file before it may ask for the person's report. Returns its reference (`C…`).
    pub fn add_inquiry_consent(
        &mut self,
        document: &DocumentNumber,
        org_code: &str,
        purpose: QueryReason,
        expires_on: Date,
        evidence_sha256: [u8; 32],
    ) -> Result<String> {
        let subject = subject_of(self.store.read()?.as_ref(), &self.keys, document)?;
        let org = crate::access::org_by_code(self.store.read()?.as_ref(), org_code)?.id;
        self.audited("consent.added", Some(subject), Some(org), |w, _, _, now| {
            if expires_on < now.date() {
                return Err(BureauError::refused(Refusal::ExpiryPassed, format!("it would expire on {expires_on}")));
            }
            let id = w.insert_consent(&NewConsent {
                subject_id: subject,
                org_id: org,
                scope: ConsentScope::Inquire,
                purpose: Some(purpose),
                granted_on: now.date(),
                expires_on,
                revoked_on: None,
                evidence_sha256,
                consent_ref: None,
                batch_id: None,
                recorded_at: now.unix_timestamp(),
            })?;
            Ok((format!("C{}", id.0), json!({"consent": id.0, "purpose": purpose.as_str()})))
        })
    }

    /// Revokes one of the person's consents from today: later records and inquiries relying on it
    /// are refused; what was lawfully reported before stays for its retention period.
    pub fn revoke_consent(&mut self, document: &DocumentNumber, consent_ref: &str) -> Result<()> {
        let subject = subject_of(self.store.read()?.as_ref(), &self.keys, document)?;
        self.audited("consent.revoked", Some(subject), None, |w, _, _, now| {
            let consent = parse_ref('C', consent_ref)
                .map(ConsentId)
                .map(|id| w.consent(id))
                .transpose()?
                .flatten()
                .filter(|c| c.consent.subject_id == subject)
                .ok_or_else(|| BureauError::refused(Refusal::UnknownItem, "no such consent on this file"))?;
            if consent.consent.revoked_on.is_some() {
                return Err(BureauError::refused(Refusal::AlreadyRevoked, "this consent is already revoked"));
            }
            w.revoke_consent(consent.id, now.date())?;
            Ok(((), json!({"consent": consent.id.0, "org": consent.consent.org_id.0})))
        })
    }
}

/// The stored item and who must answer for it.
fn resolve_target(
    (r, keys, policy): (&dyn Reader, &Keys, &Policy),
    subject: SubjectId,
    target: &DisputeTarget,
    kind: DisputeType,
    today: Date,
) -> Result<(DisputeItem, Option<OrgId>)> {
    match target {
        DisputeTarget::Account(a) => shown_account((r, policy, today), subject, a, kind == DisputeType::MissingInfo)
            .map(|(a, _)| (DisputeItem::Account(a.id), Some(a.org_id))),
        DisputeTarget::Month(a, m) => {
            let (account, months) = shown_account((r, policy, today), subject, a, kind == DisputeType::MissingInfo)?;
            require_month_on_file(r, &account, *m, kind, today)?;
            refuse_if_expired(&months, policy, *m, today)?;
            Ok((DisputeItem::Month(account.id, *m), Some(account.org_id)))
        }
        DisputeTarget::Inquiry(q) => {
            let inquiry = parse_ref('Q', q)
                .map(InquiryId)
                .map(|id| r.inquiry(id))
                .transpose()?
                .flatten()
                .filter(|i| i.inquiry.subject_id == subject && i.inquiry.org_id.is_some())
                .ok_or_else(|| {
                    BureauError::refused(Refusal::UnknownItem, "no such inquiry by an organization on this file")
                })?;
            Ok((DisputeItem::Inquiry(inquiry.id), inquiry.inquiry.org_id))
        }
        DisputeTarget::Identity => Ok((DisputeItem::Identity, None)),
        DisputeTarget::Special(s) => {
            let unknown = || BureauError::refused(Refusal::UnknownItem, "no such special transaction on this file");
            let (a, seq) = s.split_once(".S").ok_or_else(unknown)?;
            let seq: u32 = seq.parse().map_err(|_| unknown())?;
            // Only one a report shows: on an account not deleted, and not past retention.
            let (account, _) = shown_account((r, policy, today), subject, a, kind == DisputeType::MissingInfo)?;
            let specials = r.specials_of(subject, account.id, i64::MAX)?;
            let found = specials.iter().find(|x| x.seq == seq);
            if !found.is_some_and(|x| crate::report::special_kept(x.on, today, policy)) {
                return Err(unknown());
            }
            Ok((DisputeItem::Special(account.id, seq), Some(account.org_id)))
        }
        DisputeTarget::Agreement(g) => {
            let g = normalized_agreement_ref(g);
            let agreement = r
                .agreements_of(subject, i64::MAX)?
                .into_iter()
                .find(|a| agreement_ref(keys, a.org_id, &a.agreement_key) == g)
                .ok_or_else(|| BureauError::refused(Refusal::UnknownItem, "no such credit agreement on this file"))?;
            Ok((DisputeItem::Agreement(agreement.org_id, agreement.agreement_key), Some(agreement.org_id)))
        }
    }
}

/// One open dispute an item at a time: a second would mark it twice and ask the furnisher twice
/// (one suppressed past its deadline has not been answered either). One that ended unresolved
/// (PRC) gave the person their result: they may dispute the item again, and the furnisher may
/// still answer the first.
fn refuse_a_second_open(r: &dyn Reader, subject: SubjectId, item: &DisputeItem) -> Result<()> {
    for d in r.disputes_of(subject)?.iter().filter(|d| d.dispute.item == *item) {
        let last = r.dispute_events(d.id)?.last().map(|e| e.state);
        if matches!(last, Some(DisputeState::Open | DisputeState::Suppressed)) {
            return Err(BureauError::refused(
                Refusal::DisputeOpen,
                format!("dispute {} on this item is waiting for its answer", d.id.0),
            ));
        }
    }
    Ok(())
}

/// A disputed month must be one the account reports: on file (a month the furnisher left out
/// can be disputed as `missing_info`, within the account's life: from its opening month to the
/// month before this one).
fn require_month_on_file(
    r: &dyn Reader,
    account: &AccountRow,
    month: YearMonth,
    kind: DisputeType,
    today: Date,
) -> Result<()> {
    let on_file = r.months(account.id, month, month, i64::MAX)?.last().is_some_and(|m| !m.deleted);
    if on_file {
        return Ok(());
    }
    let opened = r.account_version(account.id, i64::MAX)?.map(|v| YearMonth::of(v.opened_on));
    let within_life = opened.is_some_and(|o| o <= month) && month < YearMonth::of(today);
    if kind == DisputeType::MissingInfo && within_life {
        return Ok(());
    }
    Err(BureauError::refused(Refusal::UnknownItem, format!("no month {month} on file for this account")))
}

/// A month past retention is on no report from the day it expires, though `retention run` may
/// not have purged it yet: the furnisher would answer for an item no one sees. The rule and the
/// months it reads (`months`, those [`shown_account`] read) are the report's (`account_detail`).
fn refuse_if_expired(months: &[MonthRow], policy: &Policy, month: YearMonth, today: Date) -> Result<()> {
    if crate::retention::expired_months(months, policy, today).contains(&month) {
        return Err(BureauError::refused(
            Refusal::UnknownItem,
            format!("month {month} is past retention: no report shows it"),
        ));
    }
    Ok(())
}

/// A "corrected" answer needs the corrected record on file, recorded after the dispute was filed.
fn require_correction(r: &dyn Reader, d: &DisputeRow) -> Result<()> {
    let after = d.dispute.filed_at;
    let corrected = match &d.dispute.item {
        DisputeItem::Month(a, m) => r.months(*a, *m, *m, i64::MAX)?.iter().any(|v| v.recorded_at > after),
        DisputeItem::Account(a) => {
            r.account_version(*a, i64::MAX)?.is_some_and(|v| v.recorded_at > after)
                || r.months(*a, YearMonth::MIN, YearMonth::MAX, i64::MAX)?.iter().any(|v| v.recorded_at > after)
        }
        // The corrected special is a new one of the same kind on the account; the one disputed is
        // then no longer shown.
        DisputeItem::Special(a, seq) => {
            let specials = r.specials_of(d.dispute.subject_id, *a, i64::MAX)?;
            let kind = specials.iter().find(|x| x.seq == *seq).map(|x| x.kind);
            specials.iter().any(|x| x.recorded_at > after && Some(x.kind) == kind)
        }
        DisputeItem::Agreement(org, key) => r.agreement_by_key(*org, key)?.is_some_and(|v| v.recorded_at > after),
        DisputeItem::Inquiry(_) | DisputeItem::Identity => true,
    };
    if corrected {
        Ok(())
    } else {
        Err(BureauError::refused(Refusal::NoCorrection, "send the corrected record before answering \"corrected\""))
    }
}

/// Deletes the disputed item: a deleting version of the month or the account. Inquiries,
/// special transactions and agreements are hidden by the dispute's state alone (until a
/// reinsertion is certified); identity items are corrected, not deleted.
/// The next version of an account's terms, deleting it, as the bureau records it (no batch): a
/// dispute answered "deleted", or retention removing an account whose newest month expired.
pub(crate) fn bureau_deletion(mut terms: AccountVersionRow, at: i64) -> AccountVersionRow {
    terms.version += 1;
    terms.deleted = true;
    terms.batch_id = None;
    terms.recorded_at = at;
    terms
}

fn delete_item(w: &mut dyn Writer, d: &DisputeRow, now: i64) -> Result<()> {
    match d.dispute.item {
        DisputeItem::Month(account, month) => {
            let version = w.month_versions(account)?.into_iter().find(|(m, _)| *m == month).map_or(1, |(_, v)| v + 1);
            w.insert_month(&crate::ingest::tombstone(account, d.dispute.subject_id, month, version, None, now))?;
        }
        DisputeItem::Account(account) => {
            if let Some(terms) = w.account_version(account, i64::MAX)? {
                w.insert_account_version(&bureau_deletion(terms, now))?;
            }
        }
        DisputeItem::Inquiry(_) | DisputeItem::Special(..) | DisputeItem::Agreement(..) => {}
        DisputeItem::Identity => {
            return Err(BureauError::refused(Refusal::NotDeletable, "identity items are corrected, not deleted"));
        }
    }
    Ok(())
}

/// Statements go beside negative items only, and only those reports show (`months`: the account's
/// months a report reads, [`shown_account`]'s): a month past retention, not yet purged, is none.
fn require_negative(months: &[MonthRow], policy: &Policy, month: Option<YearMonth>, today: Date) -> Result<()> {
    let expired = crate::retention::expired_months(months, policy, today);
    let negative = months
        .iter()
        .filter(|m| month.is_none_or(|x| m.month == x) && !expired.contains(&m.month))
        .any(|m| !m.deleted && is_negative(m));
    if negative {
        Ok(())
    } else {
        Err(BureauError::refused(Refusal::NotNegative, "a statement goes beside negative information only"))
    }
}

/// Whether a stored month is negative information.
pub fn is_negative(m: &MonthRow) -> bool {
    m.status.is_negative() || m.past_due_minor > 0
}

fn check_statement_text(policy: &Policy, text: &str) -> Result<()> {
    let text = text.trim();
    if text.is_empty() {
        return Err(BureauError::refused(Refusal::StatementEmpty, "the statement is empty"));
    }
    let chars = text.chars().count();
    let words = text.split_whitespace().count();
    if chars > usize::from(policy.statement_chars_max) || words > usize::from(policy.statement_words_max) {
        return Err(BureauError::refused(
            Refusal::StatementTooLong,
            format!(
                "a statement has at most {} words and {} characters",
                policy.statement_words_max, policy.statement_chars_max
            ),
        ));
    }
    Ok(())
}

/// Decrypts a statement's text.
pub fn statement_text(keys: &Keys, s: &StatementRow) -> Result<String> {
    Ok(keys.decrypt_text(STATEMENT_CONTEXT, &s.text_enc)?)
}
