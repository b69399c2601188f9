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
