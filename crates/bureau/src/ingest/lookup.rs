//! What the batch knows of the store: the furnisher's accounts, the person's consents, month
//! versions, notices and dispute deletions. Each is read on first use and kept for the rest of
//! the batch (and kept up to date by the batch's own writes), so the checks read the store
//! through here.

use super::Batch;
use super::identity::SubjectInfo;
use crate::Result;
use ob_model::records::Record;
use ob_model::{DocumentNumber, YearMonth, limits};
use ob_store::{AccountId, AccountVersionRow, DisputeItem, NewConsent, OrgId, SubjectId, Writer};
use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// The newest month stored when the account was read: a later month has no stored version,
    /// so its first version needs no look-up (the usual case: each file brings the next month).
    newest_stored: Option<YearMonth>,
    /// The months on file (stored, or written by this batch) that the notice and status-step
    /// rules look at, those with [`MonthMark::matters`]; loaded when a negative month first needs
    /// them. A month left out reads to those rules as one that is not late, so keeping only
    /// these changes no outcome and keeps the map small (most months of most accounts are
    /// current: 65 MB of peak RSS at 1 M people when every month was kept).
    pub(super) history: Option<BTreeMap<YearMonth, MonthMark>>,
    /// Days of notices given before negative reporting; loaded on first need.
    pub(super) notices: Option<Vec<Date>>,
}

/// A month on file, as the rules on negative months see it.
#[derive(Clone, Copy, Debug)]
pub(super) struct MonthMark {
    /// Its settlement date.
    pub(super) settled_on: Date,
    /// Negative information (an overdue or bad status, or an amount past due).
    pub(super) negative: bool,
    /// Days past due.
    pub(super) days_past_due: u32,
}

impl MonthMark {
    /// The mark of a month record.
    pub(super) fn of(m: &ob_model::records::MonthRecord) -> MonthMark {
        MonthMark {
            settled_on: m.settled_on,
            negative: m.status.is_negative() || m.past_due_minor > 0,
            days_past_due: m.days_past_due,
        }
    }

    /// Whether the rules on negative months look at this month: it is negative, or days past due.
    pub(super) fn matters(&self) -> bool {
        self.negative || self.days_past_due > 0
    }

    fn of_row(r: &ob_store::MonthRow) -> MonthMark {
        MonthMark { settled_on: r.settled_on, negative: crate::rights::is_negative(r), days_past_due: r.days_past_due }
    }
}

/// What disputes deleted from an account.
#[derive(Default)]
pub(super) struct DisputeDeleted {
    pub(super) account: bool,
    pub(super) months: Vec<YearMonth>,
    /// The `seq` of each special transaction or event deleted.
    pub(super) specials: Vec<u32>,
}

/// What disputes deleted from an organization's file and it did not certify back.
#[derive(Default)]
pub(super) struct DeletedItems {
    pub(super) accounts: HashMap<AccountId, DisputeDeleted>,
    /// The keys of its credit agreements deleted.
    pub(super) agreements: HashSet<String>,
    /// Accounts a dispute deleted and the organization certified back: the deleting version of
    /// their terms is a dispute's, and the account may be sent again.
    pub(super) reinserted_accounts: HashSet<AccountId>,
}

