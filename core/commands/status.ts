import { parseArgs } from 'node:util';
import { defineCommand } from '../command.ts';
import { apiError, remote, remoteArgs } from '../remote.ts';
import type { ModemStatus } from '../services.ts';

interface Health {
  status: 'pass' | 'warn' | 'fail';
  agentId?: string;
  version?: string;
  uptimeSeconds?: number;
  modems?: ModemStatus[];
  queue?: { outbound: number };
  webhookBacklog?: number;
  plugins?: Record<string, { status: string; error?: string }>;
}

const duration = (s: number) => {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
};

/** The running agent's health as a few lines (or its JSON). */
export function formatStatus(h: Health): string {
  const rows: string[][] = [['agent', `${h.agentId ?? '?'}`, h.status, `v${h.version ?? '?'}`, h.uptimeSeconds === undefined ? '' : `up ${duration(h.uptimeSeconds)}`]];
  for (const m of h.modems ?? [])
    rows.push([
      'modem',
      m.id,
      m.state,
      m.state === 'online' ? `${m.operator ?? '?'}, ${m.signalDbm ?? '?'} dBm, ${m.registration ?? '?'}` : (m.reason ?? ''),
      m.simulator ? 'simulator' : (m.model ?? ''),
    ]);
  rows.push(['queue', `${h.queue?.outbound ?? 0} to send`, `${h.webhookBacklog ?? 0} webhook backlog`, '', '']);
  for (const [name, p] of Object.entries(h.plugins ?? {})) if (p.status !== 'pass') rows.push(['plugin', name, p.status, p.error ?? '', '']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export default defineCommand({
  name: 'status',
  summary: "show the running agent's health: modems, queue, plugins (exit 1 when it fails or does not answer)",
  usage: 'status [--json] [--url http://127.0.0.1:8080] [--key-env VAR] [--env-file path]',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, ...remoteArgs }, strict: true });
    const agent = remote({ url: values.url, keyEnv: values['key-env'], envFile: values['env-file'] });
    const res = await agent.request('/health');
    if (res.status !== 200 && res.status !== 503) {
      io.stderr.write(`smsedge status: ${await apiError(res)}\n`);
      return 1;
    }
    const health = (await res.json()) as Health;
    if (values.json) io.stdout.write(`${JSON.stringify(health, null, 2)}\n`);
    else if (!health.agentId) io.stdout.write(`agent ${health.status} (no API key given: set SMSEDGE_API_KEY for the details)\n`);
    else io.stdout.write(formatStatus(health));
    return health.status === 'fail' ? 1 : 0;
  },
});
