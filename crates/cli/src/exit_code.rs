//! The exit codes of every `openbureau` command: one table, printed by `--help` and the README,
//! and enforced over every command by `tests/exit_codes.rs`.
//!
//! 2 for usage errors is what clap (and most Unix tools) already use; 70 is `EX_SOFTWARE` of
//! BSD's sysexits.h, so that an internal failure is never mistaken for a verdict on the data.

/// Done. A file ingested with some records rejected is done: the rejections are in its feedback.
pub const OK: u8 = 0;
/// The data is invalid: `validate` found errors, a file was refused as a whole, or the audit
/// chain does not verify.
pub const INVALID: u8 = 1;
/// Usage: bad arguments, or a file, folder, store or key that cannot be read or written.
pub const USAGE: u8 = 2;
/// Refused by the rules: no consent, a freeze, a closed dispute or one still open, or a person,
/// organization or record that does not exist.
pub const REFUSED: u8 = 3;
/// Internal error: a bug or a failing store; please report it.
pub const INTERNAL: u8 = 70;

/// The table as `--help` prints it.
pub const HELP: &str = "\
Exit codes:
  0   done (a file ingested with some records rejected is done: see its feedback file)
  1   the data is invalid (validate found errors, a file was refused as a whole, or the
      audit chain does not verify)
  2   usage error, or a file, folder, store or key that cannot be read or written
  3   refused by the rules (no consent, a freeze, a closed dispute or one still open, or a
      person, organization or record that does not exist)
  70  internal error (a bug or a failing store; please report it)
A reader that closes the output early (`| head`) ends the command quietly with 0.";
