//! The stored form of the optional terms and month details (`account_versions.contract`,
//! `account_months.detail`): one nullable column each, so that the common account-month, which
//! has none, costs one byte (an SQLite NULL) rather than seven columns.
//!
//! Format version 1: a version byte `1`, then for each field present, in tag order, its tag byte
//! and its value. Codes are one length byte and their ASCII text; dates four bytes (Julian day,
//! little-endian); counts two bytes and amounts eight (little-endian). A newer version, an
//! unknown tag, a tag out of order or a short value is refused as corrupt: a reader never guesses.
//! Golden bytes in the tests below keep version 1 readable.

use crate::{Result, StoreError};
use ob_model::records::{ContractTerms, MonthDetail};
use ob_model::{GuaranteeMode, LoanKind, RepayFrequency, RepaymentMethod};
use time::Date;

/// The format version written.
const DETAIL_FORMAT_VERSION: u8 = 1;

/// The stored bytes of `c`; `None` when there is nothing to store.
pub fn encode_contract(c: &ContractTerms) -> Option<Vec<u8>> {
    if c.is_empty() {
        return None;
    }
    let mut out = vec![DETAIL_FORMAT_VERSION];
    put_code(&mut out, 1, c.loan_kind.map(LoanKind::as_str));
    put_code(&mut out, 2, c.guarantee.map(GuaranteeMode::as_str));
    if let Some(d) = c.maturity_on {
        out.push(3);
        out.extend_from_slice(&d.to_julian_day().to_le_bytes());
    }
    put_code(&mut out, 4, c.frequency.map(RepayFrequency::as_str));
    put_code(&mut out, 5, c.method.map(RepaymentMethod::as_str));
    Some(out)
}

/// The terms stored as `bytes` (`None`: a NULL column).
pub fn decode_contract(bytes: Option<&[u8]>) -> Result<ContractTerms> {
    let mut c = ContractTerms::default();
    let Some(bytes) = bytes else { return Ok(c) };
    let mut r = Fields::new(bytes)?;
    while let Some(tag) = r.tag()? {
        match tag {
            1 => c.loan_kind = Some(r.code(LoanKind::parse)?),
            2 => c.guarantee = Some(r.code(GuaranteeMode::parse)?),
            3 => {
                let day = i32::from_le_bytes(r.take()?);
                c.maturity_on = Some(Date::from_julian_day(day).map_err(|_| corrupt("maturity date out of range"))?);
            }
            4 => c.frequency = Some(r.code(RepayFrequency::parse)?),
            5 => c.method = Some(r.code(RepaymentMethod::parse)?),
            _ => return Err(corrupt("unknown field")),
        }
    }
    Ok(c)
}

