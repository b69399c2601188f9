export {
  API_SCHEMA_PATH,
  composeSupergraph,
  SUBGRAPHS,
  subgraphSchemaPath,
  SUPERGRAPH_PATH,
  type Composition,
  type SubgraphName,
} from './compose.js';
export { contractViolations } from './contract.js';
