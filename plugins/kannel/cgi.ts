/**
 * CGI variables as Kannel reads them: `name=value` pairs split on `&`, `+` for a space, `%XX` bytes.
 * The bytes are kept so that `text` can be decoded in the request's own `charset`.
 *
 * @example
 * cgiVariables('to=%2B15550100100&text=caf%E9&charset=ISO-8859-1').get('text') // Buffer <63 61 66 e9>
 */
export function cgiVariables(query: string): Map<string, Buffer> {
  const vars = new Map<string, Buffer>();
  for (const pair of query.replace(/^\?/, '').split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = bytes(eq < 0 ? pair : pair.slice(0, eq)).toString('latin1');
    // The first occurrence wins, as Kannel's http_cgi_variable() finds it.
    if (!vars.has(name)) vars.set(name, bytes(eq < 0 ? '' : pair.slice(eq + 1)));
  }
  return vars;
}

function bytes(encoded: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded[i]!;
    if (c === '+') out.push(0x20);
    else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(encoded.slice(i + 1, i + 3))) {
      out.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(out);
}

/**
 * The text in the request's charset. Kannel's defaults: UTF-8 for `coding` 0 (7 bits), UTF-16BE for
 * `coding` 2 (UCS-2). Undefined for a charset this runtime cannot decode, or bytes not valid in it.
 */
export function decodeText(raw: Buffer, charset: string | undefined, coding: number): string | undefined {
  const label = charset || (coding === 2 ? 'utf-16be' : 'utf-8');
  try {
    return new TextDecoder(label, { fatal: true }).decode(raw);
  } catch {
    return undefined;
  }
}
