-- OpenBureau store, schema version 4: who reaches the bureau over the network.
-- Organizations get roles; API keys are kept only as the SHA-256 of the key (a high-entropy key
-- needs no slow hash, and checking one is a single indexed look-up); people who sign in to the
-- web page have an argon2id password hash (PHC string); a batch keeps its feedback file.

-- Comma-separated roles: "furnisher", "lender" or "furnisher,lender"; '' until an operator sets them.
ALTER TABLE organizations ADD COLUMN roles TEXT NOT NULL DEFAULT '';

CREATE TABLE api_keys (
    key_sha256 BLOB PRIMARY KEY,
    org_id     INTEGER,                   -- NULL: an operator's (admin) key
    label      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX api_keys_org ON api_keys (org_id);

CREATE TABLE person_logins (
    subject_id   INTEGER PRIMARY KEY,
    password_phc TEXT NOT NULL,           -- argon2id, PHC string format
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE batch_feedback (
    batch_id   INTEGER PRIMARY KEY,
    media_type TEXT NOT NULL,
    body_enc   BLOB NOT NULL              -- AES-256-GCM: feedback quotes records as sent
) STRICT;
