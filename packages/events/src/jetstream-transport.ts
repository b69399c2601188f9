/**
 * EventTransport over NATS JetStream (nats.js 3.x, tested against
 * nats-server 2.9): one file-backed stream per publishing service, durable
 * pull consumers with explicit acks, dead letters on `dlq.<durable>`.
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  deadLetterOf,
  describeError,
  encodeJson,
  fallbackLogger,
  orderingKeyOf,
  resolveConsumerOptions,
  runHandler,
  type EventLogger,
  type Outcome,
  type ResolvedConsumerOptions,
} from './consumer-policy.js';
import { KeyedDispatcher } from './dispatcher.js';
import { assertFilterSubject, assertPublishSubject, deadLetterSubject, streamForSubject } from './subjects.js';
import {
  STREAMS,
  type ConsumerOptions,
  type DeadLetterCause,
  type Delivery,
  type EventEnvelope,
  type EventTransport,
  type PublishOptions,
  type StreamName,
  type Subscription,
  type Watch,
  type WatchListener,
} from './transport.js';

export interface JetStreamTransportOptions {
  /** NATS URL(s), comma-separated, e.g. "nats://127.0.0.1:4222". */
  servers: string;
  /** Connection name shown by the server (e.g. the service name). */
  name: string;
  logger?: EventLogger;
  /** How long `publish` waits for the PubAck before rejecting (default 5 s). */
  publishTimeoutMs?: number;
  /**
   * Consumer ack_wait: a delivery neither acknowledged nor reported in
   * progress for this long is redelivered (default 5 s). Handlers may take
   * longer: the transport reports progress every third of it.
   */
  ackWaitMs?: number;
  /** Pause between reconnect attempts (default 1 s); attempts never stop. */
  reconnectTimeWaitMs?: number;
  /**
   * Lets several deployments or test runs share one server: streams become
   * `<namespace>_ORDERS`, ..., and subjects `<namespace>.orders.>`, ... on the
   * wire. Callers still publish and filter un-prefixed subjects, and
   * deliveries and dead letters carry them un-prefixed.
   */
  namespace?: string;
}

/** How the contract's stream keys and subjects appear on the server. */
interface Naming {
  namespace: string | undefined;
  stream(key: StreamName): string;
  toWire(subject: string): string;
  fromWire(subject: string): string;
}

function naming(namespace: string | undefined): Naming {
  if (namespace === undefined || namespace === '') {
    return { namespace: undefined, stream: (key) => key, toWire: (s) => s, fromWire: (s) => s };
  }
  if (!/^[A-Za-z0-9_-]+$/.test(namespace)) {
    throw new Error(`expected a namespace of letters, digits, "-" and "_" (one subject token), got "${namespace}"`);
  }
  const roots = Object.values(STREAMS).map((subjects) => subjects.split('.')[0]);
  if (roots.includes(namespace)) {
    // "orders.orders.>" would overlap the un-namespaced ORDERS stream.
    throw new Error(`expected a namespace other than the stream subject roots (${roots.join(', ')}), got "${namespace}"`);
  }
  const prefix = `${namespace}.`;
  return {
    namespace,
    stream: (key) => `${namespace}_${key}`,
    toWire: (subject) => prefix + subject,
    fromWire: (subject) => (subject.startsWith(prefix) ? subject.slice(prefix.length) : subject),
  };
}

/** What the transport and its subscriptions share. */
interface Context {
  nc: NatsConnection;
  jsm: JetStreamManager;
  js: JetStreamClient;
  logger: EventLogger;
  naming: Naming;
  servers: string;
  publishTimeoutMs: number;
  ackWaitMs: number;
}

const DUPLICATE_WINDOW_MS = 2 * 60_000;
const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
/** Short, so a crashed process's deliveries come back within seconds; slow handlers are kept alive. */
const DEFAULT_ACK_WAIT_MS = 5_000;
const DEFAULT_RECONNECT_TIME_WAIT_MS = 1_000;
/** JetStream API calls (stream/consumer info, create, update) and health checks. */
const API_TIMEOUT_MS = 5_000;
const HEALTH_TIMEOUT_MS = 2_000;
const DRAIN_TIMEOUT_MS = 5_000;
/** Flushing acks and naks to the server when a subscription stops. */
const FLUSH_TIMEOUT_MS = 2_000;
/** Pause before consume() is started again after it ended on its own. */
const RESTART_DELAY_MS = 500;

