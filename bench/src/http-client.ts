/**
 * Plain GraphQL calls through the router, and catalog setup for a
 * cluster of separate processes (no in-process handles: the API and direct
 * database reads only).
 */
import http from 'node:http';
import pg from 'pg';
import type { Cluster } from './cluster.js';
import { READER_APPLICATION_NAME } from './invariants.js';

// Lighter than the SDK's PlaceOrder/Order documents (whose OrderFields also
// fetch products and payments): these reach the orders subgraph only, so
// placeOrder's latency is the mutation's and polling costs as little as it can.
export const PLACE_ORDER = 'mutation BenchPlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
export const ORDER_STATUS = 'query BenchOrderStatus($id: ID!) { order(id: $id) { status cancellationReason } }';

export class GraphQLCallError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when no answer came (refused, reset, timed out). */
    readonly status: number | undefined,
    /** extensions.code of the errors, if any. */
    readonly codes: string[],
  ) {
    super(message);
  }
}

/**
 * The load generator's connections: kept alive and pooled, over node:http
 * rather than fetch, whose per-request cost (web streams, an AbortSignal)
 * would take CPU from the services it measures on this 2-core machine.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

/**
 * POSTs `body`; resolves with the status and text of the whole answer, rejects
 * when none came within `timeoutMs`. A kept-alive connection the server closed
 * as idle just as it was taken (after a pause between levels) is retried once
 * on a new one: the request never reached the server.
 */
function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, isRetry = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('error', (error: Error & { code?: string }) => {
      clearTimeout(timer);
      if (!isRetry && !answered && request.reusedSocket && error.code === 'ECONNRESET') resolve(post(url, headers, body, timeoutMs, true));
      else reject(error);
    });
    request.end(body);
  });
}

/** One GraphQL request; throws GraphQLCallError on network, HTTP or GraphQL errors. */
export async function graphql<T>(url: string, token: string | undefined, query: string, variables: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
  let response: { status: number; text: string };
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    response = await post(url, headers, JSON.stringify({ query, variables }), timeoutMs);
  } catch (error) {
    throw new GraphQLCallError(`no answer: ${error instanceof Error ? error.message : String(error)}`, undefined, []);
  }
  const { status, text } = response;
  let body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new GraphQLCallError(`HTTP ${status}, not JSON: ${text.slice(0, 200)}`, status, []);
  }
  if (status < 200 || status >= 300 || body.errors?.length || body.data == null) {
    const codes = (body.errors ?? []).map((error) => String(error.extensions?.code ?? 'UNKNOWN'));
    throw new GraphQLCallError(`HTTP ${status}: ${body.errors?.map((error) => error.message).join('; ') ?? text.slice(0, 200)}`, status, codes);
  }
  return body.data;
}

const CREATE_PRODUCT = 'mutation BenchCreateProduct($input: CreateProductInput!) { createProduct(input: $input) { id sku price { amount currency } updatedAt } }';

export interface CreatedProduct {
  id: string;
  sku: string;
  price: { amount: number; currency: string };
  stock: number;
}

/** Creates products through the router (admin token) and waits until the orders' catalog read model has them. */
export async function createCatalog(
  cluster: Cluster,
  products: { sku: string; name: string; amount: number; stock: number }[],
): Promise<CreatedProduct[]> {
  const admin = await cluster.token('bench-admin', ['admin']);
  const created: (CreatedProduct & { updatedAt: string })[] = [];
  for (const product of products) {
    const { createProduct } = await graphql<{ createProduct: Omit<CreatedProduct, 'stock'> & { updatedAt: string } }>(cluster.routerUrl, admin, CREATE_PRODUCT, {
      input: { sku: product.sku, name: product.name, price: { amount: product.amount, currency: 'EUR' }, stock: product.stock },
    });
    created.push({ ...createProduct, stock: product.stock });
  }
  const client = new pg.Client({ connectionString: cluster.databaseUrl('orders'), application_name: READER_APPLICATION_NAME });
  await client.connect();
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await client.query<{ product_id: string; changed_at: Date }>(
        'select product_id, changed_at from orders.catalog_products where product_id = any($1::uuid[])',
        [created.map((product) => product.id)],
      );
      const seen = new Map(rows.map((row) => [row.product_id, row.changed_at.getTime()]));
      if (created.every((product) => (seen.get(product.id) ?? -1) >= Date.parse(product.updatedAt))) break;
      if (Date.now() > deadline) throw new Error(`the orders catalog did not catch up with ${created.length} products in 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
  return created.map(({ updatedAt: _updatedAt, ...product }) => product);
}
