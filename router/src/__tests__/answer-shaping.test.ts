/**
 * The router's patch of @apollo/gateway's result shaping (patches/README.md)
 * must shape answers exactly as the unpatched code: its leaf checks agree with
 * federation-internals' own `isValidLeafValue` for every built-in scalar, an
 * enum and a custom scalar, and the answer's objects inherit nothing, as the
 * `Object.create(null)` objects they replace.
 */
import { buildSchema, isValidLeafValue, operationFromDocument, type EnumType, type ScalarType, type Schema } from '@apollo/federation-internals';
// The module the patch changes (no "exports" map in @apollo/gateway: its dist/ files are reachable).
import { computeResponse } from '@apollo/gateway/dist/resultShaping.js';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';

const schema: Schema = buildSchema(`
  enum Status { OPEN CLOSED }
  scalar DateTime
  type Query {
    int: Int
    float: Float
    string: String
    boolean: Boolean
    id: ID
    status: Status
    at: DateTime
  }
`);

const LEAVES = ['int', 'float', 'string', 'boolean', 'id', 'status', 'at'] as const;
const VALUES: unknown[] = [0, -0, 7, -12, 1.5, 2 ** 53, 1e20, 1e21, -1e21, Number.NaN, Number.POSITIVE_INFINITY, '', 'OPEN', 'open', '5', true, false, {}, []];

function shape(query: string, input: Record<string, unknown>) {
  const operation = operationFromDocument(schema, parse(query), { validate: false });
  return computeResponse({ operation, variables: {}, input, introspectionHandling: () => null });
}

describe('answer shaping (patched @apollo/gateway)', () => {
  it.each(LEAVES)('keeps a %s leaf exactly when isValidLeafValue accepts it', (field) => {
    const type = schema.schemaDefinition.rootType('query')!.field(field)!.type as ScalarType | EnumType;
    for (const value of VALUES) {
      const { data, errors } = shape(`{ ${field} }`, { [field]: value });
      const valid = isValidLeafValue(schema, value, type);
      expect({ value, kept: Object.is((data as Record<string, unknown>)[field], value), errors: errors.length }).toEqual({ value, kept: valid, errors: valid ? 0 : 1 });
    }
  });

  it('answers with objects that inherit nothing, aliases named like Object.prototype members included', () => {
    // Parsed, as a subgraph's answer is: an object literal's __proto__ would set the prototype instead.
    const input = JSON.parse('{"constructor":"c","toString":1,"__proto__":true,"id":"x"}') as Record<string, unknown>;
    const { data, errors } = shape('{ constructor: string toString: int __proto__: boolean id }', input);
    expect(errors).toEqual([]);
    for (const inherited of ['hasOwnProperty', 'valueOf', 'isPrototypeOf']) expect(inherited in data!, inherited).toBe(false);
    expect(Object.keys(data!)).toEqual(['constructor', 'toString', '__proto__', 'id']);
    expect(JSON.stringify(data)).toBe('{"constructor":"c","toString":1,"__proto__":true,"id":"x"}');
  });
});

/**
 * Nulls, lists, fragments and errors: what the unpatched result shaping
 * answers for each case (checked against @apollo/gateway 2.14.4 unpatched),
 * pinned so the patched functions answer the same.
 */
describe('answer shaping of nulls, lists, fragments and errors (patched @apollo/gateway)', () => {
  const nested: Schema = buildSchema(`
    type Query { orders: [Order!], order: Order, required: Order!, things: [Thing], lists: [[Int!]] }
    type Order { id: ID!, note: String, lines: [Line!]! }
    type Line { quantity: Int! }
    interface Thing { id: ID! }
    type Book implements Thing { id: ID!, title: String }
    type Pen implements Thing { id: ID!, colour: String }
  `);
  function shapeNested(query: string, input: Record<string, unknown>) {
    const operation = operationFromDocument(nested, parse(query), { validate: false });
    const { data, errors } = computeResponse({ operation, variables: {}, input, introspectionHandling: () => null });
    return JSON.parse(JSON.stringify({ data, errors: errors.map((error) => ({ message: error.message, path: error.path, code: error.extensions['code'] })) })) as unknown;
  }
  const invalid = (message: string, path: (string | number)[]) => ({ message, path, code: 'INVALID_GRAPHQL' });

  it.each([
    {
      name: 'a null for a non-null field nulls its nullable parent, with one error',
      query: '{ order { id note } }',
      input: { order: { id: null, note: 'n' } },
      expected: { data: { order: null }, errors: [invalid('Cannot return null for non-nullable field Order.id.', ['order', 'id'])] },
    },
    {
      name: 'a null element of a list of non-null objects nulls the list',
      query: '{ orders { id } }',
      input: { orders: [{ id: '1' }, null] },
      expected: { data: { orders: null }, errors: [invalid('Cannot return null for non-nullable array element of type Order at index 1.', ['orders', 1])] },
    },
    {
      name: 'a null for a non-null root field nulls the data',
      query: '{ required { id } }',
      input: { required: null },
      expected: { data: null, errors: [invalid('Cannot return null for non-nullable field Query.required.', ['required'])] },
    },
    {
      name: 'an unknown __typename nulls its object',
      query: '{ order { id } }',
      input: { order: { __typename: 'Nope', id: '1' } },
      expected: { data: { order: null }, errors: [invalid('Invalid __typename found for object at field Query.order.', ['order'])] },
    },
    {
      name: 'fragments on an interface follow each object\'s __typename, aliased __typename included',
      query: '{ things { id ... on Book { title } kind: __typename } }',
      input: { things: [{ __typename: 'Book', id: 'b', title: 'T' }, null, { __typename: 'Pen', id: 'p', colour: 'red' }] },
      expected: { data: { things: [{ id: 'b', title: 'T', kind: 'Book' }, null, { id: 'p', kind: 'Pen' }] }, errors: [] },
    },
    {
      name: 'an invalid leaf deep in a list bubbles up to the nearest nullable field, with its own error only',
      query: '{ order { id lines { quantity } } }',
      input: { order: { id: '1', lines: [{ quantity: 1 }, { quantity: 'x' }] } },
      expected: { data: { order: null }, errors: [invalid('Invalid value found for field Line.quantity.', ['order', 'lines', 1, 'quantity'])] },
    },
    {
      name: 'lists of lists: a null inner element nulls its inner list only',
      query: '{ lists }',
      input: { lists: [[1, 2], null, [3, null]] },
      expected: { data: { lists: [[1, 2], null, null] }, errors: [invalid('Cannot return null for non-nullable array element of type Int at index 1.', ['lists', 2, 1])] },
    },
    {
      name: 'a field selected twice (directly and in a fragment) is shaped once, in selection order',
      query: '{ order { id ... on Order { id lines { quantity } } lines { quantity } note } }',
      input: { order: { id: '1', lines: [{ quantity: 2 }], note: null } },
      expected: { data: { order: { id: '1', lines: [{ quantity: 2 }], note: null } }, errors: [] },
    },
  ])('$name', ({ query, input, expected }) => {
    expect(shapeNested(query, input)).toEqual(expected);
  });
});
