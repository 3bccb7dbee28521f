//! Golden-file, snapshot and property tests of the Metro 2 reader, validator, writer and JSON.
//!
//! Golden files under tests/golden/metro2/ are produced by the writer from the records in
//! metro2_support; each run regenerates them and compares with the committed bytes (set
//! `BLESS_GOLDEN=1` to rewrite them after a deliberate change).

#[path = "common/golden.rs"]
mod golden_file;
#[path = "metro2_support/mod.rs"]
mod support;

use ob_formats::metro2::json::{File, from_json, to_json};
use ob_formats::metro2::{
    BaseSegment, Blocking, Code, DataRecord, Format, J1Segment, J2Segment, K1Segment, K2Segment, K3Segment, K4Segment,
    L1Segment, LineBreak, N1Segment, Reader, Ssn, TrailerRecord, Writer, WriterOptions, validate,
};
use proptest::prelude::*;
use std::fmt::Write as _;
use support::{TODAY, full, header, varied, write};
use time::macros::date;

fn opts(format: Format, blocking: Blocking, line_break: LineBreak) -> WriterOptions {
    WriterOptions { format, blocking, line_break }
}

fn golden(name: &str, bytes: &[u8]) -> Vec<u8> {
    golden_file::check("metro2", name, bytes)
}

/// The validation report as text: a summary line, then one line per diagnostic.
fn render(bytes: &[u8]) -> String {
    let r = validate(bytes, TODAY).unwrap();
    let mut out = format!(
        "format {} blocking {} line breaks {} records {} errors {}\n",
        r.format.map_or("?", Format::as_str),
        r.blocking.map_or("?", Blocking::as_str),
        r.line_break.map_or("?", LineBreak::as_str),
        r.records,
        r.errors_total
    );
    for d in &r.errors {
        writeln!(out, "{d}").unwrap();
    }
    out
}

/// Reads a file and writes it again with the same options.
fn rewrite(bytes: &[u8], options: WriterOptions) -> Vec<u8> {
    let mut reader = Reader::new(bytes).unwrap();
    let header = reader.header().unwrap().unwrap();
    let mut w = Writer::new(Vec::new(), options, &header).unwrap();
    while let Some(rec) = reader.next_record() {
        w.write(&rec.unwrap().parse().unwrap()).unwrap();
    }
    let trailer = reader.trailer().unwrap().unwrap();
    w.finish_with(&trailer).unwrap()
}

fn records_of(bytes: &[u8]) -> Vec<DataRecord> {
    let mut reader = Reader::new(bytes).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = reader.next_record() {
        out.push(rec.unwrap().parse().unwrap());
    }
    out
}

/// A packed record whose binary fields hold CR and LF bytes: balance 3338 is 0x0D0A and the
/// birth date 12/06/1962 is 12061962 = 0xB80D0A in the moov-io binary form.
fn crlf_record() -> DataRecord {
    let mut r = DataRecord { base: support::base(9), ..DataRecord::default() };
    r.base.current_balance_dollars = 0x0D0A;
    r.base.highest_credit_dollars = 0x0A0D;
    r.base.date_birth = Some(date!(1962 - 12 - 06));
    r
}

struct Valid {
    name: &'static str,
    options: WriterOptions,
    records: Vec<DataRecord>,
}

fn valid_files() -> Vec<Valid> {
    use Blocking::*;
    use Format::*;
    use LineBreak::{CrLf, Lf};
    let v = |name, options, records| Valid { name, options, records };
    vec![
        v("character_lf.dat", opts(Character, Fixed, Lf), varied()),
        v("character_nobreaks.dat", opts(Character, Fixed, LineBreak::None), varied()),
        v("character_variable_crlf.dat", opts(Character, Variable, CrLf), varied()),
        v("packed_decimal.dat", opts(PackedDecimal, Variable, LineBreak::None), varied()),
        v("packed_binary_lf.dat", opts(PackedBinary, Variable, Lf), varied()),
        v("packed_binary_crlf_in_fields.dat", opts(PackedBinary, Variable, CrLf), vec![crlf_record(), full(10)]),
        v("packed_decimal_fixed_lf.dat", opts(PackedDecimal, Fixed, Lf), vec![crlf_record(), full(11)]),
    ]
}

#[test]
fn golden_valid_files_are_stable_valid_and_rewrite_to_the_same_bytes() {
    for f in valid_files() {
        let bytes = golden(f.name, &write(f.options, &f.records));
        let report = validate(bytes.as_slice(), TODAY).unwrap();
        assert!(report.is_valid(), "{}: {:#?}", f.name, report.errors);
        assert_eq!(report.format, Some(f.options.format), "{}", f.name);
        assert_eq!(report.blocking, Some(f.options.blocking), "{}", f.name);
        assert_eq!(report.line_break, Some(f.options.line_break), "{}", f.name);
        assert_eq!(report.records, f.records.len() as u64, "{}", f.name);
        assert_eq!(report.bytes, bytes.len() as u64, "{}", f.name);
        assert_eq!(records_of(&bytes), f.records, "{}", f.name);
        assert!(rewrite(&bytes, f.options) == bytes, "{}: read then write changed the bytes", f.name);
    }
}

#[test]
fn cr_and_lf_bytes_inside_packed_fields_are_data() {
    let bytes = write(opts(Format::PackedBinary, Blocking::Variable, LineBreak::CrLf), &[crlf_record()]);
    let first_record = 4 + 366 + 2;
    let inside = &bytes[first_record + 4..first_record + 4 + 366];
    assert!(inside.windows(2).any(|w| w == b"\r\n"), "the sample must hold CR LF inside its fields");
    let back = records_of(&bytes);
    assert_eq!(back[0].base.current_balance_dollars, 0x0D0A);
    assert_eq!(back[0].base.date_birth, Some(date!(1962 - 12 - 06)));
    assert!(validate(bytes.as_slice(), TODAY).unwrap().is_valid());
}

