//! From a simulated person to the lines of the furnisher files, with the deliberate mistakes.
//!
//! A person's lines in one file are contiguous and in this order: consents, account records,
//! notices, month records, corrections of earlier months, deletions, malformed lines. Each part
//! keeps the order the accounts were made in. Every account's first negative month of a
//! delinquency is preceded by a notice in the same file. Mistakes draw only from the person's
//! mistakes RNG: with every rate at zero, the files hold exactly the true records.

use crate::account::SimAccount;
use crate::format::FileFormat;
use crate::output::{ChunkOut, delivery_date};
use crate::params::{CORRECTION_LAG_MONTHS, NOTICE_DAYS_AFTER_DUE};
use crate::people::SimPerson;
use crate::truth::{AccountOrigin, Malformation, MonthValues};
use crate::{MistakeRates, OutputFormat, SimRng, Window};
use ob_model::records::{ConsentRecord, MonthRecord, NoticeRecord, Record};
use ob_model::{AccountType, ConsentScope, RepaymentStatus, YearMonth, limits};
use rand::RngExt;
use std::io;
use time::{Date, Duration};

/// Where a line goes within a person's lines of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Consent,
    Account,
    Notice,
    Month,
    Correction,
    Delete,
    Malformed,
}

/// A line before it is written: the person's own records by reference (most lines), records
/// made for the files (notices, wrong versions, invalid copies) boxed.
enum Line<'p> {
    Consent(&'p ConsentRecord),
    /// The opening of an account.
    Account(&'p SimAccount),
    /// A month of an account, as simulated.
    Month(&'p SimAccount, &'p MonthRecord),
    /// A wrong version of a month of an account.
    WrongMonth(&'p SimAccount, Box<MonthRecord>),
    /// The deletion of an account in the file of a month.
    Delete(&'p SimAccount, YearMonth),
    Record(Box<Record>),
    /// A record the format breaks as the malformation says.
    Broken(Malformation, Box<Record>),
}

impl Line<'_> {
    fn record(record: Record) -> Line<'static> {
        Line::Record(Box::new(record))
    }

    /// Writes the line; returns how many lines the format wrote (0: it has no place for it).
    fn write(&self, format: &dyn FileFormat, out: &mut Vec<u8>) -> io::Result<u64> {
        match self {
            Line::Consent(c) => format.record(&Record::Consent((*c).clone()), out),
            Line::Account(a) => format.account(a, out),
            Line::Month(a, m) => format.month(a, m, out),
            Line::WrongMonth(a, m) => format.month(a, m, out),
            Line::Delete(a, month) => format.delete(a, *month, out),
            Line::Record(r) => format.record(r, out),
            Line::Broken(kind, base) => format.malformed(*kind, base, out).map(|()| 1),
        }
    }
}

struct Item<'p> {
    file: usize,
    section: Section,
    seq: u32,
    line: Line<'p>,
    tag: Option<u32>,
}

/// A (file, line) in a chunk: the file's index and the 1-based line within the chunk's part of it.
pub(crate) type ChunkLine = (usize, u64);

/// What the truth says about a deliberate line, with lines counted within the chunk.
pub(crate) enum NoteExpect {
    /// Rejected as the malformation says.
    Reject(Malformation),
    /// A wrong month, corrected later.
    Corrected { month: YearMonth, sent: MonthValues, correct: MonthValues, by: ChunkLine, corrected_on: Date },
    /// The correction of an earlier wrong month.
    Correction { month: YearMonth, of: ChunkLine },
    /// An account reported by mistake, deleted later.
    DeletedLater { by: ChunkLine, deleted_on: Date },
    /// The deletion of an account reported by mistake.
    Delete { deleted_on: Date },
}

/// A deliberate line of a chunk.
pub(crate) struct Note {
    /// Where it is.
    pub(crate) at: ChunkLine,
    /// The account it is about.
    pub(crate) account_key: String,
    /// What the bureau must do.
    pub(crate) expect: NoteExpect,
}

