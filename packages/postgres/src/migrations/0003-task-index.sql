-- Migration 0003: the task index of the archive (SPEC §21), read newest first by
-- (created_at, id) and, for a status filter, by (status, created_at, id).
-- The schema and table prefix placeholders are replaced by validated identifiers
-- (renderMigration in migration.ts) and appear only inside double quotes.

-- Ids are ordered by COLLATE "C" (byte order, which for UTF-8 is code point order), whatever
-- the database's collation: the list's order and its cursors compare ids as JavaScript
-- does, and a linguistic collation would not. "type" comes last so that the rows a type
-- filter examines are read from the index alone (a key column rather than INCLUDE, which
-- needs PostgreSQL 11).
CREATE INDEX "{{prefix}}tasks_by_created"
  ON "{{schema}}"."{{prefix}}tasks" (created_at, id COLLATE "C", type);
CREATE INDEX "{{prefix}}tasks_by_status"
  ON "{{schema}}"."{{prefix}}tasks" (status, created_at, id COLLATE "C", type);
