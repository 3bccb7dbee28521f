//! Field codecs and the [`segment!`] macro that turns one table per segment into its struct, its
//! layout (field positions), its parser and its writer.
//!
//! [`Fields`] reads fields from a segment's bytes, collecting every problem as a diagnostic;
//! [`Out`] writes fields into a blank-filled segment; [`Value`] ties each Rust type of a record
//! field to both, so the generated parser and writer need only the field's name.

use super::decode::{self, Bad, Ymd};
use super::layout::{F, Kind};
use super::record::Ssn;
use super::validate::Diagnostic;
use super::writer::WriteError;
use super::{Code, Format, Segment};
use time::{Date, PrimitiveDateTime};

/// Declares a segment from one table: one row per field, in position order.
///
/// ```text
/// segment! {
///     /// The struct's doc.
///     J1Segment { layout: J1Layout [J1], appended: J1 }
///     /// The field's doc.
///     surname: text = "surname", t(3, 25).req();
/// }
/// ```
///
/// A row gives the field's name, its kind, its JSON key (moov-io/metro2 naming, also used in
/// diagnostics) and its position: a layout constructor of [`super::layout`] (`t`, `n`, `d`,
/// `ts`, `pn`, `pd`, `pts`, with `.req()` when blank is an error). A second position, when
/// given, is the packed layout's; without it the packed layout is the same. Kinds and their types:
/// `text` (`String`), `filler` (`String`, left out of JSON when blank), `small` (`u8`), `num`
/// (`u64`), `amount` (`i64`), `ssn` ([`Ssn`]), `date` (`Option<Date>`), `stamp`
/// (`Option<PrimitiveDateTime>`). Other attributes on a row go to the struct's field.
///
/// The head names the layout struct and its constants (character, then packed), and optionally
/// the appended segment it is (an [`Appended`] implementation) and a layout-only identifier field
/// (written by hand, not kept in the struct). The macro expands to the struct (serde in the
/// moov-io shape), the layout struct with `all()`, its constants, `read_fields` and `write_fields_noting`.
macro_rules! segment {
    (
        $(#[$meta:meta])*
        $S:ident {
            layout: $L:ident [$char:ident $(, $packed:ident)?]
            $(, appended: $seg:ident)?
            $(, identifier: $id:ident = $ij:literal, $ic:expr)?
            $(,)?
        }
        $( $(#[$fm:meta])* $field:ident: $kind:ident = $json:literal, $c:expr $(, $p:expr)?; )+
    ) => {
        segment!(@struct { $(#[$meta])* pub struct $S } []
            $( [$(#[$fm])* #[serde(rename = $json)]] $field $kind )+);

        #[doc = concat!("Field positions of [`", stringify!($S), "`].")]
        #[derive(Debug)]
        pub(crate) struct $L {
            $( pub $id: $crate::metro2::layout::F, )?
            $( pub $field: $crate::metro2::layout::F, )+
        }

        impl $L {
            /// The character (`packed` false) or packed layout.
            const fn build(packed: bool) -> $L {
                $L {
                    $( $id: $ic.named($ij), )?
                    $( $field: $crate::metro2::layout::F::pick(packed, $c, segment!(@or $c $(, $p)?)).named($json), )+
                }
            }

            /// Every field, in position order.
            pub fn all(&self) -> impl Iterator<Item = &$crate::metro2::layout::F> + Clone {
                [$( &self.$id, )? $( &self.$field ),+].into_iter()
            }
        }

        #[doc = concat!("The character layout of [`", stringify!($S), "`].")]
        pub(crate) const $char: $L = $L::build(false);
        $(
            #[doc = concat!("The packed layout of [`", stringify!($S), "`].")]
            pub(crate) const $packed: $L = $L::build(true);
        )?

        impl $S {
            /// Reads every field; problems go to `p`'s diagnostics.
            fn read_fields(p: &mut $crate::metro2::fields::Fields<'_, '_>, l: &$L) -> $S {
                use $crate::metro2::fields::Value;
                $S { $( $field: Value::read(p, &l.$field), )+ }
            }

            /// Writes every field that fits; each that does not is added to `errors` (its slot
            /// stays blank), so one pass names them all.
            fn write_fields_noting(
                &self,
                w: &mut $crate::metro2::fields::Out<'_>,
                l: &$L,
                errors: &mut Vec<$crate::metro2::WriteError>,
            ) {
                use $crate::metro2::fields::Value;
                $( if let Err(e) = self.$field.write(w, &l.$field) { errors.push(e); } )+
            }
        }

        $(
            impl $crate::metro2::fields::Appended for $S {
                const SEGMENT: $crate::metro2::Segment = $crate::metro2::Segment::$seg;

                fn read(p: &mut $crate::metro2::fields::Fields<'_, '_>) -> $S {
                    $S::read_fields(p, &$char)
                }

                fn write_noting(&self, out: &mut Vec<u8>, errors: &mut Vec<$crate::metro2::WriteError>) {
                    let mut w = $crate::metro2::fields::Out::segment(out, Self::SEGMENT);
                    self.write_fields_noting(&mut w, &$char, errors)
                }
            }
        )?
    };

    // The packed position: the second when given, else the character one.
    (@or $c:expr) => { $c };
    (@or $c:expr, $p:expr) => { $p };

    // The struct, one row at a time: each kind gives the field's type and serde attributes.
    (@struct { $($head:tt)* } [$($done:tt)*]) => {
        #[derive(Clone, Debug, Default, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(default)]
        $($head)* { $($done)* }
    };
    (@struct $h:tt [$($done:tt)*] [$($a:tt)*] $f:ident text $($rest:tt)*) => {
        segment!(@struct $h [$($done)* $($a)* pub $f: String,] $($rest)*);
    };
    (@struct $h:tt [$($done:tt)*] [$($a:tt)*] $f:ident filler $($rest:tt)*) => {
        segment!(@struct $h [$($done)* $($a)* #[serde(skip_serializing_if = "String::is_empty")] pub $f: String,]
            $($rest)*);
    };
    (@struct $h:tt [$($done:tt)*] [$($a:tt)*] $f:ident small $($rest:tt)*) => {
        segment!(@struct $h [$($done)* $($a)* pub $f: u8,] $($rest)*);
    };
    (@struct $h:tt [$($done:tt)*] [$($a:tt)*] $f:ident num $($rest:tt)*) => {
        segment!(@struct $h [$($done)* $($a)* pub $f: u64,] $($rest)*);
    };
    (@struct $h:tt [$($done:tt)*] [$($a:tt)*] $f:ident amount $($rest:tt)*) => {
        segment!(@struct $h [$($done)* $($a)* pub $f: i64,] $($rest)*);
    };
    (@struct $h:tt [$($done:tt)*] [$($a:tt)*] $f:ident ssn $($rest:tt)*) => {
        segment!(@struct $h [$($done)* $($a)* pub $f: $crate::metro2::Ssn,] $($rest)*);
    };
    (@struct $h:tt [$($done:tt)*] [$($a:tt)*] $f:ident date $($rest:tt)*) => {
        segment!(@struct $h [$($done)* $($a)*
            #[serde(with = "crate::metro2::json::serde_dates::date", skip_serializing_if = "Option::is_none")]
            pub $f: Option<::time::Date>,] $($rest)*);
    };
    (@struct $h:tt [$($done:tt)*] [$($a:tt)*] $f:ident stamp $($rest:tt)*) => {
        segment!(@struct $h [$($done)* $($a)*
            #[serde(with = "crate::metro2::json::serde_dates::stamp", skip_serializing_if = "Option::is_none")]
            pub $f: Option<::time::PrimitiveDateTime>,] $($rest)*);
    };
}

pub(crate) use segment;

/// An appended segment (J1, J2, K1–K4, L1, N1): its identifier, parser and writer.
pub(crate) trait Appended: Sized {
    /// Which segment it is.
    const SEGMENT: Segment;

    /// Parses the segment's fields (positions from its identifier).
    fn read(p: &mut Fields<'_, '_>) -> Self;

    /// Appends the segment, identifier first, to `out`, noting every field that does not fit
    /// (its slot left blank).
    fn write_noting(&self, out: &mut Vec<u8>, errors: &mut Vec<WriteError>);
}

/// The Rust type of a record field: how it is read and written.
pub(crate) trait Value: Sized {
    /// Reads the field; a problem is noted in `p` and a neutral value returned.
    fn read(p: &mut Fields<'_, '_>, f: &F) -> Self;

    /// Writes the field.
    fn write(&self, w: &mut Out<'_>, f: &F) -> Result<(), WriteError>;
}

impl Value for String {
    fn read(p: &mut Fields<'_, '_>, f: &F) -> Self {
        p.text(f)
    }

    fn write(&self, w: &mut Out<'_>, f: &F) -> Result<(), WriteError> {
        w.text(f, self)
    }
}

impl Value for u8 {
    fn read(p: &mut Fields<'_, '_>, f: &F) -> Self {
        u8::try_from(p.num(f)).unwrap_or(u8::MAX)
    }

    fn write(&self, w: &mut Out<'_>, f: &F) -> Result<(), WriteError> {
        w.num(f, u64::from(*self))
    }
}

impl Value for u64 {
    fn read(p: &mut Fields<'_, '_>, f: &F) -> Self {
        p.num(f)
    }

    fn write(&self, w: &mut Out<'_>, f: &F) -> Result<(), WriteError> {
        w.num(f, *self)
    }
}

impl Value for i64 {
    fn read(p: &mut Fields<'_, '_>, f: &F) -> Self {
        i64::try_from(p.num(f)).unwrap_or(i64::MAX)
    }

    fn write(&self, w: &mut Out<'_>, f: &F) -> Result<(), WriteError> {
        let v = u64::try_from(*self).map_err(|_| w.err(f, "amounts cannot be negative"))?;
        w.num(f, v)
    }
}

impl Value for Ssn {
    fn read(p: &mut Fields<'_, '_>, f: &F) -> Self {
        Ssn(u32::try_from(p.num(f)).unwrap_or(u32::MAX))
    }

    fn write(&self, w: &mut Out<'_>, f: &F) -> Result<(), WriteError> {
        w.num(f, u64::from(self.0))
    }
}

impl Value for Option<Date> {
    fn read(p: &mut Fields<'_, '_>, f: &F) -> Self {
        p.date(f)
    }

    fn write(&self, w: &mut Out<'_>, f: &F) -> Result<(), WriteError> {
        w.date(f, *self)
    }
}

impl Value for Option<PrimitiveDateTime> {
    fn read(p: &mut Fields<'_, '_>, f: &F) -> Self {
        p.stamp(f)
    }

    fn write(&self, w: &mut Out<'_>, f: &F) -> Result<(), WriteError> {
        w.stamp(f, *self)
    }
}

/// Reads fields from one segment's bytes, collecting every problem.
pub(crate) struct Fields<'a, 'e> {
    /// The segment's bytes (the whole record for header, base and trailer).
    pub bytes: &'a [u8],
    /// The encoding of its numbers and dates.
    pub format: Format,
    /// Which segment, for diagnostics.
    pub segment: Segment,
    /// Offset of the segment in the file.
    pub offset: u64,
    /// The record's number in the file.
    pub record: u64,
    /// Where problems go.
    pub errors: &'e mut Vec<Diagnostic>,
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
    pub fn text(&self, f: &F) -> String {
        let b = f.bytes(self.bytes);
        let end = b.iter().rposition(|&c| c != b' ').map_or(0, |i| i + 1);
        b.get(..end).unwrap_or(&[]).iter().map(|&c| char::from(c)).collect()
    }

    /// A number; 0 (and a diagnostic) when unreadable.
    pub fn num(&mut self, f: &F) -> u64 {
        decode::number(f, f.bytes(self.bytes), self.format).unwrap_or_else(|bad| {
            self.fail(f, bad);
            0
        })
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

/// Writes fields into one segment appended to an output buffer (pre-filled with blanks).
pub(crate) struct Out<'a> {
    buf: &'a mut [u8],
    format: Format,
    segment: Segment,
}

impl<'a> Out<'a> {
    /// Appends `len` blanks to `out` and writes into them.
    pub fn new(out: &'a mut Vec<u8>, len: usize, format: Format, segment: Segment) -> Out<'a> {
        let start = out.len();
        out.resize(start + len, b' ');
        let buf = out.get_mut(start..).unwrap_or_default();
        Out { buf, format, segment }
    }

    /// An appended segment: blanks, then its identifier.
    pub fn segment(out: &'a mut Vec<u8>, segment: Segment) -> Out<'a> {
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
    pub fn descriptor(&mut self, len: usize) -> Result<(), WriteError> {
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
    pub fn text(&mut self, f: &F, s: &str) -> Result<(), WriteError> {
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

    /// A number in the field's encoding.
    pub fn num(&mut self, f: &F, v: u64) -> Result<(), WriteError> {
        let format = self.format;
        if decode::put_number(f, self.slot(f), v, format) { Ok(()) } else { Err(self.err(f, "too many digits")) }
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
