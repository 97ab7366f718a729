// The routes around the API, outside its auth (SPEC §7, §21): health, metrics, this document.
import { openMetricsContentType, prometheusContentType } from 'prom-client'
import type { PathItem } from './openapi-types.js'
import { errorResponses, jsonResponse } from './responses.js'
import { ref } from './schema-helpers.js'
import { METRICS_TOKEN, OPEN } from './security.js'

const TAGS = ['service']

export const OPENAPI_PATH = '/openapi.json'

const prometheusText = { schema: { type: 'string' } }

export const servicePaths: Record<string, PathItem> = {
  '/health': {
    get: {
      operationId: 'getHealth',
      summary: 'Liveness, and whether each store answers',
      tags: TAGS,
      responses: {
        '200': jsonResponse('Every store answers.', ref('Health')),
        // The 503's `details` is the Health object.
        ...errorResponses(['STORE_UNAVAILABLE']),
      },
      ...OPEN,
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description:
        'Only when the server has metrics on with its route (`metrics`, `metrics.route`). In the exposition format of its registry: Prometheus text by default, OpenMetrics when the registry is one.',
      tags: TAGS,
      responses: {
        '200': {
          description: 'The metrics.',
          content: { [prometheusContentType]: prometheusText, [openMetricsContentType]: prometheusText },
        },
        ...errorResponses(['UNAUTHORIZED']),
      },
      // The token when `metrics.token` is set; nothing otherwise.
      security: [{ [METRICS_TOKEN]: [] }, {}],
    },
  },
  [OPENAPI_PATH]: {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      tags: TAGS,
      responses: {
        '200': jsonResponse('The OpenAPI 3.1 document of every route.', {
          type: 'object',
          properties: { openapi: { type: 'string' }, info: { type: 'object' }, paths: { type: 'object' } },
          required: ['openapi', 'info', 'paths'],
        }),
        ...errorResponses([]),
      },
      ...OPEN,
    },
  },
}