/// What disputes deleted from the organization's accounts and agreements and it did not certify
/// back: the organization answers every dispute on its items, so its disputes are all there are.
pub(super) fn dispute_deleted_of(r: &dyn Writer, org: OrgId) -> Result<DeletedItems> {
    let mut deleted = DeletedItems::default();
    for d in r.disputes_for_org(org)? {
        let last = r.dispute_events(d.id)?.last().map(|e| e.state);
        if let (Some(ob_model::DisputeState::Reinserted), DisputeItem::Account(a)) = (last, &d.dispute.item) {
            deleted.reinserted_accounts.insert(*a);
        }
        if last != Some(ob_model::DisputeState::Deleted) {
            continue;
        }
        let accounts = &mut deleted.accounts;
        match d.dispute.item {
            DisputeItem::Account(a) => accounts.entry(a).or_default().account = true,
            DisputeItem::Month(a, m) => accounts.entry(a).or_default().months.push(m),
            DisputeItem::Special(a, seq) => accounts.entry(a).or_default().specials.push(seq),
            DisputeItem::Agreement(_, key) => {
                deleted.agreements.insert(key);
            }
            DisputeItem::Inquiry(_) | DisputeItem::Identity => {}
        }
    }
    Ok(deleted)
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
            newest_stored: None,
            history: fresh.then(BTreeMap::new),
            notices: fresh.then(Vec::new),
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
        let absent = self.absent_keys.len() + self.absent_documents.len() + self.keys_read.len();
        if self.accounts.len() > max || self.subjects.len() > max || self.consents.len() > max || absent > max {
            self.accounts.clear();
            self.account_index.clear();
            self.subjects.clear();
            self.absent_documents.clear();
            self.absent_keys.clear();
            self.consents.clear();
            self.keys_read.clear();
        }
    }

    /// Looks up together what the records read ahead will need, when the batch was asked to
    /// ([`Batch::prefetch`]): the people their documents name and those people's consents, the
    /// accounts their keys name (and their people's consents), and the months on file of each
    /// account a negative month comes for. Only caches are filled, so every outcome stays what it
    /// would be without; and no more than `cached_max` accounts are kept for it.
    pub(super) fn prefetch_for(&mut self, records: &[&Record]) -> Result<()> {
        if !self.prefetch || records.is_empty() {
            return Ok(());
        }
        self.prefetch_people(records)?;
        self.prefetch_accounts(records)?;
        // The accounts a negative month comes for (with the key it names them by).
        let negative: Vec<(usize, &str)> = records
            .iter()
            .filter_map(|r| match r {
                Record::Month(m) if MonthMark::of(m).negative => {
                    self.account_index.get(&m.account_key).map(|i| (*i, m.account_key.as_str()))
                }
                _ => None,
            })
            .collect();
        self.prefetch_histories(&negative)?;
        // A rekey moves an account to another key, and the notices that wait under a key are
        // read with the key the first record to need them names: read them as they come then.
        if !records.iter().any(|r| matches!(r, Record::Rekey(_))) {
            self.prefetch_notices(&negative)?;
        }
        self.prefetch_month_versions(records)
    }

    /// The accounts the records' keys name that the batch does not know yet, in one read, with
    /// their people's consents in another; a key of no account is remembered as such.
    fn prefetch_accounts(&mut self, records: &[&Record]) -> Result<()> {
        let mut keys: Vec<&str> = records
            .iter()
            .flat_map(|r| match r {
                Record::Account(a) => [a.credit_line_key.as_deref(), Some(a.account_key.as_str())],
                Record::Month(m) => [None, Some(m.account_key.as_str())],
                _ => [None, None],
            })
            .flatten()
            .filter(|k| !self.account_index.contains_key(*k) && !self.absent_keys.contains(*k) && !self.key_was_read(k))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.is_empty() || self.accounts.len() + keys.len() > self.cached_max {
            return Ok(()); // each is read as its record comes
        }
        let mut subjects = Vec::new();
        for ahead in self.w.accounts_by_keys(self.org, &keys)? {
            self.keep_ahead(ahead, &mut subjects);
        }
        let absent: Vec<String> =
            keys.iter().filter(|k| !self.account_index.contains_key(**k)).map(|k| (*k).to_owned()).collect();
        self.absent_keys.extend(absent);
        subjects.sort_unstable();
        subjects.dedup();
        self.load_consents(&subjects)
    }

    /// The people of the records' documents not known yet, and their consents, in two reads.
    fn prefetch_people(&mut self, records: &[&Record]) -> Result<()> {
        let documents = records.iter().filter_map(|r| match r {
            Record::Consent(c) => Some(&c.subject.document),
            Record::Account(a) => Some(&a.subject.document),
            _ => None,
        });
        self.prefetch_documents(documents)
    }

    /// The people entries read ahead name beside their records ([`super::Entry::named`]: a
    /// PBOC-style message of months alone), in one read, as [`Batch::prefetch_for`] reads those
    /// records name.
    pub(super) fn prefetch_named(&mut self, documents: &[&DocumentNumber]) -> Result<()> {
        if !self.prefetch || documents.is_empty() {
            return Ok(());
        }
        self.prefetch_documents(documents.iter().copied())
    }

    /// The people of these documents the batch does not know yet, and their consents.
    fn prefetch_documents<'d>(&mut self, documents: impl Iterator<Item = &'d DocumentNumber>) -> Result<()> {
        let mut macs: Vec<[u8; 32]> = documents
            .map(|d| self.keys.document_mac(d))
            .filter(|mac| !self.subjects.contains_key(mac) && !self.absent_documents.contains(mac))
            .collect();
        macs.sort_unstable();
        macs.dedup();
        if macs.is_empty() || self.subjects.len() + macs.len() > self.cached_max {
            return Ok(()); // each is read as its record comes
        }
        let mut subjects = Vec::new();
        for (mac, row) in self.w.subjects_by_documents(&macs)? {
            if !self.consents.contains_key(&row.id) {
                subjects.push(row.id);
            }
            self.subjects.insert(mac, SubjectInfo::of_row(&row));
        }
        for mac in macs {
            if !self.subjects.contains_key(&mac) {
                self.absent_documents.insert(mac);
            }
        }
        subjects.sort_unstable();
        subjects.dedup();
        self.load_consents(&subjects)
    }

    /// The months on file of the accounts at these indexes that lack them, in one read.
    fn prefetch_histories(&mut self, negative: &[(usize, &str)]) -> Result<()> {
        let mut indexes: Vec<usize> =
            negative.iter().map(|(i, _)| *i).filter(|i| self.accounts[*i].history.is_none()).collect();
        indexes.sort_unstable();
        indexes.dedup();
        let ids: Vec<AccountId> = indexes.iter().map(|i| self.accounts[*i].id).collect();
        if ids.is_empty() {
            return Ok(());
        }
        let mut marks: HashMap<AccountId, BTreeMap<YearMonth, MonthMark>> = HashMap::new();
        for row in self.w.months_of_accounts(&ids)? {
            let mark = MonthMark::of_row(&row);
            if !row.deleted && mark.matters() {
                marks.entry(row.account_id).or_default().insert(row.month, mark);
            }
        }
        for i in indexes {
            let info = &mut self.accounts[i];
            info.history = Some(marks.remove(&info.id).unwrap_or_default());
        }
        Ok(())
    }

    /// The days of the notices of the accounts at these indexes that lack them (with those given
    /// under their keys before they were first reported), in one read, as [`Batch::load_notices`]
    /// reads them.
    fn prefetch_notices(&mut self, negative: &[(usize, &str)]) -> Result<()> {
        let mut wanted: Vec<(usize, &str)> =
            negative.iter().copied().filter(|(i, _)| self.accounts[*i].notices.is_none()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let asked: Vec<(AccountId, &str)> = wanted.iter().map(|(i, key)| (self.accounts[*i].id, *key)).collect();
        let mut by_account: HashMap<AccountId, Vec<Date>> = HashMap::new();
        let mut by_key: HashMap<&str, Vec<Date>> = HashMap::new();
        let rows = self.w.notices_of_accounts(self.org, &asked)?;
        for n in &rows {
            match n.account_id {
                Some(account) => by_account.entry(account).or_default().push(n.notified_on),
                None => by_key.entry(n.account_key.as_str()).or_default().push(n.notified_on),
            }
        }
        for (i, key) in wanted {
            let info = &mut self.accounts[i];
            let mut days = by_account.remove(&info.id).unwrap_or_default();
            days.extend(by_key.get(key).into_iter().flatten());
            info.notices = Some(days);
        }
        Ok(())
    }

    /// The stored versions of the months the records bring that are not after their account's
    /// newest stored month (corrections, late months), in one read, as
    /// [`Batch::next_month_version`] would look each up.
    fn prefetch_month_versions(&mut self, records: &[&Record]) -> Result<()> {
        let (mut asked, mut by_id) = (Vec::new(), HashMap::new());
        for r in records {
            let Record::Month(m) = r else { continue };
            let Some(&i) = self.account_index.get(&m.account_key) else { continue };
            let info = &self.accounts[i];
            let after_newest = info.newest_stored.is_none_or(|newest| m.month > newest);
            if !info.all_months_loaded && !after_newest && !info.month_versions.contains_key(&m.month) {
                asked.push((info.id, m.month));
                by_id.insert(info.id, i);
            }
        }
        if asked.is_empty() {
            return Ok(());
        }
        for (account, month, version) in self.w.month_versions_of(&asked)? {
            if let Some(i) = by_id.get(&account) {
                let known = self.accounts[*i].month_versions.entry(month).or_insert(version);
                *known = (*known).max(version);
            }
        }
        Ok(())
    }

    /// The batch's index of the account with this key, reading it (and the next accounts in key
    /// order) from the store on first use.
    pub(super) fn load_account(&mut self, key: &str) -> Result<Option<usize>> {
        if let Some(i) = self.account_index.get(key) {
            return Ok(Some(*i));
        }
        if self.absent_keys.contains(key) || self.key_was_read(key) {
            return Ok(None);
        }
        let rows = self.w.accounts_from_key(self.org, key, limits::INGEST_READ_AHEAD_ACCOUNTS)?;
        let last = match rows.last() {
            Some(row) if rows.len() >= limits::INGEST_READ_AHEAD_ACCOUNTS as usize => {
                Some(row.account.account_key.clone())
            }
            _ => None,
        };
        let mut subjects = Vec::new();
        for ahead in rows {
            self.keep_ahead(ahead, &mut subjects);
        }
        self.load_consents(&subjects)?;
        self.keys_read.insert(key.to_owned(), last);
        Ok(self.account_index.get(key).copied())
    }

    /// Adds an account read ahead to the batch, unless the batch has it in hand already (then
    /// its own is newer than what the read saw); notes its person in `subjects` when their
    /// consents are not cached.
    fn keep_ahead(&mut self, ahead: ob_store::AccountAhead, subjects: &mut Vec<SubjectId>) {
        if self.account_index.contains_key(&ahead.account.account_key) {
            return;
        }
        let mut info = AccountInfo::new(ahead.account.id, ahead.account.subject_id, ahead.terms, false);
        info.newest_stored = ahead.newest_month;
        if !self.consents.contains_key(&info.subject_id) {
            subjects.push(info.subject_id);
        }
        self.add_account(&ahead.account.account_key, info);
    }

    /// Loads, in one read, this furnisher's consents from each of `subjects` not yet cached.
    fn load_consents(&mut self, subjects: &[SubjectId]) -> Result<()> {
        if subjects.is_empty() {
            return Ok(());
        }
        let wanted: std::collections::HashSet<SubjectId> = subjects.iter().copied().collect();
        let mut rows = self.w.consents_of_subjects(self.org, subjects)?;
        // Each person's consents in the order they were recorded, as `consents_of` gives them.
        rows.sort_unstable_by_key(|r| r.id);
        for subject in &wanted {
            self.consents.entry(*subject).or_default();
        }
        for row in rows {
            if row.consent.org_id == self.org
                && wanted.contains(&row.consent.subject_id)
                && let Some(mine) = self.consents.get_mut(&row.consent.subject_id)
            {
                mine.push(row.consent);
            }
        }
        Ok(())
    }

    /// Whether every stored account with this key is already in the cache (so a key not there is
    /// not on file).
    fn key_was_read(&self, key: &str) -> bool {
        // The span starting nearest below: spans may overlap, and one starting further below
        // that also holds the key is missed (an extra read, never a wrong answer).
        let up_to_key = (std::ops::Bound::Unbounded, std::ops::Bound::Included(key));
        let nearest = self.keys_read.range::<str, _>(up_to_key).next_back();
        nearest.is_some_and(|(_, to)| to.as_deref().is_none_or(|to| key <= to))
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

    /// Loads, on first need, the account's months on file (latest versions, deleted ones left
    /// out).
    pub(super) fn load_history(&mut self, index: usize) -> Result<()> {
        if self.accounts[index].history.is_none() {
            let rows = self.w.months(self.accounts[index].id, YearMonth::MIN, YearMonth::MAX, i64::MAX)?;
            let marks = rows
                .iter()
                .filter(|r| !r.deleted)
                .map(|r| (r.month, MonthMark::of_row(r)))
                .filter(|(_, mark)| mark.matters())
                .collect();
            self.accounts[index].history = Some(marks);
        }
        Ok(())
    }

    /// Loads, on first need, the days of the account's notices (with those that waited under
    /// `key` for its first report).
    pub(super) fn load_notices(&mut self, index: usize, key: &str) -> Result<()> {
        let account = self.accounts[index].id;
        if self.accounts[index].notices.is_none() {
            let mut days: Vec<Date> = self.w.notices_of(account)?.iter().map(|n| n.notified_on).collect();
            days.extend(self.w.pending_notices(self.org, key)?.iter().map(|n| n.notified_on));
            self.accounts[index].notices = Some(days);
        }
        Ok(())
    }

    /// What disputes deleted from the account (and the furnisher did not certify back).
    pub(super) fn dispute_deleted(&self, index: usize) -> Option<&DisputeDeleted> {
        self.dispute_deleted.accounts.get(&self.accounts[index].id)
    }

    /// Whether `retention run` removed the account (its newest month expired): its terms end in a
    /// deletion no batch made and no dispute made either (one certified back is the only kind of
    /// bureau deletion left, the others being refused as `DISPUTE_DELETED` first). Sent again, it
    /// would show the months left from before its delinquency as an open, current account.
    pub(super) fn removed_by_retention(&self, index: usize) -> bool {
        let info = &self.accounts[index];
        info.terms.deleted
            && info.terms.batch_id.is_none()
            && !self.dispute_deleted.reinserted_accounts.contains(&info.id)
    }

    /// Whether a dispute deleted the furnisher's agreement of this key (not certified back).
    pub(super) fn agreement_deleted(&self, key: &str) -> bool {
        self.dispute_deleted.agreements.contains(key)
    }

    /// The next version of a month of the account, counted as taken. A month not yet known is
    /// looked up alone: reading the account's whole history for each new month would cost more
    /// as the history grows.
    pub(super) fn next_month_version(&mut self, index: usize, month: YearMonth) -> Result<u32> {
        let info = &mut self.accounts[index];
        let after_newest = info.newest_stored.is_none_or(|newest| month > newest);
        if !info.all_months_loaded
            && !after_newest
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
