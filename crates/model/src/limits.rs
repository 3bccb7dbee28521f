//! Every limit OpenBureau enforces, in one place (TigerBeetle style: put a limit on everything).
//!
//! A limit protects memory, storage or the person in the file. Changing one here changes it
//! everywhere; nothing else in the code base may hard-code these numbers.

/// Longest accepted line of a canonical JSON-lines file, in bytes. A record is a few hundred bytes;
/// 16 KiB leaves room for long names while stopping a runaway line from exhausting memory.
pub const LINE_BYTES_MAX: usize = 16 * 1024;

/// Most records in one furnisher batch. A batch is one transaction; bounding it bounds the
/// transaction's size and the per-batch duplicate-detection set.
pub const RECORDS_PER_BATCH_MAX: u64 = 20_000_000;

/// Longest person's name, in characters (Chinese names are 2–4; transliterated names are longer).
pub const NAME_CHARS_MAX: usize = 60;

/// Longest furnisher account key (Metro 2's consumer account number is 30; PBOC's account code 60).
pub const ACCOUNT_KEY_CHARS_MAX: usize = 60;

/// Longest organization code (PBOC institution codes are 14 characters).
pub const ORG_CODE_CHARS_MAX: usize = 20;

/// Longest organization display name, in characters.
pub const ORG_NAME_CHARS_MAX: usize = 80;

/// Longest consent reference given by a furnisher, in characters.
pub const CONSENT_REF_CHARS_MAX: usize = 64;

/// Largest amount in minor units (fen, cents): 10^15 minor units is 10 trillion yuan, far above
/// any single account, and keeps every sum of a person's accounts far from `i64` overflow.
pub const AMOUNT_MINOR_MAX: i64 = 1_000_000_000_000_000;

/// Largest days-past-due value accepted (about 27 years); beyond that the figure is an error.
pub const DAYS_PAST_DUE_MAX: u32 = 10_000;

/// A used amount above this percentage of the credit limit is rejected as unreasonable
/// (revolving accounts may exceed the limit by fees and interest, not by multiples).
pub const USED_OVER_LIMIT_PERCENT_MAX: i64 = 150;

/// Months of history shown per account in a report (the PBOC report's 5-year history).
pub const REPORT_HISTORY_MONTHS: u32 = 60;

/// Months in the status line at the top of each account (the PBOC report's 24-month line).
pub const REPORT_STATUS_LINE_MONTHS: u32 = 24;

/// Months over which the report's "average used" figures are taken.
pub const REPORT_AVERAGE_MONTHS: u32 = 6;

/// Months of inquiries summarised as "recent" (loan and card approvals) in a report.
pub const REPORT_RECENT_QUERY_MONTHS: u32 = 1;

/// Months of inquiries listed and summarised in a report (the PBOC report lists two years).
pub const REPORT_QUERY_MONTHS: u32 = 24;

/// Earliest and latest year a date may carry (the PBOC interface accepts 1901–2099).
pub const YEAR_MIN: i32 = 1901;
/// See [`YEAR_MIN`].
pub const YEAR_MAX: i32 = 2099;

/// Longest consent validity, in years; an authorization for longer is a data error.
pub const CONSENT_YEARS_MAX: i32 = 30;

/// Progress callbacks fire once per this many records, not per record.
pub const PROGRESS_EVERY_RECORDS: u64 = 10_000;
