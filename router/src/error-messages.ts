import type { GraphQLFormattedError } from 'graphql';

/** What graphql-armor leaves in place of "Did you mean …?" when it hides field suggestions (production). */
const HIDDEN_SUGGESTION = /\s*\[Suggestion hidden\]\??/g;

/**
 * Error texts in this project's words: the introspection refusal names the
 * router's setting rather than Apollo Server's constructor option, and a
 * hidden field suggestion leaves no "[Suggestion hidden]?" behind.
 */
export function inProjectWords(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.extensions?.['validationErrorCode'] === 'INTROSPECTION_DISABLED') {
    return { ...formatted, message: 'Introspection is turned off on this router (production). Set GRAPHQL_INTROSPECTION=true on the router to allow it.' };
  }
  const message = formatted.message.replace(HIDDEN_SUGGESTION, '');
  return message === formatted.message ? formatted : { ...formatted, message };
}
