import { readFile } from 'node:fs/promises';
import { Kind, parse } from 'graphql';
import { expect, it } from 'vitest';
import { CancellationReason, OrderStatus } from '../order/order.model.js';

// codegen.ts maps the schema's enums to the domain's without comparing them.
const schema = parse(await readFile(new URL('../schema.graphql', import.meta.url), 'utf8'));
const valuesOf = (name: string) =>
  schema.definitions.flatMap((definition) => (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === name ? (definition.values ?? []).map((value) => value.name.value) : []));

it.each([
  ['OrderStatus', OrderStatus],
  ['CancellationReason', CancellationReason],
])('the domain names the values of the schema enum %s, no more and no fewer', (name, domain) => {
  expect(Object.values(domain).sort()).toEqual(valuesOf(name).sort());
});
