import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { currentTrace } from '@shop/observability';

/**
 * Counts the SQL statements a database handle executes: all of them, and
 * those run while serving a request (see runInRequest). Tests use the
 * latter to prove a request costs a constant number of statements.
 */
export class StatementCounter implements KyselyPlugin {
  #total = 0;
  #inRequests = 0;

  /** Every statement, background work included. */
  get total(): number {
    return this.#total;
  }

  /** Statements executed on behalf of requests. */
  get inRequests(): number {
    return this.#inRequests;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  // Called once per executed statement, after it ran.
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.#total += 1;
    const trace = currentTrace();
    if (!trace) return args.result;
    // The trace's own count feeds the SQL-statements-per-request metric.
    trace.sqlStatements += 1;
    if (trace.origin === 'request') this.#inRequests += 1;
    return args.result;
  }
}
