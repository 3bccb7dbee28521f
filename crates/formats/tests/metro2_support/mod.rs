//! Sample Metro 2 records, shared by tests/metro2.rs, benches/metro2.rs and
//! examples/metro2_validate.rs (included with `#[path]`). Every record here is valid as of
//! [`TODAY`].
#![allow(dead_code)]

use ob_formats::metro2::{
    BaseSegment, DataRecord, HeaderRecord, J1Segment, J2Segment, K1Segment, K2Segment, K3Segment, K4Segment, L1Segment,
    N1Segment, Ssn, Writer, WriterOptions,
};
use time::Date;
use time::macros::{date, datetime};

/// The day the samples are validated on.
pub const TODAY: Date = date!(2024 - 07 - 15);

/// A header for a test furnisher.
pub fn header() -> HeaderRecord {
    HeaderRecord {
        cycle_identifier: "30".into(),
        equifax_program_identifier: "EQ12345678".into(),
        experian_program_identifier: "EX123".into(),
        trans_union_program_identifier: "TU12345678".into(),
        activity_date: Some(date!(2024 - 06 - 30)),
        date_created: Some(date!(2024 - 07 - 01)),
        program_date: Some(date!(2020 - 01 - 01)),
        program_revision_date: Some(date!(2024 - 01 - 01)),
        reporter_name: "OPENBUREAU TEST LENDER".into(),
        reporter_address: "1 TEST PLAZA SPRINGFIELD IL 62701".into(),
        reporter_telephone_number: 2_175_550_100,
        software_vendor_name: "OPENBUREAU".into(),
        software_version_number: "0.1".into(),
        ..HeaderRecord::default()
    }
}

/// An SSN that can be issued, different for each `i`.
pub fn ssn(i: u64) -> Ssn {
    let area = 100 + i % 500;
    let group = 1 + (i / 500) % 99;
    let serial = 1 + i % 9_999;
    Ssn(u32::try_from(area * 1_000_000 + group * 10_000 + serial).unwrap_or(123_456_789))
}

/// A current revolving account (status 11), base segment only.
pub fn base(i: u64) -> BaseSegment {
    BaseSegment {
        processing_indicator: 1,
        time_stamp: Some(datetime!(2024-06-30 23:59:59)),
        identification_number: "OBTEST0001".into(),
        cycle_identifier: "30".into(),
        consumer_account_number: format!("ACCT{i:012}"),
        portfolio_type: "R".into(),
        account_type: "18".into(),
        date_opened: Some(date!(2019 - 03 - 15)),
        credit_limit_dollars: 5_000,
        highest_credit_dollars: 4_200,
        terms_duration: "REV".into(),
        terms_frequency: "M".into(),
        scheduled_monthly_payment_dollars: 35,
        actual_payment_dollars: 35,
        account_status: "11".into(),
        payment_history_profile: "000000000000000000000000".into(),
        current_balance_dollars: 1_200 + (i % 1_000) as i64,
        date_account_information: Some(date!(2024 - 06 - 30)),
        date_last_payment: Some(date!(2024 - 06 - 15)),
        interest_type_indicator: "F".into(),
        surname: "DOE".into(),
        first_name: "JANE".into(),
        middle_name: "Q".into(),
        social_security_number: ssn(i),
        date_birth: Some(date!(1980 - 05 - 17)),
        telephone_number: 2_175_550_123,
        ecoa_code: "1".into(),
        country_code: "US".into(),
        first_line_address: "123 MAIN ST".into(),
        second_line_address: "APT 4".into(),
        city: "SPRINGFIELD".into(),
        state: "IL".into(),
        zip_code: "62701".into(),
        address_indicator: "Y".into(),
        residence_code: "R".into(),
        ..BaseSegment::default()
    }
}

/// A J1 segment (associated consumer, same address).
pub fn j1(i: u64, ecoa: &str) -> J1Segment {
    J1Segment {
        surname: "DOE".into(),
        first_name: "JOHN".into(),
        social_security_number: ssn(i + 7),
        date_birth: Some(date!(1979 - 11 - 02)),
        telephone_number: 2_175_550_124,
        ecoa_code: ecoa.into(),
        ..J1Segment::default()
    }
}

