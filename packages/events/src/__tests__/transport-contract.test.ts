/**
 * One behavioural suite, run against both transports: everything above
 * EventTransport (outbox relay, inbox, sagas) relies on these semantics.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessTransport } from '../in-process-transport.js';
import { connectJetStream, deleteJetStreamNamespace } from '../jetstream-transport.js';
import { deadLetterSubject } from '../subjects.js';
import { PoisonMessageError, type ConsumerOptions, type EventTransport, type Subscription } from '../transport.js';
import {
  NATS_URL,
  aggregateKey,
  atMost,
  decodeDeadLetterData,
  deadLetterRecorder,
  envelope,
  gate,
  isReachable,
  memoryLogger,
  randomToken,
  recorder,
  waitFor,
} from './helpers.js';

interface Harness {
  transport: EventTransport;
  /** Removes what the run left on a shared broker. */
  cleanup(durables: string[], subjectPrefix: string): Promise<void>;
}

const natsUp = await isReachable(NATS_URL);
if (!natsUp) {
  console.warn(
    `[events] JetStream contract tests skipped: no NATS at ${NATS_URL}. ` +
      'Start one with `nats-server -js` or point NATS_URL at one (CI has it).',
  );
}

const transports = [
  {
    name: 'in-process',
    label: '',
    skipReason: undefined,
    create: (): Promise<Harness> =>
      Promise.resolve({ transport: createInProcessTransport({ logger: memoryLogger() }), cleanup: () => Promise.resolve() }),
  },
  {
    name: 'jetstream',
    label: '(shared streams)',
    skipReason: natsUp ? undefined : `no NATS reachable at ${NATS_URL}`,
    // The un-namespaced streams, as deployments use them, shared with anything else on this server.
    create: async (): Promise<Harness> => ({
      transport: await connectJetStream({ servers: NATS_URL, name: 'events-contract-test', logger: memoryLogger() }),
      cleanup: async (durables, subjectPrefix) => {
        const nc = await connect({ servers: NATS_URL });
        try {
          const jsm = await jetstreamManager(nc);
          for (const durable of durables) {
            await jsm.consumers.delete('ORDERS', durable).catch(() => false);
            await jsm.consumers.delete('DEAD_LETTERS', durable).catch(() => false);
            await jsm.streams.purge('DEAD_LETTERS', { filter: deadLetterSubject(durable) });
          }
          await jsm.streams.purge('ORDERS', { filter: `${subjectPrefix}.>` });
        } finally {
          await nc.close();
        }
      },
    }),
  },
  {
    name: 'jetstream',
    label: '(namespace)',
    skipReason: natsUp ? undefined : `no NATS reachable at ${NATS_URL}`,
    // Streams of its own (<namespace>_ORDERS on <namespace>.orders.>), deleted afterwards.
    create: async (): Promise<Harness> => {
      const namespace = `evtest_${randomToken()}`;
      return {
        transport: await connectJetStream({ servers: NATS_URL, name: 'events-contract-test', logger: memoryLogger(), namespace }),
        cleanup: () => deleteJetStreamNamespace({ servers: NATS_URL, namespace }),
      };
    },
  },
];

const FAST = { maxDeliver: 3, backoffMs: [50, 100] };

