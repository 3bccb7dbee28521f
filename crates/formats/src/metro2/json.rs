//! The JSON form of moov-io/metro2: `{"header": {…}, "data": [{"base": {…}, "j1": […], "j2": […],
//! "k1": {…}, …, "n1": {…}}], "trailer": {…}}` with camelCase keys.
//!
//! Output adds what moov-io writes (`recordDescriptorWord`, `recordIdentifier`,
//! `segmentIdentifier`); input ignores those (they are derived) and any other unknown key. Dates
//! are RFC 3339 (`2024-01-31T00:00:00Z`) and omitted when not applicable; input also takes
//! `YYYY-MM-DD` and `MM/DD/YYYY`, and reads moov-io's zero time (`0001-01-01T00:00:00Z`) as none.
//! Fillers (`reserved…`) appear only when not blank, so no byte of a file is lost either way.
//!
//! [`to_json`] and [`from_json`] stream: memory does not grow with the number of records.

use super::reader::Error as ReadError;
use super::{
    BaseSegment, Blocking, CHARACTER_RECORD_BYTES, Code, DIAGNOSTICS_KEPT_MAX, DataRecord, Diagnostic, Format,
    HeaderRecord, J1Segment, J2Segment, K1Segment, K2Segment, K3Segment, K4Segment, L1Segment, N1Segment, Reader,
    TrailerRecord, WriteError, Writer, WriterOptions,
};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// Reading the input or writing the output failed.
    #[error("i/o failed: {0}")]
    Io(#[from] io::Error),
    /// The JSON is malformed or a value has the wrong type.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The Metro 2 input cannot be converted: the first record (or framing) that failed, with
    /// every problem found in it.
    #[error("{}", .0.first().map_or(String::from("invalid Metro 2 input"), |d| d.to_string()))]
    Invalid(Vec<Diagnostic>),
    /// A value from the JSON does not fit its Metro 2 field.
    #[error("{0}")]
    Write(#[from] WriteError),
    /// The Metro 2 the JSON converts to does not pass the validator: every problem found (at
    /// most [`DIAGNOSTICS_KEPT_MAX`]) and how many there are in all. Nothing is to be kept.
    #[error("{}", rejected_message(.0, *.1))]
    Rejected(Vec<Diagnostic>, u64),
    /// Records whose values have the wrong JSON type or do not fit their fields: every one, each
    /// with its number in the file (the header is record 1) and every field at fault. The
    /// conversion reads on to the end to find them all; its output is not to be used.
    #[error("{}", records_message(.0))]
    Records(Vec<RecordError>),
}

/// A value of one record that cannot become Metro 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    /// The record's number in the file: the header is 1, the first data record 2.
    pub record: u64,
    /// The field at fault, as a path of JSON keys (`base.creditLimit`, `j1[0].surname`), or the
    /// segment (`J1.surname`) when the value has the right type but does not fit.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}: {}: {}", self.record, self.field, self.reason)
    }
}

fn rejected_message(errors: &[Diagnostic], total: u64) -> String {
    let lines: Vec<String> = errors.iter().map(Diagnostic::to_string).collect();
    format!("the Metro 2 it converts to has {total} errors (metro2 validate lists them):\n{}", lines.join("\n"))
}

fn records_message(errors: &[RecordError]) -> String {
    let lines: Vec<String> = errors.iter().map(RecordError::to_string).collect();
    format!("{} values do not fit Metro 2:\n{}", errors.len(), lines.join("\n"))
}

/// A whole file in memory (for small files and tests; [`to_json`] and [`from_json`] stream).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct File {
    /// The header record.
    pub header: HeaderRecord,
    /// The data records.
    pub data: Vec<DataRecord>,
    /// The trailer record.
    pub trailer: TrailerRecord,
}

impl Serialize for File {
    /// Descriptor words as a fixed character file has them.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            header: HeaderOut<'a>,
            data: &'a [DataRecord],
            trailer: TrailerOut<'a>,
        }
        let fixed = Words::fixed(CHARACTER_RECORD_BYTES);
        Out {
            header: HeaderOut::new(&self.header, fixed),
            data: &self.data,
            trailer: TrailerOut::new(&self.trailer, fixed),
        }
        .serialize(s)
    }
}

