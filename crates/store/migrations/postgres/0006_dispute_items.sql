-- OpenBureau store (PostgreSQL), schema version 6. A person may dispute any item of their file
-- (征信业管理条例 art. 25; FCRA §611): a special transaction or event (item_kind `special`:
-- account_id and item_seq, the special's seq) and a credit agreement (item_kind `agreement`:
-- item_key, with org_id its furnisher) too.
ALTER TABLE disputes ADD COLUMN item_seq INTEGER;
ALTER TABLE disputes ADD COLUMN item_key TEXT;
