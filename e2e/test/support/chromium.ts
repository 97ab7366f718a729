// Debian's Chromium driven by playwright-core, for the example pages. Without /usr/bin/chromium
// the browser tests are skipped with a warning, except under CI=true, where they must run (and
// fail if Chromium cannot be launched).
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

/** Whether the browser tests of a file run: Chromium is there, or CI insists. */
export function browserTestsEnabled(what: string): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.CI === 'true') return true
  console.warn(`SKIPPING the browser test of ${what}: ${CHROMIUM} not found (apt-get install -y chromium)`)
  return false
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}