/// A record's descriptor words as the source file has them (moov-io's `recordDescriptorWord`
/// and `blockDescriptorWord`), so JSON read by moov-io/metro2 gives back the same framing. On
/// input the RDW is ignored (lengths follow the format written); a header's BDW makes the file
/// variable-blocked, and a trailer without one is then written unblocked (see `convert`).
#[derive(Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
struct Words {
    /// Present only when the record opens a block.
    #[serde(skip_serializing_if = "Option::is_none")]
    block_descriptor_word: Option<usize>,
    record_descriptor_word: usize,
}

impl Words {
    fn fixed(rdw: usize) -> Words {
        Words { block_descriptor_word: None, record_descriptor_word: rdw }
    }

    fn of(descriptors: Option<(usize, Option<usize>)>) -> Words {
        let (rdw, bdw) = descriptors.unwrap_or((CHARACTER_RECORD_BYTES, None));
        Words { block_descriptor_word: bdw, record_descriptor_word: rdw }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HeaderOut<'a> {
    #[serde(flatten)]
    words: Words,
    record_identifier: &'static str,
    #[serde(flatten)]
    header: &'a HeaderRecord,
}

impl<'a> HeaderOut<'a> {
    fn new(header: &'a HeaderRecord, words: Words) -> Self {
        HeaderOut { words, record_identifier: "HEADER", header }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TrailerOut<'a> {
    #[serde(flatten)]
    words: Words,
    record_identifier: &'static str,
    #[serde(flatten)]
    trailer: &'a TrailerRecord,
}

impl<'a> TrailerOut<'a> {
    fn new(trailer: &'a TrailerRecord, words: Words) -> Self {
        TrailerOut { words, record_identifier: "TRAILER", trailer }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BaseOut<'a> {
    #[serde(flatten)]
    words: Words,
    #[serde(flatten)]
    base: &'a BaseSegment,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tagged<'a, T> {
    segment_identifier: &'static str,
    #[serde(flatten)]
    segment: &'a T,
}

fn tag<T>(id: &'static str) -> impl Fn(&T) -> Tagged<'_, T> {
    move |segment| Tagged { segment_identifier: id, segment }
}

#[derive(Serialize)]
struct DataOut<'a> {
    base: BaseOut<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    j1: Vec<Tagged<'a, J1Segment>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    j2: Vec<Tagged<'a, J2Segment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    k1: Option<Tagged<'a, K1Segment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    k2: Option<Tagged<'a, K2Segment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    k3: Option<Tagged<'a, K3Segment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    k4: Option<Tagged<'a, K4Segment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    l1: Option<Tagged<'a, L1Segment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n1: Option<Tagged<'a, N1Segment>>,
}

impl Serialize for DataRecord {
    /// Descriptor words as a fixed character file has them.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WithWords { record: self, words: Words::fixed(self.len_in(Format::Character)) }.serialize(s)
    }
}

/// A data record with its descriptor words as read.
struct WithWords<'a> {
    record: &'a DataRecord,
    words: Words,
}

impl Serialize for WithWords<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.record;
        DataOut {
            base: BaseOut { words: self.words, base: &r.base },
            j1: r.j1.iter().map(tag("J1")).collect(),
            j2: r.j2.iter().map(tag("J2")).collect(),
            k1: r.k1.as_ref().map(tag("K1")),
            k2: r.k2.as_ref().map(tag("K2")),
            k3: r.k3.as_ref().map(tag("K3")),
            k4: r.k4.as_ref().map(tag("K4")),
            l1: r.l1.as_ref().map(tag("L1")),
            n1: r.n1.as_ref().map(tag("N1")),
        }
        .serialize(s)
    }
}

#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct DataIn {
    base: BaseSegment,
    #[serde(deserialize_with = "null_as_empty")]
    j1: Vec<J1Segment>,
    #[serde(deserialize_with = "null_as_empty")]
    j2: Vec<J2Segment>,
    k1: Option<K1Segment>,
    k2: Option<K2Segment>,
    k3: Option<K3Segment>,
    k4: Option<K4Segment>,
    l1: Option<L1Segment>,
    n1: Option<N1Segment>,
}

