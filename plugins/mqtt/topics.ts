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
  /** Retained modem state for Home Assistant sensors. */
  modem: string;
  lastSms: string;
  haRecipient: string;
  haRecipientSet: string;
  haNotify: string;
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
    lastSms: `${own}/last_sms`,
    haRecipient: `${own}/ha/recipient`,
    haRecipientSet: `${own}/ha/recipient/set`,
    haNotify: `${own}/ha/notify`,
  };
}

export function sharedTopic(group: string, topic: string): string {
  return `$share/${group}/${topic}`;
}
