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
  /** An amount in minor units: divide by 100, or by 10 to the power of the sibling `fractionDigits` field. */
  minorUnits?: { by: 100 } | { fractionDigits: string };
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

const AMOUNT_KEY = /^(amount|value|cent_?amount|amount_?cents|cents)$/i;
const CURRENCY_KEY = /^currency(_?code|_?iso(_?code)?)?$/i;
const QUALIFIERS = new Set(['incl', 'excl', 'total', 'amount', 'sub']);

/**
 * A money object (`{amount, currency}`, `{centAmount, currencyCode, fractionDigits}`): its amount is named by the
 * key holding the object (`base_price_money.amount` is a base price), or by the key above when that one only
 * qualifies (`unitPrice.net.amount` is a unit price before tax).
 */
function moneyAmount(value: Record<string, unknown>): { key: string; minorUnits?: SourceField['minorUnits'] } | undefined {
  const keys = Object.keys(value);
  const key = keys.find((k) => AMOUNT_KEY.test(k) && (typeof value[k] === 'number' || (typeof value[k] === 'string' && value[k] !== '' && Number.isFinite(Number(value[k])))));
  if (!key || !keys.some((k) => CURRENCY_KEY.test(k))) return undefined;
  if (!/cent/i.test(key)) return { key };
  const digits = keys.find((k) => /^fraction_?digits$/i.test(k));
  return { key, minorUnits: digits ? { fractionDigits: digits } : { by: 100 } };
}

export function readSample(sample: unknown): SourceShape {
  const fields: SourceField[] = [];
  const collections: SourceCollection[] = [];

  function walk(value: unknown, segments: PathSegment[], words: string[][], viaIndex: boolean, collection: string | undefined, depth: number): void {
    if (isObject(value)) {
      if (depth >= MAX_DEPTH) return;
      const money = moneyAmount(value);
      for (const [key, child] of Object.entries(value)) {
        if (money && key === money.key && words.length > 0) {
          const own = words[words.length - 1];
          const named = own.every((w) => QUALIFIERS.has(w)) && words.length > 1 ? [...words[words.length - 2], ...own] : own;
          const above = words.slice(0, own === named ? -1 : -2).flat();
          const leaf = [...new Set([...named, 'amount'])];
          const field: SourceField = { path: formatPath([...segments, key]), leaf, context: above, value: child, kind: detectKind(child, leaf), viaIndex, collection };
          if (money.minorUnits) field.minorUnits = 'fractionDigits' in money.minorUnits ? { fractionDigits: formatPath([...segments, money.minorUnits.fractionDigits]) } : money.minorUnits;
          fields.push(field);
          continue;
        }
        walk(child, [...segments, key], [...words, tokenize(key)], viaIndex, collection, depth + 1);
      }
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
