//! The packed form of an account-month in the SQLite store (`account_months.body`, schema 9).
//!
//! An account-month is most of the store (30.9 M of them at 1 M people). As twenty SQLite
//! columns it cost 66.8 bytes of payload, a third of it the record header (a byte per column) and
//! dates written as ten characters of text. Packed, the key columns stay columns (the primary key,
//! the person, the batch and the time recorded, which queries filter on) and the rest is one BLOB
//! of about 17 bytes.
//!
//! Format version 1: a version byte `1`, a flags byte, then variable-length integers (LEB128;
//! signed values zigzag-encoded), each field relative to a neighbour it is usually close to:
//!
//! | field | stored as | flag |
//! |---|---|---|
//! | settlement date | days after the first day of the row's month | |
//! | balance | the amount | |
//! | used amount | minus the balance (the two are usually equal) | |
//! | amount due | the amount | |
//! | amount paid | minus the amount due | |
//! | amount past due | the amount | bit 6 (absent: 0) |
//! | days past due | the count | bit 7 (absent: 0) |
//! | status | its one-character symbol | |
//! | classification | its one-character symbol | bit 0 |
//! | last payment date | days before the settlement date | bit 1 |
//! | closing date | days before the settlement date | bit 2 |
//! | credit limit | the amount | bit 3 |
//! | detail | a length, then [`crate::detail`]'s bytes | bit 5 |
//!
//! Bit 4 of the flags marks a version that deletes the month. Differences are taken with
//! wrapping arithmetic, so every `i64` round-trips. A newer version, a flag or value this build
//! does not know, a short value or bytes left over are refused as corrupt: a reader never guesses.
//! The golden bytes in the tests below keep version 1 readable.

use crate::{AccountId, BatchId, MonthRow, Result, StoreError, SubjectId};
use ob_model::{Classification, RepaymentStatus, YearMonth};
use time::Date;

/// The format version written.
const FORMAT_VERSION: u8 = 1;

const CLASS5: u8 = 1;
const LAST_PAYMENT: u8 = 1 << 1;
const CLOSED: u8 = 1 << 2;
const CREDIT_LIMIT: u8 = 1 << 3;
const DELETED: u8 = 1 << 4;
const DETAIL: u8 = 1 << 5;
const PAST_DUE: u8 = 1 << 6;
const DAYS_PAST_DUE: u8 = 1 << 7;

/// The key columns of an account-month, kept beside its body.
#[derive(Clone, Copy, Debug)]
pub struct MonthHead {
    /// The account.
    pub account_id: AccountId,
    /// The month (the settlement date is stored relative to its first day).
    pub month: YearMonth,
    /// The version.
    pub version: u32,
    /// The person.
    pub subject_id: SubjectId,
    /// The batch it came in.
    pub batch_id: Option<BatchId>,
    /// When recorded.
    pub recorded_at: i64,
}

/// The body of `m` (everything but its key columns).
pub fn encode(m: &MonthRow) -> Vec<u8> {
    let detail = crate::detail::encode_month(&m.detail);
    let flags = flag(m.class5.is_some(), CLASS5)
        | flag(m.last_payment_on.is_some(), LAST_PAYMENT)
        | flag(m.closed_on.is_some(), CLOSED)
        | flag(m.credit_limit_minor.is_some(), CREDIT_LIMIT)
        | flag(m.deleted, DELETED)
        | flag(detail.is_some(), DETAIL)
        | flag(m.past_due_minor != 0, PAST_DUE)
        | flag(m.days_past_due != 0, DAYS_PAST_DUE);
    let mut out = Vec::with_capacity(24);
    out.extend_from_slice(&[FORMAT_VERSION, flags]);
    put_signed(&mut out, days_between(m.month.first_day(), m.settled_on));
    put_signed(&mut out, m.balance_minor);
    put_signed(&mut out, m.used_minor.wrapping_sub(m.balance_minor));
    put_signed(&mut out, m.due_minor);
    put_signed(&mut out, m.paid_minor.wrapping_sub(m.due_minor));
    if flags & PAST_DUE != 0 {
        put_signed(&mut out, m.past_due_minor);
    }
    if flags & DAYS_PAST_DUE != 0 {
        put_unsigned(&mut out, u64::from(m.days_past_due));
    }
    out.push(symbol(m.status.as_str()));
    if let Some(c) = m.class5 {
        out.push(symbol(c.as_str()));
    }
    for day in [m.last_payment_on, m.closed_on].into_iter().flatten() {
        put_signed(&mut out, days_between(day, m.settled_on));
    }
    if let Some(limit) = m.credit_limit_minor {
        put_signed(&mut out, limit);
    }
    if let Some(d) = detail {
        put_unsigned(&mut out, d.len() as u64);
        out.extend_from_slice(&d);
    }
    out
}

