//! Telling those who had a disputed item (FCRA §611(d)): at the person's request, every
//! organization that received a report holding an item the person disputed, within the six months
//! before the request, is sent a notice of what became of the dispute — the item deleted, corrected,
//! or disputed (the notation the person's dispute put beside it).
//!
//! Which reports held the item: a report logged in the window (six calendar months, from the start
//! of the day), by an organization (not the person, not the organization that answers the
//! dispute, which knows), when the item was on file and shown as it was disputed. An item now
//! deleted, suppressed or corrected: every report that showed it before that, marked or not (a
//! report logged while the dispute had it suppressed, or after its correction, did not). An item
//! that stands (open, verified, unresolved, reinserted): the reports up to the filing; a later
//! report showed the dispute's mark itself. Each organization is told once per dispute and state,
//! of its newest such report; an organization whose reports never held the item learns nothing of
//! it. Other disputes on the same item are not looked at: a report that one of them hid counts as
//! holding the item.
//!
//! The organization reads its notices as a queue (`GET /v1/correction-notices`), the item named
//! by the references its own copy gave it, and the report by the id its copy carried. The
//! references are computed when the notice is read: after a key rotation they are those of the
//! copies made since, not of the copy the organization had (as agreement references change).

use crate::crypto::Keys;
use crate::report::{months_before, report_id};
use crate::rights::{ItemRefs, effective_state, inquiry_ref, subject_of};
use crate::{Bureau, BureauError, Refusal, Result};
use ob_model::policy::Policy;
use ob_model::{DisputeState, DocumentNumber, QueryReason, YearMonth, limits};
use ob_store::*;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};

/// A notice the person asked for, as the person sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecipientNotice {
    /// The dispute.
    pub dispute: i64,
    /// The organization told.
    pub organization: String,
    /// The report it had: its inquiry, as the person's report names it (`Q7`).
    pub inquiry_ref: String,
    /// The day it had the report.
    pub inquired_on: Date,
    /// What it was told: the dispute's state.
    pub state: DisputeState,
    /// The day the notice was made.
    pub noticed_on: Date,
}

/// A notice as the organization told reads it: the item named as its own copy named it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CorrectionNotice {
    /// The notice's id: the cursor of the organization's queue.
    pub id: i64,
    /// The report it concerns: the id the organization's copy carried.
    pub report_id: String,
    /// `account`, `month`, `inquiry`, `identity`, `special` or `agreement`.
    pub item: &'static str,
    /// The account, as the organization's copy named it.
    pub account_ref: Option<String>,
    /// The month.
    pub month: Option<YearMonth>,
    /// The inquiry, as the organization's copy named it.
    pub inquiry_ref: Option<String>,
    /// The special transaction or event, as the organization's copy named it.
    pub special_ref: Option<String>,
    /// The credit agreement, as the organization's copy named it.
    pub agreement_ref: Option<String>,
    /// What became of the dispute: `deleted` or `suppressed` (the item is off the file),
    /// `corrected` (today's report shows it corrected), or a state in which the item stands,
    /// disputed by the person (`open`, `verified`, `unresolved`, `reinserted`).
    pub state: DisputeState,
    /// The day the notice was made.
    pub noticed_on: Date,
}

fn day_of(at: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(at).map_or(Date::MIN, OffsetDateTime::date)
}

/// Whether a dispute in `state` keeps a report from showing the item as it was disputed: deleted,
/// suppressed, or replaced by its correction.
fn hides(state: DisputeState) -> bool {
    matches!(state, DisputeState::Deleted | DisputeState::Suppressed | DisputeState::Corrected)
}

/// Whether the report logged at `at` showed the item as disputed: not yet filed, or filed and
/// neither deleted, suppressed nor corrected by then (the steps recorded by then, and the deadline
/// as it stood that day, as the report itself judged them; a step recorded the same second, by the
/// sweep that report ran, counts).
fn shown_as_disputed(d: &DisputeRow, events: &[DisputeEventRow], at: i64, policy: &Policy) -> bool {
    let by_then: Vec<DisputeEventRow> = events.iter().filter(|e| e.at <= at).cloned().collect();
    by_then.is_empty() || !hides(effective_state(&by_then, d.dispute.due_on, day_of(at), policy))
}

