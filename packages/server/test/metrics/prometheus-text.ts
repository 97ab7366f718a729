// A strict parser of the Prometheus text exposition format 0.0.4, for tests: it throws on
// anything a Prometheus server would refuse (or silently misread), so that a scrape that parses
// here is one Prometheus takes as meant.
//
// Checked: metric and label name syntax, label value escapes, numbers, one TYPE per family given
// before its samples, samples of a family kept together, no series twice, the suffixes a
// histogram or summary may use, and histograms whose buckets rise, accumulate and end at +Inf
// with the value of `_count`.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Family {
  name: string
  type: MetricType
  help: string | undefined
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped']
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
}

/** @throws Error naming the line and what is wrong with it */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const seriesSeen = new Set<string>()
  let current: Family | undefined
  const lines = text.split('\n')
  if (lines.pop() !== '') throw new Error('the exposition must end with a line feed')
  lines.forEach((line, i) => {
    const at = `line ${i + 1} (${JSON.stringify(line.slice(0, 80))})`
    try {
      if (line.trim() === '') return
      if (line.startsWith('#')) {
        current = comment(line, families, current)
        return
      }
      const sample = parseSample(line)
      const family = familyOf(sample.name, families)
      if (!family) throw new Error(`sample of ${sample.name}, which no TYPE line declared`)
      if (family !== current) throw new Error(`sample of ${family.name} outside its family's block`)
      const series = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`
      if (seriesSeen.has(series)) throw new Error('the same series twice')
      seriesSeen.add(series)
      family.samples.push(sample)
    } catch (error) {
      throw new Error(`${at}: ${(error as Error).message}`)
    }
  })
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family)
  return families
}

function comment(line: string, families: Map<string, Family>, current: Family | undefined): Family | undefined {
  const match = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line)
  if (!match) return current // any other comment
  const [, keyword, name, rest = ''] = match
  if (!METRIC_NAME.test(name!)) throw new Error(`bad metric name ${name}`)
  let family = families.get(name!)
  if (keyword === 'TYPE') {
    if (!TYPES.includes(rest as MetricType)) throw new Error(`unknown type ${rest}`)
    if (family?.samples.length) throw new Error(`TYPE of ${name} after its samples`)
    if (family && family.type !== 'untyped') throw new Error(`a second TYPE for ${name}`)
    if (family) family.type = rest as MetricType
    else families.set(name!, (family = { name: name!, type: rest as MetricType, help: undefined, samples: [] }))
    return family
  }
  if (family?.help !== undefined) throw new Error(`a second HELP for ${name}`)
  const help = unescape(rest, false)
  if (family) family.help = help
  else families.set(name!, (family = { name: name!, type: 'untyped', help, samples: [] }))
  return family
}

/** The family a sample name belongs to: its own name, or a histogram's or summary's with a suffix. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  for (const family of families.values()) {
    for (const suffix of SUFFIXES[family.type]) if (name === family.name + suffix) return family
  }
  return undefined
}

function parseSample(line: string): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)
  if (!nameMatch) throw new Error('a sample must start with a metric name')
  const name = nameMatch[0]
  let rest = line.slice(name.length)
  const labels: Record<string, string> = {}
  if (rest.startsWith('{')) {
    rest = rest.slice(1)
    while (!rest.startsWith('}')) {
      const label = /^([^=]*)="/.exec(rest)
      if (!label || !LABEL_NAME.test(label[1]!)) throw new Error('bad label name')
      if (label[1]! in labels) throw new Error(`label ${label[1]} twice`)
      rest = rest.slice(label[0].length)
      const end = closingQuote(rest)
      labels[label[1]!] = unescape(rest.slice(0, end), true)
      rest = rest.slice(end + 1)
      if (rest.startsWith(',')) rest = rest.slice(1)
      else if (!rest.startsWith('}')) throw new Error('labels must be separated by commas')
    }
    rest = rest.slice(1)
  }
  const fields = /^ (\S+)(?: (-?\d+))?$/.exec(rest)
  if (!fields) throw new Error('a sample needs one space, a value and optionally a timestamp')
  return { name, labels, value: parseValue(fields[1]!) }
}

function closingQuote(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '"') return i
  }
  throw new Error('unterminated label value')
}

/** Label values escape `\\`, `\"` and `\n`; HELP texts only `\\` and `\n`. */
function unescape(text: string, quoted: boolean): string {
  return text.replace(/\\(.?)/g, (_all, c: string) => {
    if (c === '\\') return '\\'
    if (c === 'n') return '\n'
    if (c === '"' && quoted) return '"'
    throw new Error(`bad escape \\${c}`)
  })
}

/** A float as Go's `strconv.ParseFloat` reads it (which is what Prometheus uses): NaN and Inf in any case. */
function parseValue(text: string): number {
  const special = /^([-+]?)(inf|infinity|nan)$/i.exec(text)
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return Number.NaN
    return special[1] === '-' ? -Infinity : Infinity
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`)
  return Number(text)
}

function checkHistogram(family: Family): void {
  const bySeries = new Map<string, { buckets: [number, number][]; count?: number }>()
  for (const sample of family.samples) {
    const { le, ...labels } = sample.labels
    const key = JSON.stringify(Object.entries(labels).sort())
    const series = bySeries.get(key) ?? { buckets: [] }
    bySeries.set(key, series)
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`)
      series.buckets.push([parseValue(le), sample.value])
    } else if (sample.name.endsWith('_count')) series.count = sample.value
  }
  for (const { buckets, count } of bySeries.values()) {
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]![0] > buckets[i - 1]![0])) throw new Error(`${family.name}: bucket bounds must rise`)
      if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${family.name}: bucket counts must accumulate`)
    }
    const last = buckets[buckets.length - 1]
    if (!last || last[0] !== Infinity) throw new Error(`${family.name}: the last bucket must be le="+Inf"`)
    if (count !== last[1]) throw new Error(`${family.name}: _count must equal the +Inf bucket`)
  }
}

/** The value of the series `name` with exactly `labels`; undefined when there is none. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = familyOf(name, families)
  const want = JSON.stringify(Object.entries(labels).sort())
  return family?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value
}
