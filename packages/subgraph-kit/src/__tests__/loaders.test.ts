import { describe, expect, it } from 'vitest';
import { rowByUuid, rowsByUuid } from '../loaders.js';

const A = '0b9e3c57-7a43-4c1e-9a3e-0d6f1f0c2a01';
const B = '5f1d2e4c-2b1a-4d7e-8f3c-9a8b7c6d5e02';
const C = '9c8b7a6f-5e4d-4c3b-a2a1-0f9e8d7c6b03';

/** A `find` that records the keys of each batch and answers rows in an order of its own. */
function recordingFind<Row>(rows: Row[]) {
  const batches: string[][] = [];
  return {
    batches,
    find: async (keys: string[]) => {
      batches.push(keys);
      return [...rows].reverse();
    },
  };
}

describe('rowByUuid', () => {
  it('answers a batch in key order from one find, null for a missing key, whatever the case of the key', async () => {
    const { batches, find } = recordingFind([{ id: A, name: 'a' }, { id: B, name: 'b' }]);
    const loader = rowByUuid(find, (row) => row.id);
    const answers = await Promise.all([loader.load(B), loader.load(C), loader.load(A.toUpperCase())]);
    expect(answers).toEqual([{ id: B, name: 'b' }, null, { id: A, name: 'a' }]);
    expect(batches).toEqual([[B, C, A.toUpperCase()]]);
  });

  it('answers a key that is not a UUID (a forged reference) with null, without passing it to find', async () => {
    const { batches, find } = recordingFind([{ id: A }]);
    const loader = rowByUuid(find, (row) => row.id);
    expect(await Promise.all([loader.load("1' or '1'='1"), loader.load(A)])).toEqual([null, { id: A }]);
    expect(batches).toEqual([[A]]);
  });
});

describe('rowsByUuid', () => {
  it('groups rows under their key, keeping the order find gave them, and answers none for a key without rows', async () => {
    const lines = [
      { order: A, line: 2 },
      { order: B, line: 1 },
      { order: A, line: 1 },
    ];
    const loader = rowsByUuid(async () => lines, (row) => row.order);
    expect(await Promise.all([loader.load(C), loader.load(A), loader.load(B)])).toEqual([
      [],
      [
        { order: A, line: 2 },
        { order: A, line: 1 },
      ],
      [{ order: B, line: 1 }],
    ]);
  });
});
