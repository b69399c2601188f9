/**
 * Persisted documents: the operations our own clients ship, known to the router
 * by their sha256, optionally the only operations it runs.
 *
 * The SDK's codegen (client preset, `persistedDocuments` in codegen.ts) writes
 * a manifest `{ "sha256:<hex>": "<document text>" }`. This module loads it once
 * at start, checks every hash, and sits on `/graphql` between reading the body
 * and Apollo Server (graphqlPostRoute of @shop/graphql for a JSON POST, the Express middleware
 * below for the rest):
 *
 * - A request may name a document instead of sending its text, in either of
 *   the two common shapes, as a POST body or as GET search parameters:
 *     `{ "documentId": "sha256:<hex>" }`   GraphQL-over-HTTP persisted documents
 *                                          (what the codegen client preset emits)
 *     `{ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "<hex>" } } }`
 *                                          Apollo's (A)PQ extension
 *   A known id is replaced by the document's text before Apollo Server sees the
 *   request, and `documentId` / `extensions.persistedQuery` are removed, so
 *   Apollo's own APQ never looks at it.
 * - An unknown id is answered `PERSISTED_QUERY_NOT_FOUND`, HTTP 200, not cached:
 *   Apollo Server's own answer to an APQ hash it does not know. (In the default
 *   mode an unknown Apollo hash still goes on to Apollo's APQ cache first, as
 *   before this module existed.)
 * - With `only` (PERSISTED_DOCUMENTS_ONLY=true) a free-form `query` runs only
 *   when its exact text is in the manifest (same bytes, same sha256); anything
 *   else is refused `QUERY_NOT_IN_SAFELIST`, HTTP 403, before parsing,
 *   validation or any subgraph call. That is Apollo Router's code and status
 *   for a free-form operation missing from its safelist. Apollo's automatic
 *   persisted queries must be off in that mode (ApolloServer option
 *   `persistedQueries: false`), or anyone could register a query; an APQ
 *   registration (hash plus text) of a document outside the manifest is refused
 *   like any free-form query not in the list.
 *
 * Without `only`, free-form queries run as before (development, Sandbox), and
 * ids work too.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '@shop/observability';
import { errorAnswer, type EarlyAnswer } from '@shop/graphql';
import type { PersistedDocumentsConfig } from './settings.js';

export { DEFAULT_PERSISTED_DOCUMENTS_MANIFEST, type PersistedDocumentsConfig } from './settings.js';

/**
 * The manifest of the SDK's operations (`@shop/sdk/persisted-documents.json`),
 * as a file path. Another file with the same shape can be given with
 * PERSISTED_DOCUMENTS_MANIFEST.
 */
export const PersistedDocumentErrorCode = {
  /** An id (documentId or persistedQuery hash) that the manifest does not hold. Apollo Server's code. */
  NotFound: 'PERSISTED_QUERY_NOT_FOUND',
  /** Only-mode: a free-form operation whose text is not in the manifest. Apollo Router's code. */
  NotInSafelist: 'QUERY_NOT_IN_SAFELIST',
  /** A malformed id, an unsupported persistedQuery version, or an id that does not match the query sent with it. */
  BadRequest: 'BAD_REQUEST',
} as const;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DOCUMENT_ID = /^sha256:([0-9a-f]{64})$/;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The documents of one manifest, by the hex sha256 of their text. */
export class PersistedDocuments {
  private constructor(
    readonly path: string,
    private readonly byHash: ReadonlyMap<string, string>,
  ) {}

