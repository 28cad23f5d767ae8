import type { Migration } from '../../core/store.ts';

/**
 * The modem plugin's tables (namespace `modem`). Every modem instance shares them; rows carry the
 * instance id. Times are kept twice where both are needed: `*_ms` for arithmetic, `*_at` (ISO with
 * offset) for what the API shows.
 */
export const migrations: Migration[] = [
  {
    version: 1,
    up: `
      -- Received messages, complete (or given up on: incomplete = 1).
      CREATE TABLE modem_inbox (
        id TEXT PRIMARY KEY,
        modem TEXT NOT NULL,
        sender TEXT NOT NULL,
        text TEXT,
        data TEXT,
        port INTEGER,
        encoding TEXT NOT NULL,
        parts INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        stored_ms INTEGER NOT NULL,
        smsc TEXT,
        class INTEGER,
        incomplete INTEGER NOT NULL DEFAULT 0,
        missing TEXT);
      CREATE INDEX modem_inbox_stored ON modem_inbox (stored_ms);

      -- Parts of concatenated messages still waiting for the rest.
      CREATE TABLE modem_parts (
        modem TEXT NOT NULL,
        sender TEXT NOT NULL,
        ref INTEGER NOT NULL,
        total INTEGER NOT NULL,
        part INTEGER NOT NULL,
        pdu TEXT NOT NULL,
        tpdu_length INTEGER NOT NULL,
        first_ms INTEGER NOT NULL,
        PRIMARY KEY (modem, sender, ref, total, part));

      -- PDUs already taken in (a fingerprint of the PDU): a message read again after a crash between
      -- storing it and deleting it from the SIM is recognised and not delivered twice.
      CREATE TABLE modem_seen (
        fingerprint TEXT PRIMARY KEY,
        seen_ms INTEGER NOT NULL);
      CREATE INDEX modem_seen_ms ON modem_seen (seen_ms);

      -- PDUs that did not decode, kept raw for a bug report.
      CREATE TABLE modem_raw (
        id TEXT PRIMARY KEY,
        modem TEXT NOT NULL,
        pdu TEXT NOT NULL,
        error TEXT NOT NULL,
        stored_at TEXT NOT NULL);

      -- The durable outbound queue.
      CREATE TABLE modem_outbox (
        id TEXT PRIMARY KEY,
        modem TEXT NOT NULL,
        pinned INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        text TEXT NOT NULL,
        encoding TEXT NOT NULL,
        parts INTEGER NOT NULL,
        status TEXT NOT NULL,
        -- Sends that timed out (the modem may be hung): counted across resets and restarts.
        timeouts INTEGER NOT NULL DEFAULT 0,
        delivery_report INTEGER NOT NULL,
        ttl_seconds INTEGER,
        client_ref TEXT,
        callback_url TEXT,
        created_ms INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        sent_ms INTEGER,
        delivered_at TEXT,
        failed_at TEXT,
        error_code INTEGER,
        error_message TEXT);
      CREATE INDEX modem_outbox_status ON modem_outbox (modem, status, created_ms);

      CREATE TABLE modem_outbox_parts (
        message_id TEXT NOT NULL REFERENCES modem_outbox (id) ON DELETE CASCADE,
        part INTEGER NOT NULL,
        pdu TEXT NOT NULL,
        tpdu_length INTEGER NOT NULL,
        mr INTEGER,
        status TEXT NOT NULL,
        report_status INTEGER,
        report_text TEXT,
        sent_at TEXT,
        sent_ms INTEGER,
        report_at TEXT,
        PRIMARY KEY (message_id, part));
      CREATE INDEX modem_outbox_parts_mr ON modem_outbox_parts (mr, sent_ms);

      CREATE TABLE modem_reports (
        id TEXT PRIMARY KEY,
        message_id TEXT,
        recipient TEXT NOT NULL,
        mr INTEGER NOT NULL,
        status INTEGER NOT NULL,
        state TEXT NOT NULL,
        status_text TEXT NOT NULL,
        discharge_time TEXT,
        received_at TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        modem TEXT NOT NULL);
      CREATE INDEX modem_reports_ms ON modem_reports (received_ms);

      -- Small facts that must survive restarts (a PIN the SIM refused).
      CREATE TABLE modem_state (
        modem TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (modem, key));
    `,
  },
  {
    version: 2,
    up: `
      -- What was taken in from which storage slot (modem_seen de-duplicated equal content, merging
      -- distinct identical SMS). A row not yet released is a slot not yet deleted on the modem: the same
      -- PDU read there again, no longer unread, is the same message read again after a crash.
      CREATE TABLE modem_taken (
        fingerprint TEXT NOT NULL,
        modem TEXT NOT NULL,
        mem TEXT NOT NULL,
        slot INTEGER NOT NULL,
        taken_ms INTEGER NOT NULL,
        released INTEGER NOT NULL);
      CREATE INDEX modem_taken_slot ON modem_taken (modem, mem, slot) WHERE released = 0;
      CREATE INDEX modem_taken_ms ON modem_taken (taken_ms) WHERE released = 1;
      DROP TABLE modem_seen;
    `,
  },
  {
    version: 3,
    up: `
      -- Sending policy (issue 29): a message held until send_at_ms; priority 0 high, 1 normal, 2 low;
      -- what the sender asked for, so a changed text is encoded as the first one was.
      ALTER TABLE modem_outbox ADD COLUMN send_at_ms INTEGER;
      ALTER TABLE modem_outbox ADD COLUMN send_at TEXT;
      ALTER TABLE modem_outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE modem_outbox ADD COLUMN requested_encoding TEXT;
      ALTER TABLE modem_outbox ADD COLUMN validity_minutes INTEGER;
      ALTER TABLE modem_outbox ADD COLUMN cancelled_at TEXT;
      CREATE INDEX modem_outbox_next ON modem_outbox (modem, status, priority, created_ms);
    `,
  },
  {
    version: 4,
    up: `
      -- Per-SIM policy (issue 29): one row per part the network accepted, what the caps count (minute,
      -- hour, calendar day and month, distinct recipients in 30 days); pruned after 32 days.
      CREATE TABLE modem_sends (
        modem TEXT NOT NULL,
        recipient TEXT NOT NULL,
        sent_ms INTEGER NOT NULL,
        message_id TEXT);
      CREATE INDEX modem_sends_ms ON modem_sends (modem, sent_ms);
      CREATE INDEX modem_sends_recipient ON modem_sends (modem, recipient, sent_ms);
      -- What was sent before this table existed still counts.
      INSERT INTO modem_sends (modem, recipient, sent_ms, message_id)
        SELECT o.modem, o.recipient, p.sent_ms, o.id FROM modem_outbox_parts p JOIN modem_outbox o ON o.id = p.message_id
        WHERE p.sent_ms IS NOT NULL;
      -- Inbox: read by the user (REST/MQTT), or deleted from the list (the event journal keeps its copy).
      ALTER TABLE modem_inbox ADD COLUMN read_at TEXT;
    `,
  },
];
