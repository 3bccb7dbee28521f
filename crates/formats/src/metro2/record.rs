//! Typed records: header, base segment, appended segments, trailer; parsed from and written to
//! bytes in any [`Format`].
//!
//! Text fields are kept without their trailing blanks; every byte maps to the Unicode code point
//! of the same value (Latin-1), so any byte survives a round trip through JSON. Amounts are whole
//! dollars, dates `Option<time::Date>` (`None` when zero-filled).

use super::decode::{self, Bad, Ymd};
use super::json::serde_dates;
use super::layout::{self, F, Kind, TRAILER_TOTALS};
use super::reader::{RecordRef, Tail};
use super::validate::Diagnostic;
use super::writer::WriteError;
use super::{Code, Format, Segment};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, PrimitiveDateTime};

/// A social security number (9 digits as a number; 0 or 999999999 when not reported). Its
/// `Debug` form shows only the last four digits.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ssn(#[serde(deserialize_with = "serde_dates::number_or_digits")] pub u32);

impl fmt::Debug for Ssn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ssn(*****{:04})", self.0 % 10_000)
    }
}

/// The header record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeaderRecord {
    /// Cycle identifier, when reporting by cycles.
    pub cycle_identifier: String,
    /// Innovis program identifier.
    pub innovis_program_identifier: String,
    /// Equifax program identifier.
    pub equifax_program_identifier: String,
    /// Experian program identifier.
    pub experian_program_identifier: String,
    /// TransUnion program identifier.
    pub trans_union_program_identifier: String,
    /// Date of the most recent update to the accounts (required).
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub activity_date: Option<Date>,
    /// Date the file was created (required).
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub date_created: Option<Date>,
    /// Date the reporting format was developed.
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub program_date: Option<Date>,
    /// Date the reporting format was last revised.
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub program_revision_date: Option<Date>,
    /// Name of the furnisher or processor sending the file (required).
    pub reporter_name: String,
    /// Its complete mailing address (required).
    pub reporter_address: String,
    /// Its telephone number (10 digits).
    pub reporter_telephone_number: u64,
    /// Software vendor name.
    pub software_vendor_name: String,
    /// Software version number.
    pub software_version_number: String,
    /// PRBC program identifier.
    pub prbc_program_identifier: String,
    /// The reserved filler, kept as read (blank in a well-formed file).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reserved: String,
}

/// The base segment of a data record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BaseSegment {
    /// Processing indicator (a constant 1).
    pub processing_indicator: u8,
    /// When the account information was updated.
    #[serde(with = "serde_dates::stamp", skip_serializing_if = "Option::is_none")]
    pub time_stamp: Option<PrimitiveDateTime>,
    /// Correction indicator (formerly used; 0).
    #[serde(skip_serializing_if = "is_zero_u8")]
    pub correction_indicator: u8,
    /// The furnisher's identification number (required).
    pub identification_number: String,
    /// Cycle identifier.
    pub cycle_identifier: String,
    /// The consumer's account number (required).
    pub consumer_account_number: String,
    /// Portfolio type: C, I, M, O or R.
    pub portfolio_type: String,
    /// Account type (CDIA Exhibit 1).
    pub account_type: String,
    /// Date opened (required).
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub date_opened: Option<Date>,
    /// Credit limit, whole dollars.
    #[serde(rename = "creditLimit")]
    pub credit_limit_dollars: i64,
    /// Highest credit or original loan amount, whole dollars.
    #[serde(rename = "highestCredit")]
    pub highest_credit_dollars: i64,
    /// Terms duration: months, years, `LOC` or `REV`.
    pub terms_duration: String,
    /// Terms frequency.
    pub terms_frequency: String,
    /// Scheduled monthly payment, whole dollars.
    #[serde(rename = "scheduledMonthlyPaymentAmount")]
    pub scheduled_monthly_payment_dollars: i64,
    /// Actual payment, whole dollars.
    #[serde(rename = "actualPaymentAmount")]
    pub actual_payment_dollars: i64,
    /// Account status.
    pub account_status: String,
    /// Payment rating (with statuses 05, 13, 65, 88, 89, 94, 95).
    pub payment_rating: String,
    /// 24 months of payment history, most recent first.
    pub payment_history_profile: String,
    /// Special comment code.
    pub special_comment: String,
    /// Compliance condition code.
    pub compliance_condition_code: String,
    /// Current balance, whole dollars.
    #[serde(rename = "currentBalance")]
    pub current_balance_dollars: i64,
    /// Amount past due, whole dollars.
    #[serde(rename = "amountPastDue")]
    pub amount_past_due_dollars: i64,
    /// Original charge-off amount, whole dollars.
    #[serde(rename = "originalChargeOffAmount")]
    pub original_charge_off_dollars: i64,
    /// Date of account information (required).
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub date_account_information: Option<Date>,
    /// Date of first delinquency.
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub date_first_delinquency: Option<Date>,
    /// Date closed.
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub date_closed: Option<Date>,
    /// Date of last payment.
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub date_last_payment: Option<Date>,
    /// Interest type indicator: F or V.
    pub interest_type_indicator: String,
    /// The reserved filler, kept as read.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reserved: String,
    /// Surname of the primary consumer.
    pub surname: String,
    /// First name.
    pub first_name: String,
    /// Middle name.
    pub middle_name: String,
    /// Generation code.
    pub generation_code: String,
    /// Social security number.
    pub social_security_number: Ssn,
    /// Date of birth.
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub date_birth: Option<Date>,
    /// Telephone number (10 digits).
    pub telephone_number: u64,
    /// ECOA code.
    pub ecoa_code: String,
    /// Consumer information indicator.
    pub consumer_information_indicator: String,
    /// Country code.
    pub country_code: String,
    /// First line of address.
    pub first_line_address: String,
    /// Second line of address.
    pub second_line_address: String,
    /// City.
    pub city: String,
    /// State code.
    pub state: String,
    /// ZIP code.
    pub zip_code: String,
    /// Address indicator.
    pub address_indicator: String,
    /// Residence code.
    pub residence_code: String,
}

