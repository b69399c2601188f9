import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { routerConfigFromEnv } from '../config.js';
import {
  DEFAULT_PERSISTED_DOCUMENTS_MANIFEST,
  PersistedDocuments,
  persistedDocumentsMiddleware,
  resolvePersistedDocument,
} from '../persisted-documents.js';

const dir = await mkdtemp(join(tmpdir(), 'shop-persisted-documents-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sdkManifest = JSON.parse(readFileSync(DEFAULT_PERSISTED_DOCUMENTS_MANIFEST, 'utf8')) as Record<string, string>;

let files = 0;
async function manifestFile(content: unknown): Promise<string> {
  const path = join(dir, `manifest-${(files += 1)}.json`);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('loading the manifest', () => {
  it("loads the SDK's manifest by default and verifies every hash", () => {
    const documents = PersistedDocuments.load(DEFAULT_PERSISTED_DOCUMENTS_MANIFEST);
    expect(documents.size).toBe(Object.keys(sdkManifest).length);
    expect(documents.size).toBeGreaterThan(0);
    for (const [key, text] of Object.entries(sdkManifest)) {
      expect(documents.textFor(key.slice('sha256:'.length))).toBe(text);
      expect(documents.contains(text)).toBe(true);
    }
  });

  it('refuses a tampered manifest: a text that does not hash to its key', async () => {
    const [key, text] = Object.entries(sdkManifest)[0]!;
    const path = await manifestFile({ ...sdkManifest, [key]: text.replace('{', '{ __typename ') });
    expect(() => PersistedDocuments.load(path)).toThrow(new RegExp(`Invalid persisted-documents manifest .*the text of "${key}" hashes to sha256:[0-9a-f]{64}`));
    // The router refuses to start with it.
    expect(() => persistedDocumentsMiddleware({ only: false, manifestPath: path })).toThrow(/hashes to/);
  });

  it('refuses keys that are not sha256 ids, values that are not texts, non-objects, non-JSON and missing files', async () => {
    const text = '{ products { totalCount } }';
    const cases: [unknown, RegExp][] = [
      [{ [sha256(text)]: text }, /is not "sha256:" followed by 64 lower-case hex digits/],
      [{ [`sha256:${sha256(text)}`]: 42 }, /is not a document text/],
      [[text], /expected a JSON object/],
      ['{ nope', /not JSON/],
    ];
    for (const [content, message] of cases) {
      const path = await manifestFile(content);
      expect(() => PersistedDocuments.load(path)).toThrow(message);
    }
    expect(() => PersistedDocuments.load(join(dir, 'missing.json'))).toThrow(/missing\.json \(PERSISTED_DOCUMENTS_MANIFEST\): cannot read it/);
  });

  it('refuses an empty manifest in only-mode, where it would refuse everything', async () => {
    const path = await manifestFile({});
    expect(PersistedDocuments.load(path).size).toBe(0);
    expect(() => persistedDocumentsMiddleware({ only: false, manifestPath: path })).not.toThrow();
    expect(() => persistedDocumentsMiddleware({ only: true, manifestPath: path })).toThrow(/holds no document/);
  });
});

describe('configuration', () => {
  it('is off by default and uses the SDK manifest', () => {
    expect(routerConfigFromEnv({}).persistedDocuments).toEqual({ only: false, manifestPath: DEFAULT_PERSISTED_DOCUMENTS_MANIFEST });
  });

  it('reads PERSISTED_DOCUMENTS_ONLY and PERSISTED_DOCUMENTS_MANIFEST (resolved from the working directory)', () => {
    const config = routerConfigFromEnv({ PERSISTED_DOCUMENTS_ONLY: 'true', PERSISTED_DOCUMENTS_MANIFEST: 'some/manifest.json' });
    expect(config.persistedDocuments).toEqual({ only: true, manifestPath: join(process.cwd(), 'some/manifest.json') });
  });

  it('names a wrong value', () => {
    expect(() => routerConfigFromEnv({ PERSISTED_DOCUMENTS_ONLY: 'yes' })).toThrow(/PERSISTED_DOCUMENTS_ONLY/);
  });
});

describe('what happens to a request', () => {
  const documents = PersistedDocuments.load(DEFAULT_PERSISTED_DOCUMENTS_MANIFEST);
  const [documentId, text] = Object.entries(sdkManifest)[0]!;
  const hash = documentId.slice('sha256:'.length);
  const unknown = '{ products { totalCount } }';
  const apq = (sha256Hash: string, version: unknown = 1) => ({ persistedQuery: { version, sha256Hash } });

  it('replaces a known id by its text, in either shape, in both modes', () => {
    for (const only of [false, true]) {
      expect(resolvePersistedDocument({ documentId }, documents, only)).toEqual({ kind: 'replace', query: text });
      expect(resolvePersistedDocument({ extensions: apq(hash) }, documents, only)).toEqual({ kind: 'replace', query: text });
      // With the text as well, if it is the one the id names.
      expect(resolvePersistedDocument({ documentId, query: text }, documents, only)).toEqual({ kind: 'replace', query: text });
    }
  });

  it('answers PERSISTED_QUERY_NOT_FOUND (HTTP 200) for an unknown id', () => {
    for (const only of [false, true]) {
      for (const params of [{ documentId: `sha256:${sha256(unknown)}` }, { documentId: 'my-custom-id' }]) {
        expect(resolvePersistedDocument(params, documents, only)).toMatchObject({ kind: 'refuse', status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' });
      }
    }
    expect(resolvePersistedDocument({ extensions: apq(sha256(unknown)) }, documents, true)).toMatchObject({ status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' });
    // Default mode: an unknown Apollo hash goes on to Apollo's APQ cache, as before.
    expect(resolvePersistedDocument({ extensions: apq(sha256(unknown)) }, documents, false)).toEqual({ kind: 'pass' });
  });

  it('in only-mode, runs a free-form query only when it is a manifest text, byte for byte', () => {
    expect(resolvePersistedDocument({ query: text }, documents, true)).toEqual({ kind: 'pass' });
    for (const query of [unknown, `${text} `, text.replace(/ /g, '  '), 42]) {
      expect(resolvePersistedDocument({ query }, documents, true)).toMatchObject({ kind: 'refuse', status: 403, code: 'QUERY_NOT_IN_SAFELIST' });
    }
    expect(resolvePersistedDocument({ query: unknown }, documents, false)).toEqual({ kind: 'pass' });
  });

  it('refuses an APQ registration of a query outside the manifest in only-mode, and lets Apollo register it otherwise', () => {
    const registration = { query: unknown, extensions: apq(sha256(unknown)) };
    expect(resolvePersistedDocument(registration, documents, true)).toMatchObject({ status: 403, code: 'QUERY_NOT_IN_SAFELIST' });
    expect(resolvePersistedDocument(registration, documents, false)).toEqual({ kind: 'pass' });
  });

  it('refuses malformed ids and an id that does not match the query sent with it', () => {
    expect(resolvePersistedDocument({ documentId, query: unknown }, documents, false)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(resolvePersistedDocument({ extensions: apq(hash), query: unknown }, documents, true)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(resolvePersistedDocument({ extensions: apq(hash, 2) }, documents, false)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(resolvePersistedDocument({ extensions: apq('not-hex') }, documents, false)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(resolvePersistedDocument({ documentId: 12 }, documents, false)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('leaves a request with nothing to run to Apollo', () => {
    expect(resolvePersistedDocument({}, documents, true)).toEqual({ kind: 'pass' });
    expect(resolvePersistedDocument({ query: null, documentId: null }, documents, true)).toEqual({ kind: 'pass' });
  });
});
