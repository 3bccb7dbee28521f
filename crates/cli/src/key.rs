//! `openbureau key rotate`: every identifier and name sealed again under a new key version, and
//! every blind index computed again, after which the old key opens nothing in the store.

use crate::commands::classify;
use crate::open::{Context, KEY_ENV};
use crate::{Failure, usage};
use clap::{Args, Subcommand};
use ob_bureau::crypto::{Keys, replace_key_file};
use zeroize::Zeroizing;

/// `openbureau key`.
#[derive(Subcommand)]
pub enum KeyCommand {
    /// Rotate the store's key: a new key version in the key file, every name, document number,
    /// statement, feedback file and session sealed again under it, every blind index computed
    /// again, the old key dropped. `openbureau serve` keeps serving (it follows the key file); an
    /// interrupted rotation resumes when run again.
    Rotate(RotateArgs),
}

/// `openbureau key rotate`.
#[derive(Args)]
pub struct RotateArgs {
    /// Values sealed again per transaction (1 to 1000): fewer keep each write shorter.
    #[arg(long, default_value_t = ob_model::limits::KEY_ROTATION_PAGE_ROWS,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(ob_model::limits::KEY_ROTATION_PAGE_ROWS)))]
    page_rows: u32,
}

/// Runs `openbureau key`.
pub fn run(ctx: &Context, c: &KeyCommand) -> Result<(), Failure> {
    match c {
        KeyCommand::Rotate(a) => rotate(ctx, a),
    }
}

fn rotate(ctx: &Context, a: &RotateArgs) -> Result<(), Failure> {
    if std::env::var_os(KEY_ENV).is_some() {
        return Err(usage(format!(
            "the key comes from {KEY_ENV}: a rotation rewrites the key file; unset it and use the file"
        )));
    }
    let path = ctx.key_path();
    let text =
        Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| usage(format!("key file {}: {e}", path.display())))?);
    let two_keys = text.lines().filter(|l| !l.trim().is_empty()).count() == 2;
    // A rotation's key file (two keys) means one was interrupted: it resumes with the same keys.
    let rotation_file = if two_keys {
        text
    } else {
        let (both, _) = Keys::next_version_files(&text).map_err(|e| usage(format!("{}: {e}", path.display())))?;
        replace_key_file(&path, &both)?;
        both
    };
    let keys = Keys::from_hex(&rotation_file).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    let mut store =
        ob_store::open(&ctx.store).map_err(|e| usage(format!("opening the store {}: {e}", ctx.store.display())))?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let summary = ob_bureau::rotation::rotate(&mut store, &keys, now, a.page_rows).map_err(classify)?;
    replace_key_file(&path, &Keys::newest_key_file(&rotation_file)?)?;
    outln!(
        "key rotated from version {} to {}: {} sealed values read, {} sealed again; the key file {} holds the \
         new key alone, and the old one opens nothing in this store (backups made before still need it)",
        summary.from_version,
        summary.to_version,
        summary.rows_read,
        summary.rows_resealed,
        path.display()
    );
    Ok(())
}
