// The JSON shape of a decoded PDU: the `pdu decode` output, a public contract (docs/pdu.md).
import { toHex } from './hex.ts';
import type { DecodedPdu } from './types.ts';

/** A plain JSON-safe object: bytes as upper-case hex, absent values as null. */
export function toJSON(d: DecodedPdu): Record<string, unknown> {
  const out: Record<string, unknown> = { type: d.type, smsc: d.smsc };
  if (d.type === 'deliver') out.from = d.from;
  else if (d.type === 'submit') { out.to = d.to; out.mr = d.mr; }
  else { out.mr = d.mr; out.recipient = d.recipient; }
  out.text = d.text;
  out.encoding = d.encoding;
  if (d.type !== 'submit') out.timestamp = d.timestamp;
  out.class = d.class;
  out.concat = d.concat ? { ref: d.concat.ref, total: d.concat.total, part: d.concat.part, ...(d.concat.ref16 ? { ref16: true } : {}) } : null;
  if (d.type === 'status-report') {
    out.dischargeTime = d.dischargeTime;
    out.status = d.status;
    out.state = d.state;
    out.meaning = d.meaning;
    out.final = d.final;
  }
  if (d.type === 'submit') {
    out.validity = d.validity
      ? d.validity.format === 'enhanced' ? { ...d.validity, raw: toHex(d.validity.raw) } : d.validity
      : null;
    out.statusReportRequest = d.statusReportRequest;
  }
  if (d.data) out.data = toHex(d.data);
  if (d.port) out.port = d.port;
  if (d.language) out.language = d.language;
  out.pid = d.pid;
  out.dcs = d.dcs.raw;
  if (d.dcs.mwi) out.mwi = d.dcs.mwi;
  out.udh = d.udh ? d.udh.map((ie) => ({ iei: ie.iei, data: toHex(ie.data) })) : null;
  out.tpduLength = d.tpduLength;
  if (d.warnings.length > 0) out.warnings = d.warnings;
  return out;
}
