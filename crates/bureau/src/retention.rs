//! Retention of negative information: it leaves reports, and the store, once the policy's period
//! has passed (PRC: 5 years after the delinquency ended; US: 7 years from 180 days after the first
//! delinquency). The same rule filters every report, "as of" reports included, so nothing expired
//! shows even before `retention run` has purged it.

use crate::rights::is_negative;
use crate::{Bureau, Result};
use ob_model::policy::{Policy, Retention};
use ob_model::{AccountType, YearMonth};
use ob_store::{MonthRow, Store};
use serde::Serialize;
use serde_json::json;
use time::{Date, Duration};

/// What a retention run did: counts only, never content.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RetentionSummary {
    /// Accounts holding negative months, examined.
    pub accounts_examined: u64,
    /// Account-months whose negative information expired.
    pub months_purged: u64,
    /// Stored versions deleted.
    pub versions_deleted: u64,
    /// Accounts whose newest month expired, removed from reports for good (a deleting version of
    /// their terms): what is left of them would show them open and current.
    pub accounts_removed: u64,
}

/// `day` plus whole years (29 February becomes 28 February in common years).
fn plus_years(day: Date, years: u8) -> Date {
    let year = day.year() + i32::from(years);
    day.replace_year(year).or_else(|_| day.replace_day(28).and_then(|d| d.replace_year(year))).unwrap_or(Date::MAX)
}

/// The months among `months` (latest versions, any order) whose negative information has expired
/// by `today` under `policy`: those [`leaving_dates`] gives a day before `today`.
pub fn expired_months(months: &[MonthRow], policy: &Policy, today: Date) -> Vec<YearMonth> {
    leaving_dates(months, policy)
        .into_iter()
        .filter(|(_, last_day)| last_day.is_some_and(|d| today > d))
        .map(|(month, _)| month)
        .collect()
}

/// Each negative month among `months` (latest versions, any order), in month order, with the last
/// day it shows under `policy` (it is gone the day after); `None` while its delinquency lasts, the
/// clock not yet started. A run of consecutive negative months is one delinquency: under the PRC
/// rule it shows until `years` after it ended — at the first non-negative month after it, or at a
/// negative month that closes the account ([`ob_model::RepaymentStatus::closes_with`]: C, G, Z — paid off
/// with arrears, sold or settled for less, repaid by assets —, or D, repaid by a guarantor, with
/// nothing left owing), the last month there will be —; under the US rule, `years` after 180
/// days past its first month, whether or not it has ended.
pub fn leaving_dates(months: &[MonthRow], policy: &Policy) -> Vec<(YearMonth, Option<Date>)> {
    let mut sorted: Vec<&MonthRow> = months.iter().filter(|m| !m.deleted).collect();
    sorted.sort_by_key(|m| m.month);
    let mut out = Vec::new();
    let mut run: Vec<&MonthRow> = Vec::new();
    let mut close = |run: &mut Vec<&MonthRow>, ended_on: Option<Date>| {
        let last_day = run_last_day(run, ended_on, policy);
        out.extend(run.drain(..).map(|m| (m.month, last_day)));
    };
    for m in sorted {
        if is_negative(m) {
            run.push(m);
            if m.status.closes_with(m.balance_minor) {
                close(&mut run, Some(m.settled_on));
            }
        } else if !run.is_empty() {
            close(&mut run, Some(m.settled_on));
        }
    }
    if !run.is_empty() {
        close(&mut run, None);
    }
    out
}

/// Whether an account is still shown on `today`, judged by its months (`months`, latest versions)
/// and the policy:
/// - not once its newest month has expired: its last state was negative (a charge-off, a
///   foreclosure, a debt repaid by assets) and is gone, and the months before it would show the
///   account open and current, owing an old balance;
/// - a collection account (C1: a debt passed to a collector, negative information in itself)
///   only while one of its negative months is within retention, or, with none left, within the
///   policy's period counted from its placement (`opened_on`).
pub fn account_shown(
    months: &[MonthRow],
    account_type: AccountType,
    opened_on: Date,
    policy: &Policy,
    today: Date,
) -> bool {
    let dates = leaving_dates(months, policy);
    if newest_expired(months, &dates, today) {
        return false;
    }
    account_type != AccountType::C1 || collection_kept(&dates, opened_on, policy, today)
}

