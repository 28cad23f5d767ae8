import { toJsonSchema } from '@valibot/to-json-schema';
import type { GenericSchema } from 'valibot';
import { errorCodes } from '../../core/errors.ts';
import { version } from '../../core/version.ts';
import { scopeOf } from './keys.ts';
import type { RouteDef } from './service.ts';

type Json = Record<string, unknown>;

const errorSchema: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        // The one vocabulary (core/errors.ts, docs/errors.md): the codes an HTTP answer can carry.
        code: { type: 'string', enum: Object.entries(errorCodes).filter(([, e]) => e.status !== null).map(([code]) => code) },
        message: { type: 'string' },
        field: { type: 'string', description: 'The request field at fault, as a dotted path (`to.1`)' },
        requestId: { type: 'string', description: 'Quote it when reporting a problem (the X-Request-Id header)' },
      },
    },
  },
};

// Request schemas are documented as what the client sends (before transforms such as string → number
// in queries); errors in the conversion never break the document, they only make a schema looser.
function schemaOf(schema: GenericSchema, mode: 'input' | 'output'): Json {
  const out = toJsonSchema(schema, { target: 'draft-2020-12', typeMode: mode, errorMode: 'ignore' }) as Json;
  delete out.$schema;
  return out;
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/** OpenAPI `/sms/messages/{id}` from h3's `/sms/messages/:id`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * The OpenAPI 3.1 document of every registered route, generated from the same valibot schemas that
 * validate requests, so the document cannot drift from what the server accepts.
 */
export function openApiDocument(routes: readonly RouteDef[], servers: string[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const def of [...routes].sort((a, b) => a.path.localeCompare(b.path))) {
    const path = openApiPath(def.path);
    const parameters: Json[] = [...def.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (def.query) {
      const q = schemaOf(def.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {}))
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(def.responses ?? {})) {
      responses[status] = Number(status) >= 400 && !r.schema
        ? errorResponse(r.description)
        : r.contentType
          ? { description: r.description, content: { [r.contentType]: {} } }
          : {
              description: r.description,
              ...(r.schema || r.alternatives
                ? { content: { ...(r.schema ? { 'application/json': { schema: schemaOf(r.schema, 'output') } } : {}), ...Object.fromEntries((r.alternatives ?? []).map((type) => [type, { schema: { type: 'string' } }])) } }
                : {}),
            };
    }
    const ok = String(def.status ?? 200);
    responses[ok] ??= { description: 'Success' };
    if (def.body || def.query || parameters.length) responses['400'] ??= errorResponse('Invalid request: `field` names the offending field');
    const scope = scopeOf(def);
    if (def.auth !== false) {
      responses['401'] ??= errorResponse('Missing or wrong API key (unauthorized)');
      responses['429'] ??= errorResponse('Too many wrong API keys from this address (too_many_failed_authentications), or the key is over its rate limit (rate_limited): wait for Retry-After');
    } else responses['429'] ??= errorResponse('The key presented is over its rate limit (rate_limited): wait for Retry-After');
    responses['403'] ??= errorResponse(
      (def.auth !== false && scope !== 'any' ? `The key lacks the ${scope} scope (insufficient_scope). ` : '') +
        'Without an API key: a Host that is not this machine (host_not_allowed); on a route that changes something, a request a browser marks as cross-site (cross_site_request)',
    );
    if (def.idempotent) {
      responses['409'] ??= errorResponse('A request with this Idempotency-Key is still being handled (idempotency_in_progress)');
      responses['422'] ??= errorResponse('The Idempotency-Key was used with a different body (idempotency_key_reused)');
    }
    if (def.body) {
      responses['413'] ??= errorResponse('Body larger than the limit');
      responses['415'] ??= errorResponse('Body is not application/json');
    }
    responses['500'] ??= errorResponse('A bug: the answer carries a request id, and the agent keeps serving');
    const operation: Json = {
      operationId: `${def.method.toLowerCase()}${def.path.replace(/[:/{}-]+(\w)/g, (_, c: string) => c.toUpperCase()).replace(/\W/g, '')}`,
      summary: def.summary,
      ...(def.description ? { description: def.description } : {}),
      ...(def.tags?.length ? { tags: def.tags } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(def.idempotent
        ? { 'x-idempotent': true }
        : {}),
      ...(def.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(def.body, 'input') } } } } : {}),
      responses,
      security: def.auth === false ? [] : [{ bearer: [] }, { apiKey: [] }],
      // The scope a key needs (read, send, admin; any: every valid key); none on open routes.
      ...(def.auth === false ? {} : { 'x-scope': scope }),
    };
    if (def.idempotent)
      (operation.parameters = [...parameters, { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } }]);
    (paths[path] ??= {})[def.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'smsedge', version, description: 'The REST API of a smsedge agent: send and read SMS, USSD, health and metrics.' },
    servers: servers.map((url) => ({ url })),
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <SMSEDGE_API_KEY>' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}
