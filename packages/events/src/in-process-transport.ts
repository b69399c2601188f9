/**
 * The embedded-mode broker: one process, no NATS. It keeps JetStream's
 * consumer semantics (durables see stream history, explicit acks, redelivery
 * with backoff, dead letters, msgId deduplication) but holds everything in
 * memory, so `publish` resolves only once every active subscriber has applied
 * (acked) or dead-lettered the message: the outbox row it came from is the
 * only durable copy.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  deadLetterOf,
  encodeJson,
  fallbackLogger,
  orderingKeyOf,
  resolveConsumerOptions,
  runHandler,
  type EventLogger,
  type ResolvedConsumerOptions,
} from './consumer-policy.js';
import { KeyedDispatcher } from './dispatcher.js';
import { assertFilterSubject, assertPublishSubject, deadLetterSubject, streamForSubject, subjectMatches } from './subjects.js';
import {
  STREAMS,
  type ConsumerOptions,
  type DeadLetter,
  type Delivery,
  type EventEnvelope,
  type EventTransport,
  type PublishOptions,
  type StreamName,
  type Subscription,
  type WatchListener,
} from './transport.js';

export type InProcessTransport = EventTransport & {
  /** Every message dead-lettered so far, oldest first. */
  deadLetters(): DeadLetter[];
};

export interface InProcessTransportOptions {
  logger?: EventLogger;
  /** Like JetStream's duplicate_window (default 2 minutes). */
  dedupeWindowMs?: number;
  /**
   * Messages kept per stream for durables that subscribe later (default
   * 10,000); the oldest are dropped first, like a JetStream stream with
   * max_msgs and discard old.
   */
  maxMessagesPerStream?: number;
}

interface StoredMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
}

interface StreamLog {
  name: StreamName;
  /** messages[i].seq === firstSeq + i */
  messages: StoredMessage[];
  firstSeq: number;
  nextSeq: number;
  /** msgId -> expiry time; insertion order is expiry order, so expired ids sit at the front. */
  recentMsgIds: Map<string, number>;
}

interface DurableState {
  name: string;
  stream: StreamLog;
  filterSubject: string;
  /** Every seq below this is done for this durable (or outside its filter). */
  floor: number;
  /** Acked or dead-lettered seqs at or above `floor`. */
  done: Set<number>;
  deliveryCounts: Map<number, number>;
  /** Failed messages wait until this time before redelivery. */
  notBefore: Map<number, number>;
  /** Seqs taken by a subscription: running, or waiting behind their key. */
  inFlight: Set<number>;
  subscriptions: Set<ActiveSubscription>;
  /** Publishers waiting for a seq to be done. */
  waiters: Map<number, (() => void)[]>;
  /** Resolved (and replaced) whenever workers should look for work again. */
  changed: Deferred;
}

