//! Field positions of every record and segment, character and packed.
//!
//! Positions are 0-based and count from the first byte of the record's RDW (a BDW, when present,
//! is not part of the record). Names are the JSON keys of moov-io/metro2, used in diagnostics.

use super::Format;

/// How a field is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Left-justified, blank-filled printable ASCII.
    Text,
    /// Zero-filled ASCII digits.
    Num,
    /// MMDDYYYY in ASCII digits; zeros when not applicable.
    Date,
    /// MMDDYYYYHHMMSS in ASCII digits.
    Stamp,
    /// A number in a packed field (decimal or binary, depending on the file's [`Format`]).
    PNum,
    /// A date in a packed field.
    PDate,
    /// A time stamp in a packed field.
    PStamp,
}

/// One field of a layout.
#[derive(Clone, Copy, Debug)]
pub(crate) struct F {
    /// The JSON key (moov-io/metro2 naming), used in diagnostics.
    pub name: &'static str,
    /// Offset from the start of the record (or segment), in bytes.
    pub at: usize,
    /// Width in bytes.
    pub len: usize,
    pub kind: Kind,
    /// Blank (or zero, for dates) is an error.
    pub required: bool,
    /// Most digits a numeric value may have.
    pub digits: u32,
    /// 10 to the power `digits`: the first value too large for the field.
    pub limit: u64,
}

impl F {
    const fn new(name: &'static str, at: usize, len: usize, kind: Kind) -> F {
        let digits = match kind {
            Kind::Num => len as u32,
            Kind::PNum => (len * 2 - 1) as u32,
            _ => 0,
        };
        F { name, at, len, kind, required: false, digits, limit: power_of_ten(digits) }
    }

    const fn req(mut self) -> F {
        self.required = true;
        self
    }

    const fn digits(mut self, digits: u32) -> F {
        self.digits = digits;
        self.limit = power_of_ten(digits);
        self
    }

    /// The field's bytes within `record`; empty when the record is too short.
    #[inline]
    pub fn bytes<'a>(&self, record: &'a [u8]) -> &'a [u8] {
        record.get(self.at..self.at + self.len).unwrap_or(&[])
    }

    /// The field's end offset.
    pub const fn end(&self) -> usize {
        self.at + self.len
    }
}

/// 10^n, saturating at `u64::MAX` (beyond 19 digits).
const fn power_of_ten(n: u32) -> u64 {
    let mut v: u64 = 1;
    let mut i = 0;
    while i < n {
        v = v.saturating_mul(10);
        i += 1;
    }
    v
}

const fn t(name: &'static str, at: usize, len: usize) -> F {
    F::new(name, at, len, Kind::Text)
}
const fn n(name: &'static str, at: usize, len: usize) -> F {
    F::new(name, at, len, Kind::Num)
}
const fn d(name: &'static str, at: usize) -> F {
    F::new(name, at, 8, Kind::Date)
}
const fn pn(name: &'static str, at: usize, len: usize) -> F {
    F::new(name, at, len, Kind::PNum)
}
const fn pd(name: &'static str, at: usize) -> F {
    F::new(name, at, 5, Kind::PDate)
}

/// Declares a layout struct with one `F` per field and an iterator over all of them.
macro_rules! layout {
    ($name:ident { $($field:ident),+ $(,)? }) => {
        #[derive(Debug)]
        pub(crate) struct $name {
            $( pub $field: F, )+
        }

        impl $name {
            /// Every field, in position order.
            pub fn all(&self) -> impl Iterator<Item = &F> + Clone {
                [$( &self.$field ),+].into_iter()
            }
        }
    };
}

layout!(HeaderLayout {
    record_identifier,
    cycle_identifier,
    innovis_program_identifier,
    equifax_program_identifier,
    experian_program_identifier,
    trans_union_program_identifier,
    activity_date,
    date_created,
    program_date,
    program_revision_date,
    reporter_name,
    reporter_address,
    reporter_telephone_number,
    software_vendor_name,
    software_version_number,
    prbc_program_identifier,
    reserved,
});

