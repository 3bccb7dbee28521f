//! `openbureau simulate --format pboc`: the simulated lenders' files as PBOC-style messages.
//!
//! The simulator writes canonical files; each is converted (`ob_formats::pboc::to_model::
//! from_model`) into PBOC-style files named by the convention (institution, date, record type,
//! serial, flag). What the format has no place for — consents and notices — goes into a canonical
//! side file (`…consents-notices.jsonl`) to be ingested before the PBOC-style files of the same
//! day. The collector's C1 months carry an amount due and a limit that the J segment cannot hold;
//! the converter lists such records, and this command reports how many were left out.

use crate::Failure;
use anyhow::Context as _;
use ob_formats::jsonl;
use ob_formats::pboc::{self, FeedbackFlag, FileName, PbocRecord, RecordType, to_model};
use ob_model::records::{AccountRecord, Record};
use std::collections::HashMap;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// What the conversion wrote.
#[derive(Default)]
pub struct Converted {
    /// PBOC-style files written.
    pub files: u64,
    /// PBOC-style records written.
    pub records: u64,
    /// Canonical records with no PBOC-style form (consents and notices go to side files).
    pub left_out: u64,
}

/// The 14-character institution code of a furnisher.
pub fn institution(furnisher: &str) -> String {
    format!("{:0<14}", furnisher.to_uppercase())
}

fn read(path: &Path) -> Result<Vec<Record>, Failure> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = jsonl::Reader::new(std::io::BufReader::new(file)).with_context(|| path.display().to_string())?;
    let mut out = Vec::new();
    while let Some(e) = reader.next_entry() {
        // Deliberately malformed lines have no PBOC-style form: they are left out.
        if let Ok(r) = e.with_context(|| path.display().to_string())?.outcome {
            out.push(r);
        }
    }
    Ok(out)
}

/// Converts one furnisher-month file; `accounts` remembers each account's latest record, since a
/// 210 record carries its account's basic information with every month.
pub fn convert_file(
    file: &ob_sim::SimFile,
    accounts: &mut HashMap<String, AccountRecord>,
    out: &mut Converted,
) -> Result<Vec<PathBuf>, Failure> {
    let code = institution(&file.furnisher);
    let dir = file.path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let side_path = dir.join(format!("{}.consents-notices.jsonl", file.month));
    let mut side =
        jsonl::Writer::new(BufWriter::new(std::fs::File::create(&side_path)?), &jsonl::Header::new(&code, None, None))?;
    let mut input = Vec::new();
    let mut side_records = 0;
    for r in read(&file.path)? {
        match r {
            Record::Consent(_) | Record::Notice(_) => {
                side.write(&r)?;
                side_records += 1;
            }
            Record::Account(a) => {
                accounts.insert(a.account_key.clone(), a);
            }
            Record::Month(m) => {
                if let Some(a) = accounts.get(&m.account_key) {
                    input.push(Record::Account(a.clone()));
                }
                input.push(Record::Month(m));
            }
            other => input.push(other),
        }
    }
    side.finish()?;
    let mut written = Vec::new();
    if side_records > 0 {
        written.push(side_path);
    } else {
        std::fs::remove_file(&side_path)?;
    }
    let converted = to_model::from_model(&input, &code);
    out.left_out += converted.unconverted.len() as u64;
    for (serial, t) in [RecordType::Account, RecordType::IdChange, RecordType::AccountDeletion].into_iter().enumerate()
    {
        let records: Vec<PbocRecord> = converted.records.iter().filter(|r| r.record_type() == t).cloned().collect();
        if records.is_empty() {
            continue;
        }
        let name = FileName {
            institution: code.clone(),
            date: file.deliver_on,
            record_type: t,
            serial: serial as u16 + 1,
            flag: FeedbackFlag::Upload,
        };
        let path = dir.join(format!("{name}.txt"));
        let created = file.deliver_on.with_hms(1, 0, 0).map_err(anyhow::Error::from)?;
        let header = pboc::Header { record_type: t, institution: code.clone(), created, count: 0 };
        let sink = BufWriter::new(std::fs::File::create(&path)?);
        pboc::write_file(sink, header, &records).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        out.files += 1;
        out.records += records.len() as u64;
        written.push(path);
    }
    std::fs::remove_file(&file.path)?;
    Ok(written)
}

/// Converts every file of a simulation, furnisher by furnisher in delivery order, and writes
/// `ingest-order.txt` in `out_dir`: every file to ingest, one a line, in the order to ingest them.
pub fn convert_all(summary: &ob_sim::SimSummary, out_dir: &Path) -> Result<Converted, Failure> {
    let mut out = Converted::default();
    let mut accounts: HashMap<String, HashMap<String, AccountRecord>> = HashMap::new();
    let mut order = String::new();
    for file in &summary.files {
        for path in convert_file(file, accounts.entry(file.furnisher.clone()).or_default(), &mut out)? {
            order += &format!("{}\n", path.display());
        }
    }
    std::fs::write(out_dir.join("ingest-order.txt"), order).context("writing ingest-order.txt")?;
    Ok(out)
}
