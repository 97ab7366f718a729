-- Migration 0001: the short-term store's tables and the archive's. One file may hold both
-- stores, or either alone: their tables are apart. JSON is kept as TEXT, written by
-- JSON.stringify (so it is valid UTF-8 whatever the strings hold: NUL and lone surrogates
-- are escaped).

-- Short-term: one row per live task. "task" is the whole task as JSON; "status" is copied out
-- for the compare-and-set of transitions; "next_index" is the index the next event takes.
CREATE TABLE tasks (
  id         TEXT PRIMARY KEY,
  status     TEXT NOT NULL,
  task       TEXT NOT NULL,
  next_index INTEGER NOT NULL DEFAULT 0,
  -- ms since epoch, set by expire(); NULL: kept until deleted.
  expires_at INTEGER
);
CREATE INDEX tasks_by_expiry ON tasks (expires_at) WHERE expires_at IS NOT NULL;

-- The event log: clustered on (task, index), so a replay reads one contiguous range.
-- "event" is the whole event as JSON (a replaced latest event as its placeholder).
CREATE TABLE events (
  task_id TEXT NOT NULL,
  idx     INTEGER NOT NULL,
  id      TEXT NOT NULL,
  event   TEXT NOT NULL,
  PRIMARY KEY (task_id, idx)
) WITHOUT ROWID;

-- Series state (SPEC §4). "series_key" is the series id as a JSON string literal: exact for
-- any string. "value" is an accumulate series' running value (JSON); "latest_index" the index
-- of a latest series' current event.
CREATE TABLE series (
  task_id      TEXT NOT NULL,
  series_key   TEXT NOT NULL,
  value        TEXT,
  latest_index INTEGER,
  PRIMARY KEY (task_id, series_key)
) WITHOUT ROWID;

-- Idempotent producers (SPEC §19): epoch, next seq and the recent accepted requests, as JSON.
CREATE TABLE producers (
  task_id     TEXT NOT NULL,
  producer_id TEXT NOT NULL,
  state       TEXT NOT NULL,
  PRIMARY KEY (task_id, producer_id)
) WITHOUT ROWID;

-- TTL deadlines (ms since epoch), which outlive the process.
CREATE TABLE deadlines (
  task_id TEXT PRIMARY KEY,
  at      INTEGER NOT NULL
);
CREATE INDEX deadlines_by_time ON deadlines (at, task_id);

-- The archive outbox: tasks whose changes the long-term store may not hold yet.
CREATE TABLE outbox (
  task_id    TEXT PRIMARY KEY,
  touched_at INTEGER NOT NULL
);
CREATE INDEX outbox_by_time ON outbox (touched_at, task_id);

-- Webhook deliveries (SPEC §10): one record per (task, webhook key), gone with the task.
CREATE TABLE deliveries (
  task_id        TEXT NOT NULL,
  key            TEXT NOT NULL,
  cursor         INTEGER NOT NULL DEFAULT -1,
  filtered_count INTEGER NOT NULL DEFAULT 0,
  done           INTEGER NOT NULL DEFAULT 0,
  owner          TEXT,
  expires_at     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, key)
) WITHOUT ROWID;

-- The index of deliveries that may have work, by the time they are due (ms).
CREATE TABLE delivery_index (
  task_id TEXT NOT NULL,
  key     TEXT NOT NULL,
  due_at  INTEGER NOT NULL,
  PRIMARY KEY (task_id, key)
) WITHOUT ROWID;
CREATE INDEX delivery_index_by_time ON delivery_index (due_at);

-- Archive: the latest snapshot of each task ("status" copied out for the terminal rule).
CREATE TABLE archive_tasks (
  id     TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  task   TEXT NOT NULL
);

-- Archived events outside compacted series, by id.
CREATE TABLE archive_events (
  task_id TEXT NOT NULL,
  id      TEXT NOT NULL,
  idx     INTEGER NOT NULL,
  event   TEXT NOT NULL,
  PRIMARY KEY (task_id, id)
) WITHOUT ROWID;
CREATE INDEX archive_events_by_index ON archive_events (task_id, idx);

-- One row per accumulate or latest series: its newest event ("row", JSON) and the places
-- of its other events ("skeleton", JSON [[index, type, level], …]).
CREATE TABLE archive_series (
  task_id    TEXT NOT NULL,
  series_key TEXT NOT NULL,
  row        TEXT NOT NULL,
  skeleton   TEXT NOT NULL,
  PRIMARY KEY (task_id, series_key)
) WITHOUT ROWID;
