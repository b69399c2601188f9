/**
 * Writes schema/supergraph.graphql and schema/api.graphql from the subgraphs'
 * SDL. With --check, writes nothing and fails when composition fails or a
 * committed file differs from what composition produces now.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { API_SCHEMA_PATH, composeSupergraph, SUPERGRAPH_PATH } from '../src/index.js';

const USAGE = `npm run compose: composes the subgraphs' SDL into schema/supergraph.graphql (what the router runs) and
schema/api.graphql (what clients see).

  --check   write nothing; fail when composition fails or a committed file is out of date (npm run check:schema)`;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

const check = process.argv.includes('--check');
const composition = await composeSupergraph();
if (!composition.ok) {
  console.error(`Composition failed:\n- ${composition.errors.join('\n- ')}`);
  process.exit(1);
}
const outputs = [
  { path: SUPERGRAPH_PATH, content: composition.supergraphSdl.trimEnd() + '\n' },
  { path: API_SCHEMA_PATH, content: composition.apiSdl.trimEnd() + '\n' },
];
let stale = false;
for (const { path, content } of outputs) {
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current === content) continue;
  if (check) {
    console.error(`${path} is stale: run \`npm run compose\` and commit the result.`);
    stale = true;
  } else {
    await writeFile(path, content);
    console.log(`wrote ${path}`);
  }
}
if (stale) process.exit(1);
if (check) console.log('supergraph.graphql and api.graphql are up to date');
