import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  isUnionType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

/**
 * Lists every way `actual` breaks the `contract`: a missing type, field,
 * argument, input field or enum value, or one whose type or default changed.
 * Additions are allowed. `pending` names coordinates (`Type` or
 * `Type.field`) that are in the contract but not built yet.
 */
export function contractViolations(contractSdl: string, actual: GraphQLSchema, pending: ReadonlySet<string> = new Set()): string[] {
  const contract = buildSchema(contractSdl);
  const violations: string[] = [];
  for (const expected of Object.values(contract.getTypeMap())) {
    if (expected.name.startsWith('__') || isSpecifiedScalarType(expected) || pending.has(expected.name)) continue;
    const found = actual.getType(expected.name);
    if (!found) {
      violations.push(`${expected.name}: missing`);
      continue;
    }
    if (kindOf(found) !== kindOf(expected)) {
      violations.push(`${expected.name}: expected a ${kindOf(expected)}, found a ${kindOf(found)}`);
      continue;
    }
    if (isEnumType(expected) && isEnumType(found)) {
      const values = new Set(found.getValues().map((value) => value.name));
      for (const { name } of expected.getValues()) if (!values.has(name)) violations.push(`${expected.name}.${name}: enum value missing`);
    }
    if ((isObjectType(expected) || isInputObjectType(expected)) && (isObjectType(found) || isInputObjectType(found))) {
      const foundFields = found.getFields();
      for (const field of Object.values(expected.getFields())) {
        const coordinate = `${expected.name}.${field.name}`;
        if (pending.has(coordinate)) continue;
        const actualField = foundFields[field.name];
        if (!actualField) {
          violations.push(`${coordinate}: missing`);
          continue;
        }
        if (String(actualField.type) !== String(field.type)) {
          violations.push(`${coordinate}: expected type ${String(field.type)}, found ${String(actualField.type)}`);
        }
        if ('defaultValue' in field && 'defaultValue' in actualField && field.defaultValue !== actualField.defaultValue) {
          violations.push(`${coordinate}: expected default ${String(field.defaultValue)}, found ${String(actualField.defaultValue)}`);
        }
        if ('args' in field && 'args' in actualField) {
          for (const arg of field.args) {
            const actualArg = actualField.args.find((candidate) => candidate.name === arg.name);
            if (!actualArg) violations.push(`${coordinate}(${arg.name}): argument missing`);
            else if (String(actualArg.type) !== String(arg.type)) {
              violations.push(`${coordinate}(${arg.name}): expected type ${String(arg.type)}, found ${String(actualArg.type)}`);
            } else if (actualArg.defaultValue !== arg.defaultValue) {
              violations.push(`${coordinate}(${arg.name}): expected default ${String(arg.defaultValue)}, found ${String(actualArg.defaultValue)}`);
            }
          }
          for (const actualArg of actualField.args) {
            const isNew = !field.args.some((arg: { name: string }) => arg.name === actualArg.name);
            if (isNew && String(actualArg.type).endsWith('!') && actualArg.defaultValue === undefined) {
              violations.push(`${coordinate}(${actualArg.name}): a new required argument breaks existing clients`);
            }
          }
        }
      }
    }
  }
  return violations;
}

function kindOf(type: GraphQLNamedType): string {
  if (isObjectType(type)) return 'object type';
  if (isInputObjectType(type)) return 'input type';
  if (isEnumType(type)) return 'enum';
  if (isScalarType(type)) return 'scalar';
  if (isInterfaceType(type)) return 'interface';
  if (isUnionType(type)) return 'union';
  return 'type';
}
