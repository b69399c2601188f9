import { GraphQLError, Kind, OperationTypeNode, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionNode } from 'graphql';
import { ErrorCode } from '@shop/graphql';
import { fragmentsByName } from '../documents.js';

/** The subscription field the router serves, and the query field each of its updates is resolved with. */
export const SUBSCRIPTION_FIELD = 'orderStatusChanged';
const QUERY_FIELD = 'order';

/**
 * What a subscription to `orderStatusChanged` runs on each update: the same
 * operation as a query of `order(id)`, with the client's selection, so every
 * federated field the client asked for is resolved through the gateway.
 */
export interface OrderStatusQuery {
  /** The query: `orderStatusChanged(id: …) { … }` became `orderStatusChanged: order(id: …) { … status }`. */
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  readonly orderId: string;
  /** Where the order is in a result's data (the client's alias, or "orderStatusChanged"). */
  readonly responseKey: string;
  /** Where the order's status is in the order: the client's own `status`, or one added for the router. */
  readonly statusKey: string;
  /** True when the client did not select the status: it is removed from what the client gets. */
  readonly statusAdded: boolean;
}

/** The status key added when the client selected none; an alias because the client may use `status` for another field. */
const ADDED_STATUS_ALIAS = '_routerOrderStatus';

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } });
}

/**
 * Turns a validated subscription document into the query each update runs.
 * Throws a GraphQLError (BAD_REQUEST / BAD_USER_INPUT) for what the router
 * cannot follow: another subscription field, or no order id.
 */
export function orderStatusQuery(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): OrderStatusQuery {
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((candidate) => candidate.name?.value === operationName);
  if (!operation) throw badRequest(operationName === undefined ? 'The document holds several operations: name the one to run (operationName)' : `No operation named "${operationName}" in the document`);
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION) throw badRequest('Only subscriptions are served here; send queries and mutations as HTTP POST requests to /graphql');
  const [field, ...others] = operation.selectionSet.selections;
  if (field?.kind !== Kind.FIELD || others.length > 0 || field.name.value !== SUBSCRIPTION_FIELD) {
    throw badRequest(`A subscription selects exactly one field, ${SUBSCRIPTION_FIELD}, directly (not through a fragment)`);
  }
  const idArgument = field.arguments?.find((argument) => argument.name.value === 'id')?.value;
  const orderId = idArgument?.kind === Kind.STRING ? idArgument.value : idArgument?.kind === Kind.VARIABLE ? variables[idArgument.name.value] : undefined;
  if (typeof orderId !== 'string' || orderId.length === 0) {
    throw new GraphQLError(`${SUBSCRIPTION_FIELD} needs the order's id`, { extensions: { code: ErrorCode.BadUserInput, field: 'id' } });
  }

  const selections = field.selectionSet?.selections ?? [];
  const fragments = fragmentsByName(document);
  const selected = responseKeys(selections, fragments);
  // The client's own status if it asked for it (directly or in a fragment); else one is added, as plain `status`
  // (no alias to count against the alias limit) unless the client uses that key for another field.
  const ownStatusKey = [...selected].find(([, name]) => name === 'status')?.[0];
  const addedKey = selected.has('status') ? ADDED_STATUS_ALIAS : 'status';
  const statusKey = ownStatusKey ?? addedKey;
  const addedStatus: FieldNode = {
    kind: Kind.FIELD,
    ...(addedKey === 'status' ? {} : { alias: { kind: Kind.NAME, value: addedKey } }),
    name: { kind: Kind.NAME, value: 'status' },
  };
  const responseKey = field.alias?.value ?? SUBSCRIPTION_FIELD;
  const orderField: FieldNode = {
    ...field,
    alias: { kind: Kind.NAME, value: responseKey },
    name: { kind: Kind.NAME, value: QUERY_FIELD },
    selectionSet: { kind: Kind.SELECTION_SET, selections: ownStatusKey ? selections : [...selections, addedStatus] },
  };
  const query: OperationDefinitionNode = {
    ...operation,
    operation: OperationTypeNode.QUERY,
    selectionSet: { kind: Kind.SELECTION_SET, selections: [orderField] },
  };
  // The other operations of the document go: one query, and fragments only.
  const definitions = document.definitions.filter((definition) => definition.kind !== Kind.OPERATION_DEFINITION);
  return {
    document: { kind: Kind.DOCUMENT, definitions: [query, ...definitions] },
    operationName: operation.name?.value,
    orderId,
    responseKey,
    statusKey,
    statusAdded: ownStatusKey === undefined,
  };
}

/** Response key → field name of the fields a selection asks for, through its fragments; fields under a directive (@include, @skip) are left out, as they may not be there. */
function responseKeys(selections: readonly SelectionNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen = new Set<string>()): Map<string, string> {
  const keys = new Map<string, string>();
  for (const selection of selections) {
    if (selection.directives?.length) continue;
    if (selection.kind === Kind.FIELD) {
      keys.set(selection.alias?.value ?? selection.name.value, selection.name.value);
      continue;
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    if (!fragment || (selection.kind === Kind.FRAGMENT_SPREAD && seen.has(selection.name.value))) continue;
    if (selection.kind === Kind.FRAGMENT_SPREAD) seen.add(selection.name.value);
    for (const [key, name] of responseKeys(fragment.selectionSet.selections, fragments, seen)) keys.set(key, name);
  }
  return keys;
}
