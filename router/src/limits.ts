import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, ErrorCode } from '@shop/graphql';
import { fragmentsByName } from './documents.js';
import type { OperationLimits } from './settings.js';

export { DEFAULT_LIMITS, DEFAULT_SUBSCRIPTION_LIMITS, type OperationLimits, type SubscriptionLimits } from './settings.js';

function limitExceeded(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.OperationLimitExceeded } });
}

/** graphql-armor reports through the validation context; re-report with our code and without its "Syntax Error" prefix. */
const reportAsLimitExceeded = (context: ValidationContext | null, error: GraphQLError) => {
  context?.reportError(limitExceeded(error.message.replace(/^Syntax Error: /, '')));
};

/** Validation rules and plugins enforcing `limits` on the router's Apollo Server. */
export function operationLimits(limits: OperationLimits) {
  const callbacks = { propagateOnRejection: false, onReject: [reportAsLimitExceeded] };
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, ...callbacks },
    maxAliases: { n: limits.maxAliases, ...callbacks },
    // graphql-js counts tokens itself (parseOptions below); armor's version would
    // turn every syntax error into a validation error.
    maxTokens: { enabled: false },
    maxDirectives: { n: limits.maxDirectives, ...callbacks },
    // The cost below understands `first`; armor's own does not.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: limits.blockFieldSuggestions },
  });
  const protection = armor.protect();
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [...protection.validationRules, maxRootFieldsRule(limits.maxRootFields)],
    plugins: [...protection.plugins, costLimitPlugin(limits.maxCost)] as ApolloServerPlugin[],
  };
}

function maxRootFieldsRule(max: number) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const fragments = fragmentsByName(context.getDocument());
      const count = countFields(operation.selectionSet, fragments, new Set());
      if (count > max) context.reportError(limitExceeded(`An operation may select at most ${max} root fields, got ${count}`));
    },
  });
}

function countFields(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count += 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += countFields(selection.selectionSet, fragments, seen);
    else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(selection.name.value)) continue;
      seen.add(selection.name.value);
      count += countFields(fragment.selectionSet, fragments, seen);
    }
  }
  return count;
}

/**
 * Estimates cost once variables are known, before the query plan runs: a
 * field costs 1 plus its children, multiplied by its list size when it takes
 * `first`. `products(first: 1000000) { … }` is refused here, not by a subgraph.
 */
function costLimitPlugin(maxCost: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (!operation) return;
          const fragments = fragmentsByName(document);
          const variables = request.variables ?? {};
          const cost = (selectionSet: SelectionSetNode, depth: number): number => {
            if (depth > 50) return Number.POSITIVE_INFINITY;
            let total = 0;
            for (const selection of selectionSet.selections) {
              if (selection.kind === Kind.FIELD) {
                const first = selection.arguments?.find((arg) => arg.name.value === 'first');
                let size = 1;
                if (first) {
                  const value = first.value.kind === Kind.VARIABLE ? variables[first.value.name.value] : first.value.kind === Kind.INT ? Number(first.value.value) : undefined;
                  size = typeof value === 'number' ? Math.max(1, value) : DEFAULT_PAGE_SIZE;
                }
                total += size * (1 + (selection.selectionSet ? cost(selection.selectionSet, depth + 1) : 0));
              } else if (selection.kind === Kind.INLINE_FRAGMENT) {
                total += cost(selection.selectionSet, depth + 1);
              } else {
                const fragment = fragments.get(selection.name.value);
                if (fragment) total += cost(fragment.selectionSet, depth + 1);
              }
            }
            return total;
          };
          const estimated = cost(operation.selectionSet, 0);
          if (estimated > maxCost) throw limitExceeded(`The operation's estimated cost ${estimated} exceeds the limit of ${maxCost}`);
        },
      };
    },
  };
}

/** graphql-js's own message when a document passes parseOptions.maxTokens. */
// (graphql 16 spells it "more that"; accept the corrected spelling too.)
const TOO_MANY_TOKENS = /^Syntax Error: Document contains more tha[nt] \d+ tokens/;

/** Keeps OPERATION_LIMIT_EXCEEDED on rejections Apollo files under GRAPHQL_VALIDATION_FAILED or GRAPHQL_PARSE_FAILED. */
export function keepLimitCode(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = (error as { originalError?: { extensions?: Record<string, unknown> } } | null)?.originalError;
  const isLimit = original?.extensions?.['code'] === ErrorCode.OperationLimitExceeded || TOO_MANY_TOKENS.test(formatted.message);
  if (!isLimit) return formatted;
  return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.OperationLimitExceeded } };
}
