// GET /auth (whether this API needs a key, and what the presented one may do: the page asks it
// before it shows a sign-in), and the keys themselves: GET/POST/DELETE /keys for admin keys.
import * as v from 'valibot';
import { presentedKey } from '../auth.ts';
import type { KeyRing } from '../keys.ts';
import { keyName, rateLimit, scopes } from '../options.ts';
import { ApiError, SCOPES, type RouteDef } from '../service.ts';

const scope = v.picklist(SCOPES);
const limit = v.nullable(v.object({ perMinute: v.number(), burst: v.optional(v.number()) }));

const keyInfo = v.object({
  name: v.string(),
  scopes: v.array(scope),
  source: v.picklist(['config', 'api']),
  prefix: v.nullable(v.string()),
  rateLimit: limit,
  createdAt: v.nullable(v.string()),
});

const authAnswer = v.object({
  required: v.boolean(),
  key: v.nullable(v.string()),
  scopes: v.array(scope),
});

const createBody = v.strictObject({ name: keyName, scopes, rateLimit: v.optional(v.nullable(rateLimit)) });

/**
 * The access routes. `keys()` is the API's key ring.
 *
 * @example
 * for (const def of keyRoutes(() => http.keys())) http.route(def);
 */
export function keyRoutes(keys: () => KeyRing): RouteDef[] {
  const tags = ['access'];
  return [
    {
      method: 'GET',
      path: '/auth',
      summary: 'Whether a key is needed, and the name and scopes of the key presented',
      description:
        'Open to everyone. `required: false` when this caller needs no key: an API without keys (it answers on loopback only), ' +
        "or in add-on mode a request through Home Assistant's Ingress; every scope then, and `key: null`. " +
        'With keys: `key` and `scopes` of the presented key, or `key: null` and no scopes when none was presented; a wrong key is a 401.',
      tags,
      auth: false,
      responses: { 200: { description: 'What this caller may do', schema: authAnswer }, 401: { description: 'The presented key is wrong (unauthorized)' } },
      handler: ({ event, principal }) => {
        // A caller with no key but a principal needs none: an API without keys, or Home Assistant's Ingress.
        if (principal) return { required: principal.key !== null, key: principal.key, scopes: [...principal.scopes] };
        if (presentedKey(event.req.headers) !== undefined) {
          event.res.headers.set('www-authenticate', 'Bearer');
          throw new ApiError(401, 'unauthorized', 'the presented API key is not valid');
        }
        return { required: true, key: null, scopes: [] };
      },
    },
    {
      method: 'GET',
      path: '/keys',
      summary: 'The API keys (names, scopes, limits; never the keys)',
      tags,
      scope: 'admin',
      responses: { 200: { description: 'Every key: those from the config, then those created here', schema: v.object({ items: v.array(keyInfo) }) } },
      handler: () => ({ items: keys().list() }),
    },
    {
      method: 'POST',
      path: '/keys',
      summary: 'Create a key; the key itself is in this answer only',
      description:
        'The key is 256 random bits (`smsedge_...`); the agent keeps only its SHA-256. ' +
        'On an API without keys the first key must have the admin scope: from then on every request needs a key.',
      tags,
      scope: 'admin',
      body: createBody,
      status: 201,
      responses: {
        201: { description: 'The new key, with `key`: store it now, it is not shown again', schema: v.object({ ...keyInfo.entries, key: v.string() }) },
        409: { description: 'A key of that name exists, or a first key without the admin scope (conflict)' },
      },
      auditTarget: ({ body }) => (body as { name: string }).name,
      handler: ({ body, principal }) => keys().create(body as v.InferOutput<typeof createBody>, principal?.key ?? null),
    },
    {
      method: 'DELETE',
      path: '/keys/:name',
      summary: 'Delete a key created through the API (it stops working at once)',
      tags,
      scope: 'admin',
      status: 204,
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'No such key' },
        409: { description: 'A key from the config (remove it there), or the last admin key (conflict)' },
      },
      auditTarget: ({ params }) => params.name,
      handler: ({ params }) => {
        keys().delete(params.name ?? '');
      },
    },
  ];
}