/// Whether the report logged at `at` had the item on file (a deleted month, a deleted account's
/// months and specials, an inquiry past the report's two years: not).
fn on_file(r: &dyn Reader, d: &DisputeRow, at: i64) -> Result<bool> {
    let subject = d.dispute.subject_id;
    let account_live = |a: AccountId| -> Result<bool> { Ok(r.account_version(a, at)?.is_some_and(|v| !v.deleted)) };
    Ok(match &d.dispute.item {
        DisputeItem::Account(a) => account_live(*a)?,
        DisputeItem::Month(a, m) => account_live(*a)? && r.months(*a, *m, *m, at)?.iter().any(|m| !m.deleted),
        DisputeItem::Special(a, seq) => {
            account_live(*a)? && r.specials_of(subject, *a, at)?.iter().any(|s| s.seq == *seq)
        }
        DisputeItem::Agreement(org, key) => {
            r.agreements_of(subject, at)?.iter().any(|g| g.org_id == *org && g.agreement_key == *key)
        }
        DisputeItem::Inquiry(q) => r.inquiry(*q)?.is_some_and(|q| {
            q.inquiry.at <= at && q.inquiry.at >= months_before(day_of(at), limits::REPORT_QUERY_MONTHS)
        }),
        DisputeItem::Identity => true,
    })
}

/// Every report of an organization, within the window, that held the item as disputed, by one not
/// yet told of `state` (oldest first).
fn reports_that_held(
    r: &dyn Reader,
    (d, events): (&DisputeRow, &[DisputeEventRow]),
    state: DisputeState,
    (now, policy): (OffsetDateTime, &Policy),
) -> Result<Vec<InquiryRow>> {
    let from = months_before(now.date(), limits::RECIPIENT_NOTICE_MONTHS);
    // An item that stands was last shown without its mark when the dispute was filed.
    let until = if hides(state) { now.unix_timestamp() } else { d.dispute.filed_at.min(now.unix_timestamp()) };
    let told: Vec<OrgId> = r
        .correction_notices_of(d.dispute.subject_id)?
        .into_iter()
        .filter(|n| n.dispute_id == d.id && n.state == state)
        .map(|n| n.org_id)
        .collect();
    let mut held = Vec::new();
    for q in r.inquiries_of(d.dispute.subject_id, from, until)? {
        let Some(org) = q.inquiry.org_id else { continue };
        if q.inquiry.reason == QueryReason::SelfQuery || Some(org) == d.dispute.org_id || told.contains(&org) {
            continue;
        }
        if shown_as_disputed(d, events, q.inquiry.at, policy) && on_file(r, d, q.inquiry.at)? {
            held.push(q);
        }
    }
    held.sort_by_key(|q| (q.inquiry.at, q.id));
    Ok(held)
}

/// The report each organization is told of: its newest among `reports` (oldest first).
fn newest_per_organization(reports: Vec<InquiryRow>) -> BTreeMap<OrgId, InquiryRow> {
    let mut newest = BTreeMap::new();
    for q in reports {
        if let Some(org) = q.inquiry.org_id {
            newest.insert(org, q);
        }
    }
    newest
}

fn person_view(r: &dyn Reader, n: &CorrectionNoticeRow) -> Result<RecipientNotice> {
    let organization = r.org(n.org_id)?.map(|o| o.name).unwrap_or_default();
    let inquired_on = r.inquiry(n.inquiry_id)?.map_or(Date::MIN, |q| day_of(q.inquiry.at));
    Ok(RecipientNotice {
        dispute: n.dispute_id.0,
        organization,
        inquiry_ref: inquiry_ref(n.inquiry_id),
        inquired_on,
        state: n.state,
        noticed_on: day_of(n.created_at),
    })
}

/// The notice as organization `org` reads it: references of its own copy.
fn org_view(r: &dyn Reader, keys: &Keys, n: &CorrectionNoticeRow) -> Result<CorrectionNotice> {
    let d = r
        .dispute(n.dispute_id)?
        .ok_or_else(|| BureauError::Store(StoreError::Corrupt("a correction notice of no dispute".into())))?;
    let at = r.inquiry(n.inquiry_id)?.map_or(0, |q| q.inquiry.at);
    let ItemRefs { item, account_ref, month, inquiry_ref, special_ref, agreement_ref } =
        ItemRefs::of(keys, &d.dispute.item, Some(n.org_id));
    Ok(CorrectionNotice {
        id: n.id.0,
        report_id: report_id(
            OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH),
            n.inquiry_id,
        ),
        item,
        account_ref,
        month,
        inquiry_ref,
        special_ref,
        agreement_ref,
        state: n.state,
        noticed_on: day_of(n.created_at),
    })
}

