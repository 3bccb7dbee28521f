//! Typed records: header, base segment, appended segments, trailer; parsed from and written to
//! bytes in any [`Format`].
//!
//! Each segment is declared once, as a table of its fields in position order (name, kind, JSON
//! key, position; see `fields::segment!`): the table gives the struct, its layout (field
//! positions, read by the validator), its parser and its writer. The trailer's 43 totals are one
//! table too.
//!
//! Text fields are kept without their trailing blanks; every byte maps to the Unicode code point
//! of the same value (Latin-1), so any byte survives a round trip through JSON. Amounts are whole
//! dollars, dates `Option<time::Date>` (`None` when zero-filled).

use super::fields::{Appended, Fields, Out, segment};
use super::json::serde_dates;
use super::layout::{self, TRAILER_TOTALS, d, n, pd, pn, pts, t, ts};
use super::reader::{RecordRef, Tail};
use super::validate::Diagnostic;
use super::writer::WriteError;
use super::{Code, Format, Segment};
use serde::{Deserialize, Serialize};
use std::fmt;

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

segment! {
    /// The header record.
    HeaderRecord {
        layout: HeaderLayout [HEADER_CHAR, HEADER_PACKED],
        identifier: record_identifier = "recordIdentifier", t(4, 6).req(),
    }
    /// Cycle identifier, when reporting by cycles.
    cycle_identifier: text = "cycleIdentifier", t(10, 2);
    /// Innovis program identifier.
    innovis_program_identifier: text = "innovisProgramIdentifier", t(12, 10);
    /// Equifax program identifier.
    equifax_program_identifier: text = "equifaxProgramIdentifier", t(22, 10);
    /// Experian program identifier.
    experian_program_identifier: text = "experianProgramIdentifier", t(32, 5);
    /// TransUnion program identifier.
    trans_union_program_identifier: text = "transUnionProgramIdentifier", t(37, 10);
    /// Date of the most recent update to the accounts (required).
    activity_date: date = "activityDate", d(47).req();
    /// Date the file was created (required).
    date_created: date = "dateCreated", d(55).req();
    /// Date the reporting format was developed.
    program_date: date = "programDate", d(63);
    /// Date the reporting format was last revised.
    program_revision_date: date = "programRevisionDate", d(71);
    /// Name of the furnisher or processor sending the file (required).
    reporter_name: text = "reporterName", t(79, 40).req();
    /// Its complete mailing address (required).
    reporter_address: text = "reporterAddress", t(119, 96).req();
    /// Its telephone number (10 digits).
    reporter_telephone_number: num = "reporterTelephoneNumber", n(215, 10);
    /// Software vendor name.
    software_vendor_name: text = "softwareVendorName", t(225, 40);
    /// Software version number.
    software_version_number: text = "softwareVersionNumber", t(265, 5);
    /// PRBC program identifier.
    prbc_program_identifier: text = "prbcProgramIdentifier", t(270, 10);
    /// The reserved filler, kept as read (blank in a well-formed file).
    reserved: filler = "reserved", t(280, 146), t(280, 86);
}