/// A numeric terms duration as other tools' JSON writes it (`"60"`, or the number `60` made text)
/// becomes the field's three digits (`060`): the character field is right-justified and
/// zero-filled, and written left-justified it would fail validation. `LOC`, `REV` and anything
/// else are left as they are, for the validator to judge.
fn normalise_terms_duration(value: &mut String) {
    let digits = value.trim();
    if !digits.is_empty() && digits.len() < 3 && digits.bytes().all(|b| b.is_ascii_digit()) {
        *value = format!("{digits:0>3}");
    }
}

fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

impl<'de> Deserialize<'de> for DataRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut i = DataIn::deserialize(d)?;
        normalise_terms_duration(&mut i.base.terms_duration);
        Ok(DataRecord { base: i.base, j1: i.j1, j2: i.j2, k1: i.k1, k2: i.k2, k3: i.k3, k4: i.k4, l1: i.l1, n1: i.n1 })
    }
}

/// Converts a Metro 2 file (any format) to JSON, streaming record by record.
pub fn to_json(input: impl Read, out: impl Write) -> Result<(), JsonError> {
    to_json_with(input, out, false)
}

/// [`to_json`]; with `omit_empty`, blank text, zero numbers and absent values are left out, as
/// moov-io/metro2 writes them (reading such JSON back gives the same file: left-out fields are
/// blank or zero).
pub fn to_json_with(input: impl Read, out: impl Write, omit_empty: bool) -> Result<(), JsonError> {
    let mut out = io::BufWriter::new(out);
    let put = |out: &mut io::BufWriter<_>, value: &dyn erased::Value| -> Result<(), JsonError> {
        if omit_empty {
            let mut v = value.to_json_value()?;
            strip_empty(&mut v);
            serde_json::to_writer(out, &v)?;
        } else {
            value.write_json(out)?;
        }
        Ok(())
    };
    let mut reader = Reader::new(input).map_err(read_error)?;
    let header = match reader.header() {
        Some(h) => h.map_err(JsonError::Invalid)?,
        None => return Err(invalid(Code::HeaderMissing, "the file does not start with a HEADER record")),
    };
    out.write_all(b"{\"header\":")?;
    put(&mut out, &HeaderOut::new(&header, Words::of(reader.header_descriptors())))?;
    out.write_all(b",\"data\":[")?;
    let mut first = true;
    while let Some(next) = reader.next_record() {
        let rec = next.map_err(read_error)?;
        let record = DataRecord::parse(&rec).map_err(JsonError::Invalid)?;
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        let words = Words {
            block_descriptor_word: rec.block_descriptor_word(),
            record_descriptor_word: rec.record_descriptor_word(),
        };
        put(&mut out, &WithWords { record: &record, words })?;
    }
    let trailer = match reader.trailer() {
        Some(t) => t.map_err(JsonError::Invalid)?,
        None => return Err(invalid(Code::TrailerMissing, "the file ends without a TRAILER record")),
    };
    out.write_all(b"],\"trailer\":")?;
    put(&mut out, &TrailerOut::new(&trailer, Words::of(reader.trailer_descriptors())))?;
    out.write_all(b"}")?;
    out.flush()?;
    Ok(())
}

/// Serializing the file's parts either straight to the output or through a `Value`.
mod erased {
    use std::io::Write;

    /// A part of the file to write as JSON.
    pub(super) trait Value {
        fn to_json_value(&self) -> serde_json::Result<serde_json::Value>;
        fn write_json(&self, out: &mut dyn Write) -> serde_json::Result<()>;
    }

    impl<T: serde::Serialize> Value for T {
        fn to_json_value(&self) -> serde_json::Result<serde_json::Value> {
            serde_json::to_value(self)
        }

        fn write_json(&self, out: &mut dyn Write) -> serde_json::Result<()> {
            serde_json::to_writer(out, self)
        }
    }
}

/// Leaves out of objects the values that read back as blank or zero: `""`, `0`, `null`, `[]`.
/// The identifiers (`recordIdentifier`, `segmentIdentifier`) are never empty and stay.
fn strip_empty(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            map.retain(|_, v| {
                strip_empty(v);
                !matches!(v, Value::Null)
                    && v.as_str() != Some("")
                    && v.as_u64() != Some(0)
                    && v.as_array().is_none_or(|a| !a.is_empty())
            });
        }
        Value::Array(items) => items.iter_mut().for_each(strip_empty),
        _ => {}
    }
}

