// Small builders for the JSON Schemas of the document, so each rule reads as one line.
import type { JsonSchema } from './openapi-types.js'

/** A reference to a schema of `components.schemas`. */
export function ref(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` }
}

/**
 * An object with only `properties` (the server rejects unknown fields in bodies, and answers
 * none it does not document), `required` among them.
 */
export function closedObject(properties: Record<string, JsonSchema>, required: readonly string[] = [], extra: JsonSchema = {}): JsonSchema {
  return {
    type: 'object',
    properties,
    ...(required.length > 0 && { required: [...required] }),
    additionalProperties: false,
    ...extra,
  }
}

/** One of `values` (a list of core's). */
export function oneOfValues(values: readonly string[], description?: string): JsonSchema {
  return { type: 'string', enum: [...values], ...(description && { description }) }
}

export function nonEmptyString(description?: string): JsonSchema {
  return { type: 'string', minLength: 1, ...(description && { description }) }
}

export function arrayOf(items: JsonSchema, description?: string): JsonSchema {
  return { type: 'array', items, ...(description && { description }) }
}

/** Any JSON value: the empty schema. */
export function anyJson(description: string): JsonSchema {
  return { description }
}

/** A JSON object of the caller's own (params, metadata, result, claims…). */
export function jsonObject(description: string): JsonSchema {
  return { type: 'object', description }
}

/** Milliseconds since the epoch. */
export function timestamp(description: string): JsonSchema {
  return { type: 'integer', minimum: 0, description }
}

/** A regular expression matching strings that start with `prefix`. */
export function startsWith(prefix: string): string {
  return `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`
}
