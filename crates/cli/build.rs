//! Stamps the binary's `--version` with the commit it was built from and the build day (UTC).

use std::path::Path;
use std::process::Command;

fn main() {
    let git = Path::new("../../.git");
    for watched in ["HEAD", "packed-refs"] {
        println!("cargo:rerun-if-changed={}", git.join(watched).display());
    }
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD"))
        && let Some(reference) = head.trim().strip_prefix("ref: ")
    {
        println!("cargo:rerun-if-changed={}", git.join(reference).display());
    }
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "unknown commit".to_owned());
    println!("cargo:rustc-env=OPENBUREAU_COMMIT={commit}");
    println!("cargo:rustc-env=OPENBUREAU_BUILD_DATE={}", build_date());
}

/// The build day, `YYYY-MM-DD` in UTC; `SOURCE_DATE_EPOCH` wins for reproducible builds.
fn build_date() -> String {
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let seconds = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse::<i64>().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
    });
    let date = time::OffsetDateTime::from_unix_timestamp(seconds).map_or(time::Date::MIN, |t| t.date());
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}