/// J1: associated consumer at the same address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct J1Segment {
    /// Filler after the identifier, kept as read.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reserved1: String,
    /// Surname.
    pub surname: String,
    /// First name.
    pub first_name: String,
    /// Middle name.
    pub middle_name: String,
    /// Generation code.
    pub generation_code: String,
    /// Social security number.
    pub social_security_number: Ssn,
    /// Date of birth.
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub date_birth: Option<Date>,
    /// Telephone number.
    pub telephone_number: u64,
    /// ECOA code.
    pub ecoa_code: String,
    /// Consumer information indicator.
    pub consumer_information_indicator: String,
    /// Filler at the end, kept as read.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reserved2: String,
}

/// J2: associated consumer at another address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct J2Segment {
    /// Filler after the identifier, kept as read.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reserved1: String,
    /// Surname.
    pub surname: String,
    /// First name.
    pub first_name: String,
    /// Middle name.
    pub middle_name: String,
    /// Generation code.
    pub generation_code: String,
    /// Social security number.
    pub social_security_number: Ssn,
    /// Date of birth.
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub date_birth: Option<Date>,
    /// Telephone number.
    pub telephone_number: u64,
    /// ECOA code.
    pub ecoa_code: String,
    /// Consumer information indicator.
    pub consumer_information_indicator: String,
    /// Country code.
    pub country_code: String,
    /// First line of address.
    pub first_line_address: String,
    /// Second line of address.
    pub second_line_address: String,
    /// City.
    pub city: String,
    /// State code.
    pub state: String,
    /// ZIP code.
    pub zip_code: String,
    /// Address indicator.
    pub address_indicator: String,
    /// Residence code.
    pub residence_code: String,
    /// Filler at the end, kept as read.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reserved2: String,
}

/// K1: original creditor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct K1Segment {
    /// Original creditor's name.
    pub original_creditor_name: String,
    /// Creditor classification, 1–15.
    pub creditor_classification: u8,
}

/// K2: purchased from or sold to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct K2Segment {
    /// 1 purchased from, 2 sold to, 9 remove.
    pub purchased_indicator: u8,
    /// The other company's name.
    pub purchased_name: String,
    /// Filler, kept as read.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reserved: String,
}

/// K3: mortgage information.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct K3Segment {
    /// 0 none, 1 Fannie Mae, 2 Freddie Mac.
    pub agency_identifier: u8,
    /// The agency's account number.
    pub account_number: String,
    /// Mortgage identification number (MIN).
    pub mortgage_identification_number: String,
}

/// K4: specialized payment information.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct K4Segment {
    /// 1 balloon payment, 2 deferred payment.
    pub specialized_payment_indicator: u8,
    /// When deferred payments start.
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub deferred_payment_start_date: Option<Date>,
    /// When the balloon payment is due.
    #[serde(with = "serde_dates::date", skip_serializing_if = "Option::is_none")]
    pub balloon_payment_due_date: Option<Date>,
    /// Balloon payment, whole dollars.
    #[serde(rename = "balloonPaymentAmount")]
    pub balloon_payment_dollars: i64,
    /// Filler, kept as read.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reserved: String,
}

/// L1: account number or identification number change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct L1Segment {
    /// 1 account number, 2 identification number, 3 both.
    pub change_indicator: u8,
    /// The new consumer account number.
    pub new_consumer_account_number: String,
    /// The new identification number.
    pub new_identification_number: String,
    /// Filler, kept as read.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reserved: String,
}

/// N1: employment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct N1Segment {
    /// Employer's name.
    pub employer_name: String,
    /// First line of the employer's address.
    pub first_line_employer_address: String,
    /// Second line of the employer's address.
    pub second_line_employer_address: String,
    /// Employer's city.
    pub employer_city: String,
    /// Employer's state.
    pub employer_state: String,
    /// Employer's ZIP code.
    pub zip_code: String,
    /// Occupation.
    pub occupation: String,
    /// Filler, kept as read.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reserved: String,
}

/// A data record: the base segment and its appended segments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataRecord {
    /// The base segment.
    pub base: BaseSegment,
    /// J1 segments, in order.
    pub j1: Vec<J1Segment>,
    /// J2 segments, in order.
    pub j2: Vec<J2Segment>,
    /// K1 segment.
    pub k1: Option<K1Segment>,
    /// K2 segment.
    pub k2: Option<K2Segment>,
    /// K3 segment.
    pub k3: Option<K3Segment>,
    /// K4 segment.
    pub k4: Option<K4Segment>,
    /// L1 segment.
    pub l1: Option<L1Segment>,
    /// N1 segment.
    pub n1: Option<N1Segment>,
}

