import { parseArgs } from 'node:util';
import { defineCommand, UsageError } from '../command.ts';
import { apiError, remote, remoteArgs } from '../remote.ts';

export default defineCommand({
  name: 'send',
  summary: 'send an SMS through the running agent (its REST API)',
  usage: 'send --to <number> --text <text> [--modem id] [--url http://127.0.0.1:8080] [--key-env VAR] [--env-file path] [--json]',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { to: { type: 'string' }, text: { type: 'string' }, modem: { type: 'string' }, json: { type: 'boolean' }, ...remoteArgs },
      strict: true,
    });
    if (!values.to) throw new UsageError('--to is required (the recipient, e.g. +15550100100)');
    if (values.text === undefined) throw new UsageError('--text is required');
    const agent = remote({ url: values.url, keyEnv: values['key-env'], envFile: values['env-file'] });
    const res = await agent.request('/sms/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: values.to, text: values.text, ...(values.modem ? { modem: values.modem } : {}) }),
    });
    if (!res.ok) {
      io.stderr.write(`smsedge send: ${await apiError(res)}\n`);
      return 1;
    }
    const body = (await res.json()) as { id: string; status: string; parts?: number } | { id: string; status: string }[];
    if (values.json) io.stdout.write(`${JSON.stringify(body)}\n`);
    else for (const m of Array.isArray(body) ? body : [body]) io.stdout.write(`${m.status}: ${m.id}\n`);
    return 0;
  },
});