const fn header(reserved_len: usize) -> HeaderLayout {
    HeaderLayout {
        record_identifier: t("recordIdentifier", 4, 6).req(),
        cycle_identifier: t("cycleIdentifier", 10, 2),
        innovis_program_identifier: t("innovisProgramIdentifier", 12, 10),
        equifax_program_identifier: t("equifaxProgramIdentifier", 22, 10),
        experian_program_identifier: t("experianProgramIdentifier", 32, 5),
        trans_union_program_identifier: t("transUnionProgramIdentifier", 37, 10),
        activity_date: d("activityDate", 47).req(),
        date_created: d("dateCreated", 55).req(),
        program_date: d("programDate", 63),
        program_revision_date: d("programRevisionDate", 71),
        reporter_name: t("reporterName", 79, 40).req(),
        reporter_address: t("reporterAddress", 119, 96).req(),
        reporter_telephone_number: n("reporterTelephoneNumber", 215, 10),
        software_vendor_name: t("softwareVendorName", 225, 40),
        software_version_number: t("softwareVersionNumber", 265, 5),
        prbc_program_identifier: t("prbcProgramIdentifier", 270, 10),
        reserved: t("reserved", 280, reserved_len),
    }
}

/// The character header (426 bytes).
pub(crate) const HEADER_CHAR: HeaderLayout = header(146);
/// The packed header (366 bytes): the same character fields, a binary RDW, a shorter filler.
pub(crate) const HEADER_PACKED: HeaderLayout = header(86);

layout!(BaseLayout {
    processing_indicator,
    time_stamp,
    correction_indicator,
    identification_number,
    cycle_identifier,
    consumer_account_number,
    portfolio_type,
    account_type,
    date_opened,
    credit_limit,
    highest_credit,
    terms_duration,
    terms_frequency,
    scheduled_monthly_payment,
    actual_payment,
    account_status,
    payment_rating,
    payment_history_profile,
    special_comment,
    compliance_condition_code,
    current_balance,
    amount_past_due,
    original_charge_off,
    date_account_information,
    date_first_delinquency,
    date_closed,
    date_last_payment,
    interest_type_indicator,
    reserved,
    surname,
    first_name,
    middle_name,
    generation_code,
    social_security_number,
    date_birth,
    telephone_number,
    ecoa_code,
    consumer_information_indicator,
    country_code,
    first_line_address,
    second_line_address,
    city,
    state,
    zip_code,
    address_indicator,
    residence_code,
});

/// The character base segment (426 bytes).
pub(crate) const BASE_CHAR: BaseLayout = BaseLayout {
    processing_indicator: n("processingIndicator", 4, 1),
    time_stamp: F::new("timeStamp", 5, 14, Kind::Stamp),
    correction_indicator: n("correctionIndicator", 19, 1),
    identification_number: t("identificationNumber", 20, 20).req(),
    cycle_identifier: t("cycleIdentifier", 40, 2),
    consumer_account_number: t("consumerAccountNumber", 42, 30).req(),
    portfolio_type: t("portfolioType", 72, 1).req(),
    account_type: t("accountType", 73, 2).req(),
    date_opened: d("dateOpened", 75).req(),
    credit_limit: n("creditLimit", 83, 9),
    highest_credit: n("highestCredit", 92, 9),
    terms_duration: t("termsDuration", 101, 3).req(),
    terms_frequency: t("termsFrequency", 104, 1),
    scheduled_monthly_payment: n("scheduledMonthlyPaymentAmount", 105, 9),
    actual_payment: n("actualPaymentAmount", 114, 9),
    account_status: t("accountStatus", 123, 2).req(),
    payment_rating: t("paymentRating", 125, 1),
    payment_history_profile: t("paymentHistoryProfile", 126, 24).req(),
    special_comment: t("specialComment", 150, 2),
    compliance_condition_code: t("complianceConditionCode", 152, 2),
    current_balance: n("currentBalance", 154, 9),
    amount_past_due: n("amountPastDue", 163, 9),
    original_charge_off: n("originalChargeOffAmount", 172, 9),
    date_account_information: d("dateAccountInformation", 181).req(),
    date_first_delinquency: d("dateFirstDelinquency", 189),
    date_closed: d("dateClosed", 197),
    date_last_payment: d("dateLastPayment", 205),
    interest_type_indicator: t("interestTypeIndicator", 213, 1),
    reserved: t("reserved", 214, 17),
    surname: t("surname", 231, 25).req(),
    first_name: t("firstName", 256, 20).req(),
    middle_name: t("middleName", 276, 20),
    generation_code: t("generationCode", 296, 1),
    social_security_number: n("socialSecurityNumber", 297, 9),
    date_birth: d("dateBirth", 306),
    telephone_number: n("telephoneNumber", 314, 10),
    ecoa_code: t("ecoaCode", 324, 1).req(),
    consumer_information_indicator: t("consumerInformationIndicator", 325, 2),
    country_code: t("countryCode", 327, 2),
    first_line_address: t("firstLineAddress", 329, 32).req(),
    second_line_address: t("secondLineAddress", 361, 32),
    city: t("city", 393, 20).req(),
    state: t("state", 413, 2).req(),
    zip_code: t("zipCode", 415, 9).req(),
    address_indicator: t("addressIndicator", 424, 1),
    residence_code: t("residenceCode", 425, 1),
};