/// 366 + 11 J2 segments = 2566 bytes = 0x0A06: the RDW (and the BDW, 0x0A0A) start with LF bytes,
/// which must not be taken for line breaks, with or without real line breaks between records.
#[test]
fn packed_descriptors_that_start_with_lf_bytes_are_not_line_breaks() {
    let mut big = full(12);
    big.j2 = (0..11).map(|_| support::j2("NY")).collect();
    let records = vec![big.clone(), crlf_record(), big];
    for format in [Format::PackedDecimal, Format::PackedBinary] {
        for blocking in [Blocking::Fixed, Blocking::Variable] {
            for line_break in [LineBreak::None, LineBreak::Lf, LineBreak::CrLf] {
                let bytes = write(opts(format, blocking, line_break), &records);
                let report = validate(bytes.as_slice(), TODAY).unwrap();
                assert!(report.is_valid(), "{format} {blocking:?} {line_break:?}: {:#?}", report.errors);
                assert_eq!(records_of(&bytes), records);
            }
        }
    }
    for line_break in [LineBreak::None, LineBreak::Lf] {
        let empty = write(opts(Format::Character, Blocking::Variable, line_break), &[]);
        assert!(validate(empty.as_slice(), TODAY).unwrap().is_valid());
    }
}

#[test]
fn packed_variants_are_detected_from_the_data() {
    for format in [Format::PackedDecimal, Format::PackedBinary] {
        for blocking in [Blocking::Fixed, Blocking::Variable] {
            let bytes = write(opts(format, blocking, LineBreak::None), &varied());
            let reader = Reader::new(bytes.as_slice()).unwrap();
            assert_eq!((reader.format(), reader.blocking()), (format, blocking));
        }
        let empty = write(opts(format, Blocking::Fixed, LineBreak::None), &[]);
        assert!(validate(empty.as_slice(), TODAY).unwrap().is_valid(), "{format} without records");
    }
}

/// Variable blocks holding several records each, and a BDW in binary form in a character file.
#[test]
fn blocks_with_several_records_are_read() {
    let plain = write(opts(Format::Character, Blocking::Fixed, LineBreak::None), &varied());
    let mut reader = Reader::new(plain.as_slice()).unwrap();
    let mut records = vec![reader.header_bytes().unwrap().to_vec()];
    while let Some(r) = reader.next_record() {
        records.push(r.unwrap().bytes().to_vec());
    }
    records.push(reader.trailer_bytes().unwrap().to_vec());
    let last = records.len() - 1;
    patch(&mut records[last], 56, b"000000003"); // block count: header, data, trailer blocks
    let block = |recs: &[Vec<u8>], binary: bool| {
        let len = 4 + recs.iter().map(Vec::len).sum::<usize>();
        let mut b = if binary { vec![(len >> 8) as u8, len as u8, 0, 0] } else { format!("{len:04}").into_bytes() };
        recs.iter().for_each(|r| b.extend_from_slice(r));
        b
    };
    for binary in [false, true] {
        let mut file = block(&records[..1], binary);
        file.extend(block(&records[1..last], binary));
        file.extend(block(&records[last..], binary));
        let report = validate(file.as_slice(), TODAY).unwrap();
        assert!(report.is_valid(), "binary BDW {binary}: {:#?}", report.errors);
        assert_eq!(report.blocking, Some(Blocking::Variable));
        assert_eq!(report.records, 6);
    }
}

/// Where each data record starts in a file, from the reader.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut reader = Reader::new(bytes).unwrap();
    let mut out = Vec::new();
    while let Some(r) = reader.next_record() {
        out.push(r.unwrap().offset() as usize);
    }
    out
}

fn patch(bytes: &mut [u8], at: usize, with: &[u8]) {
    bytes[at..at + with.len()].copy_from_slice(with);
}

/// A character file with a wrong value in (nearly) every field kind and code list.
fn invalid_fields() -> Vec<u8> {
    let mut a = full(20);
    let b = &mut a.base;
    b.portfolio_type = "X".into();
    b.account_type = "ZZ".into();
    b.terms_frequency = "Z".into();
    b.terms_duration = "R2D".into();
    b.special_comment = "QQ".into();
    b.compliance_condition_code = "XZ".into();
    b.interest_type_indicator = "A".into();
    b.generation_code = "Q".into();
    b.ecoa_code = "4".into();
    b.state = "ZZ".into();
    b.address_indicator = "Q".into();
    b.residence_code = "X".into();
    b.payment_history_profile = "00000B000000000000000000".into();
    b.date_opened = Some(date!(2025 - 01 - 01));
    b.social_security_number = Ssn(666_123_456);
    b.first_name = String::new();
    a.j1[0].social_security_number = Ssn(0);
    a.j1[0].date_birth = None;
    a.j1[0].ecoa_code = "1".into();
    a.k1.as_mut().unwrap().creditor_classification = 99;
    a.k2 = Some(K2Segment { purchased_indicator: 9, purchased_name: "SHOULD BE BLANK".into(), ..Default::default() });
    a.k3.as_mut().unwrap().agency_identifier = 7;
    a.k4 = Some(K4Segment { specialized_payment_indicator: 1, ..Default::default() });
    a.l1 = Some(L1Segment { change_indicator: 3, ..Default::default() });
    let mut second = DataRecord { base: support::base(21), ..DataRecord::default() };
    second.base.account_status = "13".into();
    second.base.current_balance_dollars = 0;
    second.base.date_closed = Some(date!(2024 - 06 - 01));
    second.base.payment_history_profile = "0000X0000000000000000000".into();
    let mut bytes = write(WriterOptions::default(), &[a, second]);
    let at = record_offsets(&bytes)[0];
    patch(&mut bytes, at + 154, b"00001A200"); // current balance: not digits
    patch(&mut bytes, at + 205, b"02302024"); // date of last payment: February 30
    patch(&mut bytes, at + 231, b"D\x01E"); // surname: a control byte
    patch(&mut bytes, at + 5, b"06302024256000"); // time stamp: hour 25
    bytes
}

