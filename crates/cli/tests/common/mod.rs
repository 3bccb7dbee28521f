//! What the CLI's tests share: the binary without the user's settings, and its output as text.

#![allow(dead_code)] // each test file uses its own part

use std::path::Path;
use std::process::{Command, Output};

/// Settings a developer's shell may hold that would change what a test sees.
const USER_SETTINGS: &[&str] =
    &["OPENBUREAU_KEY", "OPENBUREAU_DATA", "OPENBUREAU_KEY_FILE", "OPENBUREAU_POLICY", "OPENBUREAU_PASSWORD"];

/// `openbureau` with none of the user's settings (no `--data`).
pub fn bare() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_openbureau"));
    for v in USER_SETTINGS {
        cmd.env_remove(v);
    }
    cmd
}

/// `openbureau --data DATA`, with none of the user's settings.
pub fn openbureau(data: &Path) -> Command {
    let mut cmd = bare();
    cmd.arg("--data").arg(data);
    cmd
}

/// Standard output then standard error, as text.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}