/// A note before its lines are known: tags stand for lines.
enum TagExpect {
    Reject(Malformation),
    Corrected { month: YearMonth, sent: MonthValues, correct: MonthValues, by: u32, corrected_on: Date },
    Correction { month: YearMonth, of: u32 },
    DeletedLater { by: u32, deleted_on: Date },
    Delete { deleted_on: Date },
}

struct TagNote {
    tag: u32,
    account_key: String,
    expect: TagExpect,
}

/// Writes people's lines into a chunk.
pub(crate) struct Emitter<'a> {
    /// The format.
    pub(crate) format: &'a dyn FileFormat,
    /// The window.
    pub(crate) window: &'a Window,
    /// How many mistakes (US output: no malformed lines, see [`Emitter::new`]).
    rates: MistakeRates,
    /// US output: no wrong version a Metro 2 status cannot express.
    us: bool,
}

/// One person's lines while they are gathered.
struct Lines<'p> {
    person: &'p SimPerson,
    items: Vec<Item<'p>>,
    notes: Vec<TagNote>,
    seq: u32,
    tags: u32,
}

impl<'p> Lines<'p> {
    fn push(&mut self, file: Option<usize>, section: Section, line: Line<'p>, tagged: bool) -> Option<u32> {
        let file = file?;
        self.seq += 1;
        let tag = tagged.then(|| {
            self.tags += 1;
            self.tags
        });
        self.items.push(Item { file, section, seq: self.seq, line, tag });
        tag
    }

    fn note(&mut self, tag: Option<u32>, account_key: &str, expect: TagExpect) {
        if let Some(tag) = tag {
            self.notes.push(TagNote { tag, account_key: account_key.to_owned(), expect });
        }
    }
}

impl<'a> Emitter<'a> {
    /// The emitter of `format` over `window`. US output (Metro 2 and its twin) has no malformed
    /// lines: the twins must hold the same records, and Metro 2 breaks differently.
    pub(crate) fn new(output: OutputFormat, window: &'a Window, rates: &MistakeRates) -> Emitter<'a> {
        let us = output.is_us();
        let rates = if us { MistakeRates { malformed_per_million: 0, ..*rates } } else { *rates };
        Emitter { format: output.writer(), window, rates, us }
    }

    /// The index of the file of `furnisher` for `month`, if the month is in the window.
    pub(crate) fn file(&self, furnisher: usize, month: YearMonth) -> Option<usize> {
        let offset = usize::try_from(month.months_since(self.window.first)).ok()?;
        let months = usize::try_from(self.window.months).ok()?;
        (offset < months).then_some(furnisher * months + offset)
    }

    /// Appends `person`'s lines to `chunk`, and the notes about their deliberate lines.
    pub(crate) fn person(&self, person: &SimPerson, rng: &mut SimRng, chunk: &mut ChunkOut) -> io::Result<()> {
        let mut lines = Lines { person, items: Vec::new(), notes: Vec::new(), seq: 0, tags: 0 };
        for account in &person.accounts {
            self.account(account, &mut lines, rng);
        }
        let Lines { mut items, notes, tags, .. } = lines;
        items.sort_by_key(|i| (i.file, i.section, i.seq));
        let mut at = vec![(0, 0); usize::try_from(tags).unwrap_or(0) + 1];
        for item in items {
            let written = item.line.write(self.format, &mut chunk.files[item.file])?;
            // An account is counted though Metro 2 writes it within each month's record.
            if written == 0 && !matches!(item.line, Line::Account(_)) {
                continue;
            }
            chunk.lines[item.file] += written;
            chunk.counts.add(&item);
            if let Some(tag) = item.tag.filter(|_| written > 0) {
                at[tag as usize] = (item.file, chunk.lines[item.file]);
            }
        }
        chunk.notes.extend(notes.into_iter().map(|n| resolve(n, &at)));
        Ok(())
    }

    fn account<'p>(&self, a: &'p SimAccount, lines: &mut Lines<'p>, rng: &mut SimRng) {
        let first = self.file(a.furnisher, a.first_reported);
        if let Some(c) = &a.consent {
            lines.push(first, Section::Consent, Line::Consent(c), false);
        }
        let phantom = a.origin == AccountOrigin::ReportedByMistake;
        // The line that makes a phantom account known: its account record, or (formats that
        // carry the account in each month, Metro 2) its first month.
        let account_line = self.format.writes_account_lines();
        let mut opening = lines.push(first, Section::Account, Line::Account(a), phantom && account_line);
        let mut negative_before = false;
        for m in &a.months {
            let negative = m.status.is_negative();
            if negative && !negative_before {
                let notice = self.notice(a, m, rng);
                lines.push(
                    self.file(a.furnisher, m.month),
                    Section::Notice,
                    Line::record(Record::Notice(notice)),
                    false,
                );
            }
            if phantom {
                let tagged = !account_line && opening.is_none();
                let tag = lines.push(self.file(a.furnisher, m.month), Section::Month, Line::Month(a, m), tagged);
                opening = opening.or(tag);
            } else if !self.maybe_correct(a, m, negative_before, lines, rng) {
                self.maybe_malform(a, m, lines, rng);
            }
            negative_before = negative;
        }
        if let Some(delete_in) = a.delete_in {
            self.delete(a, delete_in, opening, lines, rng);
        }
    }