/// The stored bytes of `d`; `None` when there is nothing to store.
pub fn encode_month(d: &MonthDetail) -> Option<Vec<u8>> {
    if d.is_empty() {
        return None;
    }
    let mut out = vec![DETAIL_FORMAT_VERSION];
    if let Some(p) = d.overdue_periods {
        out.push(1);
        out.extend_from_slice(&p.to_le_bytes());
    }
    let amounts = std::iter::once(d.overdue_principal_minor).chain(d.overdue_by_age_minor);
    for (tag, v) in (2u8..).zip(amounts) {
        if let Some(v) = v {
            out.push(tag);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    if let Some(p) = d.remaining_periods {
        out.push(7);
        out.extend_from_slice(&p.to_le_bytes());
    }
    Some(out)
}

/// The detail stored as `bytes` (`None`: a NULL column).
pub fn decode_month(bytes: Option<&[u8]>) -> Result<MonthDetail> {
    let mut d = MonthDetail::default();
    let Some(bytes) = bytes else { return Ok(d) };
    let mut r = Fields::new(bytes)?;
    while let Some(tag) = r.tag()? {
        match tag {
            1 => d.overdue_periods = Some(u16::from_le_bytes(r.take()?)),
            2 => d.overdue_principal_minor = Some(i64::from_le_bytes(r.take()?)),
            3..=6 => d.overdue_by_age_minor[usize::from(tag - 3)] = Some(i64::from_le_bytes(r.take()?)),
            7 => d.remaining_periods = Some(u16::from_le_bytes(r.take()?)),
            _ => return Err(corrupt("unknown field")),
        }
    }
    Ok(d)
}

fn put_code(out: &mut Vec<u8>, tag: u8, code: Option<&str>) {
    if let Some(code) = code {
        out.push(tag);
        // Codes are 1–2 ASCII characters (the lists' own symbols).
        out.push(code.len() as u8);
        out.extend_from_slice(code.as_bytes());
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("stored detail: {what}"))
}

/// A reader over the tagged fields, checking their order.
struct Fields<'a> {
    rest: &'a [u8],
    last_tag: u8,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Result<Fields<'a>> {
        match bytes.split_first() {
            Some((&DETAIL_FORMAT_VERSION, rest)) => Ok(Fields { rest, last_tag: 0 }),
            Some((v, _)) => Err(corrupt(&format!("format version {v}, this build reads {DETAIL_FORMAT_VERSION}"))),
            None => Err(corrupt("empty")),
        }
    }

    fn tag(&mut self) -> Result<Option<u8>> {
        let Some((&tag, rest)) = self.rest.split_first() else { return Ok(None) };
        if tag <= self.last_tag {
            return Err(corrupt("fields out of order"));
        }
        self.rest = rest;
        self.last_tag = tag;
        Ok(Some(tag))
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let (head, rest) = self.rest.split_at_checked(N).ok_or_else(|| corrupt("value cut short"))?;
        self.rest = rest;
        head.try_into().map_err(|_| corrupt("value cut short"))
    }

    fn code<T>(&mut self, parse: fn(&str) -> Option<T>) -> Result<T> {
        let [len] = self.take::<1>()?;
        let (text, rest) = self.rest.split_at_checked(usize::from(len)).ok_or_else(|| corrupt("code cut short"))?;
        self.rest = rest;
        std::str::from_utf8(text).ok().and_then(parse).ok_or_else(|| corrupt("code not on its list"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn full_contract() -> ContractTerms {
        ContractTerms {
            loan_kind: Some(LoanKind::Housing),
            guarantee: Some(GuaranteeMode::Mortgage),
            maturity_on: Some(date!(2044 - 03 - 10)),
            frequency: Some(RepayFrequency::Monthly),
            method: Some(RepaymentMethod::EqualInstalments),
        }
    }

    fn full_month() -> MonthDetail {
        MonthDetail {
            overdue_periods: Some(9),
            overdue_principal_minor: Some(500_000),
            overdue_by_age_minor: [Some(1), None, Some(3), Some(400_000)],
            remaining_periods: Some(212),
        }
    }

    /// Version 1's bytes, written once: they must stay readable whatever the build.
    const CONTRACT_V1: &[u8] =
        &[1, 1, 2, b'1', b'1', 2, 1, b'2', 3, 0x65, 0xa7, 0x25, 0x00, 4, 2, b'0', b'3', 5, 2, b'1', b'1'];
    const MONTH_V1: &[u8] = &[
        1, 1, 9, 0, 2, 0x20, 0xa1, 0x07, 0, 0, 0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 5, 3, 0, 0, 0, 0, 0, 0, 0, 6, 0x80,
        0x1a, 0x06, 0, 0, 0, 0, 0, 7, 212, 0,
    ];

    #[test]
    fn version_1_golden_bytes_read_and_write_the_same() {
        assert_eq!(decode_contract(Some(CONTRACT_V1)).unwrap(), full_contract());
        assert_eq!(encode_contract(&full_contract()).unwrap(), CONTRACT_V1);
        assert_eq!(decode_month(Some(MONTH_V1)).unwrap(), full_month());
        assert_eq!(encode_month(&full_month()).unwrap(), MONTH_V1);
    }

    #[test]
    fn nothing_is_stored_as_null_and_null_reads_as_nothing() {
        assert_eq!(encode_contract(&ContractTerms::default()), None);
        assert_eq!(encode_month(&MonthDetail::default()), None);
        assert_eq!(decode_contract(None).unwrap(), ContractTerms::default());
        assert_eq!(decode_month(None).unwrap(), MonthDetail::default());
    }

    #[test]
    fn damaged_bytes_are_refused_not_guessed() {
        let cases: &[&[u8]] =
            &[&[], &[2, 1, 2, b'1', b'1'], &[1, 9], &[1, 2, 1, b'2', 1, 2, b'1', b'1'], &[1, 3, 1], &[1, 1, 5, b'1']];
        for bytes in cases {
            assert!(matches!(decode_contract(Some(bytes)), Err(StoreError::Corrupt(_))), "{bytes:?}");
        }
        for bytes in [&[1u8, 2, 1][..], &[1, 8, 0, 0], &[1, 7, 1, 0, 1, 2, 0]] {
            assert!(matches!(decode_month(Some(bytes)), Err(StoreError::Corrupt(_))), "{bytes:?}");
        }
    }

    #[test]
    fn every_combination_of_fields_round_trips() {
        for mask in 0u32..(1 << 5) {
            let f = full_contract();
            let c = ContractTerms {
                loan_kind: f.loan_kind.filter(|_| mask & 1 != 0),
                guarantee: f.guarantee.filter(|_| mask & 2 != 0),
                maturity_on: f.maturity_on.filter(|_| mask & 4 != 0),
                frequency: f.frequency.filter(|_| mask & 8 != 0),
                method: f.method.filter(|_| mask & 16 != 0),
            };
            assert_eq!(decode_contract(encode_contract(&c).as_deref()).unwrap(), c);
        }
        for mask in 0u32..(1 << 7) {
            let f = full_month();
            let on = |bit: u32| mask & (1 << bit) != 0;
            let mut by_age = f.overdue_by_age_minor;
            for (i, v) in by_age.iter_mut().enumerate() {
                *v = v.filter(|_| on(2 + i as u32));
            }
            let d = MonthDetail {
                overdue_periods: f.overdue_periods.filter(|_| on(0)),
                overdue_principal_minor: f.overdue_principal_minor.filter(|_| on(1)),
                overdue_by_age_minor: by_age,
                remaining_periods: f.remaining_periods.filter(|_| on(6)),
            };
            assert_eq!(decode_month(encode_month(&d).as_deref()).unwrap(), d);
        }
    }
}
