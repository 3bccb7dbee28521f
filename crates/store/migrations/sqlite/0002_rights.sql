-- OpenBureau store, schema version 2: people's rights and the bureau's duties.

-- A dispute (异议) on one item of a person's file. The row never changes; its state is the
-- latest of its dispute_events.
CREATE TABLE disputes (
    id           INTEGER PRIMARY KEY,
    subject_id   INTEGER NOT NULL,
    item_kind    TEXT NOT NULL,            -- account | month | inquiry | identity
    account_id   INTEGER,
    month        INTEGER,                  -- yyyymm, for item_kind = month
    inquiry_id   INTEGER,
    org_id       INTEGER,                  -- who must answer; NULL: the bureau itself
    dispute_type TEXT NOT NULL,
    filed_at     INTEGER NOT NULL,
    due_on       TEXT NOT NULL
) STRICT;
CREATE INDEX disputes_subject ON disputes (subject_id);
CREATE INDEX disputes_org ON disputes (org_id);
CREATE INDEX disputes_account ON disputes (account_id);

CREATE TABLE dispute_events (
    id         INTEGER PRIMARY KEY,
    dispute_id INTEGER NOT NULL,
    subject_id INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    state      TEXT NOT NULL,              -- open | corrected | verified | deleted | suppressed | reinserted
    note       TEXT
) STRICT;
CREATE INDEX dispute_events_dispute ON dispute_events (dispute_id);

-- A personal statement (本人声明) beside a negative item; its text only encrypted.
CREATE TABLE statements (
    id             INTEGER PRIMARY KEY,
    subject_id     INTEGER NOT NULL,
    account_id     INTEGER NOT NULL,
    month          INTEGER,                -- NULL: about the whole account
    statement_type TEXT NOT NULL,
    text_enc       BLOB NOT NULL,
    added_at       INTEGER NOT NULL,
    withdrawn_at   INTEGER
) STRICT;
CREATE INDEX statements_subject ON statements (subject_id);

-- Fraud alerts (防欺诈警示) and security freezes.
CREATE TABLE file_flags (
    id         INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL,
    kind       TEXT NOT NULL,              -- fraud_alert | freeze
    placed_at  INTEGER NOT NULL,
    expires_on TEXT,
    lifted_at  INTEGER
) STRICT;
CREATE INDEX file_flags_subject ON file_flags (subject_id);

-- Signed checkpoints of the audit chain (Ed25519), for verification outside the database.
CREATE TABLE audit_checkpoints (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    public_key BLOB NOT NULL,
    signature  BLOB NOT NULL
) STRICT;