/// The person's dispute `dispute`, with its steps and its state today.
fn own_dispute(
    r: &dyn Reader,
    subject: SubjectId,
    dispute: DisputeId,
    today: Date,
    policy: &Policy,
) -> Result<(DisputeRow, Vec<DisputeEventRow>, DisputeState)> {
    let d = r
        .dispute(dispute)?
        .filter(|d| d.dispute.subject_id == subject)
        .ok_or_else(|| BureauError::refused(Refusal::UnknownDispute, "no such dispute on your file"))?;
    let events = r.dispute_events(d.id)?;
    let state = effective_state(&events, d.dispute.due_on, today, policy);
    Ok((d, events, state))
}

impl<S: Store> Bureau<S> {
    /// Sends, at the person's request, a notice of what became of their dispute to every
    /// organization that received a report holding the item in the last six months
    /// (FCRA §611(d)); returns the notices made now (none when every such organization was told
    /// already). `inquiries`, when given, are the person's choice among them (`Q7`, as the
    /// person's report names them); a report not among them is refused.
    pub fn tell_recipients(
        &mut self,
        document: &DocumentNumber,
        dispute: DisputeId,
        inquiries: Option<&[String]>,
    ) -> Result<Vec<RecipientNotice>> {
        let subject = subject_of(self.store.read()?.as_ref(), &self.keys, document)?;
        self.audited("dispute.recipients_told", Some(subject), None, |w, _, policy, now| {
            let (d, events, state) = own_dispute(w, subject, dispute, now.date(), policy)?;
            let mut held = reports_that_held(w, (&d, &events), state, (now, policy))?;
            if let Some(refs) = inquiries {
                let eligible: Vec<String> = held.iter().map(|q| inquiry_ref(q.id)).collect();
                if let Some(other) = refs.iter().find(|r| !eligible.contains(r)) {
                    return Err(BureauError::refused(
                        Refusal::UnknownItem,
                        format!(
                            "{other} is not a report of the last six months that held this item, by an organization not told of it yet"
                        ),
                    ));
                }
                held.retain(|q| refs.contains(&inquiry_ref(q.id)));
            }
            let chosen = newest_per_organization(held);
            let mut made = Vec::with_capacity(chosen.len());
            for (org, q) in chosen {
                let mut row = CorrectionNoticeRow {
                    id: CorrectionNoticeId(0),
                    subject_id: subject,
                    dispute_id: d.id,
                    org_id: org,
                    inquiry_id: q.id,
                    state,
                    created_at: now.unix_timestamp(),
                };
                row.id = w.insert_correction_notice(&row)?;
                made.push(person_view(w, &row)?);
            }
            let detail = json!({"dispute": d.id.0, "state": state.as_str(), "told": made.len()});
            Ok((made, detail))
        })
    }

    /// Every notice made at the person's request, oldest first.
    pub fn recipient_notices_of_person(&self, document: &DocumentNumber) -> Result<Vec<RecipientNotice>> {
        let r = self.store.read()?;
        let subject = subject_of(r.as_ref(), &self.keys, document)?;
        r.correction_notices_of(subject)?.iter().map(|n| person_view(r.as_ref(), n)).collect()
    }

    /// The notices organization `org_code` was sent, after notice `after`, oldest first, at most
    /// [`limits::CORRECTION_NOTICES_PAGE_MAX`].
    pub fn correction_notices_for(&self, org_code: &str, after: i64) -> Result<Vec<CorrectionNotice>> {
        let r = self.store.read()?;
        let org = crate::access::org_by_code(r.as_ref(), org_code)?.id;
        let page = r.correction_notices_for(org, CorrectionNoticeId(after), limits::CORRECTION_NOTICES_PAGE_MAX)?;
        page.iter().map(|n| org_view(r.as_ref(), &self.keys, n)).collect()
    }
}
