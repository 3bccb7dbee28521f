//! The furnisher files: one per furnisher and month, written while people are generated.
//!
//! A file holds its header, then the consents and account openings of the accounts first reported
//! that month, then that month's month records, each part in person order. Both parts are written
//! as people stream through: the openings straight into the file, the month records into a
//! temporary file beside it that is appended when the simulation ends. Memory stays flat.

use crate::account::{PRODUCTS, SimAccount};
use crate::people::SimPerson;
use crate::{SimFile, Window};
use ob_formats::jsonl::{Header, Writer};
use ob_model::YearMonth;
use ob_model::records::Record;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use time::Date;

/// Day of the following month on which a month's file is delivered.
const DELIVERY_DAY: u8 = 5;

/// One furnisher-month file while it is written.
struct MonthFile {
    furnisher: usize,
    month: YearMonth,
    path: PathBuf,
    months_path: PathBuf,
    openings: Writer<BufWriter<File>>,
    months: Writer<BufWriter<File>>,
}

/// Counts of records written, for the summary.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    /// Account openings.
    pub(crate) accounts: u64,
    /// Consents.
    pub(crate) consents: u64,
    /// Month records.
    pub(crate) months: u64,
}

/// Every furnisher-month file of a simulation.
pub(crate) struct Outputs {
    window: Window,
    files: Vec<MonthFile>,
    counts: Counts,
}

/// The date a month's file is delivered: the 5th of the following month.
pub(crate) fn delivery_date(month: YearMonth) -> Date {
    month.plus(1).day(DELIVERY_DAY)
}

fn header(furnisher: usize, month: YearMonth) -> Header {
    let product = PRODUCTS[furnisher];
    let d = delivery_date(month);
    let created_at = format!("{:04}-{:02}-{:02}T02:00:00Z", d.year(), u8::from(d.month()), d.day());
    Header::new(product.code(), Some(product.name()), Some(&created_at))
}

impl MonthFile {
    fn create(dir: &Path, furnisher: usize, month: YearMonth) -> io::Result<MonthFile> {
        let path = dir.join(format!("{month}.jsonl"));
        let months_path = dir.join(format!("{month}.jsonl.months.tmp"));
        let header = header(furnisher, month);
        let openings = Writer::new(BufWriter::new(File::create(&path)?), &header)?;
        let months = Writer::new(BufWriter::new(File::create(&months_path)?), &header)?;
        Ok(MonthFile { furnisher, month, path, months_path, openings, months })
    }

    /// Appends the month records (without their scratch header) to the openings and closes both.
    fn finish(self) -> io::Result<SimFile> {
        drop(self.months.finish()?);
        let mut out = self.openings.finish()?;
        let mut scratch = BufReader::new(File::open(&self.months_path)?);
        let mut skipped_header = Vec::new();
        scratch.read_until(b'\n', &mut skipped_header)?;
        io::copy(&mut scratch, &mut out)?;
        out.flush()?;
        fs::remove_file(&self.months_path)?;
        Ok(SimFile {
            furnisher: PRODUCTS[self.furnisher].code().to_owned(),
            month: self.month,
            path: self.path,
            deliver_on: delivery_date(self.month),
        })
    }
}

impl Outputs {
    /// Creates `out_dir/<FURNISHER>/<YYYY-MM>.jsonl` for every furnisher and month of the window.
    pub(crate) fn create(out_dir: &Path, window: Window) -> io::Result<Outputs> {
        let mut files = Vec::new();
        for (furnisher, product) in PRODUCTS.iter().enumerate() {
            let dir = out_dir.join(product.code());
            fs::create_dir_all(&dir)?;
            for month in window.iter() {
                files.push(MonthFile::create(&dir, furnisher, month)?);
            }
        }
        Ok(Outputs { window, files, counts: Counts::default() })
    }

    fn file(&mut self, furnisher: usize, month: YearMonth) -> io::Result<&mut MonthFile> {
        let in_window = month >= self.window.first && month <= self.window.last;
        let offset = usize::try_from(month.months_since(self.window.first)).ok().filter(|_| in_window);
        let months = usize::try_from(self.window.months).unwrap_or(usize::MAX);
        offset
            .map(|m| furnisher * months + m)
            .and_then(|i| self.files.get_mut(i))
            .ok_or_else(|| io::Error::other(format!("no file for furnisher {furnisher}, month {month}")))
    }

    /// Writes a person's consents, openings and months into their files.
    pub(crate) fn write_person(&mut self, person: SimPerson) -> io::Result<()> {
        for account in person.accounts {
            self.write_account(account)?;
        }
        Ok(())
    }

    fn write_account(&mut self, account: SimAccount) -> io::Result<()> {
        let opening = self.file(account.furnisher, account.first_reported)?;
        opening.openings.write(&Record::Consent(account.consent))?;
        opening.openings.write(&Record::Account(account.account))?;
        self.counts.consents += 1;
        self.counts.accounts += 1;
        for month in account.months {
            let file = self.file(account.furnisher, month.month)?;
            file.months.write(&Record::Month(month))?;
            self.counts.months += 1;
        }
        Ok(())
    }

    /// Completes every file; returns them sorted by (month, furnisher code), the ingestion order.
    pub(crate) fn finish(self) -> io::Result<(Vec<SimFile>, Counts)> {
        let mut files = self.files.into_iter().map(MonthFile::finish).collect::<io::Result<Vec<_>>>()?;
        files.sort_by(|a, b| (a.month, &a.furnisher).cmp(&(b.month, &b.furnisher)));
        Ok((files, self.counts))
    }
}