/// Records that break the rules tying fields together.
fn invalid_cross_field() -> Vec<u8> {
    let rec = |i, f: &dyn Fn(&mut BaseSegment)| {
        let mut b = support::base(i);
        f(&mut b);
        DataRecord { base: b, ..DataRecord::default() }
    };
    let records = [
        rec(30, &|b| {
            b.account_status = "13".into();
            b.payment_rating = "0".into();
            b.current_balance_dollars = 50;
            b.amount_past_due_dollars = 10;
        }),
        rec(31, &|b| b.account_status = "71".into()),
        rec(32, &|b| {
            b.account_status = "97".into();
            b.amount_past_due_dollars = 100;
            b.date_first_delinquency = Some(date!(2024 - 07 - 01));
            b.date_last_payment = Some(date!(2024 - 07 - 02));
        }),
        rec(33, &|b| b.credit_limit_dollars = 0),
        rec(34, &|b| b.date_closed = Some(date!(2018 - 01 - 01))),
        rec(35, &|b| b.payment_rating = "1".into()),
        rec(36, &|b| {
            b.account_status = "05".into();
            b.social_security_number = Ssn(999_999_999);
            b.date_birth = None;
        }),
        rec(37, &|b| {
            b.account_status = "13".into();
            b.payment_rating = "2".into();
            b.current_balance_dollars = 0;
            b.date_closed = Some(date!(2024 - 06 - 01));
        }),
    ];
    write(WriterOptions::default(), &records)
}

/// A valid file whose trailer claims other totals.
fn invalid_trailer() -> Vec<u8> {
    let options = WriterOptions::default();
    let mut w = Writer::new(Vec::new(), options, &header()).unwrap();
    for r in varied() {
        w.write(&r).unwrap();
    }
    let mut t: TrailerRecord = w.trailer();
    t.total_base_records += 1;
    t.total_status_code_11 = 0;
    t.total_consumer_segments_j1 = 9;
    t.total_social_numbers_all_segments -= 1;
    t.total_ecoa_code_z = 0;
    t.total_dates_birth_j2_segments = 0;
    t.block_count = 12; // not checked: the file is not blocked
    w.finish_with(&t).unwrap()
}

