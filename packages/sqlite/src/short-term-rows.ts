// Rows of the short-term tables as the store reads them (columns camel-cased by the queries).

/** The columns of a task row the writes read. */
export interface TaskHead {
  status: string
  nextIndex: number
  expiresAt: number | null
}

export interface TaskRow extends TaskHead {
  task: string
}

export interface SeriesRow {
  value: string | null
  latestIndex: number | null
}
