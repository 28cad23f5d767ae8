// Real PDUs from phones and modems (../shared/corpus, when present). Where the corpus and the spec
// disagree the spec wins; each such entry is named below with the clause that decides it.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { decodeGsm7Packed, decodePdu, decodeUcs2Hex, PduDecodeError, toHex } from '../../core/sms/index.ts';

const path = fileURLToPath(new URL('../../../shared/corpus/corpus.json', import.meta.url));

// 23.040 9.2.3.16: TP-UDL of UCS2 user data is at most 140 octets; 160 is impossible, not "truncated".
const SPEC_REJECTS = new Set(['0041010C910661345542F60008A0050003000301306F3044']);

interface Entry { kind: string; pdu?: string; [k: string]: unknown }

if (!existsSync(path)) {
  t.pass('corpus not present (../shared/corpus/corpus.json): skipped', { skip: true });
} else {
  const corpus = JSON.parse(readFileSync(path, 'utf8')) as Entry[];

  t.test('SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT entries', async (t) => {
    for (const e of corpus.filter((x) => ['deliver', 'submit', 'status-report'].includes(x.kind))) {
      const pdu = e.pdu!;
      if (SPEC_REJECTS.has(pdu)) {
        t.throws(() => decodePdu(pdu), PduDecodeError, `${pdu.slice(0, 24)}: impossible TP-UDL rejected`);
        continue;
      }
      const d = decodePdu(pdu);
      const name = `${e.kind} ${pdu.slice(0, 30)}`;
      t.equal(d.type, e.kind, `${name}: type`);
      // An SMSC field of length 1 (TOA only) has no digits: null, not "".
      t.equal(d.smsc, e.smsc === '' ? null : e.smsc, `${name}: smsc`);
      const tzIgnored = d.warnings.some((w) => w.includes('not BCD'));
      const ts = (iso: unknown) => (tzIgnored ? String(iso).slice(0, 19) : iso);
      if (d.type === 'deliver') {
        t.equal(d.from, e.sender, `${name}: from`);
        t.equal(ts(d.timestamp), ts(e.timestamp), `${name}: timestamp`);
      } else if (d.type === 'submit') {
        t.equal(d.to, e.to, `${name}: to`);
        t.equal(d.statusReportRequest, e.srr, `${name}: srr`);
      } else {
        t.equal(d.recipient, e.recipient, `${name}: recipient`);
        t.equal(d.mr, e.mr, `${name}: mr`);
        t.equal(d.status, e.status, `${name}: status`);
        // 9.2.3.11: a non-decimal TZ digit gives no offset; the wall-clock time still must match.
        t.equal(ts(d.timestamp), ts(e.scts), `${name}: scts`);
        t.equal(ts(d.dischargeTime), ts(e.dt), `${name}: discharge time`);
        continue;
      }
      t.equal(d.encoding, e.encoding, `${name}: encoding`);
      if (d.encoding === '8bit') {
        // 8-bit data is bytes, never text (23.038 4): compare the payload where the corpus gives it.
        const details = e.details as { data_hex?: string };
        if (details.data_hex) t.equal(toHex(d.data!), details.data_hex.toUpperCase(), `${name}: data`);
        t.equal(d.text, null, `${name}: no text for 8-bit`);
      } else if (d.warnings.some((w) => w.startsWith('user data cut short'))) {
        // The corpus decoded septets past the end of the PDU as '@'; we stop at the data present.
        t.ok(String(e.text).startsWith(d.text!) && /^@*$/.test(String(e.text).slice(d.text!.length)), `${name}: text prefix`);
      } else {
        t.equal(d.text, e.text, `${name}: text`);
      }
      const udh = e.udh as { ref: number; total: number; part: number } | null;
      if (udh && 'ref' in udh) t.match(d.concat, { ref: udh.ref, total: udh.total, part: udh.part }, `${name}: concat`);
    }
  });

  t.test('PDUs embedded in modem transcripts decode with their <length>', async (t) => {
    for (const e of corpus.filter((x) => x.kind === 'transcript' && Array.isArray(x.embedded_pdus))) {
      const lines = e.lines as string[];
      for (const emb of e.embedded_pdus as { line: number; pdu_kind: string; tpdu_length: number; text?: string; sender?: string }[]) {
        // The driver strips the `> ` prompt that precedes a PDU sent with AT+CMGS (27.005 3.5.1).
        const line = lines[emb.line]?.replace(/^> /, '');
        if (!line || !emb.tpdu_length) continue;
        let d;
        try { d = decodePdu(line, { tpduLength: emb.tpdu_length }); } catch (err) {
          t.fail(`${line.slice(0, 30)}: ${(err as Error).message}`);
          continue;
        }
        t.equal(d.type, emb.pdu_kind, `${line.slice(0, 30)}: type`);
        if (emb.sender !== undefined && d.type === 'deliver') t.equal(d.from, emb.sender, `${line.slice(0, 30)}: from`);
        if (typeof emb.text === 'string' && d.text !== null) t.equal(d.text, emb.text, `${line.slice(0, 30)}: text`);
      }
    }
  });

  t.test('USSD strings (27.007 +CUSD) in packed 7-bit and UCS2 hex', async (t) => {
    for (const e of corpus.filter((x) => x.kind === 'ussd')) {
      const m = /^\+CUSD: \d,\s*"?([0-9A-Fa-f]+)"?/.exec(String(e.line));
      if (!m) continue;
      if (e.decode_rule === 'hex7' && e.verified && !String(e.notes ?? '').includes('masked')) {
        t.equal(decodeGsm7Packed(m[1]!), e.text, `ussd 7-bit: ${String(e.text).slice(0, 20)}`);
      } else if (e.decode_rule === 'ucs2hex') {
        t.equal(decodeUcs2Hex(m[1]!), e.text, `ussd ucs2: ${String(e.text).slice(0, 20)}`);
      }
    }
  });
}
