import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { inRequestScope } from './request-scope.js';

/**
 * Counts the SQL statements a database handle executes: all of them, and
 * those run while serving a request (see runInRequestScope). Tests use the
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
    if (inRequestScope()) this.#inRequests += 1;
    return args.result;
  }
}
