//! `openbureau key rotate`: every identifier and name sealed again under a new key version, and
//! every blind index computed again, after which the old key opens nothing in the store.

use crate::commands::classify;
use crate::open::{Context, KEY_ENV};
use crate::{Failure, usage};
use clap::{Args, Subcommand};
use ob_bureau::crypto::{Keys, replace_key_file};
use ob_store::Store;
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
    /// Milliseconds to wait between two pages (0 to 1000), to spare a busy server.
    #[arg(long, default_value_t = 0,
        value_parser = clap::value_parser!(u64).range(0..=ob_model::limits::KEY_ROTATION_PAUSE_MS_MAX))]
    pause_ms: u64,
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
    // One rotation at a time: the lock goes with the process, so a crash leaves none behind.
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".rotating");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| usage(format!("{}: {e}", std::path::Path::new(&lock_path).display())))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(usage("another `openbureau key rotate` is running on this key file"));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(usage(format!("locking {}: {e}", std::path::Path::new(&lock_path).display())));
        }
    }
    let text =
        Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| usage(format!("key file {}: {e}", path.display())))?);
    let bad_file = |e: ob_bureau::crypto::KeyError| usage(format!("{}: {e}", path.display()));
    // No store is made here: a wrong `--data` would leave an empty one behind.
    if let Some(file) = ctx.sqlite_path().filter(|f| !f.exists()) {
        return Err(usage(format!("no store at {}", file.display())));
    }
    let mut store =
        ob_store::open(&ctx.store).map_err(|e| usage(format!("opening the store {}: {e}", ctx.store.display())))?;
    // A rotation's key file (two keys) means one was interrupted: it resumes with the same keys.
    // A new one starts only once the store is known to be under the file's key.
    let file_keys = Keys::from_hex(&text).map_err(bad_file)?;
    let rotation_file = if file_keys.previous_version().is_some() {
        text
    } else {
        let stored = store.read().map_err(|e| Failure::Internal(e.into()))?.meta(ob_bureau::META_KEY_CHECK);
        let stored = stored.map_err(|e| Failure::Internal(e.into()))?;
        if stored.as_deref().is_some_and(ob_bureau::rotation::is_mark) {
            return Err(usage(format!(
                "the store is in the middle of a key rotation and {} holds one key: put back the two-key file \
                 the rotation wrote (`OLD:…` and `NEW:…` lines), then run this again",
                path.display()
            )));
        }
        if stored != Some(file_keys.check_value()) {
            return Err(classify(ob_bureau::BureauError::WrongKey));
        }
        let (both, _) = Keys::next_version_files(&text).map_err(bad_file)?;
        replace_key_file(&path, &both).map_err(bad_file)?;
        both
    };
    let keys = Keys::from_hex(&rotation_file).map_err(bad_file)?;
    let clock = ob_bureau::clock::SystemClock;
    let summary = ob_bureau::rotation::rotate(
        &mut store,
        &keys,
        &clock,
        a.page_rows,
        std::time::Duration::from_millis(a.pause_ms),
    )
    .map_err(classify)?;
    replace_key_file(&path, &Keys::newest_key_file(&rotation_file).map_err(bad_file)?).map_err(bad_file)?;
    drop(lock);
    outln!(
        "key rotated from version {} to {}: {} values sealed again; the key file {} holds the new key alone, \
         and the old one opens nothing in this store (backups made before still need it)",
        summary.from_version,
        summary.to_version,
        summary.rows_resealed,
        path.display()
    );
    Ok(())
}
