// The steps of the scale-curve scenarios: 1k → 100k → 1M (smoke 1k → 10k; on Redis up to 100k,
// which holds the whole set in its own memory and is slower to fill).

/** The counts to measure at. */
export function scaleSteps(server, smoke) {
  if (smoke) return [1000, 10_000]
  return server.keyPrefix ? [1000, 100_000] : [1000, 100_000, 1_000_000]
}

/** `1k`, `100k`, `1m`: a step's name in metric keys and labels. */
export function stepName(count) {
  return count >= 1_000_000 ? `${count / 1_000_000}m` : `${count / 1000}k`
}

/** Every step name any mode measures at, for the targets. */
export const STEP_NAMES = ['1k', '10k', '100k', '1m']