/// Framing and segment problems: unknown, cut, repeated and misordered segments, a short record,
/// a line that is not a record, a second header, and no trailer.
fn invalid_structure() -> Vec<u8> {
    let with = |k1: bool, j1: bool| DataRecord {
        base: support::base(40),
        k1: k1.then(|| K1Segment { original_creditor_name: "ORIG".into(), creditor_classification: 1 }),
        j1: if j1 { vec![support::j1(40, "2")] } else { vec![] },
        ..DataRecord::default()
    };
    let lines_of = |r: &DataRecord| {
        let file = write(opts(Format::Character, Blocking::Fixed, LineBreak::None), std::slice::from_ref(r));
        let mut reader = Reader::new(file.as_slice()).unwrap();
        reader.next_record().unwrap().unwrap().bytes().to_vec()
    };
    let mut unknown = lines_of(&with(true, false));
    patch(&mut unknown, 426, b"Q1");
    let mut misordered = lines_of(&with(true, true));
    let (j1, k1) = (misordered[426..526].to_vec(), misordered[526..560].to_vec());
    misordered.truncate(426);
    misordered.extend(k1.iter().chain(&j1));
    let mut repeated = lines_of(&with(true, false));
    repeated.extend_from_within(426..460);
    patch(&mut repeated, 0, b"0494");
    let mut cut = lines_of(&with(false, false));
    cut.extend_from_slice(b"K1ORIG");
    patch(&mut cut, 0, b"0432");
    let mut short = b"0100".to_vec();
    short.extend_from_slice(&[b'1'; 96]);
    let file = write(WriterOptions::default(), &[]);
    let head = file[..427].to_vec();
    let mut out = head.clone();
    for line in [unknown, misordered, repeated, cut, short, b"NOT A RECORD".to_vec(), head[..426].to_vec()] {
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    out
}

/// Packed decimal with a bad nibble, a negative amount, a wrong sign and a binary-style date.
fn invalid_packed() -> Vec<u8> {
    let mut bytes = write(opts(Format::PackedDecimal, Blocking::Variable, LineBreak::None), &varied()[..2]);
    let at = record_offsets(&bytes)[1];
    patch(&mut bytes, at + 129, &[0x00, 0x00, 0x0A, 0xB0, 0x0C]); // current balance: nibble A
    patch(&mut bytes, at + 74, &[0x00, 0x00, 0x00, 0x50, 0x0D]); // credit limit: negative
    patch(&mut bytes, at + 144, &[0x00, 0x63, 0x02, 0x02, 0x43]); // date of account information: sign 3
    patch(&mut bytes, at + 69, &[0x00, 0x0F, 0x98, 0x44, 0x73]); // date opened: the binary form
    bytes
}

fn after_trailer() -> Vec<u8> {
    let mut bytes = write(WriterOptions::default(), &varied()[..1]);
    bytes.extend_from_slice(b"\nEXTRA BYTES");
    bytes
}

fn truncated() -> Vec<u8> {
    let bytes = write(opts(Format::Character, Blocking::Variable, LineBreak::None), &varied());
    bytes[..bytes.len() - 700].to_vec()
}

fn no_header() -> Vec<u8> {
    let bytes = write(WriterOptions::default(), &varied()[1..3]);
    bytes[427..].to_vec()
}

#[test]
fn invalid_files_report_every_error_located() {
    type Case = (&'static str, fn() -> Vec<u8>);
    let cases: [Case; 9] = [
        ("invalid_fields.dat", invalid_fields),
        ("invalid_cross_field.dat", invalid_cross_field),
        ("invalid_trailer.dat", invalid_trailer),
        ("invalid_structure.dat", invalid_structure),
        ("invalid_packed.dat", invalid_packed),
        ("invalid_after_trailer.dat", after_trailer),
        ("invalid_truncated.dat", truncated),
        ("invalid_no_header.dat", no_header),
        ("invalid_garbage.dat", || b"\r\nthis is not a metro 2 file at all".to_vec()),
    ];
    for (name, make) in cases {
        let bytes = golden(name, &make());
        let report = validate(bytes.as_slice(), TODAY).unwrap();
        assert!(!report.is_valid(), "{name}");
        for d in &report.errors {
            assert!(d.offset <= bytes.len() as u64, "{name}: {d}");
        }
        insta::assert_snapshot!(name, render(&bytes));
    }
}

#[test]
fn messages_never_echo_an_ssn() {
    let bytes = invalid_fields();
    let report = validate(bytes.as_slice(), TODAY).unwrap();
    assert!(report.errors.iter().any(|d| d.code == Code::SsnInvalid));
    for d in &report.errors {
        assert!(!d.message.contains("666123456") && !d.message.contains("6789"), "{d}");
    }
}

#[test]
fn the_day_of_validation_is_a_parameter() {
    let bytes = write(WriterOptions::default(), &varied());
    let earlier = validate(bytes.as_slice(), date!(2024 - 06 - 01)).unwrap();
    assert!(earlier.errors.iter().all(|d| d.code == Code::DateFuture), "{:#?}", earlier.errors);
    assert!(earlier.errors_total > 5);
    assert!(validate(bytes.as_slice(), TODAY).unwrap().is_valid());
}

#[test]
fn every_truncation_is_an_error() {
    for format in [Format::Character, Format::PackedBinary] {
        let bytes = write(opts(format, Blocking::Variable, LineBreak::None), &varied()[..2]);
        for cut in 0..bytes.len() {
            let report = validate(&bytes[..cut], TODAY).unwrap();
            assert!(!report.is_valid(), "{format} cut at {cut}");
        }
    }
}

#[test]
fn json_has_the_moov_shape() {
    let bytes = write(WriterOptions::default(), &[full(1)]);
    let mut json = Vec::new();
    to_json(bytes.as_slice(), &mut json).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    insta::assert_json_snapshot!("json_full_record", value);
}

#[test]
fn json_round_trips_every_golden_file_byte_for_byte() {
    for f in valid_files() {
        let bytes = write(f.options, &f.records);
        let mut json = Vec::new();
        to_json(bytes.as_slice(), &mut json).unwrap();
        let back = from_json(json.as_slice(), Vec::new(), f.options).unwrap();
        assert!(back == bytes, "{}", f.name);
        let file: File = serde_json::from_slice(&json).unwrap();
        assert_eq!(file.data, f.records, "{}", f.name);
    }
}

#[test]
fn json_from_moov_style_input() {
    let json = r#"{"header":{"recordDescriptorWord":426,"recordIdentifier":"HEADER","activityDate":"2024-06-30T00:00:00Z",
        "dateCreated":"07/01/2024","programDate":"0001-01-01T00:00:00Z","reporterName":"X","reporterAddress":"Y",
        "reporterTelephoneNumber":0},
      "data":[{"base":{"recordDescriptorWord":426,"blockDescriptorWord":0,"identificationNumber":"ID1",
        "consumerAccountNumber":"A1","portfolioType":"R","accountType":"18","dateOpened":"2020-01-02T00:00:00Z",
        "creditLimit":100,"termsDuration":"REV","accountStatus":"11","paymentHistoryProfile":"000000000000000000000000",
        "dateAccountInformation":"2024-06-30T00:00:00Z","surname":"DOE","firstName":"J","socialSecurityNumber":123456789,
        "ecoaCode":"1","firstLineAddress":"1 A ST","city":"C","state":"IL","zipCode":"62701"},"j1":null}],
      "trailer":{"totalBaseRecords":1}}"#;
    let bytes = from_json(json.as_bytes(), Vec::new(), WriterOptions::default()).unwrap();
    let records = records_of(&bytes);
    assert_eq!(records[0].base.social_security_number, Ssn(123_456_789));
    assert_eq!(records[0].base.credit_limit_dollars, 100);
    assert!(records[0].j1.is_empty());
    let report = validate(bytes.as_slice(), TODAY).unwrap();
    assert!(report.errors.iter().all(|d| d.code == Code::TrailerMismatch), "{:#?}", report.errors);
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Z0-9 ,.'Ñ-]{{0,{max}}}")).unwrap().prop_map(|s| s.trim_end().to_owned())
}

fn nonblank(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Z0-9][A-Z0-9 ]{{0,{}}}", max - 1))
        .unwrap()
        .prop_map(|s| s.trim_end().to_owned())
}

fn day() -> impl Strategy<Value = Option<time::Date>> {
    prop::option::of(
        (1901i32..=2099, 1u8..=12, 1u8..=28)
            .prop_map(|(y, m, d)| time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap()),
    )
}

fn dollars() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), 0i64..=999_999_999, Just(0x0D0A), Just(0x0A0D0A)]
}

fn j1_strategy() -> impl Strategy<Value = J1Segment> {
    (text(25), text(20), text(1), 0u32..=999_999_999, day(), 0u64..=9_999_999_999, text(1), text(2)).prop_map(
        |(surname, first_name, generation_code, ssn, date_birth, telephone_number, ecoa_code, cii)| J1Segment {
            surname,
            first_name,
            generation_code,
            social_security_number: Ssn(ssn),
            date_birth,
            telephone_number,
            ecoa_code,
            consumer_information_indicator: cii,
            ..J1Segment::default()
        },
    )
}

