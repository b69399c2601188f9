import { describe, expect, it } from 'vitest';
import { redeliveryDelay, resolveConsumerOptions } from '../consumer-policy.js';
import { deadLetterSubject, filterWithin, streamForSubject, subjectMatches } from '../subjects.js';

describe('subjectMatches (NATS wildcard rules)', () => {
  it.each([
    ['orders.>', 'orders.placed', true],
    ['orders.>', 'orders.placed.v1', true],
    ['orders.>', 'orders', false],
    ['orders.*', 'orders.placed', true],
    ['orders.*', 'orders.placed.v1', false],
    ['orders.*.v1', 'orders.placed.v1', true],
    ['orders.*.v1', 'orders.placed.v2', false],
    ['orders.placed', 'orders.placed', true],
    ['orders.placed', 'orders.placedx', false],
    ['>', 'anything.at.all', true],
    ['*', 'one', true],
    ['*', 'one.two', false],
    ['dlq.>', 'orders.placed', false],
  ])('%s matches %s: %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });
});

describe('filterWithin', () => {
  it.each([
    ['orders.>', 'orders.>', true],
    ['orders.placed', 'orders.>', true],
    ['orders.*.v1', 'orders.>', true],
    ['orders', 'orders.>', false],
    ['>', 'orders.>', false],
    ['payments.>', 'orders.>', false],
    ['orders.*', 'orders.placed', false],
    ['orders.placed', 'orders.*', true],
  ])('%s within %s: %s', (filter, pattern, expected) => {
    expect(filterWithin(filter, pattern)).toBe(expected);
  });
});

describe('stream and dead-letter subjects', () => {
  it('finds the stream covering a subject', () => {
    expect(streamForSubject('orders.placed')).toBe('ORDERS');
    expect(streamForSubject('dlq.products-from-orders')).toBe('DEAD_LETTERS');
    expect(streamForSubject('shipping.sent')).toBeUndefined();
  });

  it('puts dead letters on dlq.<durable>', () => {
    expect(deadLetterSubject('products-from-orders')).toBe('dlq.products-from-orders');
  });
});

describe('consumer options', () => {
  const base = { durable: 'd', stream: 'ORDERS' as const, filterSubject: 'orders.>', handle: () => Promise.resolve() };

  it('defaults maxDeliver to 5 and backoff to [200, 1000, 3000, 5000]', () => {
    expect(resolveConsumerOptions(base)).toMatchObject({ maxDeliver: 5, backoffMs: [200, 1000, 3000, 5000] });
  });

  it('repeats the last backoff value', () => {
    expect([1, 2, 3, 4].map((n) => redeliveryDelay([50, 100], n))).toEqual([50, 100, 100, 100]);
  });

  it.each([
    [{ durable: 'has.dot' }, 'expected a durable name of letters, digits, "-" and "_", got "has.dot"'],
    [{ filterSubject: 'orders.>.x' }, 'expected a subject filter like "orders.>" or "orders.*.placed", got "orders.>.x"'],
    [{ filterSubject: 'products.>' }, 'filterSubject "products.>" is outside stream ORDERS (subjects "orders.>")'],
    [{ maxDeliver: 0 }, 'expected maxDeliver to be an integer >= 1, got 0'],
    [{ backoffMs: [] }, 'expected backoffMs to be a non-empty list of delays >= 0, got []'],
  ])('rejects %o', (override, message) => {
    expect(() => resolveConsumerOptions({ ...base, ...override })).toThrow(message);
  });
});
