// Validation against the served OpenAPI document with Ajv (JSON Schema 2020-12, OpenAPI 3.1's
// dialect), strict: a schema with a keyword Ajv does not know fails to compile.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { openApiDocument } from '../src/openapi/document.js'

const DOCUMENT_ID = 'urn:taskcast:openapi'

/** The keywords of an OpenAPI document's root: no schema keywords, but Ajv reads the root as a schema. */
const DOCUMENT_KEYWORDS = ['openapi', 'info', 'servers', 'tags', 'paths', 'components', 'security', 'webhooks', 'jsonSchemaDialect', 'externalDocs']

export function strictAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true })
  addFormats(ajv)
  return ajv
}

const ajv = strictAjv()
ajv.addVocabulary(DOCUMENT_KEYWORDS)
// Schemas anywhere in it are reached by JSON pointer; their `#/components/…` refs resolve in it.
ajv.addSchema(openApiDocument, DOCUMENT_ID)

/** `#/a/b` of the document, each part escaped as a JSON pointer and a URI fragment. */
function pointer(parts: readonly string[]): string {
  return parts.map((part) => `/${encodeURIComponent(part.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('')
}

const compiled = new Map<string, ValidateFunction>()

/** The validator of the schema at `parts` in the document. */
export function validatorAt(...parts: string[]): ValidateFunction {
  const key = pointer(parts)
  let validate = compiled.get(key)
  if (!validate) {
    validate = ajv.getSchema(`${DOCUMENT_ID}#${key}`)
    if (!validate) throw new Error(`no schema at #${key} of the OpenAPI document`)
    compiled.set(key, validate)
  }
  return validate
}

/** Problems of `value` against the schema at `parts`; none when it is valid. */
export function schemaProblems(value: unknown, ...parts: string[]): string[] {
  const validate = validatorAt(...parts)
  if (validate(value)) return []
  return (validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`)
}
