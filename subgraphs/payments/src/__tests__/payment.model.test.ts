import { readFile } from 'node:fs/promises';
import { Kind, parse } from 'graphql';
import { expect, it } from 'vitest';
import { PaymentStatus } from '../payment/payment.model.js';

// codegen.ts maps the schema's enum to the domain's without comparing them.
const schema = parse(await readFile(new URL('../schema.graphql', import.meta.url), 'utf8'));
const valuesOf = (name: string) =>
  schema.definitions.flatMap((definition) => (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === name ? (definition.values ?? []).map((value) => value.name.value) : []));

it('the domain names the values of the schema enum PaymentStatus, no more and no fewer', () => {
  expect(Object.values(PaymentStatus).sort()).toEqual(valuesOf('PaymentStatus').sort());
});
