import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** ISO-8601 UTC timestamps, e.g. "2026-01-31T12:00:00.000Z". */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'ISO-8601 timestamp in UTC, e.g. "2026-01-31T12:00:00.000Z"',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value) {
    return parseDateTime(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError(`DateTime must be a string, got ${ast.kind}`);
    return parseDateTime(ast.value);
  },
});

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime must be an ISO-8601 string, got ${JSON.stringify(value)}`);
  return date;
}
