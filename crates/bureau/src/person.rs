//! What a person reads about their own file besides the report: every look at it (inquiries and
//! self-views, with which self-views of the year were free), their statements, and the flags in
//! force. Reading these is not a report: nothing is logged, and no self-view is counted.

use crate::{Bureau, BureauError, Result};
use ob_model::{DisputeState, DocumentNumber, FlagKind, QueryReason, StatementType, YearMonth};
use ob_store::*;
use serde::Serialize;
use time::{Date, OffsetDateTime};

/// One look at the person's file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueryLogEntry {
    /// The reference reports give it (to dispute it).
    pub inquiry_ref: String,
    /// When.
    pub at: OffsetDateTime,
    /// The organization that looked; `None` when the person looked at their own file.
    pub institution: Option<String>,
    /// Why.
    pub reason: QueryReason,
    /// Whether a hard inquiry.
    pub hard: bool,
    /// For the person's own looks: which of the year and whether free.
    pub self_view: Option<SelfViewCount>,
    /// The state of the newest dispute on it, if disputed.
    pub dispute: Option<DisputeState>,
}

/// Which self-view of its calendar year a look was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SelfViewCount {
    /// The year.
    pub year: i32,
    /// 1 for the year's first.
    pub number: u32,
    /// Within the policy's free self-views of the year (further ones are allowed and marked).
    pub free: bool,
}

/// One of the person's statements, withdrawn or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementView {
    /// Id (to withdraw it).
    pub id: i64,
    /// The account, as reports name it.
    pub account_ref: String,
    /// The month, for a month's statement.
    pub month: Option<YearMonth>,
    /// Type.
    pub statement_type: StatementType,
    /// The person's words.
    pub text: String,
    /// Added on.
    pub added_on: Date,
    /// Withdrawn on.
    pub withdrawn_on: Option<Date>,
}

/// A flag in force on the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlagView {
    /// Which flag.
    pub kind: FlagKind,
    /// Placed on.
    pub placed_on: Date,
    /// Last day in force, if it expires.
    pub expires_on: Option<Date>,
}

fn at(unix: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(unix).map_err(|_| BureauError::Store(StoreError::Corrupt("time".into())))
}

impl<S: Store> Bureau<S> {
    /// Every look at the person's file, newest first, with the organizations' names (the person
    /// sees them all) and, for their own looks, which of the year each was and whether it was
    /// free under the policy.
    pub fn query_log(&self, document: &DocumentNumber) -> Result<Vec<QueryLogEntry>> {
        let r = self.store.read()?;
        let subject = crate::rights::subject_of(r.as_ref(), &self.keys, document)?;
        let today = self.clock.today();
        let free = u32::from(self.policy.free_self_views_per_year);
        let mut disputed = std::collections::HashMap::new();
        for (d, events) in crate::rights::disputes_with_events(r.as_ref(), subject)? {
            if let DisputeItem::Inquiry(q) = d.dispute.item {
                disputed.insert(q, crate::rights::effective_state(&events, d.dispute.due_on, today, &self.policy));
            }
        }
        let mut names: std::collections::HashMap<OrgId, String> = std::collections::HashMap::new();
        let mut year_count: Option<(i32, u32)> = None;
        let mut out = Vec::new();
        for q in r.inquiries_of(subject, i64::MIN, i64::MAX)? {
            let when = at(q.inquiry.at)?;
            let institution = match q.inquiry.org_id {
                Some(org) => Some(match names.get(&org) {
                    Some(n) => n.clone(),
                    None => {
                        let n = r.org(org)?.map_or_else(|| format!("#{}", org.0), |o| o.name);
                        names.insert(org, n.clone());
                        n
                    }
                }),
                None => None,
            };
            let self_view = (q.inquiry.reason == QueryReason::SelfQuery).then(|| {
                let number = match year_count {
                    Some((y, n)) if y == when.year() => n + 1,
                    _ => 1,
                };
                year_count = Some((when.year(), number));
                SelfViewCount { year: when.year(), number, free: number <= free }
            });
            out.push(QueryLogEntry {
                inquiry_ref: crate::rights::inquiry_ref(q.id),
                at: when,
                institution,
                reason: q.inquiry.reason,
                hard: q.inquiry.hard,
                self_view,
                dispute: disputed.get(&q.id).copied(),
            });
        }
        out.reverse();
        Ok(out)
    }

    /// The person's statements, withdrawn ones included, oldest first.
    pub fn statements_of_person(&self, document: &DocumentNumber) -> Result<Vec<StatementView>> {
        let r = self.store.read()?;
        let subject = crate::rights::subject_of(r.as_ref(), &self.keys, document)?;
        let mut out = Vec::new();
        for s in r.statements_of(subject)? {
            out.push(StatementView {
                id: s.id.0,
                account_ref: crate::rights::account_ref(s.account_id),
                month: s.month,
                statement_type: s.statement_type,
                text: crate::rights::statement_text(&self.keys, &s)?,
                added_on: at(s.added_at)?.date(),
                withdrawn_on: s.withdrawn_at.map(at).transpose()?.map(|t| t.date()),
            });
        }
        Ok(out)
    }

    /// The fraud alerts and freezes in force on the person's file now.
    pub fn flags_of_person(&self, document: &DocumentNumber) -> Result<Vec<FlagView>> {
        let r = self.store.read()?;
        let subject = crate::rights::subject_of(r.as_ref(), &self.keys, document)?;
        let now = self.clock.now();
        let mut out = Vec::new();
        for f in r.flags_of(subject)?.into_iter().filter(|f| f.holds_at(now.unix_timestamp(), now.date())) {
            out.push(FlagView { kind: f.kind, placed_on: at(f.placed_at)?.date(), expires_on: f.expires_on });
        }
        Ok(out)
    }
}
