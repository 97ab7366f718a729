// The prerequisite decision for the browser tests: run, skip with a warning, or fail under CI.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { planChromium } from './support/chromium.js'

const notExecutable = fileURLToPath(import.meta.url)

describe('planChromium', () => {
  it('runs when the path is an executable', () => {
    expect(planChromium(process.execPath, {})).toEqual({ run: true })
    expect(planChromium(process.execPath, { CI: 'true' })).toEqual({ run: true })
  })

  it('skips a missing or non-executable Chromium outside CI, saying how to install it', () => {
    for (const path of ['/nonexistent/chromium', notExecutable]) {
      const plan = planChromium(path, {})
      expect(plan).toMatchObject({ run: false, fail: false })
      expect(!plan.run && plan.reason).toContain('apt-get install -y chromium')
    }
  })

  it('fails for a missing Chromium under CI=true only', () => {
    expect(planChromium('/nonexistent/chromium', { CI: 'true' })).toMatchObject({ run: false, fail: true })
    expect(planChromium('/nonexistent/chromium', { CI: '1' })).toMatchObject({ run: false, fail: false })
  })
})
