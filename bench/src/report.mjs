// Turns scenario results into rows (ours, reference, ratio, and Redis and SQLite beside memory),
// checks the targets, and prints a table and JSON lines.
import { STEP_NAMES } from './scenarios/scale-steps.mjs'

/**
 * @typedef {{ scenario: string, metric: string, text: string, needs?: string, met: (row: any) => boolean }} Target
 *   `needs`: the row's field the target reads (`ours` unless said), e.g. `ratio`, `redis`, `redisRatio`.
 */

/** Scale curves: a figure at the largest step within 1.2× of the same figure at 1k. @type {Target[]} */
const SCALE_TARGETS = ['publish_cpu_growth', 'get_task_growth'].flatMap((metric) => [
  { scenario: 'scale-tasks', metric, text: '≤ 1.2× the 1k figure', met: (r) => r.ours <= 1.2 },
  { scenario: 'scale-tasks', metric, needs: 'redis', text: 'Redis ≤ 1.2× the 1k figure', met: (r) => r.redis <= 1.2 },
])

/** A resume or a history page near the end of a long log: p50 ≤ 5 ms at every length. @type {Target[]} */
const LOG_TARGETS = ['resume_index_p50_ms', 'resume_id_p50_ms', 'history_p50_ms'].flatMap((figure) =>
  STEP_NAMES.map((step) => ({ scenario: 'scale-log', metric: `${figure}_${step}`, text: '≤ 5 ms', met: (r) => r.ours <= 5 })),
)

