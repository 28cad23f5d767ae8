// A real SMTP server (smtp-server, the receiving side nodemailer's authors ship) on an ephemeral
// port, with a self-signed certificate made by openssl for STARTTLS/TLS, recording each mail.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  user?: string;
  secure: boolean;
  header(name: string): string | undefined;
  body: string;
}

export interface MailServer {
  port: number;
  caFile: string;
  mails: ReceivedMail[];
  /** Resolves with the n-th mail (1-based) once it arrived. */
  nth(n: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

let certDir: string | undefined;

/** A key and a self-signed certificate for localhost/127.0.0.1, made once per test process. */
export function testCertificate(): { key: Buffer; cert: Buffer; caFile: string } {
  if (!certDir) {
    certDir = mkdtempSync(join(tmpdir(), 'smsedge-cert-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'),
    ], { stdio: 'ignore' });
    process.once('exit', () => rmSync(certDir!, { recursive: true, force: true }));
  }
  return { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')), caFile: join(certDir, 'cert.pem') };
}

function parse(raw: string): { header(name: string): string | undefined; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  return {
    header(name) {
      const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head);
      return m?.[1]?.trim();
    },
    body,
  };
}

export async function startMailServer(options: Partial<SMTPServerOptions> & { users?: Record<string, string>; reject?: (rcpt: string) => number | undefined } = {}): Promise<MailServer> {
  const { key, cert, caFile } = testCertificate();
  const mails: ReceivedMail[] = [];
  const waiters: { n: number; resolve: (m: ReceivedMail) => void }[] = [];
  const { users, reject, ...rest } = options;
  const server = new SMTPServer({
    key,
    cert,
    logger: false,
    disabledCommands: users ? [] : ['AUTH'],
    authOptional: !users,
    onAuth(auth, _session, cb) {
      if (users && auth.username && users[auth.username] === auth.password) return cb(null, { user: auth.username });
      cb(Object.assign(new Error('bad credentials'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      const code = reject?.(address.address);
      if (code) return cb(Object.assign(new Error('no such user'), { responseCode: code }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          secure: session.secure,
          ...(session.user ? { user: String(session.user) } : {}),
          ...parse(raw),
        };
        mails.push(mail);
        for (const w of waiters.filter((w) => w.n <= mails.length)) w.resolve(mails[w.n - 1]!);
        cb();
      });
    },
    ...rest,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    caFile,
    mails,
    nth: (n) => (mails.length >= n ? Promise.resolve(mails[n - 1]!) : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
