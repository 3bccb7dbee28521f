-- OpenBureau store, schema version 1.
-- Every person-scoped table carries subject_id (the distribution key on a sharded PostgreSQL).
-- Nothing is updated in place except batch counters: corrections add versions.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE organizations (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL            -- unix seconds, UTC
) STRICT;

CREATE TABLE batches (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    file_sha256 BLOB NOT NULL,
    format      TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    records     INTEGER NOT NULL DEFAULT 0,
    accepted    INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_id, file_sha256)
) STRICT;

-- Names and document numbers are stored only encrypted (AES-256-GCM, key outside the database)
-- with an HMAC-SHA-256 "blind index" for look-up and comparison.
CREATE TABLE subjects (
    id         INTEGER PRIMARY KEY,
    name_enc   BLOB NOT NULL,
    name_mac   BLOB NOT NULL,
    birth_date TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE documents (
    number_mac BLOB PRIMARY KEY,
    subject_id INTEGER NOT NULL,
    doc_type   TEXT NOT NULL,
    number_enc BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX documents_subject ON documents (subject_id);

CREATE TABLE consents (
    id              INTEGER PRIMARY KEY,
    subject_id      INTEGER NOT NULL,
    org_id          INTEGER NOT NULL,
    scope           TEXT NOT NULL,
    purpose         TEXT,
    granted_on      TEXT NOT NULL,
    expires_on      TEXT NOT NULL,
    revoked_on      TEXT,
    evidence_sha256 BLOB NOT NULL,
    consent_ref     TEXT,
    batch_id        INTEGER,
    recorded_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX consents_subject ON consents (subject_id, org_id);

CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    account_key TEXT NOT NULL,
    subject_id  INTEGER NOT NULL,
    UNIQUE (org_id, account_key)
) STRICT;
CREATE INDEX accounts_subject ON accounts (subject_id);
-- To tell a furnisher that a key it does not own belongs to another (never which one).
CREATE INDEX accounts_key ON accounts (account_key);

CREATE TABLE account_versions (
    account_id         INTEGER NOT NULL,
    version            INTEGER NOT NULL,
    subject_id         INTEGER NOT NULL,
    batch_id           INTEGER,
    recorded_at        INTEGER NOT NULL,
    account_type       TEXT NOT NULL,
    opened_on          TEXT NOT NULL,
    currency           TEXT NOT NULL,
    credit_limit_minor INTEGER NOT NULL,
    periods            INTEGER,
    due_day            INTEGER,
    responsibility     TEXT NOT NULL,
    credit_line_id     INTEGER,            -- for R4 sub-accounts: the revolving line's account id
    deleted            INTEGER NOT NULL DEFAULT 0,   -- 1: the furnisher deleted the account
    PRIMARY KEY (account_id, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE account_months (
    account_id         INTEGER NOT NULL,
    month              INTEGER NOT NULL,   -- yyyymm
    version            INTEGER NOT NULL,   -- 1, then 2, 3… for each correction
    subject_id         INTEGER NOT NULL,
    batch_id           INTEGER,
    recorded_at        INTEGER NOT NULL,
    settled_on         TEXT NOT NULL,
    balance_minor      INTEGER NOT NULL,
    used_minor         INTEGER NOT NULL,
    due_minor          INTEGER NOT NULL,
    paid_minor         INTEGER NOT NULL,
    past_due_minor     INTEGER NOT NULL,
    days_past_due      INTEGER NOT NULL,
    status             TEXT NOT NULL,
    class5             TEXT,
    last_payment_on    TEXT,
    closed_on          TEXT,
    credit_limit_minor INTEGER,
    deleted            INTEGER NOT NULL DEFAULT 0,   -- 1: this version deletes the month
    PRIMARY KEY (account_id, month, version)
) STRICT, WITHOUT ROWID;

-- Notices given before negative reporting. A notice may arrive before the account is first
-- reported (account_id and subject_id still NULL); it is found again by furnisher and key.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER,
    subject_id  INTEGER,
    org_id      INTEGER NOT NULL,
    account_key TEXT NOT NULL,
    notified_on TEXT NOT NULL,
    channel     TEXT NOT NULL,
    batch_id    INTEGER,
    recorded_at INTEGER NOT NULL
) STRICT;
CREATE INDEX notices_account ON notices (account_id);
CREATE INDEX notices_key ON notices (org_id, account_key);

CREATE TABLE inquiries (
    id         INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL,
    org_id     INTEGER,                   -- NULL for the person's own look
    reason     TEXT NOT NULL,
    consent_id INTEGER,
    at         INTEGER NOT NULL,
    hard       INTEGER NOT NULL
) STRICT;
CREATE INDEX inquiries_subject ON inquiries (subject_id, at);

CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    subject_id INTEGER,
    org_id     INTEGER,
    detail     TEXT NOT NULL,
    prev_hash  BLOB NOT NULL,
    hash       BLOB NOT NULL
) STRICT;
