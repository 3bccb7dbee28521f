-- OpenBureau store, schema version 8: what lenders underwrite on beyond the core figures.
-- `contract` (account terms: loan kind, guarantee, maturity, frequency, method) and `detail`
-- (a month's overdue periods, overdue principal by age, instalments left) are NULL unless the
-- furnisher reported them; their bytes are ob_store::detail's versioned format.
ALTER TABLE account_versions ADD COLUMN contract BLOB;
ALTER TABLE account_months ADD COLUMN detail BLOB;

-- Special transactions (segment K: extensions, early repayments, debt relief…) and events
-- (record 215: the borrower died…). No free text is kept: it could say what the person bought.
CREATE TABLE specials (
    account_id     INTEGER NOT NULL,
    seq            INTEGER NOT NULL,   -- 1, 2, … per account, in order recorded
    subject_id     INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    on_date        TEXT NOT NULL,
    amount_minor   INTEGER,
    months_changed INTEGER,
    batch_id       INTEGER,
    recorded_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, seq)
) STRICT, WITHOUT ROWID;

-- Credit agreements (授信协议, PBOC-style record 220), by furnisher and key; a new version each
-- time the furnisher sends new terms or ends one.
CREATE TABLE agreements (
    org_id        INTEGER NOT NULL,
    agreement_key TEXT NOT NULL,
    version       INTEGER NOT NULL,
    subject_id    INTEGER NOT NULL,
    batch_id      INTEGER,
    recorded_at   INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    limit_minor   INTEGER NOT NULL,
    effective_on  TEXT NOT NULL,
    expires_on    TEXT,
    ended         INTEGER NOT NULL,
    responsibility TEXT NOT NULL,
    PRIMARY KEY (org_id, agreement_key, version)
) STRICT, WITHOUT ROWID;
CREATE INDEX agreements_subject ON agreements (subject_id);