/// The account-month whose key columns are `head` and whose body is `bytes`.
pub fn decode(head: MonthHead, bytes: &[u8]) -> Result<MonthRow> {
    let mut r = Bytes(bytes);
    match r.byte()? {
        FORMAT_VERSION => {}
        v => return Err(corrupt(&format!("format version {v}, this build reads {FORMAT_VERSION}"))),
    }
    let flags = r.byte()?;
    let settled_on = add_days(head.month.first_day(), r.signed()?)?;
    let balance_minor = r.signed()?;
    let used_minor = r.signed()?.wrapping_add(balance_minor);
    let due_minor = r.signed()?;
    let paid_minor = r.signed()?.wrapping_add(due_minor);
    let past_due_minor = if flags & PAST_DUE != 0 { r.signed()? } else { 0 };
    let days_past_due = if flags & DAYS_PAST_DUE != 0 {
        u32::try_from(r.unsigned()?).map_err(|_| corrupt("days past due out of range"))?
    } else {
        0
    };
    let status = r.code(RepaymentStatus::parse)?;
    let class5 = (flags & CLASS5 != 0).then(|| r.code(Classification::parse)).transpose()?;
    let mut before_settled = |bit: u8| -> Result<Option<Date>> {
        if flags & bit == 0 {
            return Ok(None);
        }
        let back = r.signed()?;
        add_days(settled_on, back.checked_neg().ok_or_else(|| corrupt("date out of range"))?).map(Some)
    };
    let last_payment_on = before_settled(LAST_PAYMENT)?;
    let closed_on = before_settled(CLOSED)?;
    let credit_limit_minor = (flags & CREDIT_LIMIT != 0).then(|| r.signed()).transpose()?;
    let detail = if flags & DETAIL != 0 {
        let len = usize::try_from(r.unsigned()?).map_err(|_| corrupt("detail length out of range"))?;
        let bytes = r.take(len)?;
        crate::detail::decode_month(Some(bytes))?
    } else {
        Default::default()
    };
    if !r.0.is_empty() {
        return Err(corrupt("bytes left over"));
    }
    Ok(MonthRow {
        account_id: head.account_id,
        month: head.month,
        version: head.version,
        subject_id: head.subject_id,
        batch_id: head.batch_id,
        recorded_at: head.recorded_at,
        settled_on,
        balance_minor,
        used_minor,
        due_minor,
        paid_minor,
        past_due_minor,
        days_past_due,
        status,
        class5,
        last_payment_on,
        closed_on,
        credit_limit_minor,
        deleted: flags & DELETED != 0,
        detail,
    })
}

fn flag(on: bool, bit: u8) -> u8 {
    if on { bit } else { 0 }
}

/// The byte of a one-character ASCII symbol. Every symbol of the status and classification
/// lists is one (a test checks each), so the fallback `?` is never written; were it, the row
/// would be refused on reading, not misread.
fn symbol(s: &str) -> u8 {
    match s.as_bytes() {
        [b] if b.is_ascii() => *b,
        _ => b'?',
    }
}

fn days_between(from: Date, to: Date) -> i64 {
    i64::from(to.to_julian_day()) - i64::from(from.to_julian_day())
}

fn add_days(from: Date, days: i64) -> Result<Date> {
    i64::from(from.to_julian_day())
        .checked_add(days)
        .and_then(|d| i32::try_from(d).ok())
        .and_then(|d| Date::from_julian_day(d).ok())
        .ok_or_else(|| corrupt("date out of range"))
}

fn put_unsigned(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put_unsigned(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("stored account-month: {what}"))
}

