-- scimd schema v4 (PostgreSQL): server-wide secrets, shared by every replica on
-- this database. Like tenants and schema_migrations this is not tenant
-- data, so it does not lead with tenant_id. Rows are created on first use
-- by Store.Secret (32 random bytes from the creating process); today the
-- only one is "cursor-hmac", the key that signs pagination cursors.
-- Deleting a row rotates that secret (replicas re-read it on restart).
CREATE TABLE server_secrets (
  name       TEXT   PRIMARY KEY,
  value      BYTEA  NOT NULL,
  created_at BIGINT NOT NULL
);
