// The serialport side of the simulator: a BindingInterface whose ports are simulated modems.
//
// Built on @serialport/binding-mock (its read buffering and open/lock rules are what `serialport`'s own
// SerialPortMock uses). The mock has no hook for what the host writes, so each opened port's `write` is
// wrapped to hand the bytes to the simulated device, which answers through `emitData`.
//
// Known trap: `import '@serialport/binding-mock'` from ESM loads the package's .mjs build, a second
// module instance with its own port registry ("Port does not exist - please call MockBinding.createPort").
// This file is the only place that loads it, once, through createRequire: the same CommonJS instance
// serialport's SerialPortMock uses.
import { createRequire } from 'node:module';
import type { BindingInterface, BindingPortInterface, OpenOptions, PortInfo } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type { MockBindingInterface, MockPortBinding } from '@serialport/binding-mock' with { 'resolution-mode': 'require' };

const require = createRequire(import.meta.url);
const { MockBinding } = require('@serialport/binding-mock') as { MockBinding: MockBindingInterface };

/** What a simulated device plugged in at a path offers the binding. */
export interface Endpoint {
  /** Bytes the host wrote. */
  write(data: Buffer): void;
  /** The host opened the port (at `baudRate`): `emit` delivers bytes to it until `detach` is called. */
  attach(emit: (data: Buffer) => void, baudRate?: number): void;
  detach(): void;
}

/** Thrown by open() for a path with no device (unplugged, or never created): like ENOENT on a tty. */
export class PortGoneError extends Error {
  override name = 'PortGoneError';
  readonly code = 'ENOENT';
  constructor(path: string) {
    super(`Port does not exist: ${path} (no simulated device is plugged in there)`);
  }
}

interface Slot {
  endpoint: Endpoint;
  plugged: boolean;
  open: SimPort | null;
}

const slots = new Map<string, Slot>();
let counter = 0;

/** A fresh, unused mock path: /dev/ttySIM0, /dev/ttySIM1, ... */
export function nextPath(): string {
  for (;;) {
    const path = `/dev/ttySIM${counter++}`;
    if (!slots.has(path)) return path;
  }
}

/** Registers a device at `path` (plugged in). Throws when the path is taken. */
export function plug(path: string, endpoint: Endpoint, info: { manufacturer?: string; vendorId?: string; productId?: string } = {}): void {
  if (slots.has(path)) throw new Error(`simulator path already in use: ${path}`);
  MockBinding.createPort(path, { echo: false, record: false, ...info });
  slots.set(path, { endpoint, plugged: true, open: null });
}

/** Removes the device for good (Simulator.close). An open port sees a disconnect. */
export function remove(path: string): void {
  const slot = slots.get(path);
  if (!slot) return;
  unplug(path);
  slots.delete(path);
}

/**
 * The USB device disappears: an open port's pending read fails (serialport closes it with a
 * DisconnectedError, `close` event with `err.disconnected`), and open() fails until replug().
 */
export function unplug(path: string): void {
  const slot = slots.get(path);
  if (!slot || !slot.plugged) return;
  slot.plugged = false;
  slot.open?.disconnect();
  slot.open = null;
  slot.endpoint.detach();
}

export function replug(path: string): void {
  const slot = slots.get(path);
  if (slot) slot.plugged = true;
}

export function isPlugged(path: string): boolean {
  return slots.get(path)?.plugged ?? false;
}

/** An open port: the mock's port with write routed to the device and a way to simulate a disconnect. */
class SimPort implements BindingPortInterface {
  readonly #inner: MockPortBinding;
  readonly #slot: Slot;
  #gone = false;

  constructor(inner: MockPortBinding, slot: Slot) {
    this.#inner = inner;
    this.#slot = slot;
  }

  get openOptions() { return this.#inner.openOptions; }
  get isOpen() { return this.#inner.isOpen; }

  emit(data: Buffer): void {
    if (this.#gone || !this.#inner.isOpen) return;
    this.#inner.emitData(data);
  }

  disconnect(): void {
    this.#gone = true;
    // A read rejected with a non-canceled error is how serialport's stream learns of a disconnect.
    const inner = this.#inner as unknown as { pendingRead: ((err?: Error) => void) | null };
    const pending = inner.pendingRead;
    inner.pendingRead = null;
    pending?.(Object.assign(new Error('device disconnected (USB unplugged)'), { code: 'EIO' }));
  }

  async read(buffer: Buffer, offset: number, length: number) {
    if (this.#gone) throw Object.assign(new Error('device disconnected (USB unplugged)'), { code: 'EIO' });
    return this.#inner.read(buffer, offset, length);
  }

  async write(buffer: Buffer): Promise<void> {
    if (this.#gone) throw Object.assign(new Error('device disconnected (USB unplugged)'), { code: 'EIO' });
    await this.#inner.write(buffer);
    if (this.#gone || !this.#inner.isOpen) return;
    this.#slot.endpoint.write(Buffer.from(buffer));
  }

  async close(): Promise<void> {
    if (this.#slot.open === this) {
      this.#slot.open = null;
      this.#slot.endpoint.detach();
    }
    await this.#inner.close();
  }

  update(options: { baudRate: number }) { return this.#inner.update(options); }
  set(options: Parameters<MockPortBinding['set']>[0]) { return this.#inner.set(options); }
  get() { return this.#inner.get(); }
  getBaudRate() { return this.#inner.getBaudRate(); }
  flush() { return this.#inner.flush(); }
  drain() { return this.#inner.drain(); }
}

/**
 * The binding to pass to serialport: `new SerialPort({ binding: simulatorBinding, path, baudRate })`.
 * One binding serves every simulated device; each path is one device.
 */
export const simulatorBinding: BindingInterface<SimPort, OpenOptions, PortInfo> = {
  async list() {
    const all = await MockBinding.list();
    return all.filter((p) => slots.get(p.path)?.plugged);
  },
  async open(options) {
    const slot = options && typeof options === 'object' ? slots.get(options.path) : undefined;
    if (!slot || !slot.plugged) {
      await new Promise((r) => process.nextTick(r));
      throw new PortGoneError(options?.path);
    }
    const inner = (await MockBinding.open(options)) as MockPortBinding;
    if (!slot.plugged) {
      await inner.close();
      throw new PortGoneError(options.path);
    }
    const port = new SimPort(inner, slot);
    slot.open = port;
    slot.endpoint.attach((data) => port.emit(data), options.baudRate);
    return port;
  },
};

export type SimulatorBinding = typeof simulatorBinding;