segment! {
    /// The base segment of a data record.
    BaseSegment { layout: BaseLayout [BASE_CHAR, BASE_PACKED] }
    /// Processing indicator (a constant 1).
    processing_indicator: small = "processingIndicator", n(4, 1), n(4, 1);
    /// When the account information was updated.
    time_stamp: stamp = "timeStamp", ts(5), pts(5);
    /// Correction indicator (formerly used; 0).
    #[serde(skip_serializing_if = "is_zero_u8")]
    correction_indicator: small = "correctionIndicator", n(19, 1), n(13, 1);
    /// The furnisher's identification number (required).
    identification_number: text = "identificationNumber", t(20, 20).req(), t(14, 20).req();
    /// Cycle identifier.
    cycle_identifier: text = "cycleIdentifier", t(40, 2), t(34, 2);
    /// The consumer's account number (required).
    consumer_account_number: text = "consumerAccountNumber", t(42, 30).req(), t(36, 30).req();
    /// Portfolio type: C, I, M, O or R.
    portfolio_type: text = "portfolioType", t(72, 1).req(), t(66, 1).req();
    /// Account type (CDIA Exhibit 1).
    account_type: text = "accountType", t(73, 2).req(), t(67, 2).req();
    /// Date opened (required).
    date_opened: date = "dateOpened", d(75).req(), pd(69).req();
    /// Credit limit, whole dollars.
    credit_limit_dollars: amount = "creditLimit", n(83, 9), pn(74, 5);
    /// Highest credit or original loan amount, whole dollars.
    highest_credit_dollars: amount = "highestCredit", n(92, 9), pn(79, 5);
    /// Terms duration: months, years, `LOC` or `REV`.
    terms_duration: text = "termsDuration", t(101, 3).req(), t(84, 3).req();
    /// Terms frequency.
    terms_frequency: text = "termsFrequency", t(104, 1), t(87, 1);
    /// Scheduled monthly payment, whole dollars.
    scheduled_monthly_payment_dollars: amount = "scheduledMonthlyPaymentAmount", n(105, 9), pn(88, 5);
    /// Actual payment, whole dollars.
    actual_payment_dollars: amount = "actualPaymentAmount", n(114, 9), pn(93, 5);
    /// Account status.
    account_status: text = "accountStatus", t(123, 2).req(), t(98, 2).req();
    /// Payment rating (with statuses 05, 13, 65, 88, 89, 94, 95).
    payment_rating: text = "paymentRating", t(125, 1), t(100, 1);
    /// 24 months of payment history, most recent first.
    payment_history_profile: text = "paymentHistoryProfile", t(126, 24).req(), t(101, 24).req();
    /// Special comment code.
    special_comment: text = "specialComment", t(150, 2), t(125, 2);
    /// Compliance condition code.
    compliance_condition_code: text = "complianceConditionCode", t(152, 2), t(127, 2);
    /// Current balance, whole dollars.
    current_balance_dollars: amount = "currentBalance", n(154, 9), pn(129, 5);
    /// Amount past due, whole dollars.
    amount_past_due_dollars: amount = "amountPastDue", n(163, 9), pn(134, 5);
    /// Original charge-off amount, whole dollars.
    original_charge_off_dollars: amount = "originalChargeOffAmount", n(172, 9), pn(139, 5);
    /// Date of account information (required).
    date_account_information: date = "dateAccountInformation", d(181).req(), pd(144).req();
    /// Date of first delinquency.
    date_first_delinquency: date = "dateFirstDelinquency", d(189), pd(149);
    /// Date closed.
    date_closed: date = "dateClosed", d(197), pd(154);
    /// Date of last payment.
    date_last_payment: date = "dateLastPayment", d(205), pd(159);
    /// Interest type indicator: F or V.
    interest_type_indicator: text = "interestTypeIndicator", t(213, 1), t(164, 1);
    /// The reserved filler, kept as read.
    reserved: filler = "reserved", t(214, 17), t(165, 17);
    /// Surname of the primary consumer.
    surname: text = "surname", t(231, 25).req(), t(182, 25).req();
    /// First name.
    first_name: text = "firstName", t(256, 20).req(), t(207, 20).req();
    /// Middle name.
    middle_name: text = "middleName", t(276, 20), t(227, 20);
    /// Generation code.
    generation_code: text = "generationCode", t(296, 1), t(247, 1);
    /// Social security number.
    social_security_number: ssn = "socialSecurityNumber", n(297, 9), pn(248, 5);
    /// Date of birth.
    date_birth: date = "dateBirth", d(306), pd(253);
    /// Telephone number (10 digits).
    telephone_number: num = "telephoneNumber", n(314, 10), pn(258, 6).digits(10);
    /// ECOA code.
    ecoa_code: text = "ecoaCode", t(324, 1).req(), t(264, 1).req();
    /// Consumer information indicator.
    consumer_information_indicator: text = "consumerInformationIndicator", t(325, 2), t(265, 2);
    /// Country code.
    country_code: text = "countryCode", t(327, 2), t(267, 2);
    /// First line of address.
    first_line_address: text = "firstLineAddress", t(329, 32).req(), t(269, 32).req();
    /// Second line of address.
    second_line_address: text = "secondLineAddress", t(361, 32), t(301, 32);
    /// City.
    city: text = "city", t(393, 20).req(), t(333, 20).req();
    /// State code.
    state: text = "state", t(413, 2).req(), t(353, 2).req();
    /// ZIP code.
    zip_code: text = "zipCode", t(415, 9).req(), t(355, 9).req();
    /// Address indicator.
    address_indicator: text = "addressIndicator", t(424, 1), t(364, 1);
    /// Residence code.
    residence_code: text = "residenceCode", t(425, 1), t(365, 1);
}

