import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOURNAL_FILE } from '../journal.js';
import { startPaymentProvider, type ChargeRecord, type RunningPaymentProvider } from '../simulator.js';
import { admin, post, testLogger, type HttpAnswer } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

let dataDir: string;
/** Simulators a test started in this process, stopped after it. */
const running = new Set<RunningPaymentProvider>();

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'provider-ledger-'));
});
afterEach(async () => {
  await Promise.all([...running].map((provider) => provider.stop()));
  running.clear();
  await rm(dataDir, { recursive: true, force: true });
});

async function start(): Promise<RunningPaymentProvider> {
  const provider = await startPaymentProvider({ port: 0, logger: testLogger, dataDir });
  running.add(provider);
  return provider;
}

/** Stops the simulator, then starts a new one on the same data folder. */
async function restart(provider: RunningPaymentProvider): Promise<RunningPaymentProvider> {
  await provider.stop();
  running.delete(provider);
  return start();
}

function chargeBody(token = 'tok_visa') {
  return { amount: 2500, currency: 'EUR', token, reference: `order-${randomUUID()}` };
}

const charge = (origin: string, body: unknown, key: string) => post(`${origin}/v1/charges`, body, { 'Idempotency-Key': key });
const refund = (origin: string, chargeId: string, key: string) => post(`${origin}/v1/refunds`, { charge: chargeId }, { 'Idempotency-Key': key });
const idOf = (answer: HttpAnswer) => (answer.body as { id: string }).id;

describe('the simulator’s ledger across restarts (dataDir)', () => {
  it('replays a charge retried with its key after a restart, and lists it once', async () => {
    const body = chargeBody();
    const key = randomUUID();
    const before = await start();
    const first = await charge(before.url, body, key);
    expect(first.status).toBe(201);

    const after = await restart(before);
    const retried = await charge(after.url, body, key);
    expect(retried.status).toBe(201);
    expect(retried.body).toEqual(first.body);
    expect(retried.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await admin(after.url).charges()).toEqual([
      { id: idOf(first), reference: body.reference, amount: 2500, currency: 'EUR', status: 'succeeded' },
    ]);
    // The request's fingerprint came back with the key: another body under it is still refused.
    expect((await charge(after.url, { ...body, amount: 1 }, key)).status).toBe(422);
  });

  it('replays a decline after a restart', async () => {
    const body = chargeBody('tok_insufficientFunds');
    const key = randomUUID();
    const before = await start();
    expect((await charge(before.url, body, key)).status).toBe(402);
    const after = await restart(before);
    const retried = await charge(after.url, body, key);
    expect(retried).toMatchObject({ status: 402, body: { status: 'failed', code: 'insufficient_funds' } });
    expect(retried.headers.get('Idempotent-Replayed')).toBe('true');
  });

  it('keeps a refund: a second refund after a restart is already_refunded, and the first one’s key replays it', async () => {
    const before = await start();
    const chargeId = idOf(await charge(before.url, chargeBody(), randomUUID()));
    const refundKey = randomUUID();
    const refunded = await refund(before.url, chargeId, refundKey);
    expect(refunded.status).toBe(201);

    const after = await restart(before);
    const again = await refund(after.url, chargeId, randomUUID());
    expect(again).toMatchObject({ status: 409, body: { error: 'already_refunded' } });
    const replayed = await refund(after.url, chargeId, refundKey);
    expect(replayed.status).toBe(201);
    expect(replayed.body).toEqual(refunded.body);
    expect(await admin(after.url).charges()).toEqual([expect.objectContaining({ id: chargeId, status: 'refunded' })]);
  });

  it('keeps counting tok_processingError attempts across restarts: two failures per key in all, then one charge', async () => {
    const body = chargeBody('tok_processingError');
    const key = randomUUID();
    let provider = await start();
    expect((await charge(provider.url, body, key)).status).toBe(503);
    provider = await restart(provider);
    expect((await charge(provider.url, body, key)).status).toBe(503);
    provider = await restart(provider);
    const charged = await charge(provider.url, body, key);
    expect(charged.status).toBe(201);
    provider = await restart(provider);
    const replayed = await charge(provider.url, body, key);
    expect(replayed.body).toEqual(charged.body);
    expect(await admin(provider.url).charges()).toHaveLength(1);
  });

  it('starts from a journal whose last line a crash cut short, without the torn change', async () => {
    const kept = chargeBody();
    const before = await start();
    const keptCharge = await charge(before.url, kept, randomUUID());
    await before.stop();
    running.delete(before);
    // Half of a line as a write interrupted by SIGKILL leaves it.
    await appendFile(join(dataDir, JOURNAL_FILE), '[{"kind":"charge","charge":{"id":"ch_torn","reference":"order-torn","amo');

    const after = await start();
    expect((await admin(after.url).charges()).map((record) => record.id)).toEqual([idOf(keptCharge)]);
    const next = await charge(after.url, chargeBody(), randomUUID());
    expect(next.status).toBe(201);

    // The next change went on a line of its own: a third start reads both charges.
    const third = await restart(after);
    expect((await admin(third.url).charges()).map((record) => record.id)).toEqual([idOf(keptCharge), idOf(next)]);
  });

  it('empties the journal on reset: nothing comes back after a restart', async () => {
    const body = chargeBody();
    const key = randomUUID();
    const before = await start();
    const first = await charge(before.url, body, key);
    await admin(before.url).reset();
    expect(await readFile(join(dataDir, JOURNAL_FILE), 'utf8')).toBe('');

    const after = await restart(before);
    expect(await admin(after.url).charges()).toEqual([]);
    const anew = await charge(after.url, body, key);
    expect(anew.status).toBe(201);
    expect(anew.headers.get('Idempotent-Replayed')).toBeNull();
    expect(idOf(anew)).not.toBe(idOf(first));
  });

  it('refuses a second simulator on a folder in use, and accepts one once the first stopped', async () => {
    const first = await start();
    await expect(start()).rejects.toThrow(/is in use by the payment provider simulator running as process \d+/);
    const second = await restart(first);
    expect((await fetch(`${second.url}/ready`)).status).toBe(200);
  });

  it('creates one charge per key when 30 charges run at once, and replays all of them after a restart', async () => {
    const before = await start();
    const requests = Array.from({ length: 30 }, () => ({ body: chargeBody(), key: randomUUID() }));
    const answers = await Promise.all(requests.map(({ body, key }) => charge(before.url, body, key)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(201));

    const after = await restart(before);
    const replays = await Promise.all(requests.map(({ body, key }) => charge(after.url, body, key)));
    expect(replays.map(idOf)).toEqual(answers.map(idOf));
    expect((await admin(after.url).charges()).map((record) => record.id).sort()).toEqual(answers.map(idOf).sort());
  });
});

// ---- a real process, killed with SIGKILL ----------------------------------------

interface ProviderProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the signal that ended the process (null for a normal exit). */
  exited: Promise<NodeJS.Signals | null>;
}

