-- OpenBureau store (PostgreSQL), schema version 4: people's web sessions, so that a restart (or
-- a switch to the replica) signs no one out. The token the browser holds is never stored, only
-- its SHA-256; the document signed in with is encrypted as in `documents`. Sessions expire by
-- `created_at` (limits::SESSION_S_MAX) and are at most limits::SESSIONS_MAX, the oldest going
-- first. On Citus, distributed by the token's digest: a request finds its session on one shard.
CREATE TABLE web_sessions (
    token_sha256  BYTEA PRIMARY KEY,
    subject_id    BIGINT NOT NULL,
    doc_type      TEXT NOT NULL,
    number_enc    BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    shown_inquiry BIGINT
);
CREATE INDEX web_sessions_by_age ON web_sessions (created_at);
-- A person's sessions, to keep at most limits::SESSIONS_PER_PERSON_MAX of them.
CREATE INDEX web_sessions_by_subject ON web_sessions (subject_id);
