/**
 * A simulated card processor, reached over HTTP the way a real one (Stripe,
 * Adyen…) would be. It exists so the payments service can be built and tested
 * against the failure modes of a remote provider: declines, transient errors,
 * latency, outages, retries and idempotency keys.
 *
 * Its ledger (charges, refunds, stored idempotent answers, `tok_processingError`
 * attempts) is kept in a journal under `dataDir` when one is given, as a real
 * processor keeps charges and idempotency keys across restarts: every change
 * is on disk before the request that made it is answered, so a restart, even
 * after SIGKILL, changes nothing. Without `dataDir` it lives in memory only.
 * Fault settings and counters are never kept. Never point anything real at it.
 */
import { createHash, randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { createMetricsRegistry, type Logger } from '@shop/observability';
import { listen, mountProbes } from '@shop/runtime';
import { memoryStore, openJournal, type EntryStore } from './journal.js';
import { Ledger, parseLedgerEntry, type ChargeRecord, type LedgerChange } from './ledger.js';

export type { ChargeRecord } from './ledger.js';

/** Test card tokens and what they do; a public contract, documented in the README. */
export const TEST_TOKENS = {
  /** Succeeds. */
  visa: 'tok_visa',
  /** Declined with `card_declined`. */
  chargeDeclined: 'tok_chargeDeclined',
  /** Declined with `insufficient_funds`. */
  insufficientFunds: 'tok_insufficientFunds',
  /** 503 `processing_error` on the first two attempts for an idempotency key, then succeeds. */
  processingError: 'tok_processingError',
} as const;

/** How many attempts per idempotency key `tok_processingError` fails before it succeeds. */
export const PROCESSING_ERROR_FAILURES = 2;

export type DeclineCode = 'card_declined' | 'insufficient_funds' | 'invalid_token';

export interface ProviderStats {
  /** Every `POST /v1/charges` that reached the server, whatever it was answered. */
  chargeRequests: number;
  /** Every `POST /v1/refunds` that reached the server, whatever it was answered. */
  refundRequests: number;
}

export interface Faults {
  /** Delay before every charge/refund request is handled. */
  latencyMs: number;
  /** Answer 503 to this many of the next charge/refund requests, before any processing. */
  failNextRequests: number;
  /** Answer every charge/refund request 503 (and `/ready` not ready). */
  down: boolean;
  /**
   * Delay between processing a charge/refund (made and journaled) and sending
   * its answer: the money has moved, the client is still waiting. A client
   * that times out or dies meanwhile must find out from the ledger.
   */
  answerDelayMs: number;
}

export interface PaymentProviderOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string | undefined;
  logger: Logger;
  /**
   * A folder of its own where the ledger is journaled and replayed from on
   * start; one simulator per folder (a lock file enforces it). Unset: memory only.
   */
  dataDir?: string | undefined;
}

export interface RunningPaymentProvider {
  /** Origin, e.g. http://127.0.0.1:4010 */
  readonly url: string;
  readonly port: number;
  /** Same as `POST /_admin/faults`: merges the given settings into the current ones. */
  setFaults(faults: Partial<Faults>): Faults;
  /** Same as `DELETE /_admin/faults`. */
  clearFaults(): void;
  /**
   * Same as `POST /_admin/reset`: forgets charges, refunds, keys, counters and
   * faults (emptying the journal too); drops requests still waiting out
   * injected latency. Resolves once the emptied journal is on disk.
   */
  reset(): Promise<void>;
  /** Same as `GET /_admin/charges`. */
  charges(): ChargeRecord[];
  /** Same as `GET /_admin/stats`. */
  stats(): ProviderStats;
  /** Closes the server and its open connections, then the journal; idempotent. */
  stop(): Promise<void>;
}

const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

const chargeBody = z.object({
  amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be 3 upper-case letters, e.g. EUR'),
  token: z.string().min(1),
  reference: z.string().min(1),
});

const refundBody = z.object({
  charge: z.string().min(1),
});

const faultsBody = z.strictObject({
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  failNextRequests: z.number().int().min(0).optional(),
  down: z.boolean().optional(),
  answerDelayMs: z.number().int().min(0).max(60_000).optional(),
});

/**
 * An HTTP answer; `store` marks final answers kept under the idempotency key,
 * `changes` what it changes in the ledger (a charge made, a processing error counted…).
 */
interface Answer {
  status: number;
  body: unknown;
  store: boolean;
  changes: LedgerChange[];
}

