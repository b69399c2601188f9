import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { post, useSimulator } from './helpers.js';

const simulator = useSimulator();

function chargeBody(token: string, overrides: Record<string, unknown> = {}) {
  return { amount: 1999, currency: 'EUR', token, reference: `order-${randomUUID()}`, ...overrides };
}

function charge(body: unknown, key: string | null = randomUUID()) {
  return post(`${simulator.provider.url}/v1/charges`, body, key === null ? {} : { 'Idempotency-Key': key });
}

function refund(chargeId: string, key: string = randomUUID()) {
  return post(`${simulator.provider.url}/v1/refunds`, { charge: chargeId }, { 'Idempotency-Key': key });
}

describe('charges: test tokens', () => {
  it('tok_visa succeeds with a charge', async () => {
    const body = chargeBody('tok_visa');
    const answer = await charge(body);
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^ch_[0-9a-f-]{36}$/),
      status: 'succeeded',
      amount: 1999,
      currency: 'EUR',
      reference: body.reference,
    });
    expect(answer.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await simulator.control.charges()).toEqual([
      { id: (answer.body as { id: string }).id, reference: body.reference, amount: 1999, currency: 'EUR', status: 'succeeded' },
    ]);
  });

  it.each([
    ['tok_chargeDeclined', 'card_declined'],
    ['tok_insufficientFunds', 'insufficient_funds'],
    ['tok_unknown', 'invalid_token'],
    ['tok_VISA', 'invalid_token'],
  ])('%s is declined with %s, and no charge is kept', async (token, code) => {
    const answer = await charge(chargeBody(token));
    expect(answer.status).toBe(402);
    expect(answer.body).toEqual({ status: 'failed', code });
    expect(await simulator.control.charges()).toEqual([]);
  });

  it('tok_processingError fails transiently twice for a key, then succeeds once', async () => {
    const body = chargeBody('tok_processingError');
    const key = randomUUID();
    const first = await charge(body, key);
    const second = await charge(body, key);
    expect([first.status, second.status]).toEqual([503, 503]);
    expect(first.body).toEqual({ error: 'processing_error' });
    expect(await simulator.control.charges()).toEqual([]);

    const third = await charge(body, key);
    expect(third.status).toBe(201);
    const fourth = await charge(body, key);
    expect(fourth.status).toBe(201);
    expect(fourth.headers.get('Idempotent-Replayed')).toBe('true');
    expect(fourth.body).toEqual(third.body);
    expect(await simulator.control.charges()).toHaveLength(1);
  });

  it('counts transient attempts per idempotency key', async () => {
    expect((await charge(chargeBody('tok_processingError'), 'key-a')).status).toBe(503);
    expect((await charge(chargeBody('tok_processingError'), 'key-b')).status).toBe(503);
    expect((await charge(chargeBody('tok_processingError'), 'key-c')).status).toBe(503);
  });
});

describe('charges: validation', () => {
  it('requires an Idempotency-Key header', async () => {
    const answer = await charge(chargeBody('tok_visa'), null);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'invalid_request', message: expect.stringContaining('Idempotency-Key') });
    expect(await simulator.control.charges()).toEqual([]);
  });

  it.each([
    ['a negative amount', { amount: -1 }],
    ['a fractional amount', { amount: 10.5 }],
    ['an amount as a string', { amount: '10' }],
    ['a lower-case currency', { currency: 'eur' }],
    ['a 4-letter currency', { currency: 'EURO' }],
    ['a missing token', { token: undefined }],
    ['an empty reference', { reference: '' }],
  ])('rejects %s with 400 invalid_request', async (_, overrides) => {
    const answer = await charge(chargeBody('tok_visa', overrides));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'invalid_request', message: expect.any(String) });
  });

  it('accepts an amount of 0', async () => {
    expect((await charge(chargeBody('tok_visa', { amount: 0 }))).status).toBe(201);
  });

  it('rejects malformed JSON with 400 invalid_request', async () => {
    const answer = await charge('{"amount":', 'k');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request' });
  });

  it('does not store a 400 under the key: the corrected request can use it', async () => {
    const key = randomUUID();
    expect((await charge(chargeBody('tok_visa', { currency: 'eur' }), key)).status).toBe(400);
    expect((await charge(chargeBody('tok_visa'), key)).status).toBe(201);
  });
});

describe('charges: idempotency', () => {
  it('replays the stored answer for the same key and body, without charging again', async () => {
    const body = chargeBody('tok_visa');
    const key = randomUUID();
    const first = await charge(body, key);
    const again = await charge(body, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await simulator.control.charges()).toHaveLength(1);
  });

  it('replays a decline too', async () => {
    const body = chargeBody('tok_chargeDeclined');
    const key = randomUUID();
    await charge(body, key);
    const again = await charge(body, key);
    expect(again.status).toBe(402);
    expect(again.body).toEqual({ status: 'failed', code: 'card_declined' });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
  });

  it('answers 422 when a key is reused with another body', async () => {
    const body = chargeBody('tok_visa');
    const key = randomUUID();
    await charge(body, key);
    const reused = await charge({ ...body, amount: body.amount + 1 }, key);
    expect(reused.status).toBe(422);
    expect(reused.body).toEqual({ error: 'idempotency_key_reused' });
    expect(await simulator.control.charges()).toHaveLength(1);
  });

  it('ignores the order of the JSON properties when comparing bodies', async () => {
    const body = chargeBody('tok_visa');
    const key = randomUUID();
    const first = await charge(body, key);
    const reordered = await charge({ reference: body.reference, token: body.token, currency: body.currency, amount: body.amount }, key);
    expect(reordered.status).toBe(201);
    expect(reordered.body).toEqual(first.body);
  });

  it('creates exactly one charge for 10 concurrent identical requests', async () => {
    const body = chargeBody('tok_visa');
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => charge(body, key)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    const ids = new Set(answers.map((answer) => (answer.body as { id: string }).id));
    expect(ids.size).toBe(1);
    expect(answers.filter((answer) => answer.headers.get('Idempotent-Replayed') === 'true')).toHaveLength(9);
    expect(await simulator.control.charges()).toHaveLength(1);
  });

  it('serializes concurrent tok_processingError attempts: two 503s, then one charge', async () => {
    const body = chargeBody('tok_processingError');
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => charge(body, key)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 201, 503, 503]);
    expect(await simulator.control.charges()).toHaveLength(1);
  });
});

