-- OpenBureau store (PostgreSQL), schema version 5: what lenders underwrite on beyond the core
-- figures. `contract` (account terms: loan kind, guarantee, maturity, frequency, method) and
-- `detail` (a month's overdue periods, overdue principal by age, instalments left) are NULL unless
-- the furnisher reported them; their bytes are ob_store::detail's versioned format.
ALTER TABLE account_versions ADD COLUMN contract BYTEA;
ALTER TABLE account_months ADD COLUMN detail BYTEA;

-- Special transactions (segment K) and events (record 215). No free text is kept: it could say
-- what the person bought. The key ends with the person, the distribution key on Citus.
CREATE TABLE specials (
    account_id     BIGINT NOT NULL,
    subject_id     BIGINT NOT NULL,
    seq            INTEGER NOT NULL,   -- 1, 2, … per account, in order recorded
    kind           TEXT NOT NULL,
    on_date        DATE NOT NULL,
    amount_minor   BIGINT,
    months_changed INTEGER,
    batch_id       BIGINT,
    recorded_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, seq, subject_id)
);

-- Credit agreements (授信协议, PBOC-style record 220), by furnisher and key; a new version each
-- time the furnisher sends new terms or ends one. The key ends with the person (Citus).
CREATE TABLE agreements (
    org_id        BIGINT NOT NULL,
    agreement_key TEXT NOT NULL,
    version       INTEGER NOT NULL,
    subject_id    BIGINT NOT NULL,
    batch_id      BIGINT,
    recorded_at   BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    limit_minor   BIGINT NOT NULL,
    effective_on  DATE NOT NULL,
    expires_on    DATE,
    ended         BOOLEAN NOT NULL,
    responsibility TEXT NOT NULL,
    PRIMARY KEY (org_id, agreement_key, version, subject_id)
);
CREATE INDEX agreements_subject ON agreements (subject_id);
