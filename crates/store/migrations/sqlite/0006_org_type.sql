-- OpenBureau store, schema version 6: an organization's kind (机构类型, the model's
-- `InstitutionType` code), by which an institution's copy of a report names the other lenders it
-- hides. NULL until an operator sets it.
ALTER TABLE organizations ADD COLUMN org_type TEXT;
