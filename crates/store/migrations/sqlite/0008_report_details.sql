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
