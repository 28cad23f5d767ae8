import { parseArgs } from 'node:util';
import { defineCommand, UsageError, type CommandIO } from '../command.ts';
import { loadConfig } from '../config.ts';
import { apiError, remote, remoteArgs, RemoteError, type Remote } from '../remote.ts';

type Status = 'pass' | 'warn' | 'fail';
interface Check {
  name: string;
  status: Status;
  detail: string;
}
interface Report {
  modem: string;
  status: Status;
  checks: Check[];
}

/** The reports as a table: modem, check, status, what was found. */
export function formatReports(reports: readonly Report[]): string {
  const rows = reports.flatMap((r) => r.checks.map((c) => [r.modem, c.name, c.status.toUpperCase(), c.detail]));
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length), ['modem', 'check', 'status'][i]!.length));
  const line = (row: string[]) => row.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ');
  return `${[line(['modem', 'check', 'status', 'detail']), ...rows.map(line)].join('\n')}\n`;
}

/** The agent answered, but not with a report: said on stderr, exit 1. */
class AnswerError extends Error {}

const worst = (checks: readonly Check[]): Status => (checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'warn') ? 'warn' : 'pass');

/** Through the running agent: each modem's checks, and with `sendTo` an SMS round trip with its delivery report. */
async function viaAgent(agent: Remote, only: string | undefined, sendTo: string | undefined, timeoutMs: number, sleep: (ms: number) => Promise<void>): Promise<Report[]> {
  const health = await agent.request('/health');
  if (health.status === 401) throw new UsageError(`the agent at ${agent.url} wants its API key (SMSEDGE_API_KEY, or --key-env / --env-file)`);
  const modems = ((await health.json()) as { modems?: { id: string }[] }).modems;
  if (!modems) throw new UsageError(`the agent at ${agent.url} gave no modem list: its API key is needed (SMSEDGE_API_KEY)`);
  const ids = only ? [only] : modems.map((m) => m.id);
  const reports: Report[] = [];
  for (const id of ids) {
    const res = await agent.request(`/modems/${encodeURIComponent(id)}/doctor`);
    if (!res.ok) throw new AnswerError(`modem "${id}": ${await apiError(res)}`);
    reports.push((await res.json()) as Report);
  }
  if (sendTo && reports[0]) {
    const target = reports[0];
    target.checks.push(await roundTrip(agent, target.modem, sendTo, timeoutMs, sleep));
    target.status = worst(target.checks);
  }
  return reports;
}

/** Sends a test SMS with a delivery report through `modem` and waits for its report. */
async function roundTrip(agent: Remote, modem: string, to: string, timeoutMs: number, sleep: (ms: number) => Promise<void>): Promise<Check> {
  const started = Date.now();
  const res = await agent.request('/sms/send', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to, text: `smsedge doctor: test message ${new Date().toISOString()}`, modem, deliveryReport: true, clientRef: 'smsedge-doctor' }),
  });
  if (!res.ok) return { name: 'roundtrip', status: 'fail', detail: `the send was refused: ${await apiError(res)}` };
  const { id } = (await res.json()) as { id: string };
  let sentAfter: number | undefined;
  while (Date.now() - started < timeoutMs) {
    const m = await agent.request(`/sms/messages/${encodeURIComponent(id)}`);
    const msg = m.ok ? ((await m.json()) as { status: string; error?: string; partDetails?: { reportText?: string }[] }) : undefined;
    const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
    if (msg?.status === 'sent' && sentAfter === undefined) sentAfter = Date.now() - started;
    if (msg?.status === 'delivered') return { name: 'roundtrip', status: 'pass', detail: `sent${sentAfter !== undefined ? ` in ${(sentAfter / 1000).toFixed(1)} s` : ''}, delivery report after ${seconds()} s (message ${id})` };
    if (msg?.status === 'failed' || msg?.status === 'expired')
      return { name: 'roundtrip', status: 'fail', detail: `${msg.status}${msg.error ? `: ${msg.error}` : ''}${msg.partDetails?.[0]?.reportText ? ` (${msg.partDetails[0].reportText})` : ''} (message ${id})` };
    await sleep(1000);
  }
  return sentAfter !== undefined
    ? { name: 'roundtrip', status: 'warn', detail: `sent, but no delivery report within ${timeoutMs / 1000} s (message ${id}; some networks send none)` }
    : { name: 'roundtrip', status: 'fail', detail: `not sent within ${timeoutMs / 1000} s (message ${id})` };
}