/// The packed base segment (366 bytes).
pub(crate) const BASE_PACKED: BaseLayout = BaseLayout {
    processing_indicator: n("processingIndicator", 4, 1),
    time_stamp: F::new("timeStamp", 5, 8, Kind::PStamp),
    correction_indicator: n("correctionIndicator", 13, 1),
    identification_number: t("identificationNumber", 14, 20).req(),
    cycle_identifier: t("cycleIdentifier", 34, 2),
    consumer_account_number: t("consumerAccountNumber", 36, 30).req(),
    portfolio_type: t("portfolioType", 66, 1).req(),
    account_type: t("accountType", 67, 2).req(),
    date_opened: pd("dateOpened", 69).req(),
    credit_limit: pn("creditLimit", 74, 5),
    highest_credit: pn("highestCredit", 79, 5),
    terms_duration: t("termsDuration", 84, 3).req(),
    terms_frequency: t("termsFrequency", 87, 1),
    scheduled_monthly_payment: pn("scheduledMonthlyPaymentAmount", 88, 5),
    actual_payment: pn("actualPaymentAmount", 93, 5),
    account_status: t("accountStatus", 98, 2).req(),
    payment_rating: t("paymentRating", 100, 1),
    payment_history_profile: t("paymentHistoryProfile", 101, 24).req(),
    special_comment: t("specialComment", 125, 2),
    compliance_condition_code: t("complianceConditionCode", 127, 2),
    current_balance: pn("currentBalance", 129, 5),
    amount_past_due: pn("amountPastDue", 134, 5),
    original_charge_off: pn("originalChargeOffAmount", 139, 5),
    date_account_information: pd("dateAccountInformation", 144).req(),
    date_first_delinquency: pd("dateFirstDelinquency", 149),
    date_closed: pd("dateClosed", 154),
    date_last_payment: pd("dateLastPayment", 159),
    interest_type_indicator: t("interestTypeIndicator", 164, 1),
    reserved: t("reserved", 165, 17),
    surname: t("surname", 182, 25).req(),
    first_name: t("firstName", 207, 20).req(),
    middle_name: t("middleName", 227, 20),
    generation_code: t("generationCode", 247, 1),
    social_security_number: pn("socialSecurityNumber", 248, 5),
    date_birth: pd("dateBirth", 253),
    telephone_number: pn("telephoneNumber", 258, 6).digits(10),
    ecoa_code: t("ecoaCode", 264, 1).req(),
    consumer_information_indicator: t("consumerInformationIndicator", 265, 2),
    country_code: t("countryCode", 267, 2),
    first_line_address: t("firstLineAddress", 269, 32).req(),
    second_line_address: t("secondLineAddress", 301, 32),
    city: t("city", 333, 20).req(),
    state: t("state", 353, 2).req(),
    zip_code: t("zipCode", 355, 9).req(),
    address_indicator: t("addressIndicator", 364, 1),
    residence_code: t("residenceCode", 365, 1),
};

