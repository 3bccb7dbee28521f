//! Checkpoints of SQLite's write-ahead log on a thread of their own.
//!
//! By default SQLite copies the log's pages into the database file inside the commit that takes
//! the log past `wal_autocheckpoint` pages: during ingest, nearly every file's commit, on the
//! thread that would go on to check the next file (about a tenth of an ingest's time, with the
//! `fsync` it ends with; docs/benchmarks.md). Here the writing connection never checkpoints.
//! Its commit hook asks a thread with a connection of its own to copy the log, and the writer
//! goes on; it waits for the copy only when the log has grown past
//! [`limits::SQLITE_WAL_PAGES_MAX`], so that its next transaction starts the log afresh.
//!
//! Durability is SQLite's either way: a checkpoint only moves committed pages from the log into
//! the database file, and whichever connection closes last copies what is left and deletes the
//! log, as before.

use crate::StoreError;
use ob_model::limits;
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// A thread that checkpoints one database's write-ahead log when asked.
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Pages in the log after which a commit asks for a checkpoint.
    checkpoint_pages: u32,
    /// Pages in the log after which a write waits for the checkpoints asked.
    pages_max: u32,
}

/// What the writer and the thread share. `asked` and `done` count requests: the thread is behind
/// while `done < asked`.
#[derive(Default)]
struct State {
    asked: u64,
    done: u64,
    /// Pages in the log at the writer's last commit.
    log_pages: u32,
    /// Pages in the log when a checkpoint was last asked for.
    log_pages_asked: u32,
    /// Set when the store is dropped, or when the thread has ended (nothing is left to wait for).
    stop: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic cannot leave the counters half-updated: each is a plain store.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed.wait(guard).unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Checkpointer {
    /// Starts the thread on a connection of its own to `path`, and hooks `writer`'s commits to it
    /// (replacing SQLite's automatic checkpoint, which is the same hook).
    pub(crate) fn start(path: &Path, writer: &mut Connection) -> Result<Checkpointer, StoreError> {
        Self::start_with(path, writer, limits::SQLITE_WAL_CHECKPOINT_PAGES, limits::SQLITE_WAL_PAGES_MAX)
    }

    fn start_with(
        path: &Path,
        writer: &mut Connection,
        checkpoint_pages: u32,
        pages_max: u32,
    ) -> Result<Checkpointer, StoreError> {
        assert!(checkpoint_pages <= pages_max, "a checkpoint is asked for before a write waits for it");
        let backend = |e: rusqlite::Error| StoreError::Backend(Box::new(e));
        let conn = Connection::open(path).map_err(backend)?;
        let state = Mutex::new(State::default());
        let shared = Arc::new(Shared { state, changed: Condvar::new(), checkpoint_pages, pages_max });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("ob-checkpoint".into())
            .spawn(move || worker.run(conn))
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        // The hook last: until it is set, the writer checkpoints as SQLite does by itself.
        let checkpointer = Checkpointer { shared, thread: Some(thread) };
        let hooked = Arc::clone(&checkpointer.shared);
        writer
            .wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, pages: std::ffi::c_int| {
                hooked.committed(u32::try_from(pages).unwrap_or(0));
                Ok(())
            }))
            .map_err(backend)?;
        Ok(checkpointer)
    }

    /// Before a write transaction begins: when the log has grown past its limit, waits for the
    /// checkpoints asked so far, so that this transaction finds the log copied and starts it
    /// again from the beginning.
    pub(crate) fn before_write(&self) {
        let mut state = self.shared.lock();
        if state.log_pages < self.shared.pages_max {
            return;
        }
        while state.done < state.asked && !state.stop {
            state = self.shared.wait(state);
        }
    }
}

impl Shared {
    /// The writer's commit hook: `pages` are now in the log.
    fn committed(&self, pages: u32) {
        let mut state = self.lock();
        // A log that started again counts from its beginning.
        if pages < state.log_pages_asked {
            state.log_pages_asked = 0;
        }
        state.log_pages = pages;
        // A checkpoint for every `checkpoint_pages` new pages, as SQLite's own: small commits
        // (a report's log line) would otherwise each ask for one, and each ends in an `fsync`.
        if pages >= state.log_pages_asked + self.checkpoint_pages {
            state.log_pages_asked = pages;
            state.asked += 1;
            self.changed.notify_all();
        }
    }

