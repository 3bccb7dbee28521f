//! A person's report as a PDF: the report page's own HTML, with its print style sheet, printed by
//! headless Chromium. Chromium lays out the Chinese and English text with the system's fonts
//! (WenQuanYi Zen Hei, DejaVu) and embeds the subsets it uses, so the PDF reads the same
//! anywhere; no PDF is written by hand here. The page's HTML is the one source of the layout:
//! what the browser shows, prints and what this file holds cannot differ.
//!
//! Chromium is `OPENBUREAU_CHROMIUM`, else `chromium`, `chromium-browser` or `google-chrome` on
//! the `PATH` (Debian: `apt-get install chromium fonts-wqy-zenhei`). Without it the PDF is
//! refused with [`PdfError::NoChromium`]; the HTML page still works, and a browser's "print to
//! PDF" gives the same document. Each print runs in a scratch folder of its own (the HTML, a
//! throwaway browser profile, the PDF), removed afterwards, and is stopped after
//! [`limits::PDF_RENDER_S_MAX`] seconds.

use ob_model::limits;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Why no PDF was made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No Chromium to print with.
    #[error(
        "no Chromium to print the PDF with: install it (Debian: apt-get install chromium fonts-wqy-zenhei) or set OPENBUREAU_CHROMIUM"
    )]
    NoChromium,
    /// The page could not be rendered.
    #[error("the report page could not be rendered: {0}")]
    Template(#[from] askama::Error),
    /// The scratch folder or the PDF could not be written or read.
    #[error("i/o while printing the PDF: {0}")]
    Io(#[from] std::io::Error),
    /// Chromium failed, or took too long.
    #[error("Chromium did not print the PDF: {0}")]
    Chromium(String),
}

/// The Chromium to print with, if one is installed.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("OPENBUREAU_CHROMIUM").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name)))
        .find(|p| p.is_file())
}

/// Prints an HTML page as a PDF (A4, no browser header or footer).
pub fn html_to_pdf(html: &str) -> Result<Vec<u8>, PdfError> {
    let chromium = chromium().ok_or(PdfError::NoChromium)?;
    let dir = tempfile::tempdir()?;
    let page = dir.path().join("report.html");
    std::fs::write(&page, html)?;
    let out = dir.path().join("report.pdf");
    print(&chromium, dir.path(), &page, &out)?;
    let pdf = std::fs::read(&out)?;
    if !pdf.starts_with(b"%PDF-") {
        return Err(PdfError::Chromium("what it wrote is not a PDF".into()));
    }
    Ok(pdf)
}

/// Runs Chromium on `page`, writing `out`; stops it after the time limit.
fn print(chromium: &Path, dir: &Path, page: &Path, out: &Path) -> Result<(), PdfError> {
    let mut command = Command::new(chromium);
    // Its own process group, so that a print stopped for taking too long takes every process of
    // Chromium with it (they write into the scratch folder).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(file_url(page))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| PdfError::Chromium(format!("cannot start {}: {e}", chromium.display())))?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return if status.success() && out.is_file() {
                Ok(())
            } else {
                Err(PdfError::Chromium(format!("it exited with {status}")))
            };
        }
        if started.elapsed() > Duration::from_secs(limits::PDF_RENDER_S_MAX) {
            // The whole group: `kill -KILL -PGID`.
            let _ = Command::new("kill").arg("-KILL").arg(format!("-{}", child.id())).status();
            let _ = child.kill();
            let _ = child.wait();
            return Err(PdfError::Chromium(format!("it took more than {} s", limits::PDF_RENDER_S_MAX)));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `file://` URL for `path`, every byte outside letters, digits and `/._-` percent-encoded (a
/// space, `#` or `%` in the temporary folder's name would otherwise make Chromium print an error
/// page instead).
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/._-".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_urls_encode_what_a_url_cannot_hold() {
        let url = super::file_url(std::path::Path::new("/tmp/a b#c%/报告.html"));
        assert_eq!(url, "file:///tmp/a%20b%23c%25/%E6%8A%A5%E5%91%8A.html");
    }
}
