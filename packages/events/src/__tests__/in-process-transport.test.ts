/** What only the in-process transport promises (the contract suite covers the shared semantics). */
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessTransport, type InProcessTransport } from '../in-process-transport.js';
import type { Delivery } from '../transport.js';
import { decodeDeadLetterData, envelope, memoryLogger, recorder, waitFor } from './helpers.js';

const FAST = { maxDeliver: 3, backoffMs: [10, 20] };

describe('in-process transport', () => {
  let transport: InProcessTransport;
  afterEach(async () => {
    await transport?.close();
  });

  function create(options: Parameters<typeof createInProcessTransport>[0] = {}): InProcessTransport {
    transport = createInProcessTransport({ logger: memoryLogger(), ...options });
    return transport;
  }

  it('resolves publish only after the subscriber has applied the event', async () => {
    const t = create();
    const applied: string[] = [];
    await t.subscribe({
      durable: 'applier',
      stream: 'ORDERS',
      filterSubject: 'orders.>',
      handle: async (d: Delivery) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        applied.push(d.subject);
      },
    });
    await t.publish('orders.placed', envelope());
    expect(applied).toEqual(['orders.placed']);
  });

  it('resolves publish after retries succeed, and after every matching durable is done', async () => {
    const t = create();
    const event = envelope();
    const flaky = recorder((_, d) => {
      if (d.deliveryCount < 2) throw new Error('not yet');
    });
    const steady = recorder();
    const other = recorder();
    await t.subscribe({ durable: 'flaky', stream: 'ORDERS', filterSubject: 'orders.>', handle: flaky.handle, ...FAST });
    await t.subscribe({ durable: 'steady', stream: 'ORDERS', filterSubject: 'orders.*', handle: steady.handle, ...FAST });
    await t.subscribe({ durable: 'other', stream: 'ORDERS', filterSubject: 'orders.cancelled', handle: other.handle });
    await t.publish('orders.placed', event);
    expect(flaky.deliveriesOf(event.id)).toEqual([1, 2]);
    expect(steady.deliveriesOf(event.id)).toEqual([1]);
    expect(other.received).toEqual([]);
  });

  it('resolves publish once the event is dead-lettered, and lists the dead letter', async () => {
    const t = create();
    const event = envelope();
    await t.subscribe({
      durable: 'doomed',
      stream: 'ORDERS',
      filterSubject: 'orders.>',
      handle: () => Promise.reject(new Error('never works')),
      ...FAST,
    });
    await t.publish('orders.placed', event);
    const letters = t.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ durable: 'doomed', subject: 'orders.placed', deliveryCount: 3 });
    expect(letters[0]?.reason).toBe('failed 3 of 3 deliveries; last: Error: never works');
    expect(letters[0] && decodeDeadLetterData(letters[0])).toEqual(event);
  });

  it('does not wait for a durable with no active subscription, and keeps the event for it', async () => {
    const t = create();
    const first = recorder();
    const subscription = await t.subscribe({ durable: 'later', stream: 'ORDERS', filterSubject: 'orders.>', handle: first.handle });
    await subscription.stop();
    const event = envelope();
    await t.publish('orders.placed', event);
    const second = recorder();
    await t.subscribe({ durable: 'later', stream: 'ORDERS', filterSubject: 'orders.>', handle: second.handle });
    await waitFor('the kept event', () => second.has(event.id));
  });

  it('lets a handler publish to a subject its own durable consumes without waiting for itself', async () => {
    const t = create();
    const follow = envelope({ follow: true });
    const rec = recorder(async (e) => {
      if (e.id !== follow.id) await t.publish('orders.followed', follow);
    });
    await t.subscribe({ durable: 'chain', stream: 'ORDERS', filterSubject: 'orders.>', handle: rec.handle });
    await t.publish('orders.placed', envelope());
    await waitFor('the follow-up event', () => rec.has(follow.id));
  });

  it('shares a durable between two subscriptions: each event is handled once', async () => {
    const t = create();
    const a = recorder();
    const b = recorder();
    await t.subscribe({ durable: 'shared', stream: 'ORDERS', filterSubject: 'orders.>', handle: a.handle });
    await t.subscribe({ durable: 'shared', stream: 'ORDERS', filterSubject: 'orders.>', handle: b.handle });
    const events = Array.from({ length: 10 }, () => envelope());
    await Promise.all(events.map((e) => t.publish('orders.placed', e)));
    const handled = [...a.received, ...b.received].map((r) => r.id).sort();
    expect(handled).toEqual(events.map((e) => e.id).sort());
  });

  it('applies a changed filter from the durable position on, and keeps durables of different streams apart', async () => {
    const t = create();
    const before = recorder();
    const subscription = await t.subscribe({ durable: 'same', stream: 'ORDERS', filterSubject: 'orders.>', handle: before.handle });
    await t.publish('orders.placed', envelope());
    await subscription.stop();
    const cancelled = envelope();
    const placed = envelope();
    await t.publish('orders.cancelled', cancelled);
    await t.publish('orders.placed', placed);
    const after = recorder();
    const payments = recorder();
    await t.subscribe({ durable: 'same', stream: 'ORDERS', filterSubject: 'orders.placed', handle: after.handle });
    await t.subscribe({ durable: 'same', stream: 'PAYMENTS', filterSubject: 'payments.>', handle: payments.handle });
    await waitFor('the placed event', () => after.has(placed.id));
    expect(after.received.map((r) => r.id)).toEqual([placed.id]);
    expect(payments.received).toEqual([]);
  });

  it('delivers a msgId again once the dedupe window has passed', async () => {
    const t = create({ dedupeWindowMs: 1 });
    const rec = recorder();
    await t.subscribe({ durable: 'window', stream: 'ORDERS', filterSubject: 'orders.>', handle: rec.handle });
    const event = envelope();
    await t.publish('orders.placed', event);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await t.publish('orders.placed', event);
    expect(rec.deliveriesOf(event.id)).toEqual([1, 1]);
  });

  it('keeps only the newest maxMessagesPerStream events for durables that subscribe later', async () => {
    const t = create({ maxMessagesPerStream: 2 });
    const events = [envelope(), envelope(), envelope()];
    for (const e of events) await t.publish('orders.placed', e);
    const rec = recorder();
    await t.subscribe({ durable: 'late', stream: 'ORDERS', filterSubject: 'orders.>', handle: rec.handle });
    await waitFor('the newest event', () => rec.has(events[2]!.id));
    expect(rec.received.map((r) => r.id)).toEqual([events[1]!.id, events[2]!.id]);
  });

  it('rejects publish and subscribe after close', async () => {
    const t = create();
    await t.close();
    await expect(t.publish('orders.placed', envelope())).rejects.toThrow('in-process transport is closed');
    expect(await t.isHealthy()).toBe(false);
  });
});
