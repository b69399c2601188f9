/**
 * NATS going away and coming back, on a private nats-server (never the
 * shared one): publish fails fast while it is down, and consumers resume
 * without being resubscribed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectJetStream } from '../jetstream-transport.js';
import type { EventEnvelope, EventTransport } from '../transport.js';
import { envelope, memoryLogger, recorder, settlesWithin, waitFor } from './helpers.js';
import { NATS_SERVER_BIN, createPrivateNats, natsServerAvailable, type PrivateNats } from '../testing/private-nats.js';

if (!natsServerAvailable) {
  console.warn(`[events] NATS outage tests skipped: no nats-server binary at ${NATS_SERVER_BIN} (set NATS_SERVER_BIN; CI has it)`);
}

const PUBLISH_TIMEOUT_MS = 2_000;

/** What an outbox relay does: retry until the broker takes it. */
async function publishEventually(transport: EventTransport, subject: string, event: EventEnvelope): Promise<void> {
  await waitFor(
    `a successful publish to ${subject}`,
    async () => {
      await transport.publish(subject, event);
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

describe.skipIf(!natsServerAvailable)('JetStream transport when NATS is away for a while', () => {
  let nats: PrivateNats | undefined;
  let transport: EventTransport | undefined;

  afterEach(async () => {
    await transport?.close();
    await nats?.dispose();
    transport = undefined;
    nats = undefined;
  });

  it('rejects publish while NATS is down and resumes consuming after it restarts', { timeout: 90_000 }, async () => {
    nats = await createPrivateNats();
    await nats.start();
    const logger = memoryLogger();
    const t = await connectJetStream({
      servers: nats.url,
      name: 'events-outage-test',
      logger,
      publishTimeoutMs: PUBLISH_TIMEOUT_MS,
      reconnectTimeWaitMs: 100,
    });
    transport = t;

    let releaseGate!: () => void;
    const gate = new Promise<void>((resolve) => (releaseGate = resolve));
    const gated = envelope({ gate: true });
    const rec = recorder(async (e) => {
      if (e.id === gated.id) await gate;
    });
    // One at a time, so the event behind the gated one stays unhandled through the outage.
    await t.subscribe({ durable: 'outage', stream: 'ORDERS', filterSubject: 'orders.>', handle: rec.handle, backoffMs: [50, 100], concurrency: 1 });

    const before = envelope();
    await t.publish('orders.placed', before);
    await waitFor('the event published before the outage', () => rec.has(before.id));

    // Hold the consumer inside a handler so the next event is stored but not acked when NATS goes.
    await t.publish('orders.placed', gated);
    await waitFor('the gated handler to start', () => rec.has(gated.id));
    const unacked = envelope({ unacked: true });
    await t.publish('orders.placed', unacked);

    await nats.stop();
    await waitFor('the transport to report unhealthy', async () => !(await t.isHealthy()));
    const duringOutage = await settlesWithin(
      t.publish('orders.placed', envelope()),
      PUBLISH_TIMEOUT_MS + 10_000,
      'publish while NATS is down',
    );
    expect(duringOutage.ok).toBe(false);
    expect(String(!duringOutage.ok && duringOutage.error)).toContain('disconnected');
    // Stay away a while: reconnect attempts keep failing in the meantime.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    await nats.start();
    await waitFor('the transport to report healthy again', () => t.isHealthy(), { timeoutMs: 30_000 });
    releaseGate();

    const after = envelope();
    await publishEventually(t, 'orders.placed', after);
    await waitFor('the unacked event and the event published after the restart', () => rec.has(unacked.id) && rec.has(after.id), {
      timeoutMs: 45_000,
    });
    expect(rec.deliveriesOf(before.id)).toEqual([1]);
  });

  it('rejects a publish to a hung server after the publish timeout; a retry with the same msgId is not duplicated', { timeout: 60_000 }, async () => {
    nats = await createPrivateNats();
    await nats.start();
    const t = await connectJetStream({
      servers: nats.url,
      name: 'events-hang-test',
      logger: memoryLogger(),
      publishTimeoutMs: PUBLISH_TIMEOUT_MS,
    });
    transport = t;
    const rec = recorder();
    await t.subscribe({ durable: 'hang', stream: 'PRODUCTS', filterSubject: 'products.>', handle: rec.handle });

    await nats.pause();
    const event = envelope();
    const whileHung = await settlesWithin(t.publish('products.changed', event), PUBLISH_TIMEOUT_MS + 10_000, 'publish to a hung server');
    nats.resume();
    expect(whileHung.ok).toBe(false);
    expect(String(!whileHung.ok && whileHung.error)).toContain('TimeoutError');

    // The timed-out message may still have reached the server; the relay's
    // retry carries the same msgId, so the consumer sees it once either way.
    await publishEventually(t, 'products.changed', event);
    const sentinel = envelope();
    await t.publish('products.changed', sentinel);
    await waitFor('the sentinel', () => rec.has(sentinel.id));
    expect(rec.deliveriesOf(event.id)).toEqual([1]);
  });

  it('recreates streams and consumers when NATS comes back without its storage', { timeout: 120_000 }, async () => {
    nats = await createPrivateNats();
    await nats.start();
    const t = await connectJetStream({ servers: nats.url, name: 'events-storage-loss-test', logger: memoryLogger(), reconnectTimeWaitMs: 100 });
    transport = t;
    const rec = recorder();
    await t.subscribe({ durable: 'amnesia', stream: 'PAYMENTS', filterSubject: 'payments.>', handle: rec.handle });
    const before = envelope();
    await t.publish('payments.captured', before);
    await waitFor('the event published before the restart', () => rec.has(before.id));

    await nats.stop();
    await nats.start(await nats.newStoreDir());

    const after = envelope();
    await publishEventually(t, 'payments.captured', after);
    await waitFor('the event published after the restart', () => rec.has(after.id), { timeoutMs: 60_000 });
  });
});