/// Whether the newest month among `months` (not deleted) is one of `dates` that has expired.
fn newest_expired(months: &[MonthRow], dates: &[(YearMonth, Option<Date>)], today: Date) -> bool {
    let newest = months.iter().filter(|m| !m.deleted).map(|m| m.month).max();
    newest.is_some_and(|n| dates.iter().any(|(m, last)| *m == n && last.is_some_and(|d| today > d)))
}

/// A collection's rule: a negative month still within retention, or its placement within the
/// policy's period.
fn collection_kept(dates: &[(YearMonth, Option<Date>)], opened_on: Date, policy: &Policy, today: Date) -> bool {
    let negative_kept = dates.iter().any(|(_, last)| last.is_none_or(|d| today <= d));
    let from_placement = match policy.retention {
        Retention::AfterDelinquencyEnded { years } => plus_years(opened_on, years),
        Retention::FromFirstDelinquency { years, start_after_days } => {
            plus_years(opened_on.saturating_add(Duration::days(i64::from(start_after_days))), years)
        }
    };
    negative_kept || today <= from_placement
}

/// The last day a delinquency (`run`, ended on `ended_on` if it has) shows under `policy`.
fn run_last_day(run: &[&MonthRow], ended_on: Option<Date>, policy: &Policy) -> Option<Date> {
    match policy.retention {
        Retention::AfterDelinquencyEnded { years } => ended_on.map(|end| plus_years(end, years)),
        Retention::FromFirstDelinquency { years, start_after_days } => run.first().map(|first| {
            let start = first.settled_on.saturating_add(Duration::days(i64::from(start_after_days)));
            plus_years(start, years)
        }),
    }
}

impl<S: Store> Bureau<S> {
    /// Purges expired negative information from the store, in one transaction, and logs what it
    /// purged by count.
    pub fn run_retention(&mut self) -> Result<RetentionSummary> {
        let today = self.clock.today();
        let summary = self.audited("retention.purged", None, None, |w, _, policy, now| {
            let mut s = RetentionSummary::default();
            let (from, to) = (YearMonth::MIN, YearMonth::MAX);
            for account in w.accounts_with_negative_months()? {
                s.accounts_examined += 1;
                let months = w.months(account, from, to, i64::MAX)?;
                let remove = newest_expired(&months, &leaving_dates(&months, policy), today);
                for month in expired_months(&months, policy, today) {
                    s.versions_deleted += w.purge_month(account, month)?;
                    s.months_purged += 1;
                }
                if remove {
                    s.accounts_removed += remove_account(w, account, now.unix_timestamp())?;
                }
            }
            let detail = json!({
                "policy": policy.name, "accounts_examined": s.accounts_examined,
                "months_purged": s.months_purged, "versions_deleted": s.versions_deleted,
                "accounts_removed": s.accounts_removed,
            });
            Ok((s, detail))
        })?;
        self.checkpoint_after_commit();
        Ok(summary)
    }
}