/// Number of totals in the trailer (total base records first, then the 42 after `reserved1`).
pub(crate) const TRAILER_TOTALS: usize = 43;

/// The trailer's totals, in position order: JSON key and field name.
pub(crate) const TRAILER_TOTAL_NAMES: [&str; TRAILER_TOTALS] = [
    "totalBaseRecords",
    "totalStatusCodeDF",
    "totalConsumerSegmentsJ1",
    "totalConsumerSegmentsJ2",
    "blockCount",
    "totalStatusCodeDA",
    "totalStatusCode05",
    "totalStatusCode11",
    "totalStatusCode13",
    "totalStatusCode61",
    "totalStatusCode62",
    "totalStatusCode63",
    "totalStatusCode64",
    "totalStatusCode65",
    "totalStatusCode71",
    "totalStatusCode78",
    "totalStatusCode80",
    "totalStatusCode82",
    "totalStatusCode83",
    "totalStatusCode84",
    "totalStatusCode88",
    "totalStatusCode89",
    "totalStatusCode93",
    "totalStatusCode94",
    "totalStatusCode95",
    "totalStatusCode96",
    "totalStatusCode97",
    "totalECOACodeZ",
    "totalEmploymentSegments",
    "totalOriginalCreditorSegments",
    "totalPurchasedToSegments",
    "totalMortgageInformationSegments",
    "totalPaymentInformationSegments",
    "totalChangeSegments",
    "totalSocialNumbersAllSegments",
    "totalSocialNumbersBaseSegments",
    "totalSocialNumbersJ1Segments",
    "totalSocialNumbersJ2Segments",
    "totalDatesBirthAllSegments",
    "totalDatesBirthBaseSegments",
    "totalDatesBirthJ1Segments",
    "totalDatesBirthJ2Segments",
    "totalTelephoneNumbersAllSegments",
];

/// Indexes into the trailer totals.
pub(crate) mod total {
    pub const BASE_RECORDS: usize = 0;
    pub const STATUS_DF: usize = 1;
    pub const J1: usize = 2;
    pub const J2: usize = 3;
    pub const BLOCKS: usize = 4;
    /// Status DA; the statuses after it follow in `codes::ACCOUNT_STATUSES` order.
    pub const STATUS_DA: usize = 5;
    pub const ECOA_Z: usize = 27;
    pub const N1: usize = 28;
    pub const K1: usize = 29;
    pub const K2: usize = 30;
    pub const K3: usize = 31;
    pub const K4: usize = 32;
    pub const L1: usize = 33;
    pub const SSN_ALL: usize = 34;
    pub const SSN_BASE: usize = 35;
    pub const SSN_J1: usize = 36;
    pub const SSN_J2: usize = 37;
    pub const DOB_ALL: usize = 38;
    pub const DOB_BASE: usize = 39;
    pub const DOB_J1: usize = 40;
    pub const DOB_J2: usize = 41;
    pub const PHONE_ALL: usize = 42;
}

/// The trailer's identifier, filler and totals.
#[derive(Debug)]
pub(crate) struct TrailerLayout {
    pub record_identifier: F,
    pub reserved1: F,
    pub reserved2: F,
    pub totals: [F; TRAILER_TOTALS],
}

const fn trailer(packed: bool) -> TrailerLayout {
    let width = if packed { 5 } else { 9 };
    let kind = if packed { Kind::PNum } else { Kind::Num };
    let first = 11 + 2 * width; // after total base records (at 11) and reserved1
    let mut totals = [F::new("", 0, 0, Kind::Num); TRAILER_TOTALS];
    let mut i = 0;
    while i < TRAILER_TOTALS {
        let at = if i == 0 { 11 } else { first + (i - 1) * width };
        totals[i] = F::new(TRAILER_TOTAL_NAMES[i], at, width, kind);
        i += 1;
    }
    let end = first + (TRAILER_TOTALS - 1) * width;
    let record = if packed { super::PACKED_RECORD_BYTES } else { super::CHARACTER_RECORD_BYTES };
    TrailerLayout {
        record_identifier: t("recordIdentifier", 4, 7).req(),
        reserved1: t("reserved1", 11 + width, width),
        reserved2: t("reserved2", end, record - end),
        totals,
    }
}

