/**
 * Each distinct entity representation once per subgraph call. The gateway
 * sends one representation per place an entity occurs: for 100 orders of 5
 * lines, `_entities` gets 500 product representations of which a few dozen
 * differ, and the subgraph resolves, checks and serialises every one. The
 * call carries the distinct ones; the answer is expanded back to one entity
 * per original representation (a copy each, since the gateway merges into
 * and rewrites what it receives), and an error about a distinct one is
 * repeated for every place it stood for, as the subgraph would have answered.
 */

/** Representations as sent, and where each original one went. */
export interface UniqueRepresentations {
  distinct: unknown[];
  /** For each original representation, its index in `distinct`. */
  indexOf: number[];
}

/** The distinct representations, or undefined when there is nothing to save (none, or all distinct). */
export function uniqueRepresentations(representations: unknown): UniqueRepresentations | undefined {
  if (!Array.isArray(representations) || representations.length < 2) return undefined;
  // Most representations are `{ __typename, id }` with a string id: those are found by typename, then
  // id, without a key string made per representation (a JSON.stringify each was 6 % of the router's time
  // at 500 of them per request). Any other shape is keyed by its JSON: the gateway builds each
  // representation with its fields in selection order, so equal ones serialise alike.
  const byTypenameAndId = new Map<string, Map<string, number>>();
  const byJson = new Map<string, number>();
  const distinct: unknown[] = [];
  const indexOf = new Array<number>(representations.length);
  for (let index = 0; index < representations.length; index += 1) {
    const representation: unknown = representations[index];
    const ids = seenIdsOfTypename(representation, byTypenameAndId);
    const key = ids ? (representation as { id: string }).id : JSON.stringify(representation);
    const seen = ids ?? byJson;
    let at = seen.get(key);
    if (at === undefined) {
      at = distinct.length;
      seen.set(key, at);
      distinct.push(representation);
    }
    indexOf[index] = at;
  }
  return distinct.length === representations.length ? undefined : { distinct, indexOf };
}

/** For a `{ __typename, id }` representation with string values: the ids seen of its typename. */
function seenIdsOfTypename(representation: unknown, byTypenameAndId: Map<string, Map<string, number>>): Map<string, number> | undefined {
  if (representation === null || typeof representation !== 'object') return undefined;
  const { __typename: typename, id } = representation as { __typename?: unknown; id?: unknown };
  if (typeof typename !== 'string' || typeof id !== 'string') return undefined;
  let fields = 0;
  for (const field in representation) if (Object.hasOwn(representation, field)) fields += 1;
  if (fields !== 2) return undefined;
  let ids = byTypenameAndId.get(typename);
  if (!ids) {
    ids = new Map();
    byTypenameAndId.set(typename, ids);
  }
  return ids;
}

interface EntitiesAnswer {
  data?: { _entities?: unknown } | null;
  errors?: readonly { path?: readonly (string | number)[] }[];
}

/**
 * Rewrites an answer to the distinct representations into the answer to the
 * original ones: `_entities` in the original order and length, errors under
 * `_entities.<i>` repeated for every original index that maps to `i`.
 */
export function expandEntities<T extends EntitiesAnswer>(answer: T, unique: UniqueRepresentations): T {
  const entities = answer.data?._entities;
  if (Array.isArray(entities) && entities.length === unique.distinct.length) {
    const used = new Array<boolean>(entities.length).fill(false);
    answer.data!._entities = unique.indexOf.map((at) => {
      if (!used[at]) {
        used[at] = true;
        return entities[at];
      }
      return copyJson(entities[at]);
    });
  }
  if (answer.errors?.some((error) => error.path?.[0] === '_entities' && typeof error.path[1] === 'number')) {
    const originalsOf = new Map<number, number[]>();
    unique.indexOf.forEach((at, original) => {
      const originals = originalsOf.get(at);
      if (originals) originals.push(original);
      else originalsOf.set(at, [original]);
    });
    answer.errors = answer.errors.flatMap((error) => {
      const path = error.path;
      if (path?.[0] !== '_entities' || typeof path[1] !== 'number') return [error];
      return (originalsOf.get(path[1]) ?? [path[1]]).map((original) => ({ ...error, path: ['_entities', original, ...path.slice(2)] }));
    });
  }
  return answer;
}

/** A deep copy of parsed JSON (plain objects, arrays and scalars). */
function copyJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = copyJson((value as Record<string, unknown>)[key]);
  return copy;
}