segment! {
    /// J1: associated consumer at the same address.
    J1Segment { layout: J1Layout [J1], appended: J1 }
    /// Filler after the identifier, kept as read.
    reserved1: filler = "reserved1", t(2, 1);
    /// Surname.
    surname: text = "surname", t(3, 25).req();
    /// First name.
    first_name: text = "firstName", t(28, 20).req();
    /// Middle name.
    middle_name: text = "middleName", t(48, 20);
    /// Generation code.
    generation_code: text = "generationCode", t(68, 1);
    /// Social security number.
    social_security_number: ssn = "socialSecurityNumber", n(69, 9);
    /// Date of birth.
    date_birth: date = "dateBirth", d(78);
    /// Telephone number.
    telephone_number: num = "telephoneNumber", n(86, 10);
    /// ECOA code.
    ecoa_code: text = "ecoaCode", t(96, 1).req();
    /// Consumer information indicator.
    consumer_information_indicator: text = "consumerInformationIndicator", t(97, 2);
    /// Filler at the end, kept as read.
    reserved2: filler = "reserved2", t(99, 1);
}

segment! {
    /// J2: associated consumer at another address.
    J2Segment { layout: J2Layout [J2], appended: J2 }
    /// Filler after the identifier, kept as read.
    reserved1: filler = "reserved1", t(2, 1);
    /// Surname.
    surname: text = "surname", t(3, 25).req();
    /// First name.
    first_name: text = "firstName", t(28, 20);
    /// Middle name.
    middle_name: text = "middleName", t(48, 20);
    /// Generation code.
    generation_code: text = "generationCode", t(68, 1);
    /// Social security number.
    social_security_number: ssn = "socialSecurityNumber", n(69, 9);
    /// Date of birth.
    date_birth: date = "dateBirth", d(78);
    /// Telephone number.
    telephone_number: num = "telephoneNumber", n(86, 10);
    /// ECOA code.
    ecoa_code: text = "ecoaCode", t(96, 1).req();
    /// Consumer information indicator.
    consumer_information_indicator: text = "consumerInformationIndicator", t(97, 2);
    /// Country code.
    country_code: text = "countryCode", t(99, 2);
    /// First line of address.
    first_line_address: text = "firstLineAddress", t(101, 32).req();
    /// Second line of address.
    second_line_address: text = "secondLineAddress", t(133, 32);
    /// City.
    city: text = "city", t(165, 20).req();
    /// State code.
    state: text = "state", t(185, 2).req();
    /// ZIP code.
    zip_code: text = "zipCode", t(187, 9).req();
    /// Address indicator.
    address_indicator: text = "addressIndicator", t(196, 1);
    /// Residence code.
    residence_code: text = "residenceCode", t(197, 1);
    /// Filler at the end, kept as read.
    reserved2: filler = "reserved2", t(198, 2);
}

