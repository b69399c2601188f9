export { countRows, newestFirst, type KeysetPage } from './keyset.js';
export { rowByUuid, rowsByUuid } from './loaders.js';
export {
  startSubgraph,
  type MessagingTuning,
  type RunningSubgraph,
  type Started,
  type SubgraphDefinition,
  type SubgraphOptions,
  type SubgraphParts,
  type SubgraphWiring,
} from './start-subgraph.js';
