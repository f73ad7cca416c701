-- Per-tenant numbers of users and groups, kept by triggers in the same
-- transaction as every insert and delete. An unfiltered list answers its
-- totalResults from here: SQLite's COUNT(*) ... WHERE tenant_id = ? walks
-- an index entry per row (~0.4 ms for 10,000 users, a quarter of a list
-- page). SQLite has one writer, so the counter rows cause no contention.
-- (PostgreSQL keeps COUNT(*): a counter row would serialise a tenant's
-- concurrent creates.)
CREATE TABLE resource_counts (
  tenant_id BIGINT NOT NULL,
  resource  TEXT   NOT NULL,
  n         BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, resource)
) WITHOUT ROWID;

INSERT INTO resource_counts (tenant_id, resource, n)
  SELECT tenant_id, 'users', COUNT(*) FROM scim_users GROUP BY tenant_id;
INSERT INTO resource_counts (tenant_id, resource, n)
  SELECT tenant_id, 'groups', COUNT(*) FROM scim_groups GROUP BY tenant_id;

CREATE TRIGGER scim_users_count_insert AFTER INSERT ON scim_users BEGIN
  INSERT INTO resource_counts (tenant_id, resource, n) VALUES (NEW.tenant_id, 'users', 1)
    ON CONFLICT (tenant_id, resource) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER scim_users_count_delete AFTER DELETE ON scim_users BEGIN
  UPDATE resource_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'users';
END;
CREATE TRIGGER scim_groups_count_insert AFTER INSERT ON scim_groups BEGIN
  INSERT INTO resource_counts (tenant_id, resource, n) VALUES (NEW.tenant_id, 'groups', 1)
    ON CONFLICT (tenant_id, resource) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER scim_groups_count_delete AFTER DELETE ON scim_groups BEGIN
  UPDATE resource_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND resource = 'groups';
END;