segment! {
    /// K1: original creditor.
    K1Segment { layout: K1Layout [K1], appended: K1 }
    /// Original creditor's name.
    original_creditor_name: text = "originalCreditorName", t(2, 30).req();
    /// Creditor classification, 1–15.
    creditor_classification: small = "creditorClassification", n(32, 2);
}

segment! {
    /// K2: purchased from or sold to.
    K2Segment { layout: K2Layout [K2], appended: K2 }
    /// 1 purchased from, 2 sold to, 9 remove.
    purchased_indicator: small = "purchasedIndicator", n(2, 1);
    /// The other company's name.
    purchased_name: text = "purchasedName", t(3, 30);
    /// Filler, kept as read.
    reserved: filler = "reserved", t(33, 1);
}

segment! {
    /// K3: mortgage information.
    K3Segment { layout: K3Layout [K3], appended: K3 }
    /// 0 none, 1 Fannie Mae, 2 Freddie Mac.
    agency_identifier: small = "agencyIdentifier", n(2, 2);
    /// The agency's account number.
    account_number: text = "accountNumber", t(4, 18);
    /// Mortgage identification number (MIN).
    mortgage_identification_number: text = "mortgageIdentificationNumber", t(22, 18);
}

segment! {
    /// K4: specialized payment information.
    K4Segment { layout: K4Layout [K4], appended: K4 }
    /// 1 balloon payment, 2 deferred payment.
    specialized_payment_indicator: small = "specializedPaymentIndicator", n(2, 2);
    /// When deferred payments start.
    deferred_payment_start_date: date = "deferredPaymentStartDate", d(4);
    /// When the balloon payment is due.
    balloon_payment_due_date: date = "balloonPaymentDueDate", d(12);
    /// Balloon payment, whole dollars.
    balloon_payment_dollars: amount = "balloonPaymentAmount", n(20, 9);
    /// Filler, kept as read.
    reserved: filler = "reserved", t(29, 1);
}

segment! {
    /// L1: account number or identification number change.
    L1Segment { layout: L1Layout [L1], appended: L1 }
    /// 1 account number, 2 identification number, 3 both.
    change_indicator: small = "changeIndicator", n(2, 1);
    /// The new consumer account number.
    new_consumer_account_number: text = "newConsumerAccountNumber", t(3, 30);
    /// The new identification number.
    new_identification_number: text = "newIdentificationNumber", t(33, 20);
    /// Filler, kept as read.
    reserved: filler = "reserved", t(53, 1);
}