/** No agent running: open each configured modem's port directly (read-only commands). */
async function direct(ports: { id: string; port: string; baudRate: number }[]): Promise<Report[]> {
  const [{ systemBinding, openPort }, { AtEngine }, { runChecks, report }, { systemClock }, { silentLogger }] = await Promise.all([
    import('../../plugins/modem/port.ts'),
    import('../../plugins/modem/at.ts'),
    import('../../plugins/modem/doctor.ts'),
    import('../clock.ts'),
    import('../log.ts'),
  ]);
  const reports: Report[] = [];
  for (const { id, port: path, baudRate } of ports) {
    if (path === 'simulator') {
      reports.push(report(id, [{ name: 'port', status: 'warn', detail: 'the simulator: start the agent and run doctor again to check it' }]));
      continue;
    }
    const at = new AtEngine({ write: (data) => port?.write(data), clock: systemClock, log: silentLogger(), timeoutMs: 3000 });
    let port: Awaited<ReturnType<typeof openPort>> | undefined;
    try {
      port = await openPort(systemBinding(), path, baudRate, (chunk) => at.feed(chunk));
    } catch (error) {
      const { cannotOpen } = await import('../../plugins/modem/reconnect.ts');
      reports.push(report(id, [{ name: 'port', status: 'fail', detail: cannotOpen(path, error) }]));
      continue;
    }
    at.open();
    try {
      reports.push(report(id, [{ name: 'port', status: 'pass', detail: `${path} opened at ${baudRate} baud` }, ...(await runChecks((c) => at.send(c)))]));
    } finally {
      at.close('doctor done');
      await port.close();
    }
  }
  return reports;
}

async function configuredPorts(configPath: string): Promise<{ id: string; port: string; baudRate: number }[]> {
  const config = await loadConfig(configPath);
  return config.plugins
    .filter((p) => p.definition.name === 'modem')
    .map((p) => {
      const o = p.options as { id?: string; port: string; baudRate?: number };
      return { id: o.id ?? 'default', port: o.port, baudRate: o.baudRate ?? 115200 };
    });
}

export interface DoctorDeps {
  sleep?: (ms: number) => Promise<void>;
}

export async function doctor(argv: string[], io: CommandIO, deps: DoctorDeps = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'send-to': { type: 'string' },
      json: { type: 'boolean' },
      modem: { type: 'string' },
      port: { type: 'string' },
      'baud-rate': { type: 'string' },
      config: { type: 'string', short: 'c' },
      timeout: { type: 'string' },
      ...remoteArgs,
    },
    strict: true,
  });
  const timeoutMs = Number(values.timeout ?? 120) * 1000;
  if (!(timeoutMs > 0)) throw new UsageError('--timeout: seconds, e.g. 120');
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let reports: Report[];
  let how: string;
  if (values.port) {
    reports = await direct([{ id: values.modem ?? 'default', port: values.port, baudRate: Number(values['baud-rate'] ?? 115200) }]);
    how = `port ${values.port}`;
  } else {
    const agent = remote({ url: values.url, keyEnv: values['key-env'], envFile: values['env-file'] });
    try {
      reports = await viaAgent(agent, values.modem, values['send-to'], timeoutMs, sleep);
      how = `the agent at ${agent.url}`;
    } catch (error) {
      if (error instanceof AnswerError) {
        io.stderr.write(`smsedge doctor: ${error.message}\n`);
        return 1;
      }
      if (!(error instanceof RemoteError)) throw error;
      if (values['send-to']) throw new UsageError(`--send-to needs the running agent: ${error.message}`);
      const ports = (await configuredPorts(values.config ?? 'agent.config.ts')).filter((p) => !values.modem || p.id === values.modem);
      if (!ports.length) throw new UsageError('no modem in the config (or none with that --modem id)');
      reports = await direct(ports);
      how = `the ports of ${values.config ?? 'agent.config.ts'} (no agent answers at ${agent.url})`;
    }
  }
  const status = worst(reports.flatMap((r) => r.checks));
  if (values.json) io.stdout.write(`${JSON.stringify({ status, reports }, null, 2)}\n`);
  else io.stdout.write(`checked through ${how}\n${formatReports(reports)}${status.toUpperCase()}\n`);
  return status === 'fail' ? 1 : 0;
}

export default defineCommand({
  name: 'doctor',
  summary: "check each modem's setup: port, AT, SIM, registration, signal, SMSC, storage, indications (exit 1 on a failure)",
  usage: 'doctor [--send-to <number>] [--json] [--modem id] [--port /dev/... | --config path] [--timeout s] [--url ...] [--key-env VAR] [--env-file path]',
  run: (argv, io) => doctor(argv, io),
});
