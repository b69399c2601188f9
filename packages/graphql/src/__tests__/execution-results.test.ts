import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { buildSchema, graphql } from 'graphql';
import { describe, expect, it } from 'vitest';

/**
 * graphql-js is patched (patches/graphql+16.15.0.patch): the objects of an
 * execution result are made by a constructor whose prototype is
 * `Object.create(null)`, so V8 keeps them in fast mode, and a field without
 * arguments gets its empty arguments object directly. These tests pin what must
 * not change (the objects inherit nothing, whatever the aliases, in every
 * execution path; each resolver gets its own plain arguments object, as
 * declared) and check that the patch is applied.
 */
const schema = buildSchema(`
  type Query { name: String, item: Item, items: [Item!]!, later: Item }
  type Mutation { rename(to: String!): Item, again(to: String!): Item }
  type Item { id: ID!, name: String }
`);
const item = { id: '1', name: 'first' };
const rootValue = {
  name: 'shop',
  item,
  items: [item, { id: '2', name: 'second' }],
  later: () => Promise.resolve(item), // a promise: the result is assembled by promiseForObject
  rename: ({ to }: { to: string }) => ({ id: '1', name: to }),
  again: ({ to }: { to: string }) => Promise.resolve({ id: '1', name: to }),
};

/** Every object of the data, at any depth. */
function objectsOf(value: unknown): object[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap(objectsOf);
  return [value, ...Object.values(value).flatMap(objectsOf)];
}

describe('graphql-js execution results (patched)', () => {
  it('inherit nothing: aliases named like Object.prototype members are plain fields, in queries, async fields and mutations', async () => {
    const query = await graphql({
      schema,
      rootValue,
      source: '{ __proto__: name constructor: name toString: item { hasOwnProperty: id valueOf: name } items { id } later { id name } }',
    });
    expect(query.errors).toBeUndefined();
    expect(JSON.stringify(query.data)).toBe(
      '{"__proto__":"shop","constructor":"shop","toString":{"hasOwnProperty":"1","valueOf":"first"},"items":[{"id":"1"},{"id":"2"}],"later":{"id":"1","name":"first"}}',
    );
    // Mutations run their fields one after the other (another code path), one of them async.
    const mutation = await graphql({ schema, rootValue, source: 'mutation { rename(to: "a") { id name } again(to: "b") { constructor: name } }' });
    expect(JSON.stringify(mutation.data)).toBe('{"rename":{"id":"1","name":"a"},"again":{"constructor":"b"}}');

    const objects = [...objectsOf(query.data), ...objectsOf(mutation.data)];
    expect(objects).toHaveLength(8);
    for (const object of objects) {
      expect('hasOwnProperty' in object && !Object.hasOwn(object, 'hasOwnProperty')).toBe(false);
      expect('toString' in object && !Object.hasOwn(object, 'toString')).toBe(false);
      expect(Object.prototype.isPrototypeOf.call(Object.prototype, object)).toBe(false);
    }
  });

  it('give each resolver its own plain arguments object: empty for a field without any, declared defaults and given values otherwise', async () => {
    const seen: Record<string, unknown>[] = [];
    const withArguments = buildSchema('type Query { plain: Int, again: Int, page(first: Int = 2, after: String): [Int!]! }');
    const record = (args: Record<string, unknown>) => {
      seen.push(args);
      args['scribbled'] = true; // a resolver may write to its arguments: the next field must not see it
      return 1;
    };
    const result = await graphql({
      schema: withArguments,
      source: '{ plain again page first: page(first: 1, after: "x") }',
      rootValue: { plain: record, again: record, page: (args: Record<string, unknown>) => (seen.push({ ...args }), [1]) },
    });
    expect(result.errors).toBeUndefined();
    expect(seen.map((args) => JSON.stringify(args))).toEqual(['{"scribbled":true}', '{"scribbled":true}', '{"first":2}', '{"first":1,"after":"x"}']);
    expect(seen[0]).not.toBe(seen[1]);
    // Plain objects, as graphql-js 16 makes them (`{ ...coercedValues }`): resolvers may call their methods.
    for (const args of seen.slice(0, 2)) expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
  });

  it('are in V8 fast mode (the patch is applied)', () => {
    // %HasFastProperties needs --allow-natives-syntax: a child Node process with the same graphql.
    const graphqlPath = createRequire(import.meta.url).resolve('graphql');
    const script = `
      const { buildSchema, graphqlSync } = require(${JSON.stringify(graphqlPath)});
      const schema = buildSchema('type Query { a: String, b: B } type B { c: Int }');
      const { data } = graphqlSync({ schema, source: '{ a b { c } }', rootValue: { a: 'x', b: { c: 1 } } });
      process.stdout.write(JSON.stringify([%HasFastProperties(data), %HasFastProperties(data.b)]));
    `;
    const output = execFileSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual([true, true]);
  });
});
