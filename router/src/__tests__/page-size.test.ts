import { readFile } from 'node:fs/promises';
import { buildSchema, isObjectType } from 'graphql';
import { expect, it } from 'vitest';
import { DEFAULT_PAGE_SIZE } from '@shop/graphql';
import { API_SCHEMA_PATH } from '@shop/schema';

// SDL cannot import DEFAULT_PAGE_SIZE, so each subgraph schema spells it again.
it("defaults every list field's `first` to DEFAULT_PAGE_SIZE, the size the subgraphs and the cost estimate assume", async () => {
  const api = buildSchema(await readFile(API_SCHEMA_PATH, 'utf8'));
  const defaults = Object.values(api.getTypeMap())
    .filter(isObjectType)
    .flatMap((type) => Object.values(type.getFields()).flatMap((field) => field.args.filter((arg) => arg.name === 'first').map((arg) => [`${type.name}.${field.name}`, arg.defaultValue] as const)));
  expect(defaults.map(([field]) => field)).toEqual(expect.arrayContaining(['Query.orders', 'Query.products']));
  expect(Object.fromEntries(defaults)).toEqual(Object.fromEntries(defaults.map(([field]) => [field, DEFAULT_PAGE_SIZE])));
});
