-- Migration 0001: the tasks and events tables.
-- The schema and table prefix placeholders are replaced by validated identifiers
-- (renderMigration in migration.ts) and appear only inside double quotes.

-- One row per task. The whole task is kept as jsonb; a few fields are copied into columns
-- for operators who query the archive directly.
CREATE TABLE "{{schema}}"."{{prefix}}tasks" (
  id         text PRIMARY KEY,
  type       text,
  status     text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  task       jsonb NOT NULL
);

-- One row per archived event, except accumulate and latest series, which keep one row per
-- series that moves to the series' newest event (see the partial index below).
-- "event" holds the event's fields other than data; data has its own column so that a
-- large running value is not stored twice.
CREATE TABLE "{{schema}}"."{{prefix}}events" (
  task_id     text NOT NULL,
  idx         integer NOT NULL,
  id          text NOT NULL,
  type        text NOT NULL,
  level       text NOT NULL,
  "timestamp" bigint NOT NULL,
  series_id   text,
  series_mode text,
  data        jsonb,
  event       jsonb NOT NULL,
  -- Reads are "events of a task in index order, optionally within a range": this key serves them.
  CONSTRAINT "{{prefix}}events_pkey" PRIMARY KEY (task_id, idx),
  CONSTRAINT "{{prefix}}events_id_key" UNIQUE (id)
);

CREATE UNIQUE INDEX "{{prefix}}events_series_key"
  ON "{{schema}}"."{{prefix}}events" (task_id, series_id)
  WHERE series_mode IN ('accumulate', 'latest');
