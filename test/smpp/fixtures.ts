// The whole agent on the simulator with the SMPP server on a free port, and an SMPP client from npm
// (the `smpp` package's own client) with promise helpers. Waits are bounded by events, never by sleeping.
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import type { Test } from 'tap';
import { createAgent, type Agent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import type { AnyEvent, EventType } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import type { ConfiguredPlugin } from '../../core/plugin.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { smpp } from '../../plugins/smpp/index.ts';
import type { SmppOptions } from '../../plugins/smpp/options.ts';
import { decodePdu, type Pdu } from '../../plugins/smpp/pdu.ts';
import type { Simulator } from '../../simulator/index.ts';

export const PASSWORDS = { SMSEDGE_SMPP_TEST_A: 'secret1', SMSEDGE_SMPP_TEST_B: 'pass-b' };
Object.assign(process.env, PASSWORDS);

export type Options = Partial<Omit<SmppOptions, 'accounts'>> & { accounts?: Partial<SmppOptions['accounts'][number]>[] };

export const defaultAccounts = [
  { systemId: 'alpha', passwordEnv: 'SMSEDGE_SMPP_TEST_A' },
  { systemId: 'beta', passwordEnv: 'SMSEDGE_SMPP_TEST_B' },
];

export interface SmppAgent {
  agent: Agent;
  port: number;
  sim: Simulator;
  events: AnyEvent[];
  waitFor(type: EventType, pred?: (e: AnyEvent) => boolean): Promise<AnyEvent>;
  dataDir: string;
}

/** Waits, bounded, until `check` holds (re-checked every 20 ms). */
export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await check();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20).unref());
  }
}

export async function smppAgent(t: Test, options: Options = {}, extra: { dataDir?: string; plugins?: ConfiguredPlugin[] } = {}): Promise<SmppAgent> {
  const dataDir = extra.dataDir ?? t.testdir();
  const agent = createAgent(
    resolveConfig({
      agentId: 'smpp',
      dataDir,
      plugins: [
        modem({ port: 'simulator' }),
        ...(extra.plugins ?? []),
        smpp({ port: 0, ...options, accounts: (options.accounts ?? defaultAccounts) as SmppOptions['accounts'] }),
      ],
    }),
    { log: silentLogger() },
  );
  await agent.start();
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await agent.stop();
  });
  const events: AnyEvent[] = [];
  agent.journal.listen((e) => events.push(e));
  const waitFor = (type: EventType, pred: (e: AnyEvent) => boolean = () => true) =>
    until(() => events.find((e) => e.type === type && pred(e)), `a ${type} event`);
  await waitFor('modem.online');
  const health = await agent.health();
  const port = Number(health.plugins.smpp?.port);
  const stop = agent.stop.bind(agent);
  agent.stop = async () => {
    stopped = true;
    await stop();
  };
  return { agent, port, sim: agent.use('simulator'), events, waitFor, dataDir };
}

export { api };

// The npm client.
const smppLib = createRequire(import.meta.url)('smpp') as {
  connect(options: Record<string, unknown>, listener?: () => void): ClientSession;
};

export interface ClientSession {
  on(event: string, listener: (pdu: Pdu & { response(o?: Record<string, unknown>): unknown }) => void): void;
  send(pdu: unknown): boolean;
  close(cb?: () => void): void;
  destroy(cb?: () => void): void;
  socket: Socket;
  [command: string]: unknown;
}

export interface Client {
  session: ClientSession;
  /** Sends a request and resolves with its answer (a *_resp or a generic_nack). */
  call(command: string, fields?: Record<string, unknown>): Promise<Pdu>;
  /** deliver_sm received so far (the client answers each with `answer`, OK by default). */
  delivered: (Pdu & Record<string, unknown>)[];
  answer: { status: number };
  closed: Promise<void>;
}

/** An SMPP client session of the `smpp` package, connected to the agent. */
export async function client(t: Test, port: number, options: { autoAnswer?: boolean } = {}): Promise<Client> {
  const session = await new Promise<ClientSession>((resolve, reject) => {
    const s = smppLib.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject as never);
  });
  const delivered: Client['delivered'] = [];
  const answer = { status: 0 };
  session.on('deliver_sm', (pdu) => {
    delivered.push(pdu);
    if (options.autoAnswer !== false) session.send(pdu.response({ command_status: answer.status }));
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('error', () => {});
  const closed = new Promise<void>((r) => session.socket.once('close', () => r()));
  t.teardown(() => session.destroy());
  const call = (command: string, fields: Record<string, unknown> = {}) =>
    new Promise<Pdu>((resolve) => (session[command] as (f: Record<string, unknown>, cb: (p: Pdu) => void) => void).call(session, fields, resolve));
  return { session, call, delivered, answer, closed };
}

/** A client bound as `mode` with the test password of account alpha (or the given one). */
export async function bound(t: Test, port: number, mode = 'transceiver', systemId = 'alpha', password = PASSWORDS.SMSEDGE_SMPP_TEST_A): Promise<Client> {
  const c = await client(t, port);
  const resp = await c.call(`bind_${mode}`, { system_id: systemId, password, interface_version: 0x34 });
  if (resp.command_status !== 0) throw new Error(`bind failed: ${resp.command_status}`);
  return c;
}

/** A raw TCP connection for PDUs the npm client would never write; collects decoded answers. */
export async function raw(t: Test, port: number): Promise<{ socket: Socket; answers: Pdu[]; closed: Promise<void>; write(b: Buffer): void }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const answers: Pdu[] = [];
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4 && buffer.length >= buffer.readUInt32BE(0)) {
      const n = buffer.readUInt32BE(0);
      answers.push(decodePdu(buffer.subarray(0, n)));
      buffer = buffer.subarray(n);
    }
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  t.teardown(() => socket.destroy());
  return { socket, answers, closed, write: (b) => socket.write(b) };
}

/** A PDU header with any command_length/id/status/sequence, and a body. */
export function frame(commandId: number, sequence: number, body: Buffer = Buffer.alloc(0), length = 16 + body.length): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(length, 0);
  head.writeUInt32BE(commandId, 4);
  head.writeUInt32BE(0, 8);
  head.writeUInt32BE(sequence, 12);
  return Buffer.concat([head, body]);
}
