//! Backups: a consistent copy of a live store, taken while the bureau keeps writing, and its
//! restoration. SQLite copies with SQLite's online backup API in one step, within one read
//! transaction: in WAL mode writers go on meanwhile and what they write is simply not in the copy
//! (copied in several steps, a write in between would start the copy over, and a busy server
//! might never let it finish); PostgreSQL with `pg_dump --format=custom` (one repeatable-read
//! snapshot) and `pg_restore` in one transaction. Backup files are readable by their owner only. What a backup holds
//! is what the store holds: ciphertexts and keyed hashes, never a name or a document in clear; the
//! key stays apart (without it a backup opens nothing).
//!
//! Checking a backup before use (the key check, the audit chain) is the bureau's: see
//! `openbureau restore`.

use crate::{Location, Result, StoreError};
use std::path::{Path, PathBuf};
use std::process::Command;

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// Copies the store at `from` to the file `to`, consistently, while it may be in use. `to` must
/// not exist; it appears whole or not at all.
pub fn backup(from: &Location, to: &Path) -> Result<()> {
    if to.exists() {
        return Err(StoreError::Backend(
            format!("{} exists already: a backup never replaces a file", to.display()).into(),
        ));
    }
    let partial = partial_path(to);
    let _ = std::fs::remove_file(&partial);
    let done = owner_only_file(&partial).and_then(|()| match from {
        Location::Sqlite(path) => sqlite_backup(path, &partial),
        Location::Postgres(url) => pg_tool("pg_dump", &["--format=custom", "--no-owner", "--file"], &partial, url),
    });
    let placed = done.and_then(|()| place(&partial, to));
    if placed.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    placed
}

/// Creates `path` empty, readable and writable by its owner only (a backup holds what the store
/// holds), for the backup to write into.
fn owner_only_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(backend)
}

/// Gives `partial` the name `to`, never replacing a file that appeared there meanwhile (a hard
/// link fails when the name is taken, where a rename would replace it).
fn place(partial: &Path, to: &Path) -> Result<()> {
    std::fs::hard_link(partial, to).map_err(backend)?;
    std::fs::remove_file(partial).map_err(backend)
}

/// Restores the backup `from` into the store at `to`, which must not hold a store yet (an SQLite
/// file that does not exist; a PostgreSQL database without tables).
pub fn restore(from: &Path, to: &Location) -> Result<()> {
    match to {
        Location::Sqlite(path) => {
            if path.exists() {
                return Err(StoreError::Backend(format!("{} exists: restore into a new place", path.display()).into()));
            }
            let partial = partial_path(path);
            let copied = owner_only_file(&partial)
                .and_then(|()| std::fs::copy(from, &partial).map(drop).map_err(backend))
                .and_then(|()| place(&partial, path));
            if copied.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            copied
        }
        Location::Postgres(url) => {
            if !pg_is_empty(url)? {
                return Err(StoreError::Backend("the database holds tables already: restore into an empty one".into()));
            }
            // One transaction: a restore that fails leaves the database as empty as it was.
            let args = ["--no-owner", "--exit-on-error", "--single-transaction", "--dbname", url];
            pg_tool("pg_restore", &args, from, "")
        }
    }
}

/// Empties a PostgreSQL database a failed restore left tables in (the `public` schema anew).
pub fn clear(location: &Location) -> Result<()> {
    let Location::Postgres(url) = location else { return Ok(()) };
    let mut client = postgres::Client::connect(url, postgres::NoTls).map_err(crate::postgres::backend)?;
    client.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;").map_err(crate::postgres::backend)
}

/// `FILE.partial`, beside `file`.
fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    file.with_file_name(name)
}

fn sqlite_backup(from: &Path, to: &Path) -> Result<()> {
    use rusqlite::{Connection, OpenFlags};
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(backend)?;
    let mut dest = Connection::open(to).map_err(backend)?;
    let backup = rusqlite::backup::Backup::new(&source, &mut dest).map_err(backend)?;
    // Every page in one step: one read snapshot, which writes in between cannot restart.
    match backup.step(-1).map_err(backend)? {
        rusqlite::backup::StepResult::Done => Ok(()),
        other => Err(StoreError::Backend(format!("the backup did not complete: {other:?}").into())),
    }
}

/// Whether the PostgreSQL database holds no table in its public schema.
fn pg_is_empty(url: &str) -> Result<bool> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).map_err(backend)?;
    let row = client
        .query_one("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", &[])
        .map_err(backend)?;
    Ok(row.get::<_, i64>(0) == 0)
}

