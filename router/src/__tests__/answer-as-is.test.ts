import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { answersAsIs, DataAsIs, dataAsIs, stringifyAnswer, supergraphEnumsOf, type SupergraphEnums } from '../answer-as-is.js';

const apiSchema = buildSchema(`
  enum Status { OPEN CLOSED }
  enum Colour { RED GREEN }
  interface Node { id: ID! }
  type Price { amount: Int! currency: String! }
  type Product implements Node { id: ID! name: String! price: Price! status: Status! colour: Colour related: [Product!]! node: Node }
  type Query { products(first: Int): [Product!]! product(id: ID!): Product }
  type Mutation { touch: Product }
`);
/** The supergraph's Colour has a third value, @inaccessible: the API schema lacks it. */
const supergraph: SupergraphEnums = { enumValueCount: (name) => ({ Status: 2, Colour: 3 })[name] };

function check(client: string, subgraph: string): boolean {
  const document = parse(client);
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition')!;
  return answersAsIs({ operation, document }, parse(subgraph), apiSchema, supergraph);
}

describe('answersAsIs: the subgraph operation selects exactly what the client does', () => {
  it('holds for the same fields, arguments and aliases, whatever the operation names', () => {
    expect(check('query Page($n: Int) { p: products(first: $n) { id name cost: price { amount } } }', 'query Page__products__0($n:Int){p:products(first:$n){id name cost:price{amount}}}')).toBe(true);
  });

  it('holds with fragments on the type they sit in, on either side', () => {
    expect(check('{ products { ...F ... on Product { name } ... { status } } } fragment F on Product { id }', '{ products { id name status } }')).toBe(true);
    expect(check('{ products { id name } }', '{ products { ...G } } fragment G on Product { id name }')).toBe(true);
  });

  it('holds for __typename below the root, not at the root', () => {
    expect(check('{ products { __typename id } }', '{ products { __typename id } }')).toBe(true);
    expect(check('{ __typename products { id } }', '{ __typename products { id } }')).toBe(false);
  });

  it('fails when the fields differ in order, number, alias or arguments', () => {
    expect(check('{ products { id name } }', '{ products { name id } }')).toBe(false);
    expect(check('{ products { id } }', '{ products { id __typename } }')).toBe(false);
    expect(check('{ products { a: id } }', '{ products { id } }')).toBe(false);
    expect(check('{ products(first: 1) { id } }', '{ products(first: 2) { id } }')).toBe(false);
  });

  it('fails on any directive, on either side', () => {
    expect(check('query($s: Boolean!) { products { id name @skip(if: $s) } }', '{ products { id name } }')).toBe(false);
    expect(check('{ products { id name } }', 'query($s: Boolean!) { products { id name @include(if: $s) } }')).toBe(false);
    expect(check('{ products { ... on Product @include(if: true) { id } } }', '{ products { id } }')).toBe(false);
  });

  it('fails on a fragment on another type, an interface, or a name selected twice', () => {
    expect(check('{ products { ... on Node { id } } }', '{ products { id } }')).toBe(false);
    expect(check('{ products { node { id } } }', '{ products { node { id } } }')).toBe(false);
    expect(check('{ products { id id } }', '{ products { id id } }')).toBe(false);
  });

  it('fails for an enum with a value the API schema hides, holds for one it shows whole', () => {
    expect(check('{ products { colour } }', '{ products { colour } }')).toBe(false);
    expect(check('{ products { status } }', '{ products { status } }')).toBe(true);
  });

  it('holds below lists of objects, and only for queries', () => {
    expect(check('{ products { related { id price { currency } } } }', '{ products { related { id price { currency } } } }')).toBe(true);
    expect(check('mutation { touch { id } }', 'mutation { touch { id } }')).toBe(false);
  });
});

describe('supergraphEnumsOf', () => {
  it('counts every value of each enum, @inaccessible ones included', () => {
    const enums = supergraphEnumsOf(`
      directive @inaccessible on ENUM_VALUE
      enum Colour { RED GREEN BLUE @inaccessible }
      extend enum Colour { PINK }
      type Query { colour: Colour }
    `);
    expect([enums.enumValueCount('Colour'), enums.enumValueCount('Query'), enums.enumValueCount('Nothing')]).toEqual([4, undefined, undefined]);
  });
});

describe('dataAsIs: the data of an answer that has nothing but data', () => {
  it('takes the data of {"data":{…}}, with or without a final newline', () => {
    expect(dataAsIs('{"data":{"a":[1,{"b":"c"}]}}\n')?.json).toBe('{"a":[1,{"b":"c"}]}');
    expect(dataAsIs('{"data":{"a":1}}')?.json).toBe('{"a":1}');
  });

  it('refuses errors, extensions, null data and anything not shaped so', () => {
    expect(dataAsIs('{"data":{"a":null},"errors":[{"message":"x"}]}')).toBeUndefined();
    expect(dataAsIs('{"errors":[{"message":"x"}],"data":{"a":null}}')).toBeUndefined();
    expect(dataAsIs('{"data":{"a":1},"extensions":{"x":1}}')).toBeUndefined();
    expect(dataAsIs('{"data":null}')).toBeUndefined();
    expect(dataAsIs('{"data":{"a":1}')).toBeUndefined();
    expect(dataAsIs(' {"data":{"a":1}}')).toBeUndefined();
  });

  it('sends a value spelled "errors" the usual way (it cannot tell it from the member)', () => {
    expect(dataAsIs('{"data":{"a":"errors"}}')).toBeUndefined();
  });
});

describe('stringifyAnswer: Apollo Server’s serialisation, with data as is written as its text', () => {
  it('writes what JSON.stringify of the parsed data would, for data a subgraph serialised with JSON.stringify', () => {
    const json = JSON.stringify({ products: [{ id: '1', name: 'Café "bleu"\n', price: 1.5, tags: [], __proto__: null }] });
    const asIs = stringifyAnswer({ data: new DataAsIs(json) as unknown as Record<string, unknown> });
    expect(asIs).toBe(`${JSON.stringify({ data: JSON.parse(json) })}\n`);
    expect(stringifyAnswer({ data: new DataAsIs(json) as unknown as Record<string, unknown>, extensions: { cost: 1 } })).toBe(
      `${JSON.stringify({ data: JSON.parse(json), extensions: { cost: 1 } })}\n`,
    );
  });

  it('serialises any other answer as Apollo Server does', () => {
    const answer = { errors: [{ message: 'x' }], data: { a: null } };
    expect(stringifyAnswer(answer)).toBe(`${JSON.stringify(answer)}\n`);
  });

  it('gives the parsed data to any other JSON.stringify', () => {
    expect(JSON.stringify({ data: new DataAsIs('{"a":[1]}') })).toBe('{"data":{"a":[1]}}');
  });
});
