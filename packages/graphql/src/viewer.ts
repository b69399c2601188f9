import { forbidden, unauthenticated } from './errors.js';

export type Role = 'customer' | 'admin';

/**
 * Who is calling. The router verifies the JWT and forwards the identity to
 * subgraphs in the headers below; subgraphs never see the token itself.
 */
export interface Viewer {
  readonly userId: string | null;
  readonly roles: ReadonlySet<Role>;
}

export const VIEWER_HEADERS = { userId: 'x-shop-user-id', roles: 'x-shop-user-roles' } as const;

export const ANONYMOUS: Viewer = { userId: null, roles: new Set() };

const KNOWN_ROLES: ReadonlySet<string> = new Set<Role>(['customer', 'admin']);

export function parseRoles(value: unknown): Set<Role> {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return new Set(list.map((role) => String(role).trim()).filter((role): role is Role => KNOWN_ROLES.has(role)));
}

export function viewerFromHeaders(headers: { get(name: string): string | null | undefined }): Viewer {
  const userId = headers.get(VIEWER_HEADERS.userId)?.trim();
  if (!userId) return ANONYMOUS;
  return { userId, roles: parseRoles(headers.get(VIEWER_HEADERS.roles) ?? '') };
}

export function viewerToHeaders(viewer: Viewer): Record<string, string> {
  if (!viewer.userId) return {};
  return { [VIEWER_HEADERS.userId]: viewer.userId, [VIEWER_HEADERS.roles]: [...viewer.roles].join(',') };
}

export function isAdmin(viewer: Viewer): boolean {
  return viewer.roles.has('admin');
}

/** The caller's id, or UNAUTHENTICATED. */
export function requireUser(viewer: Viewer): string {
  if (!viewer.userId) throw unauthenticated();
  return viewer.userId;
}

export function requireAdmin(viewer: Viewer, operation: string): void {
  requireUser(viewer);
  if (!isAdmin(viewer)) throw forbidden(`${operation} needs the admin role; the token has roles [${[...viewer.roles].join(', ')}]`);
}

/** Owners and admins may read an order or its payment. */
export function canRead(viewer: Viewer, ownerId: string): boolean {
  return viewer.userId !== null && (viewer.userId === ownerId || isAdmin(viewer));
}
