import * as v from 'valibot';
import { toApiError } from '../errors.ts';
import { ApiError, type RouteDef } from '../service.ts';
import { phone, wellFormed } from './schemas.ts';

/**
 * What the API needs of the `simulator` service the modem plugin provides when it runs on the
 * built-in simulator (see simulator/index.ts).
 */
export interface SimulatorControl {
  receiveSms(input: { from: string; text: string; encoding?: 'auto' | 'gsm7' | 'ucs2'; parts?: number }): unknown;
  incomingCall(from: string): unknown;
  fault(kind: string, options?: { count?: number; ms?: number }): unknown;
}

const accepted = v.object({ ok: v.literal(true) });

const sender = v.union([phone, v.pipe(v.string(), v.regex(/^[A-Za-z0-9 ]{1,11}$/, 'a number or an alphanumeric sender (at most 11)'))], 'a sender');

async function call<T>(work: () => T | Promise<T>): Promise<{ ok: true }> {
  try {
    await work();
    return { ok: true };
  } catch (error) {
    const known = toApiError(error);
    if (known) throw known;
    // The simulator refuses what a real network could not do (an unknown fault kind, text too long for
    // the parts asked for); that is the caller's input, not a bug of the agent.
    if (error instanceof RangeError || (error as { code?: unknown })?.code !== undefined)
      throw new ApiError(400, 'simulator_refused', (error as Error).message);
    throw error;
  }
}

/** POST /simulator/*: drive the built-in simulated modem (mounted only when it is in use). */
export function simulatorRoutes(sim: () => SimulatorControl): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/simulator/sms',
      summary: 'Simulator: deliver an SMS to the agent as if from the network',
      tags: ['simulator'],
      scope: 'admin',
      body: v.strictObject({
        from: sender,
        text: v.pipe(v.string(), v.minLength(1), v.maxLength(1600), wellFormed),
        encoding: v.optional(v.picklist(['auto', 'gsm7', 'ucs2'])),
        parts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10))),
      }),
      status: 202,
      responses: { 202: { description: 'The simulated network delivers it to the modem', schema: accepted } },
      handler: ({ body }) => call(() => sim().receiveSms(body)),
    },
    {
      method: 'POST',
      path: '/simulator/call',
      summary: 'Simulator: ring the modem (the agent records a missed call)',
      tags: ['simulator'],
      scope: 'admin',
      body: v.strictObject({ from: phone }),
      status: 202,
      responses: { 202: { description: 'The modem rings', schema: accepted } },
      handler: ({ body }) => call(() => sim().incomingCall(body.from)),
    },
    {
      method: 'POST',
      path: '/simulator/fault',
      summary: 'Simulator: inject a fault (e.g. unplug, hang, garble)',
      tags: ['simulator'],
      scope: 'admin',
      body: v.strictObject({
        // The simulator knows its kinds (garbage, drop-chars, slow, hang, cms-500, ...) and refuses others: 400.
        kind: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,31}$/, 'a fault kind')),
        count: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000))),
        ms: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(600_000))),
      }),
      status: 202,
      responses: { 202: { description: 'The fault is armed', schema: accepted } },
      handler: ({ body }) => call(() => sim().fault(body.kind, { ...(body.count ? { count: body.count } : {}), ...(body.ms !== undefined ? { ms: body.ms } : {}) })),
    },
  ];
}
