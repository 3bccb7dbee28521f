//! Standard output for every command. A reader that goes away (`openbureau openapi | head -c 10`)
//! ends the program quietly with exit 0, as Unix tools do, instead of a panic or an error.

use std::fmt;
use std::io::{self, Write};

/// Writes to standard output; a closed pipe ends the program quietly.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*), false) };
}

/// Writes a line to standard output; a closed pipe ends the program quietly.
#[macro_export]
macro_rules! outln {
    () => { $crate::output::write(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*), true) };
}

/// Writes `args` (and a line break) to standard output.
pub fn write(args: fmt::Arguments<'_>, line_break: bool) {
    let mut stdout = io::stdout().lock();
    let written = stdout.write_fmt(args).and_then(|()| if line_break { stdout.write_all(b"\n") } else { Ok(()) });
    if let Err(e) = written {
        drop(stdout);
        on_error(&e);
    }
}

/// What a failed write to standard output does: quiet exit 0 on a closed pipe; otherwise a
/// message and the internal-error exit code.
pub fn on_error(e: &io::Error) -> ! {
    if e.kind() != io::ErrorKind::BrokenPipe {
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(i32::from(crate::exit_code::USAGE));
    }
    std::process::exit(0)
}

/// Whether an error (or any error in its chain) is a closed pipe.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}

/// Standard output as a writer for code that takes `impl Write`: a failed write ends the
/// program as [`on_error`] says, so a closed pipe never surfaces as a data error.
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::stdout().lock().write(buf).or_else(|e| on_error(&e))
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().lock().flush().or_else(|e| on_error(&e))
    }
}

/// An output file written whole or not at all: the bytes go to a temporary file in the same
/// folder, which [`AtomicFile::commit`] renames over the path; dropped without `commit` (a
/// conversion that failed half-way), it leaves nothing behind and an existing file untouched.
/// The file is readable by its owner only: converted files hold identifiers.
pub struct AtomicFile {
    temp: io::BufWriter<tempfile::NamedTempFile>,
    path: std::path::PathBuf,
}

impl AtomicFile {
    /// Starts writing what will become `path`.
    pub fn create(path: &std::path::Path) -> io::Result<AtomicFile> {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let temp = tempfile::Builder::new().prefix(".openbureau-").suffix(".partial").tempfile_in(folder)?;
        Ok(AtomicFile { temp: io::BufWriter::new(temp), path: path.to_owned() })
    }

    /// The file being written (what was buffered is written first), to read back or rewrite
    /// before [`AtomicFile::commit`].
    pub fn file(&mut self) -> io::Result<&mut tempfile::NamedTempFile> {
        self.temp.flush()?;
        Ok(self.temp.get_mut())
    }

    /// Makes the file appear under its name, whole (written to disk first).
    pub fn commit(self) -> io::Result<()> {
        let temp = self.temp.into_inner().map_err(io::IntoInnerError::into_error)?;
        temp.as_file().sync_all()?;
        temp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}
