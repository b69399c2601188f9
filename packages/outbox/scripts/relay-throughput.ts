/**
 * Outbox rows/s through the relay: writes N rows to a fresh Postgres
 * database (DATABASE_URL, dropped afterwards; PGlite without it) and times
 * the relay publishing them to JetStream (NATS_URL, a namespace of its own;
 * the in-process transport without it).
 *
 *   NATS_URL=nats://127.0.0.1:4222 DATABASE_URL=postgres://postgres@127.0.0.1:5432/x \
 *     npx tsx packages/outbox/scripts/relay-throughput.ts [rows=5000] [batchSize=100]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createDatabaseHost } from '@shop/database';
import { connectJetStream, createEvent, createInProcessTransport, deleteJetStreamNamespace, type OutgoingEvent } from '@shop/events';
import { createLogger } from '@shop/observability';
import { addOutboxAndInboxRetentionIndexesV2, createOutboxAndInboxV1 } from '../src/migration.js';
import { appendToOutbox } from '../src/outbox.js';
import { startOutboxRelay } from '../src/relay.js';
import type { OutboxTables } from '../src/tables.js';

const rows = Number(process.argv[2] ?? 5000);
const batchSize = Number(process.argv[3] ?? 100);
const databaseUrl = process.env['DATABASE_URL'];
const natsUrl = process.env['NATS_URL'];
const namespace = `bench_${randomBytes(4).toString('hex')}`;

const host = await createDatabaseHost(
  databaseUrl ? { kind: 'postgres', url: databaseUrl, databasePrefix: `bench_${randomBytes(4).toString('hex')}` } : { kind: 'embedded', dataDir: undefined },
);
const transport = natsUrl ? await connectJetStream({ servers: natsUrl, name: 'relay-throughput', namespace }) : createInProcessTransport();
try {
  const { db, statements } = await host.open<OutboxTables>('relay', { '0001': createOutboxAndInboxV1, '0002': addOutboxAndInboxRetentionIndexesV2 });
  for (let written = 0; written < rows; written += 1000) {
    const events: OutgoingEvent[] = Array.from({ length: Math.min(1000, rows - written) }, () => {
      const productId = randomUUID();
      return createEvent('ProductChanged', productId, { productId, sku: 'sku', name: 'name', price: { amount: 100, currency: 'EUR' }, active: true });
    });
    await db.transaction().execute((trx) => appendToOutbox(trx, events));
  }
  const statementsBefore = statements.total;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let published = 0;
  let allPublished!: () => void;
  const done = new Promise<void>((resolve) => (allPublished = resolve));
  const relay = startOutboxRelay({
    db,
    transport,
    logger: createLogger('relay-throughput', 'warn'),
    batchSize,
    onPublished: (count?: number) => {
      published += count ?? 1;
      if (published === rows) allPublished();
    },
  });
  relay.wake();
  await done;
  const seconds = (performance.now() - started) / 1000;
  await relay.stop();
  const cpu = process.cpuUsage(cpuBefore);
  console.log(
    `${databaseUrl ? 'Postgres' : 'PGlite'} + ${natsUrl ? 'JetStream' : 'in-process'}, batch ${batchSize}: ` +
      `${rows} rows in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds)} rows/s; ` +
      `${((statements.total - statementsBefore) / rows).toFixed(2)} SQL statements/row; ` +
      `relay process CPU ${((cpu.user + cpu.system) / 1000 / rows).toFixed(3)} ms/row`,
  );
} finally {
  await transport.close();
  if (natsUrl) await deleteJetStreamNamespace({ servers: natsUrl, namespace });
  await host.close({ dropDatabases: true });
}