/** Targets of the performance issue; each reads one row. @type {Target[]} */
export const TARGETS = [
  { scenario: 'publish-single', metric: 'cpu_us_per_publish', text: '≤ 100 µs', met: (r) => r.ours <= 100 },
  { scenario: 'fanout-1000', metric: 'cpu_us_per_delivery', text: '≤ 10 µs', met: (r) => r.ours <= 10 },
  { scenario: 'fanout-1000', metric: 'achieved_rate', text: '≥ 85% of ref', needs: 'ratio', met: (r) => r.ratio >= 0.85 },
  { scenario: 'fanout-1000', metric: 'publish_p99_ms', text: '≤ 20 ms', met: (r) => r.ours <= 20 },
  { scenario: 'publish-batch', metric: 'events_per_s', text: '≥ 50% of ref', needs: 'ratio', met: (r) => r.ratio >= 0.5 },
  { scenario: 'producer', metric: 'producer_vs_batch', text: '≥ 80% of plain batches', met: (r) => r.ours >= 0.8 },
  { scenario: 'producer', metric: 'producer_cpu_vs_batch', text: '≤ 1.2× plain batches', met: (r) => r.ours <= 1.2 },
  { scenario: 'replay-keep-all', metric: 'replay_ms', text: '≤ 2× ref', needs: 'ratio', met: (r) => r.ratio <= 2 },
  { scenario: 'replay-accumulate', metric: 'frames', text: 'one snapshot (3 frames)', met: (r) => r.ours === 3 },
  { scenario: 'idle-connections', metric: 'rss_kib_per_connection', text: '≤ 8 KiB', met: (r) => r.ours <= 8 },
  { scenario: 'publish-single', metric: 'publishes_per_s', needs: 'redisRatio', text: 'Redis ≥ 60% of memory', met: (r) => r.redisRatio >= 0.6 },
  { scenario: 'fanout-1000', metric: 'cpu_us_per_delivery', needs: 'redisRatio', text: 'Redis ≤ 1.5× memory', met: (r) => r.redisRatio <= 1.5 },
  { scenario: 'late-joiners', metric: 'rss_growth_mib', text: '< 200 MiB', met: (r) => r.ours < 200 },
  { scenario: 'late-joiners', metric: 'rss_growth_mib', needs: 'redis', text: 'Redis < 200 MiB', met: (r) => r.redis < 200 },
  { scenario: 'publish-single', metric: 'publishes_per_s', needs: 'sqliteRatio', text: 'SQLite ≥ 50% of memory', met: (r) => r.sqliteRatio >= 0.5 },
  { scenario: 'replay-keep-all', metric: 'replay_ms', needs: 'sqliteRatio', text: 'SQLite ≤ 2× memory', met: (r) => r.sqliteRatio <= 2 },
  // Broadcast stays in memory: fan-out is the same work as in memory mode.
  { scenario: 'fanout-1000', metric: 'cpu_us_per_delivery', needs: 'sqliteRatio', text: 'SQLite ≤ 1.15× memory', met: (r) => r.sqliteRatio <= 1.15 },
  { scenario: 'task-list', metric: 'first_page_p50_ms', text: '≤ 5 ms', met: (r) => r.ours <= 5 },
  { scenario: 'task-list', metric: 'first_page_p50_ms', needs: 'redis', text: 'Redis ≤ 10 ms', met: (r) => r.redis <= 10 },
  { scenario: 'global-stream', metric: 'events_overhead_status_only', text: '< 10% more CPU per publish', met: (r) => r.ours < 0.1 },
  { scenario: 'workers', metric: 'assignment_p99_ms', text: '≤ 20 ms', met: (r) => r.ours <= 20 },
  { scenario: 'workers', metric: 'assignment_p99_ms', needs: 'redis', text: 'Redis ≤ 50 ms', met: (r) => r.redis <= 50 },
  // Second round: close to the reference everywhere (ratios, so that a busy machine moves both sides).
  { scenario: 'lifecycle', metric: 'cpu_us_per_task', needs: 'ratio', text: '≤ 1.5× ref', met: (r) => r.ratio <= 1.5 },
  { scenario: 'replay-keep-all', metric: 'first_replay_ms', needs: 'ratio', text: '≤ 1.5× ref', met: (r) => r.ratio <= 1.5 },
  { scenario: 'publish-single', metric: 'cpu_us_per_publish', needs: 'ratio', text: '≤ 1.1× ref', met: (r) => r.ratio <= 1.1 },
  { scenario: 'fanout-100', metric: 'cpu_us_per_delivery', needs: 'ratio', text: '≤ 1.05× ref', met: (r) => r.ratio <= 1.05 },
  { scenario: 'fanout-1000', metric: 'cpu_us_per_delivery', needs: 'ratio', text: '≤ 1.05× ref', met: (r) => r.ratio <= 1.05 },
  { scenario: 'publish-single', metric: 'publishes_per_s', needs: 'redisRatio', text: 'Redis ≥ 0.8× memory', met: (r) => r.redisRatio >= 0.8 },
  { scenario: 'publish-batch', metric: 'events_per_s', needs: 'redisRatio', text: 'Redis ≥ 0.6× memory', met: (r) => r.redisRatio >= 0.6 },
  { scenario: 'replay-keep-all', metric: 'replay_ms', needs: 'redisRatio', text: 'Redis ≤ 1.5× memory', met: (r) => r.redisRatio <= 1.5 },
  // Scale: costs that do not grow with what is stored.
  ...SCALE_TARGETS,
  ...LOG_TARGETS,
  { scenario: 'scale-log', metric: 'memory_vs_json', text: '≤ 2× the JSON size', met: (r) => r.ours <= 2 },
  { scenario: 'idle-10k', metric: 'rss_kib_per_connection', text: '≤ 8 KiB', met: (r) => r.ours <= 8 },
]

/** The new routes' figures, gathered from their scenarios into one table (nothing measured again). */
export const NEW_ROUTES = [
  { route: 'GET /tasks, first page', scenario: 'task-list', metric: 'first_page_p50_ms' },
  { route: 'GET /tasks, first page', scenario: 'task-list', metric: 'first_page_p99_ms' },
  { route: 'GET /events, 50 dashboards', scenario: 'global-stream', metric: 'cpu_us_per_publish_status_only' },
  { route: 'GET /events, 50 dashboards', scenario: 'global-stream', metric: 'events_overhead_status_only' },
  { route: 'GET /workers/pull', scenario: 'workers', metric: 'assignment_p50_ms' },
  { route: 'GET /workers/pull', scenario: 'workers', metric: 'assignment_p99_ms' },
  { route: 'producer() (Producer-* headers)', scenario: 'producer', metric: 'producer_vs_batch' },
  { route: 'producer() (Producer-* headers)', scenario: 'producer', metric: 'producer_cpu_vs_batch' },
]