/// The character trailer (426 bytes).
pub(crate) const TRAILER_CHAR: TrailerLayout = trailer(false);
/// The packed trailer (366 bytes).
pub(crate) const TRAILER_PACKED: TrailerLayout = trailer(true);

layout!(J1Layout {
    reserved1,
    surname,
    first_name,
    middle_name,
    generation_code,
    social_security_number,
    date_birth,
    telephone_number,
    ecoa_code,
    consumer_information_indicator,
    reserved2,
});

/// J1 (100 bytes); positions from the segment's first byte (its identifier).
pub(crate) const J1: J1Layout = J1Layout {
    reserved1: t("reserved1", 2, 1),
    surname: t("surname", 3, 25).req(),
    first_name: t("firstName", 28, 20).req(),
    middle_name: t("middleName", 48, 20),
    generation_code: t("generationCode", 68, 1),
    social_security_number: n("socialSecurityNumber", 69, 9),
    date_birth: d("dateBirth", 78),
    telephone_number: n("telephoneNumber", 86, 10),
    ecoa_code: t("ecoaCode", 96, 1).req(),
    consumer_information_indicator: t("consumerInformationIndicator", 97, 2),
    reserved2: t("reserved2", 99, 1),
};

layout!(J2Layout {
    reserved1,
    surname,
    first_name,
    middle_name,
    generation_code,
    social_security_number,
    date_birth,
    telephone_number,
    ecoa_code,
    consumer_information_indicator,
    country_code,
    first_line_address,
    second_line_address,
    city,
    state,
    zip_code,
    address_indicator,
    residence_code,
    reserved2,
});

/// J2 (200 bytes).
pub(crate) const J2: J2Layout = J2Layout {
    reserved1: t("reserved1", 2, 1),
    surname: t("surname", 3, 25).req(),
    first_name: t("firstName", 28, 20),
    middle_name: t("middleName", 48, 20),
    generation_code: t("generationCode", 68, 1),
    social_security_number: n("socialSecurityNumber", 69, 9),
    date_birth: d("dateBirth", 78),
    telephone_number: n("telephoneNumber", 86, 10),
    ecoa_code: t("ecoaCode", 96, 1).req(),
    consumer_information_indicator: t("consumerInformationIndicator", 97, 2),
    country_code: t("countryCode", 99, 2),
    first_line_address: t("firstLineAddress", 101, 32).req(),
    second_line_address: t("secondLineAddress", 133, 32),
    city: t("city", 165, 20).req(),
    state: t("state", 185, 2).req(),
    zip_code: t("zipCode", 187, 9).req(),
    address_indicator: t("addressIndicator", 196, 1),
    residence_code: t("residenceCode", 197, 1),
    reserved2: t("reserved2", 198, 2),
};

layout!(K1Layout { original_creditor_name, creditor_classification });

/// K1 (34 bytes).
pub(crate) const K1: K1Layout = K1Layout {
    original_creditor_name: t("originalCreditorName", 2, 30).req(),
    creditor_classification: n("creditorClassification", 32, 2),
};

layout!(K2Layout { purchased_indicator, purchased_name, reserved });

/// K2 (34 bytes).
pub(crate) const K2: K2Layout = K2Layout {
    purchased_indicator: n("purchasedIndicator", 2, 1),
    purchased_name: t("purchasedName", 3, 30),
    reserved: t("reserved", 33, 1),
};

layout!(K3Layout { agency_identifier, account_number, mortgage_identification_number });

/// K3 (40 bytes).
pub(crate) const K3: K3Layout = K3Layout {
    agency_identifier: n("agencyIdentifier", 2, 2),
    account_number: t("accountNumber", 4, 18),
    mortgage_identification_number: t("mortgageIdentificationNumber", 22, 18),
};

