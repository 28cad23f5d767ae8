import { existsSync, readFileSync } from 'node:fs';

// core/version.ts in a checkout, dist/core/version.js in the published package: package.json is one
// or two folders up.
const file = [new URL('../package.json', import.meta.url), new URL('../../package.json', import.meta.url)].find((f) => existsSync(f))!;

/** The agent's version, from package.json. */
export const version: string = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
