// The smpp plugin in the agent: /health and /metrics per account, config errors, TLS, and an
// unbind to every bound session when the agent stops.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import t from 'tap';
import { api } from '../../plugins/api/index.ts';
import { status } from '../../plugins/smpp/pdu.ts';
import { bound, PASSWORDS, smppAgent, until } from './fixtures.ts';

process.env.SMSEDGE_SMPP_TEST_LONG = 'longer-than-8';
delete process.env.SMSEDGE_SMPP_TEST_UNSET;

t.test('/health and /metrics show the bound sessions per account', async (t) => {
  const { port, agent, sim } = await smppAgent(t, {}, { plugins: [api({ port: 0, apiKeyEnv: 'SMSEDGE_SMPP_TEST_UNSET' })] });
  const base = agent.use('api').urls()[0]!;
  const a = await bound(t, port, 'transceiver');
  await bound(t, port, 'transmitter');
  await bound(t, port, 'receiver', 'beta', PASSWORDS.SMSEDGE_SMPP_TEST_B);
  await a.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', short_message: Buffer.from('counted') });
  await a.call('submit_sm', { dest_addr_ton: 1, destination_addr: 'x', short_message: Buffer.from('refused') });
  sim.receiveSms({ from: '+15550100199', text: 'to both accounts' });
  await until(() => a.delivered.length === 1, 'deliver_sm');

  const health = (await (await fetch(`${base}/health`)).json()) as { plugins: { smpp: unknown } };
  t.match(health.plugins.smpp, { status: 'pass', port, unbound: 0, accounts: { alpha: { bound: 2, transceiver: 1, transmitter: 1, receiver: 0 }, beta: { bound: 1, receiver: 1 } } });
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.match(metrics, /smsedge_smpp_sessions\{account="alpha",mode="transceiver"\} 1/);
  t.match(metrics, /smsedge_smpp_sessions\{account="beta",mode="receiver"\} 1/);
  t.match(metrics, /smsedge_smpp_submits_total\{account="alpha",status="ESME_ROK"\} 1/);
  t.match(metrics, /smsedge_smpp_submits_total\{account="alpha",status="ESME_RINVDSTADR"\} 1/);
  t.match(metrics, /smsedge_smpp_delivers_total\{account="alpha"\} 1/);
  t.match(metrics, /smsedge_smpp_pending_deliveries\{account="alpha"\} \d+/);
});

t.test('a password longer than SMPP allows is a config error naming the account', async (t) => {
  await t.rejects(smppAgent(t, { accounts: [{ systemId: 'alpha', passwordEnv: 'SMSEDGE_SMPP_TEST_LONG' }] }), /accounts\[0\]\.passwordEnv: SMSEDGE_SMPP_TEST_LONG holds more than 8 characters/);
});

t.test('an account without its password set cannot bind, and health warns', async (t) => {
  const { port, agent } = await smppAgent(t, { accounts: [{ systemId: 'alpha', passwordEnv: 'SMSEDGE_SMPP_TEST_UNSET' }] });
  t.match((await agent.health()).plugins.smpp, { status: 'warn', accounts: { alpha: { problem: 'SMSEDGE_SMPP_TEST_UNSET is not set' } } });
  const { client } = await import('./fixtures.ts');
  const c = await client(t, port);
  t.equal((await c.call('bind_transmitter', { system_id: 'alpha', password: '' })).command_status, status.ESME_RINVPASWD);
});

t.test('stopping the agent unbinds the bound sessions', async (t) => {
  const { port, agent } = await smppAgent(t);
  const c = await bound(t, port, 'transceiver');
  const unbind = new Promise((resolve) => c.session.on('unbind', resolve));
  await agent.stop();
  await unbind;
  await c.closed;
  t.pass('the client got an unbind and the connection ended');
});

t.test('SMPP over TLS beside the plain port; an unreadable certificate is a config error', async (t) => {
  const dir = t.testdir();
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  const { agent } = await smppAgent(t, { tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), port: 0 } }, { dataDir: join(dir, 'data') });
  const tlsPort = Number((await agent.health()).plugins.smpp?.tlsPort);
  t.ok(tlsPort > 0, 'a TLS port');
  const lib = createRequire(import.meta.url)('smpp') as { connect(o: Record<string, unknown>, cb: () => void): { bind_transceiver(f: unknown, cb: (p: { command_status: number }) => void): void; destroy(): void; on(e: string, f: () => void): void } };
  const session = await new Promise<ReturnType<typeof lib.connect>>((resolve) => {
    const s = lib.connect({ host: '127.0.0.1', port: tlsPort, tls: true, rejectUnauthorized: false }, () => resolve(s));
    s.on('error', () => {});
  });
  t.teardown(() => session.destroy());
  const resp = await new Promise<{ command_status: number }>((r) => session.bind_transceiver({ system_id: 'alpha', password: PASSWORDS.SMSEDGE_SMPP_TEST_A }, r));
  t.equal(resp.command_status, status.ESME_ROK, 'bound over TLS');

  await t.rejects(smppAgent(t, { tls: { certFile: join(dir, 'missing.pem'), keyFile: join(dir, 'key.pem'), port: 0 } }, { dataDir: join(dir, 'data2') }), /tls: cannot read the certificate or key/);
});