    /// The notice before a negative month: a few days after the missed due date, never after the
    /// month's settlement date nor before the account opened.
    fn notice(&self, a: &SimAccount, m: &MonthRecord, rng: &mut SimRng) -> NoticeRecord {
        let missed = m.settled_on.saturating_sub(Duration::days(i64::from(m.days_past_due)));
        let (low, high) = NOTICE_DAYS_AFTER_DUE;
        let base = missed.max(a.account.opened_on).max(m.month.first_day());
        let notified_on = base.saturating_add(Duration::days(rng.random_range(low..=high))).min(m.settled_on);
        NoticeRecord { account_key: a.account.account_key.clone(), notified_on, channel: a.notice_channel }
    }

    /// Sends month `m` (the true record, or — at the correction rate — a wrong version now and
    /// the true one in a later file). Returns whether it was corrected.
    fn maybe_correct<'p>(
        &self,
        a: &'p SimAccount,
        m: &'p MonthRecord,
        negative_before: bool,
        lines: &mut Lines<'p>,
        rng: &mut SimRng,
    ) -> bool {
        let file = self.file(a.furnisher, m.month);
        let chosen = rng.random_range(0..1_000_000) < self.rates.corrections_per_million;
        let wrong = chosen.then(|| wrong_version(m, negative_before, !self.us)).flatten();
        let (low, high) = CORRECTION_LAG_MONTHS;
        let later = wrong.as_ref().map(|_| m.month.plus(rng.random_range(low..=high)));
        let (Some(wrong), Some(later)) = (wrong, later.filter(|l| *l <= self.window.last)) else {
            lines.push(file, Section::Month, Line::Month(a, m), false);
            return false;
        };
        let sent = MonthValues::of(&wrong);
        let wrong_tag = lines.push(file, Section::Month, Line::WrongMonth(a, Box::new(wrong)), true);
        let fix_tag = lines.push(self.file(a.furnisher, later), Section::Correction, Line::Month(a, m), true);
        let (Some(by), Some(of)) = (fix_tag, wrong_tag) else { return true };
        let key = &a.account.account_key;
        let corrected_on = delivery_date(later);
        lines.note(
            wrong_tag,
            key,
            TagExpect::Corrected { month: m.month, sent, correct: MonthValues::of(m), by, corrected_on },
        );
        lines.note(fix_tag, key, TagExpect::Correction { month: m.month, of });
        true
    }

    /// At the malformed rate, follows month `m` with one malformed line of a kind drawn among
    /// those that apply.
    fn maybe_malform(&self, a: &SimAccount, m: &MonthRecord, lines: &mut Lines<'_>, rng: &mut SimRng) {
        if rng.random_range(0..1_000_000) >= self.rates.malformed_per_million {
            return;
        }
        let kinds = self.applicable(a, m, lines.person);
        let kind = kinds[rng.random_range(0..kinds.len())];
        let Some(line) = self.malformed(kind, a, m, lines.person) else { return };
        let tag = lines.push(self.file(a.furnisher, m.month), Section::Malformed, line, true);
        lines.note(tag, &a.account.account_key, TagExpect::Reject(kind));
    }

    /// The malformations that make sense for month `m` of account `a`.
    fn applicable(&self, a: &SimAccount, m: &MonthRecord, person: &SimPerson) -> Vec<Malformation> {
        use Malformation as M;
        let mut kinds = self.format.encoding_malformations().to_vec();
        kinds.extend([
            M::OutOfRange,
            M::StatusInconsistent,
            M::DateOrder,
            M::DateInFuture,
            M::MonthDuplicate,
            M::UnknownAccount,
            M::IdentityConflict,
        ]);
        if a.account.account_type != AccountType::C1 {
            kinds.push(M::UsedOverLimit);
        }
        if YearMonth::of(a.account.opened_on) == m.month {
            kinds.push(M::BeforeOpening);
        }
        if other_account(a, m, person).is_some() {
            kinds.push(M::NotOwnAccount);
        }
        kinds
    }

    /// The malformed line of `kind` made from month `m` of account `a`.
    fn malformed(
        &self,
        kind: Malformation,
        a: &SimAccount,
        m: &MonthRecord,
        person: &SimPerson,
    ) -> Option<Line<'static>> {
        use Malformation as M;
        let month = |f: &dyn Fn(&mut MonthRecord)| {
            let mut copy = m.clone();
            f(&mut copy);
            Some(Line::record(Record::Month(copy)))
        };
        match kind {
            M::DocumentInvalid => Some(Line::Broken(kind, Box::new(Record::Consent(consent_copy(person, m.month))))),
            M::IdentityConflict => {
                let mut c = consent_copy(person, m.month);
                c.subject.name.push('某');
                Some(Line::record(Record::Consent(c)))
            }
            k if self.format.encoding_malformations().contains(&k) => {
                Some(Line::Broken(k, Box::new(Record::Month(m.clone()))))
            }
            M::OutOfRange => month(&|c| c.balance_minor = -1),
            M::StatusInconsistent => month(&|c| {
                c.status = RepaymentStatus::Overdue1;
                c.days_past_due = 0;
                c.past_due_minor = 0;
            }),
            M::DateOrder => month(&|c| c.last_payment_on = Some(c.settled_on.saturating_add(Duration::days(1)))),
            M::DateInFuture => month(&|c| {
                c.month = c.month.plus(1);
                c.settled_on = c.month.last_day();
            }),
            M::MonthDuplicate => month(&|_| {}),
            M::UsedOverLimit => {
                let limit = m.credit_limit_minor.unwrap_or(a.account.credit_limit_minor);
                month(&|c| c.used_minor = (2 * limit + 2).min(limits::AMOUNT_MINOR_MAX))
            }
            M::BeforeOpening => month(&|c| {
                c.month = c.month.plus(-1);
                c.settled_on = c.month.last_day();
                c.last_payment_on = None;
                c.closed_on = None;
            }),
            M::UnknownAccount => month(&|c| c.account_key.push_str("-NOSUCH")),
            M::NotOwnAccount => {
                let other = other_account(a, m, person)?;
                month(&|c| c.account_key = other.to_owned())
            }
            _ => None,
        }
    }

    /// The deletion of an account reported by mistake, in the file of `delete_in`; in one such
    /// account of two (when malformed lines are on) a stray month for it follows the deletion.
    fn delete<'p>(
        &self,
        a: &'p SimAccount,
        delete_in: YearMonth,
        opening: Option<u32>,
        lines: &mut Lines<'p>,
        rng: &mut SimRng,
    ) {
        let key = &a.account.account_key;
        let file = self.file(a.furnisher, delete_in);
        let tag = lines.push(file, Section::Delete, Line::Delete(a, delete_in), true);
        let deleted_on = delivery_date(delete_in);
        if let Some(by) = tag {
            lines.note(opening, key, TagExpect::DeletedLater { by, deleted_on });
        }
        lines.note(tag, key, TagExpect::Delete { deleted_on });
        let stray = self.rates.malformed_per_million > 0 && rng.random_bool(0.5);
        if let (true, Some(last)) = (stray, a.months.last()) {
            let mut m = last.clone();
            m.month = delete_in;
            m.settled_on = delete_in.last_day();
            let tag = lines.push(file, Section::Malformed, Line::record(Record::Month(m)), true);
            lines.note(tag, key, TagExpect::Reject(Malformation::DeletedAccountMonth));
        }
    }
}