const nanos = (ms: number): number => ms * 1_000_000;

export async function connectJetStream(options: JetStreamTransportOptions): Promise<EventTransport> {
  const logger = options.logger ?? fallbackLogger;
  const names = naming(options.namespace);
  const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  if (!Number.isFinite(ackWaitMs) || ackWaitMs < 300) throw new Error(`expected ackWaitMs >= 300, got ${ackWaitMs}`);
  const servers = options.servers.split(',').map((s) => s.trim()).filter(Boolean);

  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: options.name,
      // Services outlive NATS outages: keep trying, quickly, forever.
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? DEFAULT_RECONNECT_TIME_WAIT_MS,
      // Notice a dead server without a TCP close within ~20 s (default is minutes).
      pingInterval: 10_000,
      maxPingOut: 2,
      // Every publish waits for JetStream's acknowledgement through a request, and by default
      // each request builds an Error up front to keep the caller's stack should it fail: a
      // stack capture per event (a few percent of a service's CPU under load). Failures still
      // say what failed (subject, timeout, no responders); only that extra stack is lost.
      noAsyncTraces: true,
    });
  } catch (error) {
    throw new Error(`could not connect to NATS at ${options.servers}: ${describeError(error)}`, { cause: error });
  }

  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc, { timeout: API_TIMEOUT_MS });
    await ensureStreams(jsm, logger, names);
  } catch (error) {
    await nc.close();
    throw new Error(`NATS at ${options.servers} is up but JetStream setup failed: ${describeError(error)}`, { cause: error });
  }
  return new JetStreamTransport({
    nc,
    jsm,
    js: jetstream(nc, { timeout: API_TIMEOUT_MS }),
    logger,
    naming: names,
    servers: options.servers,
    publishTimeoutMs: options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
    ackWaitMs,
  });
}

/**
 * Deletes a namespace's streams (and with them their consumers), e.g. after a
 * test run that used its own namespace. Refuses the un-namespaced streams.
 */
export async function deleteJetStreamNamespace(options: { servers: string; namespace: string }): Promise<void> {
  const names = naming(options.namespace);
  if (!names.namespace) throw new Error('expected a namespace; refusing to delete the un-namespaced streams');
  const nc = await connect({ servers: options.servers.split(',').map((s) => s.trim()) });
  try {
    const jsm = await jetstreamManager(nc, { timeout: API_TIMEOUT_MS });
    for (const key of Object.keys(STREAMS) as StreamName[]) {
      await jsm.streams.delete(names.stream(key)).catch((error: unknown) => {
        if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
      });
    }
  } finally {
    await nc.close();
  }
}

