/** JetStream-only behaviour, in a namespace of its own on the machine's NATS. */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectJetStream, deleteJetStreamNamespace } from '../jetstream-transport.js';
import type { EventTransport } from '../transport.js';
import { NATS_URL, aggregateKey, deadLetterRecorder, envelope, isReachable, memoryLogger, randomToken, recorder, waitFor } from './helpers.js';

const natsUp = await isReachable(NATS_URL);
if (!natsUp) console.warn(`[events] JetStream transport tests skipped: no NATS at ${NATS_URL} (set NATS_URL; CI has it)`);
const ACK_WAIT_MS = 1_000;

describe.skipIf(!natsUp)(`JetStream transport on ${NATS_URL}`, () => {
  const namespace = `evtest_${randomToken()}`;
  let transport: EventTransport;
  let nc: NatsConnection;

  beforeAll(async () => {
    transport = await connectJetStream({ servers: NATS_URL, name: 'events-js-test', namespace, ackWaitMs: ACK_WAIT_MS, logger: memoryLogger() });
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await transport?.close();
    await nc?.close();
    await deleteJetStreamNamespace({ servers: NATS_URL, namespace });
  });

  it('creates the consumer with explicit acks, deliver all, ack_wait, and max_deliver one above maxDeliver', async () => {
    const subscription = await transport.subscribe({
      durable: 'settings',
      stream: 'ORDERS',
      filterSubject: 'orders.placed',
      maxDeliver: 4,
      handle: () => Promise.resolve(),
    });
    await subscription.stop();
    const jsm = await jetstreamManager(nc);
    const { config } = await jsm.consumers.info(`${namespace}_ORDERS`, 'settings');
    expect(config).toMatchObject({
      durable_name: 'settings',
      ack_policy: 'explicit',
      deliver_policy: 'all',
      filter_subject: `${namespace}.orders.placed`,
      ack_wait: ACK_WAIT_MS * 1_000_000,
      max_deliver: 5,
    });
    const stream = await jsm.streams.info(`${namespace}_ORDERS`);
    expect(stream.config).toMatchObject({ storage: 'file', duplicate_window: 120 * 1_000_000_000, subjects: [`${namespace}.orders.>`] });
  });

  it('defaults ack_wait to 5 s, so a crashed process\'s deliveries come back within seconds', async () => {
    const defaults = await connectJetStream({ servers: NATS_URL, name: 'events-js-test-defaults', namespace, logger: memoryLogger() });
    try {
      const subscription = await defaults.subscribe({ durable: 'defaults', stream: 'ORDERS', filterSubject: 'orders.defaults', handle: () => Promise.resolve() });
      await subscription.stop();
    } finally {
      await defaults.close();
    }
    const jsm = await jetstreamManager(nc);
    const { config } = await jsm.consumers.info(`${namespace}_ORDERS`, 'defaults');
    expect(config.ack_wait).toBe(5_000 * 1_000_000);
  });

  it('keeps a delivery waiting behind a slow one of its key past ack_wait (no second delivery)', async () => {
    const key = randomToken();
    const slow = envelope({}, key);
    const behind = envelope({}, key);
    const rec = recorder(async (e) => {
      if (e.id === slow.id) await new Promise((resolve) => setTimeout(resolve, ACK_WAIT_MS * 3));
    });
    const subscription = await transport.subscribe({
      durable: 'queued',
      stream: 'ORDERS',
      filterSubject: 'orders.queued',
      concurrency: 4,
      orderingKey: aggregateKey,
      handle: rec.handle,
    });
    await transport.publish('orders.queued', slow);
    await transport.publish('orders.queued', behind);
    await waitFor('the event behind the slow one', () => rec.has(behind.id));
    // A redelivery of either would show up before this sentinel is handled.
    const sentinel = envelope();
    await transport.publish('orders.queued', sentinel);
    await waitFor('the sentinel', () => rec.has(sentinel.id));
    await subscription.stop();
    expect(rec.received.map((r) => [r.id, r.deliveryCount])).toEqual([
      [slow.id, 1],
      [behind.id, 1],
      [sentinel.id, 1],
    ]);
  });

  it('keeps a message whose handler outlasts ack_wait (no second delivery)', async () => {
    const slow = envelope();
    const rec = recorder(async (e) => {
      if (e.id === slow.id) await new Promise((resolve) => setTimeout(resolve, ACK_WAIT_MS * 3));
    });
    const subscription = await transport.subscribe({ durable: 'slow', stream: 'ORDERS', filterSubject: 'orders.slow', handle: rec.handle });
    await transport.publish('orders.slow', slow);
    const sentinel = envelope();
    await transport.publish('orders.slow', sentinel);
    await waitFor('the sentinel', () => rec.has(sentinel.id));
    // Give a redelivery of the slow message time to show up behind the sentinel.
    const second = envelope();
    await transport.publish('orders.slow', second);
    await waitFor('the second sentinel', () => rec.has(second.id));
    await subscription.stop();
    expect(rec.deliveriesOf(slow.id)).toEqual([1]);
  });

  it('dead-letters, without running the handler, a message whose deliveries all ended without an outcome', async () => {
    // Create the durable, then take deliveries with a raw client that never
    // answers: like a process dying mid-handler, again and again.
    const setup = await transport.subscribe({ durable: 'crashy', stream: 'ORDERS', filterSubject: 'orders.crashy', maxDeliver: 2, handle: () => Promise.resolve() });
    await setup.stop();
    const lost = envelope();
    await transport.publish('orders.crashy', lost);
    const raw = await jetstream(nc).consumers.get(`${namespace}_ORDERS`, 'crashy');
    for (let attempt = 1; attempt <= 2; attempt++) {
      const msg = await raw.next({ expires: ACK_WAIT_MS * 5 });
      expect(msg?.info.deliveryCount).toBe(attempt);
    }

    const dead = deadLetterRecorder();
    await transport.subscribe({ durable: 'crashy-dlq', stream: 'DEAD_LETTERS', filterSubject: 'dlq.crashy', handle: dead.handle });
    const rec = recorder();
    await transport.subscribe({ durable: 'crashy', stream: 'ORDERS', filterSubject: 'orders.crashy', maxDeliver: 2, handle: rec.handle });
    const [letter] = await waitFor('the dead letter', () => dead.letters.length > 0 && dead.letters, { timeoutMs: 20_000 });
    expect(letter).toMatchObject({ durable: 'crashy', subject: 'orders.crashy', deliveryCount: 3 });
    expect(letter?.reason).toContain('without an outcome');
    expect(rec.received).toEqual([]);
  });
});