macro_rules! trailer_record {
    ($( $(#[doc = $doc:literal])* $field:ident = $json:literal ),+ $(,)?) => {
        /// The trailer record: the file's totals.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct TrailerRecord {
            $( $(#[doc = $doc])* #[serde(rename = $json)] pub $field: u64, )+
            /// Filler after the total of base records, kept as read.
            #[serde(skip_serializing_if = "String::is_empty")]
            pub reserved1: String,
            /// Filler at the end, kept as read.
            #[serde(skip_serializing_if = "String::is_empty")]
            pub reserved2: String,
        }

        impl TrailerRecord {
            /// The totals in trailer position order.
            pub(crate) fn totals(&self) -> [u64; TRAILER_TOTALS] {
                [$( self.$field ),+]
            }

            /// A trailer with these totals and blank fillers.
            pub(crate) fn from_totals(totals: [u64; TRAILER_TOTALS]) -> TrailerRecord {
                let [$( $field ),+] = totals;
                TrailerRecord { $( $field, )+ reserved1: String::new(), reserved2: String::new() }
            }
        }
    };
}

trailer_record! {
    /// Base segments in the file.
    total_base_records = "totalBaseRecords",
    /// Base segments with status DF.
    total_status_code_df = "totalStatusCodeDF",
    /// J1 segments (not counting blank ones).
    total_consumer_segments_j1 = "totalConsumerSegmentsJ1",
    /// J2 segments.
    total_consumer_segments_j2 = "totalConsumerSegmentsJ2",
    /// Blocks in the file (variable blocking; header and trailer blocks included), else 0.
    block_count = "blockCount",
    /// Status DA.
    total_status_code_da = "totalStatusCodeDA",
    /// Status 05.
    total_status_code_05 = "totalStatusCode05",
    /// Status 11.
    total_status_code_11 = "totalStatusCode11",
    /// Status 13.
    total_status_code_13 = "totalStatusCode13",
    /// Status 61.
    total_status_code_61 = "totalStatusCode61",
    /// Status 62.
    total_status_code_62 = "totalStatusCode62",
    /// Status 63.
    total_status_code_63 = "totalStatusCode63",
    /// Status 64.
    total_status_code_64 = "totalStatusCode64",
    /// Status 65.
    total_status_code_65 = "totalStatusCode65",
    /// Status 71.
    total_status_code_71 = "totalStatusCode71",
    /// Status 78.
    total_status_code_78 = "totalStatusCode78",
    /// Status 80.
    total_status_code_80 = "totalStatusCode80",
    /// Status 82.
    total_status_code_82 = "totalStatusCode82",
    /// Status 83.
    total_status_code_83 = "totalStatusCode83",
    /// Status 84.
    total_status_code_84 = "totalStatusCode84",
    /// Status 88.
    total_status_code_88 = "totalStatusCode88",
    /// Status 89.
    total_status_code_89 = "totalStatusCode89",
    /// Status 93.
    total_status_code_93 = "totalStatusCode93",
    /// Status 94.
    total_status_code_94 = "totalStatusCode94",
    /// Status 95.
    total_status_code_95 = "totalStatusCode95",
    /// Status 96.
    total_status_code_96 = "totalStatusCode96",
    /// Status 97.
    total_status_code_97 = "totalStatusCode97",
    /// Consumers (base, J1, J2) with ECOA code Z.
    total_ecoa_code_z = "totalECOACodeZ",
    /// N1 segments.
    total_employment_segments = "totalEmploymentSegments",
    /// K1 segments.
    total_original_creditor_segments = "totalOriginalCreditorSegments",
    /// K2 segments.
    total_purchased_to_segments = "totalPurchasedToSegments",
    /// K3 segments.
    total_mortgage_information_segments = "totalMortgageInformationSegments",
    /// K4 segments.
    total_payment_information_segments = "totalPaymentInformationSegments",
    /// L1 segments.
    total_change_segments = "totalChangeSegments",
    /// SSNs reported in base, J1 and J2 (not zero- or 9-filled).
    total_social_numbers_all_segments = "totalSocialNumbersAllSegments",
    /// SSNs in base segments.
    total_social_numbers_base_segments = "totalSocialNumbersBaseSegments",
    /// SSNs in J1 segments.
    total_social_numbers_j1_segments = "totalSocialNumbersJ1Segments",
    /// SSNs in J2 segments.
    total_social_numbers_j2_segments = "totalSocialNumbersJ2Segments",
    /// Dates of birth in base, J1 and J2.
    total_dates_birth_all_segments = "totalDatesBirthAllSegments",
    /// Dates of birth in base segments.
    total_dates_birth_base_segments = "totalDatesBirthBaseSegments",
    /// Dates of birth in J1 segments.
    total_dates_birth_j1_segments = "totalDatesBirthJ1Segments",
    /// Dates of birth in J2 segments.
    total_dates_birth_j2_segments = "totalDatesBirthJ2Segments",
    /// Telephone numbers in base, J1 and J2.
    total_telephone_numbers_all_segments = "totalTelephoneNumbersAllSegments",
}

fn is_zero_u8(v: &u8) -> bool {
    *v == 0
}

/// Reads fields from one segment's bytes, collecting every problem.
struct Fields<'a, 'e> {
    bytes: &'a [u8],
    format: Format,
    segment: Segment,
    /// Offset of the segment in the file.
    offset: u64,
    record: u64,
    errors: &'e mut Vec<Diagnostic>,
}

impl Fields<'_, '_> {
    fn fail(&mut self, f: &F, bad: Bad) {
        let code = match bad {
            Bad::Numeric => Code::FieldNumeric,
            Bad::Date => Code::FieldDate,
            Bad::Packed | Bad::PackedRange => Code::FieldPacked,
        };
        self.errors.push(Diagnostic {
            record: self.record,
            offset: self.offset + f.at as u64,
            segment: self.segment,
            field: f.name,
            code,
            message: bad.message().into(),
        });
    }

    /// Text without trailing blanks, each byte as the code point of the same value.
    fn text(&self, f: &F) -> String {
        let b = f.bytes(self.bytes);
        let end = b.iter().rposition(|&c| c != b' ').map_or(0, |i| i + 1);
        b.get(..end).unwrap_or(&[]).iter().map(|&c| char::from(c)).collect()
    }

    fn num(&mut self, f: &F) -> u64 {
        decode::number(f, f.bytes(self.bytes), self.format).unwrap_or_else(|bad| {
            self.fail(f, bad);
            0
        })
    }

    fn small(&mut self, f: &F) -> u8 {
        u8::try_from(self.num(f)).unwrap_or(u8::MAX)
    }

    fn amount(&mut self, f: &F) -> i64 {
        i64::try_from(self.num(f)).unwrap_or(i64::MAX)
    }

    fn ssn(&mut self, f: &F) -> Ssn {
        Ssn(u32::try_from(self.num(f)).unwrap_or(u32::MAX))
    }

    fn date(&mut self, f: &F) -> Option<Date> {
        match decode::date(f, f.bytes(self.bytes), self.format) {
            Ok(d) => d.and_then(Ymd::to_date),
            Err(bad) => {
                self.fail(f, bad);
                None
            }
        }
    }

    fn stamp(&mut self, f: &F) -> Option<PrimitiveDateTime> {
        match decode::stamp(f, f.bytes(self.bytes), self.format) {
            Ok(s) => s.and_then(|(d, secs)| {
                let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
                let time = time::Time::from_hms(h as u8, m as u8, s as u8).ok()?;
                Some(PrimitiveDateTime::new(d.to_date()?, time))
            }),
            Err(bad) => {
                self.fail(f, bad);
                None
            }
        }
    }
}

impl HeaderRecord {
    /// Parses a header record's bytes (from its RDW).
    pub(crate) fn parse(bytes: &[u8], format: Format, record: u64, offset: u64) -> Result<Self, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        short(bytes, format, Segment::Header, record, offset, &mut errors);
        let l = layout::header_layout(format);
        let mut p = Fields { bytes, format, segment: Segment::Header, offset, record, errors: &mut errors };
        let h = HeaderRecord {
            cycle_identifier: p.text(&l.cycle_identifier),
            innovis_program_identifier: p.text(&l.innovis_program_identifier),
            equifax_program_identifier: p.text(&l.equifax_program_identifier),
            experian_program_identifier: p.text(&l.experian_program_identifier),
            trans_union_program_identifier: p.text(&l.trans_union_program_identifier),
            activity_date: p.date(&l.activity_date),
            date_created: p.date(&l.date_created),
            program_date: p.date(&l.program_date),
            program_revision_date: p.date(&l.program_revision_date),
            reporter_name: p.text(&l.reporter_name),
            reporter_address: p.text(&l.reporter_address),
            reporter_telephone_number: p.num(&l.reporter_telephone_number),
            software_vendor_name: p.text(&l.software_vendor_name),
            software_version_number: p.text(&l.software_version_number),
            prbc_program_identifier: p.text(&l.prbc_program_identifier),
            reserved: p.text(&l.reserved),
        };
        if errors.is_empty() { Ok(h) } else { Err(errors) }
    }

    /// Writes the header record (RDW included) in `format`.
    pub(crate) fn write(&self, format: Format, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let l = layout::header_layout(format);
        let mut w = Out::new(out, format.record_bytes(), format, Segment::Header);
        w.descriptor(format.record_bytes())?;
        w.text(&l.record_identifier, "HEADER")?;
        w.text(&l.cycle_identifier, &self.cycle_identifier)?;
        w.text(&l.innovis_program_identifier, &self.innovis_program_identifier)?;
        w.text(&l.equifax_program_identifier, &self.equifax_program_identifier)?;
        w.text(&l.experian_program_identifier, &self.experian_program_identifier)?;
        w.text(&l.trans_union_program_identifier, &self.trans_union_program_identifier)?;
        w.date(&l.activity_date, self.activity_date)?;
        w.date(&l.date_created, self.date_created)?;
        w.date(&l.program_date, self.program_date)?;
        w.date(&l.program_revision_date, self.program_revision_date)?;
        w.text(&l.reporter_name, &self.reporter_name)?;
        w.text(&l.reporter_address, &self.reporter_address)?;
        w.num(&l.reporter_telephone_number, self.reporter_telephone_number)?;
        w.text(&l.software_vendor_name, &self.software_vendor_name)?;
        w.text(&l.software_version_number, &self.software_version_number)?;
        w.text(&l.prbc_program_identifier, &self.prbc_program_identifier)?;
        w.text(&l.reserved, &self.reserved)
    }
}

impl TrailerRecord {
    /// Parses a trailer record's bytes.
    pub(crate) fn parse(bytes: &[u8], format: Format, record: u64, offset: u64) -> Result<Self, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        short(bytes, format, Segment::Trailer, record, offset, &mut errors);
        let l = layout::trailer_layout(format);
        let mut p = Fields { bytes, format, segment: Segment::Trailer, offset, record, errors: &mut errors };
        let mut totals = [0u64; TRAILER_TOTALS];
        for (t, f) in totals.iter_mut().zip(&l.totals) {
            *t = p.num(f);
        }
        let mut t = TrailerRecord::from_totals(totals);
        t.reserved1 = p.text(&l.reserved1);
        t.reserved2 = p.text(&l.reserved2);
        if errors.is_empty() { Ok(t) } else { Err(errors) }
    }

    /// Writes the trailer record in `format`.
    pub(crate) fn write(&self, format: Format, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let l = layout::trailer_layout(format);
        let mut w = Out::new(out, format.record_bytes(), format, Segment::Trailer);
        w.descriptor(format.record_bytes())?;
        w.text(&l.record_identifier, "TRAILER")?;
        for (f, v) in l.totals.iter().zip(self.totals()) {
            w.num(f, v)?;
        }
        w.text(&l.reserved1, &self.reserved1)?;
        w.text(&l.reserved2, &self.reserved2)
    }
}

/// Notes a record shorter than its format's fixed length.
fn short(bytes: &[u8], format: Format, segment: Segment, record: u64, offset: u64, errors: &mut Vec<Diagnostic>) {
    if bytes.len() < format.record_bytes() {
        let message = format!("{} bytes, shorter than {}", bytes.len(), format.record_bytes());
        errors.push(Diagnostic {
            record,
            offset,
            segment,
            field: "",
            code: Code::RecordLength,
            message: message.into(),
        });
    }
}

impl DataRecord {
    /// Parses a data record as read. Blank placeholder segments are dropped, trailing padding
    /// ignored; an unknown, cut-off or repeated segment is an error.
    pub fn parse(rec: &RecordRef<'_>) -> Result<DataRecord, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let mut out = DataRecord { base: parse_base(rec, &mut errors), ..DataRecord::default() };
        for span in rec.spans {
            let len = span.segment.appended_bytes().unwrap_or(0);
            let bytes = rec.bytes.get(span.at..span.at + len).unwrap_or(&[]);
            if !super::totals::segment_has_data(bytes) {
                continue;
            }
            let mut p = Fields {
                bytes,
                format: Format::Character,
                segment: span.segment,
                offset: rec.file_offset(span.at),
                record: rec.number,
                errors: &mut errors,
            };
            if !out.add_segment(&mut p) {
                let message = "this segment may appear only once per record".into();
                let code = Code::SegmentRepeated;
                let (record, offset, segment) = (rec.number, rec.file_offset(span.at), span.segment);
                errors.push(Diagnostic { record, offset, segment, field: "", code, message });
            }
        }
        tail_errors(rec, &mut errors);
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }

    /// Parses one appended segment into its slot; `false` if a single-use slot is taken.
    fn add_segment(&mut self, p: &mut Fields<'_, '_>) -> bool {
        fn put<T>(slot: &mut Option<T>, v: T) -> bool {
            let free = slot.is_none();
            *slot = Some(v);
            free
        }
        match p.segment {
            Segment::J1 => self.j1.push(parse_j1(p)),
            Segment::J2 => self.j2.push(parse_j2(p)),
            Segment::K1 => return put(&mut self.k1, parse_k1(p)),
            Segment::K2 => return put(&mut self.k2, parse_k2(p)),
            Segment::K3 => return put(&mut self.k3, parse_k3(p)),
            Segment::K4 => return put(&mut self.k4, parse_k4(p)),
            Segment::L1 => return put(&mut self.l1, parse_l1(p)),
            Segment::N1 => return put(&mut self.n1, parse_n1(p)),
            _ => {}
        }
        true
    }

    /// The record's length in `format` (base plus appended segments), in bytes.
    pub fn len_in(&self, format: Format) -> usize {
        let seg = |s: Segment| s.appended_bytes().unwrap_or(0);
        let singles = [
            (self.k1.is_some(), Segment::K1),
            (self.k2.is_some(), Segment::K2),
            (self.k3.is_some(), Segment::K3),
            (self.k4.is_some(), Segment::K4),
            (self.l1.is_some(), Segment::L1),
            (self.n1.is_some(), Segment::N1),
        ];
        format.record_bytes()
            + self.j1.len() * seg(Segment::J1)
            + self.j2.len() * seg(Segment::J2)
            + singles.iter().filter(|(present, _)| *present).map(|(_, s)| seg(*s)).sum::<usize>()
    }

    /// Writes the record (RDW, base, segments in J1, J2, K1–K4, L1, N1 order) in `format`.
    pub(crate) fn write(&self, format: Format, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let len = self.len_in(format);
        write_base(&self.base, format, len, out)?;
        for j in &self.j1 {
            write_j1(j, out)?;
        }
        for j in &self.j2 {
            write_j2(j, out)?;
        }
        if let Some(k) = &self.k1 {
            let mut w = Out::segment(out, Segment::K1);
            w.text(&layout::K1.original_creditor_name, &k.original_creditor_name)?;
            w.num(&layout::K1.creditor_classification, k.creditor_classification.into())?;
        }
        if let Some(k) = &self.k2 {
            let mut w = Out::segment(out, Segment::K2);
            w.num(&layout::K2.purchased_indicator, k.purchased_indicator.into())?;
            w.text(&layout::K2.purchased_name, &k.purchased_name)?;
            w.text(&layout::K2.reserved, &k.reserved)?;
        }
        if let Some(k) = &self.k3 {
            let mut w = Out::segment(out, Segment::K3);
            w.num(&layout::K3.agency_identifier, k.agency_identifier.into())?;
            w.text(&layout::K3.account_number, &k.account_number)?;
            w.text(&layout::K3.mortgage_identification_number, &k.mortgage_identification_number)?;
        }
        if let Some(k) = &self.k4 {
            write_k4(k, out)?;
        }
        if let Some(l) = &self.l1 {
            let mut w = Out::segment(out, Segment::L1);
            w.num(&layout::L1.change_indicator, l.change_indicator.into())?;
            w.text(&layout::L1.new_consumer_account_number, &l.new_consumer_account_number)?;
            w.text(&layout::L1.new_identification_number, &l.new_identification_number)?;
            w.text(&layout::L1.reserved, &l.reserved)?;
        }
        if let Some(n) = &self.n1 {
            write_n1(n, out)?;
        }
        Ok(())
    }
}

fn tail_errors(rec: &RecordRef<'_>, errors: &mut Vec<Diagnostic>) {
    let (at, segment, code, message) = match rec.tail {
        Tail::Clean | Tail::Padding => return,
        Tail::Unknown(at) => (at, Segment::Base, Code::SegmentUnknown, "unknown segment identifier"),
        Tail::Cut(at, s) => (at, s, Code::SegmentLength, "segment cut off by the record's end"),
    };
    let offset = rec.file_offset(at);
    errors.push(Diagnostic { record: rec.number, offset, segment, field: "", code, message: message.into() });
}

fn parse_base(rec: &RecordRef<'_>, errors: &mut Vec<Diagnostic>) -> BaseSegment {
    let format = rec.format;
    let l = layout::base_layout(format);
    let bytes = rec.base();
    short(bytes, format, Segment::Base, rec.number, rec.offset, errors);
    let mut p = Fields { bytes, format, segment: Segment::Base, offset: rec.offset, record: rec.number, errors };
    BaseSegment {
        processing_indicator: p.small(&l.processing_indicator),
        time_stamp: p.stamp(&l.time_stamp),
        correction_indicator: p.small(&l.correction_indicator),
        identification_number: p.text(&l.identification_number),
        cycle_identifier: p.text(&l.cycle_identifier),
        consumer_account_number: p.text(&l.consumer_account_number),
        portfolio_type: p.text(&l.portfolio_type),
        account_type: p.text(&l.account_type),
        date_opened: p.date(&l.date_opened),
        credit_limit_dollars: p.amount(&l.credit_limit),
        highest_credit_dollars: p.amount(&l.highest_credit),
        terms_duration: p.text(&l.terms_duration),
        terms_frequency: p.text(&l.terms_frequency),
        scheduled_monthly_payment_dollars: p.amount(&l.scheduled_monthly_payment),
        actual_payment_dollars: p.amount(&l.actual_payment),
        account_status: p.text(&l.account_status),
        payment_rating: p.text(&l.payment_rating),
        payment_history_profile: p.text(&l.payment_history_profile),
        special_comment: p.text(&l.special_comment),
        compliance_condition_code: p.text(&l.compliance_condition_code),
        current_balance_dollars: p.amount(&l.current_balance),
        amount_past_due_dollars: p.amount(&l.amount_past_due),
        original_charge_off_dollars: p.amount(&l.original_charge_off),
        date_account_information: p.date(&l.date_account_information),
        date_first_delinquency: p.date(&l.date_first_delinquency),
        date_closed: p.date(&l.date_closed),
        date_last_payment: p.date(&l.date_last_payment),
        interest_type_indicator: p.text(&l.interest_type_indicator),
        reserved: p.text(&l.reserved),
        surname: p.text(&l.surname),
        first_name: p.text(&l.first_name),
        middle_name: p.text(&l.middle_name),
        generation_code: p.text(&l.generation_code),
        social_security_number: p.ssn(&l.social_security_number),
        date_birth: p.date(&l.date_birth),
        telephone_number: p.num(&l.telephone_number),
        ecoa_code: p.text(&l.ecoa_code),
        consumer_information_indicator: p.text(&l.consumer_information_indicator),
        country_code: p.text(&l.country_code),
        first_line_address: p.text(&l.first_line_address),
        second_line_address: p.text(&l.second_line_address),
        city: p.text(&l.city),
        state: p.text(&l.state),
        zip_code: p.text(&l.zip_code),
        address_indicator: p.text(&l.address_indicator),
        residence_code: p.text(&l.residence_code),
    }
}

fn parse_j1(p: &mut Fields<'_, '_>) -> J1Segment {
    let l = &layout::J1;
    J1Segment {
        reserved1: p.text(&l.reserved1),
        surname: p.text(&l.surname),
        first_name: p.text(&l.first_name),
        middle_name: p.text(&l.middle_name),
        generation_code: p.text(&l.generation_code),
        social_security_number: p.ssn(&l.social_security_number),
        date_birth: p.date(&l.date_birth),
        telephone_number: p.num(&l.telephone_number),
        ecoa_code: p.text(&l.ecoa_code),
        consumer_information_indicator: p.text(&l.consumer_information_indicator),
        reserved2: p.text(&l.reserved2),
    }
}

fn parse_j2(p: &mut Fields<'_, '_>) -> J2Segment {
    let l = &layout::J2;
    J2Segment {
        reserved1: p.text(&l.reserved1),
        surname: p.text(&l.surname),
        first_name: p.text(&l.first_name),
        middle_name: p.text(&l.middle_name),
        generation_code: p.text(&l.generation_code),
        social_security_number: p.ssn(&l.social_security_number),
        date_birth: p.date(&l.date_birth),
        telephone_number: p.num(&l.telephone_number),
        ecoa_code: p.text(&l.ecoa_code),
        consumer_information_indicator: p.text(&l.consumer_information_indicator),
        country_code: p.text(&l.country_code),
        first_line_address: p.text(&l.first_line_address),
        second_line_address: p.text(&l.second_line_address),
        city: p.text(&l.city),
        state: p.text(&l.state),
        zip_code: p.text(&l.zip_code),
        address_indicator: p.text(&l.address_indicator),
        residence_code: p.text(&l.residence_code),
        reserved2: p.text(&l.reserved2),
    }
}

fn parse_k1(p: &mut Fields<'_, '_>) -> K1Segment {
    let l = &layout::K1;
    K1Segment {
        original_creditor_name: p.text(&l.original_creditor_name),
        creditor_classification: p.small(&l.creditor_classification),
    }
}

fn parse_k2(p: &mut Fields<'_, '_>) -> K2Segment {
    let l = &layout::K2;
    K2Segment {
        purchased_indicator: p.small(&l.purchased_indicator),
        purchased_name: p.text(&l.purchased_name),
        reserved: p.text(&l.reserved),
    }
}

fn parse_k3(p: &mut Fields<'_, '_>) -> K3Segment {
    let l = &layout::K3;
    K3Segment {
        agency_identifier: p.small(&l.agency_identifier),
        account_number: p.text(&l.account_number),
        mortgage_identification_number: p.text(&l.mortgage_identification_number),
    }
}

fn parse_k4(p: &mut Fields<'_, '_>) -> K4Segment {
    let l = &layout::K4;
    K4Segment {
        specialized_payment_indicator: p.small(&l.specialized_payment_indicator),
        deferred_payment_start_date: p.date(&l.deferred_payment_start_date),
        balloon_payment_due_date: p.date(&l.balloon_payment_due_date),
        balloon_payment_dollars: p.amount(&l.balloon_payment_amount),
        reserved: p.text(&l.reserved),
    }
}

fn parse_l1(p: &mut Fields<'_, '_>) -> L1Segment {
    let l = &layout::L1;
    L1Segment {
        change_indicator: p.small(&l.change_indicator),
        new_consumer_account_number: p.text(&l.new_consumer_account_number),
        new_identification_number: p.text(&l.new_identification_number),
        reserved: p.text(&l.reserved),
    }
}

fn parse_n1(p: &mut Fields<'_, '_>) -> N1Segment {
    let l = &layout::N1;
    N1Segment {
        employer_name: p.text(&l.employer_name),
        first_line_employer_address: p.text(&l.first_line_employer_address),
        second_line_employer_address: p.text(&l.second_line_employer_address),
        employer_city: p.text(&l.employer_city),
        employer_state: p.text(&l.employer_state),
        zip_code: p.text(&l.zip_code),
        occupation: p.text(&l.occupation),
        reserved: p.text(&l.reserved),
    }
}

/// Writes fields into one segment appended to an output buffer (pre-filled with blanks).
struct Out<'a> {
    buf: &'a mut [u8],
    format: Format,
    segment: Segment,
}

