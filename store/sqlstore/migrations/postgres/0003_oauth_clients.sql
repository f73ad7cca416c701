-- scimd schema v3 (PostgreSQL): OAuth 2.0 clients (SPEC §2, client credentials
-- grant) and the indexes that keep their access tokens cheap to revoke and
-- to purge. Times are BIGINT Unix microseconds.
--
-- Index exceptions to "every index leads with tenant_id":
--   * oauth_clients_client_id (client_id): client ids are globally unique
--     random strings, and at the token endpoint the client id decides the
--     tenant (as the token hash does for bearer tokens), so it is looked up
--     without one.
--   * tokens_expires (expires_at): PurgeExpiredTokens deletes expired
--     access tokens of every tenant. Static tokens (no expiry) are not
--     indexed.
CREATE TABLE oauth_clients (
  tenant_id   BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  client_id   TEXT   NOT NULL,
  secret_hash TEXT   NOT NULL, -- hex SHA-256 of the secret, never the secret
  scopes      TEXT   NOT NULL, -- space-separated
  description TEXT   NOT NULL DEFAULT '',
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, client_id)
);
CREATE UNIQUE INDEX oauth_clients_client_id ON oauth_clients (client_id);

-- DeleteClient revokes the client's access tokens.
CREATE INDEX tokens_client ON tokens (tenant_id, client_id) WHERE client_id <> '';
CREATE INDEX tokens_expires ON tokens (expires_at) WHERE expires_at IS NOT NULL;
