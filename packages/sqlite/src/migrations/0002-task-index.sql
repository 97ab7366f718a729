-- Migration 0002: the task index of both stores (SPEC §21), read newest first by
-- (created_at, id) and, for a status filter, by (status, created_at, id).
-- "created_at" is the task's createdAt as its index key holds it (whole ms, never below 0).
-- It is computed from the task's JSON, so no write has to keep it and the rows of a file
-- migrated from version 1 are indexed like new ones. VIRTUAL: the indexes keep its value,
-- the rows do not.
ALTER TABLE tasks ADD COLUMN created_at INTEGER
  GENERATED ALWAYS AS (max(0, CAST(json_extract(task, '$.createdAt') AS INTEGER))) VIRTUAL;
CREATE INDEX tasks_by_created ON tasks (created_at, id);
CREATE INDEX tasks_by_status ON tasks (status, created_at, id);

ALTER TABLE archive_tasks ADD COLUMN created_at INTEGER
  GENERATED ALWAYS AS (max(0, CAST(json_extract(task, '$.createdAt') AS INTEGER))) VIRTUAL;
CREATE INDEX archive_tasks_by_created ON archive_tasks (created_at, id);
CREATE INDEX archive_tasks_by_status ON archive_tasks (status, created_at, id);
