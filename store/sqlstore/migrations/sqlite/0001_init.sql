-- scimd schema v1 (SQLite). Every table and index leads with tenant_id,
-- except tenants itself and the token hash (the token decides the tenant).
CREATE TABLE tenants (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT    NOT NULL UNIQUE,
  created_at BIGINT  NOT NULL
);

CREATE TABLE tokens (
  hash        TEXT   PRIMARY KEY,
  tenant_id   BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id          TEXT   NOT NULL,
  scopes      TEXT   NOT NULL,
  description TEXT   NOT NULL DEFAULT '',
  client_id   TEXT   NOT NULL DEFAULT '',
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT
);
CREATE UNIQUE INDEX tokens_tenant_id ON tokens (tenant_id, id);

CREATE TABLE scim_users (
  tenant_id       BIGINT NOT NULL,
  id              TEXT   NOT NULL,
  user_name       TEXT   NOT NULL,
  user_name_ci    TEXT   NOT NULL,
  external_id     TEXT,
  display_name    TEXT,
  display_name_ci TEXT,
  active          BOOLEAN,
  user_uuid_ci    TEXT,
  attrs           TEXT   NOT NULL,
  password_hash   TEXT,
  version         BIGINT NOT NULL,
  created_at      BIGINT NOT NULL,
  modified_at     BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX scim_users_user_name ON scim_users (tenant_id, user_name_ci);
CREATE INDEX scim_users_external_id ON scim_users (tenant_id, external_id);
CREATE INDEX scim_users_display_name ON scim_users (tenant_id, display_name_ci);
CREATE UNIQUE INDEX scim_users_user_uuid ON scim_users (tenant_id, user_uuid_ci);

CREATE TABLE user_emails (
  tenant_id BIGINT NOT NULL,
  value_ci  TEXT   NOT NULL,
  user_id   TEXT   NOT NULL,
  PRIMARY KEY (tenant_id, value_ci, user_id)
) WITHOUT ROWID;

CREATE TABLE scim_groups (
  tenant_id       BIGINT NOT NULL,
  id              TEXT   NOT NULL,
  display_name    TEXT   NOT NULL,
  display_name_ci TEXT   NOT NULL,
  external_id     TEXT,
  attrs           TEXT   NOT NULL,
  version         BIGINT NOT NULL,
  created_at      BIGINT NOT NULL,
  modified_at     BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (tenant_id, display_name_ci);
CREATE INDEX scim_groups_external_id ON scim_groups (tenant_id, external_id);

CREATE TABLE group_members (
  tenant_id   BIGINT NOT NULL,
  group_id    TEXT   NOT NULL,
  member_id   TEXT   NOT NULL,
  member_type TEXT   NOT NULL,
  PRIMARY KEY (tenant_id, group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX group_members_member ON group_members (tenant_id, member_id);
