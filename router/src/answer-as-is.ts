/**
 * Answering with a subgraph's data as is.
 *
 * When a query's plan is one fetch from one subgraph, the gateway normally
 * parses the subgraph's answer, walks it again along the client's query to
 * shape the client's answer (aliases, `@skip`/`@include`, fragments on
 * abstract types, nulls where the API schema forbids a value), and Apollo
 * Server serialises the result. When the subgraph's operation selects exactly
 * what the client's does, field for field and in the same order, that walk
 * gives back what the subgraph sent, so the router passes the subgraph's
 * `data` on as JSON text instead: on `products(first: 20)` that is about a
 * fifth of the router's CPU per request (docs/architecture.md).
 *
 * The router's patch of @apollo/gateway (patches/README.md) asks the data
 * source for it on a plan of one fetch at the root that requires nothing and
 * rewrites nothing; the data source answers as is when `answersAsIs` holds for
 * the two operations and the answer is `{"data":{…}}` with no `errors` nor
 * `extensions` (`dataAsIs`). Anything else takes the gateway's usual path with
 * the same, already received, answer.
 */
import {
  getNamedType,
  isEnumType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  print,
  type DocumentNode,
  type FieldNode,
  type FormattedExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { fragmentsByName } from './documents.js';

/**
 * A query's `data` exactly as a subgraph serialised it. Apollo Server writes it
 * into the answer through `stringifyAnswer`; anything else that serialises it
 * with JSON.stringify gets the same JSON through `toJSON`.
 */
export class DataAsIs {
  constructor(readonly json: string) {}

  toJSON(): unknown {
    return JSON.parse(this.json);
  }
}

/**
 * Apollo Server's `stringifyResult`: its own (`JSON.stringify` and a newline),
 * with a `DataAsIs` written as the text it holds.
 */
export function stringifyAnswer(result: FormattedExecutionResult): string {
  const { data } = result;
  if (!(data instanceof DataAsIs) || result.errors !== undefined) return `${JSON.stringify(result)}\n`;
  const extensions = result.extensions === undefined ? '' : `,"extensions":${JSON.stringify(result.extensions)}`;
  return `{"data":${data.json}${extensions}}\n`;
}

/**
 * The `data` of a subgraph's answer as a `DataAsIs`, when the answer is one
 * JSON object whose only member is an object `data`. The GraphQL spec allows
 * an answer no members but `data`, `errors` and `extensions`; so an answer
 * that nowhere contains the text `"errors"` or `"extensions"` has neither
 * member (a string value spelled so only sends it the usual way). The text is
 * otherwise trusted to be JSON: it is a whole body (its Content-Length read),
 * written by the subgraph's JSON serialiser.
 */
export function dataAsIs(answer: string): DataAsIs | undefined {
  const prefix = '{"data":{';
  if (!answer.startsWith(prefix)) return undefined;
  let end = answer.length;
  while (end > 0 && isJsonWhitespace(answer.charCodeAt(end - 1))) end -= 1;
  // The data's closing brace, then the answer's.
  if (answer.charCodeAt(end - 1) !== CLOSING_BRACE || answer.charCodeAt(end - 2) !== CLOSING_BRACE) return undefined;
  if (answer.includes('"errors"') || answer.includes('"extensions"')) return undefined;
  return new DataAsIs(answer.slice(prefix.length - 1, end - 1));
}

const CLOSING_BRACE = 0x7d;
function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** What `answersAsIs` needs of the supergraph beyond the API schema: the enum values it has in all. */
export interface SupergraphEnums {
  /** How many values the supergraph's enum `name` has, @inaccessible ones included. */
  enumValueCount(name: string): number | undefined;
}

/** The number of values of each enum of the supergraph, @inaccessible ones included. */
export function supergraphEnumsOf(supergraphSdl: string): SupergraphEnums {
  const counts = new Map<string, number>();
  for (const definition of parse(supergraphSdl, { noLocation: true }).definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION || definition.kind === Kind.ENUM_TYPE_EXTENSION) {
      counts.set(definition.name.value, (counts.get(definition.name.value) ?? 0) + (definition.values?.length ?? 0));
    }
  }
  return { enumValueCount: (name) => counts.get(name) };
}

