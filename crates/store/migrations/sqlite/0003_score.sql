-- OpenBureau store, schema version 3: bureau score models.
-- Each build is a new version; reports use the newest. The model is ob-score's JSON (it carries
-- its own format_version); percentiles are the population's score quantiles at build time.
CREATE TABLE score_models (
    version          INTEGER PRIMARY KEY,
    built_at         INTEGER NOT NULL,
    as_of            TEXT NOT NULL,
    model_json       TEXT NOT NULL,
    percentiles_json TEXT NOT NULL
) STRICT;
