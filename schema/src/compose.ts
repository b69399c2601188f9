import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CompositionResult } from '@apollo/composition';
import { parse, printSchema } from 'graphql';

/** The subgraphs of the supergraph, with the URL each listens on by default. */
export const SUBGRAPHS = [
  { name: 'products', url: 'http://localhost:4001/graphql' },
  { name: 'orders', url: 'http://localhost:4002/graphql' },
  { name: 'payments', url: 'http://localhost:4003/graphql' },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

export function subgraphSchemaPath(name: SubgraphName): string {
  return `${repositoryRoot}subgraphs/${name}/src/schema.graphql`;
}

export const SUPERGRAPH_PATH = fileURLToPath(new URL('../supergraph.graphql', import.meta.url));
export const API_SCHEMA_PATH = fileURLToPath(new URL('../api.graphql', import.meta.url));

export type Composition =
  | { ok: true; supergraphSdl: string; apiSdl: string; hints: string[] }
  | { ok: false; errors: string[] };

/** Composes the subgraphs' SDL; a failure is a value listing every error. */
export async function composeSupergraph(): Promise<Composition> {
  const services = await Promise.all(
    SUBGRAPHS.map(async ({ name, url }) => ({
      name,
      url,
      typeDefs: parse(await readFile(subgraphSchemaPath(name), 'utf8')),
    })),
  );
  // Composition runs at development time only (npm run compose, its check and
  // tests): the services import this package for SUBGRAPHS and the paths, and
  // should not load @apollo/composition with them.
  const { composeServices } = await import('@apollo/composition');
  const result: CompositionResult = composeServices(services);
  if (result.errors) return { ok: false, errors: result.errors.map((error) => error.message) };
  return {
    ok: true,
    supergraphSdl: result.supergraphSdl,
    apiSdl: printSchema(result.schema.toAPISchema().toGraphQLJSSchema()),
    hints: result.hints.map((hint) => hint.toString()),
  };
}
