import * as v from 'valibot';
import type { SendAccepted, SmsService } from '../../core/services.ts';
import type { Store } from '../../core/store.ts';
import { validationError } from '../api/errors.ts';
import { sendBody } from '../../core/send.ts';
import { queueSend } from '../api/routes/sms.ts';
import { ApiError } from '../api/service.ts';
import type { Ledger } from './ledger.ts';

export interface DoorSendDeps<M> {
  sms: () => SmsService | undefined;
  store: Store;
  ledger: Ledger<M>;
  now: () => number;
}

/**
 * A door's send, translated into smsedge's own send body: validated exactly as POST /sms/send
 * validates it (a 400 ApiError naming smsedge's field: the door renames it into its own), queued
 * through the same path, and recorded in the door's ledger in the same transaction, so a crash
 * keeps the message and the door's record of it together or neither.
 *
 * @example
 * const accepted = doorSend(deps, { to: ['+15550100100'], text: 'hi' }, (a) => a.map((m) => ({ messageId: m.id, doorId: m.id })));
 */
export function doorSend<M>(
  deps: DoorSendDeps<M>,
  body: Record<string, unknown>,
  record: (accepted: SendAccepted[]) => { messageId: string; doorId: string; meta?: M }[],
): SendAccepted[] {
  const parsed = v.safeParse(sendBody, body);
  if (!parsed.success) throw validationError(parsed.issues, 'body');
  const sms = deps.sms();
  if (!sms) throw new ApiError(503, 'sms_unavailable', 'no modem plugin is running');
  return deps.store.transaction(() => {
    const accepted = queueSend(sms, deps.store, parsed.output);
    deps.ledger.add(record(accepted), deps.now());
    return accepted;
  });
}
