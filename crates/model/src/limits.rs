//! Every limit OpenBureau enforces, in one place (TigerBeetle style: put a limit on everything).
//!
//! A limit protects memory, storage or the person in the file. Changing one here changes it
//! everywhere; nothing else in the code base may hard-code these numbers.

/// Longest accepted line of a canonical JSON-lines file, in bytes. A record is a few hundred bytes;
/// 16 KiB leaves room for long names while stopping a runaway line from exhausting memory.
pub const LINE_BYTES_MAX: usize = 16 * 1024;

/// Most records in one furnisher batch. A batch is one transaction; bounding it bounds the
/// transaction's size and the per-batch duplicate-detection set.
pub const RECORDS_PER_BATCH_MAX: u64 = 20_000_000;

/// Longest person's name, in characters (Chinese names are 2–4; transliterated names are longer).
pub const NAME_CHARS_MAX: usize = 60;

/// Longest furnisher account key (Metro 2's consumer account number is 30; PBOC's account code 60).
pub const ACCOUNT_KEY_CHARS_MAX: usize = 60;

/// Longest organization code (PBOC institution codes are 14 characters).
pub const ORG_CODE_CHARS_MAX: usize = 20;

/// Longest organization display name, in characters.
pub const ORG_NAME_CHARS_MAX: usize = 80;

/// Organization codes named in an `UNKNOWN_ORGANIZATION` refusal, to show what exists.
pub const ORG_CODES_LISTED_MAX: usize = 10;

/// Longest consent reference given by a furnisher, in characters.
pub const CONSENT_REF_CHARS_MAX: usize = 64;

/// Largest amount in minor units (fen, cents): 10^15 minor units is 10 trillion yuan, far above
/// any single account, and keeps every sum of a person's accounts far from `i64` overflow.
pub const AMOUNT_MINOR_MAX: i64 = 1_000_000_000_000_000;

/// Largest days-past-due value accepted (about 27 years); beyond that the figure is an error.
pub const DAYS_PAST_DUE_MAX: u32 = 10_000;

/// Days past due may grow from one month to the next by the days between the two settlements
/// plus this slack, and no more: formats that give days only as 30-day bands (Metro 2's ratings
/// say 30, 60, 90…) may move one band in a shorter month, never two.
pub const DAYS_PAST_DUE_SLACK_DAYS: i64 = 29;

/// A used amount above this percentage of the credit limit is rejected as unreasonable
/// (revolving accounts may exceed the limit by fees and interest, not by multiples).
pub const USED_OVER_LIMIT_PERCENT_MAX: i64 = 150;

/// Months of history shown per account in a report (the PBOC report's 5-year history).
pub const REPORT_HISTORY_MONTHS: u32 = 60;

/// Months in the status line at the top of each account (the PBOC report's 24-month line).
pub const REPORT_STATUS_LINE_MONTHS: u32 = 24;

/// Months over which the report's "average used" figures are taken.
pub const REPORT_AVERAGE_MONTHS: u32 = 6;

/// An open account whose furnisher has not reported this many months before the report's month
/// (the latest reported being older) is shown as not updated: its state is as of its last report.
pub const REPORT_STALE_MONTHS: i32 = 3;

/// Months of inquiries summarised as "recent" (loan and card approvals) in a report.
pub const REPORT_RECENT_QUERY_MONTHS: u32 = 1;

/// Months of inquiries listed and summarised in a report (the PBOC report lists two years).
pub const REPORT_QUERY_MONTHS: u32 = 24;

/// Earliest and latest year a date may carry (the PBOC interface accepts 1901–2099).
pub const YEAR_MIN: i32 = 1901;
/// See [`YEAR_MIN`].
pub const YEAR_MAX: i32 = 2099;

/// Longest consent validity, in years; an authorization for longer is a data error.
pub const CONSENT_YEARS_MAX: i32 = 30;

/// Accounts, people and consent lists an ingest keeps in memory, each, before it lets them go
/// (between records; they are read again from the transaction when needed). Bounds an ingest's
/// memory whatever the file's size: about 400 bytes an account, so some 80 MB at most.
pub const INGEST_CACHED_MAX: usize = 200_000;

/// Accounts an ingest reads ahead, in key order, when a record names one it has not read: one
/// sequential read instead of a seek per record when the file lists accounts in key order.
pub const INGEST_READ_AHEAD_ACCOUNTS: u32 = 1_000;

/// Rows a key rotation reads, rewrites and commits at a time (`openbureau key rotate`): small
/// enough that a transaction stays short, large enough that commits do not dominate.
pub const KEY_ROTATION_PAGE_ROWS: u32 = 1_000;

/// Longest pause a key rotation may take between two pages (`--pause-ms`), to spare a busy
/// server: a second.
pub const KEY_ROTATION_PAUSE_MS_MAX: u64 = 1_000;

/// SQLite's page cache per connection, in KiB. Ingest reads people, consents and accounts in the
/// order of the furnisher's file, which is not the order they were stored in: a cache that holds
/// the consents and the accounts' indexes of a few million people saves most reads from the OS.
/// With [`INGEST_CACHED_MAX`] it keeps an ingest under 512 MB: measured at 1 M people
/// (docs/benchmarks.md, 2026-12-07), 200 MiB peaked at 496 MB and 38,203 account-months/s, where
/// 256 MiB peaked at 554 MB and 41,900/s.
pub const SQLITE_CACHE_KIB: i64 = 200 * 1024;

