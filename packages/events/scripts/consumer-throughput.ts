/**
 * Messages/s through one JetStream durable consumer whose handler does ~5 ms
 * of async work, at several concurrencies; each run in a fresh namespace on
 * NATS_URL (default nats://127.0.0.1:4222), deleted afterwards.
 *
 *   npx tsx packages/events/scripts/consumer-throughput.ts [messages=2000] [concurrencies=1,16] [handlerMs=5]
 *
 * Every message has its own aggregateId and the consumer orders by it (as
 * the services' consumers do), so the key lookup is part of the cost. CPU is
 * this process's (client side: pulling, handling, acking).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { connectJetStream, deleteJetStreamNamespace, type Delivery, type EventEnvelope } from '../src/index.js';

const servers = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const messages = Number(process.argv[2] ?? 2000);
const concurrencies = (process.argv[3] ?? '1,16').split(',').map(Number);
const handlerMs = Number(process.argv[4] ?? 5);

const aggregateOf = (delivery: Delivery) => (JSON.parse(new TextDecoder().decode(delivery.data)) as EventEnvelope).aggregateId;

async function run(concurrency: number): Promise<void> {
  const namespace = `bench_${randomBytes(4).toString('hex')}`;
  const transport = await connectJetStream({ servers, name: 'consumer-throughput', namespace });
  try {
    const envelopes = Array.from({ length: messages }, (_, n): EventEnvelope => ({
      id: randomUUID(),
      type: 'bench.happened',
      version: 1,
      occurredAt: new Date().toISOString(),
      aggregateId: randomUUID(),
      data: { n },
    }));
    for (let i = 0; i < envelopes.length; i += 500) {
      await Promise.all(envelopes.slice(i, i + 500).map((e) => transport.publish('orders.bench', e)));
    }
    let handled = 0;
    let allHandled!: () => void;
    const done = new Promise<void>((resolve) => (allHandled = resolve));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const subscription = await transport.subscribe({
      durable: 'bench',
      stream: 'ORDERS',
      filterSubject: 'orders.bench',
      concurrency,
      orderingKey: aggregateOf,
      handle: async () => {
        await new Promise((resolve) => setTimeout(resolve, handlerMs));
        handled += 1;
        if (handled === messages) allHandled();
      },
    });
    await done;
    const seconds = (performance.now() - started) / 1000;
    await subscription.stop();
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerMessage = (cpu.user + cpu.system) / 1000 / messages;
    console.log(
      `concurrency ${String(concurrency).padStart(3)}: ${messages} messages in ${seconds.toFixed(2)} s = ` +
        `${Math.round(messages / seconds)} msg/s; client CPU ${cpuMsPerMessage.toFixed(3)} ms/msg`,
    );
  } finally {
    await transport.close();
    await deleteJetStreamNamespace({ servers, namespace });
  }
}

console.log(`JetStream at ${servers}; handler: ${handlerMs} ms of async work`);
for (const concurrency of concurrencies) await run(concurrency);
