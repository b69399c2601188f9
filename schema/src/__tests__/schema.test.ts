import { readFile } from 'node:fs/promises';
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { API_SCHEMA_PATH, composeSupergraph, SUPERGRAPH_PATH } from '../compose.js';
import { contractViolations } from '../contract.js';

const CONTRACT_PATH = new URL('../../contract/api-contract.graphql', import.meta.url);

/** In the contract but not built yet: none. */
const PENDING = new Set<string>();

describe('composed schema', () => {
  it('composes without errors and matches the committed supergraph.graphql and api.graphql', async () => {
    const composition = await composeSupergraph();
    if (!composition.ok) throw new Error(composition.errors.join('\n'));
    expect(await readFile(SUPERGRAPH_PATH, 'utf8')).toBe(composition.supergraphSdl.trimEnd() + '\n');
    expect(await readFile(API_SCHEMA_PATH, 'utf8')).toBe(composition.apiSdl.trimEnd() + '\n');
  });

  it('keeps every type, field, argument and enum value of the API contract (contract/api-contract.graphql)', async () => {
    const api = buildSchema(await readFile(API_SCHEMA_PATH, 'utf8'));
    expect(contractViolations(await readFile(CONTRACT_PATH, 'utf8'), api, PENDING)).toEqual([]);
  });

  it('notices a retyped field, a dropped enum value and a new required argument', () => {
    const contract = 'type Query { product(id: ID!): Product } type Product { stock: Int! } enum S { A B }';
    const broken = buildSchema('type Query { product(id: ID!, shop: String!): Product } type Product { stock: Float } enum S { A }');
    expect(contractViolations(contract, broken)).toEqual([
      'Query.product(shop): a new required argument breaks existing clients',
      'Product.stock: expected type Int!, found Float',
      'S.B: enum value missing',
    ]);
  });
});
