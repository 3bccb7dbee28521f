//! What the batch knows of the store: the furnisher's accounts, the person's consents, month
//! versions, notices and dispute deletions. Each is read on first use and kept for the rest of
//! the batch (and kept up to date by the batch's own writes), so the checks read the store
//! through here.

use super::Batch;
use crate::Result;
use ob_model::YearMonth;
use ob_store::{AccountId, AccountVersionRow, DisputeItem, NewConsent, StoreError, SubjectId};
use std::collections::HashMap;
use time::Date;

/// An account touched by the batch.
pub(super) struct AccountInfo {
    pub(super) id: AccountId,
    pub(super) subject_id: SubjectId,
    pub(super) terms: AccountVersionRow,
    /// Latest version per month: those stored that were looked up (or all of them, once
    /// `all_months_loaded`), and those this batch wrote.
    pub(super) month_versions: HashMap<YearMonth, u32>,
    /// Whether `month_versions` holds every stored month (an account opened by this batch, or
    /// after a deletion of months needed them all).
    all_months_loaded: bool,
    /// Whether a negative month is on file (stored or earlier in this batch); loaded on first need.
    pub(super) negative_on_file: Option<bool>,
    /// Days of notices given before negative reporting; loaded on first need.
    pub(super) notices: Option<Vec<Date>>,
    /// Items deleted after a dispute and not certified back; loaded on first use.
    dispute_deleted: Option<DisputeDeleted>,
}

/// What disputes deleted from an account.
#[derive(Default)]
pub(super) struct DisputeDeleted {
    pub(super) account: bool,
    pub(super) months: Vec<YearMonth>,
}

impl AccountInfo {
    /// An account; `fresh` when it was opened by this batch (nothing to load for it).
    pub(super) fn new(id: AccountId, subject_id: SubjectId, terms: AccountVersionRow, fresh: bool) -> AccountInfo {
        AccountInfo {
            id,
            subject_id,
            terms,
            month_versions: HashMap::new(),
            all_months_loaded: fresh,
            negative_on_file: fresh.then_some(false),
            notices: fresh.then(Vec::new),
            dispute_deleted: fresh.then(DisputeDeleted::default),
        }
    }
}

impl Batch<'_> {
    /// Lets the caches go when one holds more than `cached_max` entries. Called between records
    /// (no index into `accounts` is held then). Everything cached is in the transaction too —
    /// people, consents, accounts and their terms, months, notices — so it is read again when
    /// needed, and the outcome of a record never depends on what was cached.
    pub(super) fn trim_caches(&mut self) {
        let max = self.cached_max;
        if self.accounts.len() > max || self.subjects.len() > max || self.consents.len() > max {
            self.accounts.clear();
            self.account_index.clear();
            self.subjects.clear();
            self.consents.clear();
        }
    }

    /// The batch's index of the account with this key, loading it from the store on first use.
    pub(super) fn load_account(&mut self, key: &str) -> Result<Option<usize>> {
        if let Some(i) = self.account_index.get(key) {
            return Ok(Some(*i));
        }
        let Some(row) = self.w.account_by_key(self.org, key)? else { return Ok(None) };
        let terms = self
            .w
            .account_version(row.id, i64::MAX)?
            .ok_or_else(|| StoreError::Corrupt(format!("account {} has no terms", row.id.0)))?;
        Ok(Some(self.add_account(key, AccountInfo::new(row.id, row.subject_id, terms, false))))
    }

    /// Adds an account to the batch under its key; its index.
    pub(super) fn add_account(&mut self, key: &str, info: AccountInfo) -> usize {
        self.accounts.push(info);
        self.account_index.insert(key.to_owned(), self.accounts.len() - 1);
        self.accounts.len() - 1
    }

    /// Whether another furnisher holds an account under this key.
    pub(super) fn held_elsewhere(&mut self, key: &str) -> Result<bool> {
        Ok(self.w.account_key_held_elsewhere(self.org, key)?)
    }

    /// This furnisher's consents from `subject`, loaded once per batch.
    pub(super) fn consents_of(&mut self, subject: SubjectId) -> Result<&mut Vec<NewConsent>> {
        if !self.consents.contains_key(&subject) {
            let rows = self.w.consents_of(subject)?;
            let mine = rows.into_iter().map(|r| r.consent).filter(|c| c.org_id == self.org).collect();
            self.consents.insert(subject, mine);
        }
        Ok(self.consents.entry(subject).or_default())
    }

    /// Loads, on first need, whether the account has a negative month on file and the days of its
    /// notices (with those that waited under `key` for its first report).
    pub(super) fn load_notice_state(&mut self, index: usize, key: &str) -> Result<()> {
        let account = self.accounts[index].id;
        if self.accounts[index].negative_on_file.is_none() {
            let any = self.w.months(account, YearMonth::MIN, YearMonth::MAX, i64::MAX)?;
            self.accounts[index].negative_on_file =
                Some(any.iter().any(|r| !r.deleted && crate::rights::is_negative(r)));
        }
        if self.accounts[index].notices.is_none() {
            let mut days: Vec<Date> = self.w.notices_of(account)?.iter().map(|n| n.notified_on).collect();
            days.extend(self.w.pending_notices(self.org, key)?.iter().map(|n| n.notified_on));
            self.accounts[index].notices = Some(days);
        }
        Ok(())
    }

    /// What disputes deleted from the account (and the furnisher did not certify back).
    pub(super) fn dispute_deleted(&mut self, index: usize) -> Result<&DisputeDeleted> {
        if self.accounts[index].dispute_deleted.is_none() {
            let (account, subject) = (self.accounts[index].id, self.accounts[index].subject_id);
            let mut deleted = DisputeDeleted::default();
            for d in self.w.disputes_of(subject)? {
                let last = self.w.dispute_events(d.id)?.last().map(|e| e.state);
                if last != Some(ob_model::DisputeState::Deleted) {
                    continue;
                }
                match d.dispute.item {
                    DisputeItem::Account(a) if a == account => deleted.account = true,
                    DisputeItem::Month(a, m) if a == account => deleted.months.push(m),
                    _ => {}
                }
            }
            self.accounts[index].dispute_deleted = Some(deleted);
        }
        Ok(self.accounts[index].dispute_deleted.get_or_insert_with(DisputeDeleted::default))
    }

    /// The next version of a month of the account, counted as taken. A month not yet known is
    /// looked up alone: reading the account's whole history for each new month would cost more
    /// as the history grows.
    pub(super) fn next_month_version(&mut self, index: usize, month: YearMonth) -> Result<u32> {
        let info = &mut self.accounts[index];
        if !info.all_months_loaded
            && !info.month_versions.contains_key(&month)
            && let Some(stored) = self.w.month_version(info.id, month)?
        {
            info.month_versions.insert(month, stored);
        }
        let next = info.month_versions.get(&month).map_or(1, |v| v + 1);
        info.month_versions.insert(month, next);
        Ok(next)
    }

    /// Every stored month of the account with its latest version (those this batch wrote win:
    /// they are newer).
    pub(super) fn load_all_month_versions(&mut self, index: usize) -> Result<&HashMap<YearMonth, u32>> {
        let info = &mut self.accounts[index];
        if !info.all_months_loaded {
            for (month, version) in self.w.month_versions(info.id)? {
                let known = info.month_versions.entry(month).or_insert(version);
                *known = (*known).max(version);
            }
            info.all_months_loaded = true;
        }
        Ok(&info.month_versions)
    }
}
