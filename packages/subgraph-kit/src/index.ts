export { countRows, newestFirst, type KeysetPage } from './keyset.js';
export { rowByUuid, rowsByUuid } from './loaders.js';
export { startSubgraph, type RunningSubgraph, type SubgraphOptions, type SubgraphWiring } from './start-subgraph.js';
