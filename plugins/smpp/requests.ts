import type { Logger } from '../../core/log.ts';
import type { OutboundStatus } from '../../core/services.ts';
import { MESSAGE_STATE } from './deliver.ts';
import { status, type Pdu } from './pdu.ts';
import type { SubmitRow } from './schema.ts';
import type { Session } from './session.ts';
import { submit, type SubmitDeps } from './submit.ts';

const STATE_OF: Record<OutboundStatus, number> = {
  queued: MESSAGE_STATE.ENROUTE,
  sending: MESSAGE_STATE.ENROUTE,
  sent: MESSAGE_STATE.ENROUTE,
  delivered: MESSAGE_STATE.DELIVERED,
  failed: MESSAGE_STATE.UNDELIVERABLE,
  expired: MESSAGE_STATE.EXPIRED,
  cancelled: MESSAGE_STATE.DELETED,
};

/** SMPP 3.4 7.1.1 absolute time in UTC (`YYMMDDhhmmss000+`), for query_sm_resp's final_date. */
function smppDate(iso: string | undefined): string {
  if (!iso) return '';
  return new Date(iso).toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6000+');
}

/** Handles a bound session's submit_sm, query_sm and cancel_sm; anything else is not supported. */
export function requestHandler(deps: SubmitDeps & { log: Logger; counted(account: string, status: number): void }) {
  /** The account's own submit of that id (another account's ids are unknown to it). */
  const own = (session: Session, pdu: Pdu): SubmitRow | undefined => {
    const row = deps.submits.get(String(pdu.message_id ?? ''));
    return row?.account === session.bound!.account ? row : undefined;
  };

  return (session: Session, pdu: Pdu): void => {
    const account = session.bound!.account;
    switch (pdu.command) {
      case 'submit_sm': {
        const answer = submit(pdu, account, deps);
        deps.counted(account, answer.status);
        if (answer.status !== status.ESME_ROK) deps.log.info({ session: session.id, account, status: answer.status, reason: answer.reason }, 'submit_sm refused');
        return session.respond(pdu, answer.status, answer.messageId ? { message_id: answer.messageId } : {});
      }
      case 'query_sm': {
        const row = own(session, pdu);
        if (!row) return session.respond(pdu, status.ESME_RINVMSGID);
        const message = row.messageId ? deps.sms()?.getMessage(row.messageId) : undefined;
        let state: number = row.state === 'rejected' ? MESSAGE_STATE.REJECTED : MESSAGE_STATE.ENROUTE;
        let finalDate = '';
        let errorCode = 0;
        if (message?.direction === 'outbound') {
          state = STATE_OF[message.status];
          finalDate = smppDate(message.deliveredAt ?? message.failedAt ?? message.cancelledAt);
          errorCode = (message.error?.code ?? 0) & 0xff;
        } else if (row.state === 'queued') {
          state = MESSAGE_STATE.UNKNOWN; // the agent no longer has the message
        }
        return session.respond(pdu, status.ESME_ROK, { message_id: row.smppId, final_date: finalDate, message_state: state, error_code: errorCode });
      }
      case 'cancel_sm': {
        const row = own(session, pdu);
        if (!row) return session.respond(pdu, status.ESME_RINVMSGID);
        if (row.state === 'waiting') {
          // A part of a message not complete yet: the whole message is given up.
          deps.store.transaction(() => deps.submits.reject(deps.submits.waiting(row.concatKey!).map((p) => p.smppId)));
          return session.respond(pdu, status.ESME_ROK);
        }
        if (row.state !== 'queued' || !row.messageId) return session.respond(pdu, status.ESME_RCANCELFAIL);
        const sms = deps.sms();
        if (!sms) return session.respond(pdu, status.ESME_RSYSERR);
        try {
          // The same path as DELETE /sms/messages/:id: only a message still queued is cancelled.
          sms.cancel(row.messageId);
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === 'message_not_queued' || code === 'not_found') return session.respond(pdu, status.ESME_RCANCELFAIL);
          throw error;
        }
        return session.respond(pdu, status.ESME_ROK);
      }
      default:
        // replace_sm, submit_multi, data_sm, broadcast_sm ...: known to SMPP, not offered here.
        return session.respond(pdu, status.ESME_RINVCMDID);
    }
  };
}