/// Pages SQLite's write-ahead log holds before a commit asks for a checkpoint (SQLite's own
/// `wal_autocheckpoint` default). The checkpoint runs on a thread of its own (ob-store's checkpoint.rs).
pub const SQLITE_WAL_CHECKPOINT_PAGES: u32 = 1_000;

/// Pages SQLite's write-ahead log may hold before a write waits for the checkpoint to catch up:
/// 1 GiB of 4 KiB pages. SQLite starts the log again from its beginning only in a transaction that
/// begins once every page of it is copied; below this the writer goes on while the copy runs, so
/// the log grows by a batch or a few (at 1 M people, one file's commit is 25,000–90,000
/// pages), and this bounds the file on disk.
pub const SQLITE_WAL_PAGES_MAX: u32 = 262_144;

/// Bureau workers a server runs over PostgreSQL unless told otherwise. A report spends most of its
/// time waiting on the database's answers, so more workers than cores keep both busy.
pub const SERVER_WORKERS_DEFAULT_POSTGRES: u32 = 8;

/// The most bureau workers a server may run: each holds a database connection (PostgreSQL's
/// default `max_connections` is 100).
pub const SERVER_WORKERS_MAX: u32 = 64;

/// The most batches `openbureau ingest --jobs` runs at once: each holds a database connection and
/// a file's worth of rows in memory (about 50 MB at most at 1 M people).
pub const INGEST_JOBS_MAX: u16 = 16;

/// Times `openbureau ingest --jobs` runs a batch again, alone, after a retryable failure there (a
/// lost connection, a deadlock, another process's batch opening the same new person). Nothing of
/// a failed attempt was stored.
pub const INGEST_RETRIES_MAX: u32 = 8;

/// Times `openbureau ingest --jobs` runs a batch again beside others after it met another batch
/// opening the same new person; after that, it runs again alone.
pub const INGEST_JOBS_CONFLICTS_BESIDE: u32 = 1;

/// The wait before the first retry of a batch, in milliseconds; it doubles at each retry.
pub const INGEST_RETRY_WAIT_MS: u64 = 100;

/// Progress callbacks fire once per this many records, not per record.
pub const PROGRESS_EVERY_RECORDS: u64 = 10_000;

/// A batch's feedback file kept in the store (for `GET /v1/batches/{id}/feedback`), at most; the
/// rest is cut at a line's end and a last line says so. (The CLI's feedback file is always whole.)
pub const FEEDBACK_KEPT_BYTES_MAX: usize = 64 * 1024 * 1024;

/// Names tried for one feedback file (`name`, `name.2`, … `name.1000`) before giving up: a
/// feedback file is never written over another, and a folder with a thousand files of one
/// batch's name is a mistake to report, not to work around.
pub const FEEDBACK_FILE_NAME_TRIES_MAX: u32 = 1_000;

/// Largest batch body the HTTP API accepts, in bytes.
pub const HTTP_BATCH_BYTES_MAX: usize = 256 * 1024 * 1024;

/// Seconds a client has to send a request's headers before the server closes the connection:
/// a slow client (slowloris) cannot hold connections open by trickling headers.
pub const HTTP_HEADER_READ_S: u64 = 5;

/// Seconds a request body may go without a byte before the server answers 408 `BODY_TIMEOUT`
/// and closes the connection: a client trickling its body (slow POST) cannot hold it open.
pub const HTTP_BODY_IDLE_S: u64 = 5;

/// Seconds any request body may take beyond what [`HTTP_BODY_RATE_MIN_BYTES_PER_S`] allows for
/// the bytes already received: a body of n bytes must have arrived within
/// `HTTP_BODY_GRACE_S + n / HTTP_BODY_RATE_MIN_BYTES_PER_S` seconds, so a byte every few seconds
/// does not keep a connection either.
pub const HTTP_BODY_GRACE_S: u64 = 5;

/// Slowest average rate a request body may arrive at, in bytes a second, past the grace (a 256 MB
/// batch over the slowest line allowed takes about 4.5 hours).
pub const HTTP_BODY_RATE_MIN_BYTES_PER_S: u64 = 16 * 1024;

/// Largest body of any other HTTP request (JSON), in bytes.
pub const HTTP_BODY_BYTES_MAX: usize = 64 * 1024;

/// Requests per second one API key may make, sustained (the bucket refills at this rate).
pub const HTTP_RATE_PER_KEY_PER_S: u32 = 5_000;

/// Requests one API key may make in a burst above the sustained rate.
pub const HTTP_BURST_PER_KEY: u32 = 10_000;

/// Seconds an organization's key stays cached in the server before the store is asked again
/// (a key revoked from the CLI stops working within this time; revoked over the API, at once).
pub const KEY_CACHE_S: u64 = 30;

/// Batches listed per page.
pub const BATCHES_PAGE_MAX: u32 = 1_000;

