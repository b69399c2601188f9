/** Namespaces let deployments and test runs share one NATS server without seeing each other's events. */
import { afterAll, describe, expect, it } from 'vitest';
import { connectJetStream, deleteJetStreamNamespace } from '../jetstream-transport.js';
import { PoisonMessageError, type EventTransport } from '../transport.js';
import { NATS_URL, deadLetterRecorder, envelope, isReachable, memoryLogger, randomToken, recorder, waitFor } from './helpers.js';

const natsUp = await isReachable(NATS_URL);
if (!natsUp) console.warn(`[events] JetStream namespace tests skipped: no NATS at ${NATS_URL} (set NATS_URL; CI has it)`);

describe('JetStream namespaces', () => {
  it('rejects a namespace that is not one subject token or would overlap the shared streams', async () => {
    await expect(connectJetStream({ servers: NATS_URL, name: 'ns', namespace: 'a.b' })).rejects.toThrow(
      'expected a namespace of letters, digits, "-" and "_" (one subject token), got "a.b"',
    );
    await expect(connectJetStream({ servers: NATS_URL, name: 'ns', namespace: 'orders' })).rejects.toThrow(
      'expected a namespace other than the stream subject roots (products, orders, payments, dlq), got "orders"',
    );
  });

  describe.skipIf(!natsUp)(`on the NATS at ${NATS_URL}`, () => {
    const namespaces = [`evtest_${randomToken()}`, `evtest_${randomToken()}`] as const;
    const transports: EventTransport[] = [];

    afterAll(async () => {
      await Promise.all(transports.map((t) => t.close()));
      await Promise.all(namespaces.map((namespace) => deleteJetStreamNamespace({ servers: NATS_URL, namespace })));
    });

    it('keeps namespaces apart and shows subjects without the prefix', async () => {
      const [a, b] = await Promise.all(
        namespaces.map((namespace) => connectJetStream({ servers: NATS_URL, name: 'ns-test', namespace, logger: memoryLogger() })),
      );
      transports.push(a!, b!);
      const poison = envelope();
      const inA = recorder((e) => {
        if (e.id === poison.id) throw new PoisonMessageError('bad');
      });
      const inB = recorder();
      const deadInA = deadLetterRecorder();
      const consumer = { durable: 'same-name', stream: 'ORDERS' as const, filterSubject: 'orders.>' };
      await a!.subscribe({ ...consumer, handle: inA.handle });
      await b!.subscribe({ ...consumer, handle: inB.handle });
      await a!.subscribe({ durable: 'dlq-watch', stream: 'DEAD_LETTERS', filterSubject: 'dlq.>', handle: deadInA.handle });

      const event = envelope();
      await a!.publish('orders.placed', event);
      await a!.publish('orders.placed', poison);
      const sentinel = envelope();
      await b!.publish('orders.placed', sentinel);
      await waitFor('the event in namespace A', () => inA.has(event.id));
      await waitFor('the dead letter in namespace A', () => deadInA.letters.length > 0);
      await waitFor('the sentinel in namespace B', () => inB.has(sentinel.id));

      expect(inA.received.find((r) => r.id === event.id)?.subject).toBe('orders.placed');
      expect(deadInA.letters[0]).toMatchObject({ durable: 'same-name', subject: 'orders.placed' });
      expect(inB.received.map((r) => r.id)).toEqual([sentinel.id]);
    });
  });
});
