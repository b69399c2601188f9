import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parseFirst, parseId, toConnection } from '../pagination.js';

function codeOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (error instanceof GraphQLError) return error.extensions['code'];
    throw error;
  }
  return 'no error';
}

describe('cursors', () => {
  it('round-trips a position, to the millisecond', () => {
    const position = { createdAt: new Date('2026-01-31T12:00:00.123Z'), id: '0b7e1c1e-5f43-4c1a-9c55-7f7f2a6b8a01' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('treats a missing cursor as the first page', () => {
    expect(decodeCursor(undefined)).toBeNull();
    expect(decodeCursor(null)).toBeNull();
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['JSON of the wrong shape', Buffer.from('{"a":1}').toString('base64url')],
    ['an unknown version', Buffer.from('["v9","2026-01-01T00:00:00.000Z","0b7e1c1e-5f43-4c1a-9c55-7f7f2a6b8a01"]').toString('base64url')],
    ['a bad date', Buffer.from('["v1","yesterday","0b7e1c1e-5f43-4c1a-9c55-7f7f2a6b8a01"]').toString('base64url')],
    ['a bad id', Buffer.from('["v1","2026-01-01T00:00:00.000Z","1; drop table"]').toString('base64url')],
  ])('rejects %s with BAD_USER_INPUT', (_, cursor) => {
    expect(codeOf(() => decodeCursor(cursor))).toBe('BAD_USER_INPUT');
  });
});

describe('page size', () => {
  it('defaults to 20 and accepts 1..100', () => {
    expect(parseFirst(undefined)).toBe(20);
    expect(parseFirst(1)).toBe(1);
    expect(parseFirst(100)).toBe(100);
  });

  it.each([0, -1, 101, 1_000_000])('rejects first = %d with BAD_USER_INPUT', (first) => {
    expect(codeOf(() => parseFirst(first))).toBe('BAD_USER_INPUT');
  });
});

describe('connections', () => {
  const row = (n: number) => ({ id: `00000000-0000-4000-8000-00000000000${n}`, created_at: new Date(1_000_000 - n) });

  it('uses the extra row only to tell that another page exists', () => {
    const connection = toConnection([row(1), row(2), row(3)], 2);
    expect(connection.edges.map((edge) => edge.node.id)).toEqual([row(1).id, row(2).id]);
    expect(connection.pageInfo).toEqual({ hasNextPage: true, endCursor: connection.edges[1]?.cursor });
    // Each edge's cursor is its row's position (encoded when asked for).
    expect(connection.edges.map((edge) => decodeCursor(edge.cursor))).toEqual([row(1), row(2)].map(({ id, created_at }) => ({ id, createdAt: created_at })));
  });

  it('ends with no next page and a null cursor when empty', () => {
    expect(toConnection([], 5).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});

describe('ids', () => {
  it('accepts a UUID in any case and lower-cases it', () => {
    expect(parseId('0B7E1C1E-5F43-4C1A-9C55-7F7F2A6B8A01', 'id')).toBe('0b7e1c1e-5f43-4c1a-9c55-7f7f2a6b8a01');
  });

  it('rejects anything else with BAD_USER_INPUT', () => {
    expect(codeOf(() => parseId('42', 'id'))).toBe('BAD_USER_INPUT');
  });
});
