-- OpenBureau on Citus: the distribution of the PostgreSQL store's tables across worker nodes.
-- Run once on the coordinator, after `openbureau --store postgres://…coordinator…/db` has created
-- the schema (migrations/postgres, version 2 or later) and before any data is loaded:
--
--   psql "$COORDINATOR_URL" -v ON_ERROR_STOP=1 -f deploy/citus.sql
--
-- docs/deploy.md explains the layout, which queries stay on one shard, what the audit chains
-- become, and the sizing. crates/store/tests/conformance.rs (postgres_schema_fits_deploy_citus_sql)
-- checks this file against the schema: every table is named once, and every primary key and
-- unique constraint of a distributed table holds its distribution column.

CREATE EXTENSION IF NOT EXISTS citus;

-- Small tables every node needs whole: replicated to each node.
SELECT create_reference_table('schema_migrations');
SELECT create_reference_table('meta');
SELECT create_reference_table('organizations');
SELECT create_reference_table('batches');
SELECT create_reference_table('api_keys');
SELECT create_reference_table('score_models');
SELECT create_reference_table('audit_checkpoints');

-- A person's file: one shard holds all of a person's rows, so a report reads one shard and an
-- ingest writes a person's rows in one shard's transaction.
SELECT create_distributed_table('subjects', 'id');
SELECT create_distributed_table('consents', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('accounts', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('account_versions', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('account_months', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('specials', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('agreements', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('inquiries', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('disputes', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('dispute_events', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('statements', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('file_flags', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('correction_notices', 'subject_id', colocate_with => 'subjects');
SELECT create_distributed_table('person_logins', 'subject_id', colocate_with => 'subjects');

-- Tables found by another key than the person.
-- A document number (by its MAC) leads to one person whatever shard that person is on.
SELECT create_distributed_table('documents', 'number_mac', colocate_with => 'none');
-- A notice may arrive before its account (and so its person) is known: found by the account key.
SELECT create_distributed_table('notices', 'account_key', colocate_with => 'none');
-- One audit chain a shard group: events of a chain are appended in order on one node.
SELECT create_distributed_table('audit_events', 'chain', colocate_with => 'none');
-- A furnisher's feedback file, by its batch.
SELECT create_distributed_table('batch_feedback', 'batch_id', colocate_with => 'none');
-- A person's web session, by its token's digest: each page request finds it on one shard.
SELECT create_distributed_table('web_sessions', 'token_sha256', colocate_with => 'none');