interface ActiveSubscription {
  options: ResolvedConsumerOptions;
  stopping: boolean;
  worker: Promise<void>;
  dispatcher: KeyedDispatcher;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const DEFAULT_DEDUPE_WINDOW_MS = 2 * 60_000;
const DEFAULT_MAX_MESSAGES_PER_STREAM = 10_000;

export function createInProcessTransport(options: InProcessTransportOptions = {}): InProcessTransport {
  const logger = options.logger ?? fallbackLogger;
  const dedupeWindowMs = options.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS;
  const maxMessagesPerStream = options.maxMessagesPerStream ?? DEFAULT_MAX_MESSAGES_PER_STREAM;
  if (!Number.isInteger(maxMessagesPerStream) || maxMessagesPerStream < 1) {
    throw new Error(`expected maxMessagesPerStream to be an integer >= 1, got ${maxMessagesPerStream}`);
  }

  const streams = new Map<StreamName, StreamLog>();
  for (const name of Object.keys(STREAMS) as StreamName[]) {
    streams.set(name, { name, messages: [], firstSeq: 1, nextSeq: 1, recentMsgIds: new Map() });
  }
  const durables = new Map<string, DurableState>();
  const deadLetters: DeadLetter[] = [];
  /**
   * The durables whose handlers are running the current code. A handler that
   * publishes must not wait for its own durable (its delivery may sit behind
   * the handler's key, or the durable may have no room left, so it could
   * wait for itself), nor for any durable up the chain.
   */
  const handlingChain = new AsyncLocalStorage<ReadonlySet<DurableState>>();
  const watchers = new Set<{ filterSubject: string; listener: WatchListener }>();
  let closed = false;

  function streamLog(name: StreamName): StreamLog {
    const log = streams.get(name);
    if (!log) throw new Error(`unknown stream ${name}`);
    return log;
  }

  function wake(durable: DurableState): void {
    const previous = durable.changed;
    durable.changed = deferred();
    previous.resolve();
  }

  function append(log: StreamLog, subject: string, data: Uint8Array): number {
    const seq = log.nextSeq++;
    log.messages.push({ seq, subject, data });
    while (log.messages.length > maxMessagesPerStream) {
      const dropped = log.messages.shift();
      log.firstSeq++;
      if (!dropped) break;
      for (const durable of durables.values()) {
        if (durable.stream !== log || !subjectMatches(durable.filterSubject, dropped.subject)) continue;
        if (dropped.seq >= durable.floor && !durable.done.has(dropped.seq)) {
          logger.error(
            { stream: log.name, durable: durable.name, subject: dropped.subject, seq: dropped.seq, maxMessagesPerStream },
            'stream limit reached: dropped a message this durable has not processed',
          );
        }
        finish(durable, dropped.seq);
      }
    }
    return seq;
  }

  /** Marks a seq done for a durable: wakes its publishers and moves the floor up. */
  function finish(durable: DurableState, seq: number): void {
    if (seq >= durable.floor) durable.done.add(seq);
    durable.deliveryCounts.delete(seq);
    durable.notBefore.delete(seq);
    const waiting = durable.waiters.get(seq);
    durable.waiters.delete(seq);
    waiting?.forEach((resolve) => resolve());
    advanceFloor(durable);
  }

  function advanceFloor(durable: DurableState): void {
    const log = durable.stream;
    if (durable.floor < log.firstSeq) durable.floor = log.firstSeq;
    while (durable.floor < log.nextSeq) {
      const message = log.messages[durable.floor - log.firstSeq];
      const skip = durable.done.has(durable.floor) || !message || !subjectMatches(durable.filterSubject, message.subject);
      if (!skip) break;
      durable.done.delete(durable.floor);
      durable.floor++;
    }
    for (const seq of durable.done) if (seq < durable.floor) durable.done.delete(seq);
  }

  type Pick = { message: StoredMessage } | { wakeAt: number | undefined };

  function pickNext(durable: DurableState, now: number): Pick {
    advanceFloor(durable);
    const log = durable.stream;
    let wakeAt: number | undefined;
    for (let seq = durable.floor; seq < log.nextSeq; seq++) {
      const message = log.messages[seq - log.firstSeq];
      if (!message || durable.done.has(seq) || durable.inFlight.has(seq)) continue;
      if (!subjectMatches(durable.filterSubject, message.subject)) continue;
      const notBefore = durable.notBefore.get(seq) ?? 0;
      if (notBefore <= now) return { message };
      wakeAt = wakeAt === undefined ? notBefore : Math.min(wakeAt, notBefore);
    }
    return { wakeAt };
  }

  /** Takes due messages while the subscription has room, in stream order; the dispatcher runs them. */
  async function runWorker(durable: DurableState, subscription: ActiveSubscription): Promise<void> {
    // The publishers this worker's handlers must not wait for: its own durable and the chain it was started in.
    const chain = new Set(handlingChain.getStore());
    chain.add(durable);
    const { dispatcher } = subscription;
    while (!subscription.stopping) {
      const changed = durable.changed.promise;
      if (!dispatcher.hasRoom()) {
        // stop() wakes the durable, so this ends on stop too.
        await Promise.race([dispatcher.room(), changed]);
        continue;
      }
      const pick = pickNext(durable, Date.now());
      if ('message' in pick) {
        take(durable, subscription, chain, pick.message);
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout =
        pick.wakeAt === undefined
          ? undefined
          : new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(pick.wakeAt! - Date.now(), 0))));
      await (timeout ? Promise.race([changed, timeout]) : changed);
      clearTimeout(timer);
    }
    await dispatcher.close();
  }

  /** Counts a delivery of `message` and hands it to the subscription's dispatcher. */
  function take(durable: DurableState, subscription: ActiveSubscription, chain: ReadonlySet<DurableState>, message: StoredMessage): void {
    const { options, dispatcher } = subscription;
    const { seq, subject } = message;
    const deliveryCount = (durable.deliveryCounts.get(seq) ?? 0) + 1;
    durable.deliveryCounts.set(seq, deliveryCount);
    durable.inFlight.add(seq);
    const delivery: Delivery = { subject, data: message.data.slice(), deliveryCount };
    dispatcher.dispatch(orderingKeyOf(options, delivery, logger), {
      run: () => deliver(durable, options, chain, seq, delivery),
      release: () => {
        // Never started: not a delivery (deliveryCount stays the number of handler runs).
        durable.inFlight.delete(seq);
        if (deliveryCount > 1) durable.deliveryCounts.set(seq, deliveryCount - 1);
        else durable.deliveryCounts.delete(seq);
        wake(durable);
      },
    });
  }

  async function deliver(
    durable: DurableState,
    options: ResolvedConsumerOptions,
    chain: ReadonlySet<DurableState>,
    seq: number,
    delivery: Delivery,
  ): Promise<void> {
    const { subject, deliveryCount } = delivery;
    const outcome = await handlingChain.run(chain, () => runHandler(options, delivery));
    durable.inFlight.delete(seq);
    const context = { durable: durable.name, subject, seq, deliveryCount };
    switch (outcome.kind) {
      case 'ack':
        finish(durable, seq);
        break;
      case 'retry':
        logger.warn({ ...context, reason: outcome.reason, retryInMs: outcome.delayMs }, 'event handler failed; will redeliver');
        durable.notBefore.set(seq, Date.now() + outcome.delayMs);
        wake(durable);
        break;
      case 'dead-letter': {
        const letter = deadLetterOf(durable.name, delivery, outcome.reason);
        logger.error({ ...context, reason: outcome.reason }, 'event dead-lettered');
        deadLetters.push(letter);
        // Stored like any other message; like a JetStream PubAck, storing is
        // enough: waiting for dead-letter subscribers could wait on ourselves.
        const dlqSubject = deadLetterSubject(durable.name);
        const dlqLog = streamLog('DEAD_LETTERS');
        append(dlqLog, dlqSubject, encodeJson(letter));
        wakeMatching(dlqLog, dlqSubject);
        finish(durable, seq);
        options.onDeadLetter?.(outcome.cause);
        break;
      }
    }
  }

  function wakeMatching(log: StreamLog, subject: string): DurableState[] {
    const matching: DurableState[] = [];
    for (const durable of durables.values()) {
      if (durable.stream === log && subjectMatches(durable.filterSubject, subject)) {
        matching.push(durable);
        wake(durable);
      }
    }
    return matching;
  }

  function isDuplicate(log: StreamLog, msgId: string, now: number): boolean {
    for (const [id, expiresAt] of log.recentMsgIds) {
      if (expiresAt > now) break;
      log.recentMsgIds.delete(id);
    }
    if (log.recentMsgIds.has(msgId)) return true;
    log.recentMsgIds.set(msgId, now + dedupeWindowMs);
    return false;
  }

  async function stopSubscription(durable: DurableState, subscription: ActiveSubscription): Promise<void> {
    if (!subscription.stopping) {
      subscription.stopping = true;
      wake(durable);
    }
    await subscription.worker;
    durable.subscriptions.delete(subscription);
    if (durable.subscriptions.size === 0) {
      // Nobody will apply these until the durable subscribes again; the
      // messages stay in the stream for that, as in JetStream.
      for (const waiting of durable.waiters.values()) waiting.forEach((resolve) => resolve());
      durable.waiters.clear();
    }
  }

  return {
    kind: 'in-process',

    async publish(subject: string, envelope: EventEnvelope, publishOptions?: PublishOptions): Promise<void> {
      if (closed) throw new Error(`in-process transport is closed; cannot publish to "${subject}"`);
      assertPublishSubject(subject);
      const streamName = streamForSubject(subject);
      if (!streamName) {
        throw new Error(`no stream covers subject "${subject}"; expected one of ${Object.values(STREAMS).join(', ')}`);
      }
      const log = streamLog(streamName);
      const msgId = publishOptions?.msgId ?? envelope.id;
      if (isDuplicate(log, msgId, Date.now())) return;
      const seq = append(log, subject, encodeJson(envelope));
      for (const { filterSubject, listener } of watchers) {
        if (subjectMatches(filterSubject, subject)) listener.next(subject, envelope);
      }
      const chain = handlingChain.getStore();
      const applied: Promise<void>[] = [];
      for (const durable of wakeMatching(log, subject)) {
        if (durable.subscriptions.size === 0 || chain?.has(durable) || seq < durable.floor) continue;
        const done = deferred();
        const waiting = durable.waiters.get(seq) ?? [];
        waiting.push(done.resolve);
        durable.waiters.set(seq, waiting);
        applied.push(done.promise);
      }
      await Promise.all(applied);
    },

    async subscribe(consumerOptions: ConsumerOptions): Promise<Subscription> {
      if (closed) throw new Error(`in-process transport is closed; cannot subscribe "${consumerOptions.durable}"`);
      const resolved = resolveConsumerOptions(consumerOptions);
      const log = streamLog(resolved.stream);
      // Durable names are per stream, as in JetStream.
      const key = `${resolved.stream}/${resolved.durable}`;
      let durable = durables.get(key);
      if (durable && durable.filterSubject !== resolved.filterSubject) {
        // Like a JetStream consumer update: the new filter applies from the durable's position on.
        logger.info(
          { durable: durable.name, stream: resolved.stream, from: durable.filterSubject, to: resolved.filterSubject },
          'consumer updated',
        );
        durable.filterSubject = resolved.filterSubject;
        wake(durable);
      }
      if (!durable) {
        durable = {
          name: resolved.durable,
          stream: log,
          filterSubject: resolved.filterSubject,
          floor: log.firstSeq,
          done: new Set(),
          deliveryCounts: new Map(),
          notBefore: new Map(),
          inFlight: new Set(),
          subscriptions: new Set(),
          waiters: new Map(),
          changed: deferred(),
        };
        durables.set(key, durable);
      }
      const state = durable;
      const subscription: ActiveSubscription = {
        options: resolved,
        stopping: false,
        worker: Promise.resolve(),
        dispatcher: new KeyedDispatcher(resolved.concurrency, (error) => {
          logger.error({ durable: resolved.durable, err: error }, 'in-process delivery failed unexpectedly');
        }),
      };
      subscription.worker = runWorker(state, subscription).catch((error: unknown) => {
        logger.error({ durable: state.name, err: error }, 'in-process consumer stopped unexpectedly');
      });
      state.subscriptions.add(subscription);
      return { stop: () => stopSubscription(state, subscription) };
    },

    watch(filterSubject: string, listener: WatchListener) {
      if (closed) return Promise.reject(new Error(`in-process transport is closed; cannot watch "${filterSubject}"`));
      assertFilterSubject(filterSubject);
      // Nothing is ever missed in one process, so `gap` is never called.
      const watcher = { filterSubject, listener };
      watchers.add(watcher);
      return Promise.resolve({ stop: () => Promise.resolve(void watchers.delete(watcher)) });
    },

    isHealthy(): Promise<boolean> {
      return Promise.resolve(!closed);
    },

    unprocessed(): Promise<number> {
      let count = 0;
      for (const durable of durables.values()) {
        if (durable.subscriptions.size === 0) continue;
        advanceFloor(durable);
        const log = durable.stream;
        for (let seq = durable.floor; seq < log.nextSeq; seq++) {
          const message = log.messages[seq - log.firstSeq];
          if (message && !durable.done.has(seq) && subjectMatches(durable.filterSubject, message.subject)) count++;
        }
      }
      return Promise.resolve(count);
    },

    async close(): Promise<void> {
      closed = true;
      watchers.clear();
      const stopping: Promise<void>[] = [];
      for (const durable of durables.values()) {
        for (const subscription of durable.subscriptions) stopping.push(stopSubscription(durable, subscription));
      }
      await Promise.all(stopping);
    },

    deadLetters(): DeadLetter[] {
      return deadLetters.map((letter) => ({ ...letter }));
    },
  };
}