/// A wrong version of month `m`, if its status allows one that the bureau accepts: an overdue
/// month reported as normal when it starts a delinquency, with ten times its past-due amount
/// otherwise; a normal month with something due reported as "nothing due" (when the format has
/// `nothing_due`: Metro 2 has no such status).
fn wrong_version(m: &MonthRecord, negative_before: bool, nothing_due: bool) -> Option<MonthRecord> {
    let mut wrong = m.clone();
    if m.status.overdue_periods().is_some() {
        if negative_before {
            wrong.past_due_minor = m.past_due_minor.saturating_mul(10).min(limits::AMOUNT_MINOR_MAX);
        } else {
            wrong.status = RepaymentStatus::Normal;
            wrong.days_past_due = 0;
            wrong.past_due_minor = 0;
        }
        return Some(wrong);
    }
    if nothing_due && m.status == RepaymentStatus::Normal && m.due_minor > 0 {
        // Consistent with itself ("*" carries no amount due), wrong against the truth.
        wrong.status = RepaymentStatus::NothingDue;
        wrong.due_minor = 0;
        return Some(wrong);
    }
    None
}

/// The key of the person's account at another lender, reported before month `m` (so the bureau
/// has it on file), if there is one.
fn other_account<'p>(a: &SimAccount, m: &MonthRecord, person: &'p SimPerson) -> Option<&'p str> {
    person
        .accounts
        .iter()
        .find(|o| {
            o.furnisher != a.furnisher && o.first_reported < m.month && o.origin != AccountOrigin::ReportedByMistake
        })
        .map(|o| o.account.account_key.as_str())
}