const NO_FAULTS: Faults = { latencyMs: 0, failNextRequests: 0, down: false, answerDelayMs: 0 };

/**
 * Runs tasks for the same key one after another (a per-key promise chain), so
 * two concurrent requests with one idempotency key cannot both charge.
 */
class KeyedSerializer {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

function fingerprint(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`).join('; ');
}

/** A processor's own I/O takes time, during which other requests run: this is what makes the per-key serialization matter. */
function processingTick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2));
}

export async function startPaymentProvider(options: PaymentProviderOptions): Promise<RunningPaymentProvider> {
  const { logger } = options;
  const ledger = new Ledger();
  let store: EntryStore<LedgerChange[]> = memoryStore();
  if (options.dataDir) {
    const journal = await openJournal(options.dataDir, parseLedgerEntry);
    for (const entry of journal.entries) ledger.apply(entry);
    store = journal.store;
    if (journal.droppedBytes > 0) {
      logger.warn({ journal: journal.store.path, droppedBytes: journal.droppedBytes }, 'dropped the last journal line, cut short by a crash before it was answered');
    }
    logger.info(
      { journal: journal.store.path, entries: journal.entries.length, charges: ledger.charges.size, idempotencyKeys: ledger.answers.size },
      'payment provider ledger replayed',
    );
  }
  const stats: ProviderStats = { chargeRequests: 0, refundRequests: 0 };
  let faults: Faults = { ...NO_FAULTS };
  const serializer = new KeyedSerializer();
  /** Pending latency sleeps, woken early by `stop()` and `reset()`. */
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  let stopped = false;
  /** Bumped by reset(): requests still waiting out injected latency from before a reset are dropped. */
  let generation = 0;

  function reset(): Promise<void> {
    generation += 1;
    for (const sleeper of [...sleepers]) sleeper.wake();
    ledger.clear();
    stats.chargeRequests = 0;
    stats.refundRequests = 0;
    faults = { ...NO_FAULTS };
    return store.truncate();
  }

  /**
   * Applies changes to the ledger at once (so the next request sees them: two
   * refunds of one charge cannot both pass the check), and resolves once they
   * are on disk: no answer may tell a client about a change a crash could undo.
   */
  function record(changes: LedgerChange[]): Promise<void> {
    ledger.apply(changes);
    return store.append(changes);
  }

  function setFaults(changes: Partial<Faults>): Faults {
    faults = { ...faults, ...changes };
    logger.info({ faults }, 'payment provider faults set');
    return { ...faults };
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => sleeper.wake(), ms),
        wake: () => {
          clearTimeout(sleeper.timer);
          sleepers.delete(sleeper);
          resolve();
        },
      };
      sleepers.add(sleeper);
    });
  }

  /**
   * Charges as of now, answered once they are on disk: a search must not
   * show a charge that a crash in the next millisecond would take back.
   */
  async function durableCharges(filter: (charge: ChargeRecord) => boolean = () => true): Promise<ChargeRecord[]> {
    const snapshot = [...ledger.charges.values()].filter(filter).map((charge) => ({ ...charge }));
    await store.synced();
    return snapshot;
  }

  function send(res: Response, answer: { status: number; body: unknown }, replayed = false): void {
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res.status(answer.status).json(answer.body);
  }

  /** Counts the request; while `down`, answers 503 before even reading it. */
  function arrive(kind: 'charge' | 'refund') {
    return (_req: Request, res: Response, next: NextFunction): void => {
      if (kind === 'charge') stats.chargeRequests += 1;
      else stats.refundRequests += 1;
      if (faults.down) {
        send(res, { status: 503, body: { error: 'service_unavailable' } });
        return;
      }
      next();
    };
  }

  /**
   * Injected latency, then injected failures, before any processing. Runs
   * after the body was read: a request whose client gave up (timed out)
   * while it waited is still processed, as a real processor would.
   */
  async function injectFaults(_req: Request, res: Response, next: NextFunction): Promise<void> {
    const startedIn = generation;
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (stopped || startedIn !== generation) {
      send(res, { status: 503, body: { error: 'service_unavailable' } });
      return;
    }
    if (faults.failNextRequests > 0) {
      faults.failNextRequests -= 1;
      send(res, { status: 503, body: { error: 'service_unavailable' } });
      return;
    }
    next();
  }

  /** The `Idempotency-Key` header, or undefined after answering 400. */
  function requireIdempotencyKey(req: Request, res: Response): string | undefined {
    const key = req.get('Idempotency-Key');
    if (!key || key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
      send(res, {
        status: 400,
        body: { error: 'invalid_request', message: `Idempotency-Key header required (1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters)` },
      });
      return undefined;
    }
    return key;
  }

  /**
   * Stripe-like idempotency: the first final answer under a key is stored with
   * the request's fingerprint; the same request replays it, another request
   * with that key gets 422. Transient answers (503) are not stored, so a retry
   * runs again. Callers hold the key's place in the serializer (until the
   * answer is durable, so a duplicate never replays an answer not yet on disk).
   *
   * `decide` reads the ledger and must not await: deciding and recording in
   * one synchronous step is what keeps two requests from deciding on the same state.
   */
  async function idempotent(res: Response, key: string, requestFingerprint: string, decide: () => Answer): Promise<void> {
    const stored = ledger.answers.get(key);
    if (stored) {
      if (stored.fingerprint !== requestFingerprint) {
        send(res, { status: 422, body: { error: 'idempotency_key_reused' } });
      } else {
        send(res, stored, true);
      }
      return;
    }
    await processingTick();
    const answer = decide();
    const stores: LedgerChange[] = answer.store ? [{ kind: 'answer', key, answer: { fingerprint: requestFingerprint, status: answer.status, body: answer.body } }] : [];
    const changes = [...answer.changes, ...stores];
    // One journal entry for the charge and the answer stored with it: a crash keeps both or neither, never a charge its key does not replay.
    if (changes.length > 0) await record(changes);
    if (faults.answerDelayMs > 0) await sleep(faults.answerDelayMs);
    send(res, answer);
  }

  function createCharge(data: z.infer<typeof chargeBody>, extraChanges: LedgerChange[] = []): Answer {
    const charge: ChargeRecord = {
      id: `ch_${randomUUID()}`,
      reference: data.reference,
      amount: data.amount,
      currency: data.currency,
      status: 'succeeded',
    };
    logger.info({ chargeId: charge.id, reference: charge.reference, amount: charge.amount, currency: charge.currency }, 'charge succeeded');
    return {
      status: 201,
      body: { id: charge.id, status: 'succeeded', amount: charge.amount, currency: charge.currency, reference: charge.reference },
      store: true,
      changes: [{ kind: 'charge', charge }, ...extraChanges],
    };
  }

  function decline(code: DeclineCode, reference: string): Answer {
    logger.info({ reference, code }, 'charge declined');
    return { status: 402, body: { status: 'failed', code }, store: true, changes: [] };
  }

  function decideCharge(key: string, data: z.infer<typeof chargeBody>): Answer {
    switch (data.token) {
      case TEST_TOKENS.visa:
        return createCharge(data);
      case TEST_TOKENS.chargeDeclined:
        return decline('card_declined', data.reference);
      case TEST_TOKENS.insufficientFunds:
        return decline('insufficient_funds', data.reference);
      case TEST_TOKENS.processingError: {
        const seen = ledger.processingErrorAttempts.get(key) ?? 0;
        if (seen < PROCESSING_ERROR_FAILURES) {
          logger.info({ reference: data.reference, attempt: seen + 1 }, 'charge failed transiently (simulated processing error)');
          // Counted durably: a restart between attempts must not hand out two more failures.
          return { status: 503, body: { error: 'processing_error' }, store: false, changes: [{ kind: 'processingErrorAttempts', key, count: seen + 1 }] };
        }
        return createCharge(data, [{ kind: 'processingErrorAttempts', key, count: 0 }]);
      }
      default:
        return decline('invalid_token', data.reference);
    }
  }

  function decideRefund(chargeId: string): Answer {
    const charge = ledger.charges.get(chargeId);
    if (!charge) return { status: 404, body: { error: 'charge_not_found' }, store: true, changes: [] };
    if (charge.status === 'refunded') return { status: 409, body: { error: 'already_refunded' }, store: true, changes: [] };
    const refundId = `re_${randomUUID()}`;
    logger.info({ refundId, chargeId, reference: charge.reference, amount: charge.amount }, 'charge refunded');
    return {
      status: 201,
      body: { id: refundId, charge: charge.id, status: 'succeeded', amount: charge.amount },
      store: true,
      changes: [{ kind: 'charge', charge: { ...charge, status: 'refunded' } }],
    };
  }

  const app = express();
  app.disable('x-powered-by');
  mountProbes(app, {
    checkReady: async () => {
      if (faults.down) throw new Error('payment provider is down (fault injection)');
      if (store.failure) throw store.failure;
    },
    // Process metrics only: the simulator stands in for a third party.
    metrics: createMetricsRegistry('payment-provider'),
  });

  app.post('/v1/charges', arrive('charge'), express.json(), injectFaults, async (req, res) => {
    const key = requireIdempotencyKey(req, res);
    if (key === undefined) return;
    const parsed = chargeBody.safeParse(req.body);
    if (!parsed.success) {
      send(res, { status: 400, body: { error: 'invalid_request', message: describeIssues(parsed.error) } });
      return;
    }
    const data = parsed.data;
    const print = fingerprint(['POST /v1/charges', data.amount, data.currency, data.token, data.reference]);
    await serializer.run(key, () => idempotent(res, key, print, () => decideCharge(key, data)));
  });

  app.post('/v1/refunds', arrive('refund'), express.json(), injectFaults, async (req, res) => {
    const key = requireIdempotencyKey(req, res);
    if (key === undefined) return;
    const parsed = refundBody.safeParse(req.body);
    if (!parsed.success) {
      send(res, { status: 400, body: { error: 'invalid_request', message: describeIssues(parsed.error) } });
      return;
    }
    const chargeId = parsed.data.charge;
    const print = fingerprint(['POST /v1/refunds', chargeId]);
    await serializer.run(key, () => idempotent(res, key, print, () => decideRefund(chargeId)));
  });

  // Charges made for a reference (an order id): how a client that lost an
  // answer (timeout) finds out whether a charge landed, as with a real
  // processor's search API.
  app.get('/v1/charges', injectFaults, async (req, res) => {
    const reference = typeof req.query['reference'] === 'string' ? req.query['reference'] : '';
    if (!reference) {
      send(res, { status: 400, body: { error: 'invalid_request', message: 'reference query parameter is required' } });
      return;
    }
    res.json({ data: await durableCharges((charge) => charge.reference === reference) });
  });

  // Test controls. Unauthenticated on purpose: this is a simulator.
  app.get('/_admin/faults', (_req, res) => {
    res.json(faults);
  });
  app.post('/_admin/faults', express.json(), (req, res) => {
    const parsed = faultsBody.safeParse(req.body);
    if (!parsed.success) {
      send(res, { status: 400, body: { error: 'invalid_request', message: describeIssues(parsed.error) } });
      return;
    }
    const changes: Partial<Faults> = {};
    if (parsed.data.latencyMs !== undefined) changes.latencyMs = parsed.data.latencyMs;
    if (parsed.data.failNextRequests !== undefined) changes.failNextRequests = parsed.data.failNextRequests;
    if (parsed.data.down !== undefined) changes.down = parsed.data.down;
    if (parsed.data.answerDelayMs !== undefined) changes.answerDelayMs = parsed.data.answerDelayMs;
    res.json(setFaults(changes));
  });
  app.delete('/_admin/faults', (_req, res) => {
    faults = { ...NO_FAULTS };
    res.json(faults);
  });
  app.get('/_admin/charges', async (_req, res) => {
    res.json(await durableCharges());
  });
  app.get('/_admin/stats', (_req, res) => {
    res.json(stats);
  });
  app.post('/_admin/reset', async (_req, res) => {
    await reset();
    res.status(204).end();
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : 500;
    if (status >= 400 && status < 500) {
      // Body parser errors: malformed JSON, too large, wrong charset…
      send(res, { status: 400, body: { error: 'invalid_request', message: error instanceof Error ? error.message : 'bad request' } });
      return;
    }
    logger.error({ err: error }, 'payment provider simulator failed');
    send(res, { status: 500, body: { error: 'internal_error' } });
  });

  let listening: Awaited<ReturnType<typeof listen>>;
  try {
    listening = await listen(app, options.port, options.host);
  } catch (error) {
    await store.close(); // lets the data folder go: a start on a taken port leaves nothing locked
    throw error;
  }
  let stopping: Promise<void> | undefined;

  return {
    url: listening.origin,
    port: listening.port,
    setFaults,
    clearFaults: () => {
      faults = { ...NO_FAULTS };
    },
    reset,
    charges: () => [...ledger.charges.values()].map((charge) => ({ ...charge })),
    stats: () => ({ ...stats }),
    stop: () => {
      stopping ??= new Promise<void>((resolve, reject) => {
        stopped = true;
        for (const sleeper of [...sleepers]) sleeper.wake();
        listening.httpServer.close((error) => (error ? reject(error) : resolve()));
        listening.httpServer.closeAllConnections();
      }).finally(() => store.close());
      return stopping;
    },
  };
}
