/**
 * What the simulator must not forget: charges, the answers stored under
 * idempotency keys, and the `tok_processingError` attempts counted per key.
 * Every change is a `LedgerChange`; the simulator applies a request's changes
 * here and appends the same changes, as one journal entry, to its store
 * (journal.ts), so replaying the journal rebuilds this ledger exactly.
 */
import { z } from 'zod';

export interface ChargeRecord {
  id: string;
  reference: string;
  amount: number;
  currency: string;
  status: 'succeeded' | 'refunded';
}

/** A final answer kept under an idempotency key, with the fingerprint of the request that got it. */
export interface StoredAnswer {
  fingerprint: string;
  status: number;
  body: unknown;
}

export type LedgerChange =
  /** A charge made, or its new state (refunded): the whole record replaces the old one. */
  | { kind: 'charge'; charge: ChargeRecord }
  | { kind: 'answer'; key: string; answer: StoredAnswer }
  /** `tok_processingError` attempts seen for a key; 0 forgets the key. */
  | { kind: 'processingErrorAttempts'; key: string; count: number };

const chargeRecord = z.strictObject({
  id: z.string().min(1),
  reference: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  status: z.enum(['succeeded', 'refunded']),
});

const ledgerChange = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('charge'), charge: chargeRecord }),
  z.strictObject({
    kind: z.literal('answer'),
    key: z.string().min(1),
    answer: z.strictObject({ fingerprint: z.string(), status: z.number().int(), body: z.unknown() }),
  }),
  z.strictObject({ kind: z.literal('processingErrorAttempts'), key: z.string().min(1), count: z.number().int().min(0) }),
]);

/** One journal entry: the changes of one request, applied together or not at all. */
const ledgerEntry = z.array(ledgerChange).min(1);

/** A journal line's parsed JSON as a ledger entry, or undefined when it is not one. */
export function parseLedgerEntry(value: unknown): LedgerChange[] | undefined {
  const parsed = ledgerEntry.safeParse(value);
  // z.unknown() types `body` as optional; a stored answer always has the key (JSON keeps null, and undefined bodies are never stored).
  return parsed.success ? (parsed.data as LedgerChange[]) : undefined;
}

export class Ledger {
  /** In creation order (a Map keeps the first insertion's place when a charge is updated). */
  readonly charges = new Map<string, ChargeRecord>();
  readonly answers = new Map<string, StoredAnswer>();
  readonly processingErrorAttempts = new Map<string, number>();

  apply(changes: readonly LedgerChange[]): void {
    for (const change of changes) {
      switch (change.kind) {
        case 'charge':
          this.charges.set(change.charge.id, { ...change.charge });
          break;
        case 'answer':
          this.answers.set(change.key, change.answer);
          break;
        case 'processingErrorAttempts':
          if (change.count === 0) this.processingErrorAttempts.delete(change.key);
          else this.processingErrorAttempts.set(change.key, change.count);
          break;
      }
    }
  }

  clear(): void {
    this.charges.clear();
    this.answers.clear();
    this.processingErrorAttempts.clear();
  }
}