/// A J2 segment (associated consumer, other address).
pub fn j2(state: &str) -> J2Segment {
    J2Segment {
        surname: "MUNOZ-REYES".into(),
        first_name: "ANA".into(),
        date_birth: Some(date!(1990 - 01 - 31)),
        ecoa_code: "3".into(),
        country_code: "US".into(),
        first_line_address: "9 OAK AVE".into(),
        city: "AUSTIN".into(),
        state: state.into(),
        zip_code: "78701".into(),
        address_indicator: "Y".into(),
        ..J2Segment::default()
    }
}

/// A record with every segment kind, J1 and J2 twice each.
pub fn full(i: u64) -> DataRecord {
    DataRecord {
        base: base(i),
        j1: vec![j1(i, "2"), J1Segment { social_security_number: Ssn(0), ..j1(i, "3") }],
        j2: vec![j2("TX"), j2("CA")],
        k1: Some(K1Segment { original_creditor_name: "ORIGINAL BANK NA".into(), creditor_classification: 8 }),
        k2: Some(K2Segment { purchased_indicator: 1, purchased_name: "SELLER FINANCE".into(), ..K2Segment::default() }),
        k3: Some(K3Segment {
            agency_identifier: 1,
            account_number: "FNMA12345".into(),
            mortgage_identification_number: "100012345678901234".into(),
        }),
        k4: Some(K4Segment {
            specialized_payment_indicator: 1,
            balloon_payment_due_date: Some(date!(2029 - 01 - 01)),
            balloon_payment_dollars: 10_000,
            ..K4Segment::default()
        }),
        l1: Some(L1Segment {
            change_indicator: 1,
            new_consumer_account_number: format!("NEW{i:012}"),
            ..L1Segment::default()
        }),
        n1: Some(N1Segment {
            employer_name: "ACME CORP".into(),
            first_line_employer_address: "500 FACTORY RD".into(),
            employer_city: "PEORIA".into(),
            employer_state: "IL".into(),
            zip_code: "61602".into(),
            occupation: "ENGINEER".into(),
            ..N1Segment::default()
        }),
    }
}

/// Records with a spread of statuses, all valid.
pub fn varied() -> Vec<DataRecord> {
    let paid = BaseSegment {
        portfolio_type: "I".into(),
        account_type: "00".into(),
        credit_limit_dollars: 0,
        highest_credit_dollars: 20_000,
        terms_duration: "060".into(),
        account_status: "13".into(),
        payment_rating: "0".into(),
        current_balance_dollars: 0,
        scheduled_monthly_payment_dollars: 0,
        date_closed: Some(date!(2024 - 06 - 01)),
        ..base(2)
    };
    let late = BaseSegment {
        account_status: "71".into(),
        amount_past_due_dollars: 70,
        date_first_delinquency: Some(date!(2024 - 05 - 01)),
        payment_history_profile: "100000000000000000000000".into(),
        special_comment: "AU".into(),
        ..base(3)
    };
    let charged_off = BaseSegment {
        account_status: "97".into(),
        current_balance_dollars: 2_500,
        amount_past_due_dollars: 2_500,
        original_charge_off_dollars: 2_500,
        date_first_delinquency: Some(date!(2023 - 09 - 01)),
        payment_history_profile: "L65432100000000000BBBBBB".into(),
        compliance_condition_code: "XB".into(),
        ..base(4)
    };
    let transferred = BaseSegment {
        account_status: "05".into(),
        payment_rating: "0".into(),
        current_balance_dollars: 0,
        date_closed: Some(date!(2024 - 06 - 20)),
        ..base(5)
    };
    let deleted_consumer =
        BaseSegment { ecoa_code: "Z".into(), social_security_number: Ssn(0), date_birth: None, ..base(6) };
    let plain = |b: BaseSegment| DataRecord { base: b, ..DataRecord::default() };
    vec![
        full(1),
        plain(paid),
        plain(late),
        plain(charged_off),
        DataRecord { j1: vec![j1(5, "2")], ..plain(transferred) },
        plain(deleted_consumer),
    ]
}

/// Writes a whole file to memory.
pub fn write(options: WriterOptions, records: &[DataRecord]) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), options, &header()).expect("header");
    for r in records {
        w.write(r).expect("record");
    }
    w.finish().expect("trailer").0
}
