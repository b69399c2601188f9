import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../logger.js';
import { maskUnexpectedErrors } from '../subgraph-server.js';

function fakeLogger() {
  return { error: vi.fn() } as unknown as Logger & { error: ReturnType<typeof vi.fn> };
}

const unexpected = {
  message: 'relation "products" does not exist at 10.0.0.5:5432',
  path: ['products'],
  extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at Pool.query (pg/lib/pool.js:12)'] },
};

describe('error masking', () => {
  it('replaces an unexpected error with a generic one outside development, and logs the original', () => {
    const logger = fakeLogger();
    const original = new Error(unexpected.message);
    const masked = maskUnexpectedErrors(logger, false)(unexpected, original);
    expect(masked).toEqual({ message: 'Internal server error', path: ['products'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(masked)).not.toMatch(/relation|10\.0\.0\.5|pool\.js/);
    expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ err: original }), expect.any(String));
  });

  it('keeps the message in development, never the stack', () => {
    const masked = maskUnexpectedErrors(fakeLogger(), true)(unexpected, new Error());
    expect(masked.message).toBe(unexpected.message);
    expect(masked.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('passes errors with a public code through, without their stack', () => {
    const expected = { message: 'first must be between 1 and 100, got 0', extensions: { code: 'BAD_USER_INPUT', field: 'first', stacktrace: ['x'] } };
    expect(maskUnexpectedErrors(fakeLogger(), false)(expected, new Error())).toEqual({
      message: expected.message,
      extensions: { code: 'BAD_USER_INPUT', field: 'first' },
    });
  });
});
