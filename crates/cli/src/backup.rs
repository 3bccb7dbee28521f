//! `openbureau backup` and `openbureau restore`: a consistent copy of the live store, and its
//! restoration after checking it opens with this key and its audit chain is intact.

use crate::open::{Context, bureau_over, system_clock};
use crate::{Failure, invalid, usage};
use clap::Args;
use ob_bureau::audit::Verification;
use ob_store::Location;
use std::path::{Path, PathBuf};

/// `openbureau backup`.
#[derive(Args)]
pub struct BackupArgs {
    /// Where the backup goes (a file that does not exist yet): SQLite's own format for the
    /// embedded store, pg_dump's custom format for PostgreSQL.
    pub dest: PathBuf,
}

/// `openbureau restore`.
#[derive(Args)]
pub struct RestoreArgs {
    /// The backup to restore (made by `openbureau backup` from a store of the same kind).
    pub src: PathBuf,
}

/// Runs `openbureau backup`: online (the server may keep serving) and consistent.
pub fn backup(ctx: &Context, a: &BackupArgs) -> Result<(), Failure> {
    if let Some(path) = ctx.sqlite_path()
        && !path.exists()
    {
        return Err(usage(format!("no store at {} to back up", path.display())));
    }
    ob_store::backup::backup(&ctx.store, &a.dest).map_err(|e| usage(format!("backing up: {e}")))?;
    let bytes = std::fs::metadata(&a.dest).map(|m| m.len()).unwrap_or(0);
    outln!(
        "backup written to {} ({bytes} bytes); keep the key apart: without it the backup opens nothing",
        a.dest.display()
    );
    Ok(())
}

/// Runs `openbureau restore`: the backup is checked before the store is used — it must open with
/// this key (the key check) and its audit chain and checkpoints must verify — else nothing is
/// left in the store's place.
pub fn restore(ctx: &Context, a: &RestoreArgs) -> Result<(), Failure> {
    if !a.src.is_file() {
        return Err(usage(format!("no backup at {}", a.src.display())));
    }
    let keys = ctx.keys(false)?;
    match &ctx.store {
        Location::Sqlite(path) => restore_sqlite(&a.src, path, keys),
        Location::Postgres(_) => {
            ob_store::backup::restore(&a.src, &ctx.store).map_err(|e| usage(format!("restoring: {e}")))?;
            match check(&ctx.store, keys) {
                Ok(events) => report(events, &ctx.store.display()),
                Err(f) => {
                    let cleared = ob_store::backup::clear(&ctx.store);
                    let left =
                        if cleared.is_ok() { "the database is empty again" } else { "clearing the database failed" };
                    Err(f.context(format!("the restored store failed its check ({left})")))
                }
            }
        }
    }
}

/// Checks a copy beside the target, then gives it the store's name.
fn restore_sqlite(src: &Path, target: &Path, keys: ob_bureau::crypto::Keys) -> Result<(), Failure> {
    if target.exists() {
        return Err(usage(format!("{} exists: restore into an empty data folder", target.display())));
    }
    let folder = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(|e| usage(format!("creating {}: {e}", folder.display())))?;
    let scratch = tempfile::Builder::new()
        .prefix(".openbureau-restore-")
        .tempdir_in(folder)
        .map_err(|e| usage(format!("a scratch folder in {}: {e}", folder.display())))?;
    let copy = scratch.path().join("store.sqlite");
    let location = Location::Sqlite(copy.clone());
    ob_store::backup::restore(src, &location).map_err(|e| usage(format!("restoring: {e}")))?;
    let events = check(&location, keys).map_err(|f| f.context("the backup failed its check"))?;
    std::fs::rename(&copy, target).map_err(|e| usage(format!("placing the store at {}: {e}", target.display())))?;
    report(events, &target.display().to_string())
}

/// Opens the restored store with the key (another key: a usage failure) and verifies its audit
/// chain and checkpoints (broken: invalid data): the events verified.
fn check(location: &Location, keys: ob_bureau::crypto::Keys) -> Result<u64, Failure> {
    // A store holds its key's check value from its first opening: a file without one (empty,
    // cut short, or not a store of ours) is refused, not taken for a new store.
    let store = ob_store::open(location).map_err(|e| invalid(format!("opening the restored store: {e}")))?;
    let check = store.read().and_then(|r| r.meta(ob_bureau::META_KEY_CHECK));
    match check {
        Ok(Some(_)) => {}
        Ok(None) => return Err(invalid("not a backup of an OpenBureau store: it holds no key check value")),
        Err(e) => return Err(invalid(format!("reading the restored store: {e}"))),
    }
    let bureau = bureau_over(store, keys, system_clock())?;
    match bureau.verify_audit().map_err(|e| invalid(format!("verifying the audit chain: {e}")))? {
        Verification::Intact { events } => Ok(events),
        Verification::Broken { seq, reason } => Err(invalid(format!("audit chain broken at event {seq}: {reason}"))),
    }
}

fn report(events: u64, place: &str) -> Result<(), Failure> {
    outln!("restored to {place}: the key opens it and the audit chain is intact ({events} events verified)");
    Ok(())
}
