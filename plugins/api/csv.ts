// CSV as RFC 4180 writes it: fields separated by commas, records by CRLF, a field with a comma, a
// double quote, CR or LF enclosed in double quotes with its quotes doubled. A cell a spreadsheet would
// run as a formula (starting with = + - @, or a tab or CR that some strip first) gets a leading
// apostrophe, as OWASP's CSV-injection advice says: SMS texts and numbers come from strangers.

/** One cell: null and undefined are empty. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A whole document: the header line, then one record per row, every line ended by CRLF.
 *
 * @example
 * toCsv(['id', 'text'], [{ id: 'a', text: '=1+1, "hi"' }]) // 'id,text\r\na,"\'=1+1, ""hi"""\r\n'
 */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * The columns of a message list as CSV (GET /sms/messages?format=csv and the operator page's export,
 * plugins/api/ui/format.js messagesCsv, which test/ui/format.test.ts holds to the same output).
 */
export const CSV_COLUMNS = ['id', 'direction', 'time', 'from', 'to', 'modem', 'status', 'parts', 'encoding', 'text', 'priority', 'sendAt', 'clientRef'] as const;

/**
 * One message as a CSV row: `time` is when an outbound message was accepted or an inbound one
 * received (the network's timestamp, else when it was stored); a received message's status is
 * `received`; `from` only for received and `to` only for sent ones (the other is the modem's own).
 */
export function csvRow(m: Record<string, unknown>): Record<string, unknown> {
  const inbound = m.direction === 'inbound';
  return {
    ...m,
    time: inbound ? (m.receivedAt ?? m.storedAt) : m.createdAt,
    from: inbound ? m.from : null,
    to: inbound ? null : m.to,
    status: inbound ? 'received' : m.status,
  };
}