/** Runs packages/payment-provider/src/main.ts on a free port and waits for the URL it logs. */
async function spawnProvider(): Promise<ProviderProcess> {
  const child = spawn(process.execPath, ['--conditions=@shop/source', '--import', 'tsx', 'packages/payment-provider/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PAYMENT_PROVIDER_PORT: '0', HOST: '127.0.0.1', PAYMENT_PROVIDER_DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the simulator logged no url within 20 s; stderr: ${stderr}`)), 20_000);
    void exited.then(() => reject(new Error(`the simulator exited before listening; stderr: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const logged = (() => {
        try {
          return JSON.parse(line) as { url?: unknown };
        } catch {
          return {};
        }
      })();
      if (typeof logged.url === 'string') {
        clearTimeout(timer);
        resolve(logged.url);
      }
    });
  });
  return { url, child, exited };
}

describe('a simulator process killed with SIGKILL', () => {
  const children = new Set<ChildProcess>();
  afterEach(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
  });

  it('charges each key once across the kill: answers given before it replay, requests cut by it charge on retry', async () => {
    const first = await spawnProvider();
    children.add(first.child);
    const attempted: { body: ReturnType<typeof chargeBody>; key: string }[] = [];
    const answeredBeforeKill = new Map<string, HttpAnswer>();
    let cutByKill = 0;
    let markEnoughAnswered!: () => void;
    const enoughAnswered = new Promise<void>((resolve) => (markEnoughAnswered = resolve));
    // Four clients charging new keys back to back until the process dies under them, so the kill lands mid-traffic.
    const lanes = Array.from({ length: 4 }, async () => {
      for (;;) {
        const request = { body: chargeBody(), key: randomUUID() };
        attempted.push(request);
        try {
          answeredBeforeKill.set(request.key, await charge(first.url, request.body, request.key));
        } catch {
          cutByKill += 1;
          return;
        }
        if (answeredBeforeKill.size >= 20) markEnoughAnswered();
      }
    });
    await enoughAnswered;
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await Promise.all(lanes);
    expect(cutByKill).toBe(4);
    expect([...answeredBeforeKill.values()].map((answer) => answer.status)).toEqual(Array(answeredBeforeKill.size).fill(201));

    const second = await spawnProvider();
    children.add(second.child);
    const retries = await Promise.all(attempted.map(({ body, key }) => charge(second.url, body, key)));
    expect(retries.map((answer) => answer.status)).toEqual(Array(attempted.length).fill(201));
    for (const [index, { key }] of attempted.entries()) {
      const before = answeredBeforeKill.get(key);
      if (!before) continue; // cut by the kill: charged before it or not, the retry makes it exactly one charge
      expect(retries[index]!.headers.get('Idempotent-Replayed'), `key ${key}`).toBe('true');
      expect(idOf(retries[index]!), `key ${key}`).toBe(idOf(before));
    }
    const charges: ChargeRecord[] = await admin(second.url).charges();
    expect(charges.map((record) => record.reference).sort()).toEqual(attempted.map(({ body }) => body.reference).sort());
    expect(charges.map((record) => record.id).sort()).toEqual(retries.map(idOf).sort());

    second.child.kill('SIGTERM');
    expect(await second.exited).toBeNull();
  }, 60_000);
});
