-- Migration 0002: values kept exactly, and the places of the events a compacted series replaced.
-- The schema and table prefix placeholders are replaced by validated identifiers
-- (renderMigration in migration.ts) and appear only inside double quotes.

-- json instead of jsonb: jsonb cannot hold \u0000 or a lone surrogate, which JavaScript
-- strings (and so the engine) accept; one such value would fail its batch on every retry.
-- json keeps the text as written, key order included.
ALTER TABLE "{{schema}}"."{{prefix}}tasks" ALTER COLUMN task TYPE json USING task::json;

-- A compacted series row also keeps, in "collapsed", the places of the series' other
-- events: runs [from, to, type, level] of consecutive indexes, which reads return as
-- placeholders so that filteredIndex counts them as it did live. "superseded" marks a row
-- whose own event a newer one replaced (its data is gone).
ALTER TABLE "{{schema}}"."{{prefix}}events"
  ALTER COLUMN data TYPE json USING data::json,
  ALTER COLUMN event TYPE json USING event::json,
  ADD COLUMN superseded boolean NOT NULL DEFAULT false,
  ADD COLUMN collapsed json;

-- The union of two lists of runs: overlapping or adjacent runs of one type and level
-- become one. NULL for an empty union.
CREATE FUNCTION "{{schema}}"."{{prefix}}merge_runs"(a json, b json) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
  WITH runs AS (
    SELECT (r->>0)::integer AS f, (r->>1)::integer AS t, r->>2 AS type, r->>3 AS level
    FROM json_array_elements(COALESCE(a, '[]'::json)) AS r
    UNION ALL
    SELECT (r->>0)::integer, (r->>1)::integer, r->>2, r->>3
    FROM json_array_elements(COALESCE(b, '[]'::json)) AS r
  ), reached AS (
    SELECT f, t, type, level,
      max(t) OVER (PARTITION BY type, level ORDER BY f, t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM runs
  ), islands AS (
    SELECT f, t, type, level,
      count(*) FILTER (WHERE reach IS NULL OR f > reach + 1)
        OVER (PARTITION BY type, level ORDER BY f, t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island
    FROM reached
  )
  SELECT json_agg(json_build_array(f, t, type, level) ORDER BY f, type, level)
  FROM (SELECT min(f) AS f, max(t) AS t, type, level FROM islands GROUP BY type, level, island) AS merged
$$;