/// Records a deleting version of the terms of an account whose newest month expired, so that
/// the months left from before its delinquency never show it again once the expired ones are
/// purged ([`account_shown`] can no longer tell). 1 when recorded, 0 when already deleted.
fn remove_account(w: &mut dyn ob_store::Writer, account: ob_store::AccountId, at: i64) -> Result<u64> {
    let Some(terms) = w.account_version(account, i64::MAX)?.filter(|t| !t.deleted) else { return Ok(0) };
    w.insert_account_version(&crate::rights::bureau_deletion(terms, at))?;
    Ok(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ob_model::RepaymentStatus;
    use ob_store::{AccountId, SubjectId};

    fn m(month: &str, status: &str) -> MonthRow {
        let month = YearMonth::parse(month).unwrap();
        let status = RepaymentStatus::parse(status).unwrap();
        MonthRow {
            account_id: AccountId(1),
            month,
            version: 1,
            subject_id: SubjectId(1),
            batch_id: None,
            recorded_at: 0,
            settled_on: month.last_day(),
            balance_minor: 100,
            used_minor: 100,
            due_minor: 0,
            paid_minor: 0,
            past_due_minor: if status.overdue_periods().is_some() { 10 } else { 0 },
            days_past_due: 0,
            status,
            class5: None,
            last_payment_on: None,
            closed_on: None,
            credit_limit_minor: None,
            deleted: false,
            detail: Default::default(),
        }
    }

    fn check(months: &[(&str, &str)], policy: Policy, today: Date, expect: &[&str]) {
        let rows: Vec<MonthRow> = months.iter().map(|(mo, st)| m(mo, st)).collect();
        let got: Vec<String> = expired_months(&rows, &policy, today).iter().map(ToString::to_string).collect();
        assert_eq!(got, expect, "{months:?} on {today}");
    }

    #[test]
    fn prc_counts_five_years_from_the_end_of_the_delinquency() {
        use time::macros::date;
        let history = [
            ("2019-01", "N"),
            ("2019-02", "1"),
            ("2019-03", "2"),
            ("2019-04", "N"),
            ("2020-06", "1"),
            ("2020-07", "N"),
        ];
        // The first run ended with the 2019-04 month (settled 2019-04-30): expires after 2024-04-30.
        check(&history, Policy::prc(), date!(2024 - 04 - 30), &[]);
        check(&history, Policy::prc(), date!(2024 - 05 - 01), &["2019-02", "2019-03"]);
        check(&history, Policy::prc(), date!(2025 - 08 - 01), &["2019-02", "2019-03", "2020-06"]);
        // A delinquency that has not ended never expires under the PRC rule.
        check(&[("2010-01", "1"), ("2010-02", "2")], Policy::prc(), date!(2030 - 01 - 01), &[]);
    }

    #[test]
    fn a_settlement_by_assets_or_for_less_ends_the_delinquency() {
        use time::macros::date;
        // A mortgage 1 to 7 months late, settled by its collateral (Z) in 2020-08: the negative
        // behaviour ended on 2020-08-31, so it leaves after 2025-08-31 (it never did before).
        let mortgage = [
            ("2020-01", "1"),
            ("2020-02", "2"),
            ("2020-03", "3"),
            ("2020-04", "4"),
            ("2020-05", "5"),
            ("2020-06", "6"),
            ("2020-07", "7"),
            ("2020-08", "Z"),
        ];
        check(&mortgage, Policy::prc(), date!(2025 - 08 - 31), &[]);
        let all: Vec<&str> = mortgage.iter().map(|(m, _)| *m).collect();
        check(&mortgage, Policy::prc(), date!(2025 - 09 - 01), &all);
        // A debt sold or settled for less (G) with arrears on its last month ends there too.
        let mut rows: Vec<MonthRow> = [("2019-05", "3"), ("2019-06", "G")].iter().map(|(mo, st)| m(mo, st)).collect();
        rows[1].past_due_minor = 500;
        let got = expired_months(&rows, &Policy::prc(), date!(2024 - 07 - 01));
        assert_eq!(got.iter().map(ToString::to_string).collect::<Vec<_>>(), ["2019-05", "2019-06"]);
        // Repaid by a guarantor (D) with nothing left owing ends it as well; with a balance left, not.
        let mut rows: Vec<MonthRow> = [("2019-05", "3"), ("2019-06", "D")].iter().map(|(mo, st)| m(mo, st)).collect();
        let on = date!(2024 - 07 - 01);
        assert_eq!(expired_months(&rows, &Policy::prc(), on).len(), 0, "a balance left: not ended");
        rows[1].balance_minor = 0;
        assert_eq!(expired_months(&rows, &Policy::prc(), on).len(), 2, "nothing owing: ended 2019-06-30");
        // Under the US rule the clock still runs from the first delinquency.
        check(&mortgage, Policy::us(), date!(2027 - 07 - 29), &[]);
        check(&mortgage, Policy::us(), date!(2027 - 07 - 30), &all);
    }

    #[test]
    fn us_counts_seven_years_from_180_days_after_the_first_delinquency() {
        use time::macros::date;
        let history = [("2015-01", "1"), ("2015-02", "2"), ("2015-03", "3")];
        // First delinquency settled 2015-01-31; +180 days = 2015-07-30; +7 years = 2022-07-30.
        check(&history, Policy::us(), date!(2022 - 07 - 30), &[]);
        check(&history, Policy::us(), date!(2022 - 07 - 31), &["2015-01", "2015-02", "2015-03"]);
    }
}
