/**
 * The topic tree, after zigbee2mqtt's conventions (`<base>/<device>/...`, a retained availability topic
 * that is also the last will, request/response topics echoing a `transaction`).
 */
export interface Topics {
  event(type: string): string;
  /** Retained `online` / `offline`; also the last will. */
  state: string;
  /** Retained health JSON. */
  health: string;
  /** `+` matches the request kind (`send`, `ussd`). */
  requests: string;
  request(kind: string): string;
  response(kind: string): string;
  /** Subscribed through `$share/<group>/` so each job reaches one agent of the group. */
  fleetRequest: string;
  fleetResponse: string;
  /** Retained modem state (the first online modem's): kept for readers of the earlier single-modem layout. */
  modem: string;
  /** Home Assistant's per-modem topics, under `<base>/<agent>/ha/<modem>/`. */
  ha(modem: string): HaTopics;
  /** `<base>/<agent>/ha/`: what every Home Assistant topic starts with. */
  haPrefix: string;
  /** Every Home Assistant command topic, of every modem (`+` is the modem). */
  haCommands: string[];
}

export interface HaTopics {
  /** Retained JSON every sensor of the modem reads. */
  state: string;
  /** Not retained: `{ event_type, number, text, modem, time, message_id, reason? }` for the event entity. */
  event: string;
  /** Retained: the last SMS received (the Last SMS sensor). */
  lastSms: string;
  /** A notify entity's command topic: the contact's, or the recipients' (no contact). */
  notify(contact?: string): string;
  /** Retained: the recipients text entity's value (stored by the agent); `recipientsSet` its command. */
  recipients: string;
  recipientsSet: string;
  /** The balance button. */
  balanceRefresh: string;
  /** Retained `{ code, answer, at, error? }`; `ussdSet` runs a code (the USSD text entity). */
  ussd: string;
  ussdSet: string;
}

export function topicsFor(base: string, agentId: string): Topics {
  const own = `${base}/${agentId}`;
  return {
    event: (type) => `${own}/event/${type}`,
    state: `${own}/state`,
    health: `${own}/health`,
    requests: `${own}/request/+`,
    request: (kind) => `${own}/request/${kind}`,
    response: (kind) => `${own}/response/${kind}`,
    fleetRequest: `${base}/fleet/request/send`,
    fleetResponse: `${base}/fleet/response/send`,
    modem: `${own}/modem`,
    ha: (modem) => {
      const at = `${own}/ha/${modem}`;
      return {
        state: `${at}/state`,
        event: `${at}/event`,
        lastSms: `${at}/last_sms`,
        notify: (contact) => (contact === undefined ? `${at}/notify` : `${at}/notify/${contact}`),
        recipients: `${at}/recipients`,
        recipientsSet: `${at}/recipients/set`,
        balanceRefresh: `${at}/balance/refresh`,
        ussd: `${at}/ussd`,
        ussdSet: `${at}/ussd/set`,
      };
    },
    haPrefix: `${own}/ha/`,
    haCommands: [`${own}/ha/+/notify`, `${own}/ha/+/notify/+`, `${own}/ha/+/recipients/set`, `${own}/ha/+/balance/refresh`, `${own}/ha/+/ussd/set`],
  };
}

export function sharedTopic(group: string, topic: string): string {
  return `$share/${group}/${topic}`;
}
