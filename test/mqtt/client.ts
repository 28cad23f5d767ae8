import { connectAsync, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  text: string;
  retain: boolean;
  packet: IPublishPacket;
}

export interface Watcher {
  client: MqttClient;
  messages: Received[];
  on(topic: string): Received[];
  json(topic: string): unknown[];
  close(): Promise<void>;
}

let n = 0;

/** A test client that records every message on `filters` (QoS 1). */
export async function watch(url: string, filters: string[], options: IClientOptions = {}): Promise<Watcher> {
  const client = await connectAsync(url, { clientId: `watcher-${process.pid}-${++n}`, protocolVersion: 5, reconnectPeriod: 50, ...options });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, text: payload.toString(), retain: packet.retain, packet }));
  client.on('error', () => {});
  if (filters.length) await client.subscribeAsync(filters, { qos: 1 });
  const on = (topic: string) => messages.filter((m) => m.topic === topic);
  return {
    client,
    messages,
    on,
    json: (topic) => on(topic).map((m) => JSON.parse(m.text)),
    close: () => client.endAsync(true),
  };
}
