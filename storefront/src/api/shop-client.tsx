import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { createClient, type ShopClient } from '@shop/sdk';
import { API_URL, PERSISTED_DOCUMENTS } from '../config.js';
import { useSession } from '../session/session-store.js';

const ShopClientContext = createContext<ShopClient | undefined>(undefined);

/** The SDK's client for the signed-in user (or anonymous), rebuilt when the token changes. */
export function ShopClientProvider({ children, client }: { children: ReactNode; client?: ShopClient }) {
  const token = useSession((session) => session.token);
  const ownClient = useMemo(() => createClient({ url: API_URL, token, persistedDocuments: PERSISTED_DOCUMENTS }), [token]);
  return <ShopClientContext value={client ?? ownClient}>{children}</ShopClientContext>;
}

export function useShopClient(): ShopClient {
  const client = useContext(ShopClientContext);
  if (!client) throw new Error('useShopClient needs a <ShopClientProvider> above it');
  return client;
}
