-- Per-tenant settings (JSON object): overrides of server-wide defaults
-- such as the import limits (maxGroupsPerUser, maxGroupsPerFile).
ALTER TABLE tenants ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
