// The two ends of the `ai` peer range (^6.0.0), both installed (the lowest under the alias
// `ai-lowest`): every behaviour test runs against each, since the chunks come from one copy's
// streamText and are rebuilt by the same copy's readUIMessageStream.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as newest from 'ai'
import * as newestTest from 'ai/test'
import * as lowest from 'ai-lowest'
import * as lowestTest from 'ai-lowest/test'

export interface AiSdk {
  /** `ai@<version>` */
  label: string
  streamText: typeof newest.streamText
  readUIMessageStream: typeof newest.readUIMessageStream
  simulateReadableStream: typeof newest.simulateReadableStream
  tool: typeof newest.tool
  jsonSchema: typeof newest.jsonSchema
  MockLanguageModelV3: typeof newestTest.MockLanguageModelV3
}

const require = createRequire(import.meta.url)
const versionOf = (name: string): string => (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version

function sdk(name: string, main: unknown, test: unknown): AiSdk {
  // The lowest release's types differ in details this package does not touch (it only passes chunks through).
  const { streamText, readUIMessageStream, simulateReadableStream, tool, jsonSchema } = main as typeof newest
  const { MockLanguageModelV3 } = test as typeof newestTest
  return { label: `ai@${versionOf(name)}`, streamText, readUIMessageStream, simulateReadableStream, tool, jsonSchema, MockLanguageModelV3 }
}

export const AI_SDKS: AiSdk[] = [sdk('ai-lowest', lowest, lowestTest), sdk('ai', newest, newestTest)]
