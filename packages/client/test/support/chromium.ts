// Whether the browser tests can run: the one place that decides, for every test that needs
// Chromium. Missing Chromium skips them with one warning, except under CI=true, where the run
// must fail and say how to get it (SPEC §23).
import { accessSync, constants } from 'node:fs'
import { describe, it } from 'vitest'

/** Debian's Chromium, driven through playwright-core; `TASKCAST_TEST_CHROMIUM` points elsewhere. */
export const CHROMIUM_PATH = process.env.TASKCAST_TEST_CHROMIUM || '/usr/bin/chromium'

const INSTALL_HINT = 'install it with `apt-get install -y chromium`, or set TASKCAST_TEST_CHROMIUM to a Chromium binary'

export type ChromiumPlan = { run: true } | { run: false; fail: boolean; reason: string }

/** What to do about a test that needs the Chromium at `path`. */
export function planChromium(path: string, env: NodeJS.ProcessEnv = process.env): ChromiumPlan {
  try {
    accessSync(path, constants.X_OK)
    return { run: true }
  } catch {
    return { run: false, fail: env.CI === 'true', reason: `${path} is not an executable Chromium; ${INSTALL_HINT}` }
  }
}

/**
 * `describe`, when Chromium is here. Otherwise the suite's tests are registered as skipped
 * (one warning says why), or, under CI=true, replaced by one test that fails with the reason.
 * Registering the suite and letting its launch fail instead would report its tests as
 * skipped while failing the file: both at once.
 */
export function describeWithChromium(name: string, body: (executablePath: string) => void): void {
  const plan = planChromium(CHROMIUM_PATH)
  if (plan.run) {
    describe(name, () => body(CHROMIUM_PATH))
  } else if (plan.fail) {
    describe(name, () => {
      it('has Chromium to run in (required under CI=true)', () => {
        throw new Error(`Chromium is missing: ${plan.reason}`)
      })
    })
  } else {
    console.warn(`SKIPPING "${name}": ${plan.reason}`)
    describe.skip(name, () => body(CHROMIUM_PATH))
  }
}
