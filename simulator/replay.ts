// Replay: a fake modem that plays a transcript. It checks that the host writes what the transcript
// says, in order, and answers with the recorded modem lines. The first difference is an error naming
// the transcript line; the replay then stops answering.
import { systemClock, type Clock } from '../core/clock.ts';
import * as ports from './binding.ts';
import { simulatorBinding, type SimulatorBinding } from './binding.ts';
import { parseTranscript, TranscriptError, type TranscriptStep } from './transcript.ts';

export interface Replay {
  readonly path: string;
  readonly binding: SimulatorBinding;
  /** Resolves when every step was played; rejects with a TranscriptError on the first mismatch. */
  readonly done: Promise<void>;
  /** The mismatch, once there is one. */
  error(): TranscriptError | null;
  /** Steps played so far. */
  position(): number;
  /** Connects a host directly (stdio), as the binding does on open. */
  connect(write: (data: Buffer) => void): { write(data: Buffer): void; close(): void };
  close(): void;
}

function matches(expected: string, actual: string): boolean {
  if (!expected.includes('***')) return expected === actual;
  const re = new RegExp(`^${expected.split('***').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`, 's');
  return re.test(actual);
}

function show(s: string): string {
  return JSON.stringify(s);
}

/**
 * @example
 * const replay = createReplay('> AT\n< OK\n', { clock });
 * const port = new SerialPort({ binding: replay.binding, path: replay.path, baudRate: 115200 });
 * port.write('AT\r'); // answered "\r\nOK\r\n"; `await replay.done` once the host is through
 */
export function createReplay(transcript: string | TranscriptStep[], opts: { clock?: Clock; path?: string } = {}): Replay {
  const steps = typeof transcript === 'string' ? parseTranscript(transcript) : transcript;
  const clock = opts.clock ?? systemClock;
  const path = opts.path ?? ports.nextPath();
  const abort = new AbortController();
  let p = 0;
  let failure: TranscriptError | null = null;
  let sink: ((data: Buffer) => void) | null = null;
  let pending = '';
  let out: Promise<void> = Promise.resolve();
  let resolveDone!: () => void;
  let rejectDone!: (e: TranscriptError) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => {}); // the caller may only look at error()

  const fail = (e: TranscriptError) => {
    if (failure) return;
    failure = e;
    rejectDone(e);
  };

  const emit = (text: string) => {
    out = out.then(() => sink?.(Buffer.from(text, 'latin1')));
  };

  /** Plays modem lines and delays up to the next host write. */
  const answer = () => {
    while (p < steps.length && steps[p]!.kind !== 'write') {
      const step = steps[p++]!;
      if (step.kind === 'delay') out = out.then(() => clock.sleep(step.ms, abort.signal)).catch(() => {});
      else if (step.kind === 'read') emit(step.text === '> ' ? '\r\n> ' : step.text === '' ? '\r\n' : `\r\n${step.text}\r\n`);
    }
    if (p >= steps.length) out.then(() => resolveDone(), () => resolveDone());
  };

  const hostUnit = (unit: string) => {
    if (failure) return;
    const step = steps[p];
    if (!step) {
      fail(new TranscriptError('replay_extra', (steps.at(-1)?.line ?? 0) + 1, `the transcript ended, but the host wrote ${show(unit)}`));
      return;
    }
    if (step.kind !== 'write' || !matches(step.text, unit)) {
      fail(new TranscriptError('replay_mismatch', step.line, `expected the host to write ${show(step.kind === 'write' ? step.text : '(nothing: the modem speaks next)')}, got ${show(unit)}`));
      return;
    }
    p++;
    answer();
  };

  const connect = (write: (data: Buffer) => void) => {
    sink = write;
    pending = '';
    if (p === 0) answer(); // lines before the first write (URCs) come as soon as the host listens
    let open = true;
    return {
      write(data: Buffer) {
        if (!open) return;
        pending += data.toString('latin1');
        for (;;) {
          const m = /[\r\x1a\x1b]/.exec(pending);
          if (!m) break;
          const end = m.index + (m[0] === '\r' ? 0 : 1);
          const unit = pending.slice(0, end).replace(/^[\r\n]+/, '');
          pending = pending.slice(m.index + 1);
          if (unit.trim() !== '') hostUnit(unit.trim() === unit ? unit : unit.replace(/^\s+/, ''));
        }
      },
      close() {
        open = false;
        if (sink === write) sink = null;
      },
    };
  };

  let current: ReturnType<typeof connect> | null = null;
  ports.plug(path, {
    write: (data) => current?.write(data),
    attach: (emitData) => { current = connect(emitData); },
    detach: () => { current?.close(); current = null; },
  });

  return {
    path,
    binding: simulatorBinding,
    done,
    error: () => failure,
    position: () => p,
    connect,
    close() {
      abort.abort();
      ports.remove(path);
      if (p < steps.length && !failure) {
        fail(new TranscriptError('replay_incomplete', steps[p]!.line, 'the host stopped before the transcript ended'));
      }
    },
  };
}