fn read_error(e: ReadError) -> JsonError {
    match e {
        ReadError::Io(e) => JsonError::Io(e),
        ReadError::Skipped(d) | ReadError::Fatal(d) => JsonError::Invalid(vec![d]),
    }
}

fn invalid(code: Code, message: &'static str) -> JsonError {
    JsonError::Invalid(vec![Diagnostic::file(0, 0, code, message)])
}

/// Converts JSON to a Metro 2 file, streaming: each data record is written as soon as it is
/// parsed (when `header` comes before `data`, as moov-io writes it; otherwise records wait in
/// memory for the header). The trailer is the JSON's own when present (so a file converted to
/// JSON and back keeps its bytes), else computed from the records. Returns the output.
pub fn from_json<R: Read, W: Write>(input: R, out: W, options: WriterOptions) -> Result<W, JsonError> {
    convert(input, out, options, true)
}

/// What [`from_json_checked`] wrote.
#[derive(Debug)]
pub struct Checked<W> {
    /// The output, holding a file that passes the validator.
    pub out: W,
    /// The trailer's totals that differ from what the records call for: kept from the JSON, as
    /// a conversion keeps the source's trailer, and to be said to the user.
    pub trailer_differs: Vec<Diagnostic>,
}

/// Converts JSON to Metro 2 that passes [`super::validate`] as of `today`: [`from_json`], then
/// the bytes written are read back and validated. Any problem fails the conversion with every
/// one listed ([`JsonError::Rejected`]), except trailer totals kept from the JSON, which are
/// returned to be said; `recompute_trailer` writes the computed trailer instead. So a file
/// this converter writes always passes the validator.
pub fn from_json_checked<W: Read + Write + Seek>(
    input: impl Read,
    mut out: W,
    options: WriterOptions,
    today: time::Date,
    recompute_trailer: bool,
) -> Result<Checked<W>, JsonError> {
    let start = out.stream_position()?;
    let written = convert(input, io::BufWriter::new(out), options, !recompute_trailer)?;
    let mut out = written.into_inner().map_err(io::IntoInnerError::into_error)?;
    out.seek(SeekFrom::Start(start))?;
    let report = super::validate(&mut out, today)?;
    let (trailer_differs, other): (Vec<Diagnostic>, Vec<Diagnostic>) =
        report.errors.into_iter().partition(|d| d.code == Code::TrailerMismatch);
    if report.errors_total > trailer_differs.len() as u64 {
        return Err(JsonError::Rejected(other, report.errors_total));
    }
    Ok(Checked { out, trailer_differs })
}

/// [`from_json`]; the JSON's trailer is written only with `keep_trailer` (its block count
/// following the blocking written), else the computed one.
fn convert<R: Read, W: Write>(input: R, out: W, options: WriterOptions, keep_trailer: bool) -> Result<W, JsonError> {
    let mut de = serde_json::Deserializer::from_reader(io::BufReader::new(input));
    let mut state = State {
        out: Some(out),
        options,
        writer: None,
        pending: Vec::new(),
        trailer: None,
        error: None,
        records_seen: 0,
        record_errors: Vec::new(),
        header_bdw: false,
        trailer_unblocked: false,
    };
    let parsed = (&mut de).deserialize_map(FileVisitor { state: &mut state });
    if let Some(e) = state.error.take() {
        return Err(e.into());
    }
    parsed?;
    de.end()?;
    if !state.record_errors.is_empty() {
        return Err(JsonError::Records(state.record_errors));
    }
    let mut writer = state.writer.take().ok_or_else(|| de::Error::missing_field("header")).map_err(JsonError::Json)?;
    if state.trailer_unblocked {
        writer.unblock_trailer();
    }
    let out = match state.trailer.take().filter(|_| keep_trailer) {
        Some(t) => {
            let block_count = writer.trailer().block_count;
            writer.finish_with(&TrailerRecord { block_count, ..t })?
        }
        None => writer.finish()?.0,
    };
    Ok(out)
}

struct State<W: Write> {
    out: Option<W>,
    options: WriterOptions,
    writer: Option<Writer<W>>,
    /// Data records that came before the header, with their numbers.
    pending: Vec<(u64, DataRecord)>,
    trailer: Option<TrailerRecord>,
    error: Option<WriteError>,
    /// Data records read so far.
    records_seen: u64,
    /// Values that do not fit (the conversion goes on, to find every one).
    record_errors: Vec<RecordError>,
    /// The JSON's header has a block descriptor word: its file was variable-blocked.
    header_bdw: bool,
    /// ... and its trailer has none: it was in no block (moov-io's form), and so is ours.
    trailer_unblocked: bool,
}