/** Creates the STREAMS or brings their subjects and duplicate window up to date. */
async function ensureStreams(jsm: JetStreamManager, logger: EventLogger, names: Naming): Promise<void> {
  for (const key of Object.keys(STREAMS) as StreamName[]) {
    const name = names.stream(key);
    const subject = names.toWire(STREAMS[key]);
    const wanted = { subjects: [subject], duplicate_window: nanos(DUPLICATE_WINDOW_MS) };
    try {
      const info = await jsm.streams.info(name);
      const { subjects, duplicate_window, storage } = info.config;
      if (storage !== StorageType.File) {
        logger.warn({ stream: name, storage }, 'stream exists with non-file storage; storage cannot be changed in place');
      }
      if (subjects.length !== 1 || subjects[0] !== subject || duplicate_window !== wanted.duplicate_window) {
        await jsm.streams.update(name, wanted);
        logger.info({ stream: name, from: { subjects, duplicate_window }, to: wanted }, 'stream updated');
      }
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
      await jsm.streams.add({ name, storage: StorageType.File, ...wanted });
      logger.info({ stream: name, subjects: wanted.subjects }, 'stream created');
    }
  }
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/** Rejects after `ms`; the late outcome of `promise` is observed so it cannot become an unhandled rejection. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class JetStreamTransport implements EventTransport {
  readonly kind = 'jetstream' as const;
  private connected = true;
  private closing = false;
  private readonly subscriptions = new Set<JetStreamSubscription>();
  private readonly watchers = new Set<WatchListener>();
  /** One stream re-check at a time, shared by everyone who noticed something missing. */
  private repairing: Promise<void> | undefined;

  private readonly nc: NatsConnection;
  private readonly logger: EventLogger;

  constructor(private readonly context: Context) {
    this.nc = context.nc;
    this.logger = context.logger;
    this.watchConnection().catch((error: unknown) => {
      this.logger.error({ err: error }, 'stopped watching the NATS connection status');
    });
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      switch (status.type) {
        case 'disconnect':
          this.connected = false;
          this.logger.warn({ server: status.server }, 'NATS disconnected; reconnecting');
          break;
        case 'reconnect':
          this.connected = true;
          this.logger.info({ server: status.server }, 'NATS reconnected');
          // Plain subscriptions miss what was published while disconnected.
          for (const watcher of this.watchers) watcher.gap?.();
          // A server restarted without its storage has lost the streams and consumers.
          void this.repair();
          break;
        case 'error':
          this.logger.warn({ err: status.error }, 'NATS reported an error');
          break;
        default:
          break;
      }
    }
  }

  /** Recreates missing streams and consumers; never throws (the next trigger retries). */
  repair(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.repairing ??= (async () => {
      try {
        await ensureStreams(this.context.jsm, this.logger, this.context.naming);
        for (const subscription of this.subscriptions) {
          if ((await subscription.ensureConsumer()) === 'created') subscription.restartConsuming();
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'could not verify JetStream streams and consumers; will retry on the next trigger');
      } finally {
        this.repairing = undefined;
      }
    })();
    return this.repairing;
  }

  async publish(subject: string, envelope: EventEnvelope, options?: PublishOptions): Promise<void> {
    if (this.closing || this.nc.isClosed()) {
      throw new Error(`JetStream transport is closed; cannot publish to "${subject}"`);
    }
    assertPublishSubject(subject);
    const stream = streamForSubject(subject);
    if (!stream) {
      throw new Error(`no stream covers subject "${subject}"; expected one of ${Object.values(STREAMS).join(', ')}`);
    }
    // While disconnected the client would buffer the message and send it on
    // reconnect, after we had already reported a failure: fail fast instead.
    if (!this.connected) {
      throw new Error(`NATS at ${this.context.servers} is disconnected; "${subject}" was not published (retry later)`);
    }
    const msgID = options?.msgId ?? envelope.id;
    const { js, naming: names, publishTimeoutMs } = this.context;
    try {
      await js.publish(names.toWire(subject), encodeJson(envelope), { msgID, timeout: publishTimeoutMs });
    } catch (error) {
      if (error instanceof Error && error.name === 'JetStreamNotEnabled') {
        // nats.js reports "no responders" this way: nothing stores the subject.
        void this.repair();
        throw new Error(
          `no JetStream stream stored "${subject}" (msgId ${msgID}): stream ${names.stream(stream)} ` +
            `("${names.toWire(STREAMS[stream])}") is missing ` +
            `or JetStream is not running (nats.js says: ${error.message})`,
          { cause: error },
        );
      }
      throw new Error(`publish to "${subject}" (msgId ${msgID}) failed: ${describeError(error)}`, { cause: error });
    }
  }

  async subscribe(options: ConsumerOptions): Promise<Subscription> {
    if (this.closing || this.nc.isClosed()) {
      throw new Error(`JetStream transport is closed; cannot subscribe "${options.durable}"`);
    }
    const subscription = new JetStreamSubscription(
      resolveConsumerOptions(options),
      this.context,
      () => this.repair(),
      () => this.subscriptions.delete(subscription),
    );
    await subscription.start();
    this.subscriptions.add(subscription);
    return subscription;
  }

  async watch(filterSubject: string, listener: WatchListener): Promise<Watch> {
    if (this.closing || this.nc.isClosed()) throw new Error(`JetStream transport is closed; cannot watch "${filterSubject}"`);
    assertFilterSubject(filterSubject);
    const { naming: names } = this.context;
    const subscription = this.nc.subscribe(names.toWire(filterSubject), {
      callback: (error, msg) => {
        if (error) return this.logger.warn({ err: error, filterSubject }, 'watch subscription error');
        let envelope: EventEnvelope;
        try {
          envelope = msg.json<EventEnvelope>();
        } catch {
          return this.logger.warn({ subject: msg.subject }, 'watch: skipped a message that is not JSON');
        }
        listener.next(names.fromWire(msg.subject), envelope);
      },
    });
    this.watchers.add(listener);
    // The server has the interest once this round trip is done: what is published after it is seen.
    await this.nc.flush();
    return {
      stop: async () => {
        this.watchers.delete(listener);
        subscription.unsubscribe();
      },
    };
  }

  async unprocessed(): Promise<number> {
    const counts = await Promise.all([...this.subscriptions].map((subscription) => subscription.unprocessed()));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  async isHealthy(): Promise<boolean> {
    if (this.nc.isClosed() || !this.connected) return false;
    try {
      await withTimeout(this.context.jsm.getAccountInfo(), HEALTH_TIMEOUT_MS, 'JetStream account info');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (this.nc.isClosed()) return;
    try {
      // Drain flushes the acks and naks still in the outbound buffer.
      await withTimeout(this.nc.drain(), DRAIN_TIMEOUT_MS, 'NATS drain');
    } catch (error) {
      this.logger.warn({ err: error }, 'NATS drain failed; closing without it');
      await this.nc.close();
    }
  }
}

class JetStreamSubscription implements Subscription {
  private stopping = false;
  private stopped_: Promise<void> | undefined;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> = Promise.resolve();
  /** Resolves when stop() begins: wakes the pull loop and dead-letter retries. */
  private readonly stopped: Promise<void>;
  private signalStopped!: () => void;
  private readonly dispatcher: KeyedDispatcher;
  /** Deliveries taken and not yet settled (running or waiting for their key): kept alive with working(). */
  private readonly held = new Set<JsMsg>();
  private keepAlive: NodeJS.Timeout | undefined;

  private readonly nc: NatsConnection;
  private readonly logger: EventLogger;
  /** The stream's name on the server. */
  private readonly streamName: string;

  constructor(
    private readonly options: ResolvedConsumerOptions,
    private readonly shared: Context,
    private readonly repairTransport: () => Promise<void>,
    private readonly onStopped: () => void,
  ) {
    this.nc = shared.nc;
    this.logger = shared.logger;
    this.streamName = shared.naming.stream(options.stream);
    this.stopped = new Promise((resolve) => (this.signalStopped = resolve));
    this.dispatcher = new KeyedDispatcher(options.concurrency, (error) => {
      this.logger.error({ ...this.logContext, err: error }, 'event delivery failed unexpectedly; it will be redelivered after ack_wait');
    });
  }

  private get logContext() {
    return { durable: this.options.durable, stream: this.streamName, filterSubject: this.options.filterSubject };
  }

  /** The durable's pending and unacknowledged messages, as the server counts them. */
  async unprocessed(): Promise<number> {
    const info = await this.shared.jsm.consumers.info(this.streamName, this.options.durable);
    return info.num_pending + info.num_ack_pending;
  }

  async start(): Promise<void> {
    await this.ensureConsumer();
    this.messages = await this.consume();
    // A held delivery (running, or waiting behind its key) is reported in
    // progress every third of ack_wait, so the server neither redelivers it
    // elsewhere nor to us while we still work on it.
    this.keepAlive = setInterval(() => this.reportProgress(), Math.max(this.shared.ackWaitMs / 3, 100));
    this.keepAlive.unref();
    this.loop = this.run(this.messages);
  }

  private reportProgress(): void {
    for (const msg of this.held) {
      try {
        msg.working();
      } catch {
        // Connection closed: the delivery comes back after ack_wait anyway.
      }
    }
  }

  /**
   * Creates the durable or updates its settings. The server's max_deliver is
   * one more than `maxDeliver`: deliveries that never reached an outcome (the
   * process died, ack_wait ran out, a prefetched message was released on
   * stop) still count, and the extra delivery lets us dead-letter such a
   * message instead of the server silently giving up on it.
   */
  async ensureConsumer(): Promise<'created' | 'exists'> {
    const { durable, filterSubject, maxDeliver } = this.options;
    const { jsm, naming: names, ackWaitMs } = this.shared;
    const stream = this.streamName;
    const settings = { filter_subject: names.toWire(filterSubject), ack_wait: nanos(ackWaitMs), max_deliver: maxDeliver + 1 };
    try {
      const { config } = await jsm.consumers.info(stream, durable);
      const from = { filter_subject: config.filter_subject, ack_wait: config.ack_wait, max_deliver: config.max_deliver };
      if (Object.entries(settings).some(([key, value]) => from[key as keyof typeof from] !== value)) {
        // A changed filter applies from the consumer's current position on.
        await jsm.consumers.update(stream, durable, settings);
        this.logger.info({ ...this.logContext, from, to: settings }, 'consumer updated');
      }
      return 'exists';
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
      await jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ...settings,
      });
      this.logger.info(this.logContext, 'consumer created');
      return 'created';
    }
  }

  /**
   * After the consumer was recreated: consume() would only notice on its next
   * consumer check, up to ~30 s later, so end it and let run() start afresh.
   */
  restartConsuming(): void {
    if (this.stopping) return;
    this.logger.info(this.logContext, 'restarting consume() on the recreated consumer');
    void this.messages?.close();
  }

  /**
   * Pulls `concurrency` messages at a time. nats.js sends the next pull
   * request only when the iterator is read past the messages before it, and
   * run() reads on only when the dispatcher has room: at most `concurrency`
   * deliveries are held and about as many are buffered, however slow the
   * handlers are.
   */
  private async consume(): Promise<ConsumerMessages> {
    const consumer = await this.shared.js.consumers.get(this.streamName, this.options.durable);
    const messages = await consumer.consume({ max_messages: this.options.concurrency });
    this.watchNotifications(messages).catch((error: unknown) => {
      this.logger.warn({ ...this.logContext, err: error }, 'stopped watching consumer notifications');
    });
    return messages;
  }

  private async watchNotifications(messages: ConsumerMessages): Promise<void> {
    for await (const notification of messages.status()) {
      switch (notification.type) {
        case 'consumer_not_found':
        case 'stream_not_found':
        case 'consumer_deleted':
          // consume() keeps asking for the consumer but never recreates it.
          this.logger.warn({ ...this.logContext, notification }, 'consumer missing; recreating');
          await this.repairTransport();
          break;
        case 'heartbeats_missed':
          this.logger.warn({ ...this.logContext, count: notification.count }, 'consumer heartbeats missed');
          break;
        default:
          break;
      }
    }
  }

  /** Hands messages to the dispatcher as it has room, until stopped; restarts consume() if it ever ends on its own. */
  private async run(first: ConsumerMessages): Promise<void> {
    let messages = first;
    while (true) {
      try {
        for await (const msg of messages) {
          if (!this.stopping && !this.dispatcher.hasRoom()) await Promise.race([this.dispatcher.room(), this.stopped]);
          if (this.stopping) {
            // Prefetched but not handled: release it to another replica now
            // rather than after ack_wait.
            release(msg);
            continue;
          }
          this.dispatch(msg);
        }
      } catch (error) {
        if (!this.stopping) this.logger.error({ ...this.logContext, err: error }, 'consumer iterator failed');
      }
      if (this.stopping || this.nc.isClosed()) return;
      this.logger.warn(this.logContext, 'consumer iterator ended; restarting');
      await this.sleep(RESTART_DELAY_MS);
      if (this.stopping || this.nc.isClosed()) return;
      try {
        await this.ensureConsumer();
        messages = await this.consume();
        this.messages = messages;
        // stop() may have closed the previous iterator while we were away.
        if (this.stopping) await messages.close();
      } catch (error) {
        this.logger.warn({ ...this.logContext, err: error }, 'could not restart consumer; retrying');
      }
    }
  }

  private dispatch(msg: JsMsg): void {
    const subject = this.shared.naming.fromWire(msg.subject);
    const delivery: Delivery = { subject, data: msg.data, deliveryCount: msg.info.deliveryCount };
    // A delivery past maxDeliver is only dead-lettered: no handler, no key.
    const key = delivery.deliveryCount > this.options.maxDeliver ? undefined : orderingKeyOf(this.options, delivery, this.logger);
    this.held.add(msg);
    this.dispatcher.dispatch(key, {
      run: async () => {
        try {
          await this.process(msg, delivery);
        } finally {
          this.held.delete(msg);
        }
      },
      release: () => {
        this.held.delete(msg);
        release(msg);
      },
    });
  }

  private async process(msg: JsMsg, delivery: Delivery): Promise<void> {
    const { maxDeliver } = this.options;
    const context = { ...this.logContext, subject: delivery.subject, streamSeq: msg.seq, deliveryCount: delivery.deliveryCount };
    if (delivery.deliveryCount > maxDeliver) {
      await this.deadLetter(
        msg,
        delivery,
        `delivered ${delivery.deliveryCount} times (maxDeliver ${maxDeliver}) without an outcome: ` +
          'the handler did not finish (the process stopped or lost its NATS connection mid-delivery)',
        'max_deliveries',
      );
      return;
    }
    const outcome: Outcome = await runHandler(this.options, delivery);
    switch (outcome.kind) {
      case 'ack':
        try {
          // Not awaited (no round trip per message): stop() flushes, so the
          // server has every ack before stop resolves. An ack lost with the
          // connection means one redelivery, which the inbox absorbs.
          msg.ack();
        } catch (error) {
          this.logger.warn({ ...context, err: error }, 'could not send the ack; the message will be redelivered');
        }
        break;
      case 'retry':
        this.logger.warn({ ...context, reason: outcome.reason, retryInMs: outcome.delayMs }, 'event handler failed; will redeliver');
        try {
          msg.nak(outcome.delayMs);
        } catch {
          // Connection closed: redelivered after ack_wait instead.
        }
        break;
      case 'dead-letter':
        await this.deadLetter(msg, delivery, outcome.reason, outcome.cause);
        break;
    }
  }

  /**
   * Publishes the DeadLetter, then terminates the message. Until the dead
   * letter is stored the message is kept (not acked, reported in progress),
   * retrying while NATS is away; later deliveries of its key wait, others go on.
   */
  private async deadLetter(msg: JsMsg, delivery: Delivery, reason: string, cause: DeadLetterCause): Promise<void> {
    const { durable } = this.options;
    const { js, naming: names, publishTimeoutMs } = this.shared;
    const letter = deadLetterOf(durable, delivery, reason);
    const subject = names.toWire(deadLetterSubject(durable));
    // Same id for every attempt at this message: a repeat is deduplicated.
    const msgID = `dlq-${this.streamName}-${durable}-${msg.seq}`;
    const context = { ...this.logContext, subject: delivery.subject, streamSeq: msg.seq, deliveryCount: delivery.deliveryCount };
    for (let attempt = 0; ; attempt++) {
      try {
        await js.publish(subject, encodeJson(letter), { msgID, timeout: publishTimeoutMs });
        break;
      } catch (error) {
        if (this.stopping || this.nc.isClosed()) {
          this.logger.error({ ...context, reason, err: error }, 'could not dead-letter before stop; message left unacknowledged');
          return;
        }
        this.logger.warn({ ...context, err: error, attempt }, 'could not publish dead letter; retrying');
        await this.sleep(Math.min(500 * 2 ** attempt, 10_000));
      }
    }
    try {
      msg.term();
    } catch (error) {
      this.logger.warn({ ...context, err: error }, 'could not terminate the dead-lettered message; it may be redelivered and dead-lettered again');
    }
    this.logger.error({ ...context, reason, deadLetterSubject: subject }, 'event dead-lettered');
    this.options.onDeadLetter?.(cause);
  }

  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.stopped]);
    clearTimeout(timer);
  }

  stop(): Promise<void> {
    this.stopped_ ??= this.stopNow();
    return this.stopped_;
  }

  private async stopNow(): Promise<void> {
    this.stopping = true;
    this.signalStopped();
    // Ends the pull loop; messages still buffered are released there.
    await this.messages?.close();
    await this.loop;
    // Releases the deliveries waiting behind their key, waits for the running ones.
    await this.dispatcher.close();
    clearInterval(this.keepAlive);
    if (!this.nc.isClosed()) {
      // Acks and naks are sent without waiting for the server; make sure it has them.
      await withTimeout(this.nc.flush(), FLUSH_TIMEOUT_MS, 'NATS flush').catch((error: unknown) => {
        this.logger.warn({ ...this.logContext, err: error }, 'could not confirm the last acks; those messages may be redelivered');
      });
    }
    this.onStopped();
  }
}

/** nak() without throwing: on a closed connection the message comes back after ack_wait anyway. */
function release(msg: JsMsg): void {
  try {
    msg.nak();
  } catch {
    // ignored
  }
}
