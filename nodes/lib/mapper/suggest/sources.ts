/**
 * A sample payload as the fields a rule can read: every scalar with its path, words and kind of value, and every
 * array of objects (order lines, addresses) as a collection whose first element stands for all.
 */
import { formatPath, type PathSegment } from '../paths';
import { detectKind, type ValueKind } from './detect';
import { tokenize } from './tokens';

export interface SourceField {
  path: string;
  /** Words of the last key. */
  leaf: string[];
  /** Words of the keys above it. */
  context: string[];
  value: unknown;
  kind: ValueKind;
  /** Reached through the first element of an array (`shipping_addresses[0].zip`), not a field of its own. */
  viaIndex: boolean;
  /** Path of the collection it was reached through, when `viaIndex`. */
  collection?: string;
}

export interface SourceCollection {
  path: string;
  leaf: string[];
  context: string[];
  /** The elements that are objects; the first few stand for the shape. */
  items: Array<Record<string, unknown>>;
}

export interface SourceShape {
  fields: SourceField[];
  collections: SourceCollection[];
}

const MAX_DEPTH = 8;
/** Elements of a collection whose keys are merged into its shape (later ones fill keys the first lacks). */
const SHAPE_ELEMENTS = 5;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function readSample(sample: unknown): SourceShape {
  const fields: SourceField[] = [];
  const collections: SourceCollection[] = [];

  function walk(value: unknown, segments: PathSegment[], words: string[][], viaIndex: boolean, collection: string | undefined, depth: number): void {
    if (isObject(value)) {
      if (depth >= MAX_DEPTH) return;
      for (const [key, child] of Object.entries(value)) walk(child, [...segments, key], [...words, tokenize(key)], viaIndex, collection, depth + 1);
      return;
    }
    const leaf = words[words.length - 1] ?? [];
    const context = words.slice(0, -1).flat();
    const path = formatPath(segments);
    if (Array.isArray(value)) {
      const objects = value.filter(isObject);
      if (objects.length > 0) {
        collections.push({ path, leaf, context, items: objects });
        // The first element also serves targets that want one object (the first shipping address).
        walk(mergeShape(objects), [...segments, 0], words, true, collection ?? path, depth + 1);
      } else {
        // The n-th text of a list named X reads as "X n": `street[1]` is the second street line (`street2`).
        const key = String(segments[segments.length - 1] ?? '');
        value.slice(0, 3).forEach((element, index) => {
          if (element === null || typeof element === 'object') return;
          const elementLeaf = tokenize(`${key} ${index + 1}`.replace(/ 1$/, ''));
          fields.push({ path: formatPath([...segments, index]), leaf: elementLeaf, context, value: element, kind: detectKind(element, elementLeaf), viaIndex: true, collection: collection ?? path });
        });
      }
      return;
    }
    if (segments.length === 0) return;
    fields.push({ path, leaf, context, value, kind: detectKind(value, [...leaf, ...context]), viaIndex, collection });
  }

  walk(sample, [], [], false, undefined, 0);
  return { fields, collections };
}

/** One object with every key of the first elements, each taking the first non-empty value seen. */
export function mergeShape(items: Array<Record<string, unknown>>): Record<string, unknown> {
  const shape: Record<string, unknown> = {};
  for (const item of items.slice(0, SHAPE_ELEMENTS)) {
    for (const [key, value] of Object.entries(item)) {
      if (!(key in shape) || shape[key] === null || shape[key] === '') shape[key] = value;
    }
  }
  return shape;
}
