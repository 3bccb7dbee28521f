//! The furnisher's side of the report's 未更新 mark: its open accounts not reported for
//! [`limits::REPORT_STALE_MONTHS`] months or more (`STALE_ACCOUNT` warnings). A report shows such
//! an account as "not reported since"; the furnisher is told here, so that it sends the months or
//! closes the account. Read on demand, in key order and in bounded steps: a whole furnisher's
//! accounts are never read in one call, so asking never holds a bureau worker for long.

use crate::{Bureau, Result};
use ob_model::{YearMonth, limits};
use ob_store::{AccountAhead, OrgId, Reader, Store};
use serde::Serialize;
use time::Date;

/// The code of the warning, in every entry.
pub const STALE_ACCOUNT_CODE: &str = "STALE_ACCOUNT";

/// An open account its furnisher has not reported for months.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaleAccount {
    /// Always [`STALE_ACCOUNT_CODE`].
    pub code: &'static str,
    /// The furnisher's key for the account.
    pub account_key: String,
    /// The last month reported; none when the account never had one.
    pub last_reported_month: Option<YearMonth>,
    /// Months missing between it (or the opening, when none) and the month asked about.
    pub months_silent: i32,
}

/// One step through a furnisher's accounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StalePage {
    /// The stale accounts found, in key order.
    pub accounts: Vec<StaleAccount>,
    /// Where to go on (`after`); none when every account has been read.
    pub next_after: Option<String>,
}

impl<S: Store> Bureau<S> {
    /// Every stale account of the furnisher with this `code` as of `as_of`, in key order, each
    /// given to `each` (for an operator's listing: it reads the furnisher's every account, in
    /// steps); how many there were.
    pub fn each_stale_account(&self, code: &str, as_of: Date, each: &mut dyn FnMut(&StaleAccount)) -> Result<u64> {
        let org = crate::access::org_by_code(&*self.store.read()?, code)?.id;
        let (mut after, mut found) = (None::<String>, 0u64);
        loop {
            let page = self.stale_accounts(org, after.as_deref(), limits::STALE_PAGE_MAX, as_of)?;
            found += page.accounts.len() as u64;
            page.accounts.iter().for_each(&mut *each);
            match page.next_after {
                Some(next) => after = Some(next),
                None => return Ok(found),
            }
        }
    }

    /// Up to `limit` of `org`'s open accounts with keys after `after` (from the first when
    /// `None`) that were not reported for [`limits::REPORT_STALE_MONTHS`] months or more before
    /// the month of `as_of`. At most [`limits::STALE_SCAN_ACCOUNTS_MAX`] accounts are read per
    /// call; `next_after` goes on from where it stopped.
    pub fn stale_accounts(&self, org: OrgId, after: Option<&str>, limit: u32, as_of: Date) -> Result<StalePage> {
        assert!((1..=limits::STALE_PAGE_MAX).contains(&limit), "callers check the limit");
        let r = self.store.read()?;
        let to = YearMonth::of(as_of);
        let mut from = after.unwrap_or("").to_owned();
        let (mut accounts, mut scanned) = (Vec::new(), 0u32);
        loop {
            let page = r.accounts_from_key(org, &from, limits::INGEST_READ_AHEAD_ACCOUNTS)?;
            let end = (page.len() as u32) < limits::INGEST_READ_AHEAD_ACCOUNTS;
            // `from` itself was read already (or is no key at all): keys are after it.
            let read_already = from.clone();
            for a in page.into_iter().filter(|a| a.account.account_key != read_already) {
                scanned += 1;
                if let Some(stale) = stale(&*r, &a, to)? {
                    accounts.push(stale);
                }
                from = a.account.account_key;
                if accounts.len() as u32 == limit || scanned == limits::STALE_SCAN_ACCOUNTS_MAX {
                    return Ok(StalePage { accounts, next_after: Some(from) });
                }
            }
            if end {
                return Ok(StalePage { accounts, next_after: None });
            }
        }
    }
}

/// The warning for one account, when it is open and silent long enough.
fn stale(r: &dyn Reader, a: &AccountAhead, to: YearMonth) -> Result<Option<StaleAccount>> {
    if a.terms.deleted {
        return Ok(None);
    }
    let opened = YearMonth::of(a.terms.opened_on);
    let silent_since = |newest: Option<YearMonth>| match newest {
        Some(m) => to.months_since(m) - 1,
        None => to.months_since(opened),
    };
    // The newest month stored counts every version, deletions too: a furnisher that sent a month
    // and then deleted it has written about that month, and is not told it fell silent (the
    // report, which leaves deleted months out, may still mark the account). Reading that figure
    // costs nothing: only accounts silent by it are read further.
    if silent_since(a.newest_month) < limits::REPORT_STALE_MONTHS {
        return Ok(None);
    }
    let mut newest = None;
    if let Some(m) = a.newest_month {
        // Whether it is closed, as the report reads it: the newest month not deleted.
        let months = r.months(a.account.id, opened.min(m), m, i64::MAX)?;
        let Some(row) = months.iter().rev().find(|row| !row.deleted) else {
            return Ok(stale_entry(a, None, silent_since(None)));
        };
        if row.status.closes_with(row.balance_minor) {
            // Closed accounts are not expected to report.
            return Ok(None);
        }
        newest = Some(row.month);
    }
    Ok(stale_entry(a, newest, silent_since(newest)))
}

fn stale_entry(a: &AccountAhead, newest: Option<YearMonth>, silent: i32) -> Option<StaleAccount> {
    (silent >= limits::REPORT_STALE_MONTHS).then(|| StaleAccount {
        code: STALE_ACCOUNT_CODE,
        account_key: a.account.account_key.clone(),
        last_reported_month: newest,
        months_silent: silent,
    })
}