/// Whether a record's JSON holds a block descriptor word (moov-io leaves it out, or 0, when the
/// record opens no block).
fn has_bdw(record: &serde_json::Value) -> bool {
    record.get("blockDescriptorWord").and_then(serde_json::Value::as_u64).is_some_and(|b| b > 0)
}

impl<W: Write> State<W> {
    fn start(&mut self, header: &HeaderRecord) -> Result<(), WriteError> {
        let Some(out) = self.out.take() else { return Ok(()) };
        self.writer = Some(Writer::new(out, self.options, header)?);
        for (record, rec) in std::mem::take(&mut self.pending) {
            self.write(record, &rec)?;
        }
        Ok(())
    }

    /// Takes the next data record: written at once, or kept until the header comes.
    fn push(&mut self, rec: DataRecord) -> Result<(), WriteError> {
        self.records_seen += 1;
        // Record 1 is the header.
        let record = self.records_seen + 1;
        if self.writer.is_none() {
            self.pending.push((record, rec));
            return Ok(());
        }
        self.write(record, &rec)
    }

    /// Writes a data record; a value that does not fit is noted with the record's number and
    /// the conversion goes on. Only a failing output stops it.
    fn write(&mut self, record: u64, rec: &DataRecord) -> Result<(), WriteError> {
        let Some(w) = &mut self.writer else { return Ok(()) };
        match w.write(rec) {
            Err(e @ WriteError::Field { .. }) => {
                let mut all = rec.field_errors(self.options.format);
                if all.is_empty() {
                    all.push(e);
                }
                for e in all {
                    match e {
                        WriteError::Field { segment, field, reason } => {
                            self.note(record, format!("{segment}.{field}"), reason.to_owned());
                        }
                        WriteError::Io(e) => return Err(WriteError::Io(e)),
                    }
                }
                Ok(())
            }
            other => other,
        }
    }

    /// Notes a record whose JSON does not read as a data record: every key at fault.
    fn bad_record(&mut self, value: &serde_json::Value, e: &serde_json::Error) {
        self.records_seen += 1;
        let record = self.records_seen + 1;
        self.note_json(record, "", value, e, probe_record);
    }

    /// Notes every key at fault in a header or trailer (or, with `probe_record`, a data record).
    fn note_json(
        &mut self,
        record: u64,
        path: &str,
        value: &serde_json::Value,
        e: &serde_json::Error,
        probe: fn(&str, &serde_json::Value, &mut Vec<(String, String)>),
    ) {
        let mut found = Vec::new();
        probe(path, value, &mut found);
        if found.is_empty() {
            found.push((path.to_owned(), e.to_string()));
        }
        for (field, reason) in found {
            self.note(record, field, reason);
        }
    }

    /// Keeps one problem; past [`DIAGNOSTICS_KEPT_MAX`] the conversion still fails, unlisted.
    fn note(&mut self, record: u64, field: String, reason: String) {
        if self.record_errors.len() < DIAGNOSTICS_KEPT_MAX {
            self.record_errors.push(RecordError { record, field, reason });
        }
    }

    /// Keeps the real error and hands serde a placeholder.
    fn keep<E: de::Error>(&mut self, r: Result<(), WriteError>) -> Result<(), E> {
        r.map_err(|e| {
            let msg = e.to_string();
            self.error = Some(e);
            E::custom(msg)
        })
    }
}

struct FileVisitor<'s, W: Write> {
    state: &'s mut State<W>,
}

