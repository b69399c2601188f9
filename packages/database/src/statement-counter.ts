import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

/**
 * Counts the SQL statements a database handle executes. Tests use it to prove
 * a request costs a constant number of statements; metrics expose it.
 */
export class StatementCounter implements KyselyPlugin {
  #count = 0;

  get count(): number {
    return this.#count;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  // Called once per executed statement, after it ran.
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.#count += 1;
    return args.result;
  }
}