impl<'a> Out<'a> {
    /// Appends `len` blanks to `out` and writes into them.
    fn new(out: &'a mut Vec<u8>, len: usize, format: Format, segment: Segment) -> Out<'a> {
        let start = out.len();
        out.resize(start + len, b' ');
        let buf = out.get_mut(start..).unwrap_or_default();
        Out { buf, format, segment }
    }

    /// An appended segment: blanks, then its identifier.
    fn segment(out: &'a mut Vec<u8>, segment: Segment) -> Out<'a> {
        let w = Out::new(out, segment.appended_bytes().unwrap_or(0), Format::Character, segment);
        if let Some(id) = w.buf.get_mut(..2) {
            id.copy_from_slice(segment.as_str().as_bytes());
        }
        w
    }

    fn err(&self, f: &F, reason: &'static str) -> WriteError {
        WriteError::Field { segment: self.segment, field: f.name, reason }
    }

    fn slot(&mut self, f: &F) -> &mut [u8] {
        self.buf.get_mut(f.at..f.end()).unwrap_or_default()
    }

    /// The record descriptor word: 4 digits, or a 2-byte length and two zero bytes.
    fn descriptor(&mut self, len: usize) -> Result<(), WriteError> {
        let ok = match (self.buf.get_mut(..4), self.format.is_packed()) {
            (Some(b), false) => decode::put_digits(b, len as u64),
            (Some(b), true) => {
                b.fill(0);
                decode::put_big_endian(&mut b[..2], len as u64)
            }
            (None, _) => false,
        };
        let f = F {
            name: "recordDescriptorWord",
            at: 0,
            len: 4,
            kind: Kind::Num,
            required: true,
            digits: 4,
            limit: 10_000,
        };
        if ok { Ok(()) } else { Err(self.err(&f, "the record is too long for its descriptor word")) }
    }

    /// Left-justified text; each char must be U+0000–U+00FF and fit the field.
    fn text(&mut self, f: &F, s: &str) -> Result<(), WriteError> {
        let slot = self.slot(f);
        for (n, c) in s.chars().enumerate() {
            let byte = u8::try_from(u32::from(c)).ok();
            match (byte, slot.get_mut(n)) {
                (Some(b), Some(dst)) => *dst = b,
                (None, _) => return Err(self.err(f, "holds a character outside U+0000–U+00FF")),
                (_, None) => return Err(self.err(f, "is longer than the field")),
            }
        }
        Ok(())
    }

    fn num(&mut self, f: &F, v: u64) -> Result<(), WriteError> {
        let format = self.format;
        if decode::put_number(f, self.slot(f), v, format) { Ok(()) } else { Err(self.err(f, "too many digits")) }
    }

    fn amount(&mut self, f: &F, v: i64) -> Result<(), WriteError> {
        let v = u64::try_from(v).map_err(|_| self.err(f, "amounts cannot be negative"))?;
        self.num(f, v)
    }

    fn date(&mut self, f: &F, d: Option<Date>) -> Result<(), WriteError> {
        let v = match d {
            Some(d) => Ymd::new(d.year().max(0) as u32, u8::from(d.month()).into(), d.day().into())
                .ok_or_else(|| self.err(f, "year outside 1901–2099"))?
                .mmddyyyy(),
            None => 0,
        };
        self.num(f, v)
    }

    fn stamp(&mut self, f: &F, t: Option<PrimitiveDateTime>) -> Result<(), WriteError> {
        let v = match t {
            Some(t) => {
                let d = Ymd::new(t.year().max(0) as u32, u8::from(t.month()).into(), t.day().into())
                    .ok_or_else(|| self.err(f, "year outside 1901–2099"))?;
                let hms = u64::from(t.hour()) * 10_000 + u64::from(t.minute()) * 100 + u64::from(t.second());
                d.mmddyyyy() * 1_000_000 + hms
            }
            None => 0,
        };
        self.num(f, v)
    }
}

fn write_base(b: &BaseSegment, format: Format, record_len: usize, out: &mut Vec<u8>) -> Result<(), WriteError> {
    let l = layout::base_layout(format);
    let mut w = Out::new(out, format.record_bytes(), format, Segment::Base);
    w.descriptor(record_len)?;
    w.num(&l.processing_indicator, b.processing_indicator.into())?;
    w.stamp(&l.time_stamp, b.time_stamp)?;
    w.num(&l.correction_indicator, b.correction_indicator.into())?;
    w.text(&l.identification_number, &b.identification_number)?;
    w.text(&l.cycle_identifier, &b.cycle_identifier)?;
    w.text(&l.consumer_account_number, &b.consumer_account_number)?;
    w.text(&l.portfolio_type, &b.portfolio_type)?;
    w.text(&l.account_type, &b.account_type)?;
    w.date(&l.date_opened, b.date_opened)?;
    w.amount(&l.credit_limit, b.credit_limit_dollars)?;
    w.amount(&l.highest_credit, b.highest_credit_dollars)?;
    w.text(&l.terms_duration, &b.terms_duration)?;
    w.text(&l.terms_frequency, &b.terms_frequency)?;
    w.amount(&l.scheduled_monthly_payment, b.scheduled_monthly_payment_dollars)?;
    w.amount(&l.actual_payment, b.actual_payment_dollars)?;
    w.text(&l.account_status, &b.account_status)?;
    w.text(&l.payment_rating, &b.payment_rating)?;
    w.text(&l.payment_history_profile, &b.payment_history_profile)?;
    w.text(&l.special_comment, &b.special_comment)?;
    w.text(&l.compliance_condition_code, &b.compliance_condition_code)?;
    w.amount(&l.current_balance, b.current_balance_dollars)?;
    w.amount(&l.amount_past_due, b.amount_past_due_dollars)?;
    w.amount(&l.original_charge_off, b.original_charge_off_dollars)?;
    w.date(&l.date_account_information, b.date_account_information)?;
    w.date(&l.date_first_delinquency, b.date_first_delinquency)?;
    w.date(&l.date_closed, b.date_closed)?;
    w.date(&l.date_last_payment, b.date_last_payment)?;
    w.text(&l.interest_type_indicator, &b.interest_type_indicator)?;
    w.text(&l.reserved, &b.reserved)?;
    w.text(&l.surname, &b.surname)?;
    w.text(&l.first_name, &b.first_name)?;
    w.text(&l.middle_name, &b.middle_name)?;
    w.text(&l.generation_code, &b.generation_code)?;
    w.num(&l.social_security_number, b.social_security_number.0.into())?;
    w.date(&l.date_birth, b.date_birth)?;
    w.num(&l.telephone_number, b.telephone_number)?;
    w.text(&l.ecoa_code, &b.ecoa_code)?;
    w.text(&l.consumer_information_indicator, &b.consumer_information_indicator)?;
    w.text(&l.country_code, &b.country_code)?;
    w.text(&l.first_line_address, &b.first_line_address)?;
    w.text(&l.second_line_address, &b.second_line_address)?;
    w.text(&l.city, &b.city)?;
    w.text(&l.state, &b.state)?;
    w.text(&l.zip_code, &b.zip_code)?;
    w.text(&l.address_indicator, &b.address_indicator)?;
    w.text(&l.residence_code, &b.residence_code)
}

fn write_j1(j: &J1Segment, out: &mut Vec<u8>) -> Result<(), WriteError> {
    let l = &layout::J1;
    let mut w = Out::segment(out, Segment::J1);
    w.text(&l.reserved1, &j.reserved1)?;
    w.text(&l.surname, &j.surname)?;
    w.text(&l.first_name, &j.first_name)?;
    w.text(&l.middle_name, &j.middle_name)?;
    w.text(&l.generation_code, &j.generation_code)?;
    w.num(&l.social_security_number, j.social_security_number.0.into())?;
    w.date(&l.date_birth, j.date_birth)?;
    w.num(&l.telephone_number, j.telephone_number)?;
    w.text(&l.ecoa_code, &j.ecoa_code)?;
    w.text(&l.consumer_information_indicator, &j.consumer_information_indicator)?;
    w.text(&l.reserved2, &j.reserved2)
}

fn write_j2(j: &J2Segment, out: &mut Vec<u8>) -> Result<(), WriteError> {
    let l = &layout::J2;
    let mut w = Out::segment(out, Segment::J2);
    w.text(&l.reserved1, &j.reserved1)?;
    w.text(&l.surname, &j.surname)?;
    w.text(&l.first_name, &j.first_name)?;
    w.text(&l.middle_name, &j.middle_name)?;
    w.text(&l.generation_code, &j.generation_code)?;
    w.num(&l.social_security_number, j.social_security_number.0.into())?;
    w.date(&l.date_birth, j.date_birth)?;
    w.num(&l.telephone_number, j.telephone_number)?;
    w.text(&l.ecoa_code, &j.ecoa_code)?;
    w.text(&l.consumer_information_indicator, &j.consumer_information_indicator)?;
    w.text(&l.country_code, &j.country_code)?;
    w.text(&l.first_line_address, &j.first_line_address)?;
    w.text(&l.second_line_address, &j.second_line_address)?;
    w.text(&l.city, &j.city)?;
    w.text(&l.state, &j.state)?;
    w.text(&l.zip_code, &j.zip_code)?;
    w.text(&l.address_indicator, &j.address_indicator)?;
    w.text(&l.residence_code, &j.residence_code)?;
    w.text(&l.reserved2, &j.reserved2)
}

fn write_k4(k: &K4Segment, out: &mut Vec<u8>) -> Result<(), WriteError> {
    let l = &layout::K4;
    let mut w = Out::segment(out, Segment::K4);
    w.num(&l.specialized_payment_indicator, k.specialized_payment_indicator.into())?;
    w.date(&l.deferred_payment_start_date, k.deferred_payment_start_date)?;
    w.date(&l.balloon_payment_due_date, k.balloon_payment_due_date)?;
    w.amount(&l.balloon_payment_amount, k.balloon_payment_dollars)?;
    w.text(&l.reserved, &k.reserved)
}

fn write_n1(n: &N1Segment, out: &mut Vec<u8>) -> Result<(), WriteError> {
    let l = &layout::N1;
    let mut w = Out::segment(out, Segment::N1);
    w.text(&l.employer_name, &n.employer_name)?;
    w.text(&l.first_line_employer_address, &n.first_line_employer_address)?;
    w.text(&l.second_line_employer_address, &n.second_line_employer_address)?;
    w.text(&l.employer_city, &n.employer_city)?;
    w.text(&l.employer_state, &n.employer_state)?;
    w.text(&l.zip_code, &n.zip_code)?;
    w.text(&l.occupation, &n.occupation)?;
    w.text(&l.reserved, &n.reserved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_keys_follow_positions() {
        let mut totals = [0u64; TRAILER_TOTALS];
        for (i, t) in totals.iter_mut().enumerate() {
            *t = i as u64 + 1;
        }
        let v = serde_json::to_value(TrailerRecord::from_totals(totals)).unwrap();
        for (i, name) in layout::TRAILER_TOTAL_NAMES.iter().enumerate() {
            assert_eq!(v[name], i as u64 + 1, "{name}");
        }
    }

    #[test]
    fn ssn_debug_is_masked() {
        assert_eq!(format!("{:?}", Ssn(123_456_789)), "Ssn(*****6789)");
    }
}