/// A consent of the person, as a base for malformed consent lines.
fn consent_copy(person: &SimPerson, month: YearMonth) -> ConsentRecord {
    let granted_on = month.first_day();
    ConsentRecord {
        subject: person.identity.clone(),
        scope: ConsentScope::Report,
        purpose: None,
        granted_on,
        expires_on: crate::account::add_years(granted_on, 5),
        evidence_sha256: [0; 32],
        consent_ref: None,
    }
}

fn resolve(n: TagNote, at: &[ChunkLine]) -> Note {
    let line = |tag: u32| at.get(tag as usize).copied().unwrap_or((0, 0));
    let expect = match n.expect {
        TagExpect::Reject(kind) => NoteExpect::Reject(kind),
        TagExpect::Corrected { month, sent, correct, by, corrected_on } => {
            NoteExpect::Corrected { month, sent, correct, by: line(by), corrected_on }
        }
        TagExpect::Correction { month, of } => NoteExpect::Correction { month, of: line(of) },
        TagExpect::DeletedLater { by, deleted_on } => NoteExpect::DeletedLater { by: line(by), deleted_on },
        TagExpect::Delete { deleted_on } => NoteExpect::Delete { deleted_on },
    };
    Note { at: line(n.tag), account_key: n.account_key, expect }
}

impl crate::output::Counts {
    /// Counts one line written.
    fn add(&mut self, item: &Item) {
        if item.section == Section::Malformed {
            self.malformed += 1;
            return;
        }
        if item.section == Section::Correction {
            self.corrections += 1;
            return;
        }
        match &item.line {
            Line::Consent(_) => self.consents += 1,
            Line::Account(_) => self.accounts += 1,
            Line::Month(..) | Line::WrongMonth(..) => self.months += 1,
            Line::Delete(..) => self.deletions += 1,
            Line::Record(r) => match **r {
                Record::Consent(_) => self.consents += 1,
                Record::Account(_) => self.accounts += 1,
                Record::Month(_) => self.months += 1,
                Record::Notice(_) => self.notices += 1,
                Record::Delete(_) => self.deletions += 1,
                // The simulator changes no account keys and reports no special transactions or agreements.
                Record::Rekey(_) | Record::Special(_) | Record::Agreement(_) => {}
            },
            Line::Broken(..) => self.malformed += 1,
        }
    }
}
