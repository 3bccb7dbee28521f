-- OpenBureau store, schema version 5: the audit log as several chains.
-- Each event belongs to one chain (a person's events to chain subject_id mod the store's chain
-- count; events about no one to chain 0) and links to the previous event of its chain. Sequence
-- numbers stay unique across chains. An SQLite store has one writer, hence one chain: every row
-- here, old and new, is in chain 0, and its hashes are unchanged.
ALTER TABLE audit_events ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
CREATE INDEX audit_events_chain ON audit_events (chain, seq);