fn base_strategy() -> impl Strategy<Value = BaseSegment> {
    let ids = (nonblank(20), nonblank(30), text(1), text(2), day(), day(), day(), day(), day(), 0u8..=9);
    let money = (dollars(), dollars(), dollars(), dollars(), dollars(), dollars(), dollars());
    let codes = (text(2), text(1), "[0-9BDEGHJKL]{24}", text(2), text(2), text(3), text(1), text(17));
    let person = (text(25), text(20), 0u32..=999_999_999, 0u64..=9_999_999_999, text(32), text(20), text(9));
    let stamp = prop::option::of((day(), 0u8..24, 0u8..60, 0u8..60));
    (ids, money, codes, person, stamp).prop_map(|(ids, money, codes, person, stamp)| BaseSegment {
        processing_indicator: ids.9,
        time_stamp: stamp
            .and_then(|(d, h, m, s)| Some(time::PrimitiveDateTime::new(d?, time::Time::from_hms(h, m, s).ok()?))),
        identification_number: ids.0,
        consumer_account_number: ids.1,
        portfolio_type: ids.2,
        account_type: ids.3,
        date_opened: ids.4,
        date_account_information: ids.5,
        date_first_delinquency: ids.6,
        date_closed: ids.7,
        date_last_payment: ids.8,
        credit_limit_dollars: money.0,
        highest_credit_dollars: money.1,
        scheduled_monthly_payment_dollars: money.2,
        actual_payment_dollars: money.3,
        current_balance_dollars: money.4,
        amount_past_due_dollars: money.5,
        original_charge_off_dollars: money.6,
        account_status: codes.0,
        payment_rating: codes.1,
        payment_history_profile: codes.2,
        special_comment: codes.3,
        compliance_condition_code: codes.4,
        // A numeric duration is three digits, as JSON import normalises it.
        terms_duration: match codes.5.trim() {
            t if !t.is_empty() && t.len() < 3 && t.bytes().all(|b| b.is_ascii_digit()) => format!("{t:0>3}"),
            _ => codes.5,
        },
        terms_frequency: codes.6,
        reserved: codes.7,
        surname: person.0,
        first_name: person.1,
        social_security_number: Ssn(person.2),
        telephone_number: person.3,
        first_line_address: person.4,
        city: person.5,
        zip_code: person.6,
        date_birth: ids.4.and(ids.5),
        ..BaseSegment::default()
    })
}

fn record_strategy() -> impl Strategy<Value = DataRecord> {
    let k = (
        prop::option::of(
            (text(30), 0u8..=99).prop_map(|(n, c)| K1Segment { original_creditor_name: n, creditor_classification: c }),
        ),
        prop::option::of((0u8..=9, text(30)).prop_map(|(i, n)| K2Segment {
            purchased_indicator: i,
            purchased_name: n,
            ..K2Segment::default()
        })),
        prop::option::of((0u8..=99, text(18), text(18)).prop_map(|(a, n, m)| K3Segment {
            agency_identifier: a,
            account_number: n,
            mortgage_identification_number: m,
        })),
        prop::option::of((0u8..=99, day(), day(), dollars()).prop_map(|(i, s, d, a)| K4Segment {
            specialized_payment_indicator: i,
            deferred_payment_start_date: s,
            balloon_payment_due_date: d,
            balloon_payment_dollars: a,
            ..K4Segment::default()
        })),
        prop::option::of((0u8..=9, text(30), text(20)).prop_map(|(c, a, i)| L1Segment {
            change_indicator: c,
            new_consumer_account_number: a,
            new_identification_number: i,
            ..L1Segment::default()
        })),
        prop::option::of((nonblank(30), text(32), text(18)).prop_map(|(e, a, o)| N1Segment {
            employer_name: e,
            first_line_employer_address: a,
            occupation: o,
            ..N1Segment::default()
        })),
    );
    let j2 = (j1_strategy(), text(32), text(20), text(2)).prop_map(|(j, a, c, s)| J2Segment {
        surname: j.surname,
        first_name: j.first_name,
        social_security_number: j.social_security_number,
        date_birth: j.date_birth,
        telephone_number: j.telephone_number,
        ecoa_code: j.ecoa_code,
        first_line_address: a,
        city: c,
        state: s,
        ..J2Segment::default()
    });
    (base_strategy(), prop::collection::vec(j1_strategy(), 0..3), prop::collection::vec(j2, 0..3), k)
        .prop_map(|(base, j1, j2, (k1, k2, k3, k4, l1, n1))| DataRecord { base, j1, j2, k1, k2, k3, k4, l1, n1 })
}