/// Correction notices (FCRA §611(d)) an organization reads per page.
pub const CORRECTION_NOTICES_PAGE_MAX: u32 = 1_000;

/// Calendar months back from a person's request (from the start of that day) that a report counts
/// as received "within six months" (FCRA §611(d)). The law's two years for reports for employment
/// do not arise: no purpose on the closed list is employment.
pub const RECIPIENT_NOTICE_MONTHS: u32 = 6;

/// Stale-account warnings (`STALE_ACCOUNT`) given per page.
pub const STALE_PAGE_MAX: u32 = 1_000;

/// Accounts read per call when looking for a furnisher's stale ones: a call reads at most this
/// many, so that asking never holds a bureau worker long; the answer says where to go on.
/// Measured on the embedded store at 1 M people (docs/benchmarks.md): 7.4 µs an account when
/// none is stale, 19 µs when every one is (each is read further), so 37–97 ms a call.
pub const STALE_SCAN_ACCOUNTS_MAX: u32 = 5_000;

/// A person's web session lasts at most this many seconds from sign-in.
pub const SESSION_S_MAX: i64 = 8 * 3600;

/// Web sessions held at once; the oldest go first.
pub const SESSIONS_MAX: usize = 100_000;

/// Web sessions one person holds at once (browsers, devices); their oldest goes first. Without
/// it one person signing in again and again could push everyone else's sessions out.
pub const SESSIONS_PER_PERSON_MAX: u64 = 5;

/// Failed sign-ins for one document from one client address before that pair is locked. Counted
/// per address, so that no one can lock a person out of their own file by failing on purpose.
pub const SIGNIN_FAILURES_MAX: u32 = 5;

/// Seconds of a (document, address) pair's first lock; each further lock doubles it, up to
/// [`SIGNIN_LOCK_S_MAX`].
pub const SIGNIN_LOCK_S: i64 = 60;

/// The longest lock.
pub const SIGNIN_LOCK_S_MAX: i64 = 3600;

/// Seconds without a failure after which a pair's failures and locks are forgotten.
pub const SIGNIN_FORGET_S: i64 = 24 * 3600;

/// A person's password: at least this many characters.
pub const PASSWORD_CHARS_MIN: usize = 10;

/// A person's password: at most this many bytes (argon2 takes any length; bounded all the same).
pub const PASSWORD_BYTES_MAX: usize = 256;

/// Password verifications (argon2id) run at once; more sign-ins wait.
pub const SIGNIN_VERIFICATIONS_MAX: usize = 2;

/// A sign-in waits at most this long for a verification slot, then gets 503 with `Retry-After`.
pub const SIGNIN_WAIT_MS_MAX: u64 = 2_000;

/// Seconds headless Chromium may take to print a report as a PDF before it is stopped (a first
/// start with a cold font cache takes a few seconds; a report, well under one).
pub const PDF_RENDER_S_MAX: u64 = 60;

/// PDFs printed at once by the server (each is a Chromium process of a few hundred MB); more get
/// 503 `BUSY` with `Retry-After`.
pub const PDF_RENDERS_MAX: usize = 1;

/// Uploads spooled or ingested at once over HTTP; more get 503 `BUSY` with `Retry-After`.
pub const HTTP_UPLOADS_MAX: usize = 2;

/// Bounds a policy file's values must keep (`Policy::check`): outside them a rule would trap a
/// person (a dispute never answered, negative data kept for life) or mislead a lender (report
/// times in a zone that does not exist, silently shown as UTC).
pub mod policy {
    /// Days a furnisher may have to answer a dispute: at least 1, at most 90 (PRC 20, US 30; the
    /// FCRA's longest extension is 45).
    pub const DISPUTE_ANSWER_DAYS: std::ops::RangeInclusive<u16> = 1..=90;
    /// Years negative information may be kept: at least 1, at most 10 (PRC 5, US 7, and 10 for a
    /// US bankruptcy).
    pub const RETENTION_YEARS: std::ops::RangeInclusive<u8> = 1..=10;
    /// Days after the first delinquency a US-style retention period may start: at most 365.
    pub const RETENTION_START_AFTER_DAYS_MAX: u16 = 365;
    /// A personal statement's limits must allow at least this much, and at most
    /// [`STATEMENT_CHARS_MAX`] characters (the store keeps statements whole).
    pub const STATEMENT_WORDS_MIN: u16 = 10;
    /// Fewest characters a statement may be allowed.
    pub const STATEMENT_CHARS_MIN: u16 = 50;
    /// Most characters a statement may be allowed.
    pub const STATEMENT_CHARS_MAX: u16 = 2_000;
    /// Days a fraud alert lasts: at least 1, at most 7 years.
    pub const FRAUD_ALERT_DAYS: std::ops::RangeInclusive<u16> = 1..=2_557;
    /// Offsets from UTC that exist (UTC−12:00 to UTC+14:00), in minutes, in steps of 15.
    pub const UTC_OFFSET_MINUTES: std::ops::RangeInclusive<i16> = -720..=840;
    /// Longest policy name, in characters.
    pub const NAME_CHARS_MAX: usize = 40;
}