  /** Reads and verifies a manifest; throws an error naming the file and the first bad entry. */
  static load(path: string): PersistedDocuments {
    const fail = (why: string): never => {
      throw new Error(`Invalid persisted-documents manifest ${path} (PERSISTED_DOCUMENTS_MANIFEST): ${why}`);
    };
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch (error) {
      return fail(`cannot read it (${error instanceof Error ? error.message : String(error)})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      return fail(`not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('expected a JSON object { "sha256:<hex>": "<document text>" }');
    const byHash = new Map<string, string>();
    for (const [key, text] of Object.entries(parsed)) {
      const hash = DOCUMENT_ID.exec(key)?.[1];
      if (!hash) return fail(`key ${JSON.stringify(key)} is not "sha256:" followed by 64 lower-case hex digits`);
      if (typeof text !== 'string' || text.trim() === '') return fail(`the value of "${key}" is not a document text`);
      // The id must be the sha256 of the exact text: clients compute it the same way, and only-mode compares texts by it.
      const actual = sha256(text);
      if (actual !== hash) return fail(`the text of "${key}" hashes to sha256:${actual}; the manifest is stale or was edited (regenerate it: npm run codegen)`);
      byHash.set(hash, text);
    }
    return new PersistedDocuments(path, byHash);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The text of the document whose sha256 is `hash` (64 hex digits), if the manifest holds it. */
  textFor(hash: string): string | undefined {
    return this.byHash.get(hash);
  }

  /** True when `query` is, byte for byte, a document of the manifest (`hash`: its sha256, when already known). */
  contains(query: string, hash = sha256(query)): boolean {
    return this.byHash.get(hash) === query;
  }
}

/** The parts of a GraphQL request this module reads (POST body or GET search parameters). */
export interface PersistedDocumentParams {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

/** What to do with one request. */
export type PersistedDocumentOutcome =
  /** Leave the request alone (free-form query allowed, nothing to run, or APQ's business). */
  | { kind: 'pass' }
  /** Run this manifest text; drop `documentId` and `extensions.persistedQuery`. */
  | { kind: 'replace'; query: string }
  | { kind: 'refuse'; status: number; code: string; message: string };

const refuse = (status: number, code: string, message: string): PersistedDocumentOutcome => ({ kind: 'refuse', status, code, message });

const notInSafelist = () =>
  refuse(
    403,
    PersistedDocumentErrorCode.NotInSafelist,
    'This router runs persisted documents only, and the operation sent is not one of them; send a known documentId, or the exact text of a document from the manifest',
  );

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Decides what happens to one request, without touching it (pure; unit-tested).
 * `only`: the persisted-documents-only mode.
 */
export function resolvePersistedDocument(params: PersistedDocumentParams, documents: PersistedDocuments, only: boolean): PersistedDocumentOutcome {
  const query = params.query ?? undefined;

  // Which id, if any, names the document: documentId first, then Apollo's extension.
  let id: { hash: string | undefined; label: string; apq: boolean } | undefined;
  if (params.documentId !== undefined && params.documentId !== null) {
    if (typeof params.documentId !== 'string') return refuse(400, PersistedDocumentErrorCode.BadRequest, '`documentId` must be a string such as "sha256:<64 hex digits>"');
    id = { hash: DOCUMENT_ID.exec(params.documentId)?.[1], label: params.documentId, apq: false };
  } else if (isRecord(params.extensions) && params.extensions['persistedQuery'] !== undefined && params.extensions['persistedQuery'] !== null) {
    const persisted = params.extensions['persistedQuery'];
    if (!isRecord(persisted) || persisted['version'] !== 1) return refuse(400, PersistedDocumentErrorCode.BadRequest, 'Unsupported persisted query version: expected extensions.persistedQuery.version 1');
    const hash = persisted['sha256Hash'];
    if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) return refuse(400, PersistedDocumentErrorCode.BadRequest, 'extensions.persistedQuery.sha256Hash must be 64 lower-case hex digits');
    id = { hash, label: `sha256:${hash}`, apq: true };
  }

  if (id) {
    if (query !== undefined) {
      // An id and a text together: the text must be the one the id names. Then
      // the request is that text, decided like any free-form query (in the
      // default mode an APQ registration goes on to Apollo as before).
      if (typeof query !== 'string') return refuse(400, PersistedDocumentErrorCode.BadRequest, '`query` must be a string');
      const hash = sha256(query);
      if (hash !== id.hash) return refuse(400, PersistedDocumentErrorCode.BadRequest, `The query sent does not match its id ${id.label} (its sha256 differs)`);
      if (documents.contains(query, hash)) return { kind: 'replace', query };
      if (only) return notInSafelist();
      return id.apq ? { kind: 'pass' } : { kind: 'replace', query };
    }
    const text = id.hash === undefined ? undefined : documents.textFor(id.hash);
    if (text !== undefined) return { kind: 'replace', query: text };
    // Default mode: Apollo's APQ cache may know this hash (registered earlier); it answers PERSISTED_QUERY_NOT_FOUND itself if not.
    if (!only && id.apq) return { kind: 'pass' };
    return refuse(200, PersistedDocumentErrorCode.NotFound, `Unknown persisted document ${id.label}: this router's manifest does not hold it`);
  }

  // No id. Nothing to run at all: Apollo answers (BAD_REQUEST, or the landing page for a browser GET).
  if (query === undefined || !only) return { kind: 'pass' };
  if (typeof query === 'string' && documents.contains(query)) return { kind: 'pass' };
  return notInSafelist();
}

/** Applies an outcome to a POST body (a JSON object); returns the body Apollo should see. */
function rewriteBody(body: Record<string, unknown>, query: string): Record<string, unknown> {
  const { documentId: _documentId, extensions, ...rest } = body;
  const result: Record<string, unknown> = { ...rest, query };
  if (isRecord(extensions)) {
    const { persistedQuery: _persistedQuery, ...others } = extensions;
    if (Object.keys(others).length > 0) result['extensions'] = others;
  } else if (extensions !== undefined) {
    result['extensions'] = extensions; // not an object: Apollo refuses it as before
  }
  return result;
}

/** Applies an outcome to GET search parameters, in place. */
function rewriteSearch(search: URLSearchParams, extensions: unknown, query: string): void {
  search.set('query', query);
  search.delete('documentId');
  if (isRecord(extensions)) {
    const { persistedQuery: _persistedQuery, ...others } = extensions;
    if (Object.keys(others).length > 0) search.set('extensions', JSON.stringify(others));
    else search.delete('extensions');
  }
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // Apollo refuses malformed JSON parameters itself
  }
}

type Refusal = Extract<PersistedDocumentOutcome, { kind: 'refuse' }>;

/** A POST body (parsed JSON) with its ids replaced by their documents, or why it is refused. */
export function resolvePostBody(body: unknown, documents: PersistedDocuments, only: boolean): { body: unknown } | { refusal: Refusal } {
  // Apollo refuses batches (allowBatchedHttpRequests is off); each entry is checked anyway, should that change.
  const entries = Array.isArray(body) ? body : [body];
  const rewritten: unknown[] = [];
  for (const entry of entries) {
    if (!isRecord(entry)) {
      rewritten.push(entry); // not a GraphQL request object: Apollo refuses it
      continue;
    }
    const outcome = resolvePersistedDocument(entry, documents, only);
    if (outcome.kind === 'refuse') return { refusal: outcome };
    rewritten.push(outcome.kind === 'replace' ? rewriteBody(entry, outcome.query) : entry);
  }
  return { body: Array.isArray(body) ? rewritten : rewritten[0] };
}

/** A refusal's answer: never cached, as a client ahead of the router (new manifest not deployed yet) must not stay stuck. */
export function refusalAnswer(refusal: Refusal): EarlyAnswer {
  const answer = errorAnswer(refusal.status, refusal.message, refusal.code);
  return { ...answer, headers: { ...answer.headers, 'cache-control': 'private, no-cache, must-revalidate' } };
}

function answer(res: Response, refusal: Refusal): void {
  const { status, headers, body } = refusalAnswer(refusal);
  res.status(status).set(headers).send(body);
}

/** Loads and verifies the manifest (a bad one stops the start). */
export function loadPersistedDocuments(config: PersistedDocumentsConfig, logger?: Logger): PersistedDocuments {
  const documents = PersistedDocuments.load(config.manifestPath);
  if (config.only && documents.size === 0) {
    throw new Error(`Invalid persisted-documents manifest ${config.manifestPath}: it holds no document, and PERSISTED_DOCUMENTS_ONLY=true would refuse everything`);
  }
  logger?.info({ manifest: config.manifestPath, documents: documents.size, only: config.only }, 'persisted documents loaded');
  return documents;
}

/** Express middleware for `/graphql`, after `express.json()` and before Apollo Server. */
export function persistedDocumentsMiddleware(config: PersistedDocumentsConfig, documents: PersistedDocuments = loadPersistedDocuments(config)): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'POST') {
      const resolved = resolvePostBody(req.body, documents, config.only);
      if ('refusal' in resolved) return answer(res, resolved.refusal);
      req.body = resolved.body;
      return next();
    }
    if (req.method === 'GET') {
      const url = new URL(req.url, 'http://router.invalid');
      const search = url.searchParams;
      const extensions = parseJson(search.get('extensions'));
      const outcome = resolvePersistedDocument(
        { query: search.get('query') ?? undefined, documentId: search.get('documentId') ?? undefined, extensions },
        documents,
        config.only,
      );
      if (outcome.kind === 'refuse') return answer(res, outcome);
      if (outcome.kind === 'replace') {
        rewriteSearch(search, extensions, outcome.query);
        // Apollo's Express integration reads the search string from req.url.
        req.url = `${url.pathname}?${search.toString()}`;
      }
      return next();
    }
    next();
  };
}
