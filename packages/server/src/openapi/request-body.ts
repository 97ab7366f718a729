// The request bodies of the routes: JSON, under the size limit every body has.
import { DEFAULT_LIMITS } from '../options.js'
import type { JsonSchema, RequestBody } from './openapi-types.js'
import { JSON_MEDIA_TYPE } from './responses.js'

export function jsonBody(description: string, schema: JsonSchema, required = true): RequestBody {
  return {
    description: `${description} At most \`limits.maxBodyBytes\` (default ${DEFAULT_LIMITS.maxBodyBytes} bytes, else 413); unknown fields are refused (400).`,
    required,
    content: { [JSON_MEDIA_TYPE]: { schema } },
  }
}
