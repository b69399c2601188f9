import { STREAMS, type StreamName } from './transport.js';

/**
 * NATS subject matching: tokens are separated by `.`, `*` in the filter
 * matches exactly one token and `>` (last token only) matches one or more.
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const token = f[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return f.length === s.length;
}

/**
 * True when every subject `filter` can match is also matched by `pattern`
 * (a consumer's filter must lie inside its stream's subjects).
 */
export function filterWithin(filter: string, pattern: string): boolean {
  const f = filter.split('.');
  const p = pattern.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return f.length > i;
    const other = f[i];
    if (other === undefined || other === '>') return false;
    if (token !== '*' && (other === '*' || other !== token)) return false;
  }
  return f.length === p.length;
}

/** The stream whose subjects cover `subject`, if any. */
export function streamForSubject(subject: string): StreamName | undefined {
  for (const [name, pattern] of Object.entries(STREAMS) as [StreamName, string][]) {
    if (subjectMatches(pattern, subject)) return name;
  }
  return undefined;
}

/** Where a durable consumer's dead letters are published (inside the DEAD_LETTERS stream). */
export function deadLetterSubject(durable: string): string {
  return `dlq.${durable}`;
}

/** A subject to publish on: non-empty tokens, no wildcards, no whitespace. */
export function assertPublishSubject(subject: string): void {
  if (!/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(subject)) {
    throw new Error(`expected a publish subject like "orders.placed" (non-empty tokens, no wildcards), got "${subject}"`);
  }
}

/** A consumer filter: non-empty tokens, `*` as a whole token, `>` only as the last token. */
export function assertFilterSubject(filter: string): void {
  const tokens = filter.split('.');
  const valid = tokens.every(
    (token, i) => token === '*' || (token === '>' && i === tokens.length - 1) || /^[^\s.*>]+$/.test(token),
  );
  if (!valid) {
    throw new Error(`expected a subject filter like "orders.>" or "orders.*.placed", got "${filter}"`);
  }
}

/** JetStream durable names: no dots, wildcards or whitespace (they become subject tokens). */
export function assertDurableName(durable: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(durable)) {
    throw new Error(`expected a durable name of letters, digits, "-" and "_", got "${durable}"`);
  }
}
