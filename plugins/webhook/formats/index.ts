import { callstack } from './callstack.ts';
import { cloudevents } from './cloudevents.ts';
import { smsGateway } from './sms-gateway.ts';
import { standard } from './standard.ts';
import type { FormatName, Formatter } from './types.ts';

export const formatters: Record<FormatName, Formatter> = {
  standard,
  callstack,
  'sms-gateway': smsGateway,
  cloudevents,
};

export { formatNames, type FormatName, type FormatInput, type Formatted, type Formatter } from './types.ts';
