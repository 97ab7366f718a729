// User-defined values (task types, event types) as label values, with a bound on how many
// distinct ones there can be: every label value is a time series in Prometheus.

/** The label value of a task without a type. */
export const NO_TYPE_LABEL = 'none'
/** The label value of every type seen after the cap was reached. */
export const OTHER_LABEL = 'other'

export class CappedLabel {
  private readonly seen = new Set<string>()

  /** @param max how many distinct values get a label value of their own */
  constructor(private readonly max: number) {}

  /** The first `max` distinct values are their own label value; later ones are `other`; none is `none`. */
  of(value: string | undefined): string {
    if (value === undefined) return NO_TYPE_LABEL
    if (this.seen.has(value)) return value
    if (this.seen.size >= this.max) return OTHER_LABEL
    this.seen.add(value)
    return value
  }
}