impl<'de, W: Write> Visitor<'de> for FileVisitor<'_, W> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Metro 2 file object with header, data and trailer")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "header" => {
                    let value: serde_json::Value = map.next_value()?;
                    if has_bdw(&value) {
                        // moov-io writes a variable file from JSON whose header has a BDW.
                        self.state.options.blocking = Blocking::Variable;
                        self.state.header_bdw = true;
                    }
                    let header = HeaderRecord::deserialize(&value).unwrap_or_else(|e| {
                        self.state.note_json(1, "header", &value, &e, probe::<HeaderRecord>);
                        HeaderRecord::default()
                    });
                    let r = self.state.start(&header);
                    self.state.keep(r)?;
                }
                "data" => map.next_value_seed(DataSeed { state: &mut *self.state })?,
                "trailer" => {
                    let value: serde_json::Value = map.next_value()?;
                    self.state.trailer_unblocked = self.state.header_bdw && !has_bdw(&value);
                    match TrailerRecord::deserialize(&value) {
                        Ok(t) => self.state.trailer = Some(t),
                        Err(e) => {
                            let record = self.state.records_seen + 2;
                            self.state.note_json(record, "trailer", &value, &e, probe::<TrailerRecord>);
                        }
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct DataSeed<'s, W: Write> {
    state: &'s mut State<W>,
}

impl<'de, W: Write> DeserializeSeed<'de> for DataSeed<'_, W> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, W: Write> Visitor<'de> for DataSeed<'_, W> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of data records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Each record is read as a JSON value first, so one with a value of the wrong type is
        // noted with every key at fault and the conversion goes on to the next.
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            match DataRecord::deserialize(&value) {
                Ok(rec) => {
                    let r = self.state.push(rec);
                    self.state.keep(r)?;
                }
                Err(e) => self.state.bad_record(&value, &e),
            }
        }
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Finds the keys of a data record that do not read: each segment by [`probe`], `j1` and `j2`
/// element by element (`j1[0].surname`).
fn probe_record(_: &str, value: &serde_json::Value, found: &mut Vec<(String, String)>) {
    use serde_json::Value;
    let Value::Object(record) = value else {
        found.push((String::new(), "a data record must be a JSON object".to_owned()));
        return;
    };
    for (key, v) in record {
        let list = |found: &mut Vec<(String, String)>, each: fn(&str, &Value, &mut Vec<(String, String)>)| match v {
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| each(&format!("{key}[{i}]"), v, found)),
            Value::Null => {}
            _ => found.push((key.clone(), "must be an array of segments".to_owned())),
        };
        match key.as_str() {
            "base" => probe::<BaseSegment>(key, v, found),
            "j1" => list(found, probe::<J1Segment>),
            "j2" => list(found, probe::<J2Segment>),
            "k1" => probe::<Option<K1Segment>>(key, v, found),
            "k2" => probe::<Option<K2Segment>>(key, v, found),
            "k3" => probe::<Option<K3Segment>>(key, v, found),
            "k4" => probe::<Option<K4Segment>>(key, v, found),
            "l1" => probe::<Option<L1Segment>>(key, v, found),
            "n1" => probe::<Option<N1Segment>>(key, v, found),
            _ => {}
        }
    }
}

/// Finds which keys of an object keep it from reading as `T`: each key is tried alone (every
/// field has a default), so every bad value is named, not only the first.
fn probe<T: de::DeserializeOwned>(path: &str, value: &serde_json::Value, found: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match T::deserialize(value) {
        Ok(_) => {}
        Err(e) => match value {
            Value::Object(fields) => {
                let before = found.len();
                for (key, v) in fields {
                    let alone = Value::Object(serde_json::Map::from_iter([(key.clone(), v.clone())]));
                    if let Err(e) = T::deserialize(&alone) {
                        found.push((format!("{path}.{key}"), e.to_string()));
                    }
                }
                if found.len() == before {
                    found.push((path.to_owned(), e.to_string()));
                }
            }
            _ => found.push((path.to_owned(), "must be a JSON object".to_owned())),
        },
    }
}

/// Serde helpers for dates, time stamps and numbers given as digit strings.
pub(crate) mod serde_dates {
    use super::super::decode::Ymd;
    use serde::de::{self, Deserializer, Visitor};
    use serde::{Deserialize, Serializer};
    use std::fmt;
    use time::{Date, PrimitiveDateTime, Time};

