import { ShopApiError, type ShopClient } from '@shop/sdk';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

/** An answer that may lack the parts a subgraph could not give (`SUBGRAPH_UNAVAILABLE`). */
export interface PartialAnswer<TData> {
  data: TData;
  /** Where data is missing, e.g. "order.payment"; empty when the answer is whole. */
  missing: string[];
}

/**
 * Runs a query and keeps the data when the only errors are parts the router
 * could not fetch: an order still shows while the payments subgraph is down,
 * with its payment marked unavailable instead of a failed page. Any other
 * error, or no data at all, rejects as `request` would.
 */
export async function requestAllowingGaps<TData, TVariables extends Record<string, unknown>>(
  client: ShopClient,
  document: TypedDocumentNode<TData, TVariables>,
  ...variables: keyof TVariables extends never ? [TVariables?] : [TVariables]
): Promise<PartialAnswer<TData>> {
  const result = await client.execute(document, ...variables);
  const errors = result.errors ?? [];
  const onlyGaps = errors.every((error) => error.extensions?.['code'] === 'SUBGRAPH_UNAVAILABLE');
  if (result.data == null || !onlyGaps) throw new ShopApiError(errors.length > 0 ? errors : [{ message: 'The response had no data' }], result.status);
  return { data: result.data, missing: errors.map((error) => (error.path ?? []).filter((step) => typeof step === 'string').join('.')) };
}