/** The modes shown beside memory mode, each as a value and its ratio to memory. */
const MODES = [
  { key: 'redis', label: 'Redis' },
  { key: 'sqlite', label: 'SQLite' },
]

/**
 * @param results Map scenario → { taskcast, reference, redis? } each `{ metrics, integrity }`
 */
export function buildRows(results) {
  const rows = []
  for (const [scenario, byServer] of results) {
    const listed = [byServer.taskcast, byServer.reference, ...MODES.map((mode) => byServer[mode.key])].find((r) => r?.metrics.length)
    for (const { key, label, unit, better } of listed?.metrics ?? []) {
      const metric = { key, label, unit, better, value: byServer.taskcast?.metrics.find((m) => m.key === key)?.value }
      const reference = byServer.reference?.metrics.find((m) => m.key === metric.key)?.value
      const row = {
        scenario,
        metric: metric.key,
        label: metric.label,
        unit: metric.unit,
        better: metric.better,
        ours: metric.value,
        reference,
        ratio: reference && metric.value !== undefined ? metric.value / reference : undefined,
      }
      for (const { key: mode } of MODES) {
        const value = byServer[mode]?.metrics.find((m) => m.key === metric.key)?.value
        if (value === undefined) continue
        row[mode] = value
        row[`${mode}Ratio`] = metric.value === undefined ? undefined : value / metric.value
      }
      row.targets = []
      for (const target of TARGETS) {
        if (target.scenario !== scenario || target.metric !== metric.key) continue
        if (row[target.needs ?? 'ours'] === undefined) continue
        row.targets.push({ text: target.text, met: Boolean(target.met(row)) })
      }
      rows.push(row)
    }
  }
  return rows
}

function format(value) {
  if (value === undefined || Number.isNaN(value)) return '–'
  const abs = Math.abs(value)
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US')
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

const ratio = (value) => (value === undefined ? '–' : `${value.toFixed(2)}×`)
const figure = (row) => `${row.label}${row.unit ? ` (${row.unit})` : ''}`
const targetsText = (row) => row.targets.map((t) => `${t.met ? 'met' : 'MISSED'}: ${t.text}`).join('; ')

/** A markdown table of `header` and `lines`, each column as wide as its widest cell. */
function render(header, lines) {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |'
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...lines.map(line)].join('\n')
}

/** @param shown which modes ran: `{ redis, sqlite }` */
export function table(rows, shown) {
  const modes = MODES.filter((mode) => shown[mode.key])
  const header = ['scenario', 'figure', 'ours', 'reference', 'ours/ref', ...modes.flatMap(({ label }) => [`ours (${label})`, `${label}/memory`]), 'target']
  const lines = rows.map((row) => [
    row.scenario,
    figure(row),
    format(row.ours),
    format(row.reference),
    ratio(row.ratio),
    ...modes.flatMap(({ key }) => [format(row[key]), ratio(row[`${key}Ratio`])]),
    targetsText(row),
  ])
  return render(header, lines)
}

/**
 * The rows of NEW_ROUTES that ran, as their own table (Taskcast only: no reference column);
 * undefined when none ran.
 * @param shown which modes ran: `{ redis, sqlite }`
 */
export function routesTable(rows, shown) {
  const picked = NEW_ROUTES.flatMap(({ route, scenario, metric }) => {
    const row = rows.find((r) => r.scenario === scenario && r.metric === metric)
    return row ? [{ route, row }] : []
  })
  if (picked.length === 0) return undefined
  const modes = MODES.filter((mode) => shown[mode.key])
  const header = ['route', 'scenario', 'figure', 'ours', ...modes.map(({ label }) => `ours (${label})`), 'target']
  const lines = picked.map(({ route, row }) => [route, row.scenario, figure(row), format(row.ours), ...modes.map(({ key }) => format(row[key])), targetsText(row)])
  return render(header, lines)
}

export function jsonLines(rows, integrityByRun) {
  const out = []
  for (const row of rows) {
    const { label: _label, better: _better, ...rest } = row
    out.push(JSON.stringify(rest))
  }
  for (const entry of integrityByRun) out.push(JSON.stringify({ integrity: entry }))
  return out.join('\n')
}
