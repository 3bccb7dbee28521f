//! Golden files: bytes a test produces, compared with the committed file of the same name.
//!
//! A missing golden file fails the test (a file that was never committed proves nothing). After a
//! deliberate change, `BLESS_GOLDEN=1 cargo test` writes every golden file the tests produce;
//! review the diff before committing it.

use std::path::{Path, PathBuf};

/// The variable that lets tests write golden files.
pub const BLESS: &str = "BLESS_GOLDEN";

/// Compares `bytes` with `tests/golden/<folder>/<name>` and returns the committed bytes; writes
/// the file first when `BLESS_GOLDEN` is set.
pub fn check(folder: &str, name: &str, bytes: &[u8]) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "golden", folder, name].iter().collect();
    check_at(&path, bytes, std::env::var_os(BLESS).is_some())
}

/// Compares `bytes` with the file at `path`, written first when `bless`.
pub fn check_at(path: &Path, bytes: &[u8], bless: bool) -> Vec<u8> {
    if bless {
        std::fs::write(path, bytes).unwrap();
    }
    let committed = std::fs::read(path).unwrap_or_else(|e| {
        panic!("{}: {e}; a new golden file is written only with {BLESS}=1 (then review and commit it)", path.display())
    });
    assert!(committed == bytes, "{}: the output differs from the committed golden file", path.display());
    committed
}
