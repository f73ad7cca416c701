-- scimd schema v2 (PostgreSQL): import and export jobs (SPEC §8), their uploaded
-- files and per-row reports. Times are BIGINT Unix microseconds.
--
-- Index exceptions to "every index leads with tenant_id", both because a
-- worker or the purger works across tenants:
--   * jobs_claim (status, created_at): ClaimJob takes the oldest queued (or
--     stale running) job of any tenant; PurgeJobs finds old finished jobs.
--   * jobs_reports (finished_at) WHERE has_report: finished jobs whose report
--     lines are not purged yet (a few days' worth), for PurgeJobs.
CREATE TABLE jobs (
  tenant_id         BIGINT  NOT NULL,
  id                TEXT    NOT NULL,
  type              TEXT    NOT NULL,
  -- queued|running|succeeded|failed|cancelled, or 'uploading' while
  -- CreateJob stores the file (hidden from every read, never claimed).
  status            TEXT    NOT NULL,
  description       TEXT    NOT NULL DEFAULT '',
  dry_run           BOOLEAN NOT NULL DEFAULT FALSE,
  mode              TEXT    NOT NULL DEFAULT '',
  options           TEXT,   -- JSON text, as given
  total             BIGINT  NOT NULL DEFAULT 0,
  processed         BIGINT  NOT NULL DEFAULT 0,
  created           BIGINT  NOT NULL DEFAULT 0,
  updated           BIGINT  NOT NULL DEFAULT 0,
  unchanged         BIGINT  NOT NULL DEFAULT 0,
  skipped           BIGINT  NOT NULL DEFAULT 0,
  failed            BIGINT  NOT NULL DEFAULT 0,
  truncated         BIGINT  NOT NULL DEFAULT 0,
  memberships_added BIGINT  NOT NULL DEFAULT 0,
  error             TEXT    NOT NULL DEFAULT '',
  checkpoint        BIGINT  NOT NULL DEFAULT 0,
  phase             INTEGER NOT NULL DEFAULT 0,
  cancel_requested  BOOLEAN NOT NULL DEFAULT FALSE,
  claimed_by        TEXT    NOT NULL DEFAULT '', -- '' = no claim
  heartbeat_at      BIGINT,
  created_at        BIGINT  NOT NULL,
  started_at        BIGINT,
  finished_at       BIGINT,
  file_size         BIGINT  NOT NULL DEFAULT 0,
  report_expires_at BIGINT,
  -- TRUE from the end of the job until PurgeJobs deleted its report lines.
  has_report        BOOLEAN NOT NULL DEFAULT FALSE,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_claim ON jobs (status, created_at);
CREATE INDEX jobs_tenant_created ON jobs (tenant_id, created_at, id);
CREATE INDEX jobs_reports ON jobs (finished_at) WHERE has_report;

-- An uploaded file in chunks of about 1 MiB, seq 0, 1, 2, … Stored
-- uncompressed (EXTERNAL): files are transient and pglz would cost more CPU
-- than the space it saves.
CREATE TABLE job_files (
  tenant_id BIGINT NOT NULL,
  job_id    TEXT   NOT NULL,
  seq       BIGINT NOT NULL,
  data      BYTEA  NOT NULL,
  PRIMARY KEY (tenant_id, job_id, seq)
);
ALTER TABLE job_files ALTER COLUMN data SET STORAGE EXTERNAL;

-- One line per data row of an import (row is 1-based, header not counted).
CREATE TABLE job_report (
  tenant_id   BIGINT NOT NULL,
  job_id      TEXT   NOT NULL,
  row         BIGINT NOT NULL,
  status      TEXT   NOT NULL,
  resource_id TEXT   NOT NULL DEFAULT '',
  user_name   TEXT   NOT NULL DEFAULT '',
  error       TEXT   NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, job_id, row)
);