/// Runs a PostgreSQL client tool (`pg_dump`, `pg_restore`) with `args`, then `file` when given,
/// then `url` when given.
fn pg_tool(tool: &str, args: &[&str], file: &Path, url: &str) -> Result<()> {
    let program = pg_program(tool)
        .ok_or_else(|| StoreError::Backend(format!("{tool} is not installed (Debian: postgresql-client-15)").into()))?;
    let mut command = Command::new(program);
    command.args(args);
    if !file.as_os_str().is_empty() {
        command.arg(file);
    }
    if !url.is_empty() {
        command.arg(url);
    }
    let out = command.output().map_err(backend)?;
    if out.status.success() {
        return Ok(());
    }
    let said = tool_said(tool, &String::from_utf8_lossy(&out.stderr));
    Err(StoreError::Backend(format!("{tool} failed ({}): {said}", out.status).into()))
}

/// What a failed client tool said, without what could quote stored values (ARCHITECTURE.md,
/// "What must never be logged"): only its own lines (`pg_restore: error: …`), not the server's
/// DETAIL, HINT and CONTEXT nor the command it ran (a COPY row), and quoted text left out (a
/// value the server could not take is quoted in its message).
fn tool_said(tool: &str, stderr: &str) -> String {
    let prefix = format!("{tool}: ");
    let lines: Vec<String> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter(|rest| !["detail:", "hint:", "context:"].iter().any(|p| rest.to_ascii_lowercase().starts_with(p)))
        .map(|rest| format!("{prefix}{}", unquoted(without_values(rest))))
        .collect();
    if lines.is_empty() { "(no message of its own)".to_owned() } else { lines.join("; ") }
}

/// A tool's line cut after the server's message proper: what follows its first `: ` is the
/// value the message is about (`invalid input syntax for type bytea: "…"`, `invalid byte sequence
/// for encoding "UTF8": 0xc8 0xba`).
fn without_values(line: &str) -> &str {
    let Some(at) = line.find("ERROR:") else { return line };
    let message_at = at + "ERROR:".len();
    match line[message_at..].find(": ") {
        Some(colon) => &line[..message_at + colon],
        None => line,
    }
}

/// `text` with what stands between double quotes left out.
fn unquoted(text: &str) -> String {
    text.split('"').enumerate().map(|(i, part)| if i % 2 == 0 { part } else { "…" }).collect::<Vec<_>>().join("\"")
}

/// A PostgreSQL client tool: on the `PATH`, else in Debian's versioned folders (newest first).
fn pg_program(tool: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join(tool)).find(|p| p.is_file()))
        .unwrap_or_default();
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin").join(tool)))
            .filter(|p| p.is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

#[cfg(test)]
mod tests {
    use super::tool_said;

    #[test]
    fn a_tool_s_message_keeps_its_own_lines_without_quoted_values() {
        let stderr = "pg_restore: error: could not execute query: ERROR:  invalid input syntax for type bytea: \"\\xc8ba77\"\n\
                      CONTEXT:  COPY documents, line 1, column number_mac: \"\\xc8ba77\"\n\
                      pg_restore: detail: Command was: COPY public.documents (number_mac) FROM stdin;\n\
                      pg_restore: warning: errors ignored on restore: 1\n";
        let said = tool_said("pg_restore", stderr);
        assert_eq!(
            said,
            "pg_restore: error: could not execute query: ERROR:  invalid input syntax for type bytea; \
             pg_restore: warning: errors ignored on restore: 1"
        );
        assert!(!said.contains("c8ba"), "{said}");
        assert_eq!(tool_said("pg_dump", "something else\n"), "(no message of its own)");
        // Bytes outside quotes, and a quote inside a value, are cut with the value.
        let said = tool_said(
            "pg_restore",
            "pg_restore: error: ERROR:  invalid byte sequence for encoding \"UTF8\": 0xc8 0xba\n\
             pg_restore: error: ERROR:  duplicate key value violates unique constraint \"documents_pkey\"\n\
             pg_restore: error: ERROR:  invalid input syntax for type integer: \"1\"2\"3\"\n",
        );
        assert_eq!(
            said,
            "pg_restore: error: ERROR:  invalid byte sequence for encoding \"…\"; \
             pg_restore: error: ERROR:  duplicate key value violates unique constraint \"…\"; \
             pg_restore: error: ERROR:  invalid input syntax for type integer"
        );
    }
}
