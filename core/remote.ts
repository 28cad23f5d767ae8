// How the shell commands (`smsedge send`, `status`, `doctor`) reach a running agent: its REST API,
// at --url or where the agent's own environment puts it, with the key from the environment (or
// from /etc/smsedge/env, which root can read).
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { UsageError } from './command.ts';

export interface RemoteOptions {
  url?: string | undefined;
  /** The environment variable holding the key (default SMSEDGE_API_KEY). */
  keyEnv?: string | undefined;
  /** A file of KEY=value lines to read first (default /etc/smsedge/env when readable, then .env). */
  envFile?: string | undefined;
}

/** The options every remote command takes. */
export const remoteArgs = {
  url: { type: 'string' },
  'key-env': { type: 'string' },
  'env-file': { type: 'string' },
} as const;

/** The agent's environment: the process's, over what an env file says. */
function agentEnv(envFile: string | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const files = envFile ? [envFile] : ['/etc/smsedge/env', '.env'];
  let fromFiles: Record<string, string> = {};
  for (const file of files) {
    if (!existsSync(file)) {
      if (envFile) throw new UsageError(`--env-file: file not found: ${file}`);
      continue;
    }
    try {
      fromFiles = { ...fromFiles, ...(parseEnv(readFileSync(file, 'utf8')) as Record<string, string>) };
    } catch {
      // Not readable by this user (root's 0600 file): the key may still be in the environment.
    }
  }
  return { ...fromFiles, ...env };
}

export interface Remote {
  url: string;
  /** fetch() against the agent with its key; throws a plain-words error when nothing answers. */
  request(path: string, init?: RequestInit): Promise<Response>;
}

export function remote(options: RemoteOptions, env: NodeJS.ProcessEnv = process.env): Remote {
  const e = agentEnv(options.envFile, env);
  const host = !e.SMSEDGE_HOST || e.SMSEDGE_HOST === '0.0.0.0' || e.SMSEDGE_HOST === '::' ? '127.0.0.1' : e.SMSEDGE_HOST;
  const url = (options.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${e.SMSEDGE_PORT ?? 8080}`).replace(/\/+$/, '');
  const key = e[options.keyEnv ?? 'SMSEDGE_API_KEY'];
  return {
    url,
    async request(path, init = {}) {
      const headers = new Headers(init.headers);
      if (key) headers.set('authorization', `Bearer ${key}`);
      try {
        return await fetch(`${url}${path}`, { ...init, headers, signal: init.signal ?? AbortSignal.timeout(30_000) });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new RemoteError(`no agent answers at ${url} (${cause}): is it running? (systemctl status smsedge)`);
      }
    },
  };
}

/** The agent could not be reached; the CLI prints the message and exits 1. */
export class RemoteError extends Error {
  override name = 'RemoteError';
  readonly code = 'agent_unreachable';
}

/** The error message of an API answer that is not 2xx (`{ error: { message, field } }`). */
export async function apiError(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; field?: string } };
    if (body.error?.message) return `${body.error.field ? `${body.error.field}: ` : ''}${body.error.message} (${res.status} ${body.error.code ?? ''})`.replace(/ \)$/, ')');
  } catch {
    // not JSON
  }
  return `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}
