// The operator page: static files from plugins/api/ui/, served without the key (they hold no data;
// the page asks for the key and sends it on every data request, which still needs it).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromIngressProxy, ingressPath, type IngressOptions } from '../ingress.ts';
import { ApiError, type RouteDef } from '../service.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Nothing but our own files may load or run: the page shows SMS text, which anyone can send to the
 * modem, so even a rendering bug must not be able to pull in a script or post data elsewhere.
 */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

/** The UI folder's files by name (read once: a handful of small files, and no path ever reaches the disk). */
export function loadAssets(dir = fileURLToPath(new URL('../ui/', import.meta.url))): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type || !/^[a-z0-9][a-z0-9.-]*$/.test(name)) continue;
    const body = new Uint8Array(readFileSync(join(dir, name)));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return assets;
}

/** The same policy for a page Home Assistant shows in a frame of its own origin (Ingress). */
export const INGRESS_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'");

function answer(asset: Asset, ifNoneMatch: string | null, framed = false): Response {
  const headers = new Headers({
    'content-type': asset.type,
    // Revalidate every time (cheap with the ETag): an upgraded agent must not run yesterday's script.
    'cache-control': 'no-cache',
    etag: asset.etag,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  if (asset.type.startsWith('text/html')) {
    headers.set('content-security-policy', framed ? INGRESS_CSP : CSP);
    headers.set('x-frame-options', framed ? 'SAMEORIGIN' : 'DENY');
  }
  if (ifNoneMatch !== null && ifNoneMatch.split(',').some((t) => t.trim() === asset.etag)) return new Response(null, { status: 304, headers });
  return new Response(asset.body, { headers });
}

/**
 * index.html as Home Assistant's Ingress shows it: its root-relative links (`/ui/app.js`) under the
 * prefix, and `data-auth="ingress"` on <html> so the page goes in without asking for a key.
 */
function ingressPage(index: Asset, prefix: string): Asset {
  const html = new TextDecoder().decode(index.body)
    .replace(/(\s(?:href|src)=")\/(?!\/)/g, `$1${prefix}/`)
    .replace(/<html\b/i, '<html data-auth="ingress"');
  const body = new TextEncoder().encode(html) as Uint8Array<ArrayBuffer>;
  return { body, type: index.type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

/**
 * `GET /` (the page) and `GET /ui/:file` (its scripts and styles), open to everyone. With `ingress`
 * (add-on mode), the page answered to the Ingress proxy is adapted to the prefix it gives.
 *
 * @example
 * for (const def of uiRoutes()) api.route(def);
 */
export function uiRoutes(assets: Map<string, Asset> = loadAssets(), options: { ingress?: IngressOptions } = {}): RouteDef[] {
  const index = assets.get('index.html');
  if (!index) throw new Error('plugins/api/ui/index.html is missing');
  const { ingress } = options;
  // One prefix in practice (the add-on's Ingress token); a few kept, in case it changes.
  const adapted = new Map<string, Asset>();
  const page = (prefix: string) => {
    let asset = adapted.get(prefix);
    if (!asset) {
      if (adapted.size >= 4) adapted.clear();
      adapted.set(prefix, (asset = ingressPage(index, prefix)));
    }
    return asset;
  };
  return [
    {
      method: 'GET',
      path: '/',
      summary: 'The operator page (HTML; asks for the API key)',
      tags: ['ui'],
      auth: false,
      responses: { 200: { description: 'The operator page', contentType: 'text/html' } },
      handler: ({ event }) => {
        const ifNoneMatch = event.req.headers.get('if-none-match');
        if (!fromIngressProxy(event.req.ip, ingress)) return answer(index, ifNoneMatch);
        return answer(page(ingressPath(event.req.headers, event.req.ip, ingress) ?? ''), ifNoneMatch, true);
      },
    },
    {
      method: 'GET',
      path: '/ui/:file',
      summary: "The operator page's scripts and styles",
      tags: ['ui'],
      auth: false,
      responses: { 200: { description: 'A static file of the page (JavaScript, CSS)', contentType: '*/*' }, 404: { description: 'No such file' } },
      handler: ({ event, params }) => {
        const asset = params.file === 'index.html' ? undefined : assets.get(params.file ?? '');
        if (!asset) throw new ApiError(404, 'not_found', 'no such file', 'file');
        return answer(asset, event.req.headers.get('if-none-match'), fromIngressProxy(event.req.ip, ingress));
      },
    },
  ];
}