layout!(K4Layout {
    specialized_payment_indicator,
    deferred_payment_start_date,
    balloon_payment_due_date,
    balloon_payment_amount,
    reserved,
});

/// K4 (30 bytes).
pub(crate) const K4: K4Layout = K4Layout {
    specialized_payment_indicator: n("specializedPaymentIndicator", 2, 2),
    deferred_payment_start_date: d("deferredPaymentStartDate", 4),
    balloon_payment_due_date: d("balloonPaymentDueDate", 12),
    balloon_payment_amount: n("balloonPaymentAmount", 20, 9),
    reserved: t("reserved", 29, 1),
};

layout!(L1Layout { change_indicator, new_consumer_account_number, new_identification_number, reserved });

/// L1 (54 bytes).
pub(crate) const L1: L1Layout = L1Layout {
    change_indicator: n("changeIndicator", 2, 1),
    new_consumer_account_number: t("newConsumerAccountNumber", 3, 30),
    new_identification_number: t("newIdentificationNumber", 33, 20),
    reserved: t("reserved", 53, 1),
};

layout!(N1Layout {
    employer_name,
    first_line_employer_address,
    second_line_employer_address,
    employer_city,
    employer_state,
    zip_code,
    occupation,
    reserved,
});

/// N1 (146 bytes).
pub(crate) const N1: N1Layout = N1Layout {
    employer_name: t("employerName", 2, 30).req(),
    first_line_employer_address: t("firstLineEmployerAddress", 32, 32),
    second_line_employer_address: t("secondLineEmployerAddress", 64, 32),
    employer_city: t("employerCity", 96, 20),
    employer_state: t("employerState", 116, 2),
    zip_code: t("zipCode", 118, 9),
    occupation: t("occupation", 127, 18),
    reserved: t("reserved", 145, 1),
};

/// The header layout of a format.
pub(crate) fn header_layout(format: Format) -> &'static HeaderLayout {
    if format.is_packed() { &HEADER_PACKED } else { &HEADER_CHAR }
}

/// The base layout of a format.
pub(crate) fn base_layout(format: Format) -> &'static BaseLayout {
    if format.is_packed() { &BASE_PACKED } else { &BASE_CHAR }
}

/// The trailer layout of a format.
pub(crate) fn trailer_layout(format: Format) -> &'static TrailerLayout {
    if format.is_packed() { &TRAILER_PACKED } else { &TRAILER_CHAR }
}

/// Checks that each layout tiles its record exactly: no gap, no overlap.
#[cfg(test)]
mod tests {
    use super::*;

    fn tiles(fields: Vec<&F>, start: usize, len: usize) {
        let mut at = start;
        for f in fields {
            assert_eq!(f.at, at, "{} starts at {} not {at}", f.name, f.at);
            at = f.end();
        }
        assert_eq!(at, len);
    }

    #[test]
    fn layouts_tile_their_records() {
        tiles(HEADER_CHAR.all().collect(), 4, 426);
        tiles(HEADER_PACKED.all().collect(), 4, 366);
        tiles(BASE_CHAR.all().collect(), 4, 426);
        tiles(BASE_PACKED.all().collect(), 4, 366);
        tiles(J1.all().collect(), 2, 100);
        tiles(J2.all().collect(), 2, 200);
        tiles(K1.all().collect(), 2, 34);
        tiles(K2.all().collect(), 2, 34);
        tiles(K3.all().collect(), 2, 40);
        tiles(K4.all().collect(), 2, 30);
        tiles(L1.all().collect(), 2, 54);
        tiles(N1.all().collect(), 2, 146);
        for (layout, len) in [(&TRAILER_CHAR, 426), (&TRAILER_PACKED, 366)] {
            let mut fields = vec![&layout.record_identifier, &layout.totals[0], &layout.reserved1];
            fields.extend(layout.totals[1..].iter());
            fields.push(&layout.reserved2);
            tiles(fields, 4, len);
        }
        assert_eq!(TRAILER_CHAR.totals[total::BLOCKS].at, 56);
        assert_eq!(TRAILER_PACKED.totals[total::PHONE_ALL].at, 226);
    }
}
