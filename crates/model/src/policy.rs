//! The rules a credit bureau must keep, as values with PRC defaults (docs/domain/rules.md).
//!
//! A deployment under other law changes a value here (or loads a policy file), not the code.
//! [`Policy::prc`] is the default; [`Policy::us`] gives the FCRA values side by side.

use serde::{Deserialize, Serialize};

/// How long negative information stays, and from when it is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Retention {
    /// PRC (征信业管理条例 art. 16): kept for `years` from the day the bad behaviour ended (the
    /// first month after a run of negative months that is not negative), then deleted.
    AfterDelinquencyEnded {
        /// Years kept after the end.
        years: u8,
    },
    /// US (FCRA §605): reported for `years` from 180 days after the first delinquency of the run.
    FromFirstDelinquency {
        /// Years kept.
        years: u8,
        /// Days after the first delinquency that the period starts.
        start_after_days: u16,
    },
}

impl Retention {
    /// The years negative information is kept.
    pub fn years(self) -> u8 {
        match self {
            Retention::AfterDelinquencyEnded { years } | Retention::FromFirstDelinquency { years, .. } => years,
        }
    }
}

fn suppress_by_default() -> bool {
    true
}

fn shown_by_default() -> bool {
    true
}

/// A bureau's policy values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Name, for display (`prc`, `us`, or a deployment's own).
    pub name: String,
    /// Days a furnisher has to answer a dispute.
    pub dispute_answer_days: u16,
    /// What an unanswered dispute does once its deadline has passed: true (US, FCRA §611(a)(5)):
    /// the item is suppressed from reports; false (PRC, 征信业管理条例 art. 25): the item stays,
    /// marked disputed (异议标注), until it is answered. Policy files written before this field
    /// existed read as true, the only rule then.
    #[serde(default = "suppress_by_default")]
    pub suppress_unanswered_disputes: bool,
    /// Retention of negative information.
    pub retention: Retention,
    /// Whether a furnisher needs the person's written consent on file to report (PRC: yes; US:
    /// no — the FCRA lets furnishers report without consent, but accurately).
    pub report_consent_required: bool,
    /// Whether a furnisher's first negative month for an account needs a prior notice record.
    pub notice_before_negative: bool,
    /// Free self-views of one's own report per calendar year; further ones are allowed and marked.
    pub free_self_views_per_year: u8,
    /// Longest personal statement, in words (US: 100; PRC sets none, we use the same).
    pub statement_words_max: u16,
    /// Longest personal statement, in characters (Chinese text has no spaces between words).
    pub statement_chars_max: u16,
    /// Days an initial fraud alert lasts.
    pub fraud_alert_days: u16,
    /// The offset from UTC, in minutes, of the times a report shows (PRC: 480, Beijing time;
    /// US: 0). Policy files written before this field existed read as 0.
    #[serde(default)]
    pub report_utc_offset_minutes: i16,
    /// Whether an institution's copy lists soft inquiries — post-loan management, the person's own
    /// views, and every purpose that is not a hard one — and counts them in its summary. PRC: yes,
    /// the PBOC institution report does (查询记录, 查询记录概要). US: no; a consumer's own requests,
    /// account reviews and other inquiries the consumer did not start for credit are shown to the
    /// consumer only (FCRA §604(c)(3); design.md: "soft ones are shown to the person only").
    /// Policy files written before this field existed read as true, the only rule then.
    #[serde(default = "shown_by_default")]
    pub institution_copy_soft_inquiries: bool,
}

impl Policy {
    /// PRC values (征信业管理条例 2013; 征信业务管理办法 2022): the default.
    pub fn prc() -> Policy {
        Policy {
            name: "prc".into(),
            dispute_answer_days: 20,
            suppress_unanswered_disputes: false,
            retention: Retention::AfterDelinquencyEnded { years: 5 },
            report_consent_required: true,
            notice_before_negative: true,
            free_self_views_per_year: 2,
            statement_words_max: 100,
            statement_chars_max: 200,
            fraud_alert_days: 365,
            report_utc_offset_minutes: 480,
            institution_copy_soft_inquiries: true,
        }
    }

    /// US values (FCRA, Regulation V).
    pub fn us() -> Policy {
        Policy {
            name: "us".into(),
            dispute_answer_days: 30,
            suppress_unanswered_disputes: true,
            retention: Retention::FromFirstDelinquency { years: 7, start_after_days: 180 },
            report_consent_required: false,
            // FCRA §623(a)(7): the notice may follow the first negative report within 30 days, so
            // the bureau cannot demand it beforehand.
            notice_before_negative: false,
            free_self_views_per_year: 1,
            statement_words_max: 100,
            statement_chars_max: 600,
            fraud_alert_days: 365,
            report_utc_offset_minutes: 0,
            institution_copy_soft_inquiries: false,
        }
    }

    /// A built-in policy by name.
    pub fn named(name: &str) -> Option<Policy> {
        match name {
            "prc" => Some(Policy::prc()),
            "us" => Some(Policy::us()),
            _ => None,
        }
    }
}

