-- userUuid (SAP) is absent from most users: its unique index keeps only
-- the users that have one (uniqueness of the values is unchanged, and
-- `user_uuid_ci = ?` / `IN (…)` look-ups still use the index), so that
-- creating a user without it maintains one index entry fewer.
DROP INDEX scim_users_user_uuid;
CREATE UNIQUE INDEX scim_users_user_uuid ON scim_users (tenant_id, user_uuid_ci) WHERE user_uuid_ci IS NOT NULL;
