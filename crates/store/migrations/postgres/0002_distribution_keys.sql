-- OpenBureau store on PostgreSQL, schema version 2: every key of a table about a person holds the
-- column the table is distributed by on a sharded deployment (deploy/citus.sql, docs/deploy.md),
-- as Citus requires of a distributed table's primary key and unique constraints. The distribution
-- column is appended, so each key still leads with the column it is looked up by and its index
-- serves the same queries.
--
-- Distributed by the person (subject_id, colocated with subjects.id): consents, accounts,
-- account_versions, account_months, inquiries, disputes, dispute_events, statements, file_flags,
-- person_logins. By their own lookup key: documents (number_mac: a document number is one person
-- everywhere), notices (account_key: a notice may come before the account, and so before the
-- person, is known), audit_events (chain), batch_feedback (batch_id).

ALTER TABLE consents DROP CONSTRAINT consents_pkey, ADD PRIMARY KEY (id, subject_id);
ALTER TABLE accounts DROP CONSTRAINT accounts_pkey, ADD PRIMARY KEY (id, subject_id);
-- A furnisher's account key names one account: the bureau checks it (ACCOUNT_CONFLICT) under the
-- furnisher's ingest lock (postgres/mod.rs), which a sharded database cannot check as a constraint
-- across shards. The index still finds an account by furnisher and key.
ALTER TABLE accounts DROP CONSTRAINT accounts_org_id_account_key_key,
    ADD CONSTRAINT accounts_org_key UNIQUE (org_id, account_key, subject_id);
ALTER TABLE account_versions DROP CONSTRAINT account_versions_pkey, ADD PRIMARY KEY (account_id, version, subject_id);
ALTER TABLE account_months DROP CONSTRAINT account_months_pkey,
    ADD PRIMARY KEY (account_id, month, version, subject_id);
ALTER TABLE notices DROP CONSTRAINT notices_pkey, ADD PRIMARY KEY (id, account_key);
ALTER TABLE inquiries DROP CONSTRAINT inquiries_pkey, ADD PRIMARY KEY (id, subject_id);
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey, ADD PRIMARY KEY (seq, chain);
ALTER TABLE disputes DROP CONSTRAINT disputes_pkey, ADD PRIMARY KEY (id, subject_id);
ALTER TABLE dispute_events DROP CONSTRAINT dispute_events_pkey, ADD PRIMARY KEY (id, subject_id);
ALTER TABLE statements DROP CONSTRAINT statements_pkey, ADD PRIMARY KEY (id, subject_id);
ALTER TABLE file_flags DROP CONSTRAINT file_flags_pkey, ADD PRIMARY KEY (id, subject_id);