/**
 * Whether the gateway's result shaping of the subgraph's answer to the
 * operation in `subgraphDocument` would give back that answer unchanged for
 * `client.operation`, whatever the values, as long as the answer has no errors.
 *
 * It holds when, level by level, the two select the same fields (name, alias,
 * arguments) in the same order, with:
 * - no directive anywhere (no `@skip`/`@include` to evaluate);
 * - fragments only on the type they sit in (nothing to match a `__typename` against);
 * - no response name twice in a selection set (no merging of fields);
 * - only object types below the root (no interface or union: a `__typename`
 *   decides what is selected, and a subgraph could name a type the API schema hides);
 * - no introspection but `__typename` below the root, which a subgraph
 *   answers with the same object type name;
 * - enums whose every value is in the API schema (the gateway answers null
 *   for an @inaccessible value).
 *
 * Composition keeps a subgraph's output types as strict as the supergraph's or
 * stricter, so a subgraph that answered without errors answered no null where
 * the API schema forbids one, and only values of the field's leaf type.
 */
export function answersAsIs(
  client: { operation: OperationDefinitionNode; document: DocumentNode },
  subgraphDocument: DocumentNode,
  apiSchema: GraphQLSchema,
  supergraph: SupergraphEnums,
): boolean {
  if (client.operation.operation !== 'query' || client.operation.directives?.length) return false;
  const subgraphOperation = subgraphDocument.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (!subgraphOperation || subgraphOperation.operation !== 'query' || subgraphOperation.directives?.length) return false;
  const root = apiSchema.getQueryType();
  if (!root) return false;
  const compare = new SelectionComparison(apiSchema, supergraph, fragmentsByName(client.document), fragmentsByName(subgraphDocument));
  return compare.sameSelections(client.operation.selectionSet, subgraphOperation.selectionSet, root);
}

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

class SelectionComparison {
  constructor(
    private readonly apiSchema: GraphQLSchema,
    private readonly supergraph: SupergraphEnums,
    private readonly clientFragments: Fragments,
    private readonly subgraphFragments: Fragments,
  ) {}

  sameSelections(client: SelectionSetNode, subgraph: SelectionSetNode, type: GraphQLObjectType): boolean {
    const clientFields = fieldsOf(client, type, this.clientFragments);
    const subgraphFields = fieldsOf(subgraph, type, this.subgraphFragments);
    if (!clientFields || !subgraphFields || clientFields.length !== subgraphFields.length) return false;
    return clientFields.every((field, index) => this.sameField(field, subgraphFields[index]!, type));
  }

  private sameField(client: FieldNode, subgraph: FieldNode, parent: GraphQLObjectType): boolean {
    const name = client.name.value;
    if (name !== subgraph.name.value || responseName(client) !== responseName(subgraph)) return false;
    if (!sameArguments(client, subgraph)) return false;
    // A subgraph may name its root type otherwise; below the root, type names are the supergraph's.
    if (name === '__typename') return parent !== this.apiSchema.getQueryType();
    const field = name.startsWith('__') ? undefined : parent.getFields()[name];
    if (!field) return false;
    const type = getNamedType(field.type);
    if (isObjectType(type)) return !!client.selectionSet && !!subgraph.selectionSet && this.sameSelections(client.selectionSet, subgraph.selectionSet, type);
    if (client.selectionSet || subgraph.selectionSet) return false;
    if (isEnumType(type)) return type.getValues().length === this.supergraph.enumValueCount(type.name);
    return isScalarType(type);
  }
}

/**
 * The fields a selection set selects on `type`, in order, fragments on `type`
 * itself inlined; undefined where the selection set is beyond what
 * `answersAsIs` accepts (a directive, a fragment on another type, a response
 * name twice).
 */
function fieldsOf(selectionSet: SelectionSetNode, type: GraphQLObjectType, fragments: Fragments): FieldNode[] | undefined {
  const fields: FieldNode[] = [];
  const add = (set: SelectionSetNode): boolean => {
    for (const selection of set.selections) {
      if (selection.directives?.length) return false;
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment || fragment.directives?.length) return false;
        if (fragment.typeCondition && fragment.typeCondition.name.value !== type.name) return false;
        if (!add(fragment.selectionSet)) return false;
      }
    }
    return true;
  };
  if (!add(selectionSet)) return undefined;
  const names = new Set(fields.map(responseName));
  return names.size === fields.length ? fields : undefined;
}

function responseName(field: FieldNode): string {
  return field.alias?.value ?? field.name.value;
}

function sameArguments(client: FieldNode, subgraph: FieldNode): boolean {
  const a = client.arguments ?? [];
  const b = subgraph.arguments ?? [];
  return a.length === b.length && a.every((argument, index) => print(argument) === print(b[index]!));
}
