import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '@shop/observability';
import { maskUnexpectedErrors } from '../subgraph-server.js';

function fakeLogger() {
  return { error: vi.fn(), warn: vi.fn() } as unknown as Logger & { error: ReturnType<typeof vi.fn>; warn: ReturnType<typeof vi.fn> };
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

  it('answers SERVICE_UNAVAILABLE, retryable, when the database dropped the connection or cannot be reached', () => {
    const terminated = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    const lost = new Error('Connection terminated unexpectedly');
    for (const cause of [terminated, refused, lost]) {
      const logger = fakeLogger();
      // As Apollo hands it over: a GraphQLError-like wrapper whose originalError is the driver's.
      const masked = maskUnexpectedErrors(logger, false)(unexpected, { message: cause.message, originalError: cause });
      expect(masked).toEqual({ message: 'The service could not reach its database; retry the request', path: ['products'], extensions: { code: 'SERVICE_UNAVAILABLE' } });
      expect(logger.error).not.toHaveBeenCalled();
    }
    // A broken query is no outage: still internal.
    expect(maskUnexpectedErrors(fakeLogger(), false)(unexpected, Object.assign(new Error('relation "x" does not exist'), { code: '42P01' })).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });
});
