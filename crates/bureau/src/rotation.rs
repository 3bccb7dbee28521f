//! Key rotation (`openbureau key rotate`): every sealed value and every blind index rewritten
//! under a new key version, so that the key left behind opens nothing in the store.
//!
//! The key file first holds both keys (`VERSION:HEX` lines); the rotation then:
//!
//! 1. signs a last checkpoint of every audit chain with the key it leaves, and marks the store
//!    (its key check value becomes `rotating:OLD:NEW`): from here on only the rotation opens it,
//!    and every bureau still running with the old key is refused any write (each write
//!    transaction checks the store's key first and holds that row until it commits, so the mark
//!    waits for writers already past the check);
//! 2. walks every table with sealed values ([`SealedTable::ALL`]) in pages of
//!    [`limits::KEY_ROTATION_PAGE_ROWS`], each page one transaction: a value sealed under
//!    another version is opened, sealed again under the new one, and its blind index (names,
//!    document numbers) computed again with the new key;
//! 3. walks them again and refuses to finish if any value is left under another version;
//! 4. stores the new key's check value in place of the mark, and appends `key.rotated` (naming
//!    both audit public keys) with a checkpoint signed by the new key, which vouches for the old
//!    one.
//!
//! A crash anywhere leaves the store marked and the key file with both keys: running the
//! rotation again resumes (values already under the new version are skipped). Institution codes
//! (the four letters a lender's copy gives the lenders it hides) derive from the key and change
//! with it.