fn any_options() -> impl Strategy<Value = WriterOptions> {
    (
        prop::sample::select(vec![Format::Character, Format::PackedDecimal, Format::PackedBinary]),
        prop::sample::select(vec![Blocking::Fixed, Blocking::Variable]),
        prop::sample::select(vec![LineBreak::None, LineBreak::Lf, LineBreak::CrLf]),
    )
        .prop_map(|(format, blocking, line_break)| WriterOptions { format, blocking, line_break })
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn records_round_trip_through_every_format_and_json(records in prop::collection::vec(record_strategy(), 1..5), options in any_options()) {
        let bytes = write(options, &records);
        prop_assert_eq!(&records_of(&bytes), &records);
        prop_assert!(rewrite(&bytes, options) == bytes);
        let mut json = Vec::new();
        to_json(bytes.as_slice(), &mut json).unwrap();
        let file: File = serde_json::from_slice(&json).unwrap();
        prop_assert_eq!(&file.data, &records);
        prop_assert!(from_json(json.as_slice(), Vec::new(), options).unwrap() == bytes);
    }

    #[test]
    fn generated_valid_files_validate_clean(n in 1u64..30, options in any_options(), seed in 0u64..1_000_000) {
        let records: Vec<DataRecord> = (0..n).map(|i| {
            let mut r = varied()[((seed + i) % 6) as usize].clone();
            r.base.consumer_account_number = format!("ACCT{:012}", seed * 100 + i);
            r.base.social_security_number = support::ssn(seed + i);
            r
        }).collect();
        let bytes = write(options, &records);
        let report = validate(bytes.as_slice(), TODAY).unwrap();
        prop_assert!(report.is_valid(), "{:#?}", report.errors);
    }

    #[test]
    fn random_bytes_give_errors_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let report = validate(bytes.as_slice(), TODAY).unwrap();
        prop_assert!(!report.is_valid());
        let _ = to_json(bytes.as_slice(), std::io::sink());
        let _ = from_json(bytes.as_slice(), std::io::sink(), WriterOptions::default());
    }

    #[test]
    fn mutated_valid_files_never_panic(
        options in any_options(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut bytes = write(options, &varied());
        for (at, byte, op) in edits {
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.insert(i, byte); }
                _ => { bytes.remove(i); }
            }
        }
        let report = validate(bytes.as_slice(), TODAY).unwrap();
        for d in &report.errors {
            prop_assert!(d.offset <= bytes.len() as u64, "{}", d);
        }
        let _ = to_json(bytes.as_slice(), std::io::sink());
        if let Ok(mut reader) = Reader::new(bytes.as_slice()) {
            while let Some(r) = reader.next_record() {
                if let Ok(r) = r { let _ = r.parse(); }
            }
        }
    }
}

#[test]
#[should_panic(expected = "a new golden file is written only with BLESS_GOLDEN=1")]
fn a_missing_golden_file_fails_unless_blessed() {
    let dir = tempfile::tempdir().unwrap();
    golden_file::check_at(&dir.path().join("never_committed.dat"), b"bytes", false);
}

#[test]
fn an_itin_an_unknown_correction_indicator_and_a_placeholder_identification_number_are_named() {
    let valid = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/metro2/character_lf.dat")).unwrap();
    let record = 427; // the first data record: after the header's 426 bytes and its line break
    // Offsets from the record's first byte (its descriptor word), as the layouts count them.
    let patch = |offset: usize, bytes: &[u8]| {
        let mut b = valid.clone();
        b[record + offset..][..bytes.len()].copy_from_slice(bytes);
        b
    };
    let codes = |b: &[u8]| validate(b, TODAY).unwrap().errors.iter().map(|d| d.code).collect::<Vec<_>>();
    assert_eq!(codes(&valid), []);
    assert_eq!(codes(&patch(297, b"912701234")), [Code::SsnItin], "group 70: an ITIN");
    assert_eq!(codes(&patch(297, b"912401234")), [Code::SsnInvalid], "9xx, group 40: neither");
    assert_eq!(codes(&patch(19, b"2")), [Code::CodeInvalid]);
    assert_eq!(codes(&patch(19, b"1")), []);
    assert_eq!(codes(&patch(20, b"00000000000000000000")), [Code::IdNumberInvalid]);
    assert_eq!(codes(&patch(20, b"999999999           ")), [Code::IdNumberInvalid]);
}

#[test]
fn a_numeric_terms_duration_from_json_is_written_as_three_digits() {
    let json = r#"{"header":{"recordIdentifier":"HEADER","activityDate":"2024-06-30T00:00:00Z","dateCreated":"07/01/2024",
        "reporterName":"X","reporterAddress":"Y"},
      "data":[{"base":{"identificationNumber":"ID1","consumerAccountNumber":"A1","portfolioType":"I","accountType":"00",
        "dateOpened":"2020-01-02T00:00:00Z","highestCredit":100,"termsDuration":"TERMS","termsFrequency":"M","accountStatus":"11",
        "paymentHistoryProfile":"000000000000000000000000","dateAccountInformation":"2024-06-30T00:00:00Z","surname":"DOE",
        "firstName":"J","socialSecurityNumber":123456789,"ecoaCode":"1","firstLineAddress":"1 A ST","city":"C",
        "state":"IL","zipCode":"62701"}}],
      "trailer":{"totalBaseRecords":1}}"#;
    for (given, written) in [("60", "060"), ("6", "006"), ("060", "060"), (" 60", "060"), ("LOC", "LOC")] {
        let bytes = from_json(json.replace("TERMS", given).as_bytes(), Vec::new(), WriterOptions::default()).unwrap();
        assert_eq!(records_of(&bytes)[0].base.terms_duration, written, "{given:?}");
        let report = validate(bytes.as_slice(), TODAY).unwrap();
        let codes: Vec<Code> = report.errors.iter().map(|d| d.code).filter(|c| *c != Code::TrailerMismatch).collect();
        assert_eq!(codes, [], "{given:?}: what we write passes our validator");
    }
}

#[test]
fn a_variable_file_whose_trailer_has_no_block_descriptor_word_is_read_and_validates() {
    // moov-io/metro2 writes every variable file so: the trailer's RDW where its BDW would be.
    let records = varied();
    let ours = write(opts(Format::Character, Blocking::Variable, LineBreak::None), &records);
    let rdw = ours.windows(7).rposition(|w| w == b"TRAILER").unwrap() - 4;
    let mut theirs = [&ours[..rdw - 4], &ours[rdw..]].concat();
    // Their block count leaves out the trailer, which is in no block.
    let count = theirs.len() - 426 + 56;
    let blocks: u64 = std::str::from_utf8(&theirs[count..count + 9]).unwrap().parse().unwrap();
    theirs[count..count + 9].copy_from_slice(format!("{:09}", blocks - 1).as_bytes());
    let report = validate(theirs.as_slice(), TODAY).unwrap();
    assert_eq!(report.errors, [], "a variable file with an unblocked trailer validates");
    assert_eq!(report.blocking, Some(Blocking::Variable));
    assert_eq!(records_of(&theirs), records);
}

