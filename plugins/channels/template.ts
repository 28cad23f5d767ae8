import type { AnyEvent } from '../../core/events.ts';

/**
 * The placeholders a channel or reply template may use. Each is filled from the event; one the event
 * does not carry (`{reason}` of a received SMS) becomes the empty string.
 */
export const placeholders = ['id', 'type', 'time', 'from', 'to', 'number', 'text', 'modem', 'receivedAt', 'parts', 'reason', 'status', 'tags', 'agent'] as const;

export type Placeholder = (typeof placeholders)[number];

const pattern = /(?<!\{)\{([A-Za-z]+)\}(?!\})/g;

/**
 * The placeholders in `template` that are not known: a config check names them, so a typo
 * (`{form}`) is refused at start instead of mailing a literal `{form}` for months.
 *
 * @example
 * unknownPlaceholders('SMS from {form}') // ['form']
 */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(pattern)].map((m) => m[1]!).filter((name) => !(placeholders as readonly string[]).includes(name));
}

/** What fills the placeholders: the event, plus what the rules engine knows about it. */
export interface TemplateContext {
  event: AnyEvent;
  tags?: readonly string[];
  agentId?: string;
}

/** The placeholders' values for one event. `number` is the other party: the sender, or the recipient of a sent message. */
export function templateValues({ event, tags = [], agentId = '' }: TemplateContext): Record<Placeholder, string> {
  const d = event.data as unknown as Record<string, unknown>;
  const str = (value: unknown) => (value === undefined || value === null ? '' : String(value));
  const from = str(d.from);
  const to = str(d.to);
  return {
    id: str(d.messageId ?? event.id),
    type: event.type,
    time: event.timestamp,
    from,
    to,
    number: from || to,
    text: str(d.text ?? (typeof d.data === 'string' ? `(binary data, ${d.data.length / 2} bytes)` : '')),
    modem: str(d.modem),
    receivedAt: str(d.receivedAt ?? event.timestamp),
    parts: str(d.parts),
    reason: str(d.reason ?? d.statusText),
    status: str(d.status ?? d.state),
    tags: tags.join(', '),
    agent: agentId,
  };
}

/**
 * Fills `{name}` placeholders; `{{` and `}}` are literal braces. Unknown names are left as written
 * (config validation refuses them before this runs).
 *
 * @example
 * render('SMS from {from}: {text}', values) // 'SMS from +4917012345678: hello'
 */
export function render(template: string, values: Record<string, string>): string {
  // One pass: a value that holds braces is never read as a placeholder.
  return template.replace(/\{\{|\}\}|\{([A-Za-z]+)\}/g, (match, name: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    return name !== undefined && Object.hasOwn(values, name) ? values[name]! : match;
  });
}