use crate::clock::Clock;
use crate::crypto::{self, Keys};
use crate::{Bureau, BureauError, META_KEY_CHECK, Result, audit};
use ob_model::{DocumentNumber, limits};
use ob_store::{SealedKey, SealedRow, SealedTable, Store, StoreError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The key check value a store holds while a rotation is under way.
fn mark(keys: &Keys) -> Option<String> {
    Some(format!("{ROTATING}{}:{}", keys.previous_check_value()?, keys.check_value()))
}

/// How a rotation's mark begins.
const ROTATING: &str = "rotating:";

/// Whether a bureau with `keys` may write to a store whose key check value is `stored`, and if
/// so, whether under the key a rotation is leaving (`Some(true)`: the key file holds both keys
/// but the store is not marked yet, so every writer still seals and indexes as the old key
/// does) or under the newest (`Some(false)`: the store is under it, or marked for it).
pub(crate) fn sealing_for(keys: &Keys, stored: &str) -> Option<bool> {
    if stored == keys.check_value() || mark(keys).as_deref() == Some(stored) {
        Some(false)
    } else if keys.previous_check_value().as_deref() == Some(stored) {
        Some(true)
    } else {
        None
    }
}

/// Whether the key check value `stored` says a rotation was started and not finished.
pub fn is_mark(stored: &str) -> bool {
    stored.starts_with(ROTATING)
}

/// How often a watching bureau looks at its key file (one `stat`): a rotation waits twice this
/// after writing the rotation's key file, so that running servers hold both keys before any
/// value is sealed under the new one.
pub const KEY_FILE_CHECK_MS: u64 = 500;

/// A key file watched for change.
#[derive(Debug)]
pub struct KeyWatch {
    path: PathBuf,
    seen: Option<(SystemTime, u64)>,
    next_check: Instant,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl<S: Store> Bureau<S> {
    /// Reloads the keys from `path` when that file changes (see [`Bureau::refresh_keys`]): a
    /// server keeps serving through `openbureau key rotate`.
    pub fn watch_key_file(mut self, path: &Path) -> Bureau<S> {
        let watch = KeyWatch { path: path.to_owned(), seen: stamp(path), next_check: Instant::now() };
        self.key_watch = Some(watch);
        self
    }

    /// At most every [`KEY_FILE_CHECK_MS`], looks whether the watched key file changed and, if
    /// the store accepts the keys it now holds (the same store key, a rotation about to start or
    /// under way, or one just finished), takes them. Whether the keys changed.
    pub fn refresh_keys(&mut self) -> Result<bool> {
        let Some(watch) = self.key_watch.as_mut() else { return Ok(false) };
        let now = Instant::now();
        if now < watch.next_check {
            return Ok(false);
        }
        watch.next_check = now + Duration::from_millis(KEY_FILE_CHECK_MS);
        let stamp = stamp(&watch.path);
        if stamp == watch.seen {
            return Ok(false);
        }
        let keys = Keys::load(&watch.path)?;
        let stored = self.store.read()?.meta(META_KEY_CHECK)?.unwrap_or_default();
        let previous = sealing_for(&keys, &stored).ok_or(BureauError::WrongKey)?;
        keys.seal_with_previous(previous);
        watch.seen = stamp;
        self.keys = keys;
        Ok(true)
    }
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationSummary {
    /// The version left.
    pub from_version: u8,
    /// The version everything is now sealed under.
    pub to_version: u8,
    /// Sealed values read.
    pub rows_read: u64,
    /// Of those, the ones sealed again (the others were under the new version already).
    pub rows_resealed: u64,
}

/// Rotates the store to `keys`' current version, `page_rows` values a transaction (at most
/// [`limits::KEY_ROTATION_PAGE_ROWS`]) with `pause` between two (at most
/// [`limits::KEY_ROTATION_PAUSE_MS_MAX`]); `keys` must also hold the version the store is under
/// now (the rotation's key file). Resumes a rotation a crash interrupted, and ends at once one
/// that finished before its key file was rewritten.
pub fn rotate<S: Store>(
    store: &mut S,
    keys: &Keys,
    clock: &dyn Clock,
    page_rows: u32,
    pause: Duration,
) -> Result<RotationSummary> {
    let page_rows = page_rows.clamp(1, limits::KEY_ROTATION_PAGE_ROWS);
    let pause = pause.min(Duration::from_millis(limits::KEY_ROTATION_PAUSE_MS_MAX));
    let (Some(from_version), Some(previous_check)) = (keys.previous_version(), keys.previous_check_value()) else {
        // The rotation's key file holds the store's key and the new one.
        return Err(crypto::KeyError::Versions.into());
    };
    keys.seal_with_previous(false);
    let mut summary = RotationSummary { from_version, to_version: keys.version(), rows_read: 0, rows_resealed: 0 };
    let stored = store.read()?.meta(META_KEY_CHECK)?.unwrap_or_default();
    if stored == keys.check_value() {
        return Ok(summary);
    }
    if stored == previous_check {
        // Servers watching the key file take both keys (and go on sealing under the old one)
        // before the mark.
        std::thread::sleep(Duration::from_millis(2 * KEY_FILE_CHECK_MS));
        begin(store, keys, clock.now().unix_timestamp())?;
    } else if Some(stored) != mark(keys) {
        return Err(BureauError::WrongKey);
    }
    for table in SealedTable::ALL {
        reseal_table(store, keys, table, (page_rows, pause), &mut summary)?;
    }
    for table in SealedTable::ALL {
        if let Some(left) = first_under_another_version(store, keys, table)? {
            return Err(StoreError::Corrupt(format!("{table:?} row {left:?} is still under another key")).into());
        }
    }
    finish(store, keys, clock.now().unix_timestamp())?;
    Ok(summary)
}

/// The last checkpoint under the key left, and the mark; refused unless the store is still under
/// the key left (another rotation may have marked it since it was read).
fn begin<S: Store>(store: &mut S, keys: &Keys, now: i64) -> Result<()> {
    let previous_key = keys.previous_audit_public_key().ok_or(BureauError::RotationUnfinished)?;
    let mut w = store.write()?;
    // The mark first: writers hold the key check value's row, then an audit chain's; taking them
    // in the same order, the rotation waits for them instead of deadlocking with one.
    let stored = w.meta_locked(META_KEY_CHECK)?;
    if stored != keys.previous_check_value() {
        // Marked by another rotation since it was read, or under another key.
        return Err(if stored.as_deref().is_some_and(is_mark) {
            BureauError::RotationUnfinished
        } else {
            BureauError::WrongKey
        });
    }
    w.set_meta(META_KEY_CHECK, &mark(keys).ok_or(BureauError::RotationUnfinished)?)?;
    let sign = |m: &[u8]| keys.sign_audit_previous(m).unwrap_or([0; 64]);
    audit::checkpoint_as(w.as_mut(), &sign, previous_key, now)?;
    w.commit()?;
    Ok(())
}

/// Seals again, page by page, every value of `table` under another version than the current.
/// Each page is read in the transaction that rewrites it; a row gone meanwhile (a session ended)
/// is skipped.
fn reseal_table<S: Store>(
    store: &mut S,
    keys: &Keys,
    table: SealedTable,
    (page_rows, pause): (u32, Duration),
    summary: &mut RotationSummary,
) -> Result<()> {
    let mut after: Option<SealedKey> = None;
    loop {
        if after.is_some() && !pause.is_zero() {
            std::thread::sleep(pause);
        }
        let mut w = store.write()?;
        let page = w.sealed_after(table, after.as_ref(), page_rows)?;
        let Some(last) = page.last() else { return Ok(()) };
        after = Some(last.key.clone());
        summary.rows_read += page.len() as u64;
        for row in page.iter().filter(|r| Keys::sealed_version(&r.sealed) != Some(keys.version())) {
            let (sealed, mac) = resealed(keys, table, row)?;
            if w.reseal(table, &row.key, &sealed, mac.as_ref())? {
                summary.rows_resealed += 1;
            }
        }
        w.commit()?;
    }
}

/// The value sealed again under the current version, and its new blind index when it has one.
fn resealed(keys: &Keys, table: SealedTable, row: &SealedRow) -> Result<(Vec<u8>, Option<[u8; 32]>)> {
    let document_type = || row.doc_type.ok_or_else(|| StoreError::Corrupt(format!("{table:?} row without a type")));
    let context = match table {
        SealedTable::Subjects => crypto::NAME_CONTEXT.to_owned(),
        SealedTable::Documents | SealedTable::WebSessions => crypto::document_context(document_type()?),
        SealedTable::Statements => crate::rights::STATEMENT_CONTEXT.to_owned(),
        SealedTable::BatchFeedback => crate::ingest::FEEDBACK_CONTEXT.to_owned(),
    };
    let plain = keys.decrypt(&context, &row.sealed)?;
    let sealed = keys.encrypt(&context, &plain)?;
    let mac = match table {
        SealedTable::Subjects => Some(keys.name_mac(&utf8(&plain)?)),
        SealedTable::Documents => {
            let number = DocumentNumber::parse(document_type()?, &utf8(&plain)?)
                .map_err(|e| StoreError::Corrupt(format!("a stored document does not validate: {e}")))?;
            Some(keys.document_mac(&number))
        }
        _ => None,
    };
    Ok((sealed, mac))
}

fn utf8(plain: &[u8]) -> Result<String> {
    String::from_utf8(plain.to_vec()).map_err(|_| StoreError::Corrupt("a sealed text is not UTF-8".into()).into())
}

/// The key of the first row of `table` not under the current version, if any.
fn first_under_another_version<S: Store>(store: &S, keys: &Keys, table: SealedTable) -> Result<Option<SealedKey>> {
    let mut after: Option<SealedKey> = None;
    loop {
        let page = store.read()?.sealed_after(table, after.as_ref(), limits::KEY_ROTATION_PAGE_ROWS)?;
        let Some(last) = page.last() else { return Ok(None) };
        if let Some(row) = page.iter().find(|r| Keys::sealed_version(&r.sealed) != Some(keys.version())) {
            return Ok(Some(row.key.clone()));
        }
        after = Some(last.key.clone());
    }
}

/// The new key's check value, the mark cleared, and `key.rotated` under a checkpoint of the new
/// key.
fn finish<S: Store>(store: &mut S, keys: &Keys, now: i64) -> Result<()> {
    let previous_key = keys.previous_audit_public_key().ok_or(BureauError::RotationUnfinished)?;
    let mut w = store.write()?;
    w.set_meta(META_KEY_CHECK, &keys.check_value())?;
    let new_key = keys.audit_public_key();
    let signature = keys.sign_with_newest(&audit::key_rotation_message(&previous_key, &new_key));
    let detail = serde_json::json!({
        "from_version": keys.previous_version(),
        "to_version": keys.version(),
        "previous_audit_public_key": hex::encode(previous_key),
        "audit_public_key": hex::encode(new_key),
        "signature": hex::encode(signature),
    });
    audit::append(w.as_mut(), now, audit::KEY_ROTATED, None, None, &detail)?;
    audit::checkpoint(w.as_mut(), keys, now)?;
    w.commit()?;
    Ok(())
}
