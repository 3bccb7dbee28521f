//! The stable diagnostic codes of the Metro 2 module and the format's code lists.

use std::fmt;

macro_rules! diagnostic_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $sym:literal ),+ $(,)?) => {
        /// A stable Metro 2 diagnostic code. Codes never change meaning; new ones are only added.
        /// Documented in docs/formats/metro2.md.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )+
        }

        impl Code {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[ $( Code::$variant ),+ ];

            /// The code as written in output, e.g. `M2_FIELD_NUMERIC`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $sym, )+ }
            }
        }
    };
}

diagnostic_codes! {
    /// The input holds no bytes (or only line breaks).
    FileEmpty = "M2_FILE_EMPTY",
    /// The first record is neither character nor packed Metro 2 (no RDW, no HEADER/base layout).
    FormatUnknown = "M2_FORMAT_UNKNOWN",
    /// The file ends inside a record or block.
    Truncated = "M2_TRUNCATED",
    /// A record descriptor word is not a valid length; reading cannot find the next record.
    RdwInvalid = "M2_RDW_INVALID",
    /// A block descriptor word is not a valid length.
    BdwInvalid = "M2_BDW_INVALID",
    /// Some records are in blocks and others not: a file's first record decides, and every record
    /// follows it (but a variable file's trailer, which may go unblocked).
    BlockingMixed = "M2_BLOCKING_MIXED",
    /// A record is shorter than its base segment, or does not fit its block.
    RecordLength = "M2_RECORD_LENGTH",
    /// The file does not start with a header record.
    HeaderMissing = "M2_HEADER_MISSING",
    /// A header record after the first record.
    RecordUnexpected = "M2_RECORD_UNEXPECTED",
    /// The file ends without a trailer record.
    TrailerMissing = "M2_TRAILER_MISSING",
    /// Bytes other than line breaks after the trailer record.
    AfterTrailer = "M2_AFTER_TRAILER",
    /// An appended segment has an unknown identifier (the rest of the record is not read).
    SegmentUnknown = "M2_SEGMENT_UNKNOWN",
    /// An appended segment is cut off by the end of its record.
    SegmentLength = "M2_SEGMENT_LENGTH",
    /// K1, K2, K3, K4, L1 or N1 appears more than once in a record.
    SegmentRepeated = "M2_SEGMENT_REPEATED",
    /// Appended segments are not in the order J1, J2, K1, K2, K3, K4, L1, N1.
    SegmentOrder = "M2_SEGMENT_ORDER",
    /// A required field is blank or zero.
    FieldRequired = "M2_FIELD_REQUIRED",
    /// A numeric field holds something other than digits.
    FieldNumeric = "M2_FIELD_NUMERIC",
    /// A text field holds a byte outside printable ASCII.
    FieldText = "M2_FIELD_TEXT",
    /// A date or time stamp is not a real date (MMDDYYYY, years 1901–2099) or time.
    FieldDate = "M2_FIELD_DATE",
    /// A packed field has a bad nibble, sign, marker byte or a value too large for its digits.
    FieldPacked = "M2_FIELD_PACKED",
    /// A date lies after the day the file is validated on.
    DateFuture = "M2_DATE_FUTURE",
    /// A value is not on the field's code list.
    CodeInvalid = "M2_CODE_INVALID",
    /// A social security number that cannot have been issued (area 000, 666 or 9xx, group 00 or
    /// serial 0000). The number itself is never printed.
    SsnInvalid = "M2_SSN_INVALID",
    /// An individual taxpayer identification number (ITIN: area 9xx, group 50–65, 70–88, 90–92 or
    /// 94–99) in the social security number field: an ITIN is not an SSN. Never printed.
    SsnItin = "M2_SSN_ITIN",
    /// The furnisher's identification number is all zeros or all nines: a placeholder, not the
    /// number the bureau gave the furnisher.
    IdNumberInvalid = "M2_ID_NUMBER_INVALID",
    /// The payment rating is blank for a status that needs one (05, 13, 65, 88, 89, 94, 95) or
    /// present for one that must not have one.
    RatingStatus = "M2_RATING_STATUS",
    /// The payment history profile holds a character not on the list, or a `B` followed by history.
    HistoryProfile = "M2_HISTORY_PROFILE",
    /// A paid or closed status (13, 61–65) without a date closed.
    DateClosed = "M2_DATE_CLOSED",
    /// A delinquent, paid-after-delinquency or charge-off status without a date of first delinquency.
    FirstDelinquency = "M2_FIRST_DELINQUENCY",
    /// Dates out of order: opened, first delinquency, closed or last payment after the date of
    /// account information, or closed before opened.
    DateOrder = "M2_DATE_ORDER",
    /// Amount past due zero for a delinquent status (71–84), or non-zero for a current or paid one.
    PastDue = "M2_PAST_DUE",
    /// A non-zero current balance for a paid or closed status (13, 61–65).
    BalanceNotZero = "M2_BALANCE_NOT_ZERO",
    /// A revolving or line-of-credit account (portfolio R or C) without a credit limit.
    CreditLimit = "M2_CREDIT_LIMIT",
    /// Neither SSN nor date of birth for a consumer whose ECOA code is not Z.
    IdentityMissing = "M2_IDENTITY_MISSING",
    /// A field that must be blank given another field (e.g. K2 name when the indicator is 9).
    FieldUnexpected = "M2_FIELD_UNEXPECTED",
    /// A trailer total differs from what the file's records add up to.
    TrailerMismatch = "M2_TRAILER_MISMATCH",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Portfolio types: line of credit, installment, mortgage, open, revolving.
pub(crate) const PORTFOLIO_TYPES: &[u8] = b"CIMOR";

/// Account types (CDIA Exhibit 1), two characters each.
pub(crate) const ACCOUNT_TYPES: &[&[u8; 2]] = &[
    b"00", b"01", b"02", b"03", b"04", b"05", b"06", b"07", b"08", b"0A", b"0C", b"0F", b"0G", b"10", b"11", b"12",
    b"13", b"15", b"17", b"18", b"19", b"20", b"25", b"26", b"29", b"2A", b"2C", b"37", b"3A", b"43", b"47", b"48",
    b"4D", b"50", b"5A", b"5B", b"65", b"66", b"67", b"68", b"69", b"6A", b"6B", b"6D", b"70", b"71", b"72", b"73",
    b"74", b"75", b"77", b"7A", b"7B", b"89", b"8A", b"8B", b"90", b"91", b"92", b"93", b"95", b"9A", b"9B",
];

/// Account statuses, in the order of their trailer totals.
pub(crate) const ACCOUNT_STATUSES: [&[u8; 2]; 23] = [
    b"DF", b"DA", b"05", b"11", b"13", b"61", b"62", b"63", b"64", b"65", b"71", b"78", b"80", b"82", b"83", b"84",
    b"88", b"89", b"93", b"94", b"95", b"96", b"97",
];

/// Statuses that need a payment rating; every other status must leave it blank.
pub(crate) const RATED_STATUSES: &[&[u8; 2]] = &[b"05", b"13", b"65", b"88", b"89", b"94", b"95"];

/// Payment ratings: 0 current, 1–6 late buckets, G collection, L charge-off.
pub(crate) const PAYMENT_RATINGS: &[u8] = b"0123456GL";

/// Payment history profile characters.
pub(crate) const HISTORY_CHARS: &[u8] = b"0123456BDEGHJKL";

/// Special comment codes (CDIA Exhibit 7); one-letter codes are left-justified, blank-filled.
pub(crate) const SPECIAL_COMMENTS: &[&[u8; 2]] = &[
    b"B ", b"C ", b"H ", b"I ", b"M ", b"O ", b"S ", b"V ", b"AB", b"AC", b"AH", b"AI", b"AM", b"AN", b"AO", b"AP",
    b"AS", b"AT", b"AU", b"AV", b"AW", b"AX", b"AZ", b"BA", b"BB", b"BC", b"BD", b"BE", b"BF", b"BG", b"BH", b"BI",
    b"BJ", b"BK", b"BL", b"BN", b"BO", b"BP", b"BS", b"BT", b"CH", b"CI", b"CJ", b"CK", b"CL", b"CM", b"CN", b"CO",
    b"CP", b"CS", b"DE",
];

/// Compliance condition codes (CDIA Exhibit 8), XR removing a previous one.
pub(crate) const COMPLIANCE_CODES: &[&[u8; 2]] =
    &[b"XA", b"XB", b"XC", b"XD", b"XE", b"XF", b"XG", b"XH", b"XJ", b"XR"];

/// Terms frequencies.
pub(crate) const TERMS_FREQUENCIES: &[u8] = b"DPWBEMLQTSY";

/// ECOA codes.
pub(crate) const ECOA_CODES: &[u8] = b"12357TWXZ";

/// Interest type indicators: fixed, variable.
pub(crate) const INTEREST_TYPES: &[u8] = b"FV";

/// Generation codes: junior, senior, II–IX.
pub(crate) const GENERATION_CODES: &[u8] = b"JS23456789";

/// Address indicators.
pub(crate) const ADDRESS_INDICATORS: &[u8] = b"CYNMSBUDP";

/// Residence codes: owns, rents.
pub(crate) const RESIDENCE_CODES: &[u8] = b"OR";

/// US Postal Service state codes: states, DC, territories and military.
pub(crate) const US_STATES: &[&[u8; 2]] = &[
    b"AL", b"AK", b"AZ", b"AR", b"CA", b"CO", b"CT", b"DE", b"DC", b"FL", b"GA", b"HI", b"ID", b"IL", b"IN", b"IA",
    b"KS", b"KY", b"LA", b"ME", b"MD", b"MA", b"MI", b"MN", b"MS", b"MO", b"MT", b"NE", b"NV", b"NH", b"NJ", b"NM",
    b"NY", b"NC", b"ND", b"OH", b"OK", b"OR", b"PA", b"RI", b"SC", b"SD", b"TN", b"TX", b"UT", b"VT", b"VA", b"WA",
    b"WV", b"WI", b"WY", b"AS", b"FM", b"GU", b"MH", b"MP", b"PW", b"PR", b"VI", b"AA", b"AE", b"AP",
];

/// Whether a 2-byte value is on a list of 2-byte codes.
#[inline]
pub(crate) fn in_list2(list: &[&[u8; 2]], v: &[u8]) -> bool {
    let Ok(v) = <[u8; 2]>::try_from(v) else { return false };
    list.iter().any(|c| **c == v)
}

/// Whether a 1-byte value is on a list of 1-byte codes.
pub(crate) fn in_list1(list: &[u8], v: &[u8]) -> bool {
    matches!(v, [b] if list.contains(b))
}

/// Index of an account status in [`ACCOUNT_STATUSES`] (and so in the trailer's status totals).
pub(crate) fn status_index(v: &[u8]) -> Option<usize> {
    let v = <[u8; 2]>::try_from(v).ok()?;
    ACCOUNT_STATUSES.iter().position(|c| **c == v)
}

/// Statuses that need a payment rating.
pub(crate) fn is_rated_status(status: &[u8]) -> bool {
    in_list2(RATED_STATUSES, status)
}

/// 30 to 180+ days late: the amount past due must be positive.
pub(crate) fn is_delinquent_status(status: &[u8]) -> bool {
    in_list2(&[b"71", b"78", b"80", b"82", b"83", b"84"], status)
}

/// Current or paid: the amount past due must be zero.
pub(crate) fn is_current_or_paid_status(status: &[u8]) -> bool {
    in_list2(&[b"11", b"13", b"61", b"62", b"63", b"64", b"65"], status)
}

/// Paid or closed: balance zero and a date closed.
pub(crate) fn is_paid_or_closed_status(status: &[u8]) -> bool {
    in_list2(&[b"13", b"61", b"62", b"63", b"64", b"65"], status)
}

/// Statuses that need a date of first delinquency whatever the payment rating.
pub(crate) fn needs_first_delinquency(status: &[u8], rating: &[u8]) -> bool {
    const ALWAYS: &[&[u8; 2]] = &[
        b"61", b"62", b"63", b"64", b"65", b"71", b"78", b"80", b"82", b"83", b"84", b"88", b"89", b"93", b"94", b"95",
        b"96", b"97",
    ];
    in_list2(ALWAYS, status) || (in_list2(&[b"05", b"13"], status) && in_list1(b"123456GL", rating))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_prefixed() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(c.as_str().starts_with("M2_"));
            assert!(seen.insert(c.as_str()), "{c}");
        }
    }

    #[test]
    fn lists() {
        assert_eq!(status_index(b"DF"), Some(0));
        assert_eq!(status_index(b"97"), Some(22));
        assert!(needs_first_delinquency(b"13", b"2"));
        assert!(!needs_first_delinquency(b"13", b"0"));
        assert!(in_list2(SPECIAL_COMMENTS, b"M "));
        assert!(!in_list1(ECOA_CODES, b"4"));
    }
}
