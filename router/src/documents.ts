import { Kind, type DocumentNode, type FragmentDefinitionNode } from 'graphql';

/**
 * A document's fragment definitions by name. A Map, not an object: a spread of
 * an undefined fragment named `constructor` or `toString` finds nothing
 * rather than a member of Object.prototype.
 */
export function fragmentsByName(document: DocumentNode): ReadonlyMap<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}