    /// The thread: one passive checkpoint for any number of requests that came while it was busy.
    fn run(&self, conn: Connection) {
        // Whatever way the thread ends, nothing is left to wait for.
        struct Ended<'a>(&'a Shared);
        impl Drop for Ended<'_> {
            fn drop(&mut self) {
                self.0.lock().stop = true;
                self.0.changed.notify_all();
            }
        }
        let _ended = Ended(self);
        loop {
            let mut state = self.lock();
            while state.done == state.asked && !state.stop {
                state = self.wait(state);
            }
            if state.done == state.asked {
                break;
            }
            let target = state.asked;
            drop(state);
            // A failure (another process checkpointing, a full disk) leaves the pages in the log,
            // where they stay readable and durable; the next commit asks again, and the last
            // connection to close copies them.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            let mut state = self.lock();
            state.done = target;
            self.changed.notify_all();
        }
        // Its connection closes here: the last to close copies what is left and deletes the log.
        drop(conn);
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.stop = true;
        self.shared.changed.notify_all();
        drop(state);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer in WAL mode on a new file, as `SqliteStore` opens one, with a table to fill.
    fn writer(dir: &Path) -> Connection {
        let conn = Connection::open(dir.join("db.sqlite")).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY, b BLOB NOT NULL)").unwrap();
        conn
    }

    /// A writer on a new file and its checkpointer, asking every `checkpoint_pages` and waiting
    /// past `pages_max`.
    fn started(checkpoint_pages: u32, pages_max: u32) -> (tempfile::TempDir, Connection, Checkpointer) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = writer(dir.path());
        let path = dir.path().join("db.sqlite");
        let checkpointer = Checkpointer::start_with(&path, &mut conn, checkpoint_pages, pages_max).unwrap();
        (dir, conn, checkpointer)
    }

    /// One transaction of `rows` rows of 3,000 bytes: a page each.
    fn fill(conn: &Connection, from: i64, rows: i64) {
        let tx = conn.unchecked_transaction().unwrap();
        for n in from..from + rows {
            tx.execute("INSERT INTO t VALUES (?1, zeroblob(3000))", [n]).unwrap();
        }
        tx.commit().unwrap();
    }

    fn wal_bytes(dir: &Path) -> Option<u64> {
        std::fs::metadata(dir.join("db.sqlite-wal")).ok().map(|m| m.len())
    }

    #[test]
    fn the_log_is_copied_off_the_writers_thread_and_removed_at_close() {
        let (dir, conn, checkpointer) = started(10, 10);
        fill(&conn, 0, 100);
        checkpointer.before_write();
        let state = checkpointer.shared.lock();
        assert!(state.log_pages >= 100, "the hook saw the commit's pages: {}", state.log_pages);
        assert!(state.asked >= 1 && state.done == state.asked, "{} asked, {} done", state.asked, state.done);
        drop(state);
        let copied = std::fs::metadata(dir.path().join("db.sqlite")).unwrap().len();
        assert!(copied >= 100 * 4096, "the thread copied the rows into the file: {copied} bytes");
        drop(conn);
        drop(checkpointer);
        assert_eq!(wal_bytes(dir.path()), None, "the last connection to close deletes the log");
        let conn = Connection::open(dir.path().join("db.sqlite")).unwrap();
        let rows: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 100);
    }

    #[test]
    fn small_commits_ask_for_a_checkpoint_once_per_threshold_of_new_pages() {
        let (_dir, _conn, checkpointer) = started(50, 1_000);
        let asked_after = |pages: &[u32]| {
            pages.iter().for_each(|p| checkpointer.shared.committed(*p));
            checkpointer.shared.lock().asked
        };
        assert_eq!(asked_after(&[10, 20, 49]), 0);
        assert_eq!(asked_after(&[50]), 1);
        assert_eq!(asked_after(&(51..=99).collect::<Vec<_>>()), 1, "one commit a page: no more until 50 new pages");
        assert_eq!(asked_after(&[100, 120, 149]), 2);
        assert_eq!(asked_after(&[3, 40]), 2, "the log started again, counted from its beginning");
        assert_eq!(asked_after(&[52]), 3);
    }

    #[test]
    fn a_log_past_its_limit_starts_again_and_small_commits_ask_nothing() {
        let (dir, conn, checkpointer) = started(50, 100);
        fill(&conn, 0, 10);
        assert_eq!(checkpointer.shared.lock().asked, 0, "a commit under the threshold asks for no checkpoint");
        for round in 1..40 {
            checkpointer.before_write();
            fill(&conn, round * 60, 60);
        }
        // Each round adds some 60 pages; were the log never started again, it would hold 2,000.
        let bytes = wal_bytes(dir.path()).unwrap();
        assert!(bytes < 400 * 4096, "the log stays within its limit and a commit or two: {bytes} bytes");
    }
}