/// A policy value outside the bounds of [`crate::limits::policy`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("policy field `{field}`: {problem}")]
pub struct PolicyProblem {
    /// The field, as named in a policy file (`retention.years`).
    pub field: &'static str,
    /// What is wrong, with the allowed bounds.
    pub problem: String,
}

fn problem(field: &'static str, problem: String) -> PolicyProblem {
    PolicyProblem { field, problem }
}

impl Policy {
    /// Every value outside [`crate::limits::policy`]'s bounds, in field order; empty when the
    /// policy may be used. A policy read from a file must pass this before use.
    pub fn check(&self) -> Vec<PolicyProblem> {
        use crate::limits::policy as l;
        let mut out = Vec::new();
        let chars = self.name.chars().count();
        if chars == 0 || chars > l::NAME_CHARS_MAX || self.name.chars().any(char::is_control) {
            out.push(problem("name", format!("1 to {} characters, no control characters", l::NAME_CHARS_MAX)));
        }
        if !l::DISPUTE_ANSWER_DAYS.contains(&self.dispute_answer_days) {
            let (lo, hi) = (l::DISPUTE_ANSWER_DAYS.start(), l::DISPUTE_ANSWER_DAYS.end());
            out.push(problem("dispute_answer_days", format!("{} is not within {lo}..={hi}", self.dispute_answer_days)));
        }
        let (years, start_after_days) = match self.retention {
            Retention::AfterDelinquencyEnded { years } => (years, 0),
            Retention::FromFirstDelinquency { years, start_after_days } => (years, start_after_days),
        };
        if !l::RETENTION_YEARS.contains(&years) {
            let (lo, hi) = (l::RETENTION_YEARS.start(), l::RETENTION_YEARS.end());
            out.push(problem("retention.years", format!("{years} is not within {lo}..={hi}")));
        }
        if start_after_days > l::RETENTION_START_AFTER_DAYS_MAX {
            let max = l::RETENTION_START_AFTER_DAYS_MAX;
            out.push(problem("retention.start_after_days", format!("{start_after_days} is over {max}")));
        }
        if self.statement_words_max < l::STATEMENT_WORDS_MIN {
            out.push(problem("statement_words_max", format!("at least {}", l::STATEMENT_WORDS_MIN)));
        }
        if !(l::STATEMENT_CHARS_MIN..=l::STATEMENT_CHARS_MAX).contains(&self.statement_chars_max) {
            let (lo, hi) = (l::STATEMENT_CHARS_MIN, l::STATEMENT_CHARS_MAX);
            out.push(problem("statement_chars_max", format!("{} is not within {lo}..={hi}", self.statement_chars_max)));
        }
        if !l::FRAUD_ALERT_DAYS.contains(&self.fraud_alert_days) {
            let (lo, hi) = (l::FRAUD_ALERT_DAYS.start(), l::FRAUD_ALERT_DAYS.end());
            out.push(problem("fraud_alert_days", format!("{} is not within {lo}..={hi}", self.fraud_alert_days)));
        }
        let offset = self.report_utc_offset_minutes;
        if !l::UTC_OFFSET_MINUTES.contains(&offset) || offset % 15 != 0 {
            let (lo, hi) = (l::UTC_OFFSET_MINUTES.start(), l::UTC_OFFSET_MINUTES.end());
            out.push(problem(
                "report_utc_offset_minutes",
                format!("{offset} is not a time zone's offset: a multiple of 15 within {lo}..={hi}"),
            ));
        }
        out
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::prc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields `change` puts out of bounds, as `check` names them.
    fn check(change: impl Fn(&mut Policy), expect: &[&str]) {
        let mut p = Policy::prc();
        change(&mut p);
        let fields: Vec<_> = p.check().iter().map(|e| e.field).collect();
        assert_eq!(fields, expect);
    }

    #[test]
    fn the_built_in_policies_pass() {
        check(|_| {}, &[]);
        assert!(Policy::us().check().is_empty());
    }

    #[test]
    fn each_value_out_of_bounds_is_named() {
        check(|p| p.name.clear(), &["name"]);
        check(|p| p.dispute_answer_days = 0, &["dispute_answer_days"]);
        check(|p| p.retention = Retention::AfterDelinquencyEnded { years: 0 }, &["retention.years"]);
        check(|p| p.retention = Retention::AfterDelinquencyEnded { years: 99 }, &["retention.years"]);
        check(
            |p| p.retention = Retention::FromFirstDelinquency { years: 7, start_after_days: 9_000 },
            &["retention.start_after_days"],
        );
        check(|p| p.statement_words_max = 0, &["statement_words_max"]);
        check(|p| p.statement_chars_max = 60_000, &["statement_chars_max"]);
        check(|p| p.fraud_alert_days = 0, &["fraud_alert_days"]);
        check(|p| p.report_utc_offset_minutes = 481, &["report_utc_offset_minutes"]);
        check(|p| p.report_utc_offset_minutes = 1_500, &["report_utc_offset_minutes"]);
        check(|p| p.report_utc_offset_minutes = -720, &[]);
    }
}