segment! {
    /// N1: employment.
    N1Segment { layout: N1Layout [N1], appended: N1 }
    /// Employer's name.
    employer_name: text = "employerName", t(2, 30).req();
    /// First line of the employer's address.
    first_line_employer_address: text = "firstLineEmployerAddress", t(32, 32);
    /// Second line of the employer's address.
    second_line_employer_address: text = "secondLineEmployerAddress", t(64, 32);
    /// Employer's city.
    employer_city: text = "employerCity", t(96, 20);
    /// Employer's state.
    employer_state: text = "employerState", t(116, 2);
    /// Employer's ZIP code.
    zip_code: text = "zipCode", t(118, 9);
    /// Occupation.
    occupation: text = "occupation", t(127, 18);
    /// Filler, kept as read.
    reserved: filler = "reserved", t(145, 1);
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

        /// The trailer's totals, in position order: their JSON keys, also their field names.
        pub(crate) const TRAILER_TOTAL_NAMES: [&str; TRAILER_TOTALS] = [$( $json ),+];

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

impl HeaderRecord {
    /// Parses a header record's bytes (from its RDW).
    pub(crate) fn parse(bytes: &[u8], format: Format, record: u64, offset: u64) -> Result<Self, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        short(bytes, format, Segment::Header, record, offset, &mut errors);
        let mut p = Fields { bytes, format, segment: Segment::Header, offset, record, errors: &mut errors };
        let h = HeaderRecord::read_fields(&mut p, layout::header_layout(format));
        if errors.is_empty() { Ok(h) } else { Err(errors) }
    }

    /// Writes the header record (RDW included) in `format`.
    pub(crate) fn write(&self, format: Format, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let l = layout::header_layout(format);
        let mut w = Out::new(out, format.record_bytes(), format, Segment::Header);
        w.descriptor(format.record_bytes())?;
        w.text(&l.record_identifier, "HEADER")?;
        let mut errors = Vec::new();
        self.write_fields_noting(&mut w, l, &mut errors);
        errors.into_iter().next().map_or(Ok(()), Err)
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
        fn put<T: Appended>(slot: &mut Option<T>, p: &mut Fields<'_, '_>) -> bool {
            let free = slot.is_none();
            *slot = Some(T::read(p));
            free
        }
        match p.segment {
            Segment::J1 => self.j1.push(J1Segment::read(p)),
            Segment::J2 => self.j2.push(J2Segment::read(p)),
            Segment::K1 => return put(&mut self.k1, p),
            Segment::K2 => return put(&mut self.k2, p),
            Segment::K3 => return put(&mut self.k3, p),
            Segment::K4 => return put(&mut self.k4, p),
            Segment::L1 => return put(&mut self.l1, p),
            Segment::N1 => return put(&mut self.n1, p),
            _ => {}
        }
        true
    }

    /// The record's length in `format` (base plus appended segments), in bytes.
    pub fn len_in(&self, format: Format) -> usize {
        fn bytes<T: Appended>(segments: &[T]) -> usize {
            segments.len() * T::SEGMENT.appended_bytes().unwrap_or(0)
        }
        format.record_bytes()
            + bytes(&self.j1)
            + bytes(&self.j2)
            + bytes(self.k1.as_slice())
            + bytes(self.k2.as_slice())
            + bytes(self.k3.as_slice())
            + bytes(self.k4.as_slice())
            + bytes(self.l1.as_slice())
            + bytes(self.n1.as_slice())
    }

    /// Every value of the record that does not fit its field in `format` (empty when the record
    /// can be written): all of them, where writing stops at the first.
    pub fn field_errors(&self, format: Format) -> Vec<WriteError> {
        let mut errors = Vec::new();
        self.write_noting(format, &mut Vec::with_capacity(self.len_in(format)), &mut errors);
        errors
    }

    /// Writes the record (RDW, base, segments in J1, J2, K1–K4, L1, N1 order) in `format`; the
    /// first value that does not fit is the error.
    pub(crate) fn write(&self, format: Format, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let mut errors = Vec::new();
        self.write_noting(format, out, &mut errors);
        errors.into_iter().next().map_or(Ok(()), Err)
    }

    /// Writes every value that fits; each that does not is added to `errors` (its slot blank).
    fn write_noting(&self, format: Format, out: &mut Vec<u8>, errors: &mut Vec<WriteError>) {
        fn each<T: Appended>(segments: &[T], out: &mut Vec<u8>, errors: &mut Vec<WriteError>) {
            segments.iter().for_each(|s| s.write_noting(out, errors));
        }
        let mut w = Out::new(out, format.record_bytes(), format, Segment::Base);
        if let Err(e) = w.descriptor(self.len_in(format)) {
            errors.push(e);
        }
        self.base.write_fields_noting(&mut w, layout::base_layout(format), errors);
        each(&self.j1, out, errors);
        each(&self.j2, out, errors);
        each(self.k1.as_slice(), out, errors);
        each(self.k2.as_slice(), out, errors);
        each(self.k3.as_slice(), out, errors);
        each(self.k4.as_slice(), out, errors);
        each(self.l1.as_slice(), out, errors);
        each(self.n1.as_slice(), out, errors);
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
    let bytes = rec.base();
    short(bytes, format, Segment::Base, rec.number, rec.offset, errors);
    let mut p = Fields { bytes, format, segment: Segment::Base, offset: rec.offset, record: rec.number, errors };
    BaseSegment::read_fields(&mut p, layout::base_layout(format))
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