#[test]
fn json_conversion_names_every_value_that_does_not_fit_with_its_record_number_and_field() {
    let json = r#"{"header":{"recordIdentifier":"HEADER","activityDate":"2024-06-30","dateCreated":"2024-07-01",
        "reporterName":"X","reporterAddress":"Y"},
      "data":[{"base":{"identificationNumber":"ID1","consumerAccountNumber":"A1","portfolioType":"R"}},
              {"base":{"identificationNumber":"AN IDENTIFICATION NUMBER FAR TOO LONG","consumerAccountNumber":"A2",
                       "city":"A CITY NAME MUCH LONGER THAN TWENTY"}},
              {"base":{"identificationNumber":"ID1","consumerAccountNumber":"A3"}},
              {"base":{"creditLimit":"five hundred","currentBalance":true,"dateOpened":"2024-02-30","surname":"DOE"},
               "j1":[{"surname":"ROE"},{"socialSecurityNumber":[1]}],"k1":7},
              {"base":{"identificationNumber":"ID1","consumerAccountNumber":"AN ACCOUNT NUMBER LONGER THAN THIRTY"}}],
      "trailer":{"totalBaseRecords":"many"}}"#;
    let err = from_json(json.as_bytes(), Vec::new(), WriterOptions::default()).unwrap_err();
    let ob_formats::metro2::json::JsonError::Records(errors) = &err else { panic!("{err}") };
    let found: Vec<(u64, &str)> = errors.iter().map(|e| (e.record, e.field.as_str())).collect();
    assert_eq!(
        found,
        [
            (3, "base.identificationNumber"),
            (3, "base.city"),
            (5, "base.creditLimit"),
            (5, "base.currentBalance"),
            (5, "base.dateOpened"),
            (5, "j1[1].socialSecurityNumber"),
            (5, "k1"),
            (6, "base.consumerAccountNumber"),
            (7, "trailer.totalBaseRecords"),
        ],
        "{err}"
    );
    let said = err.to_string();
    assert!(said.starts_with("9 values do not fit Metro 2"), "{said}");
    assert!(said.contains("record 3: base.city: is longer than the field"), "{said}");
    assert!(said.contains("record 5: base.creditLimit: invalid type"), "{said}");
}

#[test]
fn json_without_empty_values_reads_back_to_the_same_file() {
    for f in valid_files() {
        let bytes = write(f.options, &f.records);
        let mut full = Vec::new();
        to_json(bytes.as_slice(), &mut full).unwrap();
        let mut lean = Vec::new();
        ob_formats::metro2::json::to_json_with(bytes.as_slice(), &mut lean, true).unwrap();
        let text = String::from_utf8(lean.clone()).unwrap();
        assert!(lean.len() < full.len() && !text.contains("\"\"") && !text.contains(":0,"), "{}: {text}", f.name);
        let back = from_json(lean.as_slice(), Vec::new(), f.options).unwrap();
        assert!(back == bytes, "{}", f.name);
    }
}

/// Values another tool's JSON may hold where a field is expected: right and wrong types, text
/// of any printable character, digits, dates in the accepted forms and not.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    prop_oneof![
        Just(Value::Null),
        Just(Value::Bool(true)),
        Just(Value::from(-1)),
        (0u64..=9_999_999_999).prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
        "[0-9]{1,3}".prop_map(Value::from),
        "[A-Z0-9]{1,2}".prop_map(Value::from),
        day().prop_map(|d| d.map_or(Value::Null, |d| Value::from(d.to_string()))),
        "(0[0-9]|1[0-9])/[0-3][0-9]/(19|20)[0-9][0-9]".prop_map(Value::from),
    ]
}

/// Converts `json` as `metro2 convert` does; `Some(bytes, trailer differences said)` when accepted.
fn convert_checked(json: &[u8], options: WriterOptions) -> Option<(Vec<u8>, usize)> {
    use ob_formats::metro2::json::{JsonError, from_json_checked};
    match from_json_checked(json, std::io::Cursor::new(Vec::new()), options, TODAY, false) {
        Ok(c) => Some((c.out.into_inner(), c.trailer_differs.len())),
        Err(JsonError::Rejected(..) | JsonError::Records(_)) => None,
        Err(e) => panic!("neither accepted nor refused with its problems listed: {e}"),
    }
}

