import { ShopApiError } from '@shop/sdk';
import { API_URL } from '../config.js';

/** What went wrong, in the terms a shopper can act on. */
export type Problem =
  | { kind: 'unreachable'; message: string }
  | { kind: 'unauthenticated'; message: string }
  | { kind: 'forbidden'; message: string }
  | { kind: 'unavailable'; message: string }
  | { kind: 'invalid'; message: string; fields: Record<string, string> }
  | { kind: 'conflict'; message: string }
  | { kind: 'unexpected'; message: string };

const codesOf = (error: unknown): string[] => (error instanceof ShopApiError ? error.codes : []);

/** Turns anything a request threw into a Problem. */
export function describeProblem(error: unknown): Problem {
  // fetch() rejects with a TypeError when nothing answers (down, wrong URL, refused by CORS).
  if (error instanceof TypeError) {
    return { kind: 'unreachable', message: `The shop cannot be reached at ${API_URL}. Check your connection, or that the shop is running (npm start), and try again.` };
  }
  if (!(error instanceof ShopApiError)) return { kind: 'unexpected', message: error instanceof Error ? error.message : String(error) };
  const codes = codesOf(error);
  if (codes.includes('UNAUTHENTICATED')) return { kind: 'unauthenticated', message: 'Your sign-in has expired or is no longer valid. Please sign in again.' };
  if (codes.includes('FORBIDDEN')) return { kind: 'forbidden', message: 'Your account is not allowed to do this.' };
  if (codes.some((code) => code === 'SUBGRAPH_UNAVAILABLE' || code === 'SERVICE_UNAVAILABLE') || error.status === 502 || error.status === 503) {
    return { kind: 'unavailable', message: 'Part of the shop is unavailable right now. Please try again in a moment.' };
  }
  if (codes.includes('BAD_USER_INPUT')) {
    const fields: Record<string, string> = {};
    for (const { message, extensions } of error.errors) {
      const field = extensions?.['field'];
      if (typeof field === 'string') fields[field] = message;
    }
    return { kind: 'invalid', message: error.errors.map(({ message }) => message).join(' '), fields };
  }
  if (codes.includes('CONFLICT')) return { kind: 'conflict', message: error.errors.map(({ message }) => message).join(' ') };
  return { kind: 'unexpected', message: error.errors.map(({ message }) => message).join(' ') || error.message };
}

export const isUnauthenticated = (error: unknown): boolean => codesOf(error).includes('UNAUTHENTICATED');
