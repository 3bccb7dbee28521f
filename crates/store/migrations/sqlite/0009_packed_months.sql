-- Account-months packed (ob_store::packed, format version 1): the key columns stay columns, the
-- rest is one BLOB. Twenty columns cost a record-header byte each and dates were ten characters
-- of text: 66.8 bytes of payload an account-month, against about 40 packed (docs/benchmarks.md).
-- The month key is now months since January 1901 (two bytes) instead of yyyymm (three).
-- ob_pack_month is registered by this build on every connection (sqlite.rs) and packs the old
-- columns exactly as the writer does.
CREATE TABLE account_months_packed (
    account_id   INTEGER NOT NULL,
    month        INTEGER NOT NULL,   -- months since 1901-01 (YearMonth::MIN)
    version      INTEGER NOT NULL,   -- 1, then 2, 3… for each correction
    subject_id   INTEGER NOT NULL,
    batch_id     INTEGER,
    recorded_at  INTEGER NOT NULL,
    body         BLOB NOT NULL,      -- ob_store::packed
    PRIMARY KEY (account_id, month, version)
) STRICT, WITHOUT ROWID;

INSERT INTO account_months_packed
SELECT account_id, (month / 100 - 1901) * 12 + month % 100 - 1, version, subject_id, batch_id, recorded_at,
       ob_pack_month(month, settled_on, balance_minor, used_minor, due_minor, paid_minor, past_due_minor,
                     days_past_due, status, class5, last_payment_on, closed_on, credit_limit_minor, deleted, detail)
FROM account_months ORDER BY account_id, month, version;

DROP TABLE account_months;
ALTER TABLE account_months_packed RENAME TO account_months;
