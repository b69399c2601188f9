import { parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { orderStatusQuery } from '../live/order-status-query.js';

const derive = (text: string, variables: Record<string, unknown> = { id: 'o-1' }, operationName?: string) => orderStatusQuery(parse(text), operationName, variables);
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('orderStatusQuery: the query each update of orderStatusChanged runs', () => {
  it('selects the same fields of order(id), keeping the response key, and reuses the client’s own status', () => {
    const query = derive('subscription Live($id: ID!) { orderStatusChanged(id: $id) { status payment { status } } }');
    expect(oneLine(print(query.document))).toBe('query Live($id: ID!) { orderStatusChanged: order(id: $id) { status payment { status } } }');
    expect(query).toMatchObject({ orderId: 'o-1', operationName: 'Live', responseKey: 'orderStatusChanged', statusKey: 'status', statusAdded: false });
  });

  it('adds status when the client did not select it (to be removed from what it gets), keeping an alias of the field', () => {
    const query = derive('subscription { mine: orderStatusChanged(id: "o-2") { total { amount } } }', {});
    expect(oneLine(print(query.document))).toBe('{ mine: order(id: "o-2") { total { amount } status } }');
    expect(query).toMatchObject({ orderId: 'o-2', responseKey: 'mine', statusKey: 'status', statusAdded: true });
  });

  it('finds status through fragments, and aliases the added one when the client uses the key "status" for another field', () => {
    const throughFragment = derive('subscription($id: ID!) { orderStatusChanged(id: $id) { ...F } } fragment F on Order { now: status }');
    expect(throughFragment).toMatchObject({ statusKey: 'now', statusAdded: false });
    const taken = derive('subscription($id: ID!) { orderStatusChanged(id: $id) { status: cancellationReason } }');
    expect(taken).toMatchObject({ statusKey: '_routerOrderStatus', statusAdded: true });
    expect(oneLine(print(taken.document))).toContain('status: cancellationReason _routerOrderStatus: status');
  });

  it('picks the named operation and drops the others', () => {
    const query = derive('query Other { __typename } subscription Live($id: ID!) { orderStatusChanged(id: $id) { status } }', { id: 'o-3' }, 'Live');
    expect(query.document.definitions).toHaveLength(1);
    expect(query.orderId).toBe('o-3');
  });

  it('refuses what it cannot follow, with a code', () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
        return undefined;
      } catch (error) {
        return (error as { extensions: { code: string } }).extensions.code;
      }
    };
    expect(codeOf(() => derive('query { __typename }'))).toBe('BAD_REQUEST');
    expect(codeOf(() => derive('subscription { ...S } fragment S on Subscription { orderStatusChanged(id: "x") { status } }'))).toBe('BAD_REQUEST');
    expect(codeOf(() => derive('subscription A { orderStatusChanged(id: "x") { status } } subscription B { orderStatusChanged(id: "y") { status } }'))).toBe('BAD_REQUEST');
    expect(codeOf(() => derive('subscription($id: ID!) { orderStatusChanged(id: $id) { status } }', {}))).toBe('BAD_USER_INPUT');
  });
});