    /// Parses the date forms accepted in JSON; `Ok(None)` for empty and moov-io's zero time.
    fn parse_date(s: &str) -> Result<Option<Date>, String> {
        let s = s.trim();
        if s.is_empty() || s.starts_with("0001-01-01") {
            return Ok(None);
        }
        let num = |r: std::ops::Range<usize>| s.get(r).filter(|p| p.bytes().all(|b| b.is_ascii_digit()))?.parse().ok();
        let b = s.as_bytes();
        let ymd = match (b.get(4), b.get(7), b.get(2), b.get(5)) {
            (Some(b'-'), Some(b'-'), _, _) => (num(0..4), num(5..7), num(8..10)),
            (_, _, Some(b'/'), Some(b'/')) => (num(6..10), num(0..2), num(3..5)),
            _ => (None, None, None),
        };
        let bad = || format!("not a date (YYYY-MM-DD…, MM/DD/YYYY, 1901–2099): {s:?}");
        let (Some(y), Some(m), Some(d)) = ymd else { return Err(bad()) };
        Ymd::new(y, m, d).and_then(Ymd::to_date).map(Some).ok_or_else(bad)
    }

    fn parse_stamp(s: &str) -> Result<Option<PrimitiveDateTime>, String> {
        let Some(date) = parse_date(s)? else { return Ok(None) };
        let t = s.trim();
        let Some(clock) = t.get(11..19) else { return Ok(Some(PrimitiveDateTime::new(date, Time::MIDNIGHT))) };
        let part = |r: std::ops::Range<usize>| clock.get(r).and_then(|p| p.parse::<u8>().ok());
        let time = match (part(0..2), part(3..5), part(6..8)) {
            (Some(h), Some(m), Some(sec)) => Time::from_hms(h, m, sec).ok(),
            _ => None,
        };
        time.map(|time| Some(PrimitiveDateTime::new(date, time))).ok_or_else(|| format!("not a time: {s:?}"))
    }

    /// `Option<Date>` as RFC 3339 at midnight UTC.
    pub mod date {
        use super::*;

        /// Writes the date.
        pub fn serialize<S: Serializer>(v: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(d) => {
                    s.collect_str(&format_args!("{:04}-{:02}-{:02}T00:00:00Z", d.year(), u8::from(d.month()), d.day()))
                }
                None => s.serialize_none(),
            }
        }

        /// Reads a date in any accepted form.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
            match Option::<String>::deserialize(d)? {
                Some(s) => parse_date(&s).map_err(de::Error::custom),
                None => Ok(None),
            }
        }
    }

    /// `Option<PrimitiveDateTime>` as RFC 3339 UTC.
    pub mod stamp {
        use super::*;

        /// Writes the time stamp.
        pub fn serialize<S: Serializer>(v: &Option<PrimitiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(t) => s.collect_str(&format_args!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                )),
                None => s.serialize_none(),
            }
        }

        /// Reads a time stamp (a date alone means midnight).
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PrimitiveDateTime>, D::Error> {
            match Option::<String>::deserialize(d)? {
                Some(s) => parse_stamp(&s).map_err(de::Error::custom),
                None => Ok(None),
            }
        }
    }

    /// A number given as a JSON number or as a string of digits (dashes allowed: `123-45-6789`).
    pub fn number_or_digits<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = u32;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of at most 9 digits")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
                u32::try_from(v).ok().filter(|v| *v <= 999_999_999).ok_or_else(|| E::custom("more than 9 digits"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
                u64::try_from(v).map_err(|_| E::custom("negative")).and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<u32, E> {
                let digits: String = s.chars().filter(|c| *c != '-').collect();
                if digits.is_empty() {
                    return Ok(0);
                }
                let v: u64 = digits.parse().map_err(|_| E::custom("not digits"))?;
                self.visit_u64(v)
            }
            fn visit_unit<E: de::Error>(self) -> Result<u32, E> {
                Ok(0)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::serde_dates::*;

    #[test]
    fn date_forms() {
        #[derive(serde::Deserialize)]
        struct D {
            #[serde(with = "date")]
            d: Option<time::Date>,
        }
        let parse = |s: &str| serde_json::from_str::<D>(&format!("{{\"d\":{s}}}")).map(|d| d.d);
        let want = Some(time::macros::date!(2024 - 01 - 31));
        assert_eq!(parse("\"2024-01-31T00:00:00Z\"").unwrap(), want);
        assert_eq!(parse("\"2024-01-31\"").unwrap(), want);
        assert_eq!(parse("\"01/31/2024\"").unwrap(), want);
        assert_eq!(parse("\"0001-01-01T00:00:00Z\"").unwrap(), None);
        assert_eq!(parse("null").unwrap(), None);
        assert!(parse("\"2024-02-30\"").is_err());
    }
}
