import type { Store } from '../../core/store.ts';
import type { SmsService } from '../../core/services.ts';
import type { ChannelReply, LinkStore } from './channel.ts';

const migrations = [
  {
    version: 1,
    up: `CREATE TABLE channel_links (
        channel TEXT NOT NULL,
        ref TEXT NOT NULL,
        number TEXT NOT NULL,
        modem TEXT,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (channel, ref));
      CREATE INDEX channel_links_created ON channel_links (created_ms);
      CREATE TABLE channel_cursors (channel TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE channel_answers (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, created_ms INTEGER NOT NULL);`,
  },
];

/** Links older than this are forgotten: an answer to a months-old forward is ignored. */
const keepMs = 90 * 24 * 3600_000;

/**
 * The channels' durable memory in the agent's store: which SMS each posted chat message stands for,
 * the update offset of a polling channel, and which answers were already sent as SMS.
 */
export function storeLinks(store: Store, now: () => number): LinkStore {
  store.migrate('channels', migrations);
  return {
    put(channel, ref, link) {
      store.run('INSERT OR REPLACE INTO channel_links (channel, ref, number, modem, created_ms) VALUES (?, ?, ?, ?, ?)', channel, ref, link.number, link.modem ?? null, now());
      store.run('DELETE FROM channel_links WHERE created_ms < ?', now() - keepMs);
    },
    get(channel, ref) {
      const row = store.get<{ number: string; modem: string | null }>('SELECT number, modem FROM channel_links WHERE channel = ? AND ref = ?', channel, ref);
      return row ? { number: row.number, ...(row.modem ? { modem: row.modem } : {}) } : undefined;
    },
    getCursor(channel) {
      return store.get<{ value: number }>('SELECT value FROM channel_cursors WHERE channel = ?', channel)?.value;
    },
    setCursor(channel, value) {
      store.run('INSERT INTO channel_cursors (channel, value) VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET value = excluded.value', channel, value);
    },
  };
}

/**
 * Sends each answer typed in a two-way channel as an SMS, once: the answer's id is recorded in the
 * same transaction that queues the SMS, so an answer offered again (the channel's cursor was not
 * saved before a crash) is not sent twice. The modem is the one the forwarded SMS came in on.
 */
export function answerSender(store: Store, sms: () => SmsService | undefined, now: () => number): (reply: ChannelReply) => Promise<void> {
  return async (reply) => {
    const service = sms();
    if (!service) throw new Error('no modem plugin is running (sms_unavailable)');
    store.transaction(() => {
      if (store.get('SELECT 1 AS x FROM channel_answers WHERE id = ?', reply.id)) return;
      const sent = service.send({ to: reply.to, text: reply.text, clientRef: reply.channel.slice(0, 40), ...(reply.modem ? { modem: reply.modem } : {}) });
      store.run('INSERT INTO channel_answers (id, message_id, created_ms) VALUES (?, ?, ?)', reply.id, sent.id, now());
    });
  };
}