describe('refunds', () => {
  async function succeededCharge() {
    const answer = await charge(chargeBody('tok_visa'));
    return (answer.body as { id: string; amount: number }).id;
  }

  it('refunds a charge once, and marks it refunded', async () => {
    const chargeId = await succeededCharge();
    const answer = await refund(chargeId);
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ id: expect.stringMatching(/^re_[0-9a-f-]{36}$/), charge: chargeId, status: 'succeeded', amount: 1999 });
    expect(await simulator.control.charges()).toEqual([expect.objectContaining({ id: chargeId, status: 'refunded' })]);
  });

  it('replays a refund for the same key', async () => {
    const chargeId = await succeededCharge();
    const key = randomUUID();
    const first = await refund(chargeId, key);
    const again = await refund(chargeId, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
  });

  it('answers 409 already_refunded to a second refund with another key', async () => {
    const chargeId = await succeededCharge();
    await refund(chargeId);
    const second = await refund(chargeId);
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ error: 'already_refunded' });
  });

  it('answers 404 for an unknown charge', async () => {
    const answer = await refund('ch_unknown');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: 'charge_not_found' });
  });

  it('requires an Idempotency-Key header', async () => {
    const chargeId = await succeededCharge();
    const answer = await post(`${simulator.provider.url}/v1/refunds`, { charge: chargeId });
    expect(answer.status).toBe(400);
  });

  it('answers 422 when a charge key is reused for a refund', async () => {
    const key = randomUUID();
    const created = await charge(chargeBody('tok_visa'), key);
    const answer = await refund((created.body as { id: string }).id, key);
    expect(answer.status).toBe(422);
  });
});

describe('fault injection and test controls', () => {
  it('fails the next N requests with 503 before any processing, then recovers', async () => {
    await simulator.control.setFaults({ failNextRequests: 2 });
    const body = chargeBody('tok_visa');
    const key = randomUUID();
    expect((await charge(body, key)).status).toBe(503);
    expect((await charge(body, key)).status).toBe(503);
    expect(await simulator.control.charges()).toEqual([]);
    expect((await charge(body, key)).status).toBe(201);
    expect(await simulator.control.stats()).toEqual({ chargeRequests: 3, refundRequests: 0 });
  });

  it('answers every charge/refund 503 while down, and /ready says not ready', async () => {
    await simulator.control.setFaults({ down: true });
    expect((await charge(chargeBody('tok_visa'))).status).toBe(503);
    expect((await refund('ch_x')).status).toBe(503);
    expect((await fetch(`${simulator.provider.url}/ready`)).status).toBe(503);
    expect((await fetch(`${simulator.provider.url}/health`)).status).toBe(200);
    expect(await simulator.control.stats()).toEqual({ chargeRequests: 1, refundRequests: 1 });

    await simulator.control.clearFaults();
    expect((await fetch(`${simulator.provider.url}/ready`)).status).toBe(200);
    expect((await charge(chargeBody('tok_visa'))).status).toBe(201);
  });

  it('rejects unknown fault settings', async () => {
    const answer = await post(`${simulator.provider.url}/_admin/faults`, { latency: 10 });
    expect(answer.status).toBe(400);
  });

  it('merges fault settings, and DELETE resets them', async () => {
    await simulator.control.setFaults({ latencyMs: 5 });
    await simulator.control.setFaults({ failNextRequests: 1 });
    expect(await (await fetch(`${simulator.provider.url}/_admin/faults`)).json()).toEqual({ latencyMs: 5, failNextRequests: 1, down: false, answerDelayMs: 0 });
    await simulator.control.clearFaults();
    expect(await (await fetch(`${simulator.provider.url}/_admin/faults`)).json()).toEqual({ latencyMs: 0, failNextRequests: 0, down: false, answerDelayMs: 0 });
  });

  it('reset forgets charges, keys and counters', async () => {
    const body = chargeBody('tok_visa');
    const key = randomUUID();
    const first = await charge(body, key);
    await simulator.control.reset();
    expect(await simulator.control.charges()).toEqual([]);
    expect(await simulator.control.stats()).toEqual({ chargeRequests: 0, refundRequests: 0 });
    const afterReset = await charge(body, key);
    expect(afterReset.headers.get('Idempotent-Replayed')).toBeNull();
    expect(afterReset.body).not.toEqual(first.body);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const answer = await post(`${simulator.provider.url}/v1/nothing`, {});
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: 'not_found' });
  });
});
