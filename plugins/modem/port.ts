import { createRequire } from 'node:module';
import { SerialPortStream } from '@serialport/stream';
import type { PluginContext } from '../../core/plugin.ts';
import { loadSimulator } from '../../core/simulator.ts';
import type { ModemOptions } from './options.ts';

/** A serialport binding (the real one, or the simulator's). */
export type BindingInterface = ConstructorParameters<typeof SerialPortStream>[0]['binding'];

/** An open serial port as the driver sees it. */
export interface Port {
  write(data: string): Promise<void>;
  close(): Promise<void>;
  /** Resolves once, when the port closes for any reason (unplugged, closed by us); with the error if any. */
  readonly closed: Promise<Error | null>;
}

/**
 * The real binding for a device path: @serialport/bindings-cpp picks Linux/macOS/Windows. Loaded only
 * when a real device is used, so the simulator needs no native module.
 */
export function systemBinding(): BindingInterface {
  const require = createRequire(import.meta.url);
  const { autoDetect } = require('@serialport/bindings-cpp') as { autoDetect(): BindingInterface };
  return autoDetect();
}

/** What a port factory hands the modem instance: the binding to open `path` with. */
export interface PortBinding {
  binding: BindingInterface;
  /** The path the binding is opened with (a simulator's own name, a replay's). */
  path: string;
  /** True for a simulated modem: the driver skips the waits a real one needs. */
  simulated?: boolean;
  /** Called when the modem instance stops. */
  close?(): void;
}

/** Makes the binding for a modem instance whose `port` names it (see registerPort). */
export type PortFactory = (ctx: PluginContext<ModemOptions>) => PortBinding | Promise<PortBinding>;

const factories = new Map<string, PortFactory>();

/**
 * Registers what a modem instance configured with `port: <name>` opens, instead of a device path (the
 * zwave-js way: the serial binding is injected). The simulator registers `simulator`; a transcript
 * replay registers its own name. Returns the function that removes it.
 *
 * @example
 * const remove = registerPort(replay.path, () => ({ binding: replay.binding, path: replay.path }));
 * modem({ port: replay.path });
 */
export function registerPort(name: string, factory: PortFactory): () => void {
  factories.set(name, factory);
  return () => {
    if (factories.get(name) === factory) factories.delete(name);
  };
}

/**
 * The binding for a modem instance: a registered factory for its `port`, else the system's serial
 * binding for a device path. `simulator` loads the simulator on first use (it registers itself).
 */
export async function portBinding(ctx: PluginContext<ModemOptions>): Promise<PortBinding> {
  const { port } = ctx.options;
  if (port === 'simulator' && !factories.has(port)) await loadSimulator();
  const factory = factories.get(port);
  return factory ? factory(ctx) : { binding: systemBinding(), path: port };
}

/**
 * Opens `path` through `binding` (the zwave-js way: the driver is handed a binding, it never picks
 * one). Data goes to `onData`; rejects when the port cannot be opened (device absent).
 */
export async function openPort(binding: BindingInterface, path: string, baudRate: number, onData: (chunk: Buffer) => void): Promise<Port> {
  const stream = new SerialPortStream({ binding, path, baudRate, autoOpen: false } as never);
  await new Promise<void>((resolve, reject) => stream.open((err) => (err ? reject(err) : resolve())));
  let settle!: (e: Error | null) => void;
  const closed = new Promise<Error | null>((r) => (settle = r));
  stream.on('data', onData);
  stream.on('close', (err?: Error | null) => settle(err ?? null));
  // A write or read failure also ends in 'close' (serialport closes a disconnected port); 'error'
  // without a listener would crash the process.
  stream.on('error', (err: Error) => {
    settle(err);
    if (stream.isOpen) stream.close(() => {});
  });
  return {
    closed,
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        if (!stream.isOpen) return reject(new Error('port is not open'));
        stream.write(Buffer.from(data, 'latin1'), (err) => (err ? reject(err) : resolve()));
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (!stream.isOpen) return resolve();
        stream.close(() => resolve());
      }),
  };
}
