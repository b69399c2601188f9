import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';

export type Role = 'customer' | 'admin';

interface SessionState {
  token: string | undefined;
  /** The `sub` claim: the customer id orders are placed under. */
  userId: string | undefined;
  roles: Role[];
  /** Why the last session ended, when it was not the user's choice (an expired token). */
  endedBecause: string | undefined;
  signIn(token: string): void;
  signOut(reason?: string): void;
}

/** The claims of a JWT, read without verifying it: the router verifies; the storefront only needs to know what to show. */
export function readClaims(token: string): { sub?: unknown; roles?: unknown; exp?: unknown } {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('Expected a JWT (three base64url parts separated by dots)');
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(json) as { sub?: unknown; roles?: unknown };
}

/** Who is signed in, kept across reloads (localStorage) like the cart. */
export const useSession = create<SessionState>()(
  persist(
    (set) => ({
      token: undefined,
      userId: undefined,
      roles: [],
      endedBecause: undefined,
      signIn(token) {
        const claims = readClaims(token);
        const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is Role => role === 'customer' || role === 'admin') : [];
        set({ token, userId: typeof claims.sub === 'string' ? claims.sub : undefined, roles, endedBecause: undefined });
      },
      signOut(reason) {
        set({ token: undefined, userId: undefined, roles: [], endedBecause: reason });
      },
    }),
    { name: 'shop.session', storage: createJSONStorage(() => localStorage), partialize: ({ token, userId, roles }) => ({ token, userId, roles }) },
  ),
);

export const useIsAdmin = (): boolean => useSession((session) => session.roles.includes('admin'));
export const useIsCustomer = (): boolean => useSession((session) => session.roles.includes('customer'));
