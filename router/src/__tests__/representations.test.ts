import { describe, expect, it } from 'vitest';
import { expandEntities, uniqueRepresentations } from '../representations.js';

const product = (id: string) => ({ __typename: 'Product', id });

describe('each distinct entity representation once per subgraph call', () => {
  it('sends the distinct representations in first-seen order and remembers where each original went', () => {
    const unique = uniqueRepresentations([product('a'), product('b'), product('a'), product('c'), product('b')]);
    expect(unique).toEqual({ distinct: [product('a'), product('b'), product('c')], indexOf: [0, 1, 0, 2, 1] });
  });

  it('tells representations apart by every field, whatever their shape', () => {
    const withKey = { __typename: 'Product', id: 'a', sku: 'MUG' };
    const numericId = { __typename: 'Product', id: 1 };
    const unique = uniqueRepresentations([product('a'), withKey, numericId, { ...withKey }, product('1'), { __typename: 'Order', id: 'a' }, { ...numericId }]);
    expect(unique).toEqual({ distinct: [product('a'), withKey, numericId, product('1'), { __typename: 'Order', id: 'a' }], indexOf: [0, 1, 2, 1, 3, 4, 2] });
  });

  it('leaves alone a call with nothing to save: no representations, one, or all distinct', () => {
    expect(uniqueRepresentations(undefined)).toBeUndefined();
    expect(uniqueRepresentations([product('a')])).toBeUndefined();
    expect(uniqueRepresentations([product('a'), product('b')])).toBeUndefined();
  });

  it('expands the answer to one entity per original representation, each its own object', () => {
    const unique = uniqueRepresentations([product('a'), product('b'), product('a')])!;
    const answer = expandEntities({ data: { _entities: [{ name: 'A', price: { amount: 1 } }, null] } }, unique);
    expect(answer.data._entities).toEqual([{ name: 'A', price: { amount: 1 } }, null, { name: 'A', price: { amount: 1 } }]);
    const [first, , third] = answer.data._entities as { price: object }[];
    // The gateway merges into what it receives: a shared object would take one place's merge into another.
    expect(third).not.toBe(first);
    expect(third!.price).not.toBe(first!.price);
  });

  it('repeats an error about a distinct representation for every place it stood for, and keeps other errors as they are', () => {
    const unique = uniqueRepresentations([product('a'), product('b'), product('a')])!;
    const answer = expandEntities(
      {
        data: { _entities: [null, { name: 'B' }] },
        errors: [
          { message: 'no A', path: ['_entities', 0, 'name'] },
          { message: 'elsewhere', path: ['other'] },
          { message: 'no path' },
        ],
      },
      unique,
    );
    expect(answer.errors).toEqual([
      { message: 'no A', path: ['_entities', 0, 'name'] },
      { message: 'no A', path: ['_entities', 2, 'name'] },
      { message: 'elsewhere', path: ['other'] },
      { message: 'no path' },
    ]);
  });
});
