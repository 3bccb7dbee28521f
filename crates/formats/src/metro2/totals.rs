//! The trailer's totals, counted from records' bytes (shared by the validator and the writer).

use super::codes::status_index;
use super::decode::{self, is_blank};
use super::layout::{self, F, TRAILER_TOTALS, total};
use super::reader::RecordRef;
use super::{Format, Segment};

/// The 43 totals in trailer position order (see [`layout::TRAILER_TOTAL_NAMES`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Totals {
    pub counts: [u64; TRAILER_TOTALS],
}

impl Default for Totals {
    fn default() -> Self {
        Totals { counts: [0; TRAILER_TOTALS] }
    }
}

/// Whether an appended segment carries data: not blank- or 9-filled after its identifier
/// (fixed-length files keep empty segments as placeholders).
pub(crate) fn segment_has_data(seg: &[u8]) -> bool {
    let body = seg.get(2..).unwrap_or(&[]);
    !(is_blank(body) || body.iter().all(|&c| c == b'9'))
}

/// An SSN value that counts as reported: not zero- or 9-filled.
pub(crate) fn ssn_reported(v: u64) -> bool {
    v != 0 && v != 999_999_999
}

impl Totals {
    fn bump(&mut self, i: usize) {
        if let Some(c) = self.counts.get_mut(i) {
            *c += 1;
        }
    }

    /// Counts one data record.
    pub fn add(&mut self, rec: &RecordRef<'_>) {
        let format = rec.format;
        let b = layout::base_layout(format);
        let base = rec.bytes;
        self.bump(total::BASE_RECORDS);
        if let Some(s) = status_index(b.account_status.bytes(base)) {
            self.bump(if s == 0 { total::STATUS_DF } else { total::STATUS_DA + s - 1 });
        }
        self.person(base, &b.ecoa_code, &b.social_security_number, &b.date_birth, &b.telephone_number, format);
        self.bump_if(total::SSN_BASE, ssn(&b.social_security_number, base, format));
        self.bump_if(total::DOB_BASE, dob(&b.date_birth, base, format));
        for (segment, bytes) in rec.segments() {
            if segment_has_data(bytes) {
                self.segment(segment, bytes);
            }
        }
    }

    fn bump_if(&mut self, i: usize, yes: bool) {
        if yes {
            self.bump(i);
        }
    }

    /// The counts every consumer (base, J1, J2) contributes to: ECOA Z, SSNs, births, phones.
    fn person(&mut self, bytes: &[u8], ecoa: &F, ssn_f: &F, dob_f: &F, phone: &F, format: Format) {
        self.bump_if(total::ECOA_Z, ecoa.bytes(bytes) == b"Z");
        self.bump_if(total::SSN_ALL, ssn(ssn_f, bytes, format));
        self.bump_if(total::DOB_ALL, dob(dob_f, bytes, format));
        self.bump_if(total::PHONE_ALL, decode::number(phone, phone.bytes(bytes), format).is_ok_and(|v| v > 0));
    }

    fn segment(&mut self, segment: Segment, bytes: &[u8]) {
        let c = Format::Character;
        match segment {
            Segment::J1 => {
                let l = &layout::J1;
                self.bump(total::J1);
                self.person(bytes, &l.ecoa_code, &l.social_security_number, &l.date_birth, &l.telephone_number, c);
                self.bump_if(total::SSN_J1, ssn(&l.social_security_number, bytes, c));
                self.bump_if(total::DOB_J1, dob(&l.date_birth, bytes, c));
            }
            Segment::J2 => {
                let l = &layout::J2;
                self.bump(total::J2);
                self.person(bytes, &l.ecoa_code, &l.social_security_number, &l.date_birth, &l.telephone_number, c);
                self.bump_if(total::SSN_J2, ssn(&l.social_security_number, bytes, c));
                self.bump_if(total::DOB_J2, dob(&l.date_birth, bytes, c));
            }
            Segment::K1 => self.bump(total::K1),
            Segment::K2 => self.bump(total::K2),
            Segment::K3 => self.bump(total::K3),
            Segment::K4 => self.bump(total::K4),
            Segment::L1 => self.bump(total::L1),
            Segment::N1 => self.bump(total::N1),
            _ => {}
        }
    }
}

fn ssn(f: &F, bytes: &[u8], format: Format) -> bool {
    decode::number(f, f.bytes(bytes), format).is_ok_and(ssn_reported)
}

fn dob(f: &F, bytes: &[u8], format: Format) -> bool {
    decode::date(f, f.bytes(bytes), format).is_ok_and(|d| d.is_some())
}
