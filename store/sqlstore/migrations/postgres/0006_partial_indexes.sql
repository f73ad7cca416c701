-- User identifier columns that are often NULL (externalId, displayName)
-- are indexed only where they have a value: imports of users without them
-- maintain fewer index entries, and `col = ?` look-ups still use the
-- index (the equality implies IS NOT NULL).
DROP INDEX scim_users_external_id;
CREATE INDEX scim_users_external_id ON scim_users (tenant_id, external_id) WHERE external_id IS NOT NULL;
DROP INDEX scim_users_display_name;
CREATE INDEX scim_users_display_name ON scim_users (tenant_id, display_name_ci) WHERE display_name_ci IS NOT NULL;