describe.each(transports)('EventTransport contract: $name $label', ({ name, skipReason, create }) => {
  if (skipReason) {
    it.skip(`all cases (skipped: ${skipReason})`, () => undefined);
    return;
  }

  const run = randomToken();
  const subjectPrefix = `orders.test-${run}`;
  const durables: string[] = [];
  const subscriptions: Subscription[] = [];
  let harness: Harness;
  let transport: EventTransport;
  let caseNumber = 0;

  beforeAll(async () => {
    harness = await create();
    transport = harness.transport;
  });

  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
  });

  afterAll(async () => {
    await transport?.close();
    await harness?.cleanup(durables, subjectPrefix);
  });

  /** Fresh subject space and durable names for one test. */
  function scope(label: string) {
    const n = ++caseNumber;
    const base = `${subjectPrefix}.c${n}`;
    const durable = `t-${run}-${n}-${label}`;
    durables.push(durable, `${durable}-dlq`);
    return {
      durable,
      subject: `${base}.placed`,
      filterSubject: `${base}.>`,
      subscribe(options: Partial<ConsumerOptions> & Pick<ConsumerOptions, 'handle'>): Promise<Subscription> {
        return track(transport.subscribe({ durable, stream: 'ORDERS', filterSubject: `${base}.>`, ...FAST, ...options }));
      },
      /** Watches `dlq.<durable>` in the DEAD_LETTERS stream. */
      watchDeadLetters() {
        const watcher = deadLetterRecorder();
        const subscribed = track(
          transport.subscribe({
            durable: `${durable}-dlq`,
            stream: 'DEAD_LETTERS',
            filterSubject: deadLetterSubject(durable),
            handle: watcher.handle,
          }),
        );
        return { ...watcher, subscribed };
      },
    };
  }

  async function track(subscription: Promise<Subscription>): Promise<Subscription> {
    const s = await subscription;
    subscriptions.push(s);
    return s;
  }

  it(`reports itself as ${name} and healthy`, async () => {
    expect(transport.kind).toBe(name);
    expect(await transport.isHealthy()).toBe(true);
  });

  it('delivers a published event once, with deliveryCount 1', async () => {
    const s = scope('once');
    const rec = recorder();
    await s.subscribe({ handle: rec.handle });
    const event = envelope({ n: 1 });
    const sentinel = envelope();
    await transport.publish(s.subject, event);
    await transport.publish(s.subject, sentinel);
    await waitFor('the sentinel', () => rec.has(sentinel.id));
    expect(rec.deliveriesOf(event.id)).toEqual([1]);
    const first = rec.received[0];
    expect(first?.subject).toBe(s.subject);
    expect(first?.envelope).toEqual(event);
  });

  it('delivers a republish with the same msgId once', async () => {
    const s = scope('dedupe');
    const rec = recorder();
    await s.subscribe({ handle: rec.handle });
    const event = envelope();
    const sentinel = envelope();
    await transport.publish(s.subject, event);
    await transport.publish(s.subject, event);
    await transport.publish(s.subject, { ...event, data: { changed: true } }, { msgId: event.id });
    await transport.publish(s.subject, sentinel);
    await waitFor('the sentinel', () => rec.has(sentinel.id));
    expect(rec.deliveriesOf(event.id)).toEqual([1]);
  });

  it('delivers a republish with a different msgId again', async () => {
    const s = scope('redo');
    const rec = recorder();
    await s.subscribe({ handle: rec.handle });
    const event = envelope();
    await transport.publish(s.subject, event);
    await transport.publish(s.subject, event, { msgId: `${event.id}-again` });
    await waitFor('two deliveries', () => rec.deliveriesOf(event.id).length === 2);
    expect(rec.deliveriesOf(event.id)).toEqual([1, 1]);
  });

  it('redelivers after failures with backoff and acks on success (no dead letter)', async () => {
    const s = scope('flaky');
    const event = envelope();
    const poisonSentinel = envelope();
    const rec = recorder((e, d) => {
      if (e.id === event.id && d.deliveryCount < 3) throw new Error(`transient failure ${d.deliveryCount}`);
      if (e.id === poisonSentinel.id) throw new PoisonMessageError('sentinel');
    });
    const dead = s.watchDeadLetters();
    await dead.subscribed;
    await s.subscribe({ handle: rec.handle });
    await transport.publish(s.subject, event);
    await waitFor('the third delivery', () => rec.deliveriesOf(event.id).length === 3);
    // The only dead letter is the sentinel's: the flaky event was acked.
    await transport.publish(s.subject, poisonSentinel);
    await waitFor('the sentinel dead letter', () => dead.letters.length > 0);
    expect(dead.letters.map((l) => decodeDeadLetterData(l).id)).toEqual([poisonSentinel.id]);
    expect(rec.deliveriesOf(event.id)).toEqual([1, 2, 3]);
  });

  it('dead-letters after maxDeliver failed deliveries and keeps consuming', async () => {
    const s = scope('doomed');
    const doomed = envelope({ doomed: true });
    const rec = recorder((e) => {
      if (e.id === doomed.id) throw new Error('always fails');
    });
    const dead = s.watchDeadLetters();
    await dead.subscribed;
    await s.subscribe({ handle: rec.handle });
    await transport.publish(s.subject, doomed);
    const later = envelope({ later: true });
    await transport.publish(s.subject, later);
    const [letter] = await waitFor('the dead letter', () => dead.letters.length > 0 && dead.letters);
    await waitFor('the later event', () => rec.has(later.id));
    expect(letter).toMatchObject({ durable: s.durable, subject: s.subject, deliveryCount: FAST.maxDeliver });
    expect(letter?.reason).toContain('always fails');
    expect(letter && decodeDeadLetterData(letter)).toEqual(doomed);
    // Nothing after the dead letter: a further event arrives, the doomed one does not.
    const sentinel = envelope();
    await transport.publish(s.subject, sentinel);
    await waitFor('the sentinel', () => rec.has(sentinel.id));
    expect(rec.deliveriesOf(doomed.id)).toEqual([1, 2, 3]);
    expect(rec.deliveriesOf(later.id)).toEqual([1]);
  });

  it('dead-letters a PoisonMessageError on the first delivery', async () => {
    const s = scope('poison');
    const poison = envelope();
    const rec = recorder((e) => {
      if (e.id === poison.id) throw new PoisonMessageError('unknown event type');
    });
    const dead = s.watchDeadLetters();
    await dead.subscribed;
    await s.subscribe({ handle: rec.handle });
    await transport.publish(s.subject, poison);
    const [letter] = await waitFor('the dead letter', () => dead.letters.length > 0 && dead.letters);
    expect(letter).toMatchObject({ durable: s.durable, subject: s.subject, deliveryCount: 1 });
    expect(letter?.reason).toContain('PoisonMessageError: unknown event type');
    const sentinel = envelope();
    await transport.publish(s.subject, sentinel);
    await waitFor('the sentinel', () => rec.has(sentinel.id));
    expect(rec.deliveriesOf(poison.id)).toEqual([1]);
  });

  it('delivers events published before the durable first subscribed', async () => {
    const s = scope('history');
    const early = envelope();
    await transport.publish(s.subject, early);
    const rec = recorder();
    await s.subscribe({ handle: rec.handle });
    await waitFor('the early event', () => rec.has(early.id));
    expect(rec.deliveriesOf(early.id)).toEqual([1]);
  });

  it('does not redeliver acked events to a durable that subscribes again', async () => {
    const s = scope('resub');
    const first = recorder();
    const subscription = await s.subscribe({ handle: first.handle });
    const acked = envelope();
    await transport.publish(s.subject, acked);
    await waitFor('the first event', () => first.has(acked.id));
    await subscription.stop();

    const whileAway = envelope();
    await transport.publish(s.subject, whileAway);
    const second = recorder();
    await s.subscribe({ handle: second.handle });
    await waitFor('the event published while away', () => second.has(whileAway.id));
    const sentinel = envelope();
    await transport.publish(s.subject, sentinel);
    await waitFor('the sentinel', () => second.has(sentinel.id));
    expect(second.received.map((r) => r.id)).toEqual([whileAway.id, sentinel.id]);
    expect(first.deliveriesOf(whileAway.id)).toEqual([]);
  });

  it('applies a changed filter from the durable position on', async () => {
    const s = scope('refilter');
    const first = recorder();
    const subscription = await s.subscribe({ handle: first.handle });
    const acked = envelope();
    await transport.publish(s.subject, acked);
    await waitFor('the first event', () => first.has(acked.id));
    await subscription.stop();

    const cancelled = envelope();
    const placed = envelope();
    await transport.publish(s.subject.replace(/placed$/, 'cancelled'), cancelled);
    await transport.publish(s.subject, placed);
    const second = recorder();
    await s.subscribe({ filterSubject: s.subject, handle: second.handle });
    await waitFor('the placed event', () => second.has(placed.id));
    const sentinel = envelope();
    await transport.publish(s.subject, sentinel);
    await waitFor('the sentinel', () => second.has(sentinel.id));
    expect(second.received.map((r) => r.id)).toEqual([placed.id, sentinel.id]);
  });

  it('handles deliveries of different keys concurrently, never more than concurrency at once', async () => {
    const s = scope('parallel');
    const concurrency = 4;
    const events = Array.from({ length: 2 * concurrency }, () => envelope());
    let active = 0;
    let maxActive = 0;
    const full = gate();
    const rec = recorder(async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      if (active === concurrency) full.open();
      // Every handler holds on until `concurrency` of them run together (or a
      // sequential transport gives up waiting and fails the assertion below).
      await atMost(full.opened, 1_000);
      active -= 1;
    });
    await s.subscribe({ handle: rec.handle, concurrency, orderingKey: aggregateKey });
    // Not awaited one by one: the in-process publish resolves once handled.
    await Promise.all(events.map((e) => transport.publish(s.subject, e)));
    await waitFor('every event', () => events.every((e) => rec.has(e.id)) && active === 0);
    expect(maxActive).toBe(concurrency);
    expect(events.map((e) => rec.deliveriesOf(e.id))).toEqual(events.map(() => [1]));
  });

  it('handles deliveries of one key one at a time, in publish order, and passes handle the Delivery orderingKey saw', async () => {
    const s = scope('ordered');
    const keys = ['a', 'b', 'c'].map((k) => `${k}-${randomToken()}`);
    const events = Array.from({ length: 5 }, (_, n) => keys.map((key) => envelope({ n }, key))).flat();
    const activeByKey = new Map<string, number>();
    let overlapsWithinKey = 0;
    const keyed = new WeakSet<object>();
    let unseenDeliveries = 0;
    const rec = recorder(async (e, d) => {
      if (!keyed.has(d)) unseenDeliveries += 1;
      const active = (activeByKey.get(e.aggregateId) ?? 0) + 1;
      activeByKey.set(e.aggregateId, active);
      if (active > 1) overlapsWithinKey += 1;
      // Uneven handler times, so completions of different keys interleave.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 8)));
      activeByKey.set(e.aggregateId, active - 1);
    });
    await s.subscribe({
      handle: rec.handle,
      concurrency: 8,
      orderingKey: (d) => {
        keyed.add(d);
        return aggregateKey(d);
      },
    });
    await Promise.all(events.map((e) => transport.publish(s.subject, e)));
    await waitFor('every event', () => events.every((e) => rec.has(e.id)));
    expect(overlapsWithinKey).toBe(0);
    expect(unseenDeliveries).toBe(0);
    for (const key of keys) {
      const started = rec.received.filter((r) => r.envelope.aggregateId === key).map((r) => r.id);
      expect(started).toEqual(events.filter((e) => e.aggregateId === key).map((e) => e.id));
    }
  });

  it('keeps handling other keys while a delivery of one key fails, and retries it', async () => {
    const s = scope('isolated');
    const [a, b] = [`a-${randomToken()}`, `b-${randomToken()}`];
    const failing = envelope({ failing: true }, a);
    const behindFailing = envelope({}, a);
    const others = Array.from({ length: 3 }, () => envelope({}, b));
    const othersDone = gate();
    let othersDoneWhileFailingRan = false;
    let failingFirstEnded = false;
    let behindStartedEarly = false;
    const rec = recorder(async (e, d) => {
      if (e.id === failing.id && d.deliveryCount === 1) {
        await atMost(othersDone.opened, 1_000);
        othersDoneWhileFailingRan = others.every((o) => rec.has(o.id));
        failingFirstEnded = true;
        throw new Error('transient failure');
      }
      if (e.id === behindFailing.id && !failingFirstEnded) behindStartedEarly = true;
      if (others.every((o) => rec.has(o.id))) othersDone.open();
    });
    await s.subscribe({ handle: rec.handle, concurrency: 4, orderingKey: aggregateKey });
    await Promise.all([failing, behindFailing, ...others].map((e) => transport.publish(s.subject, e)));
    await waitFor('the retried event', () => rec.deliveriesOf(failing.id).length === 2 && rec.has(behindFailing.id));
    expect(othersDoneWhileFailingRan).toBe(true);
    expect(behindStartedEarly).toBe(false);
    expect(rec.deliveriesOf(failing.id)).toEqual([1, 2]);
    expect(others.map((o) => rec.deliveriesOf(o.id))).toEqual(others.map(() => [1]));
  });

  it('stop waits for the deliveries in progress and gives back the ones not started', async () => {
    const s = scope('stop');
    const [x, y] = [`x-${randomToken()}`, `y-${randomToken()}`];
    const running = [envelope({}, x), envelope({}, y)];
    const queued = envelope({ queued: true }, x);
    const release = gate();
    const finished: string[] = [];
    const first = recorder(async (e) => {
      // Bounded, so a failing run ends instead of hanging in afterEach's stop().
      await atMost(release.opened, 10_000);
      finished.push(e.id);
    });
    const subscription = await s.subscribe({ handle: first.handle, concurrency: 4, orderingKey: aggregateKey });
    const published = Promise.all([...running, queued].map((e) => transport.publish(s.subject, e)));
    await waitFor('both blocking handlers to start', () => running.every((e) => first.has(e.id)));

    let stopped = false;
    const stopping = subscription.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false);
    release.open();
    await stopping;
    expect(finished.sort()).toEqual(running.map((e) => e.id).sort());
    expect(first.has(queued.id)).toBe(false);
    await published;

    // The finished ones were acked before stop resolved; the queued one was given back.
    const second = recorder();
    await s.subscribe({ handle: second.handle, concurrency: 4, orderingKey: aggregateKey });
    const sentinel = envelope();
    await transport.publish(s.subject, sentinel);
    await waitFor('the given-back event and the sentinel', () => second.has(queued.id) && second.has(sentinel.id));
    expect(second.received.map((r) => r.id).sort()).toEqual([queued.id, sentinel.id].sort());
  });

  it('watch: every watcher sees each message published on its filter from then on, decoded; a stopped one sees no more', async () => {
    const { subject, filterSubject } = scope('watch');
    const first: string[] = [];
    const second: string[] = [];
    const watchA = await transport.watch(filterSubject, { next: (seen, event) => first.push(`${seen} ${event.id}`) });
    const watchB = await transport.watch(filterSubject, { next: (seen, event) => second.push(`${seen} ${event.id}`) });
    const one = envelope();
    await transport.publish(subject, one);
    await transport.publish(`${subjectPrefix}.elsewhere`, envelope());
    await waitFor('both watchers to see the first message', () => first.length === 1 && second.length === 1);
    expect(first).toEqual([`${subject} ${one.id}`]);
    expect(second).toEqual(first);

    await watchA.stop();
    const two = envelope();
    await transport.publish(subject, two);
    await waitFor('the remaining watcher to see the second message', () => second.length === 2);
    expect(second[1]).toBe(`${subject} ${two.id}`);
    expect(first).toHaveLength(1);
    await watchB.stop();
  });

  it('rejects a concurrency that is not a positive integer', async () => {
    for (const concurrency of [0, 1.5, 100_000]) {
      await expect(
        transport.subscribe({ durable: `t-${run}-conc`, stream: 'ORDERS', filterSubject: `${subjectPrefix}.>`, concurrency, handle: () => Promise.resolve() }),
      ).rejects.toThrow('expected concurrency');
    }
  });

  it('rejects a publish to a subject no stream covers, naming the subject', async () => {
    await expect(transport.publish(`nowhere-${run}.thing`, envelope())).rejects.toThrow(`nowhere-${run}.thing`);
  });

  it('rejects a subscription whose filter lies outside its stream', async () => {
    await expect(
      transport.subscribe({ durable: `t-${run}-outside`, stream: 'ORDERS', filterSubject: 'payments.>', handle: () => Promise.resolve() }),
    ).rejects.toThrow('outside stream ORDERS');
  });
});