/// A reader over the body's bytes.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn byte(&mut self) -> Result<u8> {
        let (&b, rest) = self.0.split_first().ok_or_else(|| corrupt("cut short"))?;
        self.0 = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n).ok_or_else(|| corrupt("cut short"))?;
        self.0 = rest;
        Ok(head)
    }

    fn unsigned(&mut self) -> Result<u64> {
        let mut v = 0u64;
        // Ten bytes hold 64 bits; the tenth may carry only the top bit.
        for i in 0..10 {
            let b = self.byte()?;
            if i == 9 && b > 1 {
                return Err(corrupt("integer too long"));
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt("integer too long"))
    }

    fn signed(&mut self) -> Result<i64> {
        let v = self.unsigned()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn code<T>(&mut self, parse: fn(&str) -> Option<T>) -> Result<T> {
        let b = self.byte()?;
        std::str::from_utf8(&[b]).ok().and_then(parse).ok_or_else(|| corrupt("code not on its list"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ob_model::records::MonthDetail;
    use proptest::prelude::*;
    use time::macros::date;

    fn head() -> MonthHead {
        MonthHead {
            account_id: AccountId(7),
            month: YearMonth::new(2026, 3).unwrap(),
            version: 2,
            subject_id: SubjectId(3),
            batch_id: Some(BatchId(11)),
            recorded_at: 1_790_000_000,
        }
    }

    /// A month as most are: current, paid, a last payment, no detail.
    fn common() -> MonthRow {
        let h = head();
        MonthRow {
            account_id: h.account_id,
            month: h.month,
            version: h.version,
            subject_id: h.subject_id,
            batch_id: h.batch_id,
            recorded_at: h.recorded_at,
            settled_on: date!(2026 - 03 - 31),
            balance_minor: 1_200_000,
            used_minor: 1_200_000,
            due_minor: 35_000,
            paid_minor: 35_000,
            past_due_minor: 0,
            days_past_due: 0,
            status: RepaymentStatus::Normal,
            class5: Some(Classification::Normal),
            last_payment_on: Some(date!(2026 - 03 - 28)),
            closed_on: None,
            credit_limit_minor: None,
            deleted: false,
            detail: MonthDetail::default(),
        }
    }

    /// Every field set, amounts past due.
    fn full() -> MonthRow {
        MonthRow {
            past_due_minor: 70_000,
            days_past_due: 45,
            status: RepaymentStatus::Overdue2,
            class5: Some(Classification::SpecialMention),
            closed_on: Some(date!(2026 - 03 - 30)),
            credit_limit_minor: Some(5_000_000),
            deleted: true,
            detail: MonthDetail { overdue_periods: Some(2), ..Default::default() },
            ..common()
        }
    }

    /// Version 1's bytes, written once: they must stay readable whatever the build.
    const COMMON_V1: &[u8] = &[1, 3, 60, 128, 190, 146, 1, 0, 240, 162, 4, 0, b'N', b'1', 6];
    const FULL_V1: &[u8] = &[
        1, 255, 60, 128, 190, 146, 1, 0, 240, 162, 4, 0, 224, 197, 8, 45, b'2', b'2', 6, 2, 128, 173, 226, 4, 4, 1, 1,
        2, 0,
    ];

    #[test]
    fn version_1_golden_bytes_read_and_write_the_same() {
        assert_eq!(encode(&common()), COMMON_V1);
        assert_eq!(decode(head(), COMMON_V1).unwrap(), common());
        assert_eq!(encode(&full()), FULL_V1);
        assert_eq!(decode(head(), FULL_V1).unwrap(), full());
    }

    #[test]
    fn every_status_and_class_is_one_byte_and_round_trips() {
        for &status in RepaymentStatus::ALL {
            for class5 in Classification::ALL.iter().copied().map(Some).chain([None]) {
                let m = MonthRow { status, class5, ..common() };
                assert_eq!(decode(head(), &encode(&m)).unwrap(), m, "{status:?} {class5:?}");
            }
        }
    }

    #[test]
    fn damaged_bytes_are_refused_not_guessed() {
        let mut left_over = COMMON_V1.to_vec();
        left_over.push(0);
        let mut newer = COMMON_V1.to_vec();
        newer[0] = 2;
        let mut bad_code = COMMON_V1.to_vec();
        bad_code[12] = b'Q';
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![1],
            COMMON_V1[..COMMON_V1.len() - 1].to_vec(),
            left_over,
            newer,
            bad_code,
            vec![1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ];
        for bytes in cases {
            assert!(matches!(decode(head(), &bytes), Err(StoreError::Corrupt(_))), "{bytes:?}");
        }
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (Date::MIN.to_julian_day()..=Date::MAX.to_julian_day()).prop_map(|d| Date::from_julian_day(d).unwrap())
    }

    proptest! {
        #[test]
        fn any_month_round_trips(
            amounts in proptest::array::uniform6(any::<i64>()),
            days_past_due in any::<u32>(),
            settled_on in any_date(),
            last_payment_on in proptest::option::of(any_date()),
            closed_on in proptest::option::of(any_date()),
            credit_limit_minor in proptest::option::of(any::<i64>()),
            deleted in any::<bool>(),
            status in proptest::sample::select(RepaymentStatus::ALL),
            remaining in proptest::option::of(any::<u16>()),
        ) {
            let m = MonthRow {
                settled_on,
                balance_minor: amounts[0],
                used_minor: amounts[1],
                due_minor: amounts[2],
                paid_minor: amounts[3],
                past_due_minor: amounts[4],
                days_past_due,
                status,
                last_payment_on,
                closed_on,
                credit_limit_minor,
                deleted,
                detail: MonthDetail { remaining_periods: remaining, overdue_principal_minor: Some(amounts[5]), ..Default::default() },
                ..common()
            };
            prop_assert_eq!(decode(head(), &encode(&m)).unwrap(), m);
        }
    }
}