#[test]
fn valid_json_is_accepted_by_the_checked_conversion_byte_for_byte() {
    for f in valid_files() {
        let bytes = write(f.options, &f.records);
        let mut json = Vec::new();
        to_json(bytes.as_slice(), &mut json).unwrap();
        let (back, differs) = convert_checked(&json, f.options).unwrap_or_else(|| panic!("{} refused", f.name));
        assert!(back == bytes && differs == 0, "{}", f.name);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Issue 16: a file we write from JSON always passes our validator. The JSON is valid records
    /// with arbitrary values put in arbitrary fields; whatever the converter accepts validates
    /// clean (save trailer totals kept from the JSON, each said) and converts back to itself.
    #[test]
    fn every_json_the_converter_accepts_converts_to_a_file_that_validates(
        picks in prop::collection::vec(0usize..6, 1..4),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), json_value()), 0..4),
        keep_trailer in any::<bool>(),
        options in any_options(),
    ) {
        let records: Vec<DataRecord> = picks.iter().map(|&i| varied()[i].clone()).collect();
        let mut file = serde_json::to_value(File { header: header(), data: records.clone(), ..File::default() }).unwrap();
        if keep_trailer {
            let mut w = Writer::new(Vec::new(), options, &header()).unwrap();
            records.iter().for_each(|r| w.write(r).unwrap());
            file["trailer"] = serde_json::to_value(w.trailer()).unwrap();
        } else {
            file.as_object_mut().unwrap().remove("trailer");
        }
        for (r, k, value) in edits {
            let data = file["data"].as_array_mut().unwrap();
            let at = r.index(data.len());
            let base = data[at]["base"].as_object_mut().unwrap();
            let key = base.keys().nth(k.index(base.len())).unwrap().clone();
            base.insert(key, value);
        }
        let json = serde_json::to_vec(&file).unwrap();
        if let Some((bytes, differs)) = convert_checked(&json, options) {
            let report = validate(bytes.as_slice(), TODAY).unwrap();
            prop_assert!(report.errors.iter().all(|d| d.code == Code::TrailerMismatch), "{:#?}", report.errors);
            prop_assert_eq!(report.errors_total, differs as u64);
            prop_assert!(keep_trailer || differs == 0);
            let mut again = Vec::new();
            to_json(bytes.as_slice(), &mut again).unwrap();
            let (back, _) = convert_checked(&again, options).expect("what we wrote converts again");
            prop_assert!(back == bytes);
        }
    }
}

#[test]
fn json_keeps_the_descriptor_words_as_the_source_had_them_and_reads_back_to_the_same_framing() {
    // moov-io's variable form: every record in its own block but the trailer, in none.
    let records = varied();
    let variable = opts(Format::PackedDecimal, Blocking::Variable, LineBreak::None);
    let blocked = write(variable, &records);
    let mut w = Writer::new(Vec::new(), variable, &header()).unwrap();
    records.iter().for_each(|r| w.write(r).unwrap());
    w.unblock_trailer();
    let (theirs, trailer) = w.finish().unwrap();
    let theirs = golden("packed_variable_unblocked_trailer.dat", &theirs);
    assert_eq!(theirs.len(), blocked.len() - 4, "one BDW fewer: the trailer's");
    assert_eq!(trailer.block_count, records.len() as u64 + 1, "the block count leaves the trailer out");
    assert_eq!(validate(theirs.as_slice(), TODAY).unwrap().errors, []);

    let mut json = Vec::new();
    to_json(theirs.as_slice(), &mut json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["header"]["recordDescriptorWord"], 366, "packed: as the source had it");
    assert_eq!(v["header"]["blockDescriptorWord"], 370);
    let first = &v["data"][0]["base"];
    assert_eq!(first["blockDescriptorWord"], first["recordDescriptorWord"].as_u64().unwrap() + 4);
    assert!(first["recordDescriptorWord"].as_u64().unwrap() > 366, "a record with segments: its whole length");
    assert_eq!(v["trailer"]["recordDescriptorWord"], 366);
    assert!(v["trailer"].get("blockDescriptorWord").is_none(), "the trailer was in no block");
    // Back from JSON, with no option asked: the same file, framing and all.
    let packed = WriterOptions { format: Format::PackedDecimal, ..WriterOptions::default() };
    let packed = WriterOptions { line_break: LineBreak::None, ..packed };
    assert!(from_json(json.as_slice(), Vec::new(), packed).unwrap() == theirs);
    // A fixed file's JSON has no block descriptor word anywhere.
    let fixed = write(opts(Format::Character, Blocking::Fixed, LineBreak::Lf), &records);
    let mut json = Vec::new();
    to_json(fixed.as_slice(), &mut json).unwrap();
    assert!(!String::from_utf8(json).unwrap().contains("blockDescriptorWord"));
}

#[test]
fn blocking_that_is_wrong_is_named_as_such() {
    let records = varied();
    let check = |bytes: &[u8], want: &str| {
        let report = validate(bytes, TODAY).unwrap();
        let d = report.errors.iter().find(|d| d.code == Code::BlockingMixed);
        let d = d.unwrap_or_else(|| panic!("{want}: {:#?}", report.errors));
        assert_eq!(d.record, 4, "{want}: the third data record, after the header: {d}");
        assert!(d.message.contains(want), "{d}");
    };
    for format in [Format::Character, Format::PackedDecimal] {
        // A variable file whose third data record has lost its BDW.
        let mut bytes = write(opts(format, Blocking::Variable, LineBreak::None), &records);
        let second = record_offsets(&bytes)[2];
        bytes.drain(second - 4..second);
        check(&bytes, "has no block descriptor word, but the file's first record opens a block");
        // A fixed file whose third data record has one.
        let bytes = write(opts(format, Blocking::Fixed, LineBreak::Lf), &records);
        let second = record_offsets(&bytes)[2];
        let len = records[2].len_in(format) + 4;
        let bdw: Vec<u8> =
            if format.is_packed() { vec![(len >> 8) as u8, len as u8, 0, 0] } else { format!("{len:04}").into_bytes() };
        let bytes = [&bytes[..second], &bdw, &bytes[second..]].concat();
        check(&bytes, "has a block descriptor word");
    }
    // A BDW that undercounts its record says both lengths.
    let mut bytes = write(opts(Format::Character, Blocking::Variable, LineBreak::None), &records);
    let second = record_offsets(&bytes)[2];
    let rdw: usize = std::str::from_utf8(&bytes[second..second + 4]).unwrap().parse().unwrap();
    bytes[second - 4..second].copy_from_slice(format!("{:04}", rdw + 3).as_bytes());
    let report = validate(bytes.as_slice(), TODAY).unwrap();
    let said = format!("says {rdw} bytes, more than the {} left of its block", rdw - 1);
    assert!(
        report.errors.iter().any(|d| d.code == Code::RecordLength && d.message.contains(&said)),
        "{:#?}",
        report.errors
    );
}
