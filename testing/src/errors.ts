import { ShopApiError } from '@shop/sdk';

/** The `extensions.code` of every error a failing request returned; throws if it did not fail with GraphQL errors. */
export async function codesOf(request: Promise<unknown>): Promise<string[]> {
  const error = await request.then(
    () => null,
    (failure: unknown) => failure,
  );
  if (!(error instanceof ShopApiError)) throw new Error(`expected a ShopApiError, got ${String(error)}`);
  return error.codes;
}
