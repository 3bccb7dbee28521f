-- Notices, at the person's request, to organizations that received a report holding an item the
-- person disputed (FCRA §611(d)): what became of the dispute. One per dispute, organization and
-- state told; an organization reads its own by id, as a queue.
CREATE TABLE correction_notices (
    id          INTEGER PRIMARY KEY,
    subject_id  INTEGER NOT NULL,
    dispute_id  INTEGER NOT NULL,
    org_id      INTEGER NOT NULL,      -- the organization told
    inquiry_id  INTEGER NOT NULL,      -- the newest report it received that held the item
    state       TEXT NOT NULL,         -- the dispute's state told (ob_model::DisputeState)
    created_at  INTEGER NOT NULL,
    UNIQUE (dispute_id, org_id, state)
) STRICT;
CREATE INDEX correction_notices_subject ON correction_notices (subject_id);
CREATE INDEX correction_notices_org ON correction_notices (org_id, id);
